//! One-to-one programmes: start (from a founded concern or directly), consent,
//! assignment, lifecycle, and the mentor's record. Completing a course schedules
//! its two follow-ups in the same transaction.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::concern::local_date;
use vink_domain::course::{CourseKind, CourseStatus, PreventionLevel, next_course_statuses};
use vink_domain::person::{Birth, minor_status};
use vink_domain::policy::RecordRef;
use vink_domain::policy::{Action, Resource, course_scope};
use vink_domain::triage::{Decision, Status};
use vink_domain::user::Actor;
use vink_domain::validation::{DateRule, date_field};
use vink_domain::validation::{FieldErrors, optional_text};
use vink_store::course::{self as store, CourseRow};
use vink_store::{Authorized, Locked, instant, micros, organisation, person};

use crate::{App, AppError, Result, invalid, parse_code};

fn course_record(id: Uuid) -> Option<RecordRef> {
    Some(RecordRef::course(id))
}

/// Longest free texts of the mentor's record.
pub const MAX_NOTE: usize = 2_000;
pub const MAX_GOAL: usize = 500;

/// A date of something that happened: the one date parser, never in the future.
fn parse_date(
    errs: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    today: Date,
    required: bool,
) -> Option<Date> {
    let rule = DateRule {
        not_after: Some(today),
        not_before: None,
    };
    date_field(errs, field, raw, rule, required)
}

/// A course to start. From a founded concern, person, kind and agency are taken
/// from the decision unless given; a direct start needs a person and a reason.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    pub concern_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub kind: Option<String>,
    #[schema(required = true)]
    pub prevention_level: Option<String>,
    /// Agency code (`ssp`, `eki`, …).
    pub agency: Option<String>,
    pub legal_basis: Option<String>,
    pub direct_reason: Option<String>,
    /// Preferred language, lower case (`dansk`, `arabisk`, …).
    pub language: Option<String>,
}

