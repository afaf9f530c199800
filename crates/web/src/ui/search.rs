//! The search page behind the header's search box.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::search::{SearchParams, SearchResults};

use super::{Errors, Page, app_error, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    p: Page,
    q: String,
    e: Errors,
    results: Option<SearchResults>,
}

pub async fn search(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(params): Query<SearchParams>,
) -> Response {
    let q = params.q.clone().unwrap_or_default();
    let mut page = SearchPage {
        p: Page::new(t, "search.title", Some(&user.session)),
        q: q.clone(),
        e: Errors::none(t),
        results: None,
    };
    // An empty box shows the page with its hint, not an error.
    if q.trim().is_empty() {
        return render(StatusCode::OK, &page);
    }
    match vink_app::search::search(&s.app, &user.session.actor, &params).await {
        Ok(r) => {
            page.results = Some(r);
            render(StatusCode::OK, &page)
        }
        Err(AppError::Invalid(errs)) => {
            page.e = Errors::of(t, errs);
            page.p.mark_error();
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
