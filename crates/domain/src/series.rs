//! Monthly series for the charts: the same catalogue evaluated for every
//! calendar month of a period (the first and last clipped to the period),
//! from one statement's sums bucketed by month.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::course::CourseKind;
use crate::fact::{Code, FactKind};
use crate::key_figures::{Bucket, Metric, Sums, Value, evaluate, history_kinds};
use crate::metrics::{Cell, Period, suppress_row};

/// Where a summed row lies: before the period, or in one of its months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MonthBucket {
    Before,
    /// Year and month.
    Month(i16, i8),
}

/// The range kinds the monthly series draw (with the history kinds: what
/// runs): concerns received and decided.
pub fn range_kinds() -> &'static [FactKind] {
    &[FactKind::ConcernReceived, FactKind::ConcernDecided]
}

/// A summed row: kind, code, detail, month bucket, sum.
pub type MonthRow = (FactKind, Code, Code, MonthBucket, i64);

/// The monthly rows of facts held in memory, bucketed as the store's
/// statement buckets them (the charts' kinds by month, what ran before the
/// period), for a report recounted without the fact tables (tests,
/// benchmarks); the counterpart of [`crate::key_figures::Sums::of_facts`].
pub fn rows_of_facts<'a>(
    facts: impl IntoIterator<Item = &'a crate::fact::Fact>,
    p: &Period,
) -> Vec<MonthRow> {
    let charted = |k: &FactKind| range_kinds().contains(k) || history_kinds().contains(k);
    facts
        .into_iter()
        .filter(|f| charted(&f.kind()) && f.day() <= p.to)
        .map(|f| {
            let bucket = if f.day() < p.from {
                MonthBucket::Before
            } else {
                MonthBucket::Month(f.day().year(), f.day().month())
            };
            (f.kind(), f.code_key(), f.detail_key(), bucket, f.n())
        })
        .collect()
}

