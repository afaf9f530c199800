//! The action plans: the list with the import upload, and a plan laid out
//! like the seed's Tabel 1 with every target's live attainment beside it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::plan::{self as uc, PlanSummary, PlanView, TargetView};
use vink_domain::attainment::ForecastMethod;
use vink_domain::policy::{Action, Resource, decide};

use super::course::{nonblank, options};
use super::{FormData, Forms, Page, app_error, csrf_failed, parse_id, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "plans.html")]
struct ListPage {
    p: Page,
    plans: Vec<PlanSummary>,
    can_manage: bool,
    /// Import problems: (field, message).
    errors: Vec<(String, String)>,
}

async fn list_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    match uc::list(&s.app, &user.session.actor).await {
        Ok(plans) => {
            let mut p = Page::new(t, "plans.title", Some(&user.session));
            if !errors.is_empty() {
                p.mark_error();
            }
            render(
                status,
                &ListPage {
                    p,
                    plans,
                    can_manage: decide(&user.session.actor, Action::PlanManage, &Resource::None)
                        .is_allowed(),
                    errors,
                },
            )
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn list(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    list_page(&s, t, &user, Vec::new(), StatusCode::OK).await
}

/// The upload of a plan file (TOML or JSON).
pub async fn import(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    form: axum::extract::Multipart,
) -> Response {
    let Some(up) = super::upload::read(form).await else {
        return list_page(
            &s,
            t,
            &user,
            vec![("file".into(), t.t("plans.upload_failed").into())],
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let (csrf, file, name) = (up.csrf, up.file, up.name);
    let failed = |key: &str| vec![("file".to_string(), t.t(key).to_string())];
    if !crate::auth::same_secret(&csrf, &user.session.csrf) {
        return csrf_failed(t, &user.session);
    }
    if file.is_empty() {
        return list_page(
            &s,
            t,
            &user,
            failed("plans.no_file"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match vink_app::plan_import::import(&s.app, &user.session.actor, &name, &file).await {
        Ok(id) => {
            super::flash::redirect(s.secure_cookies, &format!("/plans/{id}"), "plan_imported")
        }
        Err(AppError::Invalid(errs)) => {
            let errors = errs
                .0
                .into_iter()
                .map(|e| {
                    // A syntax error's message names its line: keep it.
                    let msg = if e.code == "syntax" {
                        e.message
                    } else {
                        format!("{} ({})", t.code("error.field", e.code), e.message)
                    };
                    (e.field, msg)
                })
                .collect();
            list_page(&s, t, &user, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// A target as the page shows it.
pub struct TargetRow {
    pub year: i32,
    pub text: String,
    pub goal: String,
    pub actual: String,
    pub status: String,
    pub status_code: String,
    pub forecast: String,
    pub method: String,
    pub note: String,
    /// A closed plan: the figures counted now, when they differ.
    pub live: String,
}

fn target_row(t: &Tr, v: &TargetView) -> TargetRow {
    let percent = |n: i64| format!("{n} %");
    let goal = match (v.kind.as_str(), v.value) {
        ("share", Some(p)) => t.f1("plans.goal_share", "percent", percent(p)),
        (_, Some(n)) => t.f1("plans.goal_count", "n", n),
        _ => t.t("plans.goal_qualitative").to_string(),
    };
    let actual = if v.suppressed {
        "<5".to_string()
    } else {
        match (&v.share, v.actual) {
            (Some(s), Some(p)) => t.f(
                "plans.actual_share",
                &[
                    ("percent", percent(p)),
                    ("numerator", s.numerator.to_string()),
                    ("denominator", s.denominator.to_string()),
                    ("pending", s.pending.to_string()),
                ],
            ),
            (Some(s), None) => t.f1("plans.pending_only", "pending", s.pending),
            (None, Some(n)) => n.to_string(),
            (None, None) => "–".to_string(),
        }
    };
    let (forecast, method) = match &v.forecast {
        Some(f) => (
            f.value.to_string(),
            match &f.method {
                ForecastMethod::Seasonal {
                    years,
                    reached_percent,
                } => t.f(
                    "plans.method_seasonal",
                    &[
                        (
                            "years",
                            years
                                .iter()
                                .map(i16::to_string)
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        ("percent", percent(*reached_percent)),
                    ],
                ),
                ForecastMethod::RunRate { days_gone, days } => t.f(
                    "plans.method_run_rate",
                    &[("gone", days_gone.to_string()), ("days", days.to_string())],
                ),
                ForecastMethod::Current => t.t("plans.method_current").to_string(),
            },
        ),
        None => (String::new(), String::new()),
    };
    // A forecast that only repeats the figure (a year over, a state) says
    // nothing: not shown.
    let (forecast, method) = match &v.forecast {
        Some(f)
            if f.method == ForecastMethod::Current && f.value == v.actual.unwrap_or(f.value) =>
        {
            (String::new(), String::new())
        }
        _ => (forecast, method),
    };
    let note = v
        .assessment
        .as_ref()
        .map(|a| format!("{} ({})", a.note, crate::view::day(&a.assessed_at)))
        .unwrap_or_default();
    let live = match &v.since_closing {
        Some(f) => {
            let figure = match (&f.share, f.actual) {
                (Some(s), Some(p)) => t.f(
                    "plans.actual_share",
                    &[
                        ("percent", percent(p)),
                        ("numerator", s.numerator.to_string()),
                        ("denominator", s.denominator.to_string()),
                        ("pending", s.pending.to_string()),
                    ],
                ),
                (None, Some(n)) => n.to_string(),
                _ if v.suppressed => "<5".to_string(),
                _ => "–".to_string(),
            };
            t.f2(
                "plans.since_closing",
                "figure",
                figure,
                "status",
                t.code("target_status", &f.status),
            )
        }
        None => String::new(),
    };
    TargetRow {
        live,
        year: v.year,
        text: v.text.clone(),
        goal,
        actual,
        status: t.code("target_status", &v.status),
        status_code: v.status.clone(),
        forecast,
        method,
        note,
    }
}

/// A focus area as the page shows it.
pub struct AreaRow {
    pub title: String,
    pub level: String,
    pub effect: String,
    pub interventions: Vec<(String, Vec<TargetRow>)>,
    pub targets: Vec<TargetRow>,
    /// Qualitative targets to assess: (form name = target id, text, year).
    pub qualitative: Vec<(String, String, i32)>,
    /// The money said to be for this focus area, if any.
    pub budget: String,
}

/// A budget table as the plan lays it out: a row per source (or grant),
/// a column per year, and a total row and column.
pub struct MoneyTable {
    pub caption: String,
    pub years: Vec<i32>,
    /// (label, note, amount per year, total)
    pub rows: Vec<(String, String, Vec<String>, String)>,
    pub totals: (Vec<String>, String),
}

fn money(o: i64) -> String {
    if o == 0 {
        "-".to_string()
    } else {
        vink_domain::money::Ore(o).short()
    }
}

fn money_table(
    t: &Tr,
    caption: String,
    table: &vink_app::funding::BudgetTable,
    by_grant: bool,
    from: i32,
    to: i32,
) -> MoneyTable {
    let years: Vec<i32> = (from..=to).collect();
    let cells = |ys: &[vink_app::funding::SourceYear]| -> Vec<String> {
        ys.iter().map(|y| money(y.balance.budget)).collect()
    };
    let rows = if by_grant {
        table
            .sources
            .iter()
            .flat_map(|s| s.grants.iter())
            .map(|g| {
                let note = if g.usable_from == g.usable_to {
                    String::new()
                } else {
                    t.f2("plans.usable", "from", g.usable_from, "to", g.usable_to)
                };
                (
                    g.title.clone(),
                    note,
                    cells(&g.years),
                    money(g.total.budget),
                )
            })
            .collect()
    } else {
        table
            .sources
            .iter()
            .map(|s| {
                (
                    s.source.name.clone(),
                    String::new(),
                    cells(&s.years),
                    money(s.total.budget),
                )
            })
            .collect()
    };
    MoneyTable {
        caption,
        years,
        rows,
        totals: (cells(&table.years), money(table.total.budget)),
    }
}

/// The plan's budget tables for a reader who may see money; none for
/// others (the coordination unit reads plans, not budgets).
async fn budget_tables(
    s: &AppState,
    t: &Tr,
    actor: &vink_domain::user::Actor,
    id: uuid::Uuid,
) -> Result<(Vec<MoneyTable>, Vec<vink_app::funding::AreaBudget>), AppError> {
    if !decide(actor, Action::FundingRead, &Resource::None).is_allowed() {
        return Ok((Vec::new(), Vec::new()));
    }
    let b = vink_app::funding::plan_budget(&s.app, actor, id).await?;
    let tables = [
        (&b.municipal_budget, "plans.table2", false),
        (&b.state_pool, "plans.table3", true),
        (&b.other, "plans.table_other", true),
    ]
    .into_iter()
    .filter(|(table, _, _)| !table.sources.is_empty())
    .map(|(table, key, by_grant)| {
        money_table(
            t,
            t.t(key).to_string(),
            table,
            by_grant,
            b.from_year,
            b.to_year,
        )
    })
    .collect();
    Ok((tables, b.by_focus_area))
}

/// The key figures of the plan's years so far (none before it starts), for
/// a reader of key figures.
pub fn plan_period(plan: &PlanView, today: jiff::civil::Date) -> Option<(String, String)> {
    let from = jiff::civil::Date::new(i16::try_from(plan.from_year).ok()?, 1, 1).ok()?;
    let end = jiff::civil::Date::new(i16::try_from(plan.to_year).ok()?, 12, 31).ok()?;
    let to = end.min(today);
    (from <= to).then(|| (from.to_string(), to.to_string()))
}

/// The plan as a document: purposes, each focus area with its targets and
/// attainment (Tabel 1), the budget tables with totals (Tabel 2 and 3), and
/// the key figures of the plan period.
pub fn doc(
    t: &Tr,
    plan: &PlanView,
    budgets: &[MoneyTable],
    figures: Option<&vink_app::key_figures::KeyFigureReport>,
    today: &str,
) -> crate::export::Doc {
    use crate::export::{Block, Doc};
    let mut blocks = Vec::new();
    if !plan.purposes.is_empty() {
        blocks.push(Block::Heading(t.t("plans.purposes").into()));
        // A table's head names the columns after the label column: the
        // purposes are labels only.
        blocks.push(Block::Table {
            head: Vec::new(),
            rows: plan.purposes.iter().map(|p| vec![p.clone()]).collect(),
        });
    }
    for (i, a) in plan.focus_areas.iter().enumerate() {
        blocks.push(Block::Heading(format!("{}. {}", i + 1, a.title)));
        let mut about = vec![vec![
            t.t("plans.level").to_string(),
            t.code("prevention_level", &a.level),
        ]];
        if let Some(e) = &a.effect {
            about.push(vec![t.t("plans.effect").into(), e.clone()]);
        }
        if !a.interventions.is_empty() {
            let list: Vec<&str> = a.interventions.iter().map(|i| i.title.as_str()).collect();
            about.push(vec![t.t("plans.interventions").into(), list.join("; ")]);
        }
        blocks.push(Block::Table {
            head: vec![String::new()],
            rows: about,
        });
        let rows: Vec<Vec<String>> = a
            .targets
            .iter()
            .chain(a.interventions.iter().flat_map(|i| i.targets.iter()))
            .map(|v| {
                let r = target_row(t, v);
                let forecast = if r.forecast.is_empty() {
                    String::new()
                } else {
                    format!("{} ({})", r.forecast, r.method)
                };
                let mut status = r.status;
                if !r.live.is_empty() {
                    status = format!("{status}; {}", r.live);
                }
                vec![
                    r.text,
                    r.year.to_string(),
                    r.goal,
                    r.actual,
                    forecast,
                    status,
                ]
            })
            .collect();
        blocks.push(Block::Table {
            head: vec![
                t.t("plans.year").into(),
                t.t("plans.goal").into(),
                t.t("plans.actual").into(),
                t.t("plans.forecast").into(),
                t.t("plans.status").into(),
            ],
            rows,
        });
    }
    for b in budgets {
        blocks.push(Block::Heading(b.caption.clone()));
        let mut head: Vec<String> = b
            .years
            .iter()
            .map(|y| t.f1("plans.budget_in", "year", y))
            .collect();
        head.push(t.t("plans.total").into());
        let mut rows: Vec<Vec<String>> = b
            .rows
            .iter()
            .map(|(label, note, cells, total)| {
                let label = if note.is_empty() {
                    label.clone()
                } else {
                    format!("{label} ({note})")
                };
                std::iter::once(label)
                    .chain(cells.iter().cloned())
                    .chain(std::iter::once(total.clone()))
                    .collect()
            })
            .collect();
        rows.push(
            std::iter::once(t.t("plans.total").to_string())
                .chain(b.totals.0.iter().cloned())
                .chain(std::iter::once(b.totals.1.clone()))
                .collect(),
        );
        blocks.push(Block::Table { head, rows });
    }
    if let Some(r) = figures {
        blocks.push(Block::Heading(t.f2(
            "plans.key_figures",
            "from",
            crate::view::day(&r.from),
            "to",
            crate::view::day(&r.to),
        )));
        blocks.extend(super::key_figures::doc(t, r, today).blocks);
    }
    let years = if plan.from_year == plan.to_year {
        plan.from_year.to_string()
    } else {
        format!("{}–{}", plan.from_year, plan.to_year)
    };
    let mut note = t.f1("key_figures.printed", "d", today);
    if plan.suppressed_small_numbers {
        note = format!("{note} {}", t.t("plans.suppressed"));
    }
    Doc {
        title: plan.title.clone(),
        subtitle: format!(
            "{years} · {} · {} {}",
            t.code("plan_status", &plan.status),
            t.t("plans.as_of"),
            crate::view::day(&plan.as_of)
        ),
        note,
        blocks,
    }
}

/// The plan as a file, with what this reader may see.
pub async fn file(
    s: &AppState,
    t: &Tr,
    actor: &vink_domain::user::Actor,
    id: uuid::Uuid,
    format: crate::export::Format,
) -> Result<Response, AppError> {
    let plan = uc::get(&s.app, actor, id).await?;
    let (budgets, _) = budget_tables(s, t, actor, id).await?;
    let today = s.app.today();
    let figures = match plan_period(&plan, today) {
        Some((from, to)) if decide(actor, Action::KeyFigureRead, &Resource::None).is_allowed() => {
            let q = vink_app::key_figures::KeyFigureQuery {
                from: Some(from),
                to: Some(to),
            };
            Some(vink_app::key_figures::report(&s.app, actor, &q).await?)
        }
        _ => None,
    };
    let printed = today.strftime("%d.%m.%Y").to_string();
    let name = format!("handleplan-{}-{}", plan.from_year, plan.to_year);
    Ok(super::download(
        (*t, None),
        doc(t, &plan, &budgets, figures.as_ref(), &printed),
        format,
        &name,
    )
    .await)
}

/// `/plans/{id}/export?format=csv|xlsx|pdf`.
pub async fn export(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(t, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let asked = q
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str());
    if asked == Some("toml") {
        return match vink_app::plan_import::export(&s.app, &user.session.actor, id).await {
            Ok(text) => crate::download::file(
                &format!("handleplan-{id}.toml"),
                "application/toml; charset=utf-8",
                text.into_bytes(),
            ),
            Err(e) => app_error(t, Some(&user.session), e),
        };
    }
    let format = asked.and_then(crate::export::Format::parse);
    let Some(format) = format else {
        return super::error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.invalid",
        );
    };
    match file(&s, &t, &user.session.actor, id, format).await {
        Ok(r) => r,
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "plan.html")]
struct DetailPage {
    p: Page,
    plan: PlanView,
    areas: Vec<AreaRow>,
    budgets: Vec<MoneyTable>,
    can_manage: bool,
    forms: Forms,
    statuses: Vec<(String, String)>,
    /// The plan period's key figures, as a link (`from`, `to`).
    period: Option<(String, String)>,
    /// The key figures of the plan period so far, as the key-figure page
    /// groups them (for readers of key figures).
    figures: Vec<super::key_figures::Section>,
}

fn qualitative(a: &vink_app::plan::FocusAreaView) -> Vec<(String, String, i32)> {
    a.targets
        .iter()
        .chain(a.interventions.iter().flat_map(|i| i.targets.iter()))
        .filter(|t| t.kind == "qualitative")
        .map(|t| (t.id.simple().to_string(), t.text.clone(), t.year))
        .collect()
}

async fn detail_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: uuid::Uuid,
    forms: Forms,
    status: StatusCode,
) -> Response {
    let (budgets, area_budgets) = match budget_tables(s, &t, &user.session.actor, id).await {
        Ok(b) => b,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    match uc::get(&s.app, &user.session.actor, id).await {
        Ok(plan) => {
            let areas = plan
                .focus_areas
                .iter()
                .map(|a| AreaRow {
                    title: a.title.clone(),
                    level: t.code("prevention_level", &a.level),
                    effect: a.effect.clone().unwrap_or_default(),
                    interventions: a
                        .interventions
                        .iter()
                        .map(|i| {
                            (
                                i.title.clone(),
                                i.targets.iter().map(|v| target_row(&t, v)).collect(),
                            )
                        })
                        .collect(),
                    targets: a.targets.iter().map(|v| target_row(&t, v)).collect(),
                    qualitative: qualitative(a),
                    budget: area_budgets
                        .iter()
                        .find(|b| b.focus_area == a.id)
                        .map(|b| {
                            t.f2(
                                "plans.area_budget",
                                "budget",
                                vink_domain::money::Ore(b.balance.budget).short(),
                                "spent",
                                vink_domain::money::Ore(b.balance.spent).short(),
                            )
                        })
                        .unwrap_or_default(),
                })
                .collect();
            let period = plan_period(&plan, s.app.today());
            let figures = match &period {
                Some((from, to))
                    if decide(&user.session.actor, Action::KeyFigureRead, &Resource::None)
                        .is_allowed() =>
                {
                    let q = vink_app::key_figures::KeyFigureQuery {
                        from: Some(from.clone()),
                        to: Some(to.clone()),
                    };
                    match vink_app::key_figures::report(&s.app, &user.session.actor, &q).await {
                        Ok(r) => super::key_figures::sections(&t, &r),
                        Err(e) => return app_error(t, Some(&user.session), e),
                    }
                }
                _ => Vec::new(),
            };
            let mut p = Page::new(t, "plans.detail_title", Some(&user.session)).named(&plan.title);
            if forms.any() {
                p.mark_error();
            }
            render(
                status,
                &DetailPage {
                    p,
                    plan,
                    areas,
                    period,
                    figures,
                    budgets,
                    can_manage: decide(&user.session.actor, Action::PlanManage, &Resource::None)
                        .is_allowed(),
                    forms,
                    statuses: options(
                        &t,
                        "target_status",
                        &["met", "on_track", "at_risk", "not_met"],
                    ),
                },
            )
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn detail(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(t, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    detail_page(&s, t, &user, id, Forms::blank(t), StatusCode::OK).await
}

/// Adopting or closing a plan, from its page.
pub async fn status(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let id = match parse_id(t, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = uc::StatusInput {
        status: nonblank(&f, "status"),
        version: nonblank(&f, "version").and_then(|v| v.parse().ok()),
    };
    match uc::set_status(&s.app, &user.session.actor, id, &input).await {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/plans/{id}"),
            "plan_status_saved",
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// A person's assessment of a qualitative target, from the plan page.
pub async fn assess(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path((id, target)): Path<(String, String)>,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let (id, target) = match (parse_id(t, &user, &id), parse_id(t, &user, &target)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let input = vink_domain::plan::AssessmentInput {
        status: nonblank(&f, "status"),
        note: nonblank(&f, "note"),
        evidence: nonblank(&f, "evidence"),
    };
    match uc::assess(&s.app, &user.session.actor, id, target, &input).await {
        Ok(_) => super::flash::redirect(
            s.secure_cookies,
            &format!("/plans/{id}"),
            "assessment_saved",
        ),
        Err(AppError::Invalid(errs)) => {
            let forms = Forms::failed(t, &target.simple().to_string(), f, errs);
            detail_page(&s, t, &user, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
