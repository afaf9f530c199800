//! One-to-one programmes: start (from a founded concern or directly), consent,
//! assignment, lifecycle, and the mentor's record. Completing a course schedules
//! its two follow-ups in the same transaction.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::concern::local_date;
use vink_domain::course::{
    AssessmentArea, AssessmentPoint, ConsentFacts, ConsentParty, ContactForm, CourseKind,
    CourseStatus, FollowUpKind, GoalStatus, Occupation, PreventionLevel, RATING_MAX, RATING_MIN,
    RiskJudgement, check_consent_change, check_course_transition, follow_up_answerable,
    follow_up_due, next_course_statuses, status_after_withdrawal, valid_rating,
};
use vink_domain::person::{Birth, minor_status};
use vink_domain::policy::RecordRef;
use vink_domain::policy::{Action, Resource, course_scope};
use vink_domain::triage::{Decision, Status};
use vink_domain::user::Actor;
use vink_domain::validation::{DateRule, date_field};
use vink_domain::validation::{FieldErrors, optional_text, required_text};
use vink_store::course::{self as store, AssessmentRow, ContactRow, CourseRow, GoalRow, RatingRow};
use vink_store::{Authorized, Locked, Tx, instant, micros, organisation, person};

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
            if person_id.is_none() {
                person_id = person::persons_of_concern(&mut tx, cid)
                    .await?
                    .first()
                    .map(|p| p.id);
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

/// A lifecycle move.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseTransitionInput {
    /// `active`, `completed` or `discontinued`.
    #[schema(required = true)]
    pub to: Option<String>,
    /// The day it takes effect (`YYYY-MM-DD`, default today); never in the future.
    pub on: Option<String>,
    pub note: Option<String>,
}

/// Moves a course along its lifecycle; completion schedules the follow-ups.
pub async fn transition(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &CourseTransitionInput,
) -> Result<String> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let to = parse_code(
        &mut errs,
        "to",
        input.to.as_deref(),
        CourseStatus::parse,
        CourseStatus::codes,
        true,
    );
    let on = parse_date(&mut errs, "on", input.on.as_deref(), today, false).unwrap_or(today);
    let note = optional_text(&mut errs, "note", input.note.as_deref(), MAX_NOTE);
    let to = errs
        .finish(to)?
        .ok_or_else(|| AppError::Internal("to".into()))?;
    let (mut tx, mut row) = load(app, actor, Action::CourseUpdate, id, false).await?;
    let from = status_of(&row)?;
    let p = person_of(&mut tx, row.person_id).await?;
    let consent = consent_of(&row, p, on);
    check_course_transition(from, to, consent, date_of(&row.started_on), on, today)
        .map_err(course_error)?;
    row.status = to.code().into();
    match to {
        CourseStatus::Active => row.started_on = Some(on.to_string()),
        _ => row.ended_on = Some(on.to_string()),
    }
    store::update_course(&mut tx, &row).await?;
    if to == CourseStatus::Completed {
        for (kind, months) in [
            (FollowUpKind::Risk, app.config.risk_follow_up_months),
            (
                FollowUpKind::Occupation,
                app.config.occupation_follow_up_months,
            ),
        ] {
            let due = follow_up_due(on, months)
                .ok_or_else(|| AppError::Internal("follow-up date out of range".into()))?;
            vink_store::follow_up::insert_follow_up(
                &mut tx,
                vink_domain::new_id(),
                id,
                kind.code(),
                &due.to_string(),
            )
            .await?;
        }
    }
    let now = micros(app.now());
    store::insert_event(
        &mut tx,
        vink_domain::new_id(),
        id,
        now,
        actor.user_id(),
        "transition",
        Some(from.code()),
        Some(to.code()),
        note.as_deref(),
    )
    .await?;
    tx.commit_noting(Some(to.code().into())).await?;
    Ok(to.code().to_string())
}

fn consent_of(row: &CourseRow, birth: Birth, on: Date) -> ConsentFacts {
    ConsentFacts {
        person_consent: date_of(&row.consent_on),
        guardian_consent: date_of(&row.guardian_consent_on),
        minor: minor_status(birth, on),
    }
}

