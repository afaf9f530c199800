//! A course's lifecycle: moves between states, consent and its withdrawal,
//! and the assignment of a corps member. Every move locks the course first.

use jiff::civil::Date;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::course::*;
use vink_domain::fact::Fact;
use vink_domain::person::{Birth, minor_status};
use vink_domain::policy::Action;
use vink_domain::user::Actor;
use vink_domain::validation::{FieldErrors, optional_text};
use vink_store::course::{self as store, CourseRow};
use vink_store::{Authorized, Tx, micros};

use super::{MAX_NOTE, date_of, load, parse_date, status_of};
use crate::{App, AppError, Result, invalid, parse_code};

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
    let before = row.clone();
    let from = status_of(&row)?;
    let p = person_of(&mut tx, row.person_id).await?;
    let consent = consent_of(&row, p, on);
    check_course_transition(from, to, consent, date_of(&row.started_on), on, today)
        .map_err(course_error)?;
    if to == CourseStatus::Completed {
        let has_closure = store::has_assessment(&mut tx, id, "closure").await?;
        vink_domain::course::check_completion(has_closure, note.as_deref())
            .map_err(course_error)?;
    }
    row.status = to.code().into();
    match to {
        CourseStatus::Active => row.started_on = Some(on.to_string()),
        _ => row.ended_on = Some(on.to_string()),
    }
    save(&mut tx, &before, &row).await?;
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
    let stored = row.clone();
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
    save(&mut tx, &stored, &row).await?;
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
    use vink_domain::course::CourseError;
    if e.is_conflict() {
        AppError::Conflict(e.to_string())
    } else {
        // A code of its own where the UI says what to do about it.
        let code = match e {
            CourseError::ClosureMissing => "closure_missing",
            _ => "invalid",
        };
        invalid(e.field(), code, &e.to_string())
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
    let before = row.clone();
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
    save(&mut tx, &before, &row).await?;
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
    let before = row.clone();
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
    save(&mut tx, &before, &row).await?;
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

/// Writes a changed course with the facts its move makes (a start, or the
/// end of a course that ran): every change of a course goes through here, so
/// no move goes uncounted.
async fn save(tx: &mut Authorized, before: &CourseRow, after: &CourseRow) -> Result<()> {
    store::update_course(tx, after).await?;
    let kind = CourseKind::parse(&after.kind)
        .ok_or_else(|| AppError::Internal(format!("course kind {}", after.kind)))?;
    let ended = |r: &CourseRow| {
        r.started_on.is_some() && (r.status == "completed" || r.status == "discontinued")
    };
    let mut facts = Vec::new();
    if before.started_on.is_none()
        && let Some(s) = date_of(&after.started_on)
    {
        facts.push(Fact::course_started(kind, s));
    }
    if !ended(before)
        && ended(after)
        && let Some(e) = date_of(&after.ended_on)
    {
        facts.push(Fact::course_ended(kind, e, after.status == "completed"));
    }
    vink_store::fact::append(tx, &facts).await?;
    Ok(())
}
