//! User management for administrators: the list, a new user, and one user's
//! role, password, API tokens and access.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::user::{self as uc, NewUser, UserSummary};
use vink_domain::user::Role;

use super::{FormData, Forms, Page, app_error, csrf_failed, error_page, flash, render};
use crate::AppState;
use crate::auth::{ConfirmedUser, UiLang, UiUser};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "users.html")]
struct ListPage {
    p: Page,
    users: Vec<UserSummary>,
    forms: Forms,
    roles: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    /// People the identity provider vouched for, waiting for access.
    requests: Vec<RequestView>,
}

/// A request for access with its grant form.
struct RequestView {
    r: vink_app::sso::AccessRequest,
    f: FormData,
    e: super::Errors,
    requested: String,
}

fn request_views(forms: &Forms, rs: Vec<vink_app::sso::AccessRequest>) -> Vec<RequestView> {
    rs.into_iter()
        .map(|r| {
            let form = format!("grant-{}", r.id);
            let mut f = forms.f(&form);
            if f.0.is_empty() {
                // A user name to start from: the provider's, made valid.
                let hint = vink_domain::sso::username_candidates(r.username_hint.as_deref(), "")
                    .into_iter()
                    .find(|n| n != "sso-");
                f = FormData(vec![("username".into(), hint.unwrap_or_default())]);
            }
            RequestView {
                e: forms.e(&form),
                requested: crate::view::instant(r.requested_at),
                f,
                r,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    p: Page,
    u: UserSummary,
    forms: Forms,
    roles: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    /// A token just issued: shown once, never again.
    new_token: Option<String>,
}

impl UserPage {
    fn role_is(&self, code: &str) -> bool {
        self.forms
            .f("role")
            .get("role")
            .as_deref()
            .unwrap_or(&self.u.role)
            == code
    }

    fn agency_is(&self, code: &str) -> bool {
        match self.forms.f("role").get("agency") {
            Some(a) => a == code,
            None => self.u.agency.as_deref() == Some(code),
        }
    }
}

fn roles(t: &Tr) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_string(), t.code("role", r.code())))
        .collect()
}

async fn agencies(s: &AppState) -> Vec<(String, String)> {
    vink_app::organisation::agencies(&s.app)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.code, a.name))
        .collect()
}

pub(super) async fn list_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    forms: Forms,
    status: StatusCode,
) -> Response {
    let users = match uc::list_users(&s.app, &user.session.actor).await {
        Ok(u) => u,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    let requests = if s.app.sso.is_some() {
        match vink_app::sso::access_requests(&s.app, &user.session.actor).await {
            Ok(r) => request_views(&forms, r),
            Err(e) => return app_error(t, Some(&user.session), e),
        }
    } else {
        Vec::new()
    };
    let mut p = Page::new(t, "users.title", Some(&user.session));
    if forms.any() {
        p.mark_error();
    }
    let page = ListPage {
        p,
        users,
        forms,
        roles: roles(&t),
        agencies: agencies(s).await,
        requests,
    };
    render(status, &page)
}

pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ConfirmedUser(user): ConfirmedUser,
) -> Response {
    list_page(&s, t, &user, Forms::blank(t), StatusCode::OK).await
}

fn nonblank(f: &FormData, k: &str) -> Option<String> {
    f.get(k).filter(|v| !v.trim().is_empty())
}

