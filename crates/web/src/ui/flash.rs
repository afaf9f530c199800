//! The confirmation after an action: the handler redirects with a short-lived
//! cookie naming a translation key; the next page shows it once and the
//! cookie is cleared. A layer reads it for every request, so every page shows
//! a pending confirmation without each handler asking for it.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::{header_cookie, set_cookie};

const COOKIE: &str = "vink_flash";

tokio::task_local! {
    static FLASH: Option<String>;
}

/// Redirects to `to` and shows the message `flash.{key}` there.
pub fn redirect(secure: bool, to: &str, key: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = set_cookie(COOKIE, key, secure, Some(60)).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The confirmation's translation key for the page being rendered, if any.
pub fn current() -> Option<String> {
    FLASH.try_with(|f| f.clone()).ok().flatten()
}

/// A key is only ever a name we set: letters, digits and `_`.
fn valid(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Makes a pending confirmation visible to the page, then clears it once a
/// page (not another redirect) has shown it.
pub async fn layer(req: Request, next: Next) -> Response {
    let key = header_cookie(req.headers(), COOKIE)
        .filter(|k| valid(k))
        .map(|k| format!("flash.{k}"));
    let Some(key) = key else {
        return next.run(req).await;
    };
    let mut resp = FLASH.scope(Some(key), next.run(req)).await;
    if !resp.status().is_redirection()
        && let Ok(v) = set_cookie(COOKIE, "", false, Some(0)).parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
