//! Courses, the corps, the follow-up worklist and the outcome figures.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;
use vink_app::AppError;
use vink_app::corps::{CorpsMemberView, CorpsProfile};
use vink_app::course::{
    self as uc, AssessmentInput, ConsentInput, ContactInput, CourseDetail, CourseInput,
    CourseQuery, CourseSummary, CourseTransitionInput, GoalInput, RatingInput,
};
use vink_app::follow_up::{FollowUpItem, FollowUpQuery, OutcomeQuery, OutcomeReport};
use vink_domain::course::{
    AssessmentArea, AssessmentPoint, ContactForm, Occupation, PreventionLevel, RiskJudgement,
};
use vink_domain::policy::{Action, Resource, decide};

use super::{
    Errors, FormData, Page, app_error, checked, csrf_failed, error_page, parse_id, render,
};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

fn options(t: &Tr, prefix: &str, codes: &[&'static str]) -> Vec<(String, String)> {
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
    total: i64,
}

pub async fn list(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<CourseQuery>,
) -> Response {
    match uc::list(
        &s.app,
        &user.session.actor,
        &CourseQuery {
            per_page: Some(100),
            ..q
        },
    )
    .await
    {
        Ok(page) => render(
            StatusCode::OK,
            &ListPage {
                p: Page::new(t, "courses.title", Some(&user.session)),
                items: page.items,
                total: page.total,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "course.html")]
struct DetailPage {
    p: Page,
    c: CourseDetail,
    e: Errors,
    f: FormData,
    candidates: Vec<CorpsMemberView>,
    can_manage: bool,
    can_record: bool,
    forms: Vec<(String, String)>,
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
}

async fn detail_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    id: Uuid,
    f: FormData,
    e: Errors,
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
    let page = DetailPage {
        p: Page::new(t, "course.title", Some(session)),
        parties: options(
            &t,
            "consent_party",
            &vink_domain::course::ConsentParty::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        ),
        forms: options(
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
        e,
        f,
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
        Ok(id) => {
            detail_page(
                &s,
                t,
                &user,
                id,
                FormData(Vec::new()),
                Errors::none(t),
                StatusCode::OK,
            )
            .await
        }
        Err(r) => r,
    }
}

/// Runs a course form: CSRF, the use case, then back to the course or the
/// course again with the errors beside the fields.
async fn post<F, Fut>(s: AppState, t: Tr, user: UiUser, id: String, f: FormData, run: F) -> Response
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
        Ok(()) => Redirect::to(&format!("/courses/{id}")).into_response(),
        Err(AppError::Invalid(errs)) => {
            detail_page(
                &s,
                t,
                &user,
                id,
                kept,
                Errors::of(t, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

fn nonblank(f: &FormData, k: &str) -> Option<String> {
    f.get(k).filter(|v| !v.trim().is_empty())
}

pub async fn transition(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    post(s, t, user, id, f, async |s, a, id, f| {
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
    post(s, t, user, id, f, async |s, a, id, f| {
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
    post(s, t, user, id, f, async |s, a, id, f| {
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
    post(s, t, user, id, f, async |s, a, id, f| {
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
    post(s, t, user, id, f, async |s, a, id, f| {
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
    post(s, t, user, id, f, async |s, a, id, f| {
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
    post(s, t, user, id, f, async |s, a, id, f| {
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
    let input = CourseInput {
        concern_id: nonblank(&f, "concern_id").and_then(|c| c.parse().ok()),
        prevention_level: nonblank(&f, "prevention_level"),
        agency: nonblank(&f, "agency"),
        language: nonblank(&f, "language"),
        ..CourseInput::default()
    };
    match uc::create(&s.app, &user.session.actor, &input).await {
        Ok(id) => Redirect::to(&format!("/courses/{id}")).into_response(),
        Err(AppError::Invalid(_)) => error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "course.start_invalid",
        ),
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

#[derive(Template)]
#[template(path = "follow_ups.html")]
struct FollowUpsPage {
    p: Page,
    items: Vec<FollowUpItem>,
    due: String,
}

pub async fn follow_ups(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<FollowUpQuery>,
) -> Response {
    match vink_app::follow_up::worklist(&s.app, &user.session.actor, &q).await {
        Ok(items) => render(
            StatusCode::OK,
            &FollowUpsPage {
                p: Page::new(t, "follow_ups.title", Some(&user.session)),
                items,
                due: q.due.unwrap_or_default(),
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "outcomes.html")]
struct OutcomesPage {
    p: Page,
    r: OutcomeReport,
}

pub async fn outcomes(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<OutcomeQuery>,
) -> Response {
    match vink_app::follow_up::outcomes(&s.app, &user.session.actor, &q).await {
        Ok(r) => render(
            StatusCode::OK,
            &OutcomesPage {
                p: Page::new(t, "outcomes.title", Some(&user.session)),
                r,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "corps.html")]
struct CorpsPage {
    p: Page,
    members: Vec<CorpsMemberView>,
    can_manage: bool,
    e: Errors,
    f: FormData,
    kinds: Vec<(String, String)>,
}

async fn corps_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    f: FormData,
    e: Errors,
    status: StatusCode,
) -> Response {
    match vink_app::corps::list(&s.app, &user.session.actor, None).await {
        Ok(members) => render(
            status,
            &CorpsPage {
                p: Page::new(t, "corps.title", Some(&user.session)),
                members,
                can_manage: decide(&user.session.actor, Action::CorpsManage, &Resource::None)
                    .is_allowed(),
                kinds: options(&t, "corps_kind", &["mentor", "parent_coach"]),
                e,
                f,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn corps(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    corps_page(
        &s,
        t,
        &user,
        FormData(Vec::new()),
        Errors::none(t),
        StatusCode::OK,
    )
    .await
}

fn list_field(f: &FormData, k: &str) -> Vec<String> {
    f.get(k)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

pub async fn create_member(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let input = vink_app::corps::CorpsMemberInput {
        name: nonblank(&f, "name"),
        kind: nonblank(&f, "kind"),
        username: nonblank(&f, "username"),
        languages: list_field(&f, "languages"),
        specialties: list_field(&f, "specialties"),
        districts: list_field(&f, "districts"),
        max_caseload: nonblank(&f, "max_caseload").map(|m| m.trim().parse().unwrap_or(-1)),
    };
    match vink_app::corps::create(&s.app, &user.session.actor, &input).await {
        Ok(id) => Redirect::to(&format!("/corps/{id}")).into_response(),
        Err(AppError::Invalid(errs)) => {
            corps_page(
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

pub async fn add_training(
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
    let input = vink_app::corps::TrainingInput {
        kind: nonblank(&f, "kind"),
        title: nonblank(&f, "title"),
        on: nonblank(&f, "on"),
    };
    match vink_app::corps::add_training(&s.app, &user.session.actor, id, &input).await {
        Ok(()) => Redirect::to(&format!("/corps/{id}")).into_response(),
        Err(AppError::Invalid(_)) => error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.invalid",
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "corps_member.html")]
struct MemberPage {
    p: Page,
    m: CorpsProfile,
    can_manage: bool,
}

pub async fn member(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(t, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match vink_app::corps::get(&s.app, &user.session.actor, id).await {
        Ok(m) => render(
            StatusCode::OK,
            &MemberPage {
                p: Page::new(t, "corps.member_title", Some(&user.session)),
                m,
                can_manage: decide(&user.session.actor, Action::CorpsManage, &Resource::None)
                    .is_allowed(),
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    p: Page,
    items: Vec<vink_app::reminder::InboxItem>,
}

pub async fn inbox(State(s): State<AppState>, UiLang(t): UiLang, user: UiUser) -> Response {
    match vink_app::reminder::inbox(&s.app, &user.session.actor).await {
        Ok(items) => render(
            StatusCode::OK,
            &InboxPage {
                p: Page::new(t, "inbox.title", Some(&user.session)),
                items,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn inbox_read(
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
    match vink_app::reminder::mark_read(&s.app, &user.session.actor, id).await {
        Ok(()) => Redirect::to("/inbox").into_response(),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
