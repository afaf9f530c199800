//! Who is asking: bearer tokens for the API, session cookies for the UI, the
//! language cookie, and the client address for rate limits.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use vink_app::second_factor::FactorState;
use vink_app::user::Session;
use vink_domain::user::Actor;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Tr};

pub const SESSION_COOKIE: &str = "vink_session";
pub const LANG_COOKIE: &str = "vink_lang";
pub const LOGIN_CSRF_COOKIE: &str = "vink_login_csrf";

/// The value of one cookie from the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    header_cookie(&parts.headers, name)
}

/// The value of one cookie from raw headers.
pub fn header_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, and Secure behind TLS.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// Compares secrets without an early exit, so timing reveals nothing.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The API caller, from `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200);
        let Some(token) = token else {
            return Err(vink_app::AppError::Unauthenticated.into());
        };
        match vink_app::user::bearer(&state.app, token).await? {
            Some(actor) => Ok(ApiActor(actor.from_client(peer_client(parts, state)))),
            None => Err(vink_app::AppError::Unauthenticated.into()),
        }
    }
}

/// The signed-in UI user who has passed their second factor where one is
/// asked for; anyone else is sent to the log-in page, and a session still
/// owing its second factor to that step: no page with data before it.
pub struct UiUser {
    pub session: Session,
    pub session_id: String,
}

/// The local path and query of the request, for `next=`.
fn here(parts: &Parts) -> String {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    crate::redirect::safe_local_path(Some(next))
}

/// The session behind the cookie, whatever its second factor's state.
async fn signed_in(parts: &mut Parts, state: &AppState) -> Result<UiUser, Response> {
    let to_login =
        || Redirect::to(&format!("/login?next={}", urlencode(&here(parts)))).into_response();
    let Some(id) = cookie(parts, SESSION_COOKIE).filter(|v| v.len() == 64) else {
        return Err(to_login());
    };
    let client = peer_client(parts, state);
    match vink_app::user::session(&state.app, id).await {
        Ok(Some(mut session)) => {
            session.actor = session.actor.from_client(client);
            Ok(UiUser {
                session,
                session_id: id.to_string(),
            })
        }
        Ok(None) => Err(to_login()),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = signed_in(parts, state).await?;
        if user.session.second_factor == FactorState::Passed {
            return Ok(user);
        }
        Err(Redirect::to(&format!(
            "/login/second-factor?next={}",
            urlencode(&here(parts))
        ))
        .into_response())
    }
}

/// A signed-in user who may still owe their second factor: only for the
/// pages that take it (and log-out).
pub struct PendingUser(pub UiUser);

impl FromRequestParts<AppState> for PendingUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        signed_in(parts, state).await.map(PendingUser)
    }
}

/// A user who proved who they are within the last few minutes (password or
/// code): for exports with personal data, the per-person access report and
/// user administration. Anyone else is asked to confirm first and then
/// brought back (a form is brought back to the page it was sent from).
pub struct ConfirmedUser(pub UiUser);

impl FromRequestParts<AppState> for ConfirmedUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = UiUser::from_request_parts(parts, state).await?;
        if vink_app::second_factor::is_recent(&state.app, &user.session) {
            return Ok(ConfirmedUser(user));
        }
        let back = if parts.method == axum::http::Method::GET {
            here(parts)
        } else {
            referer_path(&parts.headers).unwrap_or_else(|| "/".into())
        };
        Err(Redirect::to(&format!("/login/confirm?next={}", urlencode(&back))).into_response())
    }
}

/// The path of this same site's referring page, if it was one.
pub fn referer_path(headers: &axum::http::HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host)?;
    path.starts_with('/')
        .then(|| crate::redirect::safe_local_path(Some(path)))
}

/// The UI language from the cookie; Danish unless English was chosen.
pub struct UiLang(pub Tr);

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = cookie(parts, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or(Lang::Da);
        Ok(UiLang(Tr::new(lang)))
    }
}

/// The client's address, for per-address limits. The socket peer, unless the
/// peer is a configured trusted proxy (`--trusted-proxy`): then the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy. A header
/// from anyone else is ignored, so clients cannot choose their own address.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            peer_client(parts, s)
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// The request's client address, resolved through trusted proxies.
fn peer_client(parts: &Parts, s: &AppState) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    client_address(peer, &parts.headers, &s.trusted_proxies)
}

/// Resolves the client behind any trusted proxies.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut hops: Vec<std::net::IpAddr> = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else { return Some(peer) };
        for part in v.split(',') {
            match part.trim().parse() {
                Ok(ip) => hops.push(ip),
                // A malformed chain is not believed.
                Err(_) => return Some(peer),
            }
        }
    }
    Some(
        hops.into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// The language from raw headers (for rejections built before extractors run).
pub fn cookie_lang(headers: &axum::http::HeaderMap) -> Lang {
    header_cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or(Lang::Da)
}
