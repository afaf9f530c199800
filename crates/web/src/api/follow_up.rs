//! The follow-up worklist and the outcome figures.

use axum::Json;
use axum::extract::State;
use vink_app::follow_up::{self as fu, FollowUpPage, FollowUpQuery, OutcomeQuery, OutcomeReport};

use super::extract::{ApiQuery, ErrorBody};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Open follow-ups in the caller's scope, earliest due first, a page at a
/// time (`limit`, then `after` = the page's `next_after`).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "follow-ups", params(FollowUpQuery),
    responses((status = 200, body = FollowUpPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_ups(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<FollowUpQuery>,
) -> Result<Json<FollowUpPage>, ApiError> {
    Ok(Json(fu::worklist(&s.app, &a, &q).await?))
}

/// Outcome figures for a period, with numerators, denominators and pending counts.
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "report", params(OutcomeQuery),
    responses((status = 200, body = OutcomeReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn outcomes(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<OutcomeQuery>,
) -> Result<Json<OutcomeReport>, ApiError> {
    Ok(Json(fu::outcomes(&s.app, &a, &q).await?))
}
