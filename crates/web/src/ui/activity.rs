//! Activities: the register, and the form that records one (new, or a
//! correction of one already recorded).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;
use vink_app::activity::{self as uc, ActivityQuery, ActivitySummary, ActivityView};
use vink_domain::activity::{
    ActivityInput, ActivityKind, ActivityStatus, FocusArea, ParticipantInput, TargetGroup,
};
use vink_domain::policy::{Action, Resource, decide};
use vink_domain::validation::FieldErrors;

use super::course::{nonblank, options};
use super::{Errors, FormData, Page, app_error, checked, csrf_failed, parse_id, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|x| code(*x)).collect()
}

#[derive(Template)]
#[template(path = "activities.html")]
struct ListPage {
    p: Page,
    items: Vec<ActivitySummary>,
    f: FormData,
    e: Errors,
    kinds: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    can_manage: bool,
    next_link: String,
    /// (address, label) of each file format, with the filters.
    downloads: Vec<(String, String)>,
}

/// The register, newest first, filtered by kind, status and period.
pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let query = ActivityQuery {
        kind: get("kind"),
        status: get("status"),
        from: get("from"),
        to: get("to"),
        limit: Some(50),
        after: get("after"),
    };
    let f = FormData(
        ["kind", "status", "from", "to"]
            .iter()
            .map(|k| (k.to_string(), get(k).unwrap_or_default()))
            .collect(),
    );
    let mut page = ListPage {
        p: Page::new(t, "activities.title", Some(&user.session)),
        items: Vec::new(),
        e: Errors::none(t),
        kinds: options(
            &t,
            "activity_kind",
            &codes(ActivityKind::ALL, ActivityKind::code),
        ),
        statuses: options(
            &t,
            "activity_status",
            &codes(ActivityStatus::ALL, ActivityStatus::code),
        ),
        can_manage: decide(&user.session.actor, Action::ActivityManage, &Resource::None)
            .is_allowed(),
        next_link: String::new(),
        downloads: Vec::new(),
        f,
    };
    let filters: Vec<(String, String)> = page
        .f
        .0
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    page.downloads = [("csv", "CSV"), ("xlsx", "Excel"), ("pdf", "PDF")]
        .iter()
        .map(|(fmt, label)| {
            let mut p = filters.clone();
            p.push(("format".into(), fmt.to_string()));
            (
                format!(
                    "/activities/export?{}",
                    serde_urlencoded::to_string(p).unwrap_or_default()
                ),
                label.to_string(),
            )
        })
        .collect();
    match uc::list(&s.app, &user.session.actor, &query).await {
        Ok(r) => {
            if let Some(a) = r.next_after {
                let mut params: Vec<(String, String)> = page
                    .f
                    .0
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .cloned()
                    .collect();
                params.push(("after".into(), a));
                page.next_link = format!(
                    "/activities?{}",
                    serde_urlencoded::to_string(params).unwrap_or_default()
                );
            }
            page.items = r.items;
            render(StatusCode::OK, &page)
        }
        Err(AppError::Invalid(errs)) => {
            page.e = Errors::of(t, errs);
            page.p.mark_error();
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "activity.html")]
struct FormPage {
    p: Page,
    /// Set when correcting an activity already recorded.
    id: Option<uuid::Uuid>,
    f: FormData,
    e: Errors,
    kinds: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    focus_areas: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
    /// The corps, for naming the attendees of a theme day or network meeting.
    corps: Vec<(String, String)>,
    can_manage: bool,
}

impl FormPage {
    /// The form field of a target group's count.
    fn group_field(&self, code: &str) -> String {
        format!("participants_{code}")
    }
}

