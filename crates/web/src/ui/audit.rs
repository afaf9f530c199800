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

#[derive(Template)]
#[template(path = "audit_person.html")]
struct PersonPage {
    p: Page,
    person: String,
    e: super::Errors,
    report: Option<vink_app::audit::PersonAccess>,
    older: String,
}

impl PersonPage {
    fn at(&self, t: &jiff::Timestamp) -> String {
        view::instant(*t)
    }
}

/// "Who read anything about this person, when, as which agency": the
/// auditor's per-person access report, paged by `before`.
pub async fn person(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let session = &user.session;
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let person = get("person").unwrap_or_default();
    let mut page = PersonPage {
        p: Page::new(t, "audit.person_title", Some(session)),
        person: person.clone(),
        e: super::Errors::none(t),
        report: None,
        older: String::new(),
    };
    if person.is_empty() {
        return render(StatusCode::OK, &page);
    }
    let Ok(id) = person.parse::<uuid::Uuid>() else {
        let mut errs = vink_domain::validation::FieldErrors::new();
        errs.add("person", "invalid_id", "not a person id");
        page.e = super::Errors::of(t, errs);
        page.p.mark_error();
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let query = vink_app::audit::PersonAccessQuery {
        before_seq: get("before").and_then(|b| b.parse().ok()),
        limit: Some(100),
    };
    match uc::person_access(&s.app, &session.actor, id, &query).await {
        Ok(r) => {
            if let Some(b) = r.next_before_seq {
                page.older = format!("/audit/persons?person={id}&before={b}");
            }
            page.report = Some(r);
            render(StatusCode::OK, &page)
        }
        Err(e) => app_error(t, Some(session), e),
    }
}
