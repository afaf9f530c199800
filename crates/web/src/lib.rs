//! The HTTP face of `vink`: the JSON API under `/api/v1` (bearer tokens), the
//! server-rendered UI (session cookies + CSRF), the public report form, and the
//! vendored design-system assets, all from one router.

pub mod api;
mod assets;
mod auth;
mod error;
pub mod i18n;
mod security;
mod ui;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use vink_app::App;

pub use api::ApiDoc;
pub use error::ApiError;

/// The largest request body accepted anywhere (a concern's description is at most
/// 10 000 characters; this leaves room for the rest of the form).
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(ui::routes())
        .nest("/api/v1", api::routes())
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/healthz", get(healthz))
        .route("/assets/{*path}", get(assets::serve))
        .fallback(ui::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// Liveness and database reachability, no data.
async fn healthz(State(state): State<AppState>) -> Response {
    match vink_app::health(&state.app).await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}