async fn form_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: Option<uuid::Uuid>,
    f: FormData,
    e: Errors,
    status: StatusCode,
) -> Response {
    let agencies = vink_app::organisation::agencies(&s.app)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.code, a.name))
        .collect();
    let organisations = uc::organisations(
        &s.app,
        &user.session.actor,
        &vink_app::activity::OrganisationQuery {
            limit: Some(500),
            after: None,
        },
    )
    .await
    .map(|o| {
        o.items
            .into_iter()
            .map(|o| (o.id.to_string(), o.name))
            .collect()
    })
    .unwrap_or_default();
    // The corps by name (readers without access to the corps see the
    // attendees already named, from the activity itself).
    let mut corps: Vec<(String, String)> = vink_app::corps::list(&s.app, &user.session.actor, None)
        .await
        .map(|l| l.into_iter().map(|m| (m.id.to_string(), m.name)).collect())
        .unwrap_or_default();
    if corps.is_empty() {
        corps = f
            .all("corps_members")
            .into_iter()
            .zip(f.all("corps_member_name"))
            .collect();
    }
    let title = if id.is_some() {
        "activities.edit_title"
    } else {
        "activities.new_title"
    };
    let mut p = Page::new(t, title, Some(&user.session));
    if e.any() {
        p.mark_error();
    }
    let page = FormPage {
        p,
        id,
        f,
        e,
        kinds: options(
            &t,
            "activity_kind",
            &codes(ActivityKind::ALL, ActivityKind::code),
        ),
        statuses: options(
            &t,
            "activity_status",
            &codes(ActivityStatus::ALL, ActivityStatus::code),
        ),
        focus_areas: options(&t, "focus_area", &codes(FocusArea::ALL, FocusArea::code)),
        levels: options(
            &t,
            "prevention_level",
            &codes(
                vink_domain::course::PreventionLevel::ALL,
                vink_domain::course::PreventionLevel::code,
            ),
        ),
        agencies,
        groups: options(
            &t,
            "target_group",
            &codes(TargetGroup::ALL, TargetGroup::code),
        ),
        organisations,
        corps,
        can_manage: decide(&user.session.actor, Action::ActivityManage, &Resource::None)
            .is_allowed(),
    };
    render(status, &page)
}

pub async fn new_form(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    let f = FormData(vec![("agency".into(), "vink".into())]);
    form_page(&s, t, &user, None, f, Errors::none(t), StatusCode::OK).await
}

/// The form's fields as an API input; the target groups in the order their
/// counts were given (to name a count's error by its field).
fn read_form(f: &FormData) -> Result<(ActivityInput, Vec<TargetGroup>), FieldErrors> {
    let mut errs = FieldErrors::new();
    let mut participants = Vec::new();
    let mut groups = Vec::new();
    for g in TargetGroup::ALL {
        let field = format!("participants_{}", g.code());
        let Some(raw) = nonblank(f, &field) else {
            continue;
        };
        match raw.trim().parse::<i64>() {
            Ok(n) => {
                participants.push(ParticipantInput {
                    target_group: Some(g.code().into()),
                    count: Some(n),
                });
                groups.push(*g);
            }
            Err(_) => errs.add(field, "invalid", "not a whole number"),
        }
    }
    let organisations = f
        .all("organisations")
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    errs.finish(())?;
    Ok((
        ActivityInput {
            kind: nonblank(f, "kind"),
            held_on: nonblank(f, "held_on"),
            status: nonblank(f, "status"),
            title: nonblank(f, "title"),
            focus_area: nonblank(f, "focus_area"),
            prevention_level: nonblank(f, "prevention_level"),
            district: nonblank(f, "district"),
            agency: nonblank(f, "agency"),
            participants,
            organisations,
            corps_members: f
                .all("corps_members")
                .iter()
                .filter_map(|m| m.parse().ok())
                .collect(),
        },
        groups,
    ))
}

