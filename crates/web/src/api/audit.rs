//! `/api/v1/audit`: the audit log, for auditors.

use axum::Json;
use axum::extract::{Path, State};
use vink_app::audit::{self as uc, AuditEntry, AuditQuery, PersonAccess, PersonAccessQuery};

use super::extract::{ApiQuery, ErrorBody, path_id};
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

/// Every audit row about one person's concerns and courses, newest first,
/// with the actor's agency: the auditor's per-person access report. Paged by
/// `before_seq`. The report is audited with the person as its record.
#[utoipa::path(get, path = "/api/v1/audit/persons/{id}", tag = "audit",
    params(("id" = uuid::Uuid, Path, description = "The person"), PersonAccessQuery),
    responses((status = 200, body = PersonAccess), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn person(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PersonAccessQuery>,
) -> Result<Json<PersonAccess>, ApiError> {
    Ok(Json(
        uc::person_access(&s.app, &actor, path_id(&id)?, &q).await?,
    ))
}
