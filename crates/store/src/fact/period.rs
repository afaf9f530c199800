//! The statements that sum a period's facts. Folded facts come from the
//! rollups: whole months from `fact_months`, the days of a partial month
//! from `fact_days`, or, when the period covers most of that month, the
//! month less the days outside (so no part reads more than half a month of
//! days); what is not folded yet (a few seconds' worth) from `facts`.

use jiff::civil::Date;
use vink_domain::fact::FactKind;
use vink_domain::key_figures::{history_kinds, range_kinds};
use vink_domain::metrics::Period;

use crate::Backend;
use crate::sql::{Bind, Conditions};

/// Kinds as an SQL list of literals (glossary codes: no quoting needed).
pub(super) fn list(kinds: &[FactKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `YYYY-MM` of a day.
fn month_of(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// What is not folded yet: above the watermark. On SQLite the watermark is
/// a fact id (one writer, so ids commit in order); on PostgreSQL a
/// transaction id (ids may commit out of order, transactions below a
/// snapshot's xmin cannot commit any more): see [`super::fold`].
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

/// The statement's fixed `bucket` labels: written here and read back by
/// [`RowBucket::parse`] only, so the two cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// What runs before the stretches that follow (`''`).
    Before,
    /// The previous period (`'p'`).
    Previous,
    /// The period (`'in'`).
    Current,
}

impl Tag {
    const fn text(self) -> &'static str {
        match self {
            Tag::Before => "",
            Tag::Previous => "p",
            Tag::Current => "in",
        }
    }

    /// The label as an SQL literal.
    fn literal(self) -> String {
        format!("'{}'", self.text())
    }
}

/// What a row of a statement counts for: a fixed label, a month of the
/// period (the charts' kinds, `YYYY-MM`), or a run of months with each
/// month's own sum (`YYYY-MM:n YYYY-MM:n …`, see [`month_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowBucket<'r> {
    Tag(Tag),
    Month(i16, i8),
    Months(&'r str),
}

impl<'r> RowBucket<'r> {
    pub(crate) fn parse(s: &'r str) -> Option<RowBucket<'r>> {
        for t in [Tag::Before, Tag::Previous, Tag::Current] {
            if s == t.text() {
                return Some(RowBucket::Tag(t));
            }
        }
        if s.contains(':') {
            return Some(RowBucket::Months(s));
        }
        month(s).map(|(y, m)| RowBucket::Month(y, m))
    }
}

/// `YYYY-MM` as year and month.
fn month(s: &str) -> Option<(i16, i8)> {
    let (y, m) = s.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

/// The months of a run as the statement writes them (`YYYY-MM:n`, space
/// separated, in any order): each month with its sum. `None` for a piece
/// that is not one.
pub(crate) fn month_run(s: &str) -> impl Iterator<Item = Option<(i16, i8, i64)>> + '_ {
    s.split(' ').map(|p| {
        let (m, n) = p.split_once(':')?;
        let (y, m) = month(m)?;
        Some((y, m, n.parse().ok()?))
    })
}

/// From how many months a stretch's charted kinds come as one row a key
/// with its months as a run (`string_agg`), not a row a key and month. A
/// ten-year report's 2 400 rows cost the client a millisecond to receive
/// and decode (each a message, five values, a look-up of its codes); a run
/// costs the database a grouping, which for a few months is dearer than
/// the rows it saves (measured: a month's report 0.3 ms slower with runs).
const RUN_FROM_MONTHS: i32 = 12;

/// The aggregate that writes a key's months as a run.
fn run_of_months(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "group_concat(month || ':' || n, ' ')",
        Backend::Postgres => "string_agg(month || ':' || n, ' ')",
    }
}

/// How many calendar months `[lo, hi]` spans (first days; `None`: from the
/// beginning, as many as can be).
fn months_spanned(lo: Option<Date>, hi: Date) -> i32 {
    lo.map_or(i32::MAX, |lo| {
        (i32::from(hi.year()) - i32::from(lo.year())) * 12 + i32::from(hi.month())
            - i32::from(lo.month())
            + 1
    })
}

/// How a stretch labels its rows in the statement's `bucket` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// One label for every row.
    Fixed(Tag),
    /// The charts' kinds by their month (`YYYY-MM`), the others
    /// [`Tag::Current`].
    ByMonth,
}

/// What one part of the statement reads of the rollups, added or (the days
/// outside a mostly covered month) taken away.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Whole months from `fact_months`, from the first (or the beginning)
    /// to the last, inclusive.
    Months(Option<Date>, Date),
    /// Days of one month from `fact_days`, inclusive; `true` to subtract.
    Days(Date, Date, bool),
}

