//! Triage actions on a concern, and the coordination unit's meetings.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;
use vink_app::AppError;
use vink_app::triage::{
    self as uc, AgencyView, MeetingDetail, MeetingInput, MeetingSummary, MinutesInput, ReasonInput,
    RecommendationInput, TransitionInput,
};
use vink_domain::policy::{Action, Resource, decide};

use super::concern::detail_page;
use super::{Errors, FormData, Forms, Page, app_error, checked, csrf_failed, parse_id, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

/// After a triage action: back to the concern, or the concern again with the
/// errors beside the action's fields.
async fn after(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: Uuid,
    (form, f): (&'static str, FormData),
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/concerns/{id}"),
            &format!("concern_{form}"),
        ),
        Err(AppError::Invalid(errs)) => {
            detail_page(
                s,
                t,
                &user.session,
                id,
                Forms::failed(t, form, f, errs),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn transition(
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
    let nonblank = |k: &str| f.get(k).filter(|v| !v.trim().is_empty());
    // Which of the page's three transition forms was sent.
    let form = match f.get("form").as_deref() {
        Some("decide") => "decide",
        Some("police") => "police",
        _ => "move",
    };
    let input = TransitionInput {
        to: nonblank("to"),
        decision: nonblank("decision"),
        programme_kind: nonblank("programme_kind"),
        reason: nonblank("reason"),
    };
    // Handing a person to the police is confirmed, not a single click.
    let r = if form == "police" && !f.is("confirm", "yes") {
        let mut errs = vink_domain::validation::FieldErrors::new();
        errs.add("confirm", "confirm_police", "confirm the handover");
        if input.reason.is_none() {
            errs.add("reason", "required", "is required");
        }
        Err(AppError::Invalid(errs))
    } else {
        uc::transition(&s.app, &user.session.actor, id, &input)
            .await
            .map(|_| ())
    };
    after(&s, t, &user, id, (form, f), r).await
}

pub async fn pause(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    clock(s, t, user, id, f, true).await
}

pub async fn resume(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    clock(s, t, user, id, f, false).await
}

async fn clock(s: AppState, t: Tr, user: UiUser, id: String, f: FormData, pause: bool) -> Response {
    let id = match checked(t, &user, &f, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = ReasonInput {
        reason: f.get("reason"),
    };
    let r = if pause {
        uc::pause(&s.app, &user.session.actor, id, &input).await
    } else {
        uc::resume(&s.app, &user.session.actor, id, &input).await
    };
    let form = if pause { "pause" } else { "resume" };
    after(&s, t, &user, id, (form, f), r.map(|_| ())).await
}

pub async fn add_to_agenda(
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
    let Some(meeting) = f.get("meeting_id").and_then(|m| m.parse::<Uuid>().ok()) else {
        let mut errs = vink_domain::validation::FieldErrors::new();
        errs.add("meeting_id", "required", "choose a meeting");
        return after(
            &s,
            t,
            &user,
            id,
            ("agenda", f),
            Err(AppError::Invalid(errs)),
        )
        .await;
    };
    let r = uc::add_to_agenda(&s.app, &user.session.actor, meeting, id).await;
    after(&s, t, &user, id, ("agenda", f), r).await
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    p: Page,
    items: Vec<MeetingSummary>,
    agencies: Vec<AgencyView>,
    can_create: bool,
    e: Errors,
    f: FormData,
    page: i64,
    pages: i64,
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

async fn meetings_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    page: i64,
    f: FormData,
    e: Errors,
    status: StatusCode,
) -> Response {
    let session = &user.session;
    let list = match uc::list_meetings(&s.app, &session.actor, page.max(1), 25).await {
        Ok(l) => l,
        Err(e) => return app_error(t, Some(session), e),
    };
    let agencies = match vink_app::organisation::agencies(&s.app).await {
        Ok(a) => a,
        Err(e) => return app_error(t, Some(session), e),
    };
    let pages = ((list.total + 24) / 25).max(1);
    let mp = MeetingsPage {
        p: Page::new(t, "meetings.title", Some(session)).checked_by(&e),
        items: list.items,
        agencies,
        can_create: decide(&session.actor, Action::MeetingCreate, &Resource::None).is_allowed(),
        e,
        f,
        page: list.page,
        pages,
    };
    render(status, &mp)
}

pub async fn meetings(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<PageQuery>,
) -> Response {
    meetings_page(
        &s,
        t,
        &user,
        q.page.unwrap_or(1),
        FormData(Vec::new()),
        Errors::none(t),
        StatusCode::OK,
    )
    .await
}

pub async fn create_meeting(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let input = MeetingInput {
        date: f.get("date"),
        agencies: f.all("agencies"),
    };
    match uc::create_meeting(&s.app, &user.session.actor, &input).await {
        Ok(id) => super::flash::redirect(
            s.secure_cookies,
            &format!("/meetings/{id}"),
            "meeting_created",
        ),
        Err(AppError::Invalid(errs)) => {
            meetings_page(
                &s,
                t,
                &user,
                1,
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
#[template(path = "meeting.html")]
struct MeetingPage {
    p: Page,
    m: MeetingDetail,
    agencies: Vec<(String, String)>,
    can_recommend: bool,
    can_minutes: bool,
    forms: Forms,
}

impl MeetingPage {
    /// The form name of an agenda item's recommendation.
    fn item(&self, concern: &Uuid) -> String {
        format!("rec-{concern}")
    }

    fn day(&self) -> String {
        crate::view::day(&self.m.date)
    }
}

async fn meeting_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: Uuid,
    forms: Forms,
    status: StatusCode,
) -> Response {
    let session = &user.session;
    let m = match uc::get_meeting(&s.app, &session.actor, id).await {
        Ok(m) => m,
        Err(e) => return app_error(t, Some(session), e),
    };
    let agencies = match vink_app::organisation::agencies(&s.app).await {
        Ok(a) => a,
        Err(e) => return app_error(t, Some(session), e),
    };
    let attending: Vec<Uuid> = m.agencies.iter().map(|a| a.id).collect();
    let res = Resource::Meeting {
        attending: &attending,
    };
    let mut p = Page::new(t, "meeting.title", Some(session)).named(&crate::view::day(&m.date));
    if forms.any() {
        p.mark_error();
    }
    let mp = MeetingPage {
        p,
        can_recommend: decide(&session.actor, Action::RecommendationRecord, &res).is_allowed(),
        can_minutes: decide(&session.actor, Action::MeetingUpdate, &res).is_allowed(),
        agencies: agencies.into_iter().map(|a| (a.code, a.name)).collect(),
        forms,
        m,
    };
    render(status, &mp)
}

pub async fn meeting(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    match parse_id(t, &user, &id) {
        Ok(id) => meeting_page(&s, t, &user, id, Forms::blank(t), StatusCode::OK).await,
        Err(r) => r,
    }
}

pub async fn minutes(
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
    match uc::set_minutes(
        &s.app,
        &user.session.actor,
        id,
        &MinutesInput {
            minutes: f.get("minutes"),
        },
    )
    .await
    {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/meetings/{id}"),
            "meeting_minutes",
        ),
        Err(AppError::Invalid(errs)) => {
            meeting_page(
                &s,
                t,
                &user,
                id,
                Forms::failed(t, "minutes", f, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn recommend(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path((id, concern_id)): Path<(String, String)>,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let (id, cid) = match (parse_id(t, &user, &id), parse_id(t, &user, &concern_id)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let input = RecommendationInput {
        recommendation: f.get("recommendation"),
        acting_agency: f.get("acting_agency"),
    };
    match uc::record_recommendation(&s.app, &user.session.actor, id, cid, &input).await {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/meetings/{id}#item-{cid}"),
            "meeting_recommendation",
        ),
        Err(AppError::Invalid(errs)) => {
            meeting_page(
                &s,
                t,
                &user,
                id,
                Forms::failed(t, &format!("rec-{cid}"), f, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
