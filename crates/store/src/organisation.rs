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
