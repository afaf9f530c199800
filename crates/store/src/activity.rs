//! Activities with their participant counts and partner organisations.

use uuid::Uuid;

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: Uuid,
    pub kind: String,
    pub held_on: String,
    pub status: String,
    pub title: String,
    pub focus_area: String,
    pub prevention_level: Option<String>,
    pub district: Option<String>,
    pub agency_id: Uuid,
    pub created_at: i64,
    pub created_by: Option<Uuid>,
    pub updated_at: i64,
}

const COLS: &str = "id, kind, held_on, status, title, focus_area, prevention_level, district, agency_id, created_at, created_by, updated_at";

/// What hangs on an activity: counts per target group, partner organisations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityParts {
    pub participants: Vec<(String, i64)>,
    pub organisations: Vec<Uuid>,
    /// Corps members who attended (theme days and network meetings).
    pub corps_members: Vec<Uuid>,
}

pub async fn insert_activity(
    tx: &mut Authorized,
    r: &ActivityRow,
    parts: &ActivityParts,
) -> Result<()> {
    on!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO activities ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(r.id)
    .bind(&r.kind)
    .bind(&r.held_on)
    .bind(&r.status)
    .bind(&r.title)
    .bind(&r.focus_area)
    .bind(&r.prevention_level)
    .bind(&r.district)
    .bind(r.agency_id)
    .bind(r.created_at)
    .bind(r.created_by)
    .bind(r.updated_at)
    .execute(c)
    .await?
    .rows_affected());
    insert_parts(tx, r.id, parts).await
}

/// Replaces an activity's fields and parts.
pub async fn update_activity(
    tx: &mut Authorized,
    r: &ActivityRow,
    parts: &ActivityParts,
) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "UPDATE activities SET kind = $2, held_on = $3, status = $4, title = $5, focus_area = $6,
                prevention_level = $7, district = $8, agency_id = $9, updated_at = $10 WHERE id = $1"
    )
    .bind(r.id)
    .bind(&r.kind)
    .bind(&r.held_on)
    .bind(&r.status)
    .bind(&r.title)
    .bind(&r.focus_area)
    .bind(&r.prevention_level)
    .bind(&r.district)
    .bind(r.agency_id)
    .bind(r.updated_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    for table in [
        "activity_participants",
        "activity_organisations",
        "activity_corps_members",
    ] {
        on!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE activity_id = $1"
        )))
        .bind(r.id)
        .execute(c)
        .await?
        .rows_affected());
    }
    insert_parts(tx, r.id, parts).await
}

