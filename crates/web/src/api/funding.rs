//! Funding sources, grants, budget lines and spending, and a plan's budget.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vink_app::activity_import::ImportResult;
use vink_app::funding::{self as uc, GrantView, HistoryRow, PlanBudget, SourceView};
use vink_domain::funding::{BudgetLineInput, FundingSourceInput, GrantInput, SpendingInput};

use super::course::{NewId, created};
use super::extract::{ApiJson, ErrorBody, path_id};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// The funding sources by name.
#[utoipa::path(get, path = "/api/v1/funding/sources", tag = "funding",
    responses((status = 200, body = Vec<SourceView>), (status = 403, body = ErrorBody)))]
pub async fn sources(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<SourceView>>, ApiError> {
    Ok(Json(uc::sources(&s.app, &a).await?))
}

/// Register a funding source (a budget agreement, the state pool, a ministry).
#[utoipa::path(post, path = "/api/v1/funding/sources", tag = "funding", request_body = FundingSourceInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_source(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<FundingSourceInput>,
) -> Result<Response, ApiError> {
    let id = uc::create_source(&s.app, &a, &input).await?;
    Ok(created("/api/v1/funding/sources".to_string(), id))
}

/// Every grant with its budget lines, what is not budgeted yet and what
/// remains (amounts in øre).
#[utoipa::path(get, path = "/api/v1/funding/grants", tag = "funding",
    responses((status = 200, body = Vec<GrantView>), (status = 403, body = ErrorBody)))]
pub async fn grants(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(uc::grants(&s.app, &a).await?))
}

/// Register a grant: `total` in øre (an integer) or kroner as text
/// (`"2.500.000"`); split over its years into budget lines unless
/// `split` is false.
#[utoipa::path(post, path = "/api/v1/funding/grants", tag = "funding", request_body = GrantInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_grant(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(input): ApiJson<GrantInput>,
) -> Result<Response, ApiError> {
    let id = uc::create_grant(&s.app, &a, &input).await?;
    Ok(created("/api/v1/funding/grants".to_string(), id))
}

/// Add a budget line to a grant; its year must lie in the grant's usage period.
#[utoipa::path(post, path = "/api/v1/funding/grants/{id}/lines", tag = "funding", params(("id" = Uuid, Path)),
    request_body = BudgetLineInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_line(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<BudgetLineInput>,
) -> Result<Response, ApiError> {
    let lid = uc::add_line(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(created("/api/v1/funding/grants".to_string(), lid))
}

/// Replace a budget line (year, amount, account, note).
#[utoipa::path(put, path = "/api/v1/funding/lines/{id}", tag = "funding", params(("id" = Uuid, Path)),
    request_body = BudgetLineInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_line(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<BudgetLineInput>,
) -> Result<StatusCode, ApiError> {
    uc::update_line(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Book a spending entry on a line. Beyond the line's budget is allowed and
/// flagged (`over_budget`) in the views.
#[utoipa::path(post, path = "/api/v1/funding/lines/{id}/spending", tag = "funding", params(("id" = Uuid, Path)),
    request_body = SpendingInput,
    responses((status = 201, body = NewId), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_spending(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SpendingInput>,
) -> Result<Response, ApiError> {
    let sid = uc::add_spending(&s.app, &a, path_id(&id)?, &input).await?;
    Ok(created("/api/v1/funding/grants".to_string(), sid))
}

/// Import spending from the finance system: CSV with `date;amount;account;
/// voucher;note` (or `dato;beløb;konto;bilag;tekst`); the account and year
/// name the budget line. All or nothing: on any error, 422 names each line
/// and column (`rows[3].amount`).
#[utoipa::path(post, path = "/api/v1/funding/spending/import", tag = "funding",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportResult), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_spending(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let text = vink_app::activity_import::decode(&body);
    match vink_app::spending_import::import(&s.app, &a, &text).await? {
        Ok(r) => Ok((StatusCode::CREATED, Json(r)).into_response()),
        Err(e) => Err(super::activity::row_errors(e).into()),
    }
}

/// Budget and spending per year and funding source, every year recorded.
#[utoipa::path(get, path = "/api/v1/funding/history", tag = "funding",
    responses((status = 200, body = Vec<HistoryRow>), (status = 403, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<HistoryRow>>, ApiError> {
    Ok(Json(uc::history(&s.app, &a).await?))
}

/// A plan's budget per funding source and year, in øre, with spent and
/// remaining: municipal budget agreements (Tabel 2), state pool grants
/// (Tabel 3) and the rest.
#[utoipa::path(get, path = "/api/v1/plans/{id}/budget", tag = "plans", params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanBudget), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn plan_budget(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PlanBudget>, ApiError> {
    Ok(Json(uc::plan_budget(&s.app, &a, path_id(&id)?).await?))
}
