//! Organisations and local institutions: the register, the citizen forum
//! and capacity building.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::activity::{self as uc, OrganisationDetail, OrganisationQuery, OrganisationView};
use vink_domain::organisation::{OrganisationInput, OrganisationKind, PeriodInput};
use vink_domain::policy::{Action, Resource, decide};
use vink_domain::validation::FieldErrors;

use super::course::{nonblank, options};
use super::{Errors, FormData, Page, app_error, checked, csrf_failed, parse_id, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "organisations.html")]
struct ListPage {
    p: Page,
    items: Vec<OrganisationView>,
    f: FormData,
    e: Errors,
    kinds: Vec<(String, String)>,
    can_manage: bool,
}

fn kinds(t: &Tr) -> Vec<(String, String)> {
    let codes: Vec<&'static str> = OrganisationKind::ALL.iter().map(|k| k.code()).collect();
    options(t, "organisation_kind", &codes)
}

async fn list_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    f: FormData,
    e: Errors,
    status: StatusCode,
) -> Response {
    let q = OrganisationQuery {
        limit: Some(500),
        after: None,
    };
    match uc::organisations(&s.app, &user.session.actor, &q).await {
        Ok(page) => {
            let mut p = Page::new(t, "organisations.title", Some(&user.session));
            if e.any() {
                p.mark_error();
            }
            render(
                status,
                &ListPage {
                    p,
                    items: page.items,
                    f,
                    e,
                    kinds: kinds(&t),
                    can_manage: decide(
                        &user.session.actor,
                        Action::ActivityManage,
                        &Resource::None,
                    )
                    .is_allowed(),
                },
            )
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn list(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    list_page(
        &s,
        t,
        &user,
        FormData(Vec::new()),
        Errors::none(t),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let input = OrganisationInput {
        name: nonblank(&f, "name"),
        kind: nonblank(&f, "kind"),
        district: nonblank(&f, "district"),
        cvr: nonblank(&f, "cvr"),
    };
    match uc::create_organisation(&s.app, &user.session.actor, &input).await {
        Ok(id) => super::flash::redirect(
            s.secure_cookies,
            &format!("/organisations/{id}"),
            "organisation_saved",
        ),
        Err(AppError::Invalid(errs)) => {
            list_page(
                &s,
                t,
                &user,
                f,
                Errors::of(t, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct DetailPage {
    p: Page,
    o: OrganisationDetail,
    can_manage: bool,
    /// The forum form's values and errors.
    ff: FormData,
    fe: Errors,
    /// The capacity-building form's.
    cf: FormData,
    ce: Errors,
}

/// Period errors under the form's own names (`from` → `period_from`), so
/// the two forms on the page never share an id or a label.
fn period_errors(errs: FieldErrors, form: &str) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in errs.0 {
        let field = match e.field.as_str() {
            "from" | "to" | "note" => format!("{form}_{}", e.field),
            other => other.to_string(),
        };
        out.add(field, e.code, e.message);
    }
    out
}

fn period_input(f: &FormData, form: &str) -> PeriodInput {
    PeriodInput {
        from: nonblank(f, &format!("{form}_from")),
        to: nonblank(f, &format!("{form}_to")),
        note: nonblank(f, &format!("{form}_note")),
    }
}

async fn detail_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: uuid::Uuid,
    forms: ((FormData, Errors), (FormData, Errors)),
    status: StatusCode,
) -> Response {
    let ((ff, fe), (cf, ce)) = forms;
    match uc::organisation(&s.app, &user.session.actor, id).await {
        Ok(o) => {
            let mut p = Page::new(t, "organisations.detail_title", Some(&user.session))
                .named(&o.organisation.name);
            if fe.any() || ce.any() {
                p.mark_error();
            }
            let ff = if ff.0.is_empty() {
                FormData(match &o.forum {
                    Some(m) => vec![
                        ("forum_from".into(), crate::view::day(&m.from)),
                        (
                            "forum_to".into(),
                            m.to.as_deref().map(crate::view::day).unwrap_or_default(),
                        ),
                    ],
                    None => Vec::new(),
                })
            } else {
                ff
            };
            render(
                status,
                &DetailPage {
                    p,
                    o,
                    can_manage: decide(
                        &user.session.actor,
                        Action::ActivityManage,
                        &Resource::None,
                    )
                    .is_allowed(),
                    ff,
                    fe,
                    cf,
                    ce,
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
    let blank = || (FormData(Vec::new()), Errors::none(t));
    detail_page(&s, t, &user, id, (blank(), blank()), StatusCode::OK).await
}

pub async fn forum(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    let id = match checked(t, &user, &f, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match uc::set_forum_membership(&s.app, &user.session.actor, id, &period_input(&f, "forum"))
        .await
    {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/organisations/{id}"),
            "forum_saved",
        ),
        Err(AppError::Invalid(errs)) => {
            let forms = (
                (f, Errors::of(t, period_errors(errs, "forum"))),
                (FormData(Vec::new()), Errors::none(t)),
            );
            detail_page(&s, t, &user, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn capacity_building(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    let id = match checked(t, &user, &f, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match uc::add_engagement(&s.app, &user.session.actor, id, &period_input(&f, "cb")).await {
        Ok(_) => super::flash::redirect(
            s.secure_cookies,
            &format!("/organisations/{id}"),
            "engagement_saved",
        ),
        Err(AppError::Invalid(errs)) => {
            let forms = (
                (FormData(Vec::new()), Errors::none(t)),
                (f, Errors::of(t, period_errors(errs, "cb"))),
            );
            detail_page(&s, t, &user, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// `/organisations/export?format=csv|xlsx|pdf`: the register as a file.
pub async fn export(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let format = q
        .iter()
        .find(|(k, _)| k == "format")
        .and_then(|(_, v)| crate::export::Format::parse(v));
    let Some(format) = format else {
        return super::error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.invalid",
        );
    };
    let q = OrganisationQuery {
        limit: Some(500),
        after: None,
    };
    let page = match uc::organisations(&s.app, &user.session.actor, &q).await {
        Ok(p) => p,
        Err(e) => return app_error(t, Some(&user.session), e),
    };
    let head = ["field.organisation_kind", "field.district", "field.cvr"]
        .iter()
        .map(|k| t.t(k).to_string())
        .collect();
    let rows = page
        .items
        .iter()
        .map(|o| {
            vec![
                o.name.clone(),
                t.code("organisation_kind", &o.kind),
                o.district.clone().unwrap_or_default(),
                o.cvr.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let doc = crate::export::Doc {
        title: t.t("organisations.heading").into(),
        subtitle: String::new(),
        note: t.f1(
            "key_figures.printed",
            "d",
            s.app.today().strftime("%d.%m.%Y"),
        ),
        blocks: vec![crate::export::Block::Table { head, rows }],
    };
    super::download((t, Some(&user.session)), doc, format, "organisationer").await
}
