//! Triage storage: the concern's status and clock columns, and the
//! coordination unit's meetings, attendance and agenda.

use uuid::Uuid;
use vink_domain::policy::ConcernScope;

use crate::sealed;
use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, Tx, on};

/// Writes a concern's status, decision and clock after a checked transition.
#[derive(Debug, Clone)]
pub struct TriageUpdate {
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub triage_deadline_at: i64,
    pub paused_at: Option<i64>,
    pub decided_at: Option<i64>,
}

pub async fn update_triage(tx: &mut Authorized, concern_id: Uuid, u: &TriageUpdate) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "UPDATE concerns SET status = $1, decision = $2, programme_kind = $3, triage_deadline_at = $4,
                paused_at = $5, decided_at = $6 WHERE id = $7"
    )
    .bind(&u.status)
    .bind(&u.decision)
    .bind(&u.programme_kind)
    .bind(u.triage_deadline_at)
    .bind(u.paused_at)
    .bind(u.decided_at)
    .bind(concern_id)
    .execute(c).await?.rows_affected()
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingRow {
    pub id: Uuid,
    pub meeting_date: String,
    pub minutes: Option<String>,
    pub created_at: i64,
    pub created_by: Option<Uuid>,
}

pub async fn insert_meeting(tx: &mut Authorized, m: &MeetingRow, agencies: &[Uuid]) -> Result<()> {
    let minutes = sealed::seal_opt(
        crate::AsTx::as_tx(tx),
        "meetings.minutes",
        &m.id.to_string(),
        m.minutes.as_deref(),
    )?;
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO meetings (id, meeting_date, minutes, created_at, created_by) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(m.id)
    .bind(&m.meeting_date)
    .bind(&minutes)
    .bind(m.created_at)
    .bind(m.created_by)
    .execute(c).await?.rows_affected()
    });
    for a in agencies {
        on!(tx, |c| sqlx::query(
            "INSERT INTO meeting_agencies (meeting_id, agency_id) VALUES ($1, $2)"
        )
        .bind(m.id)
        .bind(a)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(())
}

pub async fn meeting(tx: &mut Tx, id: Uuid) -> Result<Option<MeetingRow>> {
    let mut row: Option<MeetingRow> = on!(tx, |c| sqlx::query_as(
        "SELECT id, meeting_date, minutes, created_at, created_by FROM meetings WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?);
    if let Some(m) = row.as_mut() {
        sealed::open_opt(tx, "meetings.minutes", &m.id.to_string(), &mut m.minutes)?;
    }
    Ok(row)
}

pub async fn attending(tx: &mut Tx, meeting_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT agency_id FROM meeting_agencies WHERE meeting_id = $1"
    )
    .bind(meeting_id)
    .fetch_all(c)
    .await?))
}

/// A meeting in a list, with the size of its agenda: counts the meeting
/// carries, kept by triggers in the transaction of every agenda change and
/// every decision or reopening (migration 0030).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingListRow {
    pub id: Uuid,
    pub meeting_date: String,
    pub agenda_count: i64,
    pub decided_count: i64,
}

/// Meetings in scope, newest first.
pub async fn list_meetings(
    tx: &mut Tx,
    scope: ConcernScope,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MeetingListRow>, i64)> {
    let ((sql, page), (count_sql, w)) = meetings_sql(scope, limit, offset);
    let rows = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &page.binds
    )
    .fetch_all(c)
    .await?);
    let (total,): (i64,) = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(count_sql.as_str())),
        &w.binds
    )
    .fetch_one(c)
    .await?);
    Ok((rows, total))
}

/// The meeting list's SQL and its count's.
pub(crate) fn meetings_sql(
    scope: ConcernScope,
    limit: i64,
    offset: i64,
) -> ((String, Conditions), (String, Conditions)) {
    let mut w = Conditions::default();
    w.meeting_scope(scope, "m");
    let mut page = Conditions::default();
    page.binds = w.binds.clone();
    let (l, o) = (page.param(Bind::I64(limit)), page.param(Bind::I64(offset)));
    let sql = format!(
        "SELECT m.id, m.meeting_date, m.agenda_count, m.decided_count
         FROM meetings m{} ORDER BY m.meeting_date DESC, m.id DESC LIMIT {l} OFFSET {o}",
        w.where_clause()
    );
    let count_sql = format!("SELECT COUNT(*) FROM meetings m{}", w.where_clause());
    ((sql, page), (count_sql, w))
}

pub async fn set_minutes(
    tx: &mut Authorized,
    meeting_id: Uuid,
    minutes: Option<&str>,
) -> Result<()> {
    let minutes = sealed::seal_opt(
        crate::AsTx::as_tx(tx),
        "meetings.minutes",
        &meeting_id.to_string(),
        minutes,
    )?;
    on!(tx, |c| sqlx::query(
        "UPDATE meetings SET minutes = $1 WHERE id = $2"
    )
    .bind(&minutes)
    .bind(meeting_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Puts a concern on the agenda at the end; false when it is already there.
pub async fn add_agenda_item(
    tx: &mut Authorized,
    meeting_id: Uuid,
    concern_id: Uuid,
) -> Result<bool> {
    let n: i64 = on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM agenda_items WHERE meeting_id = $1 AND concern_id = $2"
    )
    .bind(meeting_id)
    .bind(concern_id)
    .fetch_one(c)
    .await?);
    if n > 0 {
        return Ok(false);
    }
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO agenda_items (meeting_id, concern_id, position)
         VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM agenda_items WHERE meeting_id = $1))"
    )
    .bind(meeting_id)
    .bind(concern_id)
    .execute(c).await?.rows_affected()
    });
    Ok(true)
}