async fn person_of(tx: &mut Tx, person_id: Uuid) -> Result<Birth> {
    let birth = vink_store::person::person(tx, person_id)
        .await?
        .and_then(|p| p.birth);
    Ok(Birth::from_storage(birth.as_deref()))
}

/// Consent as recorded by the coordinator.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// The day the person consented.
    #[schema(required = true)]
    pub consent_on: Option<String>,
    /// The day a parent or guardian consented (needed unless the person is an adult).
    pub guardian_consent_on: Option<String>,
    /// Who gave the guardian's consent.
    pub guardian_name: Option<String>,
}

pub async fn record_consent(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &ConsentInput,
) -> Result<()> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let consent_on = parse_date(
        &mut errs,
        "consent_on",
        input.consent_on.as_deref(),
        today,
        true,
    );
    let guardian_on = parse_date(
        &mut errs,
        "guardian_consent_on",
        input.guardian_consent_on.as_deref(),
        today,
        false,
    );
    let guardian_name = optional_text(
        &mut errs,
        "guardian_name",
        input.guardian_name.as_deref(),
        200,
    );
    if guardian_on.is_some() != guardian_name.is_some() {
        errs.add(
            "guardian_name",
            "required",
            "a guardian's consent needs both the date and who gave it",
        );
    }
    errs.finish(())?;
    let (mut tx, mut row) = load(app, actor, Action::CourseUpdate, id, false).await?;
    let status = status_of(&row)?;
    if matches!(status, CourseStatus::Completed | CourseStatus::Discontinued) {
        return Err(AppError::Conflict("the course has ended".into()));
    }
    let birth = person_of(&mut tx, row.person_id).await?;
    let started = date_of(&row.started_on);
    let before = consent_of(&row, birth, started.unwrap_or(today));
    // On a running course, fields left out keep what was recorded: a guardian's
    // consent is never dropped by re-recording the person's.
    let running = status == CourseStatus::Active;
    let guardian_on = if running && guardian_on.is_none() {
        date_of(&row.guardian_consent_on)
    } else {
        guardian_on
    };
    let guardian_name = if running && guardian_name.is_none() {
        row.guardian_name.clone()
    } else {
        guardian_name
    };
    let after = ConsentFacts {
        person_consent: consent_on,
        guardian_consent: guardian_on,
        minor: before.minor,
    };
    check_consent_change(status, started, before, after).map_err(course_error)?;
    row.consent_on = consent_on.map(|d| d.to_string());
    row.guardian_consent_on = guardian_on.map(|d| d.to_string());
    row.guardian_name = guardian_name;
    row.consent_recorded_by = actor.user_id();
    store::update_course(&mut tx, &row).await?;
    let at = micros(tx.at());
    store::insert_event(
        &mut tx,
        vink_domain::new_id(),
        id,
        at,
        actor.user_id(),
        "consent",
        None,
        None,
        None,
    )
    .await?;
    tx.commit_noting(Some("consent".into())).await?;
    Ok(())
}

fn course_error(e: vink_domain::course::CourseError) -> AppError {
    if e.is_conflict() {
        AppError::Conflict(e.to_string())
    } else {
        invalid(e.field(), "invalid", &e.to_string())
    }
}

/// A withdrawal of consent: who withdrew, on which day, and why.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentWithdrawalInput {
    /// `person` or `guardian`.
    #[schema(required = true)]
    pub party: Option<String>,
    /// The day consent was withdrawn (default today); never in the future.
    pub on: Option<String>,
    pub note: Option<String>,
}

