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

pub async fn agency_by_code(tx: &mut Tx, code: &str) -> Result<Option<Agency>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, code, name FROM agencies WHERE code = $1"
    )
    .bind(code)
    .fetch_optional(c)
    .await?))
}
