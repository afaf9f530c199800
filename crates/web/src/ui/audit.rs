//! The audit log page for auditors.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::audit::{self as uc, AuditEntry, AuditQuery};

use super::{Page, app_error, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::view;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    p: Page,
    rows: Vec<(AuditEntry, String)>,
    older: String,
}

pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let session = &user.session;
    let before_seq = q
        .iter()
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse().ok());
    let query = AuditQuery {
        before_seq,
        limit: Some(100),
        ..Default::default()
    };
    match uc::list(&s.app, &session.actor, &query).await {
        Ok(rows) => {
            let older = match rows.last() {
                Some(r) if rows.len() == 100 && r.seq > 1 => format!("/audit?before={}", r.seq),
                _ => String::new(),
            };
            let rows = rows
                .into_iter()
                .map(|r| {
                    let at = view::instant(r.at);
                    (r, at)
                })
                .collect();
            render(
                StatusCode::OK,
                &AuditPage {
                    p: Page::new(t, "audit.title", Some(session)),
                    rows,
                    older,
                },
            )
        }
        Err(e) => app_error(t, Some(session), e),
    }
}
