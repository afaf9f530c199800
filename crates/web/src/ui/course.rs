//! Courses: list, detail, and the coordinator's and mentor's forms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;
use vink_app::AppError;
use vink_app::corps::CorpsMemberView;
use vink_app::course::{
    self as uc, AssessmentInput, ConsentInput, ContactInput, CourseDetail, CourseInput,
    CourseQuery, CourseSummary, CourseTransitionInput, GoalInput, RatingInput,
};
use vink_domain::course::{
    AssessmentArea, AssessmentPoint, ContactForm, Occupation, PreventionLevel, RiskJudgement,
};
use vink_domain::policy::{Action, Resource, decide};

use super::{FormData, Forms, Page, app_error, checked, csrf_failed, error_page, parse_id, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

pub(super) fn options(t: &Tr, prefix: &str, codes: &[&'static str]) -> Vec<(String, String)> {
    codes
        .iter()
        .map(|c| (c.to_string(), t.code(prefix, c)))
        .collect()
}

#[derive(Template)]
#[template(path = "courses.html")]
struct ListPage {
    p: Page,
    items: Vec<CourseSummary>,
    /// "Courses in total: n", or "at least n" past the ended courses' cap.
    count_text: String,
    /// The filters as given (they travel in the address).
    f: FormData,
    e: super::Errors,
    statuses: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    prev_link: String,
    next_link: String,
    pager_text: String,
    /// Oldest first (the period header's `aria-sort`).
    oldest_first: bool,
    /// This list sorted the other way, filters kept, from page 1.
    other_order: String,
}

/// The course list's filters from the address; blank ones dropped.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct CourseFilters {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    agency: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    corps_member: String,
    /// `asc` for oldest first; blank for the default, newest first.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    order: String,
    #[serde(default, skip_serializing)]
    page: Option<i64>,
    /// Where this page starts (the previous page's next cursor).
    #[serde(default, skip_serializing)]
    cursor: Option<String>,
}

const COURSES_PER_PAGE: i64 = 50;

pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<CourseFilters>,
) -> Response {
    let blank = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let page_no = q.page.unwrap_or(1).max(1);
    let query = CourseQuery {
        status: blank(&q.status),
        kind: blank(&q.kind),
        agency: blank(&q.agency),
        corps_member: blank(&q.corps_member).and_then(|m| m.parse().ok()),
        order: (q.order == "asc").then(|| "asc".to_string()),
        page: Some(page_no),
        per_page: Some(COURSES_PER_PAGE),
        cursor: q.cursor.clone(),
    };
    let f = FormData(vec![
        ("status".into(), q.status.clone()),
        ("kind".into(), q.kind.clone()),
        ("agency".into(), q.agency.clone()),
    ]);
    let agencies = vink_app::organisation::agencies(&s.app)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.code, a.name))
        .collect();
    let mut lp = ListPage {
        p: Page::new(t, "courses.title", Some(&user.session)),
        items: Vec::new(),
        count_text: String::new(),
        f,
        e: super::Errors::none(t),
        statuses: options(
            &t,
            "course_status",
            &vink_domain::course::CourseStatus::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        kinds: options(
            &t,
            "programme",
            &vink_domain::course::CourseKind::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        agencies,
        prev_link: String::new(),
        next_link: String::new(),
        pager_text: String::new(),
        oldest_first: q.order == "asc",
        other_order: {
            let other = CourseFilters {
                order: if q.order == "asc" { "" } else { "asc" }.into(),
                page: None,
                ..q.clone()
            };
            match serde_urlencoded::to_string(&other).unwrap_or_default() {
                s if s.is_empty() => "/courses".into(),
                s => format!("/courses?{s}"),
            }
        },
    };
    match uc::list(&s.app, &user.session.actor, &query).await {
        Ok(page) => {
            // A cursor's page number is the reader's count: never past the last.
            let pages = ((page.total + COURSES_PER_PAGE - 1) / COURSES_PER_PAGE)
                .max(1)
                .max(page_no);
            let filters = serde_urlencoded::to_string(&q).unwrap_or_default();
            let link = |n: i64| {
                let sep = if filters.is_empty() { "" } else { "&" };
                format!("/courses?{filters}{sep}page={n}")
            };
            if page_no > 1 {
                lp.prev_link = link(page_no - 1);
            }
            // On by cursor (any depth at the cost of the first page); the
            // page number travels along as the reader's count.
            lp.next_link = match &page.next_cursor {
                Some(c) => format!(
                    "{}&cursor={}",
                    link(page_no + 1),
                    form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()
                ),
                None => String::new(),
            };
            let (count_key, pager) = if page.total_capped {
                ("courses.count_capped", t.f1("pager.page", "page", page_no))
            } else {
                (
                    "courses.count",
                    t.f2("pager.page_of", "page", page_no, "pages", pages),
                )
            };
            lp.count_text = t.f1(count_key, "n", page.total);
            lp.pager_text = pager;
            lp.items = page.items;
            render(StatusCode::OK, &lp)
        }
        Err(AppError::Invalid(errs)) => {
            lp.e = super::Errors::of(t, errs);
            lp.p.mark_error();
            render(StatusCode::UNPROCESSABLE_ENTITY, &lp)
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "course.html")]
struct DetailPage {
    p: Page,
    c: CourseDetail,
    forms: Forms,
    candidates: Vec<CorpsMemberView>,
    can_manage: bool,
    can_record: bool,
    contact_forms: Vec<(String, String)>,
    parties: Vec<(String, String)>,
    points: Vec<(String, String)>,
    occupations: Vec<(String, String)>,
    risks: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    next: Vec<(String, String)>,
}

impl DetailPage {
    /// Whether the member is the one assigned now (preselected in the list).
    fn assigned(&self, id: &Uuid) -> bool {
        self.c.corps_member_id.as_ref() == Some(id)
    }

    /// The course's person as headings name them.
    fn person_name(&self) -> String {
        self.c
            .person
            .name
            .clone()
            .unwrap_or_else(|| self.p.t.t("person.unknown_name").to_string())
    }

    /// Whether a failed assessment chose this rating for an area (kept, so a
    /// mistake elsewhere in the form does not lose the ratings).
    fn rated(&self, area: &str, n: &i32) -> bool {
        self.forms
            .f("assessment")
            .is(&format!("rating.{area}"), &n.to_string())
    }

    /// The comment a failed assessment gave an area.
    fn comment(&self, area: &str) -> String {
        self.forms.f("assessment").value(&format!("comment.{area}"))
    }
}

async fn detail_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: Uuid,
    forms: Forms,
    status: StatusCode,
) -> Response {
    let session = &user.session;
    let c = match uc::get(&s.app, &session.actor, id).await {
        Ok(c) => c,
        Err(e) => return app_error(t, Some(session), e),
    };
    let can_manage = decide(
        &session.actor,
        Action::CourseUpdate,
        &Resource::Course {
            agency: None,
            mentor_user: None,
        },
    )
    .is_allowed();
    let can_record = c.status == "active" || c.status == "planned" || c.status == "completed";
    let candidates = if can_manage && (c.status == "planned" || c.status == "active") {
        vink_app::course::candidates(&s.app, &session.actor, c.id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut p = Page::new(t, "course.title", Some(session)).named(
        c.person
            .name
            .as_deref()
            .unwrap_or(t.t("person.unknown_name")),
    );
    if forms.any() {
        p.mark_error();
    }
    let page = DetailPage {
        p,
        parties: options(
            &t,
            "consent_party",
            &vink_domain::course::ConsentParty::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        contact_forms: options(
            &t,
            "contact_form",
            &ContactForm::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        points: options(
            &t,
            "point",
            &AssessmentPoint::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        occupations: options(
            &t,
            "occupation",
            &Occupation::ALL.iter().map(|x| x.code()).collect::<Vec<_>>(),
        ),
        risks: options(
            &t,
            "risk",
            &RiskJudgement::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        areas: options(
            &t,
            "area",
            &AssessmentArea::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        next: c
            .next_statuses
            .iter()
            .map(|n| (n.clone(), t.code("course_status", n)))
            .collect(),
        candidates,
        can_manage,
        can_record,
        forms,
        c,
    };
    render(status, &page)
}

pub async fn detail(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    match parse_id(t, &user, &id) {
        Ok(id) => detail_page(&s, t, &user, id, Forms::blank(t), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// Runs a course form: CSRF, the use case, then back to the course or the
/// course again with the errors beside the fields.
async fn post<F, Fut>(
    s: AppState,
    t: Tr,
    user: UiUser,
    id: String,
    (form, f): (&'static str, FormData),
    run: F,
) -> Response
where
    F: FnOnce(AppState, vink_domain::user::Actor, Uuid, FormData) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let id = match checked(t, &user, &f, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let actor = user.session.actor.clone();
    let kept = FormData(f.0.clone());
    match run(s.clone(), actor, id, f).await {
        Ok(()) => super::flash::redirect(
            s.secure_cookies,
            &format!("/courses/{id}"),
            &format!("course_{form}"),
        ),
        Err(AppError::Invalid(errs)) => {
            detail_page(
                &s,
                t,
                &user,
                id,
                Forms::failed(t, form, kept, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub(super) fn nonblank(f: &FormData, k: &str) -> Option<String> {
    f.get(k).filter(|v| !v.trim().is_empty())
}

pub async fn transition(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("move", f), async |s, a, id, f| {
        let input = CourseTransitionInput {
            to: nonblank(&f, "to"),
            on: nonblank(&f, "on"),
            note: nonblank(&f, "note"),
        };
        uc::transition(&s.app, &a, id, &input).await.map(|_| ())
    })
    .await
}

pub async fn consent(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("consent", f), async |s, a, id, f| {
        let input = ConsentInput {
            consent_on: nonblank(&f, "consent_on"),
            guardian_consent_on: nonblank(&f, "guardian_consent_on"),
            guardian_name: nonblank(&f, "guardian_name"),
        };
        uc::record_consent(&s.app, &a, id, &input).await
    })
    .await
}

pub async fn withdraw_consent(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("withdraw", f), async |s, a, id, f| {
        let input = vink_app::course::ConsentWithdrawalInput {
            party: nonblank(&f, "party"),
            on: nonblank(&f, "withdrawn_on"),
            note: nonblank(&f, "withdrawal_note"),
        };
        uc::withdraw_consent(&s.app, &a, id, &input)
            .await
            .map(|_| ())
    })
    .await
}

pub async fn assign(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("assign", f), async |s, a, id, f| {
        let member = nonblank(&f, "corps_member_id").and_then(|m| m.parse().ok());
        uc::assign(&s.app, &a, id, member).await
    })
    .await
}

pub async fn contact(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("contact", f), async |s, a, id, f| {
        let minutes = nonblank(&f, "minutes").map(|m| m.trim().parse::<i64>().unwrap_or(-1));
        let input = ContactInput {
            on: nonblank(&f, "on"),
            minutes,
            form: nonblank(&f, "form"),
            note: nonblank(&f, "note"),
        };
        uc::log_contact(&s.app, &a, id, &input).await.map(|_| ())
    })
    .await
}

pub async fn goal(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("goal", f), async |s, a, id, f| {
        match (
            nonblank(&f, "goal_id").and_then(|g| g.parse::<Uuid>().ok()),
            nonblank(&f, "status"),
        ) {
            (Some(goal), Some(status)) => uc::set_goal_status(&s.app, &a, id, goal, &status).await,
            _ => uc::add_goal(
                &s.app,
                &a,
                id,
                &GoalInput {
                    text: f.get("text"),
                },
            )
            .await
            .map(|_| ()),
        }
    })
    .await
}

pub async fn assessment(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, ("assessment", f), async |s, a, id, f| {
        let ratings = AssessmentArea::ALL
            .iter()
            .map(|area| RatingInput {
                area: Some(area.code().into()),
                rating: nonblank(&f, &format!("rating.{}", area.code()))
                    .map(|r| r.parse::<i16>().unwrap_or(0)),
                comment: nonblank(&f, &format!("comment.{}", area.code())),
            })
            .collect();
        let input = AssessmentInput {
            point: nonblank(&f, "point"),
            on: nonblank(&f, "on"),
            occupation: nonblank(&f, "occupation"),
            risk: nonblank(&f, "risk"),
            ratings,
        };
        uc::record_assessment(&s.app, &a, id, &input)
            .await
            .map(|_| ())
    })
    .await
}

/// Starts a course from a founded concern (its page carries the form).
pub async fn create_from_concern(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let concern = nonblank(&f, "concern_id").and_then(|c| c.parse::<Uuid>().ok());
    let Some(concern) = concern else {
        return error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "course.start_invalid",
        );
    };
    let mut errs = vink_domain::validation::FieldErrors::new();
    // The person is a choice on the form: with several persons named, none
    // is picked for the user.
    let person = nonblank(&f, "person_id").and_then(|p| p.parse::<Uuid>().ok());
    if person.is_none() {
        errs.add("person_id", "required", "choose the person");
    }
    let input = CourseInput {
        concern_id: Some(concern),
        person_id: person,
        prevention_level: nonblank(&f, "prevention_level"),
        agency: nonblank(&f, "agency"),
        language: nonblank(&f, "language"),
        ..CourseInput::default()
    };
    let r = if errs.is_empty() {
        uc::create(&s.app, &user.session.actor, &input).await
    } else {
        Err(AppError::Invalid(errs))
    };
    match r {
        Ok(id) => super::flash::redirect(
            s.secure_cookies,
            &format!("/courses/{id}"),
            "course_started",
        ),
        Err(AppError::Invalid(errs)) => {
            super::concern::detail_page(
                &s,
                t,
                &user.session,
                concern,
                Forms::failed(t, "start", f, errs),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// The prevention levels, for the start form on a concern page.
pub fn prevention_levels(t: &Tr) -> Vec<(String, String)> {
    PreventionLevel::ALL
        .iter()
        .map(|l| (l.code().to_string(), t.code("prevention_level", l.code())))
        .collect()
}
