//! What a period's sums read. Folded facts come from memory: the daily
//! rollup mirrored as running totals ([`super::mirror`]), so any days of a
//! key are two binary searches whatever the period's length. What is not
//! in the mirror yet (above its watermark: a few seconds' worth) and the
//! institutions in capacity building come from one statement, whose text
//! is the same for every period of a shape (one prepared statement, one
//! generic plan).

use jiff::civil::Date;
use vink_domain::fact::FactKind;
use vink_domain::fact::daily::{DailySums, Key};
use vink_domain::key_figures::{history_kinds, range_kinds};
use vink_domain::metrics::Period;
use vink_domain::series::{first_day, months};

use crate::Backend;
use crate::sql::{Bind, Conditions};

/// Kinds as an SQL list of literals (glossary codes: no quoting needed).
fn list(kinds: &[FactKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the fold has not taken yet: above the database's watermark. On
/// SQLite the watermark is a fact id (one writer, so ids commit in order);
/// on PostgreSQL a transaction id (ids may commit out of order,
/// transactions below a snapshot's xmin cannot commit any more): see
/// [`super::fold`].
pub(super) fn unfolded(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "id > (SELECT folded_to FROM fact_fold WHERE id = 1)",
        // The upper bound is always true (every transaction this snapshot
        // sees is below its xmax), and it makes a range of two unknowns:
        // PostgreSQL then estimates a sliver and reads the index, where
        // one bound alone is guessed at a third of the table (a parallel
        // scan, 12 ms of worker start-up for no rows).
        Backend::Postgres => {
            "xid >= (SELECT folded_to FROM fact_fold WHERE id = 1)
               AND xid < pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        }
    }
}

/// What the mirror does not hold: above its watermark `w` (a parameter),
/// which is a watermark the database had, so the same rule holds.
fn above(backend: Backend, w: &str) -> String {
    match backend {
        Backend::Sqlite => format!("id > {w}"),
        Backend::Postgres => {
            format!("xid >= {w} AND xid < pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        }
    }
}

/// The fixed `bucket` labels: written here and read back by
/// [`RowBucket::parse`] only, so the two cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// What runs before the stretches that follow (`''`).
    Before,
    /// The previous period (`'p'`).
    Previous,
    /// The period (`'in'`).
    Current,
    /// The database's fold watermark as the statement saw it (`'w'`), so
    /// the mirror learns it is behind.
    Folded,
}

impl Tag {
    const fn text(self) -> &'static str {
        match self {
            Tag::Before => "",
            Tag::Previous => "p",
            Tag::Current => "in",
            Tag::Folded => "w",
        }
    }

    /// The label as an SQL literal.
    fn literal(self) -> String {
        format!("'{}'", self.text())
    }
}

/// What a row counts for: a fixed label, or a month of the period (the
/// charts' kinds, `YYYY-MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowBucket {
    Tag(Tag),
    Month(i16, i8),
}

impl RowBucket {
    pub(crate) fn parse(s: &str) -> Option<RowBucket> {
        for t in [Tag::Before, Tag::Previous, Tag::Current, Tag::Folded] {
            if s == t.text() {
                return Some(RowBucket::Tag(t));
            }
        }
        let (y, m) = s.split_once('-')?;
        Some(RowBucket::Month(y.parse().ok()?, m.parse().ok()?))
    }
}

/// How a stretch labels what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// One label for everything.
    Fixed(Tag),
    /// The charts' kinds by their month, the others [`Tag::Current`].
    ByMonth,
}

/// The days a stretch counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Days {
    /// Every day before this one (what runs counts from its start,
    /// however long ago).
    Before(Date),
    /// From the first to the last, inclusive.
    Range(Date, Date),
}

/// One stretch of a report: its days, its kinds, its label, and whether it
/// counts the institutions in capacity building on its days (kind `''`,
/// code `institutions`), which sums cannot give.
pub(crate) struct Stretch {
    days: Days,
    kinds: Vec<FactKind>,
    label: Label,
    institutions: bool,
}

/// Every kind: what a period reads in it.
fn all_kinds() -> Vec<FactKind> {
    let mut k = range_kinds().to_vec();
    k.extend(history_kinds());
    k
}

/// The kinds the charts draw month by month.
fn monthly_kinds() -> Vec<FactKind> {
    let mut k = vink_domain::series::range_kinds().to_vec();
    k.extend(history_kinds());
    k
}

/// The stretches of one period's sums: what runs before it (`''`), and
/// every kind in it (`'in'`).
pub(crate) fn period_stretches(from: Date, to: Date) -> Vec<Stretch> {
    vec![
        Stretch {
            days: Days::Before(from),
            kinds: history_kinds().to_vec(),
            label: Label::Fixed(Tag::Before),
            institutions: false,
        },
        Stretch {
            days: Days::Range(from, to),
            kinds: all_kinds(),
            label: Label::Fixed(Tag::Current),
            institutions: true,
        },
    ]
}

/// The stretches of the key-figure report (see [`super::report`]): what
/// runs before the previous period (`''`), the previous period (`'p'`), and
/// the period with the charts' kinds by month (`YYYY-MM`), the others
/// `'in'`.
pub(crate) fn report_stretches(period: &Period, previous: Option<&Period>) -> Vec<Stretch> {
    let mut stretches = vec![Stretch {
        days: Days::Before(previous.map_or(period.from, |p| p.from)),
        kinds: history_kinds().to_vec(),
        label: Label::Fixed(Tag::Before),
        institutions: false,
    }];
    if let Some(p) = previous {
        stretches.push(Stretch {
            days: Days::Range(p.from, p.to),
            kinds: all_kinds(),
            label: Label::Fixed(Tag::Previous),
            institutions: true,
        });
    }
    stretches.push(Stretch {
        days: Days::Range(period.from, period.to),
        kinds: all_kinds(),
        label: Label::ByMonth,
        institutions: true,
    });
    stretches
}

