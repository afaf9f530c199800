//! `/api/v1/agencies`: the agencies of the coordination unit (codes for meetings).

use axum::Json;
use axum::extract::State;
use vink_app::triage::AgencyView;

use super::extract::ErrorBody;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// The agencies and their codes.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "organisation",
    responses((status = 200, body = Vec<AgencyView>), (status = 401, body = ErrorBody)))]
pub async fn agencies(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> Result<Json<Vec<AgencyView>>, ApiError> {
    Ok(Json(vink_app::organisation::agencies(&s.app).await?))
}
