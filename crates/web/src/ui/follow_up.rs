//! The follow-up worklist and the outcome figures.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Page, app_error, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use vink_app::follow_up::{FollowUpItem, FollowUpQuery, OutcomeQuery, OutcomeReport};

#[derive(Template)]
#[template(path = "follow_ups.html")]
struct FollowUpsPage {
    p: Page,
    items: Vec<FollowUpItem>,
    due: String,
    kind: String,
    /// The next page's link, when there is one.
    next_link: String,
}

pub async fn follow_ups(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<FollowUpQuery>,
) -> Response {
    match vink_app::follow_up::worklist(&s.app, &user.session.actor, &q).await {
        Ok(page) => {
            let due = q.due.unwrap_or_default();
            let kind = q.kind.unwrap_or_default();
            let next_link = match page.next_after {
                Some(a) => format!(
                    "/follow-ups?{}",
                    serde_urlencoded::to_string([
                        ("due", due.as_str()),
                        ("kind", kind.as_str()),
                        ("after", a.as_str())
                    ])
                    .unwrap_or_default()
                ),
                None => String::new(),
            };
            render(
                StatusCode::OK,
                &FollowUpsPage {
                    p: Page::new(t, "follow_ups.title", Some(&user.session)),
                    items: page.items,
                    due,
                    kind,
                    next_link,
                },
            )
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "outcomes.html")]
struct OutcomesPage {
    p: Page,
    r: OutcomeReport,
}

pub async fn outcomes(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<OutcomeQuery>,
) -> Response {
    match vink_app::follow_up::outcomes(&s.app, &user.session.actor, &q).await {
        Ok(r) => render(
            StatusCode::OK,
            &OutcomesPage {
                p: Page::new(t, "outcomes.title", Some(&user.session)),
                r,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
