//! The money: every grant with its budget lines, spent against budget and
//! what remains, and the funding history per year and source.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::funding::{self as uc, GrantView, HistoryRow};
use vink_domain::money::Ore;

use super::{Page, app_error, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};

#[derive(Template)]
#[template(path = "funding.html")]
struct FundingPage {
    p: Page,
    grants: Vec<GrantView>,
    history: Vec<HistoryRow>,
}

impl FundingPage {
    /// Exact Danish kroner for the tables (`1.234,50 kr.`).
    fn kr(&self, ore: &i64) -> String {
        Ore(*ore).danish()
    }
}

pub async fn page(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    let actor = &user.session.actor;
    let grants = match uc::grants(&s.app, actor).await {
        Ok(g) => g,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    match uc::history(&s.app, actor).await {
        Ok(history) => render(
            StatusCode::OK,
            &FundingPage {
                p: Page::new(t, "funding.title", Some(&user.session)),
                grants,
                history,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
