//! The signed-in user's own reminders (the in-app inbox).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{FormData, Page, app_error, checked, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    p: Page,
    items: Vec<vink_app::reminder::InboxItem>,
}

pub async fn inbox(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    match vink_app::reminder::inbox(&s.app, &user.session.actor).await {
        Ok(items) => render(
            StatusCode::OK,
            &InboxPage {
                p: Page::new(t, "inbox.title", Some(&user.session)),
                items,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn inbox_read(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    let id = match checked(t, &user, &f, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match vink_app::reminder::mark_read(&s.app, &user.session.actor, id).await {
        Ok(()) => super::flash::redirect(s.secure_cookies, "/inbox", "inbox_read"),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