/// Records that consent was withdrawn. A running course cannot go on: it is
/// discontinued on that day, in the same transaction; a planned course keeps
/// its status but cannot start until consent is recorded again.
pub async fn withdraw_consent(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &ConsentWithdrawalInput,
) -> Result<String> {
    let (mut tx, mut row) = load(app, actor, Action::CourseUpdate, id, false).await?;
    let today = app.today();
    let mut errs = FieldErrors::new();
    let party = parse_code(
        &mut errs,
        "party",
        input.party.as_deref(),
        ConsentParty::parse,
        ConsentParty::codes,
        true,
    );
    let on = parse_date(&mut errs, "on", input.on.as_deref(), today, false).unwrap_or(today);
    let note = optional_text(&mut errs, "note", input.note.as_deref(), MAX_NOTE);
    let party = errs
        .finish(party)?
        .ok_or_else(|| AppError::Internal("party".into()))?;
    let given = match party {
        ConsentParty::Person => row.consent_on.is_some(),
        ConsentParty::Guardian => row.guardian_consent_on.is_some(),
    };
    if !given {
        return Err(AppError::Conflict("no such consent is recorded".into()));
    }
    let from = status_of(&row)?;
    let to = status_after_withdrawal(from).map_err(course_error)?;
    if let Some(start) = date_of(&row.started_on)
        && on < start
    {
        return Err(invalid(
            "on",
            "out_of_range",
            "lies before the course started",
        ));
    }
    match party {
        ConsentParty::Person => row.consent_on = None,
        ConsentParty::Guardian => {
            row.guardian_consent_on = None;
            row.guardian_name = None;
        }
    }
    row.consent_recorded_by = actor.user_id();
    row.status = to.code().into();
    if to != from {
        row.ended_on = Some(on.to_string());
    }
    store::update_course(&mut tx, &row).await?;
    let at = micros(tx.at());
    store::insert_event(
        &mut tx,
        vink_domain::new_id(),
        id,
        at,
        actor.user_id(),
        "consent_withdrawn",
        Some(from.code()),
        Some(to.code()),
        note.as_deref(),
    )
    .await?;
    tx.commit_noting(Some("consent_withdrawn".into())).await?;
    Ok(to.code().to_string())
}

/// Assigns (or unassigns, with `None`) a corps member.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: Uuid,
    corps_member_id: Option<Uuid>,
) -> Result<()> {
    let (mut tx, mut row) = load(app, actor, Action::CourseUpdate, id, false).await?;
    if let Some(m) = corps_member_id
        && vink_store::corps::member(&mut tx, m).await?.is_none()
    {
        return Err(invalid(
            "corps_member_id",
            "unknown",
            "no such corps member",
        ));
    }
    if matches!(
        status_of(&row)?,
        CourseStatus::Completed | CourseStatus::Discontinued
    ) {
        return Err(AppError::Conflict("the course has ended".into()));
    }
    row.corps_member_id = corps_member_id;
    store::update_course(&mut tx, &row).await?;
    store::insert_event(
        &mut tx,
        vink_domain::new_id(),
        id,
        micros(app.now()),
        actor.user_id(),
        "assigned",
        None,
        None,
        None,
    )
    .await?;
    tx.commit_noting(Some("assigned".into())).await?;
    Ok(())
}

/// One entry of the contact log.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[schema(required = true)]
    pub on: Option<String>,
    /// Duration in minutes (1–1440).
    #[schema(required = true)]
    pub minutes: Option<i64>,
    /// `meeting`, `phone`, `online` or `with_family`.
    #[schema(required = true)]
    pub form: Option<String>,
    pub note: Option<String>,
}

pub async fn log_contact(app: &App, actor: &Actor, id: Uuid, input: &ContactInput) -> Result<Uuid> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let on = parse_date(&mut errs, "on", input.on.as_deref(), today, true);
    let form = parse_code(
        &mut errs,
        "form",
        input.form.as_deref(),
        ContactForm::parse,
        ContactForm::codes,
        true,
    );
    let note = optional_text(&mut errs, "note", input.note.as_deref(), MAX_NOTE);
    match input.minutes {
        None => errs.add("minutes", "required", "is required"),
        Some(m) if !(1..=1440).contains(&m) => {
            errs.add("minutes", "out_of_range", "must be between 1 and 1440")
        }
        Some(_) => {}
    }
    errs.finish(())?;
    let (Some(on), Some(form), Some(minutes)) = (on, form, input.minutes) else {
        return Err(AppError::Internal(
            "validated contact fields missing".into(),
        ));
    };
    let (mut tx, row) = load(app, actor, Action::ContactLog, id, false).await?;
    if matches!(
        status_of(&row)?,
        CourseStatus::Completed | CourseStatus::Discontinued
    ) {
        return Err(AppError::Conflict("the course has ended".into()));
    }
    let cid = vink_domain::new_id();
    store::insert_contact(
        &mut tx,
        id,
        &ContactRow {
            id: cid,
            on_date: on.to_string(),
            minutes,
            form: form.code().into(),
            note,
            created_by: actor.user_id(),
        },
        micros(app.now()),
    )
    .await?;
    tx.commit().await?;
    Ok(cid)
}

