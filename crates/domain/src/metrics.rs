//! The rules every key figure follows, whatever it counts: which report
//! period a dated thing falls in, the period's predecessor for comparison,
//! and the small-number rule that hides cells a reader could trace back to a
//! person. Pure functions, property-tested; the fact tables and the figure
//! catalogue of issue 10 build on them.

use jiff::civil::Date;
use serde::Serialize;

use crate::validation::FieldErrors;

/// A report period in Copenhagen dates, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// Reads `from` and `to` with the one date parser; the end may not come
    /// before the start, and a period is at most 20 years.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, FieldErrors> {
        let mut errs = FieldErrors::new();
        let rule = crate::validation::DateRule::default();
        let f = crate::validation::date_field(&mut errs, "from", from, rule, true);
        let t = crate::validation::date_field(&mut errs, "to", to, rule, true);
        let (Some(from), Some(to)) = (f, t) else {
            return Err(errs);
        };
        if to < from {
            errs.add("to", "out_of_range", "the period ends before it begins");
        } else if (to - from).get_days() > 20 * 366 {
            errs.add("to", "out_of_range", "a period is at most 20 years");
        }
        errs.finish(Period { from, to })
    }

    /// Days in the period, both ends counted.
    pub fn days(&self) -> i64 {
        i64::from((self.to - self.from).get_days()) + 1
    }

    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    /// The period of equal length that ends the day before this one begins:
    /// what a report compares with. `None` before the calendar's start.
    pub fn previous(&self) -> Option<Period> {
        let to = self.from.yesterday().ok()?;
        let from = to
            .checked_sub(jiff::Span::new().days(self.days() - 1))
            .ok()?;
        Some(Period { from, to })
    }
}

crate::code_enum!(
    /// How a figure relates a dated thing to a period.
    PeriodRule {
        /// Its start (receipt, a held activity) lies in the period.
        StartedIn => "started_in",
        /// It was running on some day of the period.
        RunningDuring => "running_during",
        /// It started before the period and was still running in it.
        CarriedOver => "carried_over",
        /// Its end lies in the period.
        EndedIn => "ended_in",
        /// Its end lies in the period, and what is counted of it (a
        /// follow-up answer) comes later: pending until then.
        Cohort => "cohort",
        /// It was running on the period's last day (a membership at the end).
        AtEnd => "at_end",
    }
);

impl PeriodRule {
    /// Whether a thing that started on `start` and ended on `end` (none:
    /// still running) counts for `period` under this rule. Something that ends
    /// before it starts counts for nothing.
    pub fn counts(self, period: &Period, start: Date, end: Option<Date>) -> bool {
        if end.is_some_and(|e| e < start) {
            return false;
        }
        let running_on_some_day = start <= period.to && end.is_none_or(|e| e >= period.from);
        match self {
            PeriodRule::StartedIn => period.contains(start),
            PeriodRule::RunningDuring => running_on_some_day,
            PeriodRule::CarriedOver => start < period.from && running_on_some_day,
            PeriodRule::EndedIn | PeriodRule::Cohort => end.is_some_and(|e| period.contains(e)),
            PeriodRule::AtEnd => start <= period.to && end.is_none_or(|e| e >= period.to),
        }
    }
}

/// Counts below this are not shown to readers without case access.
pub const SMALL: i64 = 5;

/// A published cell: its value, or hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Shown(i64),
    /// Shown as "<5" (or hidden to protect another hidden cell).
    Hidden,
}

