//! Dashboard, concern list, concern detail and the staff intake form.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;
use vink_app::AppError;
use vink_app::concern::{self as uc, ConcernDetail, ListQuery};
use vink_app::triage::MeetingSummary;
use vink_domain::concern::{
    Channel, ConcernDraft, MAX_PERSONS, PersonDraft, ReporterDraft, ReporterKind,
};
use vink_domain::policy::{Action, Resource, decide};
use vink_domain::triage::{Decision, ProgrammeKind, Status};
use vink_domain::user::{Actor, Role};

use super::{Errors, FormData, Forms, Page, app_error, csrf_failed, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;
use crate::view;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    p: Page,
    counts: Counts,
    /// Immediate danger, overdue and due within 12 hours, in that order.
    urgent: Vec<Row>,
}

/// The dashboard's figures.
struct Counts {
    danger: i64,
    new: i64,
    open: i64,
    overdue: i64,
    due_soon: i64,
    paused: i64,
}

#[derive(Template)]
#[template(path = "mentor_home.html")]
struct MentorHome {
    p: Page,
    courses: Vec<vink_app::course::CourseSummary>,
    follow_ups: Vec<vink_app::follow_up::FollowUpItem>,
    contacts: Vec<vink_app::course::RecentContact>,
}

/// Where each role starts: the page with its daily work. Nobody lands on a
/// page their role cannot use.
pub fn role_home(role: Role) -> &'static str {
    match role {
        Role::Secretariat | Role::CoordinationUnit | Role::Mentor => "/dashboard",
        Role::Analyst => "/key-figures",
        Role::Admin => "/users",
        Role::Auditor => "/audit",
    }
}

pub async fn dashboard(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    let session = &user.session;
    match session.role {
        Role::Mentor => return mentor_home(&s, t, &user).await,
        Role::Secretariat | Role::CoordinationUnit => {}
        other => return Redirect::to(role_home(other)).into_response(),
    }
    let d = match uc::dashboard(&s.app, &session.actor).await {
        Ok(d) => d,
        Err(e) => return app_error(t, Some(session), e),
    };
    let urgent: Vec<Row> = d.urgent.iter().map(|c| row(&t, c)).collect();
    let c = d.counts;
    render(
        StatusCode::OK,
        &DashboardPage {
            p: Page::new(t, "dashboard.title", Some(session)),
            counts: Counts {
                danger: c.danger,
                new: c.new,
                open: c.open,
                overdue: c.overdue,
                due_soon: c.due_soon,
                paused: c.paused,
            },
            urgent,
        },
    )
}

async fn mentor_home(s: &AppState, t: Tr, user: &UiUser) -> Response {
    let session = &user.session;
    let actor = &session.actor;
    let courses = vink_app::course::list(
        &s.app,
        actor,
        &vink_app::course::CourseQuery {
            status: Some("active".into()),
            per_page: Some(25),
            ..Default::default()
        },
    )
    .await;
    let follow_ups = vink_app::follow_up::worklist(
        &s.app,
        actor,
        &vink_app::follow_up::FollowUpQuery {
            due: Some("due".into()),
            limit: Some(10),
            ..Default::default()
        },
    )
    .await;
    let contacts = vink_app::course::recent_contacts(&s.app, actor, 10).await;
    match (courses, follow_ups, contacts) {
        (Ok(c), Ok(f), Ok(k)) => render(
            StatusCode::OK,
            &MentorHome {
                p: Page::new(t, "dashboard.title", Some(session)),
                courses: c.items,
                follow_ups: f.items,
                contacts: k,
            },
        ),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => app_error(t, Some(session), e),
    }
}

fn row(t: &Tr, c: &vink_app::concern::ConcernSummary) -> Row {
    Row {
        id: c.id,
        case_number: c.case_number.clone(),
        received: view::instant(c.received_at),
        channel: t.code("channel", &c.channel),
        status: match &c.decision {
            Some(d) => t.code("decision", d),
            None => t.code("status", &c.status),
        },
        person: match (&c.first_person, c.person_count) {
            (Some(n), 1) => n.clone(),
            (Some(n), k) => format!("{n} (+{})", k - 1),
            (None, _) => t.t("person.unknown_name").to_string(),
        },
        danger: c.immediate_danger,
        clock: view::clock_text(t, &c.clock),
        clock_class: view::clock_class(&c.clock),
    }
}

