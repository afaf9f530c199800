//! The search box: one query over the concerns and courses the actor may
//! read, audited as one `search.run` row that names no query terms (what
//! someone searched for is itself sensitive).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::policy::{Action, Resource, concern_scope, course_scope};
use vink_domain::search::SearchQuery;
use vink_domain::user::Actor;
use vink_store::search as store;

use crate::{App, Result};

/// The most hits of each kind one search answers; more means "be more precise".
pub const MAX_HITS: i64 = 50;

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A case number (`K-2026-0042`), a birth date (`05.04.2009`,
    /// `5/4-2009`, `2009-04-05`) or the start of any part of a name.
    pub q: Option<String>,
}

/// One record found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// `concern` or `course`.
    pub kind: String,
    pub id: Uuid,
    /// The concern's case number (a course's: the concern it came from).
    pub case_number: Option<String>,
    /// Case number, person and birth date in one line.
    pub label: String,
    pub status: String,
    pub immediate_danger: bool,
    /// A course's programme kind.
    pub programme: Option<String>,
    pub person_name: Option<String>,
    pub person_birth: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    /// How the query was read: `case_number`, `birth` or `name`.
    pub query_kind: String,
    /// Immediate danger first, then newest case first.
    pub hits: Vec<SearchHit>,
    /// More records match than were returned: refine the query.
    pub truncated: bool,
}

/// Searches within the actor's scopes. Refused for roles that read neither
/// concerns nor courses; a malformed query is a 422 naming `q`.
pub async fn search(app: &App, actor: &Actor, params: &SearchParams) -> Result<SearchResults> {
    app.require(actor, Action::Search, None).await?;
    let q = SearchQuery::parse(params.q.as_deref().unwrap_or(""))?;
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::Search, &Resource::None, None)
        .await?;
    store::plan_for_values(&mut tx).await?;
    let q = store::rarest_first(&mut tx, q).await?;
    let concerns = store::concerns(&mut tx, &q, concern_scope(actor), MAX_HITS).await?;
    let courses = store::courses(&mut tx, &q, course_scope(actor), MAX_HITS).await?;
    tx.commit().await?;
    let truncated = concerns.len() as i64 >= MAX_HITS || courses.len() as i64 >= MAX_HITS;
    let mut seen = std::collections::HashSet::new();
    let mut hits: Vec<SearchHit> = concerns
        .into_iter()
        .map(|r| hit("concern", r))
        .chain(courses.into_iter().map(|r| hit("course", r)))
        // A concern naming two matching persons is found twice.
        .filter(|h| seen.insert((h.kind.clone(), h.id)))
        .collect();
    hits.sort_by(|a, b| {
        b.immediate_danger
            .cmp(&a.immediate_danger)
            .then_with(|| b.case_number.cmp(&a.case_number))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    Ok(SearchResults {
        query_kind: match q {
            SearchQuery::CaseNumber(_) => "case_number",
            SearchQuery::Birth(_) => "birth",
            SearchQuery::Name(_) => "name",
        }
        .into(),
        hits,
        truncated,
    })
}

fn hit(kind: &str, r: store::HitRow) -> SearchHit {
    let label = [
        r.case_number.clone(),
        r.person_name.clone(),
        r.person_birth.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    SearchHit {
        kind: kind.into(),
        id: r.id,
        case_number: r.case_number,
        label,
        status: r.status,
        immediate_danger: r.immediate_danger,
        programme: r.programme,
        person_name: r.person_name,
        person_birth: r.person_birth,
    }
}
