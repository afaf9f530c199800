//! `/api/v1/courses`, `/api/v1/corps`, `/api/v1/follow-ups`, `/api/v1/outcomes`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_app::corps::CorpsMemberView;
use vink_app::course::{
    self as uc, AssessmentInput, ConsentInput, ConsentWithdrawalInput, ContactInput, CourseDetail,
    CourseInput, CoursePage, CourseQuery, CourseTransitionInput, GoalInput,
};

use super::extract::{ApiJson, ApiQuery, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct NewId {
    pub id: Uuid,
}

pub(super) fn created(location: String, id: Uuid) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(NewId { id }),
    )
        .into_response()
}

/// Plan a course: from a founded concern (person, kind and agency pre-filled) or directly with a reason.
#[utoipa::path(post, path = "/api/v1/courses", tag = "courses", request_body = CourseInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<CourseInput>,
) -> Result<Response, ApiError> {
    let id = uc::create(&s.app, &a, &input).await?;
    Ok(created(format!("/api/v1/courses/{id}"), id))
}

/// Courses in the caller's scope (all, the agency's, or a mentor's own).
#[utoipa::path(get, path = "/api/v1/courses", tag = "courses", params(CourseQuery),
    responses((status = 200, body = CoursePage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<CourseQuery>,
) -> Result<Json<CoursePage>, ApiError> {
    Ok(Json(uc::list(&s.app, &a, &q).await?))
}

/// One course: plan, contacts, assessments, follow-ups, timeline. Audited.
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = Uuid, Path)),
    responses((status = 200, body = CourseDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CourseDetail>, ApiError> {
    Ok(Json(uc::get(&s.app, &a, path_id(&id)?).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    pub status: String,
}

/// `planned → active → completed | discontinued`; completion schedules the follow-ups.
#[utoipa::path(post, path = "/api/v1/courses/{id}/transitions", tag = "courses", params(("id" = Uuid, Path)),
    request_body = CourseTransitionInput,
    responses((status = 200, body = StatusOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CourseTransitionInput>,
) -> Result<Json<StatusOut>, ApiError> {
    Ok(Json(StatusOut {
        status: uc::transition(&s.app, &a, path_id(&id)?, &input).await?,
    }))
}

/// Record consent (and a guardian's, for a minor).
#[utoipa::path(put, path = "/api/v1/courses/{id}/consent", tag = "courses", params(("id" = Uuid, Path)),
    request_body = ConsentInput, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn consent(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> Result<StatusCode, ApiError> {
    uc::record_consent(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record that consent was withdrawn. A running course is discontinued that day.
#[utoipa::path(post, path = "/api/v1/courses/{id}/consent/withdrawal", tag = "courses", params(("id" = Uuid, Path)),
    request_body = ConsentWithdrawalInput, responses((status = 200, body = StatusOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw_consent(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConsentWithdrawalInput>,
) -> Result<Json<StatusOut>, ApiError> {
    let status = uc::withdraw_consent(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(Json(StatusOut { status }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    pub corps_member_id: Option<Uuid>,
}

/// Assign a corps member (the coordinator's choice).
#[utoipa::path(put, path = "/api/v1/courses/{id}/assignment", tag = "courses", params(("id" = Uuid, Path)),
    request_body = AssignmentInput, responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssignmentInput>,
) -> Result<StatusCode, ApiError> {
    uc::assign(&s.app, &a, path_id(&id)?, input.corps_member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Corps members ordered by fit for this course (specialty, language, district, free capacity).
#[utoipa::path(get, path = "/api/v1/courses/{id}/candidates", tag = "courses", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<CorpsMemberView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn candidates(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<CorpsMemberView>>, ApiError> {
    Ok(Json(uc::candidates(&s.app, &a, path_id(&id)?).await?))
}

/// Log a contact with the person.
#[utoipa::path(post, path = "/api/v1/courses/{id}/contacts", tag = "courses", params(("id" = Uuid, Path)),
    request_body = ContactInput, responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn contact(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Response, ApiError> {
    let course = path_id(&id)?;
    let cid = uc::log_contact(&s.app, &a, course, &input).await?;
    Ok(created(format!("/api/v1/courses/{course}"), cid))
}

/// Add a goal to the personal plan.
#[utoipa::path(post, path = "/api/v1/courses/{id}/goals", tag = "courses", params(("id" = Uuid, Path)),
    request_body = GoalInput, responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_goal(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GoalInput>,
) -> Result<Response, ApiError> {
    let course = path_id(&id)?;
    let gid = uc::add_goal(&s.app, &a, course, &input).await?;
    Ok(created(format!("/api/v1/courses/{course}"), gid))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalStatusInput {
    /// `open`, `achieved` or `dropped`.
    #[schema(required = true)]
    pub status: String,
}

/// Set a goal's status.
#[utoipa::path(put, path = "/api/v1/courses/{id}/goals/{goal_id}", tag = "courses", params(("id" = Uuid, Path), ("goal_id" = Uuid, Path)),
    request_body = GoalStatusInput, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn goal_status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, goal)): Path<(String, String)>,
    ApiJson(input): ApiJson<GoalStatusInput>,
) -> Result<StatusCode, ApiError> {
    uc::set_goal_status(&s.app, &a, path_id(&id)?, path_id(&goal)?, &input.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a structured assessment (baseline, closure, or a follow-up).
#[utoipa::path(post, path = "/api/v1/courses/{id}/assessments", tag = "courses", params(("id" = Uuid, Path)),
    request_body = AssessmentInput, responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assessment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> Result<Response, ApiError> {
    let course = path_id(&id)?;
    let aid = uc::record_assessment(&s.app, &a, course, &input).await?;
    Ok(created(format!("/api/v1/courses/{course}"), aid))
}
