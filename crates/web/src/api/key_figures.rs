//! The key-figure report.

use axum::Json;
use axum::extract::State;
use vink_app::key_figures::{self as uc, KeyFigureQuery, KeyFigureReport};

use super::extract::{ApiQuery, ErrorBody};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Every figure of the catalogue for a period (`from`, `to`: Copenhagen
/// dates, both inclusive), with the period of equal length before it. Counts
/// only, from anonymous facts; small numbers are hidden from readers without
/// case access.
#[utoipa::path(get, path = "/api/v1/key-figures", tag = "report", params(KeyFigureQuery),
    responses((status = 200, body = KeyFigureReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn key_figures(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<KeyFigureQuery>,
) -> Result<Json<KeyFigureReport>, ApiError> {
    Ok(Json(uc::report(&s.app, &a, &q).await?))
}
