//! The lists' queries by name, built by the same functions the lists run, and
//! their query plans: what the plan test (`app/tests/plans.rs`) reads on a
//! generated data set so that a list that starts scanning a large table fails
//! CI instead of a user. SQLite answers `EXPLAIN QUERY PLAN`; PostgreSQL
//! answers `EXPLAIN` with sequential scans and sorts switched off, so a `Seq
//! Scan` or `Sort` left in its plan means no index can serve the query (a
//! small test set would make the planner prefer scans and sorts that it would
//! never choose at national scale).

use uuid::Uuid;
use vink_domain::policy::{ConcernScope, CourseScope};
use vink_domain::search::SearchQuery;

use crate::audit::AuditFilter;
use crate::concern::{ConcernFilter, DueFilter, ListCursor, Stream};
use crate::sql::{Bind, Conditions, bind_all, bind_query};
use crate::{Order, Result, Tx};

/// One query a list runs, with its parameters.
pub struct NamedQuery {
    pub name: String,
    sql: String,
    binds: Vec<Bind>,
    /// How PostgreSQL plans it where the list runs it.
    pub plan: PlanMode,
}

/// How a query is planned on PostgreSQL where it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    /// Once, for any values: in a planned read (`Db::begin_read_planned`)
    /// or after [`generic_plans`].
    Generic,
    /// For its values, after [`custom_plans`].
    Custom,
    /// As PostgreSQL decides (`plan_cache_mode = auto`): custom plans for
    /// the first five runs on a connection, then the generic plan if its
    /// estimate is no worse. Either may be what runs.
    Auto,
}

/// Ids and times the queries are built with.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs {
    pub now: i64,
    pub agency: Uuid,
    pub mentor_user: Uuid,
    pub record: Uuid,
    pub actor: Uuid,
    /// Some queries differ by database (the key figures' unfolded facts).
    pub backend: crate::Backend,
    /// The facts' fold watermark: a server's mirror of the folded facts is
    /// at it (or just behind), so its statements read above it.
    pub fact_watermark: i64,
}

fn named(out: &mut Vec<NamedQuery>, name: String, q: Option<(String, Conditions)>) {
    if let Some((sql, w)) = q {
        out.push(NamedQuery {
            name,
            sql,
            binds: w.binds,
            plan: PlanMode::Auto,
        });
    }
}

/// Marks the query just named as planned for its values.
fn mark_custom(out: &mut [NamedQuery]) {
    if let Some(q) = out.last_mut() {
        q.plan = PlanMode::Custom;
    }
}

/// Marks the queries named (not already planned for their values) as run in
/// a planned read.
fn mark_generic(named: &mut [NamedQuery]) {
    for q in named.iter_mut().filter(|q| q.plan == PlanMode::Auto) {
        q.plan = PlanMode::Generic;
    }
}

