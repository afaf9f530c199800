//! Folded facts held as running totals by key and day, so the sum of any
//! days of a key is two binary searches, whatever the period's length. The
//! store keeps one of these in memory beside the database's daily rollup
//! (`store::fact::mirror`): a report then reads from the database only what
//! has not been folded yet, and a ten-year period costs what a month does.

use jiff::civil::Date;

use super::{Code, FactKind};

/// A fact's key: its kind and its two catalogue codes.
pub type Key = (FactKind, Code, Code);

/// One key's days that have facts, ascending, each with the total of every
/// fact up to and including it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    days: Vec<Date>,
    running: Vec<i64>,
}

impl Totals {
    /// The total of the days before the `i`-th.
    fn upto(&self, i: usize) -> i64 {
        i.checked_sub(1).map_or(0, |j| self.running[j])
    }

    /// Adds `n` on `day`. Facts of past days are common (a decision is
    /// filed under its concern's day of receipt): every later total moves.
    fn add(&mut self, day: Date, n: i64) {
        let i = self.days.partition_point(|d| *d < day);
        if self.days.get(i) != Some(&day) {
            let before = self.upto(i);
            self.days.insert(i, day);
            self.running.insert(i, before);
        }
        for r in &mut self.running[i..] {
            *r += n;
        }
    }

    /// The sum of the days `[from, to]` (`from: None`: from the first), or
    /// `None` when no day in it has a fact, as a `SUM … GROUP BY` over the
    /// same rows gives no row.
    pub fn sum(&self, from: Option<Date>, to: Date) -> Option<i64> {
        let hi = self.days.partition_point(|d| *d <= to);
        let lo = from.map_or(0, |a| self.days.partition_point(|d| *d < a));
        (hi > lo).then(|| self.upto(hi) - self.upto(lo))
    }
}

/// Every key's totals, by kind.
#[derive(Debug, Clone)]
pub struct DailySums {
    kinds: [Vec<(Code, Code, Totals)>; FactKind::ALL.len()],
}

impl Default for DailySums {
    fn default() -> Self {
        DailySums {
            kinds: std::array::from_fn(|_| Vec::new()),
        }
    }
}

impl DailySums {
    /// Sums of `(key, day, n)` rows in any order, a key and day possibly
    /// more than once: sorted once, not inserted one by one.
    pub fn from_rows(rows: impl IntoIterator<Item = (Key, Date, i64)>) -> DailySums {
        let mut all: Vec<(Key, Date, i64)> = rows.into_iter().collect();
        all.sort_unstable_by_key(|(k, d, _)| (k.0 as usize, k.1, k.2, *d));
        let mut s = DailySums::default();
        for ((kind, code, detail), day, n) in all {
            let list = &mut s.kinds[kind as usize];
            let t = match list.last_mut() {
                Some((c, d, t)) if *c == code && *d == detail => t,
                _ => {
                    list.push((code, detail, Totals::default()));
                    match list.last_mut() {
                        Some((_, _, t)) => t,
                        None => continue,
                    }
                }
            };
            let total = t.running.last().copied().unwrap_or(0) + n;
            if t.days.last() == Some(&day) {
                if let Some(r) = t.running.last_mut() {
                    *r = total;
                }
            } else {
                t.days.push(day);
                t.running.push(total);
            }
        }
        s
    }

    /// Adds one row (what a fold added to the database since).
    pub fn add(&mut self, (kind, code, detail): Key, day: Date, n: i64) {
        let list = &mut self.kinds[kind as usize];
        match list.iter_mut().find(|(c, d, _)| *c == code && *d == detail) {
            Some((_, _, t)) => t.add(day, n),
            None => {
                let mut t = Totals::default();
                t.add(day, n);
                list.push((code, detail, t));
            }
        }
    }

    /// The keys of `kinds`, each with its totals.
    pub fn keys<'a>(&'a self, kinds: &'a [FactKind]) -> impl Iterator<Item = (Key, &'a Totals)> {
        kinds.iter().flat_map(move |k| {
            self.kinds[*k as usize]
                .iter()
                .map(move |(c, d, t)| ((*k, *c, *d), t))
        })
    }

    /// How many key-days are held (for the log and the benchmarks).
    pub fn len(&self) -> usize {
        self.kinds
            .iter()
            .flat_map(|l| l.iter().map(|(_, _, t)| t.days.len()))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(i: i32) -> Date {
        Date::new(2024, 1, 1)
            .unwrap()
            .checked_add(jiff::Span::new().days(i64::from(i)))
            .unwrap()
    }

    fn key(i: u8) -> Key {
        let kind = FactKind::ALL[usize::from(i) % FactKind::ALL.len()];
        (kind, Code::NONE, Code::NONE)
    }

    /// What a `SUM … GROUP BY` over the rows of `[from, to]` gives.
    fn brute(rows: &[(u8, i32, i64)], k: u8, from: Option<i32>, to: i32) -> Option<i64> {
        let hits: Vec<i64> = rows
            .iter()
            .filter(|(kk, d, _)| key(*kk) == key(k) && from.is_none_or(|f| *d >= f) && *d <= to)
            .map(|(_, _, n)| *n)
            .collect();
        (!hits.is_empty()).then(|| hits.iter().sum())
    }

    proptest! {
        /// Loaded at once or added row by row (in any order, past days
        /// too), every range of every key sums as the rows do.
        #[test]
        fn any_range_sums_as_its_rows(
            rows in proptest::collection::vec((0u8..4, 0i32..60, -3i64..9), 0..60),
            ranges in proptest::collection::vec((0u8..4, proptest::option::of(0i32..60), 0i32..60), 1..20),
        ) {
            let loaded = DailySums::from_rows(rows.iter().map(|(k, d, n)| (key(*k), day(*d), *n)));
            let mut added = DailySums::default();
            for (k, d, n) in &rows {
                added.add(key(*k), day(*d), *n);
            }
            for (k, from, to) in ranges {
                let want = brute(&rows, k, from, to);
                for s in [&loaded, &added] {
                    let got = s
                        .keys(&[key(k).0])
                        .find(|(kk, _)| *kk == key(k))
                        .and_then(|(_, t)| t.sum(from.map(day), day(to)));
                    prop_assert_eq!(got, want, "{:?}–{}", from, to);
                }
            }
        }
    }

    #[test]
    fn a_past_day_moves_every_later_total() {
        let k = key(0);
        let mut s = DailySums::default();
        s.add(k, day(10), 2);
        s.add(k, day(20), 3);
        s.add(k, day(5), 4);
        let kinds = [k.0];
        let (_, t) = s.keys(&kinds).next().unwrap();
        assert_eq!(t.sum(None, day(30)), Some(9));
        assert_eq!(t.sum(Some(day(6)), day(30)), Some(5));
        assert_eq!(t.sum(Some(day(11)), day(19)), None);
        assert_eq!(t.sum(None, day(4)), None);
        assert_eq!(s.len(), 3);
    }
}