/// The statement of what the mirror does not hold, for stretches, given
/// the mirror's watermark: the database's watermark (`'w'`), and per
/// stretch the facts above the mirror's, summed by key (and month), and
/// the institutions.
pub(crate) fn sql(
    backend: Backend,
    stretches: &[Stretch],
    mirrored_to: i64,
) -> (String, Conditions) {
    let mut w = Conditions::default();
    let mut parts = vec![format!(
        "SELECT '' AS kind, 'folded_to' AS code, '' AS detail, {} AS bucket, folded_to AS n
           FROM fact_fold WHERE id = 1",
        Tag::Folded.literal()
    )];
    let monthly = list(&monthly_kinds());
    for s in stretches {
        let kinds = list(&s.kinds);
        let mark = w.param(Bind::I64(mirrored_to));
        let days = match s.days {
            Days::Before(d) => format!("day < {}", w.param(Bind::Text(d.to_string()))),
            Days::Range(a, b) => {
                let (pa, pb) = (
                    w.param(Bind::Text(a.to_string())),
                    w.param(Bind::Text(b.to_string())),
                );
                format!("day >= {pa} AND day <= {pb}")
            }
        };
        let (label, group) = match s.label {
            Label::Fixed(t) => (t.literal(), String::new()),
            Label::ByMonth => (
                format!(
                    "CASE WHEN kind IN ({monthly}) THEN substr(day, 1, 7) ELSE {} END",
                    Tag::Current.literal()
                ),
                ", substr(day, 1, 7)".to_string(),
            ),
        };
        parts.push(format!(
            "SELECT kind, code, detail, {label} AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
              WHERE {} AND {days} AND kind IN ({kinds}) GROUP BY kind, code, detail{group}",
            above(backend, &mark)
        ));
        // Engagements running on some day of the stretch: a few dozen a
        // year, read from their start-day index.
        if let (true, Days::Range(a, b)) = (s.institutions, s.days) {
            let bucket = match s.label {
                Label::Fixed(t) => t.literal(),
                Label::ByMonth => Tag::Current.literal(),
            };
            let (pa, pb) = (
                w.param(Bind::Text(a.to_string())),
                w.param(Bind::Text(b.to_string())),
            );
            parts.push(format!(
                "SELECT '' AS kind, 'institutions' AS code, '' AS detail, {bucket} AS bucket,
                        CAST(COUNT(DISTINCT organisation_id) AS BIGINT) AS n FROM capacity_building
                  WHERE from_on <= {pb} AND (to_on IS NULL OR to_on >= {pa})"
            ));
        }
    }
    (parts.join("\n UNION ALL\n"), w)
}

/// What the folded facts count for the stretches, labelled as the
/// statement labels its rows; a key with no fact on the days counts
/// nothing (as a `GROUP BY` gives no row).
pub(crate) fn folded(
    stretches: &[Stretch],
    sums: &DailySums,
    mut each: impl FnMut(Key, RowBucket, i64),
) {
    let monthly = monthly_kinds();
    for s in stretches {
        let (from, to) = match s.days {
            Days::Before(d) => match d.yesterday() {
                Ok(y) => (None, y),
                Err(_) => continue,
            },
            Days::Range(a, b) => (Some(a), b),
        };
        for (key, totals) in sums.keys(&s.kinds) {
            match (s.label, from) {
                (Label::ByMonth, Some(from)) if monthly.contains(&key.0) => {
                    for (y, m) in months(&Period { from, to }) {
                        let Some(first) = first_day(y, m) else {
                            continue;
                        };
                        let (a, b) = (first.max(from), first.last_of_month().min(to));
                        if let Some(n) = totals.sum(Some(a), b) {
                            each(key, RowBucket::Month(y, m), n);
                        }
                    }
                }
                (label, _) => {
                    let tag = match label {
                        Label::Fixed(t) => t,
                        Label::ByMonth => Tag::Current,
                    };
                    if let Some(n) = totals.sum(from, to) {
                        each(key, RowBucket::Tag(tag), n);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_written_reads_back_as_itself() {
        for t in [Tag::Before, Tag::Previous, Tag::Current, Tag::Folded] {
            let written = t.literal();
            let text = written.trim_matches('\'');
            assert_eq!(RowBucket::parse(text), Some(RowBucket::Tag(t)), "{written}");
        }
        assert_eq!(RowBucket::parse("2026-03"), Some(RowBucket::Month(2026, 3)));
        assert_eq!(RowBucket::parse("x"), None);
        assert_eq!(RowBucket::parse("2026-xx"), None);
    }

    /// The statement's text depends on the stretches' shape only: every
    /// period of a shape is one prepared statement.
    #[test]
    fn one_text_for_every_period_of_a_shape() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let text = |from: &str, to: &str| {
            let p = Period {
                from: d(from),
                to: d(to),
            };
            sql(
                Backend::Postgres,
                &report_stretches(&p, p.previous().as_ref()),
                7,
            )
            .0
        };
        assert_eq!(
            text("2026-03-01", "2026-03-31"),
            text("2016-12-08", "2026-12-07")
        );
    }
}
