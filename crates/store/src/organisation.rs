//! Agencies: the organisations in the coordination unit.

use uuid::Uuid;

use crate::{Result, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Agency {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

pub async fn list_agencies(tx: &mut Tx) -> Result<Vec<Agency>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, code, name FROM agencies ORDER BY name"
    )
    .fetch_all(c)
    .await?))
}

/// The one agency lookup: trims the code, and answers `None` for anything
/// that cannot be a code (so stray bytes never reach the database).
pub async fn agency_by_code(tx: &mut Tx, code: &str) -> Result<Option<Agency>> {
    let code = code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Ok(None);
    }
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, code, name FROM agencies WHERE code = $1"
    )
    .bind(code)
    .fetch_optional(c)
    .await?))
}

pub async fn agency_by_id(tx: &mut Tx, id: Uuid) -> Result<Option<Agency>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, code, name FROM agencies WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// A civil-society organisation or local institution.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrganisationRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub district: Option<String>,
    pub cvr: Option<String>,
    pub created_at: i64,
}

pub async fn insert_organisation(tx: &mut crate::Authorized, o: &OrganisationRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO organisations (id, name, kind, district, cvr, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(o.id)
    .bind(&o.name)
    .bind(&o.kind)
    .bind(&o.district)
    .bind(&o.cvr)
    .bind(o.created_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn organisation(tx: &mut Tx, id: Uuid) -> Result<Option<OrganisationRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, name, kind, district, cvr, created_at FROM organisations WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// Organisations by name, a page at a time (after `(name, id)`).
pub async fn list_organisations(
    tx: &mut Tx,
    after: Option<(&str, Uuid)>,
    limit: i64,
) -> Result<Vec<OrganisationRow>> {
    let cols = "id, name, kind, district, cvr, created_at";
    Ok(match after {
        None => on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {cols} FROM organisations ORDER BY name, id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(c)
        .await?),
        Some((name, id)) => on!(tx, |c| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {cols} FROM organisations WHERE (name, id) > ($1, $2) ORDER BY name, id LIMIT $3"
        )))
        .bind(name)
        .bind(id)
        .bind(limit)
        .fetch_all(c)
        .await?
        }),
    })
}

/// Of `ids`, those that name an organisation.
pub async fn existing_organisations(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let hit: Option<(Uuid,)> = on!(tx, |c| sqlx::query_as(
            "SELECT id FROM organisations WHERE id = $1"
        )
        .bind(*id)
        .fetch_optional(c)
        .await?);
        found.extend(hit.map(|(i,)| i));
    }
    Ok(found)
}

/// Names of organisations by id (for an activity's partners).
pub async fn organisation_names(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let hit: Option<(Uuid, String)> = on!(tx, |c| sqlx::query_as(
            "SELECT id, name FROM organisations WHERE id = $1"
        )
        .bind(*id)
        .fetch_optional(c)
        .await?);
        out.extend(hit);
    }
    Ok(out)
}

/// An organisation's citizen-forum membership: `(from, to)`.
pub async fn forum_membership(tx: &mut Tx, org: Uuid) -> Result<Option<(String, Option<String>)>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT from_on, to_on FROM forum_memberships WHERE organisation_id = $1"
    )
    .bind(org)
    .fetch_optional(c)
    .await?))
}

/// Sets (replaces) an organisation's membership.
pub async fn set_forum_membership(
    tx: &mut crate::Authorized,
    org: Uuid,
    from: &str,
    to: Option<&str>,
) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO forum_memberships (organisation_id, from_on, to_on) VALUES ($1, $2, $3)
         ON CONFLICT (organisation_id) DO UPDATE SET from_on = excluded.from_on, to_on = excluded.to_on"
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// A capacity-building engagement with an institution.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EngagementRow {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub from_on: String,
    pub to_on: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

pub async fn insert_engagement(tx: &mut crate::Authorized, e: &EngagementRow) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "INSERT INTO capacity_building (id, organisation_id, from_on, to_on, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(e.id)
    .bind(e.organisation_id)
    .bind(&e.from_on)
    .bind(&e.to_on)
    .bind(&e.note)
    .bind(e.created_at)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// An organisation's engagements, latest first.
pub async fn engagements(tx: &mut Tx, org: Uuid) -> Result<Vec<EngagementRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, organisation_id, from_on, to_on, note, created_at FROM capacity_building
         WHERE organisation_id = $1 ORDER BY from_on DESC, id DESC"
    )
    .bind(org)
    .fetch_all(c)
    .await?))
}

/// Distinct institutions with an engagement running on some day of
/// `[from, to]`: a few dozen a year, read from their start-day index.
pub async fn institutions_engaged(tx: &mut Tx, from: &str, to: &str) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(DISTINCT organisation_id) FROM capacity_building
         WHERE from_on <= $2 AND (to_on IS NULL OR to_on >= $1)"
    )
    .bind(from)
    .bind(to)
    .fetch_one(c)
    .await?))
}