/// The months a period touches, in order.
pub fn months(p: &Period) -> Vec<(i16, i8)> {
    let mut out = Vec::new();
    let (mut y, mut m) = (p.from.year(), p.from.month());
    while (y, m) <= (p.to.year(), p.to.month()) {
        out.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The charts' series: one value per month (absent when hidden).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Series {
    /// `YYYY-MM`, one per month of the period.
    pub months: Vec<String>,
    pub concerns_received: Vec<Option<i64>>,
    pub concerns_founded: Vec<Option<i64>>,
    pub concerns_needing_local_action: Vec<Option<i64>>,
    pub concerns_triaged_on_time: Vec<Option<i64>>,
    /// Courses running in each month, by course kind (kinds that ran).
    pub courses_running: Vec<KindSeries>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindSeries {
    pub kind: String,
    pub values: Vec<Option<i64>>,
}

/// The charts' series of a period from its rows by month (and what ran
/// before it); with `hide`, every series is suppressed as a row whose total
/// is published (small months hidden, and a partner with a lone one).
///
/// Each month is the catalogue evaluated on its own rows (`In`) and on
/// everything before it (`Before`, history kinds only, as for a period).
/// One running [`Sums`] is stepped through the months: a month's rows are
/// added as `In`, evaluated, then taken out again and carried into `Before`.
/// No month gets a copy of the sums (copies for 120 months were about 1 ms
/// of a ten-year report).
pub fn series(rows: &[MonthRow], p: &Period, hide: bool) -> Series {
    let mut by_bucket: BTreeMap<MonthBucket, Vec<&MonthRow>> = BTreeMap::new();
    for r in rows {
        by_bucket.entry(r.3).or_default().push(r);
    }
    let history = history_kinds();
    let mut running = Sums::default();
    for (k, c, d, _, n) in by_bucket.get(&MonthBucket::Before).into_iter().flatten() {
        if history.contains(k) {
            running.add(*k, *c, *d, Bucket::Before, *n);
        }
    }
    let mut metrics = vec![
        Metric::ConcernsReceived,
        Metric::ConcernsFounded,
        Metric::ConcernsNeedingLocalAction,
        Metric::ConcernsTriagedOnTime,
    ];
    metrics.extend(CourseKind::ALL.iter().map(|k| Metric::CoursesRunningOf(*k)));
    let months = months(p);
    let mut values: Vec<Vec<i64>> = vec![Vec::with_capacity(months.len()); metrics.len()];
    for (y, m) in &months {
        let own = by_bucket.get(&MonthBucket::Month(*y, *m));
        for (k, c, d, _, n) in own.into_iter().flatten() {
            running.add(*k, *c, *d, Bucket::In, *n);
        }
        for (metric, row) in metrics.iter().zip(values.iter_mut()) {
            row.push(match evaluate(*metric, &running, 0) {
                Value::Count(n) => n,
                Value::Share(sh) => sh.numerator,
            });
        }
        for (k, c, d, _, n) in own.into_iter().flatten() {
            running.add(*k, *c, *d, Bucket::In, -*n);
            if history.contains(k) {
                running.add(*k, *c, *d, Bucket::Before, *n);
            }
        }
    }
    let shown = |values: Vec<i64>| -> Vec<Option<i64>> {
        if hide {
            suppress_row(&values)
                .into_iter()
                .map(|c| match c {
                    Cell::Shown(n) => Some(n),
                    Cell::Hidden => None,
                })
                .collect()
        } else {
            values.into_iter().map(Some).collect()
        }
    };
    let mut by_metric: Vec<(Metric, Vec<i64>)> = metrics.into_iter().zip(values).collect();
    let mut row = |m: Metric| {
        let values = by_metric
            .iter_mut()
            .find(|(x, _)| *x == m)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default();
        shown(values)
    };
    Series {
        months: months
            .iter()
            .map(|(y, m)| format!("{y:04}-{m:02}"))
            .collect(),
        concerns_received: row(Metric::ConcernsReceived),
        concerns_founded: row(Metric::ConcernsFounded),
        concerns_needing_local_action: row(Metric::ConcernsNeedingLocalAction),
        concerns_triaged_on_time: row(Metric::ConcernsTriagedOnTime),
        courses_running: CourseKind::ALL
            .iter()
            .map(|k| KindSeries {
                kind: k.code().to_string(),
                values: row(Metric::CoursesRunningOf(*k)),
            })
            .filter(|k| k.values.iter().any(|v| v != &Some(0)))
            .collect(),
    }
}

/// The day a month bucket starts, for display.
pub fn first_day(y: i16, m: i8) -> Option<Date> {
    Date::new(y, m, 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fact::Fact;

    #[test]
    fn each_month_counts_its_own_and_carries_the_running() {
        let d = |s: &str| s.parse::<Date>().unwrap_or_default();
        let p = Period {
            from: d("2026-01-15"),
            to: d("2026-03-10"),
        };
        assert_eq!(months(&p), vec![(2026, 1), (2026, 2), (2026, 3)]);
        let facts = [
            Fact::course_started(CourseKind::Mentor, d("2025-11-01")),
            Fact::course_ended(CourseKind::Mentor, d("2026-02-10"), true),
            Fact::concern_received(d("2026-01-20")),
            Fact::concern_received(d("2026-03-01")),
            Fact::concern_received(d("2026-03-01")),
        ];
        let rows = rows_of_facts(&facts, &p);
        let s = series(&rows, &p, false);
        assert_eq!(s.months, vec!["2026-01", "2026-02", "2026-03"]);
        assert_eq!(s.concerns_received, vec![Some(1), Some(0), Some(2)]);
        // The mentor course ran in January and February, not in March.
        assert_eq!(s.courses_running[0].values, vec![Some(1), Some(1), Some(0)]);
        // Hidden for a reader without case access: all small.
        let h = series(&rows, &p, true);
        assert_eq!(h.concerns_received, vec![None, Some(0), None]);
    }
}