pub async fn create(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ConfirmedUser(user): ConfirmedUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let new = NewUser {
        username: f.value("username"),
        display_name: nonblank(&f, "display_name"),
        role: f.value("role"),
        agency: nonblank(&f, "agency"),
        password: f.value("password"),
        email: nonblank(&f, "email"),
    };
    match uc::add_user(&s.app, &user.session.actor, &new).await {
        Ok(_) => flash::redirect(
            s.secure_cookies,
            &format!("/users/{}", new.username.trim().to_lowercase()),
            "user_created",
        ),
        Err(AppError::Invalid(errs)) => {
            // The password is never sent back into the page.
            let kept = FormData(f.0.into_iter().filter(|(k, _)| k != "password").collect());
            list_page(
                &s,
                t,
                &user,
                Forms::failed(t, "new", kept, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            let mut errs = vink_domain::validation::FieldErrors::new();
            errs.add("username", "taken", "already exists");
            let kept = FormData(f.0.into_iter().filter(|(k, _)| k != "password").collect());
            list_page(
                &s,
                t,
                &user,
                Forms::failed(t, "new", kept, errs),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

async fn user_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    username: &str,
    forms: Forms,
    new_token: Option<String>,
    status: StatusCode,
) -> Response {
    let u = match uc::user(&s.app, &user.session.actor, username).await {
        Ok(u) => u,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    let mut p = Page::new(t, "users.user_title", Some(&user.session)).named(&u.display_name);
    if forms.any() {
        p.mark_error();
    }
    let page = UserPage {
        p,
        u,
        forms,
        roles: roles(&t),
        agencies: agencies(s).await,
        new_token,
    };
    render(status, &page)
}

pub async fn detail(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ConfirmedUser(user): ConfirmedUser,
    Path(username): Path<String>,
) -> Response {
    user_page(
        &s,
        t,
        &user,
        &username,
        Forms::blank(t),
        None,
        StatusCode::OK,
    )
    .await
}

/// One management form on a user's page: CSRF, the use case, then back to
/// the user with a confirmation, or the page again with the form's errors.
async fn act<F, Fut>(
    s: AppState,
    t: Tr,
    user: UiUser,
    username: String,
    (form, f): (&'static str, FormData),
    run: F,
) -> Response
where
    F: FnOnce(AppState, vink_domain::user::Actor, String, FormData) -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, AppError>>,
{
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let actor = user.session.actor.clone();
    let kept = FormData(
        f.0.iter()
            .filter(|(k, _)| k != "password")
            .cloned()
            .collect(),
    );
    match run(s.clone(), actor, username.clone(), f).await {
        // A new token is shown on the answer itself, never stored to show later.
        Ok(Some(token)) => {
            user_page(
                &s,
                t,
                &user,
                &username,
                Forms::blank(t),
                Some(token),
                StatusCode::OK,
            )
            .await
        }
        Ok(None) => flash::redirect(
            s.secure_cookies,
            &format!("/users/{username}"),
            &format!("user_{form}"),
        ),
        Err(AppError::Invalid(errs)) => {
            user_page(
                &s,
                t,
                &user,
                &username,
                Forms::failed(t, form, kept, errs),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// One of the user page's forms, by the last part of its address.
pub async fn action(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ConfirmedUser(user): ConfirmedUser,
    Path((username, action)): Path<(String, String)>,
    f: FormData,
) -> Response {
    let form: &'static str = match action.as_str() {
        "role" => "role",
        "password" => "password",
        "tokens" => "token",
        "revoke-tokens" => "revoke",
        "disable" => "disable",
        "enable" => "enable",
        "reset-second-factor" => "second_factor",
        "unlink-sso" => "sso_unlinked",
        _ => {
            return error_page(
                t,
                Some(&user.session),
                StatusCode::NOT_FOUND,
                "error.not_found",
            );
        }
    };
    act(
        s,
        t,
        user,
        username,
        (form, f),
        async move |s, a, u, f| match form {
            "role" => uc::change_role(
                &s.app,
                &a,
                &u,
                f.get("role").as_deref(),
                f.get("agency").as_deref(),
            )
            .await
            .map(|_| None),
            "password" => uc::reset_password(&s.app, &a, &u, &f.value("password"))
                .await
                .map(|_| None),
            "token" => uc::create_token(&s.app, &a, &u).await.map(Some),
            "revoke" => uc::revoke_tokens(&s.app, &a, &u).await.map(|_| None),
            "disable" => uc::disable_user(&s.app, &a, &u).await.map(|_| None),
            "second_factor" => vink_app::second_factor::reset(&s.app, &a, &u)
                .await
                .map(|_| None),
            "sso_unlinked" => uc::unlink_single_sign_on(&s.app, &a, &u)
                .await
                .map(|_| None),
            _ => uc::enable_user(&s.app, &a, &u).await.map(|_| None),
        },
    )
    .await
}
