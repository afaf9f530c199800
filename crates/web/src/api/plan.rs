//! Action plans with their targets' live attainment.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use vink_app::plan::{self as uc, PlanSummary, PlanView, StatusInput};
use vink_domain::plan::{AssessmentInput, PlanInput};

use super::course::{NewId, created};
use super::extract::{ApiJson, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// The plans, newest period first.
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans",
    responses((status = 200, body = Vec<PlanSummary>), (status = 403, body = ErrorBody)))]
pub async fn plans(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<PlanSummary>>, ApiError> {
    Ok(Json(uc::list(&s.app, &a).await?))
}

/// Write a plan with its focus areas, interventions and targets. A target
/// names a metric of the key-figure catalogue (`GET /api/v1/key-figures`
/// lists the codes); its actual value is always counted, never given. A
/// target without `year` is one target for every year of the plan.
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = PlanInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Response, ApiError> {
    let id = uc::create(&s.app, &a, &input).await?;
    Ok(created(format!("/api/v1/plans/{id}"), id))
}

/// Optionally a file format.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    /// `csv`, `xlsx` or `pdf` for the plan document as a file (in Danish),
    /// `toml` for the plan in the import format; absent for JSON.
    pub format: Option<String>,
}

/// A plan with every target's actual value, status and year-end forecast,
/// counted now from the facts (a closed plan: frozen at closing, with later
/// corrections apart). With `format`, the plan document: Tabel 1 with live
/// attainment, the budget tables with totals and the key figures of the
/// plan period, as CSV, XLSX or A4 PDF.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = Uuid, Path), PlanParams),
    responses(
        (status = 200, content(
            (PlanView = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/pdf"),
            (String = "application/toml"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    super::extract::ApiQuery(q): super::extract::ApiQuery<PlanParams>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    match q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => Ok(Json(uc::get(&s.app, &a, id).await?).into_response()),
        Some("toml") => Ok(crate::download::file(
            &format!("handleplan-{id}.toml"),
            "application/toml; charset=utf-8",
            vink_app::plan_import::export(&s.app, &a, id)
                .await?
                .into_bytes(),
        )),
        Some(f) => {
            let format = crate::export::Format::parse(f).ok_or_else(|| {
                let mut e = vink_domain::validation::FieldErrors::new();
                e.add("format", "unknown_code", "must be csv, xlsx, pdf or toml");
                ApiError::from(vink_app::AppError::Invalid(e))
            })?;
            let t = crate::i18n::Tr::new(crate::i18n::Lang::Da);
            Ok(crate::ui::plan::file(&s, &t, &a, id, format).await?)
        }
    }
}

/// Import a plan from a TOML or JSON file (the request body; format in
/// docs/plan-format.md). A syntax error names its line; a content error
/// names the field's path; nothing is saved on any error.
#[utoipa::path(post, path = "/api/v1/plans/import", tag = "plans",
    request_body(content = String, content_type = "application/toml"),
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let name = if json { "plan.json" } else { "plan.toml" };
    let id = vink_app::plan_import::import(&s.app, &a, name, &body).await?;
    Ok(created(format!("/api/v1/plans/{id}"), id))
}

/// Assess a qualitative target (a judgement with a note and where the
/// evidence is); the latest assessment is the target's status. Counted
/// targets are refused: their status is counted.
#[utoipa::path(post, path = "/api/v1/plans/{id}/targets/{target_id}/assessments", tag = "plans",
    params(("id" = Uuid, Path), ("target_id" = Uuid, Path)), request_body = AssessmentInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assess(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, target_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> Result<Response, ApiError> {
    let plan = path_id(&id)?;
    let aid = uc::assess(&s.app, &a, plan, path_id(&target_id)?, &input).await?;
    Ok(created(format!("/api/v1/plans/{plan}"), aid))
}

/// Move a plan: `adopted` (from draft) or `closed` (from adopted), naming
/// the `version` read. Closing freezes every target's figures in a
/// snapshot with its digest; later corrections show as a difference
/// (`since_closing`), never as a changed figure. A stale version or a move
/// the status does not allow answers 409.
#[utoipa::path(post, path = "/api/v1/plans/{id}/status", tag = "plans", params(("id" = Uuid, Path)),
    request_body = StatusInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StatusInput>,
) -> Result<axum::http::StatusCode, ApiError> {
    uc::set_status(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