/// An agenda item with what a member may see of its concern.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgendaRow {
    pub concern_id: Uuid,
    pub position: i64,
    pub case_number: String,
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub recommendation: Option<String>,
    pub acting_agency_id: Option<Uuid>,
    pub acting_agency_name: Option<String>,
    pub recorded_at: Option<i64>,
    pub first_person: Option<String>,
    pub person_count: i64,
    pub description: String,
    pub triage_deadline_at: i64,
    pub paused_at: Option<i64>,
    pub decided_at: Option<i64>,
}

pub async fn agenda(tx: &mut Tx, meeting_id: Uuid) -> Result<Vec<AgendaRow>> {
    let mut rows: Vec<AgendaRow> = on!(tx, |c| {
        sqlx::query_as(
        "SELECT ai.concern_id, ai.position, c.case_number, c.status, c.decision, c.programme_kind,
                ai.recommendation, ai.acting_agency_id, a.name AS acting_agency_name, ai.recorded_at,
                (SELECT p.name FROM persons p WHERE p.id = c.first_person_id) AS first_person,
                c.person_count,
                c.description, c.triage_deadline_at, c.paused_at, c.decided_at
         FROM agenda_items ai JOIN concerns c ON c.id = ai.concern_id
         LEFT JOIN agencies a ON a.id = ai.acting_agency_id
         WHERE ai.meeting_id = $1 ORDER BY ai.position"
    )
    .bind(meeting_id)
    .fetch_all(c)
    .await?
    });
    for r in &mut rows {
        let id = r.concern_id.to_string();
        sealed::open_in(tx, "concerns.description", &id, &mut r.description)?;
        sealed::open_opt(
            tx,
            "agenda_items.recommendation",
            &format!("{meeting_id}/{id}"),
            &mut r.recommendation,
        )?;
    }
    Ok(rows)
}

/// Records the unit's recommendation on an agenda item; false when no such item.
/// Records the unit's recommendation on an agenda item, once: false when the
/// item does not exist or already has one (the caller tells which).
pub async fn set_recommendation(
    tx: &mut Authorized,
    meeting_id: Uuid,
    concern_id: Uuid,
    recommendation: &str,
    acting_agency_id: Option<Uuid>,
    at: i64,
    by: Option<Uuid>,
) -> Result<bool> {
    let recommendation = sealed::seal(
        crate::AsTx::as_tx(tx),
        "agenda_items.recommendation",
        &format!("{meeting_id}/{concern_id}"),
        recommendation,
    )?;
    Ok(on!(tx, |c| {
        sqlx::query(
        "UPDATE agenda_items SET recommendation = $1, acting_agency_id = $2, recorded_at = $3, recorded_by = $4
         WHERE meeting_id = $5 AND concern_id = $6 AND recommendation IS NULL"
    )
    .bind(&recommendation)
    .bind(acting_agency_id)
    .bind(at)
    .bind(by)
    .bind(meeting_id)
    .bind(concern_id)
    .execute(c)
    .await?
    .rows_affected()
    }) > 0)
}

/// Agency names by id for showing attendance.
pub async fn agencies_of_meeting(
    tx: &mut Tx,
    meeting_id: Uuid,
) -> Result<Vec<crate::organisation::Agency>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT a.id, a.code, a.name FROM meeting_agencies ma JOIN agencies a ON a.id = ma.agency_id
         WHERE ma.meeting_id = $1 ORDER BY a.name"
    )
    .bind(meeting_id)
    .fetch_all(c)
    .await?
    }))
}

/// The authority the unit named to act on a concern, from its latest recorded
/// recommendation: what a course started from the decision is pre-filled with.
pub async fn acting_agency(tx: &mut Tx, concern_id: Uuid) -> Result<Option<Uuid>> {
    let row: Option<(Option<Uuid>,)> = on!(tx, |c| {
        sqlx::query_as(
        "SELECT acting_agency_id FROM agenda_items WHERE concern_id = $1 AND acting_agency_id IS NOT NULL
         ORDER BY recorded_at DESC LIMIT 1"
    )
    .bind(concern_id)
    .fetch_optional(c)
    .await?
    });
    Ok(row.and_then(|r| r.0))
}

/// Whether a concern is on a meeting's agenda, and whether its recommendation
/// is already recorded.
pub async fn agenda_item_state(
    tx: &mut Tx,
    meeting_id: Uuid,
    concern_id: Uuid,
) -> Result<Option<bool>> {
    let rec: Option<Option<String>> = on!(tx, |c| sqlx::query_scalar(
        "SELECT recommendation FROM agenda_items WHERE meeting_id = $1 AND concern_id = $2"
    )
    .bind(meeting_id)
    .bind(concern_id)
    .fetch_optional(c)
    .await?);
    Ok(rec.map(|r| r.is_some()))
}