/// A goal of the personal plan.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    #[schema(required = true)]
    pub text: Option<String>,
}

pub async fn add_goal(app: &App, actor: &Actor, id: Uuid, input: &GoalInput) -> Result<Uuid> {
    let mut errs = FieldErrors::new();
    let text = required_text(&mut errs, "text", input.text.as_deref(), MAX_GOAL);
    let text = errs
        .finish(text)?
        .ok_or_else(|| AppError::Internal("text".into()))?;
    let (mut tx, _row) = load(app, actor, Action::CoursePlan, id, false).await?;
    let position = i64::try_from(store::goals(&mut tx, id).await?.len()).unwrap_or(0);
    let gid = vink_domain::new_id();
    store::insert_goal(
        &mut tx,
        id,
        &GoalRow {
            id: gid,
            position,
            text,
            status: GoalStatus::Open.code().into(),
            updated_at: micros(app.now()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(gid)
}

pub async fn set_goal_status(
    app: &App,
    actor: &Actor,
    id: Uuid,
    goal_id: Uuid,
    status: &str,
) -> Result<()> {
    let mut errs = FieldErrors::new();
    let status = parse_code(
        &mut errs,
        "status",
        Some(status),
        GoalStatus::parse,
        GoalStatus::codes,
        true,
    );
    let status = errs
        .finish(status)?
        .ok_or_else(|| AppError::Internal("status".into()))?;
    let (mut tx, _row) = load(app, actor, Action::CoursePlan, id, false).await?;
    if !store::set_goal_status(&mut tx, id, goal_id, status.code(), micros(app.now())).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// One area's rating.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    #[schema(required = true)]
    pub area: Option<String>,
    /// 1 (very concerning) to 5 (no concern).
    #[schema(required = true)]
    pub rating: Option<i16>,
    pub comment: Option<String>,
}

/// A structured assessment: every area rated, and at the follow-ups the answer
/// the targets count.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `baseline`, `closure`, `six_months` or `twelve_months`.
    #[schema(required = true)]
    pub point: Option<String>,
    #[schema(required = true)]
    pub on: Option<String>,
    /// Education or employment status (required at `twelve_months`).
    pub occupation: Option<String>,
    /// Risk judgement (required at `six_months`).
    pub risk: Option<String>,
    #[serde(default)]
    #[schema(required = true)]
    pub ratings: Vec<RatingInput>,
}

pub async fn record_assessment(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &AssessmentInput,
) -> Result<Uuid> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let point = parse_code(
        &mut errs,
        "point",
        input.point.as_deref(),
        AssessmentPoint::parse,
        AssessmentPoint::codes,
        true,
    );
    let on = parse_date(&mut errs, "on", input.on.as_deref(), today, true);
    let occupation = parse_code(
        &mut errs,
        "occupation",
        input.occupation.as_deref(),
        Occupation::parse,
        Occupation::codes,
        point == Some(AssessmentPoint::TwelveMonths),
    );
    let risk = parse_code(
        &mut errs,
        "risk",
        input.risk.as_deref(),
        RiskJudgement::parse,
        RiskJudgement::codes,
        point == Some(AssessmentPoint::SixMonths),
    );
    let mut ratings = Vec::new();
    for (i, r) in input.ratings.iter().enumerate() {
        let area = parse_code(
            &mut errs,
            &format!("ratings[{i}].area"),
            r.area.as_deref(),
            AssessmentArea::parse,
            AssessmentArea::codes,
            true,
        );
        let comment = optional_text(
            &mut errs,
            &format!("ratings[{i}].comment"),
            r.comment.as_deref(),
            MAX_NOTE,
        );
        match r.rating {
            Some(v) if valid_rating(v) => {}
            Some(_) => errs.add(
                format!("ratings[{i}].rating"),
                "out_of_range",
                format!("must be between {RATING_MIN} and {RATING_MAX}"),
            ),
            None => errs.add(format!("ratings[{i}].rating"), "required", "is required"),
        }
        if let (Some(area), Some(v)) = (area, r.rating) {
            if ratings.iter().any(|x: &RatingRow| x.area == area.code()) {
                errs.add(
                    format!("ratings[{i}].area"),
                    "duplicate",
                    "each area is rated once",
                );
            }
            ratings.push(RatingRow {
                assessment_id: Uuid::nil(),
                area: area.code().into(),
                rating: i64::from(v),
                comment,
            });
        }
    }
    for area in AssessmentArea::ALL {
        if !input
            .ratings
            .iter()
            .any(|r| r.area.as_deref() == Some(area.code()))
        {
            errs.add(
                "ratings",
                "required",
                format!("every area is rated; missing {}", area.code()),
            );
        }
    }
    errs.finish(())?;
    let (Some(point), Some(on)) = (point, on) else {
        return Err(AppError::Internal(
            "validated assessment fields missing".into(),
        ));
    };
    let (mut tx, row) = load(app, actor, Action::AssessmentRecord, id, false).await?;
    let follow_up = match point {
        AssessmentPoint::SixMonths => Some(FollowUpKind::Risk),
        AssessmentPoint::TwelveMonths => Some(FollowUpKind::Occupation),
        _ => None,
    };
    if follow_up.is_some() && status_of(&row)? != CourseStatus::Completed {
        return Err(AppError::Conflict(
            "follow-ups are recorded on completed courses".into(),
        ));
    }
    if let Some(kind) = follow_up {
        let due = vink_store::follow_up::of_course(&mut tx, id)
            .await?
            .into_iter()
            .find(|(k, _, _)| k == kind.code())
            .and_then(|(_, due, _)| due.parse::<Date>().ok());
        if let Some(due) = due
            && !follow_up_answerable(due, on, app.config.follow_up_tolerance_days)
        {
            return Err(invalid(
                "on",
                "too_early",
                &format!(
                    "this follow-up is due on {due}; an answer is accepted from {} days before",
                    app.config.follow_up_tolerance_days
                ),
            ));
        }
    }
    let aid = vink_domain::new_id();
    let now = micros(app.now());
    store::insert_assessment(
        &mut tx,
        id,
        &AssessmentRow {
            id: aid,
            point: point.code().into(),
            on_date: on.to_string(),
            occupation: occupation.map(|o| o.code().into()),
            risk: risk.map(|r| r.code().into()),
        },
        &ratings,
        now,
        actor.user_id(),
    )
    .await?;
    if let Some(kind) = follow_up
        && !vink_store::follow_up::record(&mut tx, id, kind.code(), aid, now).await?
    {
        return Err(AppError::Conflict(
            "this follow-up is already recorded".into(),
        ));
    }
    tx.commit_noting(Some(point.code().into())).await?;
    Ok(aid)
}

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
    let status = status_of(&row)?;
    let birth = Birth::from_storage(p.birth.as_deref());
    let detail = CourseDetail {
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
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
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
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(25);
    if !(1..=crate::concern::MAX_PAGE).contains(&page) {
        errs.add("page", "out_of_range", "must be between 1 and 100000");
    }
    if !(1..=100).contains(&per_page) {
        errs.add("per_page", "out_of_range", "must be between 1 and 100");
    }
    errs.finish(())?;
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::CourseList, &Resource::None, None)
        .await?;
    let (rows, total) = store::list_courses(
        &mut tx,
        course_scope(actor),
        status.map(|s| s.code()),
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    tx.commit().await?;
    Ok(CoursePage {
        items: rows
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
        total,
        page,
        per_page,
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
