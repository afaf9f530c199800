//! The money: every grant with its budget lines, spent against budget and
//! what remains, and the funding history per year and source. The
//! secretariat registers sources and grants, books spending by hand, and
//! imports the finance system's export here.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::funding::{self as uc, GrantView, HistoryRow, SourceView};
use vink_domain::funding::{
    AmountInput, FundingKind, FundingSourceInput, GrantInput, SpendingInput,
};
use vink_domain::money::Ore;
use vink_domain::policy::{Action, Resource, decide};
use vink_domain::validation::FieldErrors;

use super::course::{nonblank, options};
use super::{FormData, Forms, Page, app_error, csrf_failed, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "funding.html")]
struct FundingPage {
    p: Page,
    grants: Vec<GrantView>,
    history: Vec<HistoryRow>,
    can_manage: bool,
    forms: Forms,
    kinds: Vec<(String, String)>,
    sources: Vec<(String, String)>,
    plans: Vec<(String, String)>,
    /// Every budget line as a choice: (id, "grant – year").
    lines: Vec<(String, String)>,
    /// The finance import's row errors: (line, column, message).
    import_errors: Vec<(usize, String, String)>,
}

impl FundingPage {
    /// Exact Danish kroner for the tables (`1.234,50 kr.`).
    fn kr(&self, ore: &i64) -> String {
        Ore(*ore).danish()
    }

    /// A grant's line forms: (line id, year, values, errors). A form shows
    /// what it was sent with when it came back with errors, else the line
    /// as it is (amounts as typed: `250.000`, `1.234,50`).
    fn line_forms(&self, g: &GrantView) -> Vec<(uuid::Uuid, i32, FormData, super::Errors)> {
        g.lines
            .iter()
            .map(|l| {
                let name = format!("line-{}", l.id.simple());
                let e = self.forms.e(&name);
                let f = if e.any() {
                    self.forms.f(&name)
                } else {
                    FormData(vec![
                        ("year".into(), l.year.to_string()),
                        (
                            "amount".into(),
                            Ore(l.balance.budget)
                                .danish()
                                .trim_end_matches(" kr.")
                                .to_string(),
                        ),
                        ("account".into(), l.account.clone().unwrap_or_default()),
                    ])
                };
                (l.id, l.year, f, e)
            })
            .collect()
    }
}

