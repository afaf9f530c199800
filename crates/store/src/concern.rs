//! Concerns: insert, read, the scoped and filtered list, and the history.

use uuid::Uuid;
use vink_domain::policy::ConcernScope;

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, Tx, on};

/// The full stored concern.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConcernRow {
    pub id: Uuid,
    pub case_number: String,
    pub receipt: Option<String>,
    pub channel: String,
    pub received_at: i64,
    pub reporter_kind: String,
    pub reporter_organisation: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_contact: Option<String>,
    pub description: String,
    pub immediate_danger: bool,
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub triage_deadline_at: i64,
    pub paused_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub created_by: Option<Uuid>,
}

const CONCERN_COLS: &str = "id, case_number, receipt, channel, received_at, reporter_kind, reporter_organisation, reporter_name, reporter_contact, description, immediate_danger, status, decision, programme_kind, triage_deadline_at, paused_at, decided_at, created_at, created_by";

/// Next number in a named sequence (e.g. case numbers per year). The upsert
/// locks the counter row on PostgreSQL; SQLite has one writer.
pub async fn next_counter(tx: &mut Tx, name: &str) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, 1)
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value"
    )
    .bind(name)
    .fetch_one(c)
    .await?))
}

pub async fn insert_concern(tx: &mut Authorized, r: &ConcernRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO concerns ({CONCERN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    );
    on!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(r.id)
        .bind(&r.case_number)
        .bind(&r.receipt)
        .bind(&r.channel)
        .bind(r.received_at)
        .bind(&r.reporter_kind)
        .bind(&r.reporter_organisation)
        .bind(&r.reporter_name)
        .bind(&r.reporter_contact)
        .bind(&r.description)
        .bind(r.immediate_danger)
        .bind(&r.status)
        .bind(&r.decision)
        .bind(&r.programme_kind)
        .bind(r.triage_deadline_at)
        .bind(r.paused_at)
        .bind(r.decided_at)
        .bind(r.created_at)
        .bind(r.created_by)
        .execute(c)
        .await?
        .rows_affected());
    Ok(())
}

pub async fn concern(tx: &mut Tx, id: Uuid) -> Result<Option<ConcernRow>> {
    let sql = format!("SELECT {CONCERN_COLS} FROM concerns WHERE id = $1");
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// The agencies attending meetings that have this concern on the agenda: the
/// fact the policy needs to decide a coordination-unit member's access.
pub async fn agenda_agencies(tx: &mut Tx, concern_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT DISTINCT ma.agency_id FROM agenda_items ai
         JOIN meeting_agencies ma ON ma.meeting_id = ai.meeting_id WHERE ai.concern_id = $1"
    )
    .bind(concern_id)
    .fetch_all(c)
    .await?))
}

/// Which slice of the triage clock a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    Overdue,
    /// Open, running, and due within the window.
    DueSoon,
}

#[derive(Debug, Clone)]
pub struct ConcernFilter {
    pub status: Option<String>,
    pub due: Option<DueFilter>,
    pub now: i64,
    pub soon_until: i64,
    pub limit: i64,
    pub offset: i64,
}

/// A concern as a list shows it: no description, no reporter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConcernListRow {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub received_at: i64,
    pub status: String,
    pub decision: Option<String>,
    pub immediate_danger: bool,
    pub triage_deadline_at: i64,
    pub paused_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub first_person: Option<String>,
    pub person_count: i64,
}

/// The list's conditions: the policy scope, the status and the due filter,
/// each in the SQL only when set. With `with_now`, `$1` is now (the sort key
/// of a paused clock moves with it).
fn list_conditions(scope: ConcernScope, f: &ConcernFilter, with_now: bool) -> Conditions {
    let mut w = Conditions::default();
    let now = if with_now {
        Some(w.param(Bind::I64(f.now)))
    } else {
        None
    };
    w.concern_scope(scope, "c");
    if let Some(s) = &f.status {
        let p = w.param(Bind::Text(s.clone()));
        w.push(format!("c.status = {p}"));
    }
    match f.due {
        None => {}
        Some(DueFilter::Overdue) => {
            let now = now.unwrap_or_else(|| w.param(Bind::I64(f.now)));
            w.push(format!(
                "c.decided_at IS NULL AND ((c.paused_at IS NULL AND c.triage_deadline_at < {now})
                  OR (c.paused_at IS NOT NULL AND c.triage_deadline_at < c.paused_at))"
            ));
        }
        Some(DueFilter::DueSoon) => {
            let now = now.unwrap_or_else(|| w.param(Bind::I64(f.now)));
            let until = w.param(Bind::I64(f.soon_until));
            w.push(format!(
                "c.decided_at IS NULL AND c.paused_at IS NULL
                 AND c.triage_deadline_at >= {now} AND c.triage_deadline_at <= {until}"
            ));
        }
    }
    w
}