/// Names a domain error by the form's field: `participants[1].count` →
/// `participants_parents`.
fn form_errors(errs: FieldErrors, groups: &[TargetGroup]) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in errs.0 {
        let field = match e.field.strip_prefix("participants[") {
            Some(rest) => rest
                .split_once(']')
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .and_then(|i| groups.get(i))
                .map(|g| format!("participants_{}", g.code()))
                .unwrap_or(e.field),
            None if e.field.starts_with("organisations[") => "organisations".into(),
            None if e.field.starts_with("corps_members[") => "corps_members".into(),
            None => e.field,
        };
        out.add(field, e.code, e.message);
    }
    out
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
    let result = match read_form(&f) {
        Err(errs) => Err(AppError::Invalid(errs)),
        Ok((input, groups)) => uc::create(&s.app, &user.session.actor, &input)
            .await
            .map_err(|e| match e {
                AppError::Invalid(errs) => AppError::Invalid(form_errors(errs, &groups)),
                other => other,
            }),
    };
    match result {
        Ok(id) => super::flash::redirect(
            s.secure_cookies,
            &format!("/activities/{id}"),
            "activity_saved",
        ),
        Err(AppError::Invalid(errs)) => {
            let e = Errors::of(t, errs);
            form_page(&s, t, &user, None, f, e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// An activity as the form shows it.
fn form_of(a: &ActivityView) -> FormData {
    let mut f = vec![
        ("kind".to_string(), a.kind.clone()),
        ("held_on".into(), crate::view::day(&a.held_on)),
        ("status".into(), a.status.clone()),
        ("title".into(), a.title.clone()),
        ("focus_area".into(), a.focus_area.clone()),
        (
            "prevention_level".into(),
            a.prevention_level.clone().unwrap_or_default(),
        ),
        ("district".into(), a.district.clone().unwrap_or_default()),
        ("agency".into(), a.agency.clone()),
    ];
    for p in &a.participants {
        f.push((
            format!("participants_{}", p.target_group),
            p.count.to_string(),
        ));
    }
    for o in &a.organisations {
        f.push(("organisations".into(), o.id.to_string()));
    }
    for m in &a.corps_members {
        f.push(("corps_members".into(), m.id.to_string()));
        f.push(("corps_member_name".into(), m.name.clone()));
    }
    FormData(f)
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
    match uc::get(&s.app, &user.session.actor, id).await {
        Ok(a) => {
            form_page(
                &s,
                t,
                &user,
                Some(id),
                form_of(&a),
                Errors::none(t),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn update(
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
    let result = match read_form(&f) {
        Err(errs) => Err(AppError::Invalid(errs)),
        Ok((input, groups)) => uc::update(&s.app, &user.session.actor, id, &input)
            .await
            .map_err(|e| match e {
                AppError::Invalid(errs) => AppError::Invalid(form_errors(errs, &groups)),
                other => other,
            }),
    };
    match result {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/activities/{id}"),
            "activity_saved",
        ),
        Err(AppError::Invalid(errs)) => {
            let e = Errors::of(t, errs);
            form_page(
                &s,
                t,
                &user,
                Some(id),
                f,
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "activity_import.html")]
struct ImportPage {
    p: Page,
    /// The rows' errors of a refused file: (line, column, message).
    errors: Vec<(usize, String, String)>,
    /// A problem with the upload itself (no file, no token).
    problem: String,
    columns: Vec<String>,
    /// Each coded column with its allowed codes and their meanings.
    values: Vec<(String, Vec<(String, String)>)>,
}

async fn import_page(
    t: Tr,
    user: &UiUser,
    errors: Vec<(usize, String, String)>,
    problem: String,
    status: StatusCode,
) -> Response {
    let mut p = Page::new(t, "activities.import_title", Some(&user.session));
    if !errors.is_empty() || !problem.is_empty() {
        p.mark_error();
    }
    let values = vec![
        (
            "kind".to_string(),
            options(
                &t,
                "activity_kind",
                &codes(ActivityKind::ALL, ActivityKind::code),
            ),
        ),
        (
            "status".into(),
            options(
                &t,
                "activity_status",
                &codes(ActivityStatus::ALL, ActivityStatus::code),
            ),
        ),
        (
            "focus_area".into(),
            options(&t, "focus_area", &codes(FocusArea::ALL, FocusArea::code)),
        ),
        (
            "prevention_level".into(),
            options(
                &t,
                "prevention_level",
                &codes(
                    vink_domain::course::PreventionLevel::ALL,
                    vink_domain::course::PreventionLevel::code,
                ),
            ),
        ),
    ];
    render(
        status,
        &ImportPage {
            p,
            errors,
            problem,
            columns: vink_app::activity_import::columns(),
            values,
        },
    )
}

pub async fn import_form(UiLang(t): UiLang, user: UiUser) -> Response {
    if !decide(&user.session.actor, Action::ActivityManage, &Resource::None).is_allowed() {
        return app_error(
            t,
            Some(&user.session),
            AppError::Denied(vink_domain::policy::DenyReason::Role),
        );
    }
    import_page(t, &user, Vec::new(), String::new(), StatusCode::OK).await
}

pub async fn import_template() -> Response {
    crate::download::csv_file(
        "aktiviteter-skabelon.csv",
        vink_app::activity_import::template(),
    )
}

/// The uploaded file (multipart, with the CSRF token beside it).
pub async fn import(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    form: axum::extract::Multipart,
) -> Response {
    let Some(up) = super::upload::read(form).await else {
        return import_page(
            t,
            &user,
            Vec::new(),
            t.t("activities.upload_failed").into(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let (csrf, file) = (up.csrf, up.file);
    if !crate::auth::same_secret(&csrf, &user.session.csrf) {
        return csrf_failed(t, &user.session);
    }
    if file.is_empty() {
        return import_page(
            t,
            &user,
            Vec::new(),
            t.t("activities.no_file").into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let text = vink_app::activity_import::decode(&file);
    match vink_app::activity_import::import(&s.app, &user.session.actor, &text).await {
        Ok(Ok(_)) => super::flash::redirect(s.secure_cookies, "/activities", "activities_imported"),
        Ok(Err(e)) => {
            let errors = e
                .errors
                .into_iter()
                .map(|r| {
                    let msg = match r.code.as_str() {
                        "unknown_column" | "missing_column" | "unreadable" | "too_many_rows"
                        | "empty" => t.code("import_error", &r.code),
                        code => t.code("error.field", code),
                    };
                    (r.line, r.column, msg)
                })
                .collect();
            import_page(
                t,
                &user,
                errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// The most rows a list export holds.
const EXPORT_MAX: usize = 20_000;

/// `/activities/export?…&format=csv|xlsx|pdf`: the filtered register as a
/// file, every page of it.
pub async fn export(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let Some(format) = get("format")
        .as_deref()
        .and_then(crate::export::Format::parse)
    else {
        return super::error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.invalid",
        );
    };
    let mut query = ActivityQuery {
        kind: get("kind"),
        status: get("status"),
        from: get("from"),
        to: get("to"),
        limit: Some(500),
        after: None,
    };
    let mut items = Vec::new();
    loop {
        match uc::list(&s.app, &user.session.actor, &query).await {
            Ok(page) => {
                items.extend(page.items);
                match page.next_after {
                    Some(a) if items.len() < EXPORT_MAX => query.after = Some(a),
                    _ => break,
                }
            }
            Err(e) => return app_error(t, Some(&user.session), e),
        }
    }
    let head = [
        "field.title",
        "field.kind",
        "field.status",
        "field.focus_area",
        "field.district",
        "activities.participants",
    ]
    .iter()
    .map(|k| t.t(k).to_string())
    .collect();
    let rows = items
        .iter()
        .map(|a| {
            vec![
                crate::view::day(&a.held_on),
                a.title.clone(),
                t.code("activity_kind", &a.kind),
                t.code("activity_status", &a.status),
                t.code("focus_area", &a.focus_area),
                a.district.clone().unwrap_or_default(),
                a.participants.to_string(),
            ]
        })
        .collect();
    let filters: Vec<String> = [
        ("field.kind", "kind", "activity_kind"),
        ("field.status", "status", "activity_status"),
    ]
    .iter()
    .filter_map(|(label, k, codes)| {
        get(k).map(|v| format!("{}: {}", t.t(label), t.code(codes, &v)))
    })
    .chain(get("from").map(|v| format!("{} {v}", t.t("outcomes.from"))))
    .chain(get("to").map(|v| format!("{} {v}", t.t("outcomes.to"))))
    .collect();
    let doc = crate::export::Doc {
        title: t.t("activities.heading").into(),
        subtitle: if filters.is_empty() {
            t.t("activities.all").into()
        } else {
            filters.join(" · ")
        },
        note: t.f1(
            "key_figures.printed",
            "d",
            s.app.today().strftime("%d.%m.%Y"),
        ),
        blocks: vec![crate::export::Block::Table { head, rows }],
    };
    super::download((t, Some(&user.session)), doc, format, "aktiviteter").await
}
