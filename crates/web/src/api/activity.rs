//! Activities and the organisations the unit works with.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vink_app::activity::{
    self as uc, ActivityPage, ActivityQuery, ActivityView, OrganisationDetail, OrganisationPage,
    OrganisationQuery,
};
use vink_app::activity_import::ImportResult;
use vink_domain::activity::ActivityInput;
use vink_domain::organisation::{OrganisationInput, PeriodInput};

use super::course::{NewId, created};
use super::extract::{ApiJson, ApiQuery, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Activities, newest first, filtered by kind, status and period, a page at
/// a time (`limit`, then `after` = the page's `next_after`).
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ActivityQuery),
    responses((status = 200, body = ActivityPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn activities(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> Result<Json<ActivityPage>, ApiError> {
    Ok(Json(uc::list(&s.app, &a, &q).await?))
}

/// Register an activity; a held one counts in the key figures at once.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_activity(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Response, ApiError> {
    let id = uc::create(&s.app, &a, &input).await?;
    Ok(created(format!("/api/v1/activities/{id}"), id))
}

/// One activity with its participants and partners.
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = Uuid, Path)),
    responses((status = 200, body = ActivityView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn activity(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ActivityView>, ApiError> {
    Ok(Json(uc::get(&s.app, &a, path_id(&id)?).await?))
}

/// Replace an activity (a correction, or its status): the key figures change
/// by the difference.
#[utoipa::path(put, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = Uuid, Path)),
    request_body = ActivityInput, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_activity(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<StatusCode, ApiError> {
    uc::update(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Organisations by name, a page at a time.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "activities", params(OrganisationQuery),
    responses((status = 200, body = OrganisationPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn organisations(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<OrganisationQuery>,
) -> Result<Json<OrganisationPage>, ApiError> {
    Ok(Json(uc::organisations(&s.app, &a, &q).await?))
}

/// Register an organisation or local institution.
#[utoipa::path(post, path = "/api/v1/organisations", tag = "activities", request_body = OrganisationInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<OrganisationInput>,
) -> Result<Response, ApiError> {
    let id = uc::create_organisation(&s.app, &a, &input).await?;
    Ok(created(format!("/api/v1/organisations/{id}"), id))
}

/// An organisation with its citizen-forum membership and capacity building.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "activities", params(("id" = Uuid, Path)),
    responses((status = 200, body = OrganisationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn organisation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<OrganisationDetail>, ApiError> {
    Ok(Json(uc::organisation(&s.app, &a, path_id(&id)?).await?))
}

/// Set (replace) the organisation's membership of the citizen forum
/// (`from`, and `to` when it left).
#[utoipa::path(put, path = "/api/v1/organisations/{id}/forum-membership", tag = "activities", params(("id" = Uuid, Path)),
    request_body = PeriodInput, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn forum_membership(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PeriodInput>,
) -> Result<StatusCode, ApiError> {
    uc::set_forum_membership(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a capacity-building engagement with the institution.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/capacity-building", tag = "activities", params(("id" = Uuid, Path)),
    request_body = PeriodInput, responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn capacity_building(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PeriodInput>,
) -> Result<Response, ApiError> {
    let org = path_id(&id)?;
    let eid = uc::add_engagement(&s.app, &a, org, &input).await?;
    Ok(created(format!("/api/v1/organisations/{org}"), eid))
}

/// Import many activities from a CSV file (the request body, `;` or `,`
/// separated, UTF-8 or Windows-1252; columns as in the template). All or
/// nothing: on any error, 422 names each line and column
/// (`rows[3].held_on`) and nothing is saved.
#[utoipa::path(post, path = "/api/v1/activities/import", tag = "activities",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportResult), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let text = vink_app::activity_import::decode(&body);
    match vink_app::activity_import::import(&s.app, &a, &text).await? {
        Ok(r) => Ok((StatusCode::CREATED, Json(r)).into_response()),
        Err(e) => Err(row_errors(e).into()),
    }
}

/// A file's row errors as a 422 naming each line and column
/// (`rows[3].held_on`).
pub(super) fn row_errors(e: vink_app::activity_import::ImportErrors) -> vink_app::AppError {
    let mut errs = vink_domain::validation::FieldErrors::new();
    for r in e.errors {
        let field = if r.column.is_empty() {
            format!("rows[{}]", r.line)
        } else {
            format!("rows[{}].{}", r.line, r.column)
        };
        errs.0.push(vink_domain::validation::FieldError {
            field,
            code: "invalid_row",
            message: format!("{}: {}", r.code, r.message),
        });
    }
    vink_app::AppError::Invalid(errs)
}

/// The CSV template: the columns and one example row.
#[utoipa::path(get, path = "/api/v1/activities/import/template", tag = "activities",
    responses((status = 200, body = String, content_type = "text/csv"), (status = 401, body = ErrorBody)))]
pub async fn import_template(ApiActor(_a): ApiActor) -> Response {
    crate::download::csv_file(
        "aktiviteter-skabelon.csv",
        vink_app::activity_import::template(),
    )
}
