//! Single sign-on in the browser: the button's start, the provider's
//! callback, re-authentication at the provider, and the administrator's
//! answers to requests for access.
//!
//! The provider sends the browser back with a cross-site navigation, on
//! which a browser sends no `SameSite=Strict` cookie (the session's). So the
//! callback only bounces the browser, with a page of this site, to
//! `/login/sso/complete` with the same parameters: that request is
//! same-site, carries the session and state cookies, and does the work.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;
use vink_app::AppError;
use vink_app::sso::{self as uc, Callback, Outcome, Refusal};

use super::{FormData, Forms, app_error, csrf_failed, flash, render};
use crate::AppState;
use crate::auth::{ClientIp, ConfirmedUser, SESSION_COOKIE, UiLang, UiUser, set_cookie};
use crate::i18n::Tr;

/// The state cookie: sent on the way back (`Lax`), only to the
/// single sign-on paths, for ten minutes.
const STATE_COOKIE: &str = "vink_sso_state";

fn state_cookie(value: &str, secure: bool, max_age: i64) -> String {
    let mut c = format!(
        "{STATE_COOKIE}={value}; Path=/login/sso; HttpOnly; SameSite=Lax; Max-Age={max_age}"
    );
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Off to the provider, with the state in a cookie.
fn depart(s: &AppState, t: Tr, d: Result<uc::Departure, AppError>) -> Response {
    match d {
        Ok(d) => {
            let mut resp = Redirect::to(&d.url).into_response();
            if let Ok(v) = state_cookie(&d.state, s.secure_cookies, 600).parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(AppError::RateLimited) => {
            super::user::login_refused(s, t, "login.rate_limited", StatusCode::TOO_MANY_REQUESTS)
        }
        Err(AppError::Unavailable(_)) => super::user::login_refused(
            s,
            t,
            "login.sso_unavailable",
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        Err(e) => app_error(t, None, e),
    }
}

/// `GET /login/sso`: the log-in button.
pub async fn start(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ClientIp(ip): ClientIp,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = crate::redirect::safe_local_path(q.next.as_deref());
    let d = uc::begin_login(&s.app, &next, &ip).await;
    depart(&s, t, d)
}

/// `GET /login/sso/confirm`: proving identity again at the provider.
pub async fn confirm_start(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = crate::redirect::safe_local_path(q.next.as_deref());
    let d = uc::begin_confirm(&s.app, &user.session_id, &next).await;
    depart(&s, t, d)
}

/// What the provider puts on the way back.
#[derive(Deserialize)]
pub struct Back {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "sso_bounce.html")]
struct Bounce {
    lang: &'static str,
    title: String,
    text: String,
    to: String,
}

/// A page of this site that moves the browser on at once (a navigation,
/// not a redirect: after a form's POST a redirect to another site would
/// fall under the page's `form-action 'self'`).
pub(super) fn onward(t: Tr, title: &str, text: &str, to: String) -> Response {
    let page = Bounce {
        lang: t.lang.code(),
        title: t.t(title).to_string(),
        text: t.t(text).to_string(),
        to,
    };
    let mut resp = render(StatusCode::OK, &page);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// `GET /login/sso/callback`: a page of this site that moves on at once.
pub async fn callback(UiLang(t): UiLang, Query(b): Query<Back>) -> Response {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("code", b.code),
        ("state", b.state),
        ("iss", b.iss),
        ("error", b.error),
    ] {
        if let Some(v) = v {
            q.append_pair(k, &v);
        }
    }
    // The code is in this page's address: not to be kept or passed on.
    onward(
        t,
        "login.sso_continue_title",
        "login.sso_continue",
        format!("/login/sso/complete?{}", q.finish()),
    )
}

/// `GET /login/sso/complete`: the work of the callback.
pub async fn complete(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(b): Query<Back>,
) -> Response {
    let cookie = |name| crate::auth::header_cookie(&headers, name).map(str::to_string);
    let cb = Callback {
        state: b.state,
        code: b.code,
        iss: b.iss,
        error: b.error,
        cookie_state: cookie(STATE_COOKIE),
        session_id: cookie(SESSION_COOKIE).filter(|v| v.len() == 64),
        client: ip.parse().ok(),
    };
    let outcome = uc::complete(&s.app, cb).await;
    let mut resp = match outcome {
        Ok(Outcome::SignedIn {
            session_id,
            session,
            next,
        }) => {
            let mut resp =
                Redirect::to(&super::user::after_password(&session, &next)).into_response();
            if let Ok(v) = set_cookie(SESSION_COOKIE, &session_id, s.secure_cookies, None).parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Outcome::Confirmed { next }) => Redirect::to(&next).into_response(),
        Ok(Outcome::AwaitingAccess) => {
            super::user::login_refused(&s, t, "login.sso_awaiting", StatusCode::FORBIDDEN)
        }
        Ok(Outcome::Refused(r)) => {
            let (key, status) = match r {
                Refusal::Failed => ("login.sso_failed", StatusCode::BAD_REQUEST),
                Refusal::NoRole => ("login.sso_no_role", StatusCode::FORBIDDEN),
                Refusal::Ambiguous => ("login.sso_ambiguous", StatusCode::FORBIDDEN),
                Refusal::NoAgency => ("login.sso_no_agency", StatusCode::FORBIDDEN),
                Refusal::Disabled => ("login.sso_disabled", StatusCode::FORBIDDEN),
                Refusal::OtherPerson => ("login.sso_other_person", StatusCode::FORBIDDEN),
                Refusal::Unavailable => ("login.sso_unavailable", StatusCode::SERVICE_UNAVAILABLE),
            };
            super::user::login_refused(&s, t, key, status)
        }
        Err(e) => app_error(t, None, e),
    };
    if let Ok(v) = state_cookie("", s.secure_cookies, 0).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /users/access-requests/{id}/grant`.
pub async fn grant(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ConfirmedUser(user): ConfirmedUser,
    Path(id): Path<Uuid>,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let nonblank = |k: &str| f.get(k).filter(|v| !v.trim().is_empty());
    let r = uc::grant_access(
        &s.app,
        &user.session.actor,
        id,
        &f.value("username"),
        nonblank("role").as_deref(),
        nonblank("agency").as_deref(),
    )
    .await;
    match r {
        Ok(name) => flash::redirect(
            s.secure_cookies,
            &format!("/users/{name}"),
            "access_granted",
        ),
        Err(AppError::Invalid(errs)) => {
            let form = format!("grant-{id}");
            super::users::list_page(
                &s,
                t,
                &user,
                Forms::failed(t, &form, f, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// `POST /users/access-requests/{id}/dismiss`.
pub async fn dismiss(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ConfirmedUser(user): ConfirmedUser,
    Path(id): Path<Uuid>,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    match uc::dismiss_access(&s.app, &user.session.actor, id).await {
        Ok(()) => flash::redirect(s.secure_cookies, "/users", "access_dismissed"),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
