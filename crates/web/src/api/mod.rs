//! The JSON API under `/api/v1`. Authenticated by bearer token; every error is
//! `{"error": {"code", "message", "fields"}}`. The OpenAPI document is generated
//! from these handlers and served at `/api/openapi.json`.

mod audit;
mod concern;
mod course;
mod extract;
mod organisation;
mod triage;

use axum::Json;
use axum::Router;
use axum::routing::{get, post, put};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/concerns", post(concern::create).get(concern::list))
        .route("/concerns/{id}", get(concern::get))
        .route("/concerns/{id}/transitions", post(triage::transition))
        .route("/concerns/{id}/decision", post(triage::decide))
        .route("/concerns/{id}/pause", post(triage::pause))
        .route("/concerns/{id}/resume", post(triage::resume))
        .route("/concerns/{id}/link-person", post(concern::link_person))
        .route(
            "/meetings",
            get(triage::list_meetings).post(triage::create_meeting),
        )
        .route("/meetings/{id}", get(triage::get_meeting))
        .route("/meetings/{id}/agenda", post(triage::add_to_agenda))
        .route(
            "/meetings/{id}/agenda/{concern_id}/recommendation",
            post(triage::recommend),
        )
        .route("/meetings/{id}/minutes", put(triage::minutes))
        .route("/audit", get(audit::list))
        .route("/agencies", get(organisation::agencies))
        .route("/courses", get(course::list).post(course::create))
        .route("/courses/{id}", get(course::get))
        .route("/courses/{id}/transitions", post(course::transition))
        .route("/courses/{id}/consent", put(course::consent))
        .route(
            "/courses/{id}/consent/withdrawal",
            post(course::withdraw_consent),
        )
        .route("/courses/{id}/assignment", put(course::assign))
        .route("/courses/{id}/candidates", get(course::candidates))
        .route("/courses/{id}/contacts", post(course::contact))
        .route("/courses/{id}/goals", post(course::add_goal))
        .route("/courses/{id}/goals/{goal_id}", put(course::goal_status))
        .route("/courses/{id}/assessments", post(course::assessment))
        .route("/corps", get(course::corps).post(course::add_member))
        .route("/corps/{id}", get(course::member))
        .route("/corps/{id}/training", post(course::training))
        .route("/follow-ups", get(course::follow_ups))
        .route("/outcomes", get(course::outcomes))
        .route("/inbox", get(course::inbox))
        .fallback(extract::no_route)
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The API's OpenAPI description, generated from the handlers and types.
#[derive(OpenApi)]
#[openapi(
    info(title = "vink API", description = "Concerns, triage and the coordination unit. Bearer tokens come from `vink user token NAME`."),
    paths(
        concern::create, concern::list, concern::get, concern::link_person,
        triage::transition, triage::decide, triage::pause, triage::resume,
        triage::list_meetings, triage::create_meeting, triage::get_meeting,
        triage::add_to_agenda, triage::recommend, triage::minutes,
        audit::list, organisation::agencies,
        course::create, course::list, course::get, course::transition, course::consent, course::withdraw_consent, course::assign,
        course::candidates, course::contact, course::add_goal, course::goal_status, course::assessment,
        course::corps, course::add_member, course::member, course::training, course::follow_ups, course::outcomes, course::inbox,
    ),
    components(schemas(extract::ErrorBody, extract::ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
