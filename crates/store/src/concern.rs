//! Concerns: insert, read, the scoped and filtered list, and the history.

use uuid::Uuid;
use vink_domain::policy::ConcernScope;

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

// Parameters: $1 all-scope flag, $2 agency for agenda scope, $3 status, $4 due
// filter code, $5 now, $6 end of the due-soon window.
const LIST_WHERE: &str = "
 WHERE ($1 OR EXISTS (SELECT 1 FROM agenda_items ai JOIN meeting_agencies ma ON ma.meeting_id = ai.meeting_id
                      WHERE ai.concern_id = c.id AND ma.agency_id = $2))
   AND ($3 IS NULL OR c.status = $3)
   AND ($4 IS NULL
        OR ($4 = 'overdue' AND c.decided_at IS NULL
            AND ((c.paused_at IS NULL AND c.triage_deadline_at < $5)
                 OR (c.paused_at IS NOT NULL AND c.triage_deadline_at < c.paused_at)))
        OR ($4 = 'due_soon' AND c.decided_at IS NULL AND c.paused_at IS NULL
            AND c.triage_deadline_at >= $5 AND c.triage_deadline_at <= $6))";

/// The one encoding of a concern scope as SQL parameters: (all, agency).
pub(crate) fn scope_params(scope: ConcernScope) -> (bool, Option<Uuid>) {
    match scope {
        ConcernScope::All => (true, None),
        ConcernScope::OnAgendaOfAgency(a) => (false, Some(a)),
        // An agency id that cannot exist: nothing matches.
        ConcernScope::Nothing => (false, Some(Uuid::nil())),
    }
}

fn due_code(d: Option<DueFilter>) -> Option<&'static str> {
    d.map(|d| match d {
        DueFilter::Overdue => "overdue",
        DueFilter::DueSoon => "due_soon",
    })
}

/// One page of concerns, open ones first by effective deadline (a paused
/// clock's deadline moves with the pause), then decided ones newest first.
pub async fn list_concerns(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
) -> Result<(Vec<ConcernListRow>, i64)> {
    let (all, agency) = scope_params(scope);
    let due = due_code(f.due);
    // The page is chosen first (sort keys only), and the per-row subqueries run
    // for its rows alone: the cost stays flat however deep the page, whatever
    // the planner's statistics say.
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
                           THEN c.triage_deadline_at + CASE WHEN c.paused_at IS NULL THEN 0 ELSE $5 - c.paused_at END
                           ELSE -c.decided_at END AS k2
               FROM concerns c {LIST_WHERE}
               ORDER BY k1, k2, c.case_number
               LIMIT $7 OFFSET $8) page
         ORDER BY page.k1, page.k2, page.case_number"
    );
    let rows = on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(all)
        .bind(agency)
        .bind(&f.status)
        .bind(due)
        .bind(f.now)
        .bind(f.soon_until)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(c)
        .await?);
    let count_sql = format!("SELECT COUNT(*) FROM concerns c {LIST_WHERE}");
    let total: i64 = on!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(
        count_sql.as_str()
    ))
    .bind(all)
    .bind(agency)
    .bind(&f.status)
    .bind(due)
    .bind(f.now)
    .bind(f.soon_until)
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
    let (all, agency) = scope_params(scope);
    let sql = format!(
        "SELECT
           COALESCE(SUM(CASE WHEN c.status = 'received' THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL AND ((c.paused_at IS NULL AND c.triage_deadline_at < $5)
                 OR (c.paused_at IS NOT NULL AND c.triage_deadline_at < c.paused_at)) THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL AND c.paused_at IS NULL AND c.triage_deadline_at >= $5
                 AND c.triage_deadline_at <= $6 THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN c.decided_at IS NULL AND c.paused_at IS NOT NULL THEN 1 ELSE 0 END), 0)
         FROM concerns c {LIST_WHERE}"
    );
    let (new, open, overdue, due_soon, paused): (i64, i64, i64, i64, i64) =
        on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(all)
            .bind(agency)
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(now)
            .bind(soon_until)
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
