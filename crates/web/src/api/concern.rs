//! `/api/v1/concerns`: intake, list and detail.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vink_app::concern::{self as uc, ConcernDetail, ConcernPage, Created, ListQuery};
use vink_domain::concern::ConcernDraft;

use super::extract::{ApiJson, ApiQuery, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Register a concern.
#[utoipa::path(post, path = "/api/v1/concerns", tag = "concerns",
    request_body = ConcernDraft,
    responses(
        (status = 201, description = "Registered; committed before this answer", body = Created),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(draft): ApiJson<ConcernDraft>,
) -> Result<Response, ApiError> {
    let created = uc::create(&s.app, &actor, &draft).await?;
    let location = format!("/api/v1/concerns/{}", created.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

/// List concerns the caller may read, open ones first by triage deadline.
#[utoipa::path(get, path = "/api/v1/concerns", tag = "concerns",
    params(ListQuery),
    responses((status = 200, body = ConcernPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ConcernPage>, ApiError> {
    Ok(Json(uc::list(&s.app, &actor, &q).await?))
}

/// Read one concern with persons, link suggestions and timeline. Audited.
#[utoipa::path(get, path = "/api/v1/concerns/{id}", tag = "concerns",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ConcernDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ConcernDetail>, ApiError> {
    Ok(Json(uc::get(&s.app, &actor, path_id(&id)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// The person record now on the concern.
    #[schema(required = true)]
    pub from: Uuid,
    /// The existing record to link instead (from the suggestions).
    #[schema(required = true)]
    pub to: Uuid,
}

/// Link a person on the concern to an existing person record (a suggested match).
#[utoipa::path(post, path = "/api/v1/concerns/{id}/link-person", tag = "concerns",
    params(("id" = Uuid, Path)), request_body = LinkInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link_person(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LinkInput>,
) -> Result<StatusCode, ApiError> {
    uc::link_person(&s.app, &actor, path_id(&id)?, input.from, input.to).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Two person records that are different people.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistinctInput {
    /// The person record on the concern.
    #[schema(required = true)]
    pub person: Uuid,
    /// The suggested record that is someone else.
    #[schema(required = true)]
    pub other: Uuid,
}

/// Record that a suggested match is not the same person; it is not suggested again.
#[utoipa::path(post, path = "/api/v1/concerns/{id}/distinct-persons", tag = "concerns",
    params(("id" = Uuid, Path)), request_body = DistinctInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn distinct_persons(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DistinctInput>,
) -> Result<StatusCode, ApiError> {
    uc::mark_distinct(&s.app, &actor, path_id(&id)?, input.person, input.other).await?;
    Ok(StatusCode::NO_CONTENT)
}
