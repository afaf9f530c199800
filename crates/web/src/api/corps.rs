//! The corps of mentors and parent coaches: members, profiles, training.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::corps::{
    self as corps_uc, CorpsMemberInput, CorpsMemberView, CorpsProfile, TrainingInput,
};

use super::course::{NewId, created};
use super::extract::{ApiJson, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// The corps.
#[utoipa::path(get, path = "/api/v1/corps", tag = "corps",
    responses((status = 200, body = Vec<CorpsMemberView>), (status = 403, body = ErrorBody)))]
pub async fn corps(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<CorpsMemberView>>, ApiError> {
    Ok(Json(corps_uc::list(&s.app, &a, None).await?))
}

/// Add a corps member.
#[utoipa::path(post, path = "/api/v1/corps", tag = "corps", request_body = CorpsMemberInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<CorpsMemberInput>,
) -> Result<Response, ApiError> {
    let id = corps_uc::create(&s.app, &a, &input).await?;
    Ok(created(format!("/api/v1/corps/{id}"), id))
}

/// A corps member's profile and training.
#[utoipa::path(get, path = "/api/v1/corps/{id}", tag = "corps", params(("id" = Uuid, Path)),
    responses((status = 200, body = CorpsProfile), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn member(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CorpsProfile>, ApiError> {
    Ok(Json(corps_uc::get(&s.app, &a, path_id(&id)?).await?))
}

/// Record training or theme-day attendance.
#[utoipa::path(post, path = "/api/v1/corps/{id}/training", tag = "corps", params(("id" = Uuid, Path)),
    request_body = TrainingInput, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn training(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TrainingInput>,
) -> Result<StatusCode, ApiError> {
    corps_uc::add_training(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