/// The rollup pieces of the days `[a, b]` of one month: the days, or the
/// month less the days outside when they are fewer.
fn partial_month(a: Date, b: Date, out: &mut Vec<Piece>) {
    let (first, last) = (a.first_of_month(), a.last_of_month());
    let covered = i64::from(b.day()) - i64::from(a.day()) + 1;
    let outside = i64::from(last.day()) - covered;
    if covered <= outside {
        out.push(Piece::Days(a, b, false));
        return;
    }
    out.push(Piece::Months(Some(first), first));
    if let Ok(y) = a.yesterday()
        && a > first
    {
        out.push(Piece::Days(first, y, true));
    }
    if let Ok(t) = b.tomorrow()
        && b < last
    {
        out.push(Piece::Days(t, last, true));
    }
}

/// The rollup pieces of the days `[a, b]`.
fn pieces(a: Date, b: Date) -> Vec<Piece> {
    let mut out = Vec::new();
    if a > b {
        return out;
    }
    if a.first_of_month() == b.first_of_month() {
        if a.day() == 1 && b == b.last_of_month() {
            out.push(Piece::Months(Some(a), a));
        } else {
            partial_month(a, b, &mut out);
        }
        return out;
    }
    let mut first_whole = a;
    if a.day() != 1 {
        partial_month(a, a.last_of_month(), &mut out);
        match a.last_of_month().tomorrow() {
            Ok(d) => first_whole = d,
            Err(_) => return out,
        }
    }
    let mut last_whole = b;
    if b != b.last_of_month() {
        partial_month(b.first_of_month(), b, &mut out);
        match b.first_of_month().yesterday() {
            Ok(d) => last_whole = d,
            Err(_) => return out,
        }
    }
    if first_whole <= last_whole {
        out.push(Piece::Months(
            Some(first_whole.first_of_month()),
            last_whole.first_of_month(),
        ));
    }
    out
}

/// The rollup pieces of every day before `d`.
fn pieces_before(d: Date) -> Vec<Piece> {
    let first = d.first_of_month();
    let mut out = Vec::new();
    match first.yesterday() {
        Ok(prev) => out.push(Piece::Months(None, prev.first_of_month())),
        Err(_) => return out,
    }
    if let Ok(y) = d.yesterday()
        && d > first
    {
        partial_month(first, y, &mut out);
    }
    out
}

/// A range of whole months as the rollups hold it: whole calendar years
/// from `fact_years`, the months at the edges from `fact_months`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rollup {
    /// Years from the first (or the beginning) to the last, inclusive.
    Years(Option<i16>, i16),
    /// Months from the first to the last (first days), inclusive.
    Months(Date, Date),
}

/// The whole months `[lo, hi]` (first days; `lo: None` from the beginning)
/// as years and the months at the edges.
fn years(lo: Option<Date>, hi: Date) -> Vec<Rollup> {
    let mut out = Vec::new();
    let first_full = match lo {
        None => None,
        Some(lo) if lo.month() == 1 => Some(lo.year()),
        Some(lo) => {
            let dec = Date::new(lo.year(), 12, 1).unwrap_or(hi);
            out.push(Rollup::Months(lo, dec.min(hi)));
            if dec >= hi {
                return out;
            }
            Some(lo.year() + 1)
        }
    };
    let last_full = if hi.month() == 12 {
        hi.year()
    } else {
        let jan = hi.first_of_year();
        if lo.is_some_and(|lo| lo > jan) {
            return out;
        }
        out.push(Rollup::Months(jan, hi));
        hi.year() - 1
    };
    if first_full.is_none_or(|f| f <= last_full) {
        out.push(Rollup::Years(first_full, last_full));
    }
    out
}

/// One stretch of a statement: its days, its kinds, its label, and
/// whether it counts the institutions in capacity building on its days
/// (kind `''`, code `institutions`), which sums cannot give.
struct Stretch {
    /// `None` for every day before `to` (what runs counts from its start,
    /// however long ago); else the first day.
    from: Option<Date>,
    /// The last day; for `from: None` the first day not read.
    to: Date,
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

/// Builds the parts of a statement and their parameters.
struct Parts<'a> {
    backend: Backend,
    w: Conditions,
    parts: Vec<String>,
    unfolded: &'a str,
}

