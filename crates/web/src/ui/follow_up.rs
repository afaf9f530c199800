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
    /// Latest due first (the header's `aria-sort`).
    latest_first: bool,
    /// This list sorted the other way, filters kept.
    other_order: String,
    /// The next page's link, when there is one.
    next_link: String,
}

/// The worklist's address with these parameters (blank ones left out).
fn worklist_link(params: &[(&str, &str)]) -> String {
    let kept: Vec<_> = params.iter().filter(|(_, v)| !v.is_empty()).collect();
    if kept.is_empty() {
        return "/follow-ups".into();
    }
    format!(
        "/follow-ups?{}",
        serde_urlencoded::to_string(kept).unwrap_or_default()
    )
}

pub async fn follow_ups(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(mut q): Query<FollowUpQuery>,
) -> Response {
    // The page offers two orders; anything else in the address is the default.
    q.order = q.order.filter(|o| o == "desc");
    match vink_app::follow_up::worklist(&s.app, &user.session.actor, &q).await {
        Ok(page) => {
            let due = q.due.unwrap_or_default();
            let kind = q.kind.unwrap_or_default();
            let latest_first = q.order.as_deref() == Some("desc");
            let order = if latest_first { "desc" } else { "" };
            let next_link = match page.next_after {
                Some(a) => worklist_link(&[
                    ("due", &due),
                    ("kind", &kind),
                    ("order", order),
                    ("after", &a),
                ]),
                None => String::new(),
            };
            let other = if latest_first { "" } else { "desc" };
            let other_order = worklist_link(&[("due", &due), ("kind", &kind), ("order", other)]);
            render(
                StatusCode::OK,
                &FollowUpsPage {
                    p: Page::new(t, "follow_ups.title", Some(&user.session)),
                    items: page.items,
                    due,
                    kind,
                    latest_first,
                    other_order,
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