/// Every list and count query, under every scope and filter a user can pick.
pub fn list_queries(i: &PlanInputs) -> Vec<NamedQuery> {
    let mut out = Vec::new();
    let h = 3_600_000_000;
    for (sname, scope) in [
        ("all", ConcernScope::All),
        ("agency", ConcernScope::OnAgendaOfAgency(i.agency)),
    ] {
        // The concern list and the dashboard: planned reads.
        let concern_queries = out.len();
        let filters: Vec<(&str, ConcernFilter)> = vec![
            ("plain", filter(i.now, None, None, None)),
            (
                "danger",
                ConcernFilter {
                    danger: true,
                    ..filter(i.now, None, None, None)
                },
            ),
            (
                "channel and period",
                ConcernFilter {
                    channel: Some("hotline".into()),
                    received_from: Some(i.now - 90 * 24 * h),
                    received_to: Some(i.now),
                    ..filter(i.now, None, None, None)
                },
            ),
            (
                // Long past: the decision order's walk would pass every
                // later decision first.
                "channel and an old period",
                ConcernFilter {
                    channel: Some("hotline".into()),
                    received_from: Some(i.now - (5 * 365 + 90) * 24 * h),
                    received_to: Some(i.now - 5 * 365 * 24 * h),
                    ..filter(i.now, None, None, None)
                },
            ),
            ("received", filter(i.now, Some("received"), None, None)),
            ("decided", filter(i.now, Some("decided"), None, None)),
            (
                "overdue",
                filter(i.now, None, Some(DueFilter::Overdue), None),
            ),
            (
                "due_soon",
                filter(i.now, None, Some(DueFilter::DueSoon), None),
            ),
            (
                "after_open",
                filter(
                    i.now,
                    None,
                    None,
                    Some(ListCursor::Open {
                        now_ref: i.now,
                        key: i.now + h,
                        case_number: "K-2026-0001".into(),
                    }),
                ),
            ),
            (
                "after_decided",
                filter(
                    i.now,
                    None,
                    None,
                    Some(ListCursor::Decided {
                        decided_at: i.now - 100 * h,
                        case_number: "K-2026-0001".into(),
                    }),
                ),
            ),
        ];
        // As the list runs them: PostgreSQL plans a decided page for its
        // values, and may start a period's from the period's own index.
        let filters: Vec<(&str, ConcernFilter)> = filters
            .into_iter()
            .map(|(n, f)| {
                (
                    n,
                    ConcernFilter {
                        planned_for_values: i.backend == crate::Backend::Postgres,
                        ..f
                    },
                )
            })
            .collect();
        // "Previous" pages: the same cursors, walked backwards.
        let backwards: Vec<(String, ConcernFilter)> = filters
            .iter()
            .filter_map(|(n, f)| {
                let cursor = f.after.clone()?;
                Some((
                    n.replace("after", "before"),
                    ConcernFilter {
                        after: None,
                        before: Some(cursor),
                        ..f.clone()
                    },
                ))
            })
            .collect();
        let filters: Vec<(&str, ConcernFilter)> = filters
            .into_iter()
            .chain(backwards.iter().map(|(n, f)| (n.as_str(), f.clone())))
            .collect();
        for (fname, f) in &filters {
            named(
                &mut out,
                format!("concern counts ({sname}, {fname})"),
                Some({
                    let (sql, w, _) = crate::concern::stream_counts_sql(scope, f);
                    (sql, w)
                }),
            );
            named(
                &mut out,
                format!("concern list open ({sname}, {fname})"),
                crate::concern::open_sql(scope, f, i.now, 26),
            );
            if f.before.is_none() {
                named(
                    &mut out,
                    format!("concern list open and counts ({sname}, {fname})"),
                    crate::concern::counted_open_sql(scope, f, i.now, 26)
                        .map(|(sql, w, _)| (sql, w)),
                );
            }
            for (stream_name, stream) in [
                ("running", Stream::Running),
                ("paused", Stream::Paused),
                ("decided", Stream::Decided),
            ] {
                let before = out.len();
                named(
                    &mut out,
                    format!("concern list {stream_name} ({sname}, {fname})"),
                    crate::concern::stream_sql(stream, scope, f, i.now, 26, 50),
                );
                if stream == Stream::Decided && out.len() > before {
                    mark_custom(&mut out);
                }
                named(
                    &mut out,
                    format!("concern count {stream_name} ({sname}, {fname})"),
                    crate::concern::stream_count_sql(stream, scope, f),
                );
                named(
                    &mut out,
                    format!("concern positions {stream_name} ({sname}, {fname})"),
                    crate::concern::open_keys_sql(stream, scope, f, i.now, 76),
                );
            }
        }
        named(
            &mut out,
            format!("dashboard counts ({sname})"),
            Some(crate::concern::triage_counts_sql(
                scope,
                i.now,
                i.now + 12 * h,
            )),
        );
        // The dashboard's three urgent lists: immediate danger, overdue, due soon.
        let urgent = [
            ConcernFilter {
                danger: true,
                ..filter(i.now, None, None, None)
            },
            filter(i.now, None, Some(DueFilter::Overdue), None),
            filter(i.now, None, Some(DueFilter::DueSoon), None),
        ];
        named(
            &mut out,
            format!("dashboard urgent ({sname})"),
            crate::concern::open_each_sql(scope, &urgent),
        );
        named(
            &mut out,
            format!("dashboard ({sname})"),
            crate::concern::dashboard_sql(scope, &urgent, i.now, i.now + 12 * h),
        );
        mark_generic(&mut out[concern_queries..]);
        for (fname, f) in [
            ("plain", filter(i.now, None, None, None)),
            (
                "channel and period",
                ConcernFilter {
                    channel: Some("hotline".into()),
                    received_from: Some(i.now - 90 * 24 * h),
                    received_to: Some(i.now),
                    ..filter(i.now, None, None, None)
                },
            ),
        ] {
            let f = ConcernFilter {
                planned_for_values: i.backend == crate::Backend::Postgres,
                ..f
            };
            let f = ConcernFilter { offset: 50, ..f };
            // A cursor a month back: a page deep in the list.
            let month_back = crate::concern::ReceivedCursor {
                received_at: i.now - 30 * 24 * h,
                case_number: "2026-00001".into(),
            };
            for (place, at) in [
                ("page 3", crate::concern::ReceivedAt::Offset),
                (
                    "after a cursor",
                    crate::concern::ReceivedAt::After(month_back.clone()),
                ),
                (
                    "before a cursor",
                    crate::concern::ReceivedAt::Before(month_back),
                ),
            ] {
                let (page, _) = crate::concern::received_sql(scope, &f, 25, &at);
                named(
                    &mut out,
                    format!("concern list by receipt ({sname}, {fname}, {place})"),
                    Some(page),
                );
                mark_custom(&mut out);
            }
            let at = crate::concern::ReceivedAt::Offset;
            let (_, (count, cw)) = crate::concern::received_sql(scope, &f, 25, &at);
            named(
                &mut out,
                format!("concern count by receipt ({sname}, {fname})"),
                Some((count, cw)),
            );
            mark_custom(&mut out);
        }
        let ((list, w), (count, cw)) = crate::triage::meetings_sql(scope, 25, 0);
        named(&mut out, format!("meeting list ({sname})"), Some((list, w)));
        named(
            &mut out,
            format!("meeting count ({sname})"),
            Some((count, cw)),
        );
    }
    for (sname, scope) in [
        ("all", CourseScope::All),
        ("agency", CourseScope::Agency(i.agency)),
        ("mentor", CourseScope::Mentor(i.mentor_user)),
    ] {
        for (status, order) in [
            (None, Order::Descending),
            (Some("active"), Order::Descending),
            (Some("completed"), Order::Descending),
            (None, Order::Ascending),
        ] {
            let filter = crate::course::CourseFilter {
                status: status.map(String::from),
                kind: Some("mentor".into()),
                order,
                ..Default::default()
            };
            for stream in crate::course::CourseStream::ALL {
                let st = status.unwrap_or("any");
                let o = order.code();
                // Planned as `list_courses` runs them: for their values under a
                // scope or filter and for the ended stream, else once.
                let by_values = crate::course::plans_for_values(scope, filter.narrowed())
                    || stream == crate::course::CourseStream::Ended;
                let before = out.len();
                named(
                    &mut out,
                    format!("course list {stream:?} ({sname}, {st}, {o})"),
                    crate::course::course_page_sql(stream, scope, &filter, 25, 0),
                );
                named(
                    &mut out,
                    format!("course list {stream:?} with counts ({sname}, {st}, {o})"),
                    crate::course::counted_course_page_sql(stream, scope, &filter, 26),
                );
                named(
                    &mut out,
                    format!("course list {stream:?} by page number ({sname}, {st}, {o})"),
                    crate::course::course_page_sql(stream, scope, &filter, 25, 50),
                );
                // The counts run in the list's mode, planned for their
                // values once a page starts in the ended stream: both.
                let counts_at = out.len();
                for how in ["", " planned for values"] {
                    named(
                        &mut out,
                        format!("course count {stream:?} ({sname}, {st}, {o}){how}"),
                        crate::course::course_count_sql(stream, scope, &filter),
                    );
                }
                let listwide = if crate::course::plans_for_values(scope, filter.narrowed()) {
                    PlanMode::Custom
                } else {
                    PlanMode::Generic
                };
                for (q, plan) in out[counts_at..]
                    .iter_mut()
                    .zip([listwide, PlanMode::Custom])
                {
                    q.plan = plan;
                }
                // The next page, after a cursor in this stream.
                let after = crate::course::CourseFilter {
                    after: Some(crate::course::CourseCursor::in_stream(stream, i.record)),
                    ..filter.clone()
                };
                named(
                    &mut out,
                    format!("course list {stream:?} after a cursor ({sname}, {st}, {o})"),
                    crate::course::course_page_sql(stream, scope, &after, 25, 0),
                );
                for q in out[before..]
                    .iter_mut()
                    .filter(|q| q.plan == PlanMode::Auto)
                {
                    q.plan = if by_values {
                        PlanMode::Custom
                    } else {
                        PlanMode::Generic
                    };
                }
            }
        }
        // The worklist: a planned read.
        let worklist = out.len();
        named(
            &mut out,
            format!("follow-up worklist ({sname})"),
            Some(crate::follow_up::open_follow_ups_sql(
                scope,
                ("9999-12-31", Some("risk")),
                (Order::Ascending, None),
                101,
            )),
        );
        named(
            &mut out,
            format!("follow-up worklist after ({sname})"),
            Some(crate::follow_up::open_follow_ups_sql(
                scope,
                ("9999-12-31", None),
                (Order::Ascending, Some(("2026-01-01", i.record))),
                101,
            )),
        );
        named(
            &mut out,
            format!("follow-up worklist latest first after ({sname})"),
            Some(crate::follow_up::open_follow_ups_sql(
                scope,
                ("9999-12-31", Some("occupation")),
                (Order::Descending, Some(("2027-01-01", i.record))),
                101,
            )),
        );
        mark_generic(&mut out[worklist..]);
    }
    for (fname, f) in [
        (
            "record",
            AuditFilter {
                record_id: Some(i.record),
                ..Default::default()
            },
        ),
        (
            "actor",
            AuditFilter {
                actor_id: Some(i.actor),
                ..Default::default()
            },
        ),
        (
            "older",
            AuditFilter {
                before_seq: Some(1_000),
                ..Default::default()
            },
        ),
        (
            "action",
            AuditFilter {
                action: Some("concern.read".into()),
                ..Default::default()
            },
        ),
        (
            "oldest first",
            AuditFilter {
                order: Order::Ascending,
                after_seq: Some(1_000),
                ..Default::default()
            },
        ),
        (
            "actor oldest first",
            AuditFilter {
                actor_id: Some(i.actor),
                order: Order::Ascending,
                ..Default::default()
            },
        ),
        (
            "period oldest first",
            AuditFilter {
                from_at: Some(i.now - 30 * 24 * h),
                to_at: Some(i.now - 20 * 24 * h),
                order: Order::Ascending,
                ..Default::default()
            },
        ),
        (
            "period",
            AuditFilter {
                from_at: Some(i.now - 30 * 24 * h),
                to_at: Some(i.now - 20 * 24 * h),
                ..Default::default()
            },
        ),
    ] {
        named(
            &mut out,
            format!("audit list ({fname})"),
            Some(crate::audit::list_sql(&f, 100)),
        );
        mark_custom(&mut out);
    }
    named(
        &mut out,
        "concern rows by id".into(),
        Some(crate::concern::rows_by_id_sql(&[i.record, i.actor])),
    );
    // The search box: every kind of query under every scope.
    let queries = [
        ("case number", SearchQuery::parse("K-2026-0042")),
        ("birth", SearchQuery::parse("05.04.2009")),
        ("one name word", SearchQuery::parse("Ha")),
        ("two name words", SearchQuery::parse("Søren Hansen")),
    ];
    for (qname, q) in queries {
        let Ok(q) = q else { continue };
        // The rarity probe of each name word, as `search::rarest_first`
        // runs it before the search.
        if let SearchQuery::Name(words) = &q {
            for (n, word) in words.iter().enumerate() {
                named(
                    &mut out,
                    format!("search probe {qname} ({n})"),
                    Some(crate::search::probe_sql(word)),
                );
            }
        }
        for (sname, scope) in [
            ("all", ConcernScope::All),
            ("agency", ConcernScope::OnAgendaOfAgency(i.agency)),
        ] {
            named(
                &mut out,
                format!("search concerns {qname} ({sname})"),
                crate::search::concerns_sql(&q, scope, 50),
            );
        }
        for (sname, scope) in [
            ("all", CourseScope::All),
            ("agency", CourseScope::Agency(i.agency)),
            ("mentor", CourseScope::Mentor(i.mentor_user)),
        ] {
            named(
                &mut out,
                format!("search courses {qname} ({sname})"),
                crate::search::courses_sql(&q, scope, 50),
            );
        }
    }
    // The activity register: newest first, by kind, by status and period.
    for (fname, f) in [
        ("plain", crate::activity::ActivityFilter::default()),
        (
            "kind",
            crate::activity::ActivityFilter {
                kind: Some("workshop".into()),
                ..Default::default()
            },
        ),
        (
            "status and period, after",
            crate::activity::ActivityFilter {
                status: Some("held".into()),
                from: Some("2025-01-01".into()),
                to: Some("2025-12-31".into()),
                after: Some(("2025-06-01".into(), i.record)),
                ..Default::default()
            },
        ),
    ] {
        named(
            &mut out,
            format!("activity list ({fname})"),
            Some(crate::activity::list_sql(&f, 51)),
        );
    }
    // The key-figure report: a period's fact sums.
    let day = |us: i64| {
        crate::instant(us)
            .map(vink_domain::concern::local_date)
            .unwrap_or_default()
    };
    let (from, to) = (day(i.now - 400 * 24 * h), day(i.now));
    // What the mirror of the folded facts does not hold (its watermark a
    // parameter: a generic plan), and its catch-up.
    let report = out.len();
    named(
        &mut out,
        "key-figure sums".into(),
        Some(crate::fact::period_statement(
            i.backend,
            &crate::fact::period_stretches(from, to),
            i.fact_watermark,
        )),
    );
    let period = vink_domain::metrics::Period { from, to };
    named(
        &mut out,
        "key-figure report".into(),
        Some(crate::fact::period_statement(
            i.backend,
            &crate::fact::report_stretches(&period, period.previous().as_ref()),
            i.fact_watermark,
        )),
    );
    let mut w = Conditions::default();
    w.param(Bind::I64(i.fact_watermark));
    named(
        &mut out,
        "key-figure mirror catch-up".into(),
        Some((crate::fact::mirror::catch_up_sql(i.backend), w)),
    );
    mark_generic(&mut out[report..]);
    // The retention job's next batch (cutoff a year back, 100 at a time).
    let mut w = Conditions::default();
    w.param(Bind::I64(i.now - 365 * 24 * h));
    w.param(Bind::I64(100));
    named(
        &mut out,
        "retention due".into(),
        Some((crate::retention::due_sql(), w)),
    );
    // The reminder job's next follow-ups (a due date a week ahead, a batch).
    let mut w = Conditions::default();
    w.param(Bind::Text(day(i.now + 7 * 24 * h).to_string()));
    w.param(Bind::I64(500));
    named(
        &mut out,
        "reminder due follow-ups".into(),
        Some((crate::reminder::due_follow_ups_sql().to_string(), w)),
    );
    // The per-person access report over three records (binds: limit, bound,
    // records).
    if let Some(sql) = crate::audit::for_records_sql(3) {
        let mut w = Conditions::default();
        w.param(Bind::I64(100));
        w.param(Bind::I64(i64::MAX));
        for _ in 0..3 {
            w.param(Bind::Uuid(i.record));
        }
        named(&mut out, "audit per person".into(), Some((sql, w)));
    }
    out
}

