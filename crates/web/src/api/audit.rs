//! `/api/v1/audit`: the audit log, for auditors.

use axum::Json;
use axum::extract::State;
use vink_app::audit::{self as uc, AuditEntry, AuditQuery};

use super::extract::{ApiQuery, ErrorBody};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Audit rows, newest first. Reading them is audited too.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(uc::list(&s.app, &actor, &q).await?))
}
