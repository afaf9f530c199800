//! The public report form: no log-in, anonymous allowed, a honeypot, a size
//! limit, a per-address rate limit, and a receipt number once the report is
//! committed. Nothing can be read back through it.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
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
    phone: Option<String>,
}

/// The receipt travels to the receipt page in a short-lived cookie (not the
/// address, which ends up in histories and logs), so a refresh of that page
/// never sends the report again (post/redirect/get).
const RECEIPT_COOKIE: &str = "vink_receipt";

fn done(secure: bool, receipt: &str) -> Response {
    let mut resp = Redirect::to("/report/done").into_response();
    let cookie = crate::auth::set_cookie(RECEIPT_COOKIE, receipt, secure, Some(15 * 60));
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A receipt number as issued (`R-XXXX-XXXX`), nothing else.
fn valid_receipt(r: &str) -> bool {
    r.len() == 11
        && r.starts_with("R-")
        && r.chars()
            .skip(2)
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
}

pub async fn receipt(State(s): State<AppState>, UiLang(t): UiLang, headers: HeaderMap) -> Response {
    let receipt = crate::auth::header_cookie(&headers, RECEIPT_COOKIE)
        .filter(|r| valid_receipt(r))
        .unwrap_or_default()
        .to_string();
    render(
        StatusCode::OK,
        &DonePage {
            p: Page::new(t, "report.done_title", None),
            receipt,
            phone: s.app.config.public_phone.clone(),
        },
    )
}

fn form_page_of(t: Tr, f: FormData, e: Errors) -> ReportPage {
    ReportPage {
        p: Page::new(t, "report.title", None),
        e,
        f,
        reporter_kinds: ReporterKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), t.code("reporter_kind", k.code())))
            .collect(),
    }
}

pub async fn form(UiLang(t): UiLang) -> Response {
    render(
        StatusCode::OK,
        &form_page_of(t, FormData(Vec::new()), Errors::none(t)),
    )
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
        return done(s.secure_cookies, "");
    }
    // Named fields of an anonymous report are not sent on: the choice hides
    // them, and a hidden field must not make the report invalid.
    let anonymous = f.is("reporter_kind", "anonymous");
    let named = |k: &str| if anonymous { None } else { f.get(k) };
    let report = PublicReport {
        description: f.get("description"),
        reporter_kind: f.get("reporter_kind"),
        reporter_name: named("reporter_name"),
        reporter_contact: named("reporter_contact"),
        reporter_organisation: named("reporter_organisation"),
        person_name: f.get("person_name"),
        person_birth: f.get("person_birth"),
        person_district: f.get("person_district"),
        immediate_danger: f.get("immediate_danger"),
    };
    match vink_app::concern::report(&s.app, &report, &ip).await {
        Ok(receipt) => done(s.secure_cookies, &receipt),
        Err(AppError::Invalid(errs)) => {
            let mut page = form_page_of(t, f, Errors::of(t, errs));
            page.p.mark_error();
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => app_error(t, None, e),
    }
}