/// A timeline entry's note. Putting a case on an agenda notes the meeting's
/// day (older rows: `meeting 2026-12-01`), said here in the page's language.
fn timeline_note(t: &Tr, ev: &vink_app::concern::EventView) -> String {
    let reason = ev.reason.clone().unwrap_or_default();
    let day = reason.strip_prefix("meeting ").unwrap_or(&reason);
    match day.parse::<jiff::civil::Date>() {
        Ok(d) if ev.kind == "agenda_added" || ev.to_status.as_deref() == Some("before_unit") => {
            t.f1("event.meeting_on", "date", d.strftime("%d.%m.%Y"))
        }
        _ => reason,
    }
}

/// One row of the list, formatted.
struct Row {
    id: Uuid,
    case_number: String,
    received: String,
    channel: String,
    status: String,
    person: String,
    danger: bool,
    clock: String,
    clock_class: &'static str,
}

#[derive(Template)]
#[template(path = "concerns.html")]
struct ListPage {
    p: Page,
    rows: Vec<Row>,
    /// "N in total", or "at least N" when a unit member's history was counted
    /// only up to the cap.
    count_text: String,
    /// "Page n of N", or "Page n" when the total is a lower bound.
    pager_text: String,
    danger: bool,
    /// Listed in order of receipt (else by deadline).
    by_receipt: bool,
    /// The address of this list sorted the other way (filters kept).
    other_sort: String,
    /// Open concerns in immediate danger, shown above the list on its first
    /// unfiltered page: urgent first, whatever the list's order.
    urgent: Vec<Row>,
    statuses: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    dues: Vec<(String, String)>,
    /// The filters as typed, for the form (channel and period).
    f: FormData,
    e: Errors,
    prev_link: String,
    next_link: String,
}

/// The list's filters that travel in links, blank ones left out.
const FILTERS: &[&str] = &[
    "sort",
    "status",
    "due",
    "danger",
    "channel",
    "received_from",
    "received_to",
];

/// A link to another page of the list: by cursor (`cursor` = after, or
/// `before`) when there is one, so the page costs the same at any depth; the
/// page number travels along for the "page n of N" text, and alone it still
/// works as a deep link within the first pages (`validation::page_window`).
fn list_link(filters: &[(String, String)], page: i64, cursor: Option<(&str, &str)>) -> String {
    let page = page.to_string();
    let mut params: Vec<(&str, &str)> = filters
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    params.push(("page", page.as_str()));
    if let Some(c) = cursor {
        params.push(c);
    }
    let q = serde_urlencoded::to_string(params).unwrap_or_default();
    format!("/concerns?{q}")
}

pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let session = &user.session;
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let query = ListQuery {
        status: get("status"),
        due: get("due"),
        danger: get("danger").map(|d| d == "true"),
        sort: get("sort"),
        channel: get("channel"),
        received_from: get("received_from"),
        received_to: get("received_to"),
        page: get("page").and_then(|p| p.parse().ok()),
        per_page: Some(25),
        cursor: get("cursor"),
        before: get("before"),
    };
    let filters: Vec<(String, String)> = FILTERS
        .iter()
        .filter_map(|k| get(k).map(|v| (k.to_string(), v)))
        .collect();
    let danger = query.danger == Some(true);
    let mut lp = ListPage {
        p: Page::new(t, "concerns.title", Some(session)),
        rows: Vec::new(),
        count_text: String::new(),
        pager_text: String::new(),
        prev_link: String::new(),
        next_link: String::new(),
        statuses: Status::ALL
            .iter()
            .map(|st| (st.code().to_string(), t.code("status", st.code())))
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.code().to_string(), t.code("channel", c.code())))
            .collect(),
        dues: ["overdue", "due_soon", "paused"]
            .iter()
            .map(|d| (d.to_string(), t.t(&format!("concerns.{d}")).to_string()))
            .collect(),
        f: FormData(filters.clone()),
        e: Errors::none(t),
        danger,
        by_receipt: query.sort.as_deref() == Some("received"),
        other_sort: {
            let mut other: Vec<(String, String)> = filters
                .iter()
                .filter(|(k, _)| k != "sort" && k != "due")
                .cloned()
                .collect();
            if query.sort.as_deref() != Some("received") {
                other.insert(0, ("sort".into(), "received".into()));
            }
            list_link(&other, 1, None)
        },
        urgent: Vec::new(),
    };
    let page = match uc::list(&s.app, &session.actor, &query).await {
        Ok(p) => p,
        Err(AppError::Invalid(errs)) => {
            lp.e = Errors::of(t, errs);
            lp.p.mark_error();
            return render(StatusCode::UNPROCESSABLE_ENTITY, &lp);
        }
        Err(e) => return app_error(t, Some(session), e),
    };
    lp.rows = page.items.iter().map(|c| row(&t, c)).collect();
    let first_plain_page = filters.is_empty() && page.page == 1 && query.cursor.is_none();
    if first_plain_page {
        let q = ListQuery {
            danger: Some(true),
            per_page: Some(10),
            ..ListQuery::default()
        };
        match uc::list(&s.app, &session.actor, &q).await {
            Ok(d) => lp.urgent = d.items.iter().map(|c| row(&t, c)).collect(),
            Err(e) => return app_error(t, Some(session), e),
        }
    }
    let pages = ((page.total + page.per_page - 1) / page.per_page).max(1);
    lp.count_text = t.f1(
        if page.total_capped {
            "concerns.count_capped"
        } else {
            "concerns.count"
        },
        "n",
        page.total,
    );
    lp.pager_text = if page.total_capped {
        t.f1("pager.page", "page", page.page)
    } else {
        t.f2("pager.page_of", "page", page.page, "pages", pages)
    };
    lp.prev_link = match (&page.prev_cursor, page.page) {
        (Some(c), n) => list_link(&filters, (n - 1).max(1), Some(("before", c))),
        // The first pages by number (a deep link's neighbour included).
        (None, n) if n > 1 => list_link(&filters, n - 1, None),
        _ => String::new(),
    };
    lp.next_link = match &page.next_cursor {
        Some(c) => list_link(&filters, page.page + 1, Some(("cursor", c))),
        None => String::new(),
    };
    render(StatusCode::OK, &lp)
}

/// The intake form's state: the values as typed and the errors beside them.
#[derive(Template)]
#[template(path = "concern_new.html")]
struct NewPage {
    p: Page,
    e: Errors,
    f: FormData,
    channels: Vec<(String, String)>,
    reporter_kinds: Vec<(String, String)>,
    person_slots: Vec<usize>,
}

fn new_page(
    t: Tr,
    session: &vink_app::user::Session,
    f: FormData,
    e: Errors,
    status: StatusCode,
) -> Response {
    let page = NewPage {
        p: Page::new(t, "new.title", Some(session)).checked_by(&e),
        e,
        f,
        channels: Channel::ALL
            .iter()
            .map(|c| (c.code().to_string(), t.code("channel", c.code())))
            .collect(),
        reporter_kinds: ReporterKind::ALL
            .iter()
            .map(|c| (c.code().to_string(), t.code("reporter_kind", c.code())))
            .collect(),
        person_slots: (0..3).collect(),
    };
    render(status, &page)
}

pub async fn new_form(UiLang(t): UiLang, user: UiUser) -> Response {
    new_page(
        t,
        &user.session,
        FormData(Vec::new()),
        Errors::none(t),
        StatusCode::OK,
    )
}