impl Parts<'_> {
    fn text(&mut self, s: String) -> String {
        self.w.param(Bind::Text(s))
    }

    /// `SELECT kind, code, detail, {label}, ±SUM(n) FROM {table} WHERE …`.
    fn push(&mut self, table: &str, label: &str, group: &str, sub: bool, kinds: &str, cond: &str) {
        let sign = if sub { "-" } else { "" };
        self.parts.push(format!(
            "SELECT kind, code, detail, {label} AS bucket, {sign}CAST(SUM(n) AS BIGINT) AS n FROM {table}
              WHERE {cond} AND kind IN ({kinds}) GROUP BY kind, code, detail{group}"
        ));
    }

    /// The condition on `fact_months.month` for `[lo, hi]` (`open`: from
    /// the beginning). One month as an equality: the index then yields its
    /// rows in group order.
    fn months(&mut self, lo: Date, hi: Date, open: bool) -> String {
        if open {
            format!("month <= {}", self.text(month_of(hi)))
        } else if lo == hi {
            format!("month = {}", self.text(month_of(hi)))
        } else {
            let (pl, ph) = (self.text(month_of(lo)), self.text(month_of(hi)));
            format!("month >= {pl} AND month <= {ph}")
        }
    }

    /// The whole months `[lo, hi]` summed under one label, from years where
    /// it can. A single month or year is one row a key: nothing to group.
    fn rollups(&mut self, lo: Option<Date>, hi: Date, label: &str, kinds: &str) {
        for r in years(lo, hi) {
            match r {
                Rollup::Months(a, b) => {
                    let cond = self.months(a, b, false);
                    if a == b {
                        self.parts.push(format!(
                            "SELECT kind, code, detail, {label} AS bucket, n FROM fact_months
                              WHERE {cond} AND kind IN ({kinds})"
                        ));
                    } else {
                        self.push("fact_months", label, "", false, kinds, &cond);
                    }
                }
                Rollup::Years(a, b) => {
                    let pb = self.text(format!("{b:04}"));
                    match a {
                        Some(a) if a == b => self.parts.push(format!(
                            "SELECT kind, code, detail, {label} AS bucket, n FROM fact_years
                              WHERE year = {pb} AND kind IN ({kinds})"
                        )),
                        Some(a) => {
                            let pa = self.text(format!("{a:04}"));
                            let cond = format!("year >= {pa} AND year <= {pb}");
                            self.push("fact_years", label, "", false, kinds, &cond);
                        }
                        None => {
                            let cond = format!("year <= {pb}");
                            self.push("fact_years", label, "", false, kinds, &cond);
                        }
                    }
                }
            }
        }
    }

    fn stretch(&mut self, s: &Stretch) {
        let kinds = list(&s.kinds);
        let monthly = list(&monthly_kinds());
        let pieces = match s.from {
            None => pieces_before(s.to),
            Some(a) => pieces(a, s.to),
        };
        for p in pieces {
            match p {
                Piece::Months(lo, hi) => match s.label {
                    Label::Fixed(t) => self.rollups(lo, hi, &t.literal(), &kinds),
                    // The charts' kinds month by month (a row a key and
                    // month, or over many months a row a key with its
                    // months as a run), the others summed over years and
                    // months.
                    Label::ByMonth => {
                        let cond = self.months(lo.unwrap_or(hi), hi, lo.is_none());
                        if months_spanned(lo, hi) >= RUN_FROM_MONTHS {
                            let run = run_of_months(self.backend);
                            self.push("fact_months", run, "", false, &monthly, &cond);
                        } else {
                            self.parts.push(format!(
                                "SELECT kind, code, detail, month AS bucket, n FROM fact_months
                                  WHERE {cond} AND kind IN ({monthly})"
                            ));
                        }
                        let others: Vec<FactKind> = s
                            .kinds
                            .iter()
                            .copied()
                            .filter(|k| !monthly_kinds().contains(k))
                            .collect();
                        if !others.is_empty() {
                            self.rollups(lo, hi, &Tag::Current.literal(), &list(&others));
                        }
                    }
                },
                Piece::Days(a, b, sub) => {
                    // One month's days: the month label is a constant.
                    let label = match s.label {
                        Label::Fixed(t) => t.literal(),
                        Label::ByMonth => format!(
                            "CASE WHEN kind IN ({monthly}) THEN '{}' ELSE {} END",
                            month_of(a),
                            Tag::Current.literal()
                        ),
                    };
                    let (pa, pb) = (self.text(a.to_string()), self.text(b.to_string()));
                    let cond = format!("day >= {pa} AND day <= {pb}");
                    self.push("fact_days", &label, "", sub, &kinds, &cond);
                }
            }
        }
        // What is not folded yet, by day.
        let unfolded = self.unfolded;
        let cond = match s.from {
            None => format!("{unfolded} AND day < {}", self.text(s.to.to_string())),
            Some(a) => {
                let (pa, pb) = (self.text(a.to_string()), self.text(s.to.to_string()));
                format!("{unfolded} AND day >= {pa} AND day <= {pb}")
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
        self.push("facts", &label, &group, false, &kinds, &cond);
        // Engagements running on some day of the stretch: a few dozen a
        // year, read from their start-day index.
        if let (true, Some(a)) = (s.institutions, s.from) {
            let bucket = match s.label {
                Label::Fixed(t) => t.literal(),
                Label::ByMonth => Tag::Current.literal(),
            };
            let (pa, pb) = (self.text(a.to_string()), self.text(s.to.to_string()));
            self.parts.push(format!(
                "SELECT '' AS kind, 'institutions' AS code, '' AS detail, {bucket} AS bucket,
                        CAST(COUNT(DISTINCT organisation_id) AS BIGINT) AS n FROM capacity_building
                  WHERE from_on <= {pb} AND (to_on IS NULL OR to_on >= {pa})"
            ));
        }
    }
}

/// The statement of some stretches, their parts joined by `UNION ALL`.
fn statement(backend: Backend, stretches: &[Stretch]) -> (String, Conditions) {
    let mut p = Parts {
        backend,
        w: Conditions::default(),
        parts: Vec::new(),
        unfolded: unfolded(backend),
    };
    for s in stretches {
        p.stretch(s);
    }
    (p.parts.join("\n UNION ALL\n"), p.w)
}

/// The statement of one period's sums: what runs before it (`''`), and
/// every kind in it (`'in'`).
pub(crate) fn period_sql(backend: Backend, from: Date, to: Date) -> (String, Conditions) {
    statement(
        backend,
        &[
            Stretch {
                from: None,
                to: from,
                kinds: history_kinds().to_vec(),
                label: Label::Fixed(Tag::Before),
                institutions: false,
            },
            Stretch {
                from: Some(from),
                to,
                kinds: all_kinds(),
                label: Label::Fixed(Tag::Current),
                institutions: true,
            },
        ],
    )
}

/// The statement of the key-figure report (see [`super::report`]): what
/// runs before the previous period (`''`), the previous period (`'p'`),
/// and the period with the charts' kinds by month (`YYYY-MM`), the others
/// `'in'`.
pub(crate) fn report_sql(
    backend: Backend,
    period: &Period,
    previous: Option<&Period>,
) -> (String, Conditions) {
    let mut stretches = vec![Stretch {
        from: None,
        to: previous.map_or(period.from, |p| p.from),
        kinds: history_kinds().to_vec(),
        label: Label::Fixed(Tag::Before),
        institutions: false,
    }];
    if let Some(p) = previous {
        stretches.push(Stretch {
            from: Some(p.from),
            to: p.to,
            kinds: all_kinds(),
            label: Label::Fixed(Tag::Previous),
            institutions: true,
        });
    }
    stretches.push(Stretch {
        from: Some(period.from),
        to: period.to,
        kinds: all_kinds(),
        label: Label::ByMonth,
        institutions: true,
    });
    statement(backend, &stretches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_written_reads_back_as_itself() {
        for t in [Tag::Before, Tag::Previous, Tag::Current] {
            let written = t.literal();
            let text = written.trim_matches('\'');
            assert_eq!(RowBucket::parse(text), Some(RowBucket::Tag(t)), "{written}");
        }
        assert_eq!(RowBucket::parse("2026-03"), Some(RowBucket::Month(2026, 3)));
        assert_eq!(RowBucket::parse("x"), None);
        assert_eq!(RowBucket::parse("2026-xx"), None);
        let run = "2026-03:4 2025-12:-1";
        assert_eq!(RowBucket::parse(run), Some(RowBucket::Months(run)));
        let months: Vec<_> = month_run(run).collect();
        assert_eq!(months, [Some((2026, 3, 4)), Some((2025, 12, -1))]);
        assert_eq!(month_run("2026-03:x").collect::<Vec<_>>(), [None]);
        assert_eq!(month_run("2026-03").collect::<Vec<_>>(), [None]);
    }

    #[test]
    fn months_spanned_counts_calendar_months() {
        assert_eq!(months_spanned(Some(d("2026-03-01")), d("2026-03-01")), 1);
        assert_eq!(months_spanned(Some(d("2025-12-01")), d("2026-01-01")), 2);
        assert_eq!(months_spanned(Some(d("2017-01-01")), d("2026-11-01")), 119);
        assert_eq!(months_spanned(None, d("2026-11-01")), i32::MAX);
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// The days a set of pieces counts, each with its multiplicity: every
    /// day of `[a, b]` exactly once, no other day.
    fn days_counted(pieces: &[Piece]) -> std::collections::BTreeMap<Date, i64> {
        let mut out = std::collections::BTreeMap::new();
        let mut add = |a: Date, b: Date, n: i64| {
            let mut x = a;
            while x <= b {
                *out.entry(x).or_insert(0) += n;
                x = x.tomorrow().unwrap();
            }
        };
        for p in pieces {
            match p {
                Piece::Months(lo, hi) => {
                    add(lo.unwrap_or(d("2000-01-01")), hi.last_of_month(), 1);
                }
                Piece::Days(a, b, sub) => add(*a, *b, if *sub { -1 } else { 1 }),
            }
        }
        out.retain(|_, n| *n != 0);
        out
    }

    #[test]
    fn pieces_count_every_day_of_the_span_once() {
        let starts = [
            "2026-01-01",
            "2026-01-02",
            "2026-01-16",
            "2026-01-31",
            "2026-02-14",
        ];
        let ends = [
            "2026-01-01",
            "2026-01-20",
            "2026-01-31",
            "2026-02-28",
            "2026-03-03",
            "2027-03-30",
        ];
        for a in starts {
            for b in ends {
                let (a, b) = (d(a), d(b));
                if a > b {
                    assert!(pieces(a, b).is_empty());
                    continue;
                }
                let p = pieces(a, b);
                let counted = days_counted(&p);
                assert!(counted.values().all(|n| *n == 1), "{a}–{b}: {p:?}");
                assert_eq!(counted.keys().next(), Some(&a), "{a}–{b}");
                assert_eq!(counted.keys().last(), Some(&b), "{a}–{b}");
                assert_eq!(
                    counted.len() as i64,
                    (b - a).get_days() as i64 + 1,
                    "{a}–{b}"
                );
                // No part reads more than half a month of days.
                for x in &p {
                    if let Piece::Days(a, b, _) = x {
                        assert!(b.day() - a.day() < 16, "{x:?}");
                    }
                }
            }
        }
    }

    /// The months a set of rollups counts, each with its multiplicity.
    fn months_counted(r: &[Rollup]) -> std::collections::BTreeMap<Date, i64> {
        let mut out = std::collections::BTreeMap::new();
        for x in r {
            let (a, b) = match x {
                Rollup::Years(a, b) => (
                    Date::new(a.unwrap_or(2000), 1, 1).unwrap(),
                    Date::new(*b, 12, 1).unwrap(),
                ),
                Rollup::Months(a, b) => (*a, *b),
            };
            let mut m = a;
            while m <= b {
                *out.entry(m).or_insert(0) += 1;
                m = m.last_of_month().tomorrow().unwrap();
            }
        }
        out
    }

    #[test]
    fn years_count_every_month_of_the_range_once() {
        let months = [
            "2024-01-01",
            "2024-06-01",
            "2024-12-01",
            "2025-01-01",
            "2025-07-01",
            "2026-12-01",
        ];
        for lo in months.iter().map(|m| Some(d(m))).chain([None]) {
            for hi in months.map(d) {
                if lo.is_some_and(|lo| lo > hi) {
                    continue;
                }
                let r = years(lo, hi);
                let counted = months_counted(&r);
                assert!(counted.values().all(|n| *n == 1), "{lo:?}–{hi}: {r:?}");
                let first = lo.unwrap_or(d("2000-01-01"));
                assert_eq!(counted.keys().next(), Some(&first), "{lo:?}–{hi}: {r:?}");
                assert_eq!(counted.keys().last(), Some(&hi), "{lo:?}–{hi}: {r:?}");
                let span = (i64::from(hi.year()) - i64::from(first.year())) * 12
                    + i64::from(hi.month())
                    - i64::from(first.month())
                    + 1;
                assert_eq!(counted.len() as i64, span, "{lo:?}–{hi}: {r:?}");
            }
        }
    }

    #[test]
    fn pieces_before_count_every_earlier_day_once() {
        for day in ["2026-03-01", "2026-03-02", "2026-03-16", "2026-03-31"] {
            let counted = days_counted(&pieces_before(d(day)));
            assert!(counted.values().all(|n| *n == 1), "{day}");
            assert_eq!(counted.keys().next(), Some(&d("2000-01-01")));
            assert_eq!(counted.keys().last(), d(day).yesterday().ok().as_ref());
        }
    }
}
