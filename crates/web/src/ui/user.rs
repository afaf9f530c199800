//! Log-in, log-out and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vink_app::AppError;

use super::{FormData, Page, render};
use crate::AppState;
use crate::auth::{
    ClientIp, LANG_COOKIE, LOGIN_CSRF_COOKIE, PendingUser, SESSION_COOKIE, UiLang, same_secret,
    set_cookie,
};
use crate::i18n::{Lang, Tr};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    p: Page,
    username: String,
    next: String,
    error: String,
    /// The single sign-on provider's name, where there is one.
    sso: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after log-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    crate::redirect::safe_local_path(next)
}

pub async fn home(user: Result<PendingUser, Response>) -> Response {
    match user {
        Ok(PendingUser(u)) => Redirect::to(&after_password(
            &u.session,
            super::concern::role_home(u.session.role),
        ))
        .into_response(),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

/// Where a session goes once its password is accepted: on to `next`, or
/// first to its second factor (the code, or enrolment).
pub(super) fn after_password(session: &vink_app::user::Session, next: &str) -> String {
    use vink_app::second_factor::FactorState;
    let step = match session.second_factor {
        FactorState::Passed => return next.to_string(),
        FactorState::Needed => "/login/second-factor",
        FactorState::MustEnrol => "/account/second-factor",
    };
    format!("{step}?next={}", crate::auth::urlencode(next))
}

fn login_page(
    s: &AppState,
    t: Tr,
    csrf: String,
    username: String,
    next: String,
    error: &str,
    status: StatusCode,
) -> Response {
    let secure = s.secure_cookies;
    let mut p = Page::new(t, "login.title", None);
    p.csrf = csrf.clone();
    let page = LoginPage {
        p,
        username,
        next,
        error: if error.is_empty() {
            String::new()
        } else {
            t.t(error).to_string()
        },
        sso: s
            .app
            .sso
            .as_ref()
            .map(|c| c.config.display_name.clone())
            .unwrap_or_default(),
    };
    let mut resp = render(status, &page);
    if let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, &csrf, secure, Some(3600)).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The log-in page with a refusal from single sign-on.
pub(super) fn login_refused(s: &AppState, t: Tr, error: &str, status: StatusCode) -> Response {
    login_page(s, t, new_token(), String::new(), "/".into(), error, status)
}

fn new_token() -> String {
    let mut b = [0u8; 32];
    if getrandom::fill(&mut b).is_err() {
        return String::new();
    }
    hex::encode(b)
}

pub async fn login_form(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(
        &s,
        t,
        new_token(),
        String::new(),
        safe_next(q.next.as_deref()),
        "",
        StatusCode::OK,
    )
}

pub async fn login(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let username = form.value("username");
    let next = safe_next(form.get("next").as_deref());
    let cookie_csrf = login_csrf(&headers);
    let form_csrf = form.value("csrf");
    if cookie_csrf.is_empty() || !same_secret(&cookie_csrf, &form_csrf) {
        return login_page(
            &s,
            t,
            new_token(),
            username,
            next,
            "login.expired",
            StatusCode::FORBIDDEN,
        );
    }
    match vink_app::user::login(&s.app, &username, &form.value("password"), &ip).await {
        Ok((session_id, session)) => {
            let mut resp = Redirect::to(&after_password(&session, &next)).into_response();
            if let Ok(v) = set_cookie(SESSION_COOKIE, &session_id, s.secure_cookies, None).parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            if let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, "", s.secure_cookies, Some(0)).parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(AppError::RateLimited) => login_page(
            &s,
            t,
            new_token(),
            username,
            next,
            "login.rate_limited",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(AppError::Unauthenticated) => login_page(
            &s,
            t,
            new_token(),
            username,
            next,
            "login.failed",
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => super::app_error(t, None, e),
    }
}

fn login_csrf(headers: &HeaderMap) -> String {
    crate::auth::header_cookie(headers, LOGIN_CSRF_COOKIE)
        .unwrap_or_default()
        .to_string()
}

pub async fn logout(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    PendingUser(user): PendingUser,
    form: FormData,
) -> Response {
    if !form.csrf_ok(&user.session) {
        return super::csrf_failed(t, &user.session);
    }
    // Asked before the session ends (the provider's address is fetched
    // if need be); a provider that does not answer leaves a local log-out.
    let at_provider = vink_app::sso::logout_redirect(&s.app, user.session.user_id)
        .await
        .unwrap_or_default();
    if let Err(e) = vink_app::user::logout(&s.app, &user.session, &user.session_id).await {
        return super::app_error(t, Some(&user.session), e);
    }
    let mut resp = match at_provider {
        Some(url) => super::sso::onward(t, "login.sso_logout_title", "login.sso_logout", url),
        None => super::flash::redirect(s.secure_cookies, "/login", "logged_out"),
    };
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", s.secure_cookies, Some(0)).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Sets the language cookie and goes back to a local page.
pub async fn switch_lang(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Da);
    // Back to the page the switch was clicked on: `next`, else the referring
    // page of this same site (its path only; another site's is ignored).
    let referer = crate::auth::referer_path(&headers);
    let back = crate::redirect::safe_local_path(q.next.as_deref().or(referer.as_deref()));
    let mut resp = Redirect::to(&back).into_response();
    if let Ok(v) = set_cookie(
        LANG_COOKIE,
        lang.code(),
        s.secure_cookies,
        Some(365 * 24 * 3600),
    )
    .parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