/// Builds the draft from the form; person slots left entirely blank are dropped
/// (the first is always kept so "at least one person" can be reported).
fn draft_of(f: &FormData) -> ConcernDraft {
    let opt = |k: &str| f.get(k);
    let mut persons = Vec::new();
    for i in 0..MAX_PERSONS {
        let name = opt(&format!("persons[{i}].name"));
        let birth = opt(&format!("persons[{i}].birth"));
        let district = opt(&format!("persons[{i}].district"));
        let blank = [&name, &birth, &district]
            .iter()
            .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()));
        let present =
            f.0.iter()
                .any(|(k, _)| k.starts_with(&format!("persons[{i}].")));
        if present && (i == 0 || !blank) {
            persons.push(PersonDraft {
                person_id: None,
                name,
                birth,
                district,
            });
        }
    }
    ConcernDraft {
        channel: opt("channel"),
        received_at: opt("received_at"),
        reporter: ReporterDraft {
            kind: opt("reporter.kind"),
            organisation: opt("reporter.organisation"),
            name: opt("reporter.name"),
            contact: opt("reporter.contact"),
        },
        persons,
        description: opt("description"),
        immediate_danger: f.get("immediate_danger").is_some(),
    }
}

pub async fn create(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    let session = &user.session;
    if !f.csrf_ok(session) {
        return csrf_failed(t, session);
    }
    match uc::create(&s.app, &session.actor, &draft_of(&f)).await {
        Ok(created) => Redirect::to(&format!("/concerns/{}?created=1", created.id)).into_response(),
        Err(AppError::Invalid(errs)) => new_page(
            t,
            session,
            f,
            Errors::of(t, errs),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => app_error(t, Some(session), e),
    }
}

#[derive(Template)]
#[template(path = "concern.html")]
struct DetailPage {
    p: Page,
    c: ConcernDetail,
    received: String,
    clock: String,
    clock_class: &'static str,
    deadline: String,
    timeline: Vec<(String, String, String, String)>,
    next: Vec<(String, String)>,
    decisions: Vec<(String, String)>,
    programmes: Vec<(String, String)>,
    /// Coming meetings as (id, date) choices.
    meetings: Vec<(String, String)>,
    can_transition: bool,
    can_decide: bool,
    can_pause: bool,
    can_agenda: bool,
    can_link: bool,
    created: bool,
    forms: Forms,
    can_start_course: bool,
    /// The persons a course may still be started for, as (id, label).
    starters: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
}

/// What the actor may do on a concern they can already read (scope is settled).
fn can(actor: &Actor, action: Action) -> bool {
    let own: Vec<Uuid> = actor.agency_id().into_iter().collect();
    decide(
        actor,
        action,
        &Resource::Concern {
            agenda_agencies: &own,
        },
    )
    .is_allowed()
}

pub(super) async fn detail_page(
    s: &AppState,
    t: Tr,
    session: &vink_app::user::Session,
    id: Uuid,
    forms: Forms,
    created: bool,
    status: StatusCode,
) -> Response {
    let c = match uc::get(&s.app, &session.actor, id).await {
        Ok(c) => c,
        Err(e) => return app_error(t, Some(session), e),
    };
    let actor = &session.actor;
    let meetings = if can(actor, Action::AgendaAdd) && c.status != "decided" {
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(vink_domain::concern::local_tz())
            .date()
            .to_string();
        match vink_app::triage::list_meetings(&s.app, actor, 1, 10).await {
            Ok(p) => p
                .items
                .into_iter()
                .filter(|m: &MeetingSummary| m.date >= today)
                .map(|m| (m.id.to_string(), view::day(&m.date)))
                .collect(),
            Err(e) => return app_error(t, Some(session), e),
        }
    } else {
        Vec::new()
    };
    // The start-a-course form is the only part that needs the agencies.
    let can_start_course = c.decision.as_deref() == Some("founded_local_action")
        && decide(actor, Action::CourseCreate, &Resource::None).is_allowed();
    let agencies = if can_start_course {
        match vink_app::organisation::agencies(&s.app).await {
            Ok(a) => a.into_iter().map(|a| (a.code, a.name)).collect(),
            Err(e) => return app_error(t, Some(session), e),
        }
    } else {
        Vec::new()
    };
    let timeline = c
        .timeline
        .iter()
        .rev()
        .map(|ev| {
            let what = match (&ev.to_status, &ev.decision) {
                (_, Some(d)) => format!("{}: {}", t.code("event", &ev.kind), t.code("decision", d)),
                (Some(to), None) if ev.kind == "transition" => {
                    format!("{}: {}", t.code("event", &ev.kind), t.code("status", to))
                }
                _ => t.code("event", &ev.kind),
            };
            (
                view::instant(ev.at),
                what,
                ev.actor
                    .clone()
                    .unwrap_or_else(|| t.t("event.no_actor").to_string()),
                timeline_note(&t, ev),
            )
        })
        .collect();
    let starters = c
        .persons
        .iter()
        .filter(|p| p.course_id.is_none())
        .map(|p| {
            let name = p
                .name
                .clone()
                .unwrap_or_else(|| t.t("person.unknown_name").to_string());
            let label = match &p.birth {
                Some(b) => format!("{name} ({})", view::day(b)),
                None => name,
            };
            (p.id.to_string(), label)
        })
        .collect();
    let mut p = Page::new(t, "detail.title", Some(session)).named(&c.case_number);
    if forms.any() {
        p.mark_error();
    }
    let page = DetailPage {
        p,
        starters,
        received: view::instant(c.received_at),
        clock: view::clock_text(&t, &c.clock),
        clock_class: view::clock_class(&c.clock),
        deadline: view::instant(c.clock.deadline),
        timeline,
        next: c
            .next_statuses
            .iter()
            .filter(|n| n.as_str() != "decided")
            .map(|n| (n.clone(), t.code("status", n)))
            .collect(),
        decisions: Decision::ALL
            .iter()
            .map(|d| (d.code().to_string(), t.code("decision", d.code())))
            .collect(),
        programmes: ProgrammeKind::ALL
            .iter()
            .map(|d| (d.code().to_string(), t.code("programme", d.code())))
            .collect(),
        meetings,
        can_transition: can(actor, Action::ConcernTransition),
        can_decide: can(actor, Action::ConcernDecide) && c.status == "before_unit",
        can_pause: can(actor, Action::ConcernPause) && c.status != "decided",
        can_agenda: can(actor, Action::AgendaAdd) && c.status != "decided",
        can_link: can(actor, Action::ConcernLinkPerson),
        can_start_course,
        levels: super::course::prevention_levels(&t),
        agencies,
        created,
        forms,
        c,
    };
    render(status, &page)
}

#[derive(serde::Deserialize)]
pub struct DetailQuery {
    created: Option<String>,
}

pub async fn detail(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return super::error_page(
            t,
            Some(&user.session),
            StatusCode::NOT_FOUND,
            "error.not_found",
        );
    };
    detail_page(
        &s,
        t,
        &user.session,
        id,
        Forms::blank(t),
        q.created.is_some(),
        StatusCode::OK,
    )
    .await
}