fn filter(
    now: i64,
    status: Option<&str>,
    due: Option<DueFilter>,
    after: Option<ListCursor>,
) -> ConcernFilter {
    ConcernFilter {
        danger: false,
        channel: None,
        received_from: None,
        received_to: None,
        status: status.map(String::from),
        due,
        now,
        soon_until: now + 12 * 3_600_000_000,
        limit: 26,
        offset: 0,
        after,
        before: None,
        planned_for_values: false,
    }
}

/// Plans the transaction's statements once on PostgreSQL, not for each
/// request's values: for the open concerns' lists and counts, the dashboard
/// and the key-figure report, whose plans do not depend on the values
/// (ranges of small partial indexes, small rollups). Custom planning cost
/// 0.2 ms a statement, half of a list's time in the database (on M over
/// HTTP: the list at 16 connections 730–815 → 980–1 070 requests/s).
/// [`explain`] checks these generic plans. SQLite plans every statement as
/// given.
///
/// A read that plans once from its start takes [`crate::Db::begin_read_planned`]
/// instead: the same setting, sent with its `BEGIN`.
pub async fn generic_plans(tx: &mut Tx) -> Result<()> {
    plan_cache_mode(tx, GENERIC).await
}

/// Plans the transaction's next statements for their values again: before
/// a page of a large table (the decided concerns, all concerns by receipt),
/// whose generic plan cannot see the page's `LIMIT`, estimates a tenth of
/// the table, and chose a parallel scan, a sort and JIT on M (page 50 of the
/// list: 111 ms instead of 2.9 ms).
pub async fn custom_plans(tx: &mut Tx) -> Result<()> {
    plan_cache_mode(tx, CUSTOM).await
}

