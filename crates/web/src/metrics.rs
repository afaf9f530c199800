//! Operations metrics in Prometheus' text format on `/metrics`: requests by
//! route template and status, their latency, job passes, reminders, and
//! the database's transaction counts. Labels are route templates
//! (`/api/v1/concerns/{id}`), never a path with an id in it, and nothing
//! about a person. `/metrics` answers only the configured bearer token.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// Latency buckets in seconds: a page of ours takes milliseconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed once (metrics are process-wide).
fn handle() -> &'static Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(BUCKETS).ok()?;
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).ok()?;
        Some(handle)
    })
}

/// Installs the process's recorder, so that what runs before the first
/// request (the jobs `serve` starts) is counted too.
pub fn install() {
    let _ = handle();
}

/// Counts and times every request that matched a route, by its template.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    if let Some(route) = route {
        let status = response.status().as_u16().to_string();
        metrics::counter!(
            "vink_http_requests_total",
            "method" => method.clone(),
            "route" => route.clone(),
            "status" => status
        )
        .increment(1);
        metrics::histogram!(
            "vink_http_request_duration_seconds",
            "method" => method,
            "route" => route
        )
        .record(start.elapsed().as_secs_f64());
    }
    response
}

/// `GET /metrics`, for the configured bearer token or from an allowed
/// address only (neither configured: not found, as if there were no such
/// page).
pub async fn metrics(
    State(s): State<AppState>,
    crate::auth::ClientIp(client): crate::auth::ClientIp,
    headers: HeaderMap,
) -> Response {
    let config = &s.app.config;
    let token = config.metrics_token.as_deref().filter(|t| !t.is_empty());
    if token.is_none() && config.metrics_allow.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let by_token = token.is_some_and(|t| crate::auth::same_secret(given, t));
    let by_address = client
        .parse()
        .is_ok_and(|ip| config.metrics_allow.iter().any(|n| n.contains(ip)));
    if !(by_token || by_address) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let Some(h) = handle() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let stats = s.app.db.stats();
    metrics::gauge!("vink_db_write_transactions").set(stats.writes() as f64);
    metrics::gauge!("vink_db_read_transactions").set(stats.reads() as f64);
    let pool = s.app.db.pool_state();
    metrics::gauge!("vink_db_pool_connections", "state" => "open").set(pool.open as f64);
    metrics::gauge!("vink_db_pool_connections", "state" => "idle").set(pool.idle as f64);
    metrics::gauge!("vink_db_pool_max_connections").set(pool.max as f64);
    h.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        h.render(),
    )
        .into_response()
}
