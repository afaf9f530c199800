//! Triage: status transitions, the clock's pauses, and the coordination unit's
//! meetings with their agendas and recommendations.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::fact::Fact;
use vink_domain::policy::{Action, Resource, meeting_scope};
use vink_domain::triage::{
    Decision, MAX_REASON, ProgrammeKind, Status, TransitionRequest, TriageError, check_transition,
};
use vink_domain::user::Actor;
use vink_domain::validation::{FieldErrors, optional_text, required_text};
use vink_store::concern::ConcernRow;
use vink_store::triage::{self as store, MeetingRow, TriageUpdate};
use vink_store::{Authorized, Locked, Tx, instant, micros, organisation};

use crate::concern::{clock_of, event, load_for_change};
use crate::{App, AppError, Result, concern_record, meeting_record, parse_code};

/// A requested transition as the API and the form send it: codes as text so a
/// wrong value becomes a per-field error.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The target status.
    #[schema(required = true)]
    pub to: Option<String>,
    /// Required when `to` is `decided`.
    pub decision: Option<String>,
    /// Required with `founded_local_action`.
    pub programme_kind: Option<String>,
    pub reason: Option<String>,
}

/// A decision as its own request: `to` is implied.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    #[schema(required = true)]
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub reason: Option<String>,
}

impl From<DecisionInput> for TransitionInput {
    fn from(d: DecisionInput) -> Self {
        TransitionInput {
            to: Some(Status::Decided.code().into()),
            decision: d.decision,
            programme_kind: d.programme_kind,
            reason: d.reason,
        }
    }
}

/// A pause or resume, with its reason.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: Option<String>,
}

/// Where the concern stands after a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriageState {
    pub id: Uuid,
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub clock: crate::concern::ClockView,
}

impl TransitionInput {
    fn validate(&self) -> Result<TransitionRequest> {
        let mut errs = FieldErrors::new();
        let to = parse_code(
            &mut errs,
            "to",
            self.to.as_deref(),
            Status::parse,
            Status::codes,
            false,
        );
        if to.is_none() && errs.get("to").is_none() {
            errs.add("to", "required", "is required");
        }
        let decision = parse_code(
            &mut errs,
            "decision",
            self.decision.as_deref(),
            Decision::parse,
            Decision::codes,
            false,
        );
        let programme_kind = parse_code(
            &mut errs,
            "programme_kind",
            self.programme_kind.as_deref(),
            ProgrammeKind::parse,
            ProgrammeKind::codes,
            false,
        );
        let reason = optional_text(&mut errs, "reason", self.reason.as_deref(), MAX_REASON);
        match to {
            Some(to) if errs.is_empty() => Ok(TransitionRequest {
                to,
                decision,
                programme_kind,
                reason,
            }),
            _ => Err(AppError::Invalid(errs)),
        }
    }
}

fn stored_status(row: &ConcernRow) -> Result<Status> {
    Status::parse(&row.status)
        .ok_or_else(|| AppError::Internal(format!("unknown stored status {}", row.status)))
}

fn state_of(app: &App, id: Uuid, u: &TriageUpdate, now: Timestamp) -> Result<TriageState> {
    let clock = clock_of(u.triage_deadline_at, u.paused_at, u.decided_at)?;
    Ok(TriageState {
        id,
        status: u.status.clone(),
        decision: u.decision.clone(),
        programme_kind: u.programme_kind.clone(),
        clock: crate::concern::ClockView::of(&clock, now, app.config.due_soon),
    })
}

/// Moves a concern along the state machine. A decision stops the clock; the
/// coordination unit may decide on concerns on its agenda, the secretariat on all.
pub async fn transition(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &TransitionInput,
) -> Result<TriageState> {
    // The action (and so the access check) depends only on the target status;
    // the rest of the input is validated after the check.
    let action = if input.to.as_deref().map(str::trim) == Some(Status::Decided.code()) {
        Action::ConcernDecide
    } else {
        Action::ConcernTransition
    };
    let (mut tx, row) = load_for_change(app, actor, action, id).await?;
    let req = input.validate()?;
    if (req.to == Status::Decided) != (action == Action::ConcernDecide) {
        return Err(AppError::Internal("transition action mismatch".into()));
    }
    let from = stored_status(&row)?;
    check_transition(from, &req)?;
    let now = tx.at();
    let mut clock = clock_of(row.triage_deadline_at, row.paused_at, row.decided_at)?;
    if req.to == Status::Decided {
        clock.stop(vink_domain::concern::decision_instant(
            instant(row.received_at)?,
            now,
        ));
    }
    let update = TriageUpdate {
        status: req.to.code().into(),
        decision: req.decision.map(|d| d.code().into()),
        programme_kind: req.programme_kind.map(|p| p.code().into()),
        triage_deadline_at: micros(clock.deadline),
        paused_at: clock.paused_at.map(micros),
        decided_at: clock.stopped_at.map(micros),
    };
    store::update_triage(&mut tx, id, &update).await?;
    if let (Some(decision), Some(on_time)) = (req.decision, clock.decided_on_time()) {
        let received_on = vink_domain::concern::local_date(instant(row.received_at)?);
        vink_store::fact::append(
            &mut tx,
            &[Fact::concern_decided(received_on, decision, on_time)],
        )
        .await?;
    }
    event(
        &mut tx,
        id,
        actor,
        "transition",
        Some(from),
        Some(req.to),
        update.decision.clone(),
        req.reason.clone(),
    )
    .await?;
    tx.commit().await?;
    state_of(app, id, &update, now)
}

