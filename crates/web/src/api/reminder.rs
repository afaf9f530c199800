//! The caller's own reminders (the in-app inbox).

use axum::Json;
use axum::extract::State;

use super::extract::ErrorBody;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// The caller's own reminders.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "follow-ups",
    responses((status = 200, body = Vec<vink_app::reminder::InboxItem>), (status = 401, body = ErrorBody)))]
pub async fn inbox(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<vink_app::reminder::InboxItem>>, ApiError> {
    Ok(Json(vink_app::reminder::inbox(&s.app, &a).await?))
}
