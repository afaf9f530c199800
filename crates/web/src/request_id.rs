//! A request id for every request: taken from `X-Request-Id` when a proxy
//! sent a sane one, else made here; returned in the same header, carried by
//! the log lines of the request (a tracing span), and shown on error pages,
//! so a user's report and the log meet. It names no person.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static ID: String;
}

/// The id of the request being answered, if any.
pub fn current() -> Option<String> {
    ID.try_with(Clone::clone).ok()
}

/// An id from a proxy is kept only if it is short and plain.
fn sane(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub async fn layer(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let span = tracing::info_span!("request", id = %id);
    let mut resp = ID.scope(id.clone(), next.run(req).instrument(span)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HEADER, v);
    }
    resp
}
