//! The key-figure report, as JSON or as a file.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use vink_app::key_figures::{self as uc, KeyFigureQuery, KeyFigureReport};

use super::extract::{ApiQuery, ErrorBody};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;

/// The period, and optionally a file format.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyFigureParams {
    /// First day (`YYYY-MM-DD` or `dd.mm.åååå`, Copenhagen), inclusive.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// `csv`, `xlsx` or `pdf` for the report as a file (in Danish);
    /// absent for JSON.
    pub format: Option<String>,
}

/// Every figure of the catalogue for a period (`from`, `to`: Copenhagen
/// dates, both inclusive), with the period of equal length before it and the
/// period month by month. Counts only, from anonymous facts; small numbers
/// are hidden from readers without case access. With `format`, the same
/// report as a CSV (Danish Excel), XLSX (with native charts) or A4 PDF.
#[utoipa::path(get, path = "/api/v1/key-figures", tag = "report", params(KeyFigureParams),
    responses(
        (status = 200, content(
            (KeyFigureReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/pdf"))),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn key_figures(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<KeyFigureParams>,
) -> Result<Response, ApiError> {
    let format = match q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => Some(crate::export::Format::parse(f).ok_or_else(|| {
            let mut e = vink_domain::validation::FieldErrors::new();
            e.add("format", "unknown_code", "must be csv, xlsx or pdf");
            ApiError::from(vink_app::AppError::Invalid(e))
        })?),
    };
    let report = uc::report(
        &s.app,
        &a,
        &KeyFigureQuery {
            from: q.from,
            to: q.to,
        },
    )
    .await?;
    Ok(match format {
        None => Json(report).into_response(),
        Some(f) => {
            let t = crate::i18n::Tr::new(crate::i18n::Lang::Da);
            let today = s.app.today().strftime("%d.%m.%Y").to_string();
            crate::ui::key_figures::file(&t, &report, f, &today).await
        }
    })
}