async fn page_with(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    forms: Forms,
    import_errors: Vec<(usize, String, String)>,
    status: StatusCode,
) -> Response {
    let actor = &user.session.actor;
    let grants = match uc::grants(&s.app, actor).await {
        Ok(g) => g,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    let history = match uc::history(&s.app, actor).await {
        Ok(h) => h,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    let can_manage = decide(actor, Action::FundingManage, &Resource::None).is_allowed();
    let (sources, plans) = if can_manage {
        let sources: Vec<SourceView> = match uc::sources(&s.app, actor).await {
            Ok(x) => x,
            Err(e) => return app_error(t, Some(&user.session), e),
        };
        let plans = match vink_app::plan::list(&s.app, actor).await {
            Ok(x) => x,
            Err(e) => return app_error(t, Some(&user.session), e),
        };
        (
            sources
                .into_iter()
                .map(|x| (x.id.to_string(), x.name))
                .collect(),
            plans
                .into_iter()
                .map(|x| (x.id.to_string(), x.title))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let lines = grants
        .iter()
        .flat_map(|g| {
            g.lines.iter().map(move |l| {
                let account = l
                    .account
                    .as_deref()
                    .map(|a| format!(" (konto {a})"))
                    .unwrap_or_default();
                (
                    l.id.to_string(),
                    format!("{} – {}{account}", g.title, l.year),
                )
            })
        })
        .collect();
    let codes: Vec<&'static str> = FundingKind::ALL.iter().map(|k| k.code()).collect();
    let mut p = Page::new(t, "funding.title", Some(&user.session));
    if forms.any() || !import_errors.is_empty() {
        p.mark_error();
    }
    render(
        status,
        &FundingPage {
            p,
            grants,
            history,
            can_manage,
            forms,
            kinds: options(&t, "funding_kind", &codes),
            sources,
            plans,
            lines,
            import_errors,
        },
    )
}

pub async fn page(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    page_with(&s, t, &user, Forms::blank(t), Vec::new(), StatusCode::OK).await
}

/// A form's outcome: back to the page with its confirmation, or the page
/// again with the form's errors beside its fields.
async fn done(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    form: &str,
    f: FormData,
    r: Result<uuid::Uuid, AppError>,
    flash: &str,
) -> Response {
    match r {
        Ok(_) => super::flash::redirect(s.secure_cookies, "/funding", flash),
        Err(AppError::Invalid(errs)) => {
            page_with(
                s,
                t,
                user,
                Forms::failed(t, form, f, errs),
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn add_source(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let input = FundingSourceInput {
        name: nonblank(&f, "name"),
        kind: nonblank(&f, "kind"),
    };
    let r = uc::create_source(&s.app, &user.session.actor, &input).await;
    done(&s, t, &user, "source", f, r, "source_saved").await
}

/// Reads an id field, naming it when it is not one.
fn id_field(errs: &mut FieldErrors, f: &FormData, name: &str) -> Option<uuid::Uuid> {
    let v = nonblank(f, name)?;
    let id = v.parse().ok();
    if id.is_none() {
        errs.add(name, "unknown", "unknown choice");
    }
    id
}

fn year_field(errs: &mut FieldErrors, f: &FormData, name: &str) -> Option<i16> {
    let v = nonblank(f, name)?;
    let y = v.trim().parse().ok();
    if y.is_none() {
        errs.add(name, "out_of_range", "must be a year from 2000 to 2100");
    }
    y
}

pub async fn add_grant(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let mut errs = FieldErrors::new();
    let input = GrantInput {
        source: id_field(&mut errs, &f, "source"),
        title: nonblank(&f, "title"),
        total: nonblank(&f, "total").map(AmountInput::Kroner),
        usable_from: year_field(&mut errs, &f, "usable_from"),
        usable_to: year_field(&mut errs, &f, "usable_to"),
        conditions: nonblank(&f, "conditions"),
        report_deadlines: nonblank(&f, "report_deadline").into_iter().collect(),
        plan: id_field(&mut errs, &f, "plan"),
        split: None,
    };
    let r = if errs.is_empty() {
        uc::create_grant(&s.app, &user.session.actor, &input).await
    } else {
        Err(AppError::Invalid(errs))
    };
    done(&s, t, &user, "grant", f, r, "grant_saved").await
}

pub async fn add_spending(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let mut errs = FieldErrors::new();
    let line = id_field(&mut errs, &f, "line");
    if line.is_none() && errs.is_empty() {
        errs.add("line", "required", "is required");
    }
    let input = SpendingInput {
        spent_on: nonblank(&f, "spent_on"),
        amount: nonblank(&f, "amount").map(AmountInput::Kroner),
        voucher: nonblank(&f, "voucher"),
        note: None,
    };
    let r = match line {
        Some(line) if errs.is_empty() => {
            uc::add_spending(&s.app, &user.session.actor, line, &input).await
        }
        _ => Err(AppError::Invalid(errs)),
    };
    done(&s, t, &user, "spending", f, r, "spending_saved").await
}

/// Correcting a budget line (year, amount, account) from the page.
pub async fn edit_line(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let id = match super::parse_id(t, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut errs = FieldErrors::new();
    let input = vink_domain::funding::BudgetLineInput {
        year: year_field(&mut errs, &f, "year"),
        amount: nonblank(&f, "amount").map(AmountInput::Kroner),
        account: nonblank(&f, "account"),
        note: nonblank(&f, "note"),
        focus_area: None,
        intervention: None,
    };
    let r = if errs.is_empty() {
        uc::update_line(&s.app, &user.session.actor, id, &input)
            .await
            .map(|()| id)
    } else {
        Err(AppError::Invalid(errs))
    };
    let form = format!("line-{}", id.simple());
    done(&s, t, &user, &form, f, r, "line_saved").await
}

/// The finance system's export, uploaded.
pub async fn import_spending(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    form: axum::extract::Multipart,
) -> Response {
    let Some(up) = super::upload::read(form).await else {
        return page_with(
            &s,
            t,
            &user,
            Forms::blank(t),
            vec![(0, "file".into(), t.t("funding.upload_failed").into())],
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let (csrf, file) = (up.csrf, up.file);
    let failed = |key: &str| vec![(0usize, "file".to_string(), t.t(key).to_string())];
    if !crate::auth::same_secret(&csrf, &user.session.csrf) {
        return csrf_failed(t, &user.session);
    }
    if file.is_empty() {
        return page_with(
            &s,
            t,
            &user,
            Forms::blank(t),
            failed("funding.no_file"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let text = vink_app::activity_import::decode(&file);
    match vink_app::spending_import::import(&s.app, &user.session.actor, &text).await {
        Ok(Ok(_)) => super::flash::redirect(s.secure_cookies, "/funding", "spending_imported"),
        Ok(Err(e)) => {
            let errors = e
                .errors
                .into_iter()
                .map(|r| {
                    let msg = match r.code.as_str() {
                        "unknown_column" | "missing_column" | "unreadable" | "too_many_rows"
                        | "empty" => t.code("import_error", &r.code),
                        code => format!("{} ({})", t.code("error.field", code), r.message),
                    };
                    (r.line, r.column, msg)
                })
                .collect();
            page_with(
                &s,
                t,
                &user,
                Forms::blank(t),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
