//! `/api/v1/concerns/{id}/…` triage moves and `/api/v1/meetings`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vink_app::triage::{
    self as uc, DecisionInput, MeetingDetail, MeetingInput, MeetingPage, MinutesInput, ReasonInput,
    RecommendationInput, TransitionInput, TriageState,
};

use super::extract::{ApiJson, ApiQuery, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Move a concern along `received → screening → before_unit → decided`.
#[utoipa::path(post, path = "/api/v1/concerns/{id}/transitions", tag = "triage",
    params(("id" = Uuid, Path)), request_body = TransitionInput,
    responses((status = 200, body = TriageState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not an edge of the state machine", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> Result<Json<TriageState>, ApiError> {
    Ok(Json(
        uc::transition(&s.app, &actor, path_id(&id)?, &input).await?,
    ))
}

/// Record the decision (`to` = `decided`); stops the triage clock.
#[utoipa::path(post, path = "/api/v1/concerns/{id}/decision", tag = "triage",
    params(("id" = Uuid, Path)), request_body = DecisionInput,
    responses((status = 200, body = TriageState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<Json<TriageState>, ApiError> {
    Ok(Json(
        uc::transition(&s.app, &actor, path_id(&id)?, &input.into()).await?,
    ))
}

/// Pause the triage clock (reason required).
#[utoipa::path(post, path = "/api/v1/concerns/{id}/pause", tag = "triage",
    params(("id" = Uuid, Path)), request_body = ReasonInput,
    responses((status = 200, body = TriageState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pause(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> Result<Json<TriageState>, ApiError> {
    Ok(Json(
        uc::pause(&s.app, &actor, path_id(&id)?, &input).await?,
    ))
}

/// Resume the triage clock; the paused time moves the deadline.
#[utoipa::path(post, path = "/api/v1/concerns/{id}/resume", tag = "triage",
    params(("id" = Uuid, Path)), request_body = ReasonInput,
    responses((status = 200, body = TriageState), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> Result<Json<TriageState>, ApiError> {
    Ok(Json(
        uc::resume(&s.app, &actor, path_id(&id)?, &input).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number from 1, within the first 10 000 rows.
    pub page: Option<i64>,
    /// Items per page, at most 100 (default 25).
    pub per_page: Option<i64>,
}

/// List meetings the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "meetings", params(PageQuery),
    responses((status = 200, body = MeetingPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_meetings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<MeetingPage>, ApiError> {
    let page = uc::list_meetings(
        &s.app,
        &actor,
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(25),
    )
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedId {
    pub id: Uuid,
}

/// Plan a coordination-unit meeting.
#[utoipa::path(post, path = "/api/v1/meetings", tag = "meetings", request_body = MeetingInput,
    responses((status = 201, body = CreatedId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_meeting(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<MeetingInput>,
) -> Result<Response, ApiError> {
    let id = uc::create_meeting(&s.app, &actor, &input).await?;
    let location = format!("/api/v1/meetings/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(CreatedId { id }),
    )
        .into_response())
}

/// Read a meeting with its attendance and agenda.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_meeting(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<MeetingDetail>, ApiError> {
    Ok(Json(uc::get_meeting(&s.app, &actor, path_id(&id)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaInput {
    #[schema(required = true)]
    pub concern_id: Uuid,
}

/// Put a concern on the agenda (a concern in screening moves to before_unit).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/agenda", tag = "meetings", params(("id" = Uuid, Path)),
    request_body = AgendaInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_to_agenda(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AgendaInput>,
) -> Result<StatusCode, ApiError> {
    uc::add_to_agenda(&s.app, &actor, path_id(&id)?, input.concern_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record the unit's recommendation for a concern on the agenda, and who acts.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/agenda/{concern_id}/recommendation", tag = "meetings",
    params(("id" = Uuid, Path), ("concern_id" = Uuid, Path)), request_body = RecommendationInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn recommend(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, concern_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<RecommendationInput>,
) -> Result<StatusCode, ApiError> {
    uc::record_recommendation(&s.app, &actor, path_id(&id)?, path_id(&concern_id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record or replace the minutes.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/minutes", tag = "meetings", params(("id" = Uuid, Path)),
    request_body = MinutesInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn minutes(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MinutesInput>,
) -> Result<StatusCode, ApiError> {
    uc::set_minutes(&s.app, &actor, path_id(&id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