async fn insert_parts(tx: &mut Tx, id: Uuid, parts: &ActivityParts) -> Result<()> {
    for (group, n) in &parts.participants {
        on!(tx, |c| sqlx::query(
            "INSERT INTO activity_participants (activity_id, target_group, n) VALUES ($1, $2, $3)"
        )
        .bind(id)
        .bind(group)
        .bind(*n)
        .execute(c)
        .await?
        .rows_affected());
    }
    for member in &parts.corps_members {
        on!(tx, |c| sqlx::query(
            "INSERT INTO activity_corps_members (activity_id, corps_member_id) VALUES ($1, $2)"
        )
        .bind(id)
        .bind(*member)
        .execute(c)
        .await?
        .rows_affected());
    }
    for org in &parts.organisations {
        on!(tx, |c| sqlx::query(
            "INSERT INTO activity_organisations (activity_id, organisation_id) VALUES ($1, $2)"
        )
        .bind(id)
        .bind(*org)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(())
}

/// One activity with its parts.
pub async fn activity(tx: &mut Tx, id: Uuid) -> Result<Option<(ActivityRow, ActivityParts)>> {
    let row: Option<ActivityRow> = on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM activities WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?);
    let Some(row) = row else { return Ok(None) };
    let participants: Vec<(String, i64)> = on!(tx, |c| sqlx::query_as(
        "SELECT target_group, n FROM activity_participants WHERE activity_id = $1"
    )
    .bind(id)
    .fetch_all(c)
    .await?);
    let organisations: Vec<(Uuid,)> = on!(tx, |c| sqlx::query_as(
        "SELECT organisation_id FROM activity_organisations WHERE activity_id = $1"
    )
    .bind(id)
    .fetch_all(c)
    .await?);
    let corps: Vec<(Uuid,)> = on!(tx, |c| sqlx::query_as(
        "SELECT corps_member_id FROM activity_corps_members WHERE activity_id = $1"
    )
    .bind(id)
    .fetch_all(c)
    .await?);
    Ok(Some((
        row,
        ActivityParts {
            participants,
            organisations: organisations.into_iter().map(|(o,)| o).collect(),
            corps_members: corps.into_iter().map(|(m,)| m).collect(),
        },
    )))
}

/// What the activity list is filtered by.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Held on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Held on or before this day.
    pub to: Option<String>,
    /// Continue after this `(held_on, id)` (newest first).
    pub after: Option<(String, Uuid)>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityListRow {
    pub id: Uuid,
    pub kind: String,
    pub held_on: String,
    pub status: String,
    pub title: String,
    pub focus_area: String,
    pub district: Option<String>,
    /// Participants over every target group.
    pub participants: i64,
}

/// The list's SQL: newest first over `(held_on, id)`, or `(kind, held_on,
/// id)` when filtered by kind; the rest are residual conditions on the walk.
pub(crate) fn list_sql(f: &ActivityFilter, limit: i64) -> (String, Conditions) {
    let mut w = Conditions::default();
    if let Some(k) = &f.kind {
        let p = w.param(Bind::Text(k.clone()));
        w.push(format!("a.kind = {p}"));
    }
    if let Some(s) = &f.status {
        let p = w.param(Bind::Text(s.clone()));
        w.push(format!("a.status = {p}"));
    }
    if let Some(d) = &f.from {
        let p = w.param(Bind::Text(d.clone()));
        w.push(format!("a.held_on >= {p}"));
    }
    if let Some(d) = &f.to {
        let p = w.param(Bind::Text(d.clone()));
        w.push(format!("a.held_on <= {p}"));
    }
    if let Some((d, id)) = &f.after {
        let pd = w.param(Bind::Text(d.clone()));
        let pi = w.param(Bind::Uuid(*id));
        w.push(format!("(a.held_on, a.id) < ({pd}, {pi})"));
    }
    let l = w.param(Bind::I64(limit));
    let order = if f.kind.is_some() {
        "a.kind DESC, a.held_on DESC, a.id DESC"
    } else {
        "a.held_on DESC, a.id DESC"
    };
    let sql = format!(
        "SELECT a.id, a.kind, a.held_on, a.status, a.title, a.focus_area, a.district,
                CAST(COALESCE((SELECT SUM(p.n) FROM activity_participants p WHERE p.activity_id = a.id), 0) AS BIGINT) AS participants
         FROM activities a{} ORDER BY {order} LIMIT {l}",
        w.where_clause()
    );
    (sql, w)
}

pub async fn list_activities(
    tx: &mut Tx,
    f: &ActivityFilter,
    limit: i64,
) -> Result<Vec<ActivityListRow>> {
    let (sql, w) = list_sql(f, limit);
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}

/// A held theme day or network meeting a corps member attended.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttendedRow {
    pub id: Uuid,
    pub kind: String,
    pub held_on: String,
    pub title: String,
}

/// What a corps member attended, latest first.
pub async fn attended(tx: &mut Tx, member: Uuid) -> Result<Vec<AttendedRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT a.id, a.kind, a.held_on, a.title FROM activity_corps_members m
           JOIN activities a ON a.id = m.activity_id
          WHERE m.corps_member_id = $1 AND a.status = 'held'
          ORDER BY a.held_on DESC, a.id DESC LIMIT 200"
    )
    .bind(member)
    .fetch_all(c)
    .await?))
}
