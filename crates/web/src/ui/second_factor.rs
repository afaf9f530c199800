//! The second factor in the browser: the code after the password,
//! enrolment (QR code, the secret as text, recovery codes shown once), and
//! the confirmation asked for before user administration and the
//! per-person access report.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vink_app::AppError;
use vink_app::second_factor::{self as uc, FactorState};

use super::{FormData, Page, app_error, csrf_failed, render};
use crate::AppState;
use crate::auth::{PendingUser, UiLang, UiUser, urlencode};
use crate::i18n::Tr;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn next_of(q: Option<&str>) -> String {
    crate::redirect::safe_local_path(q)
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct CodePage {
    p: Page,
    next: String,
    error: String,
}

#[derive(Template)]
#[template(path = "second_factor_enrol.html")]
struct EnrolPage {
    p: Page,
    next: String,
    error: String,
    required: bool,
    qr: String,
    secret: String,
    enrolled: bool,
    codes_left: i64,
    recovery_codes: Option<Vec<String>>,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    p: Page,
    next: String,
    error: String,
    /// The provider's name, for a user who logs in through it.
    sso: String,
}

/// A page for a session that may still owe its second factor: no
/// navigation to pages with data until it has passed.
fn page(t: Tr, title: &str, user: &crate::auth::UiUser) -> Page {
    let passed = user.session.second_factor == FactorState::Passed;
    let mut p = Page::new(t, title, passed.then_some(&user.session));
    p.csrf = user.session.csrf.clone();
    p
}

/// Where a session that has not passed goes: the code, or enrolment.
fn onward(state: FactorState, next: &str) -> Option<Response> {
    let to = match state {
        FactorState::Passed => return None,
        FactorState::Needed => "/login/second-factor",
        FactorState::MustEnrol => "/account/second-factor",
    };
    Some(Redirect::to(&format!("{to}?next={}", urlencode(next))).into_response())
}

/// The message for an error key; nothing for none.
fn said(t: Tr, key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        t.t(key).to_string()
    }
}

fn code_page(
    t: Tr,
    user: &crate::auth::UiUser,
    next: String,
    error: &str,
    status: StatusCode,
) -> Response {
    let page = CodePage {
        p: page(t, "second_factor.title_code", user),
        next,
        error: said(t, error),
    };
    render(status, &page)
}

pub async fn code_form(
    UiLang(t): UiLang,
    PendingUser(user): PendingUser,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = next_of(q.next.as_deref());
    match user.session.second_factor {
        FactorState::Needed => code_page(t, &user, next, "", StatusCode::OK),
        FactorState::Passed => Redirect::to(&next).into_response(),
        state => onward(state, &next).unwrap_or_else(|| Redirect::to(&next).into_response()),
    }
}

pub async fn code_submit(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    PendingUser(user): PendingUser,
    f: FormData,
) -> Response {
    let next = next_of(f.get("next").as_deref());
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    if user.session.second_factor != FactorState::Needed {
        return onward(user.session.second_factor, &next)
            .unwrap_or_else(|| Redirect::to(&next).into_response());
    }
    let r = uc::verify(&s.app, &user.session, &user.session_id, &f.value("code")).await;
    let renewed = r.as_ref().ok().cloned();
    let mut resp = answer(
        t,
        &user,
        next,
        r.map(|_| ()),
        "second_factor.wrong",
        code_page,
    );
    if let Some(id) = renewed {
        new_session_cookie(&mut resp, &id, s.secure_cookies);
    }
    resp
}