/// The `plan_cache_mode` values the store sets.
pub(crate) const GENERIC: &str = "force_generic_plan";
pub(crate) const CUSTOM: &str = "force_custom_plan";
pub(crate) const AUTO: &str = "auto";

/// A `BEGIN` that sets the transaction's `plan_cache_mode` (one simple
/// query of two statements, one round trip), with the mode it sets: the
/// transaction remembers it ([`crate::KeyedTx`]'s `plans`), so the text
/// and the mode remembered cannot disagree.
pub(crate) struct PlannedBegin {
    pub(crate) sql: &'static str,
    pub(crate) plans: &'static str,
}

/// The `BEGIN` of [`crate::Db::begin_read_custom`].
pub(crate) const BEGIN_CUSTOM: PlannedBegin = PlannedBegin {
    sql: "BEGIN; SET LOCAL plan_cache_mode = force_custom_plan",
    plans: CUSTOM,
};
/// The `BEGIN` of a write and of a plain read ([`crate::Db::begin`],
/// [`crate::Db::begin_read`]): PostgreSQL's own choice, where a
/// connection's session plans once (see [`crate::Db::connect`]).
pub(crate) const BEGIN_AUTO: PlannedBegin = PlannedBegin {
    sql: "BEGIN; SET LOCAL plan_cache_mode = auto",
    plans: AUTO,
};