pub async fn link_person(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    let session = &user.session;
    if !f.csrf_ok(session) {
        return csrf_failed(t, session);
    }
    let parse = |k: &str| f.get(k).and_then(|v| v.parse::<Uuid>().ok());
    let (Ok(id), Some(from), Some(to)) = (id.parse::<Uuid>(), parse("from"), parse("to")) else {
        return super::error_page(t, Some(session), StatusCode::NOT_FOUND, "error.not_found");
    };
    match uc::link_person(&s.app, &session.actor, id, from, to).await {
        Ok(()) => {
            super::flash::redirect(s.secure_cookies, &format!("/concerns/{id}"), "concern_link")
        }
        Err(e) => app_error(t, Some(session), e),
    }
}

/// "Not the same person": the suggestion is dismissed for good.
pub async fn distinct(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    let session = &user.session;
    if !f.csrf_ok(session) {
        return csrf_failed(t, session);
    }
    let parse = |k: &str| f.get(k).and_then(|v| v.parse::<Uuid>().ok());
    let (Ok(id), Some(person), Some(other)) = (id.parse::<Uuid>(), parse("person"), parse("other"))
    else {
        return super::error_page(t, Some(session), StatusCode::NOT_FOUND, "error.not_found");
    };
    match uc::mark_distinct(&s.app, &session.actor, id, person, other).await {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/concerns/{id}"),
            "concern_distinct",
        ),
        Err(e) => app_error(t, Some(session), e),
    }
}