/// Starts (plans) a course.
pub async fn create(app: &App, actor: &Actor, input: &CourseInput) -> Result<Uuid> {
    let id = vink_domain::new_id();
    let mut tx = app.db.begin().await?;
    // Two starts from one concern serialise here, so the duplicate check holds.
    if let Some(cid) = input.concern_id {
        tx.lock(Locked::Concern(cid)).await?;
    }
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::CourseCreate,
            &Resource::None,
            course_record(id),
        )
        .await?;
    let mut errs = FieldErrors::new();
    let mut kind = parse_code(
        &mut errs,
        "kind",
        input.kind.as_deref(),
        CourseKind::parse,
        CourseKind::codes,
        false,
    );
    let level = parse_code(
        &mut errs,
        "prevention_level",
        input.prevention_level.as_deref(),
        PreventionLevel::parse,
        PreventionLevel::codes,
        true,
    );
    let legal_basis = optional_text(
        &mut errs,
        "legal_basis",
        input.legal_basis.as_deref(),
        MAX_NOTE,
    );
    let direct_reason = optional_text(
        &mut errs,
        "direct_reason",
        input.direct_reason.as_deref(),
        MAX_NOTE,
    );
    let language = optional_text(&mut errs, "language", input.language.as_deref(), 50)
        .map(|l| l.to_lowercase());
    let mut agency = match input
        .agency
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) => Some(a.id),
            None => {
                errs.add("agency", "unknown_code", format!("unknown agency {code:?}"));
                None
            }
        },
    };
    let mut person_id = input.person_id;
    match input.concern_id {
        Some(cid) => {
            let Some(c) = vink_store::concern::concern(&mut tx, cid).await? else {
                return Err(invalid("concern_id", "unknown", "no such concern"));
            };
            if c.status != Status::Decided.code()
                || c.decision.as_deref() != Some(Decision::FoundedLocalAction.code())
            {
                return Err(AppError::Conflict(
                    "a course starts from a concern decided as founded with local action".into(),
                ));
            }
            if kind.is_none() {
                kind = c.programme_kind.as_deref().and_then(CourseKind::parse);
            }
            let named = person::persons_of_concern(&mut tx, cid).await?;
            match person_id {
                // Without a choice: the first person named.
                None => person_id = named.first().map(|p| p.id),
                Some(p) if !named.iter().any(|n| n.id == p) => errs.add(
                    "person_id",
                    "not_in_concern",
                    "the person is not named in this concern",
                ),
                Some(_) => {}
            }
            if agency.is_none() {
                agency = vink_store::triage::acting_agency(&mut tx, cid).await?;
            }
        }
        None => {
            if direct_reason.is_none() {
                errs.add(
                    "direct_reason",
                    "required",
                    "a course not started from a concern needs a reason",
                );
            }
        }
    }
    match person_id {
        None => errs.add("person_id", "required", "is required"),
        Some(p) if !person::person_exists(&mut tx, p).await? => {
            errs.add("person_id", "unknown", "no such person")
        }
        Some(_) => {}
    }
    if kind.is_none() && errs.get("kind").is_none() {
        errs.add("kind", "required", "is required");
    }
    if agency.is_none() && errs.get("agency").is_none() {
        errs.add("agency", "required", "is required");
    }
    errs.finish(())?;
    let (Some(kind), Some(level), Some(agency), Some(person_id)) = (kind, level, agency, person_id)
    else {
        return Err(AppError::Internal("validated course fields missing".into()));
    };
    if let Some(cid) = input.concern_id
        && store::course_of_concern_person(&mut tx, cid, person_id)
            .await?
            .is_some()
    {
        return Err(AppError::Conflict(
            "this person already has a course from this concern".into(),
        ));
    }
    let now = micros(tx.at());
    store::insert_course(
        &mut tx,
        &CourseRow {
            id,
            person_id,
            kind: kind.code().into(),
            prevention_level: level.code().into(),
            concern_id: input.concern_id,
            direct_reason,
            agency_id: agency,
            legal_basis,
            language,
            status: CourseStatus::Planned.code().into(),
            corps_member_id: None,
            consent_on: None,
            guardian_consent_on: None,
            guardian_name: None,
            consent_recorded_by: None,
            started_on: None,
            ended_on: None,
            created_at: now,
            created_by: actor.user_id(),
        },
    )
    .await?;
    store::insert_event(
        &mut tx,
        vink_domain::new_id(),
        id,
        now,
        actor.user_id(),
        "created",
        None,
        Some("planned"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Loads a course and asks the policy; a missing course is judged as one nobody
/// is responsible for, so refusals reveal nothing. A change locks the row
/// first, so of concurrent conflicting changes exactly one sees the old state.
async fn load(
    app: &App,
    actor: &Actor,
    action: Action,
    id: Uuid,
    read: bool,
) -> Result<(Authorized, CourseRow)> {
    let mut tx = if read {
        app.db.begin_read().await?
    } else {
        let mut tx = app.db.begin().await?;
        tx.lock(Locked::Course(id)).await?;
        tx
    };
    let facts = store::course(&mut tx, id).await?;
    let mentor_user = match facts.as_ref().and_then(|r| r.corps_member_id) {
        Some(m) => store::mentor_user(&mut tx, m).await?,
        None => None,
    };
    let resource = Resource::Course {
        agency: facts.as_ref().map(|r| r.agency_id),
        mentor_user,
    };
    let auth = if read {
        app.authorize_read(tx, actor, action, &resource, course_record(id))
            .await?
    } else {
        app.authorize(tx, actor, action, &resource, course_record(id))
            .await?
    };
    facts.map(|r| (auth, r)).ok_or(AppError::NotFound)
}

fn status_of(row: &CourseRow) -> Result<CourseStatus> {
    CourseStatus::parse(&row.status)
        .ok_or_else(|| AppError::Internal(format!("unknown course status {}", row.status)))
}

fn date_of(s: &Option<String>) -> Option<Date> {
    s.as_deref().and_then(|d| d.parse().ok())
}

mod lifecycle;
mod record;

pub use lifecycle::*;
pub use record::*;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoursePerson {
    pub id: Uuid,
    pub name: Option<String>,
    pub birth: Option<String>,
    pub district: Option<String>,
    /// Minor status today.
    pub minor: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalView {
    pub id: Uuid,
    pub text: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub on: String,
    pub minutes: i64,
    pub form: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: Uuid,
    pub point: String,
    pub on: String,
    pub occupation: Option<String>,
    pub risk: Option<String>,
    pub ratings: Vec<RatingInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpView {
    pub kind: String,
    pub due_on: String,
    pub recorded: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseEventView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    pub actor: Option<String>,
}

/// A course as its readers see it: no concern text, only what the work needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseDetail {
    pub id: Uuid,
    pub kind: String,
    pub prevention_level: String,
    pub status: String,
    pub concern_id: Option<Uuid>,
    pub direct_reason: Option<String>,
    pub agency: String,
    pub legal_basis: Option<String>,
    pub language: Option<String>,
    pub corps_member_id: Option<Uuid>,
    /// The assigned corps member's name (staff, not a person of concern).
    pub corps_member: Option<String>,
    pub consent_on: Option<String>,
    pub guardian_consent_on: Option<String>,
    pub guardian_name: Option<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub person: CoursePerson,
    pub goals: Vec<GoalView>,
    pub contacts: Vec<ContactView>,
    pub assessments: Vec<AssessmentView>,
    pub follow_ups: Vec<FollowUpView>,
    pub next_statuses: Vec<String>,
    pub timeline: Vec<CourseEventView>,
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<CourseDetail> {
    let (mut tx, row) = load(app, actor, Action::CourseRead, id, true).await?;
    let p = vink_store::person::person(&mut tx, row.person_id)
        .await?
        .ok_or_else(|| AppError::Internal("course person missing".into()))?;
    let agency = organisation::agency_by_id(&mut tx, row.agency_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let goals = store::goals(&mut tx, id)
        .await?
        .into_iter()
        .map(|g| GoalView {
            id: g.id,
            text: g.text,
            status: g.status,
        })
        .collect();
    let contacts = store::contacts(&mut tx, id)
        .await?
        .into_iter()
        .map(|c| ContactView {
            id: c.id,
            on: c.on_date,
            minutes: c.minutes,
            form: c.form,
            note: c.note,
        })
        .collect();
    let (rows, ratings) = store::assessments(&mut tx, id).await?;
    let assessments = rows
        .into_iter()
        .map(|a| AssessmentView {
            ratings: ratings
                .iter()
                .filter(|r| r.assessment_id == a.id)
                .map(|r| RatingInput {
                    area: Some(r.area.clone()),
                    rating: i16::try_from(r.rating).ok(),
                    comment: r.comment.clone(),
                })
                .collect(),
            id: a.id,
            point: a.point,
            on: a.on_date,
            occupation: a.occupation,
            risk: a.risk,
        })
        .collect();
    let follow_ups = vink_store::follow_up::of_course(&mut tx, id)
        .await?
        .into_iter()
        .map(|(kind, due_on, recorded)| FollowUpView {
            kind,
            due_on,
            recorded: recorded.is_some(),
        })
        .collect();
    let timeline = store::events(&mut tx, id)
        .await?
        .into_iter()
        .map(|e| {
            Ok(CourseEventView {
                at: instant(e.at)?,
                kind: e.kind,
                from_status: e.from_status,
                to_status: e.to_status,
                note: e.note,
                actor: e.actor_name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let corps_member = match row.corps_member_id {
        Some(m) => vink_store::corps::member(&mut tx, m).await?.map(|m| m.name),
        None => None,
    };
    let status = status_of(&row)?;
    let birth = Birth::from_storage(p.birth.as_deref());
    let detail = CourseDetail {
        corps_member,
        id,
        kind: row.kind,
        prevention_level: row.prevention_level,
        status: row.status,
        concern_id: row.concern_id,
        direct_reason: row.direct_reason,
        agency,
        legal_basis: row.legal_basis,
        language: row.language,
        corps_member_id: row.corps_member_id,
        consent_on: row.consent_on,
        guardian_consent_on: row.guardian_consent_on,
        guardian_name: row.guardian_name,
        started_on: row.started_on,
        ended_on: row.ended_on,
        person: CoursePerson {
            id: p.id,
            name: p.name,
            birth: p.birth,
            district: p.district,
            minor: minor_status(birth, local_date(tx.at())).code(),
        },
        goals,
        contacts,
        assessments,
        follow_ups,
        next_statuses: next_course_statuses(status)
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        timeline,
    };
    tx.commit().await?;
    Ok(detail)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseSummary {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub person_name: Option<String>,
    pub agency: String,
    pub corps_member: Option<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoursePage {
    pub items: Vec<CourseSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// `total` is a lower bound: the ended courses are counted only up to a
    /// cap (walk on with the cursor).
    pub total_capped: bool,
    /// Where the next page starts, when another course follows this page
    /// (pass as `cursor`).
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    pub status: Option<String>,
    /// Programme kind (`mentor`, `parent_coaching`, …).
    pub kind: Option<String>,
    /// Responsible agency code.
    pub agency: Option<String>,
    /// The assigned corps member's id.
    pub corps_member: Option<Uuid>,
    /// `desc` (newest first within active, planned and ended courses; the
    /// default) or `asc` (oldest first).
    pub order: Option<String>,
    /// A page number, within the first 10 000 rows (page 400 at 25 a
    /// page); with `cursor`, only the caller's count, echoed back.
    pub page: Option<i64>,
    /// Items per page, at most 100 (default 25).
    pub per_page: Option<i64>,
    /// Continue after the previous page (its `next_cursor`): any depth at
    /// the cost of the first page.
    pub cursor: Option<String>,
}

/// Courses in the actor's scope: all, their agency's, or (a mentor) their own.
pub async fn list(app: &App, actor: &Actor, q: &CourseQuery) -> Result<CoursePage> {
    let mut errs = FieldErrors::new();
    let status = parse_code(
        &mut errs,
        "status",
        q.status.as_deref(),
        CourseStatus::parse,
        CourseStatus::codes,
        false,
    );
    let after = match q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            let cursor = store::CourseCursor::decode(c);
            if cursor.is_none() {
                errs.add("cursor", "invalid", "not a cursor from this list");
            }
            cursor
        }
    };
    let window =
        vink_domain::validation::page_window(&mut errs, q.page, q.per_page, 25, after.is_some());
    let kind = parse_code(
        &mut errs,
        "kind",
        q.kind.as_deref(),
        CourseKind::parse,
        CourseKind::codes,
        false,
    );
    let order = crate::parse_order(&mut errs, q.order.as_deref(), vink_store::Order::Descending);
    errs.finish(())?;
    // How the list plans (`store::course::plans_for_values`, which the
    // store applies itself), said with the BEGIN: one round trip fewer. The
    // agency is given by code here and becomes an id below; the filter's
    // agency is empty exactly when this code is.
    let scope = course_scope(actor);
    let narrowed =
        q.agency.as_deref().is_some_and(|a| !a.trim().is_empty()) || q.corps_member.is_some();
    let tx = if store::plans_for_values(scope, narrowed) {
        app.db.begin_read_custom().await?
    } else {
        app.db.begin_read_planned().await?
    };
    let mut tx = app
        .authorize_read(tx, actor, Action::CourseList, &Resource::None, None)
        .await?;
    let agency = match q.agency.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(code) => match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) => Some(a.id),
            None => return Err(invalid("agency", "unknown_code", "unknown agency")),
        },
    };
    let filter = store::CourseFilter {
        status: status.map(|s| s.code().to_string()),
        kind: kind.map(|k| k.code().to_string()),
        agency,
        corps_member: q.corps_member,
        order,
        after,
    };
    let listed =
        store::list_courses(&mut tx, scope, &filter, window.per_page, window.offset()).await?;
    tx.commit().await?;
    Ok(CoursePage {
        items: listed
            .rows
            .into_iter()
            .map(|r| CourseSummary {
                id: r.id,
                kind: r.kind,
                status: r.status,
                person_name: r.person_name,
                agency: r.agency_name,
                corps_member: r.corps_member_name,
                started_on: r.started_on,
                ended_on: r.ended_on,
            })
            .collect(),
        total: listed.total,
        page: window.page,
        per_page: window.per_page,
        total_capped: listed.total_capped,
        next_cursor: listed.next.map(|c| c.encode()),
    })
}

/// The corps members to assign to a course, ordered by fit (kind, language,
/// district) with free capacity first. The coordinator's assignment work: one
/// decision and one audit row for the request (`course.update`, read).
pub async fn candidates(
    app: &App,
    actor: &Actor,
    id: Uuid,
) -> Result<Vec<crate::corps::CorpsMemberView>> {
    let (mut tx, row) = load(app, actor, Action::CourseUpdate, id, true).await?;
    let district = vink_store::person::person(&mut tx, row.person_id)
        .await?
        .and_then(|p| p.district);
    let members = vink_store::corps::members(&mut tx).await?;
    tx.commit_noting(Some("candidates".into())).await?;
    Ok(crate::corps::order_by_fit(
        members,
        Some((
            row.kind.as_str(),
            row.language.as_deref(),
            district.as_deref(),
        )),
    ))
}

/// A contact on a mentor's home page.
#[derive(Debug, Clone, Serialize)]
pub struct RecentContact {
    pub course_id: Uuid,
    pub person_name: Option<String>,
    pub on: String,
    pub form: String,
    pub minutes: i64,
}

/// The latest contacts in the courses assigned to the signed-in mentor.
/// Audited as one course-list read; other roles get none.
pub async fn recent_contacts(app: &App, actor: &Actor, limit: i64) -> Result<Vec<RecentContact>> {
    let vink_domain::policy::CourseScope::Mentor(user) = vink_domain::policy::course_scope(actor)
    else {
        return Ok(Vec::new());
    };
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::CourseList, &Resource::None, None)
        .await?;
    let rows = vink_store::course::recent_contacts_by(&mut tx, user, limit).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| RecentContact {
            course_id: r.course_id,
            person_name: r.person_name,
            on: r.on_date,
            form: r.form,
            minutes: r.minutes,
        })
        .collect())
}