/// Pauses the triage clock; the reason is required and kept in the timeline.
pub async fn pause(app: &App, actor: &Actor, id: Uuid, input: &ReasonInput) -> Result<TriageState> {
    clock_change(app, actor, id, input, true).await
}

/// Resumes the clock; the paused interval moves the deadline later.
pub async fn resume(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &ReasonInput,
) -> Result<TriageState> {
    clock_change(app, actor, id, input, false).await
}

async fn clock_change(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &ReasonInput,
    pause: bool,
) -> Result<TriageState> {
    let (mut tx, row) = load_for_change(app, actor, Action::ConcernPause, id).await?;
    let mut errs = FieldErrors::new();
    let reason = if pause {
        required_text(&mut errs, "reason", input.reason.as_deref(), MAX_REASON)
    } else {
        optional_text(&mut errs, "reason", input.reason.as_deref(), MAX_REASON)
    };
    errs.finish(())?;
    let now = tx.at();
    let mut clock = clock_of(row.triage_deadline_at, row.paused_at, row.decided_at)?;
    if pause {
        clock.pause(now)?;
    } else {
        clock.resume(now)?;
    }
    let update = TriageUpdate {
        status: row.status.clone(),
        decision: row.decision.clone(),
        programme_kind: row.programme_kind.clone(),
        triage_deadline_at: micros(clock.deadline),
        paused_at: clock.paused_at.map(micros),
        decided_at: clock.stopped_at.map(micros),
    };
    store::update_triage(&mut tx, id, &update).await?;
    let kind = if pause { "paused" } else { "resumed" };
    event(&mut tx, id, actor, kind, None, None, None, reason).await?;
    tx.commit_noting(Some(kind.into())).await?;
    state_of(app, id, &update, now)
}

