//! `/api/v1/search`: the search box for programs.

use axum::Json;
use axum::extract::State;
use vink_app::search::{self as uc, SearchParams, SearchResults};

use super::extract::{ApiQuery, ErrorBody};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// Concerns and courses by case number, birth date or the start of any part
/// of a name, within the caller's scope; at most 50 of each kind. Audited as
/// one `search.run` row without the query terms.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    Ok(Json(uc::search(&s.app, &actor, &q).await?))
}
