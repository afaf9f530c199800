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
    /// The filters as given, for the form and the next page's link.
    q: AuditFilters,
    e: super::Errors,
    actions: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
}

/// The audit list's filters as they travel in the address.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuditFilters {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    record: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `asc` for oldest first; blank for newest first.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    order: String,
    #[serde(default, skip_serializing)]
    before: Option<i64>,
    #[serde(default, skip_serializing)]
    after: Option<i64>,
}

impl AuditFilters {
    fn oldest_first(&self) -> bool {
        self.order == "asc"
    }
    /// This list sorted the other way, filters kept, from its start.
    fn other_order(&self) -> String {
        let other = AuditFilters {
            order: if self.oldest_first() { "" } else { "asc" }.into(),
            before: None,
            after: None,
            ..self.clone()
        };
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&other).unwrap_or_default()
        )
    }
}

impl AuditPage {
    /// The form's values, as `FormData` for the field macros.
    fn f(&self) -> super::FormData {
        let q = &self.q;
        super::FormData(
            [
                ("actor", &q.actor),
                ("action", &q.action),
                ("record", &q.record),
                ("outcome", &q.outcome),
                ("from", &q.from),
                ("to", &q.to),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        )
    }
}

pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<AuditFilters>,
) -> Response {
    let session = &user.session;
    let nonblank = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let mut page = AuditPage {
        p: Page::new(t, "audit.title", Some(session)),
        rows: Vec::new(),
        older: String::new(),
        q: q.clone(),
        e: super::Errors::none(t),
        actions: vink_domain::policy::Action::ALL
            .iter()
            .map(|a| {
                (
                    a.code().to_string(),
                    t.code("action", &a.code().replace('.', "_")),
                )
            })
            .collect(),
        outcomes: ["allowed", "denied"]
            .iter()
            .map(|o| (o.to_string(), t.code("outcome", o)))
            .collect(),
    };
    let record = match nonblank(&q.record).map(|r| r.parse::<uuid::Uuid>()) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(_)) => {
            let mut errs = vink_domain::validation::FieldErrors::new();
            errs.add("record", "invalid_id", "not an id");
            page.e = super::Errors::of(t, errs);
            page.p.mark_error();
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let query = AuditQuery {
        before_seq: q.before,
        after_seq: q.after,
        order: q.oldest_first().then(|| "asc".to_string()),
        limit: Some(100),
        record_id: record,
        actor: nonblank(&q.actor),
        action: nonblank(&q.action),
        outcome: nonblank(&q.outcome),
        from: nonblank(&q.from),
        to: nonblank(&q.to),
        ..Default::default()
    };
    match uc::list(&s.app, &session.actor, &query).await {
        Ok(rows) => {
            if let Some(r) = rows.last()
                && rows.len() == 100
            {
                let filters = serde_urlencoded::to_string(&q).unwrap_or_default();
                if q.oldest_first() {
                    page.older = format!("/audit?{filters}&after={}", r.seq);
                } else if r.seq > 1 {
                    page.older = format!("/audit?{filters}&before={}", r.seq);
                }
            }
            page.rows = rows
                .into_iter()
                .map(|r| {
                    let at = view::instant(r.at);
                    (r, at)
                })
                .collect();
            render(StatusCode::OK, &page)
        }
        Err(vink_app::AppError::Invalid(errs)) => {
            page.e = super::Errors::of(t, errs);
            page.p.mark_error();
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
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
    crate::auth::ConfirmedUser(user): crate::auth::ConfirmedUser,
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