/// Sets the transaction's `plan_cache_mode`, unless it is known to be set
/// so already (by its `BEGIN`, or an earlier call): a function that needs a
/// mode asks for it whatever its caller began with, and pays a round trip
/// only when the mode changes.
async fn plan_cache_mode(tx: &mut Tx, mode: &'static str) -> Result<()> {
    if let Tx::Pg(t) = tx {
        if t.plans == Some(mode) {
            return Ok(());
        }
        t.set_local(&format!("SET LOCAL plan_cache_mode = {mode}"))
            .await?;
        t.plans = Some(mode);
    }
    Ok(())
}

/// The indexes a list may walk from its start: each is partial (open
/// concerns, open follow-ups) or read under a LIMIT in its own order.
const ORDERED: &[&str] = &[
    "concerns_running",
    "concerns_paused",
    "concerns_decided",
    // The order of receipt, read under a LIMIT (count capped).
    "concerns_received",
    // The retention job: concerns decided without action, oldest first,
    // under a LIMIT.
    "concerns_retention",
    "follow_ups_open",
    "meetings_date_id",
    "courses_active_order",
    "courses_planned_order",
    "courses_ended_key",
    "courses_agency_active",
    "courses_agency_planned",
    "courses_agency_ended_key",
    // The activity register, newest first (all, or of one kind).
    "activities_held",
    "activities_kind_held",
];