/// The session's new id after the second factor, in its cookie.
fn new_session_cookie(resp: &mut Response, id: &str, secure: bool) {
    if let Ok(v) = crate::auth::set_cookie(crate::auth::SESSION_COOKIE, id, secure, None).parse() {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
}

/// The answer to a code or a confirmation: on to `next`, or the form again
/// saying why (a wrong code and too many tries each have their status).
fn answer(
    t: Tr,
    user: &UiUser,
    next: String,
    result: Result<(), AppError>,
    wrong: &str,
    page: impl Fn(Tr, &UiUser, String, &str, StatusCode) -> Response,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&next).into_response(),
        Err(AppError::Unauthenticated) => page(t, user, next, wrong, StatusCode::UNAUTHORIZED),
        Err(AppError::RateLimited) => page(
            t,
            user,
            next,
            "second_factor.rate_limited",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

async fn enrol_page(
    s: &AppState,
    t: Tr,
    user: &crate::auth::UiUser,
    next: String,
    error: &str,
    status: StatusCode,
) -> Response {
    let (enrolled, codes_left) = match uc::status(&s.app, &user.session).await {
        Ok(x) => x,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    let (qr, secret) = if enrolled {
        (String::new(), String::new())
    } else {
        let e = match uc::pending_enrolment(&s.app, &user.session).await {
            Ok(Some(e)) => e,
            Ok(None) => match uc::start_enrolment(&s.app, &user.session).await {
                Ok(e) => e,
                Err(e) => return app_error(t, Some(&user.session), e),
            },
            Err(e) => return app_error(t, Some(&user.session), e),
        };
        (crate::qr::svg(&e.uri, 200).unwrap_or_default(), e.secret)
    };
    let page = EnrolPage {
        p: page(t, "second_factor.title_enrol", user),
        next,
        error: said(t, error),
        required: s
            .app
            .config
            .second_factor_roles
            .contains(&user.session.role),
        qr,
        secret,
        enrolled,
        codes_left,
        recovery_codes: None,
    };
    render(status, &page)
}

pub async fn enrol_form(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    PendingUser(user): PendingUser,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = next_of(q.next.as_deref());
    if user.session.second_factor == FactorState::Needed {
        return onward(FactorState::Needed, &next)
            .unwrap_or_else(|| Redirect::to(&next).into_response());
    }
    enrol_page(&s, t, &user, next, "", StatusCode::OK).await
}

pub async fn enrol_submit(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    PendingUser(user): PendingUser,
    f: FormData,
) -> Response {
    let next = next_of(f.get("next").as_deref());
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    if user.session.second_factor == FactorState::Needed {
        return onward(FactorState::Needed, &next)
            .unwrap_or_else(|| Redirect::to(&next).into_response());
    }
    match uc::confirm_enrolment(&s.app, &user.session, &user.session_id, &f.value("code")).await {
        // The codes are on this answer only; they are stored hashed.
        Ok((codes, new_id)) => {
            let mut p = Page::new(t, "second_factor.title_enrol", Some(&user.session));
            p.csrf = user.session.csrf.clone();
            let page = EnrolPage {
                p,
                next,
                error: String::new(),
                required: false,
                qr: String::new(),
                secret: String::new(),
                enrolled: true,
                codes_left: codes.len() as i64,
                recovery_codes: Some(codes),
            };
            let mut resp = render(StatusCode::OK, &page);
            resp.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            new_session_cookie(&mut resp, &new_id, s.secure_cookies);
            resp
        }
        Err(AppError::Unauthenticated) => {
            enrol_page(
                &s,
                t,
                &user,
                next,
                "second_factor.wrong",
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Err(AppError::RateLimited) => {
            enrol_page(
                &s,
                t,
                &user,
                next,
                "second_factor.rate_limited",
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

fn confirm_page(
    t: Tr,
    user: &UiUser,
    next: String,
    error: &str,
    status: StatusCode,
    sso: String,
) -> Response {
    let page = ConfirmPage {
        p: page(t, "second_factor.title_confirm", user),
        next,
        error: said(t, error),
        sso,
    };
    render(status, &page)
}

pub async fn confirm_form(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<NextQuery>,
) -> Response {
    let sso = vink_app::sso::offered_to(&s.app, user.session.user_id)
        .await
        .unwrap_or_default();
    confirm_page(
        t,
        &user,
        next_of(q.next.as_deref()),
        "",
        StatusCode::OK,
        sso,
    )
}

pub async fn confirm_submit(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    let next = next_of(f.get("next").as_deref());
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let r = uc::reauthenticate(&s.app, &user.session, &user.session_id, &f.value("secret")).await;
    let sso = vink_app::sso::offered_to(&s.app, user.session.user_id)
        .await
        .unwrap_or_default();
    answer(
        t,
        &user,
        next,
        r,
        "second_factor.confirm_wrong",
        |t, u, n, e, st| confirm_page(t, u, n, e, st, sso.clone()),
    )
}
