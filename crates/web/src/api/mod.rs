//! The JSON API under `/api/v1`. Authenticated by bearer token; every error is
//! `{"error": {"code", "message", "fields"}}`. Routes and the OpenAPI document
//! come from one source: each handler's `#[utoipa::path]`, registered with
//! `routes!`, so a route cannot exist without its documentation or the other
//! way round. The document is served at `/api/openapi.json`.

mod activity;
mod audit;
mod concern;
mod corps;
mod course;
mod doc;
mod extract;
mod follow_up;
mod funding;
mod key_figures;
mod organisation;
mod plan;
mod reminder;
mod search;
mod triage;

use std::sync::OnceLock;

use axum::Json;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::AppState;

pub use doc::ApiDoc;
pub(crate) use extract::no_route;

/// The API's routes with their documentation, at their full paths.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(concern::create, concern::list))
        .routes(routes!(concern::get))
        .routes(routes!(triage::transition))
        .routes(routes!(triage::decide))
        .routes(routes!(triage::pause))
        .routes(routes!(triage::resume))
        .routes(routes!(concern::link_person))
        .routes(routes!(concern::distinct_persons))
        .routes(routes!(triage::list_meetings, triage::create_meeting))
        .routes(routes!(triage::get_meeting))
        .routes(routes!(triage::add_to_agenda))
        .routes(routes!(triage::recommend))
        .routes(routes!(triage::minutes))
        .routes(routes!(audit::list))
        .routes(routes!(audit::person))
        .routes(routes!(organisation::agencies))
        .routes(routes!(course::list, course::create))
        .routes(routes!(course::get))
        .routes(routes!(course::transition))
        .routes(routes!(course::consent))
        .routes(routes!(course::withdraw_consent))
        .routes(routes!(course::assign))
        .routes(routes!(course::candidates))
        .routes(routes!(course::contact))
        .routes(routes!(course::add_goal))
        .routes(routes!(course::goal_status))
        .routes(routes!(course::assessment))
        .routes(routes!(corps::corps, corps::add_member))
        .routes(routes!(corps::member))
        .routes(routes!(corps::training))
        .routes(routes!(follow_up::follow_ups))
        .routes(routes!(follow_up::outcomes))
        .routes(routes!(key_figures::key_figures))
        .routes(routes!(activity::activities, activity::add_activity))
        .routes(routes!(activity::activity, activity::replace_activity))
        .routes(
            routes!(activity::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .routes(routes!(activity::import_template))
        .routes(routes!(activity::organisations, activity::add_organisation))
        .routes(routes!(activity::organisation))
        .routes(routes!(activity::forum_membership))
        .routes(routes!(activity::capacity_building))
        .routes(routes!(plan::plans, plan::add_plan))
        .routes(routes!(plan::plan))
        .routes(routes!(plan::assess))
        .routes(routes!(plan::set_status))
        .routes(routes!(funding::plan_budget))
        .routes(routes!(funding::sources, funding::add_source))
        .routes(routes!(funding::grants, funding::add_grant))
        .routes(routes!(funding::add_line))
        .routes(routes!(funding::replace_line))
        .routes(routes!(funding::add_spending))
        .routes(
            routes!(funding::import_spending)
                .layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .routes(routes!(funding::history))
        .routes(
            routes!(plan::import).layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .routes(routes!(reminder::inbox))
        .routes(routes!(search::search))
}

/// The API router (full paths under `/api/v1`).
pub fn routes() -> Router<AppState> {
    api().split_for_parts().0
}

/// The OpenAPI document, built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = api().split_for_parts().1;
        doc::complete(&mut doc);
        doc
    })
}

pub async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi())
}