/// One page of concerns, open ones first by effective deadline (a paused
/// clock's deadline moves with the pause), then decided ones newest first.
pub async fn list_concerns(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
) -> Result<(Vec<ConcernListRow>, i64)> {
    // The page is chosen first (sort keys only), and the per-row subqueries run
    // for its rows alone: the cost stays flat however deep the page, whatever
    // the planner's statistics say.
    let mut w = list_conditions(scope, f, true);
    let limit = w.param(Bind::I64(f.limit));
    let offset = w.param(Bind::I64(f.offset));
    let sql = format!(
        "SELECT page.id, page.case_number, page.channel, page.received_at, page.status, page.decision,
                page.immediate_danger, page.triage_deadline_at, page.paused_at, page.decided_at,
                (SELECT p.name FROM concern_persons cp JOIN persons p ON p.id = cp.person_id
                  WHERE cp.concern_id = page.id ORDER BY cp.position LIMIT 1) AS first_person,
                (SELECT COUNT(*) FROM concern_persons cp WHERE cp.concern_id = page.id) AS person_count
         FROM (SELECT c.id, c.case_number, c.channel, c.received_at, c.status, c.decision, c.immediate_danger,
                      c.triage_deadline_at, c.paused_at, c.decided_at,
                      CASE WHEN c.decided_at IS NULL THEN 0 ELSE 1 END AS k1,
                      CASE WHEN c.decided_at IS NULL
                           THEN c.triage_deadline_at + CASE WHEN c.paused_at IS NULL THEN 0 ELSE $1 - c.paused_at END
                           ELSE -c.decided_at END AS k2
               FROM concerns c{where_clause}
               ORDER BY k1, k2, c.case_number
               LIMIT {limit} OFFSET {offset}) page
         ORDER BY page.k1, page.k2, page.case_number",
        where_clause = w.where_clause()
    );
    let rows = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let w = list_conditions(scope, f, false);
    let count_sql = format!("SELECT COUNT(*) FROM concerns c{}", w.where_clause());
    let (total,): (i64,) = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(count_sql.as_str())),
        &w.binds
    )
    .fetch_one(c)
    .await?);
    Ok((rows, total))
}

/// The dashboard's triage counts within a scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TriageCounts {
    pub new: i64,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub paused: i64,
}

pub async fn triage_counts(
    tx: &mut Tx,
    scope: ConcernScope,
    now: i64,
    soon_until: i64,
) -> Result<TriageCounts> {
    let mut w = Conditions::default();
    let now = w.param(Bind::I64(now));
    let until = w.param(Bind::I64(soon_until));
    w.concern_scope(scope, "c");
    let sql = format!(
        "SELECT
           COALESCE(SUM(CASE WHEN c.status = 'received' THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL AND ((c.paused_at IS NULL AND c.triage_deadline_at < {now})
                 OR (c.paused_at IS NOT NULL AND c.triage_deadline_at < c.paused_at)) THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL AND c.paused_at IS NULL AND c.triage_deadline_at >= {now}
                 AND c.triage_deadline_at <= {until} THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL AND c.paused_at IS NOT NULL THEN 1 ELSE 0 END), 0)
         FROM concerns c{}",
        w.where_clause()
    );
    let (new, open, overdue, due_soon, paused): (i64, i64, i64, i64, i64) = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_one(c)
    .await?);
    Ok(TriageCounts {
        new,
        open,
        overdue,
        due_soon,
        paused,
    })
}

/// One entry of a concern's history (its timeline).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub concern_id: Uuid,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
}

pub async fn insert_event(tx: &mut Authorized, e: &EventRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO concern_events (id, concern_id, at, actor_id, kind, from_status, to_status, decision, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(e.id)
    .bind(e.concern_id)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(&e.kind)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .bind(&e.decision)
    .bind(&e.reason)
    .execute(c).await?.rows_affected()
    });
    Ok(())
}

/// The history with the acting user's display name, oldest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineRow {
    pub at: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub actor_name: Option<String>,
}

pub async fn timeline(tx: &mut Tx, concern_id: Uuid) -> Result<Vec<TimelineRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT e.at, e.kind, e.from_status, e.to_status, e.decision, e.reason, u.display_name AS actor_name
         FROM concern_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.concern_id = $1 ORDER BY e.at, e.id"
    )
    .bind(concern_id)
    .fetch_all(c)
    .await?
    }))
}

pub async fn count_concerns(tx: &mut Tx) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM concerns"
    )
    .fetch_one(c)
    .await?))
}
