//! The HTTP face of `vink`: the JSON API under `/api/v1` (bearer tokens), the
//! server-rendered UI (session cookies + CSRF), the public report form, and the
//! vendored design-system assets, all from one router.

pub mod api;
mod assets;
mod auth;
pub mod chart;
pub mod download;
mod error;
pub mod export;
pub mod i18n;
mod metrics;
mod qr;
pub mod redirect;
mod request_id;
mod security;
pub mod server;
mod ui;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use vink_app::App;

pub use api::{ApiDoc, openapi};
pub use error::ApiError;

/// The largest request body accepted anywhere (a concern's description is at most
/// 10 000 characters; this leaves room for the rest of the form).
pub const BODY_LIMIT: usize = 64 * 1024;
/// The body limit of a file import (a CSV of a few thousand activities).
pub const IMPORT_LIMIT: usize = 2 * 1024 * 1024;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    metrics::install();
    Router::new()
        .merge(ui::routes())
        .merge(api::routes())
        .route("/api/v1", axum::routing::any(api::no_route))
        .route("/api/v1/{*rest}", axum::routing::any(api::no_route))
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/healthz", get(healthz))
        .route("/healthz/live", get(live))
        .route("/healthz/ready", get(healthz))
        .route("/assets/{*path}", get(assets::serve))
        .route("/metrics", get(metrics::metrics))
        // Counted by route template: this layer runs after routing.
        .route_layer(axum::middleware::from_fn(metrics::track))
        .fallback(ui::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Pages, JSON and assets compressed (brotli or gzip, as the client
        // asks). Secrets in pages (the CSRF token) cannot be probed by a
        // compression oracle from another site: session cookies are
        // SameSite=Strict, so a cross-site request is never authenticated.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(ui::flash::layer))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        // Outermost: every response, and every log line of a request, has it.
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// Liveness: the process answers. Says nothing about the database, so an
/// orchestrator does not restart a server whose disk is full.
async fn live() -> Response {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({"status": "live"})),
    )
        .into_response()
}

/// Readiness: the database answers reads and takes writes now (a full disk or
/// a read-only file makes this 503 while `/healthz/live` stays 200). No data.
async fn healthz(State(state): State<AppState>) -> Response {
    let readable = vink_app::health(&state.app).await;
    let writable = match &readable {
        Ok(()) => vink_app::writable(&state.app).await,
        Err(_) => Err(vink_app::AppError::Internal("not readable".into())),
    };
    let database = match (&readable, &writable) {
        (Ok(()), Ok(())) => "writable",
        (Ok(()), Err(_)) => "not_writable",
        _ => "unavailable",
    };
    if let Err(e) = &writable {
        tracing::warn!(error = %e, "readiness check failed");
    }
    let ready = writable.is_ok();
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        axum::Json(serde_json::json!({
            "status": if ready { "ok" } else { "unavailable" },
            "live": true,
            "ready": ready,
            "database": database,
        })),
    )
        .into_response()
}