/// Tables small by nature (a few dozen rows at national scale).
const SMALL: &[&str] = &[
    "agencies",
    "meeting_agencies",
    "users",
    "corps_members",
    "audit_head",
    // 64 striped rows on PostgreSQL, one on SQLite (migration 0026).
    "concern_tally",
    // A list's page, already picked from an index.
    "page",
    // A count stopped at its cap (`LIMIT`), over an index.
    "capped",
    // The search's rarity probe: index ranges stopped at its cap.
    "probe",
];

/// Where a sort is by design: a mentor's course list starts from their own
/// courses (bounded by their caseload) and sorts that set, never the table;
/// the per-person audit report reads at most `limit` rows per record from
/// the `(record_id, seq)` index (subqueries `r0`, `r1`, …) and merges them;
/// the key figures' generic plan groups the rollup rows of a kind over a
/// range of months or years (bounded by the catalogue's codes and the
/// calendar, never by people or cases).
fn sort_by_design(query: &str) -> bool {
    query.starts_with("course list") && query.contains("(mentor,")
        || query == "audit per person"
        || query.starts_with("key-figure")
}

/// `SCAN r0`: a bounded subquery's rows (already limited in index order);
/// `SCAN page_keys`: a list page's keys, picked by their index under the
/// page's `LIMIT` (a page by number past the first).
/// `SCAN u0`, `SCAN u1`, `SCAN open_merge`: the open page's two branches,
/// each its stream's first rows under a `LIMIT`, and their merge; and the
/// dashboard's two counts (one row each) read as one statement, alone or
/// beside its urgent rows.
fn scans_bounded_subquery(query: &str, l: &str) -> bool {
    let numbered = |prefix: &str| {
        l.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    query == "audit per person" && numbered("SCAN r")
        || l == "SCAN page_keys"
        || merges_open_heads(query) && (numbered("SCAN u") || l == "SCAN open_merge")
        // The dashboard's counts: a row per stream (`uN`) summed (`n`) into
        // one row, which the whole dashboard reads beside its urgent rows
        // (`k`).
        || (query.starts_with("dashboard counts ") || query.starts_with("dashboard ("))
            && (numbered("SCAN u") || l == "SCAN n")
        || query.starts_with("dashboard (") && l == "SCAN k"
}

/// The open page's merge (`concern::open_sql`): its two branches' first
/// rows, each already limited in index order, sorted together by list key.
/// A sort of at most twice the page, never of a stream.
fn merges_open_heads(query: &str) -> bool {
    query.starts_with("concern list open ")
        || query.starts_with("dashboard urgent ")
        || query.starts_with("dashboard (")
}

/// Whether the sort at `plan[i]` is the open page's merge of bounded rows:
/// on PostgreSQL a `Sort` over `Subquery Scan on uN` over a `Limit`; on
/// SQLite the ORDER BY's temporary B-tree right after `SCAN open_merge`. A
/// branch that sorted its own stream would show its sort elsewhere (under
/// the branch's `Limit`, after the branch's own scan) and stays a violation.
fn sorts_bounded_merge(query: &str, plan: &[String], i: usize, postgres: bool) -> bool {
    if !merges_open_heads(query) {
        return false;
    }
    let line = |j: usize| {
        plan.get(j)
            .map(|l| l.trim_start().trim_start_matches("->").trim())
    };
    if postgres {
        let mut below = (i + 1..plan.len())
            .filter_map(line)
            .filter(|l| !l.starts_with("Sort Key"));
        below
            .next()
            .and_then(|l| l.strip_prefix("Subquery Scan on u"))
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            && below.next().is_some_and(|l| l.starts_with("Limit "))
    } else {
        i > 0 && line(i - 1) == Some("SCAN open_merge")
    }
}

/// The lines of a plan that scan or sort a large table (or walk an index
/// out of the list's order), by the rules above: what the plan test fails
/// on and what `bench/plans.rs` flags on a national-scale set.
pub fn violations(query: &str, plan: &[String], backend: crate::Backend) -> Vec<String> {
    let postgres = backend == crate::Backend::Postgres;
    let keyed = sort_by_design(query);
    plan.iter()
        .enumerate()
        .filter(|(i, line)| {
            let l = line.trim_start().trim_start_matches("->").trim();
            let keyed = keyed || sorts_bounded_merge(query, plan, *i, postgres);
            if postgres {
                (l.starts_with("Seq Scan on ")
                    && !SMALL
                        .iter()
                        .any(|t| l.starts_with(&format!("Seq Scan on {t} "))))
                    // A Sort node; "Sort Key:" lines also detail a Merge
                    // Append of index-ordered inputs.
                    || !keyed
                        && ((l.starts_with("Sort ") && !l.starts_with("Sort Key"))
                            || l.starts_with("Incremental Sort "))
            } else {
                let walks_unordered = l.starts_with("SCAN ")
                    && l.contains(" USING INDEX ")
                    && !ORDERED
                        .iter()
                        .any(|i| l.ends_with(&format!(" USING INDEX {i}")));
                walks_unordered
                    || (l.starts_with("SCAN ") && !l.contains(" USING "))
                        && !SMALL.iter().any(|t| l == format!("SCAN {t}"))
                        && !scans_bounded_subquery(query, l)
                        // A SELECT without FROM (the combined counts).
                        && l != "SCAN CONSTANT ROW"
                    || (!keyed
                        && (l.starts_with("USE TEMP B-TREE FOR ORDER BY")
                            || l.starts_with("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY")))
            }
        })
        .map(|(_, line)| line.clone())
        .collect()
}

/// How [`explain_with`] lets PostgreSQL plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planner {
    /// Sequential scans and sorts switched off, the generic plan: whether an
    /// index *can* serve the query. What CI checks on a small generated set,
    /// where the planner's own costs would rightly prefer scans.
    IndexesOnly,
    /// PostgreSQL's own costs, one plan for any values: what *will* run
    /// in a planned read, or in `auto` mode after five runs. Meaningful on a
    /// national-scale set only (`bench/plans.rs`): it is how a plan that an
    /// index could serve but the planner does not choose shows (deep pages
    /// in session 12).
    Generic,
    /// PostgreSQL's own costs, planned for the values.
    Custom,
}