/// A new meeting as the form and the API send it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// `YYYY-MM-DD`.
    #[schema(required = true)]
    pub date: Option<String>,
    /// Agency codes (`ssp`, `bbu`, …).
    #[serde(default)]
    #[schema(required = true)]
    pub agencies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingSummary {
    pub id: Uuid,
    pub date: String,
    pub agenda_count: i64,
    pub decided_count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingPage {
    pub items: Vec<MeetingSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItemView {
    pub concern_id: Uuid,
    pub position: i64,
    pub case_number: String,
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub recommendation: Option<String>,
    pub acting_agency: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recorded_at: Option<Timestamp>,
    /// The first person named, and how many are named.
    pub first_person: Option<String>,
    pub person_count: i64,
    /// The description's beginning (at most 160 characters).
    pub summary: String,
    pub clock: crate::concern::ClockView,
    /// The triage deadline falls before the meeting's day: the unit meets
    /// too late for this case unless it is decided sooner.
    pub deadline_before_meeting: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingDetail {
    pub id: Uuid,
    pub date: String,
    pub minutes: Option<String>,
    pub agencies: Vec<AgencyView>,
    pub agenda: Vec<AgendaItemView>,
}

/// The longest minutes accepted.
pub const MAX_MINUTES: usize = 20_000;
/// The longest recommendation accepted.
pub const MAX_RECOMMENDATION: usize = 4_000;

/// Plans a meeting of the coordination unit.
pub async fn create_meeting(app: &App, actor: &Actor, input: &MeetingInput) -> Result<Uuid> {
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::MeetingCreate,
            &Resource::None,
            meeting_record(id),
        )
        .await?;
    let mut errs = FieldErrors::new();
    let date: Option<Date> = vink_domain::validation::date_field(
        &mut errs,
        "date",
        input.date.as_deref(),
        vink_domain::validation::DateRule::default(),
        true,
    );
    let mut agency_ids = Vec::new();
    for code in &input.agencies {
        match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) if !agency_ids.contains(&a.id) => agency_ids.push(a.id),
            Some(_) => {}
            None => errs.add(
                "agencies",
                "unknown_code",
                format!("unknown agency {code:?}"),
            ),
        }
    }
    if input.agencies.is_empty() {
        errs.add(
            "agencies",
            "required",
            "at least one attending agency is required",
        );
    }
    let date = errs
        .finish(date)?
        .ok_or_else(|| AppError::Internal("date".into()))?;
    let created_at = micros(tx.at());
    store::insert_meeting(
        &mut tx,
        &MeetingRow {
            id,
            meeting_date: date.to_string(),
            minutes: None,
            created_at,
            created_by: actor.user_id(),
        },
        &agency_ids,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Lists the meetings the actor may see, newest first. Dates and counts only.
pub async fn list_meetings(
    app: &App,
    actor: &Actor,
    page: i64,
    per_page: i64,
) -> Result<MeetingPage> {
    let mut errs = vink_domain::validation::FieldErrors::new();
    let window =
        vink_domain::validation::page_window(&mut errs, Some(page), Some(per_page), 25, false);
    errs.finish(())?;
    app.require(actor, Action::MeetingList, None).await?;
    let mut tx = app.db.begin_read().await?;
    let (rows, total) = store::list_meetings(
        &mut tx,
        meeting_scope(actor),
        window.per_page,
        window.offset(),
    )
    .await?;
    tx.commit().await?;
    Ok(MeetingPage {
        items: rows
            .into_iter()
            .map(|r| MeetingSummary {
                id: r.id,
                date: r.meeting_date,
                agenda_count: r.agenda_count,
                decided_count: r.decided_count,
            })
            .collect(),
        total,
        page: window.page,
        per_page: window.per_page,
    })
}

/// Loads a meeting and asks the policy, judging a missing meeting as one with no
/// attendance so refusals reveal nothing. `record` is what the audit row names.
async fn load_meeting(
    app: &App,
    mut tx: Tx,
    actor: &Actor,
    action: Action,
    id: Uuid,
    record: Option<vink_domain::policy::RecordRef>,
    read: bool,
) -> Result<(Authorized, MeetingRow)> {
    let attending = store::attending(&mut tx, id).await?;
    let resource = Resource::Meeting {
        attending: &attending,
    };
    let mut auth = if read {
        app.authorize_read(tx, actor, action, &resource, record)
            .await?
    } else {
        app.authorize(tx, actor, action, &resource, record).await?
    };
    match store::meeting(&mut auth, id).await? {
        Some(row) => Ok((auth, row)),
        None => Err(AppError::NotFound),
    }
}

/// Reads a meeting with its attendance and agenda.
pub async fn get_meeting(app: &App, actor: &Actor, id: Uuid) -> Result<MeetingDetail> {
    let tx = app.db.begin_read().await?;
    let (mut tx, row) = load_meeting(
        app,
        tx,
        actor,
        Action::MeetingRead,
        id,
        meeting_record(id),
        true,
    )
    .await?;
    let agencies = store::agencies_of_meeting(&mut tx, id)
        .await?
        .into_iter()
        .map(|a| AgencyView {
            id: a.id,
            code: a.code,
            name: a.name,
        })
        .collect();
    let now = tx.at();
    let meeting_day: Option<jiff::civil::Date> = row.meeting_date.parse().ok();
    let rows = store::agenda(&mut tx, id).await?;
    // The agenda shows each concern's person and summary: each is audited as
    // shown, so the per-person access report finds this read.
    for a in &rows {
        tx.also_shows(vink_domain::policy::RecordRef::concern(a.concern_id));
    }
    let agenda = rows
        .into_iter()
        .map(|a| {
            let clock = crate::concern::clock_of(a.triage_deadline_at, a.paused_at, a.decided_at)?;
            let view = crate::concern::ClockView::of(&clock, now, app.config.due_soon);
            let deadline_day = vink_domain::concern::local_date(clock.deadline);
            let deadline_before_meeting = a.decided_at.is_none()
                && a.paused_at.is_none()
                && meeting_day.is_some_and(|d| deadline_day < d);
            let summary: String = a.description.chars().take(160).collect();
            let summary = if a.description.chars().count() > 160 {
                format!("{summary}…")
            } else {
                summary
            };
            Ok(AgendaItemView {
                first_person: a.first_person,
                person_count: a.person_count,
                summary,
                clock: view,
                deadline_before_meeting,
                concern_id: a.concern_id,
                position: a.position,
                case_number: a.case_number,
                status: a.status,
                decision: a.decision,
                programme_kind: a.programme_kind,
                recommendation: a.recommendation,
                acting_agency: a.acting_agency_name,
                recorded_at: a.recorded_at.map(instant).transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(MeetingDetail {
        id,
        date: row.meeting_date,
        minutes: row.minutes,
        agencies,
        agenda,
    })
}

/// Puts a concern on a meeting's agenda. A concern in screening moves to
/// `before_unit`, recorded in its timeline like any transition.
pub async fn add_to_agenda(
    app: &App,
    actor: &Actor,
    meeting_id: Uuid,
    concern_id: Uuid,
) -> Result<()> {
    // One decision, one audit row: about the concern put on the agenda.
    let (mut tx, row) = load_for_change(app, actor, Action::AgendaAdd, concern_id).await?;
    if !tx.lock(Locked::Meeting(meeting_id)).await? {
        return Err(AppError::NotFound);
    }
    let meeting = store::meeting(&mut tx, meeting_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = stored_status(&row)?;
    if status == Status::Decided {
        return Err(AppError::Conflict("the concern is already decided".into()));
    }
    if !store::add_agenda_item(&mut tx, meeting_id, concern_id).await? {
        return Err(AppError::Conflict(
            "the concern is already on this agenda".into(),
        ));
    }
    // The meeting's day as data (`2026-12-01`); pages say it in their language.
    let note = Some(meeting.meeting_date.clone());
    event(
        &mut tx,
        concern_id,
        actor,
        "agenda_added",
        None,
        None,
        None,
        note.clone(),
    )
    .await?;
    if status == Status::Screening {
        let req = TransitionRequest {
            to: Status::BeforeUnit,
            decision: None,
            programme_kind: None,
            reason: note.clone(),
        };
        check_transition(status, &req).map_err(|e: TriageError| AppError::from(e))?;
        let update = TriageUpdate {
            status: Status::BeforeUnit.code().into(),
            decision: None,
            programme_kind: None,
            triage_deadline_at: row.triage_deadline_at,
            paused_at: row.paused_at,
            decided_at: None,
        };
        store::update_triage(&mut tx, concern_id, &update).await?;
        event(
            &mut tx,
            concern_id,
            actor,
            "transition",
            Some(status),
            Some(Status::BeforeUnit),
            None,
            note,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The unit's recommendation on one agenda item.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationInput {
    #[schema(required = true)]
    pub recommendation: Option<String>,
    /// Code of the agency that acts (`ssp`, `bbu`, …), if any.
    pub acting_agency: Option<String>,
}

/// Records what the unit recommends for a concern on the agenda, and who acts.
pub async fn record_recommendation(
    app: &App,
    actor: &Actor,
    meeting_id: Uuid,
    concern_id: Uuid,
    input: &RecommendationInput,
) -> Result<()> {
    let mut tx = app.db.begin().await?;
    // Serialise with every other change of the concern (transitions, agenda).
    tx.lock(Locked::Concern(concern_id)).await?;
    let (mut tx, _meeting) = load_meeting(
        app,
        tx,
        actor,
        Action::RecommendationRecord,
        meeting_id,
        concern_record(concern_id),
        false,
    )
    .await?;
    let mut errs = FieldErrors::new();
    let text = required_text(
        &mut errs,
        "recommendation",
        input.recommendation.as_deref(),
        MAX_RECOMMENDATION,
    );
    let acting = match input
        .acting_agency
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) => Some(a.id),
            None => {
                errs.add(
                    "acting_agency",
                    "unknown_code",
                    format!("unknown agency {code:?}"),
                );
                None
            }
        },
    };
    let text = errs
        .finish(text)?
        .ok_or_else(|| AppError::Internal("recommendation".into()))?;
    let now = micros(tx.at());
    if !store::set_recommendation(
        &mut tx,
        meeting_id,
        concern_id,
        &text,
        acting,
        now,
        actor.user_id(),
    )
    .await?
    {
        return match store::agenda_item_state(&mut tx, meeting_id, concern_id).await? {
            Some(true) => Err(AppError::Conflict(
                "the unit's recommendation on this item is already recorded".into(),
            )),
            _ => Err(AppError::NotFound),
        };
    }
    event(
        &mut tx,
        concern_id,
        actor,
        "recommendation",
        None,
        None,
        None,
        Some(text),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Minutes of a meeting.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesInput {
    pub minutes: Option<String>,
}

/// Records (or replaces) the minutes of a meeting.
pub async fn set_minutes(
    app: &App,
    actor: &Actor,
    meeting_id: Uuid,
    input: &MinutesInput,
) -> Result<()> {
    let mut tx = app.db.begin().await?;
    tx.lock(Locked::Meeting(meeting_id)).await?;
    let (mut tx, _row) = load_meeting(
        app,
        tx,
        actor,
        Action::MeetingUpdate,
        meeting_id,
        meeting_record(meeting_id),
        false,
    )
    .await?;
    let mut errs = FieldErrors::new();
    let minutes = optional_text(&mut errs, "minutes", input.minutes.as_deref(), MAX_MINUTES);
    errs.finish(())?;
    store::set_minutes(&mut tx, meeting_id, minutes.as_deref()).await?;
    tx.commit().await?;
    Ok(())
}
