//! The public report form: no log-in, anonymous allowed, a honeypot, a size
//! limit, a per-address rate limit, and a receipt number once the report is
//! committed. Nothing can be read back through it.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::concern::PublicReport;
use vink_domain::concern::ReporterKind;

use super::{Errors, FormData, Page, app_error, render};
use crate::AppState;
use crate::auth::{ClientIp, UiLang};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    p: Page,
    e: Errors,
    f: FormData,
    reporter_kinds: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "report_done.html")]
struct DonePage {
    p: Page,
    receipt: String,
}

fn form_page(t: Tr, f: FormData, e: Errors, status: StatusCode) -> Response {
    let page = ReportPage {
        p: Page::new(t, "report.title", None),
        e,
        f,
        reporter_kinds: ReporterKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), t.code("reporter_kind", k.code())))
            .collect(),
    };
    render(status, &page)
}

pub async fn form(UiLang(t): UiLang) -> Response {
    form_page(t, FormData(Vec::new()), Errors::none(t), StatusCode::OK)
}

/// The field a person never fills in; bots do.
pub const HONEYPOT: &str = "website";

pub async fn submit(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    ClientIp(ip): ClientIp,
    f: FormData,
) -> Response {
    if f.get(HONEYPOT).is_some_and(|v| !v.is_empty()) {
        // Looks accepted to the bot; nothing is stored.
        tracing::info!("public report dropped by honeypot");
        return render(
            StatusCode::OK,
            &DonePage {
                p: Page::new(t, "report.done_title", None),
                receipt: String::new(),
            },
        );
    }
    let report = PublicReport {
        description: f.get("description"),
        reporter_kind: f.get("reporter_kind"),
        reporter_name: f.get("reporter_name"),
        reporter_contact: f.get("reporter_contact"),
        reporter_organisation: f.get("reporter_organisation"),
        person_name: f.get("person_name"),
        person_birth: f.get("person_birth"),
        person_district: f.get("person_district"),
        immediate_danger: f.get("immediate_danger"),
    };
    match vink_app::concern::report(&s.app, &report, &ip).await {
        Ok(receipt) => render(
            StatusCode::OK,
            &DonePage {
                p: Page::new(t, "report.done_title", None),
                receipt,
            },
        ),
        Err(AppError::Invalid(errs)) => {
            form_page(t, f, Errors::of(t, errs), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => app_error(t, None, e),
    }
}