/// The query's plan, one line a step, with scans and sorts switched off
/// (on PostgreSQL its generic plan).
pub async fn explain(tx: &mut Tx, q: &NamedQuery) -> Result<Vec<String>> {
    explain_with(tx, q, Planner::IndexesOnly).await
}

/// Runs the query planned as `planner` says (on PostgreSQL; [`Planner::IndexesOnly`]
/// runs the generic plan) and returns how many rows it gave: what
/// `bench/plans.rs` times.
pub async fn run(tx: &mut Tx, q: &NamedQuery, planner: Planner) -> Result<usize> {
    if planner == Planner::Custom {
        custom_plans(tx).await?;
    } else {
        generic_plans(tx).await?;
    }
    Ok(crate::on!(tx, |c| bind_query(
        sqlx::query(sqlx::AssertSqlSafe(q.sql.as_str())),
        &q.binds
    )
    .fetch_all(c)
    .await?
    .len()))
}

/// The query's plan, one line a step, planned as `planner` says.
pub async fn explain_with(tx: &mut Tx, q: &NamedQuery, planner: Planner) -> Result<Vec<String>> {
    match tx {
        Tx::Sqlite(t) => {
            let sql = format!("EXPLAIN QUERY PLAN {}", q.sql);
            let rows: Vec<(i64, i64, i64, String)> =
                bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &q.binds)
                    .fetch_all(&mut **t)
                    .await?;
            Ok(rows.into_iter().map(|r| r.3).collect())
        }
        Tx::Pg(t) => {
            let on = planner != Planner::IndexesOnly;
            // Neither scans nor sorts where an index can serve: what is left
            // in the plan is what no index can do. (As run: the planner's
            // own choice.)
            let scans = if on { "on" } else { "off" };
            // The generic plan, as a read that plans once
            // (`generic_plans`) runs it: prepared, then explained at
            // execution with every parameter unknown to the planner; or
            // planned for the values, when asked.
            let mode = if planner == Planner::Custom {
                CUSTOM
            } else {
                GENERIC
            };
            t.set_local(&format!(
                "SET LOCAL enable_seqscan = {scans}; SET LOCAL enable_sort = {scans}; \
                 SET LOCAL plan_cache_mode = {mode}"
            ))
            .await?;
            t.plans = Some(mode);
            let types = q
                .binds
                .iter()
                .map(|b| match b {
                    Bind::I64(_) | Bind::OptI64(_) => "bigint",
                    Bind::Text(_) | Bind::OptText(_) => "text",
                    Bind::Uuid(_) | Bind::OptUuid(_) => "uuid",
                    Bind::Bool(_) => "boolean",
                })
                .collect::<Vec<_>>()
                .join(", ");
            let prepare = if types.is_empty() {
                format!("PREPARE vink_plan AS {}", q.sql)
            } else {
                format!("PREPARE vink_plan({types}) AS {}", q.sql)
            };
            sqlx::query(sqlx::AssertSqlSafe(prepare))
                .persistent(false)
                .execute(&mut **t)
                .await?;
            // EXECUTE takes no protocol parameters: its arguments as
            // literals (test values; the generic plan never reads them).
            let literal = |b: &Bind| match b {
                Bind::I64(n) | Bind::OptI64(Some(n)) => n.to_string(),
                Bind::Text(s) | Bind::OptText(Some(s)) => format!("'{}'", s.replace('\'', "''")),
                Bind::Uuid(u) | Bind::OptUuid(Some(u)) => format!("'{u}'"),
                Bind::Bool(b) => b.to_string(),
                Bind::OptI64(None) | Bind::OptText(None) | Bind::OptUuid(None) => "NULL".into(),
            };
            let args = q.binds.iter().map(literal).collect::<Vec<_>>().join(", ");
            let sql = if args.is_empty() {
                "EXPLAIN EXECUTE vink_plan".to_string()
            } else {
                format!("EXPLAIN EXECUTE vink_plan({args})")
            };
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .persistent(false)
                .fetch_all(&mut **t)
                .await?;
            sqlx::query("DEALLOCATE vink_plan")
                .persistent(false)
                .execute(&mut **t)
                .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::violations;
    use crate::Backend;

    fn lines(plan: &[&str]) -> Vec<String> {
        plan.iter().map(|l| l.to_string()).collect()
    }

    /// The open page's merge sorts at most twice a page; a branch that
    /// sorted its whole stream, or the same shape elsewhere, is still caught.
    #[test]
    fn only_the_open_pages_merge_of_limited_branches_may_sort() {
        let merge = lines(&[
            "Subquery Scan on page  (cost=1..2 rows=1 width=1)",
            "  ->  Limit  (cost=1..2 rows=1 width=1)",
            "        ->  Merge Append  (cost=1..2 rows=2 width=1)",
            "              Sort Key: c.triage_deadline_at, c.case_number",
            "              ->  Sort  (cost=1..2 rows=1 width=1)",
            "                    Sort Key: u1.list_key, u1.case_number",
            "                    ->  Subquery Scan on u1  (cost=1..2 rows=1 width=1)",
            "                          ->  Limit  (cost=1..2 rows=1 width=1)",
            "                                ->  Index Scan using concerns_paused on concerns c_1",
        ]);
        let open = "concern list open (all, plain)";
        assert!(violations(open, &merge, Backend::Postgres).is_empty());
        assert_eq!(
            violations(
                "concern list running (all, plain)",
                &merge,
                Backend::Postgres
            )
            .len(),
            1
        );
        let branch_sorts = lines(&[
            "Subquery Scan on page  (cost=1..2 rows=1 width=1)",
            "  ->  Limit  (cost=1..2 rows=1 width=1)",
            "        ->  Sort  (cost=1..2 rows=1 width=1)",
            "              Sort Key: c.triage_deadline_at",
            "              ->  Index Scan using concerns_received on concerns c",
        ]);
        assert_eq!(violations(open, &branch_sorts, Backend::Postgres).len(), 1);

        let sqlite_merge = lines(&[
            "CO-ROUTINE u0",
            "SCAN c USING INDEX concerns_running",
            "SCAN u0",
            "SCAN open_merge",
            "USE TEMP B-TREE FOR ORDER BY",
        ]);
        assert!(violations(open, &sqlite_merge, Backend::Sqlite).is_empty());
        let sqlite_branch_sorts = lines(&[
            "CO-ROUTINE u0",
            "SCAN c USING INDEX concerns_running",
            "USE TEMP B-TREE FOR ORDER BY",
            "SCAN u0",
            "SCAN open_merge",
        ]);
        assert_eq!(
            violations(open, &sqlite_branch_sorts, Backend::Sqlite),
            vec!["USE TEMP B-TREE FOR ORDER BY".to_string()]
        );
    }
}