/// The cells of one row whose total is published: every count from 1 to
/// [`SMALL`] − 1 is hidden, and when exactly one cell would be hidden the
/// smallest other non-zero cell is hidden with it, so the total cannot give
/// the hidden one away (complementary suppression). Zeros are shown: an empty
/// cell names nobody.
pub fn suppress_row(counts: &[i64]) -> Vec<Cell> {
    let small = |n: i64| n > 0 && n < SMALL;
    let mut hidden: Vec<bool> = counts.iter().map(|&n| small(n)).collect();
    if hidden.iter().filter(|h| **h).count() == 1 {
        let partner = counts
            .iter()
            .enumerate()
            .filter(|(i, n)| !hidden[*i] && **n > 0)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        if let Some(i) = partner {
            hidden[i] = true;
        }
    }
    counts
        .iter()
        .zip(hidden)
        .map(|(&n, h)| if h { Cell::Hidden } else { Cell::Shown(n) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap_or_default()
    }

    #[test]
    fn periods_parse_in_danish_and_iso_and_compare_with_the_one_before() {
        let p = Period::parse(Some("01.01.2016"), Some("2017-08-31")).unwrap_or(Period {
            from: day(2000, 1, 1),
            to: day(2000, 1, 1),
        });
        assert_eq!((p.from, p.to), (day(2016, 1, 1), day(2017, 8, 31)));
        let q = p.previous().unwrap_or(p);
        assert_eq!(q.to, day(2015, 12, 31));
        assert_eq!(q.days(), p.days());
        assert!(Period::parse(Some("2017-01-02"), Some("2017-01-01")).is_err());
        assert!(Period::parse(None, Some("2017-01-01")).is_err());
    }

    #[test]
    fn the_rules_on_the_edges_of_a_period() {
        let p = Period {
            from: day(2026, 1, 1),
            to: day(2026, 12, 31),
        };
        // Started before, still running: carried over and running.
        assert!(PeriodRule::CarriedOver.counts(&p, day(2025, 6, 1), None));
        assert!(PeriodRule::RunningDuring.counts(&p, day(2025, 6, 1), None));
        // Ended the day before the period: neither.
        assert!(!PeriodRule::RunningDuring.counts(&p, day(2025, 6, 1), Some(day(2025, 12, 31))));
        // Started on its first day: started in, not carried over.
        assert!(PeriodRule::StartedIn.counts(&p, day(2026, 1, 1), None));
        assert!(!PeriodRule::CarriedOver.counts(&p, day(2026, 1, 1), None));
        // Ended on its last day.
        assert!(PeriodRule::EndedIn.counts(&p, day(2025, 1, 1), Some(day(2026, 12, 31))));
    }

    #[test]
    fn one_small_cell_takes_a_partner_with_it() {
        assert_eq!(
            suppress_row(&[3, 40, 12, 0]),
            vec![Cell::Hidden, Cell::Shown(40), Cell::Hidden, Cell::Shown(0)]
        );
        assert_eq!(
            suppress_row(&[3, 4, 50]),
            vec![Cell::Hidden, Cell::Hidden, Cell::Shown(50)]
        );
        assert_eq!(
            suppress_row(&[5, 0, 9]),
            vec![Cell::Shown(5), Cell::Shown(0), Cell::Shown(9)]
        );
    }

    proptest! {
        #[test]
        fn carried_over_is_running_and_not_started_in(
            s in 0i32..3000, len in proptest::option::of(0i32..2000), ps in 0i32..3000, plen in 0i32..800
        ) {
            let base = day(2015, 1, 1);
            let at = |n: i32| base.checked_add(jiff::Span::new().days(n)).unwrap_or(base);
            let start = at(s);
            let end = len.map(|l| at(s + l));
            let p = Period { from: at(ps), to: at(ps + plen) };
            let carried = PeriodRule::CarriedOver.counts(&p, start, end);
            let running = PeriodRule::RunningDuring.counts(&p, start, end);
            let started = PeriodRule::StartedIn.counts(&p, start, end);
            prop_assert!(!carried || running);
            prop_assert!(!(carried && started));
            // Running during the period = started in it, or carried into it.
            prop_assert_eq!(running, started || carried);
        }

        #[test]
        fn a_published_total_never_gives_away_a_hidden_cell(counts in proptest::collection::vec(0i64..30, 1..8)) {
            let cells = suppress_row(&counts);
            let hidden: Vec<usize> = cells.iter().enumerate().filter(|(_, c)| **c == Cell::Hidden).map(|(i, _)| i).collect();
            // Every small non-zero count is hidden.
            for (i, n) in counts.iter().enumerate() {
                if *n > 0 && *n < SMALL {
                    prop_assert!(hidden.contains(&i));
                }
            }
            // Never exactly one hidden cell when another non-zero cell exists.
            let others = counts.iter().enumerate().filter(|(i, n)| **n > 0 && !hidden.contains(i)).count();
            prop_assert!(hidden.len() != 1 || others == 0);
        }
    }
}
