//! Concern intake, reading and listing.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::concern::{
    ConcernDraft, NewConcern, PersonDraft, ReporterDraft, case_number, local_date,
};
use vink_domain::person::{Birth, match_key, minor_status};
use vink_domain::policy::{Action, Resource, concern_scope};
use vink_domain::triage::{ClockState, Status, TriageClock, next_statuses};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;
use vink_store::concern::{self as store, ConcernFilter, ConcernRow, DueFilter, EventRow};
use vink_store::{Authorized, Locked};
use vink_store::{Tx, instant, micros, person};

use crate::{App, AppError, Result, concern_record};

/// How a concern's triage clock looks to a reader.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    /// `running`, `paused` or `stopped`.
    pub state: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub deadline: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    /// Minutes left (negative: overdue); frozen while paused; the margin once stopped.
    pub minutes_left: i64,
    pub overdue: bool,
    pub due_soon: bool,
}

impl ClockView {
    pub(crate) fn of(clock: &TriageClock, now: Timestamp, soon: SignedDuration) -> Self {
        let state = match clock.state(now) {
            ClockState::Running(_) => "running",
            ClockState::Paused(_) => "paused",
            ClockState::Stopped(_) => "stopped",
        };
        ClockView {
            state,
            deadline: clock.deadline,
            paused_at: clock.paused_at,
            stopped_at: clock.stopped_at,
            minutes_left: clock.time_left(now).as_mins(),
            overdue: clock.is_overdue(now),
            due_soon: clock.is_due_within(now, soon),
        }
    }
}

/// Rebuilds the clock from its stored instants.
pub(crate) fn clock_of(
    deadline: i64,
    paused_at: Option<i64>,
    decided_at: Option<i64>,
) -> Result<TriageClock> {
    Ok(TriageClock {
        deadline: instant(deadline)?,
        paused_at: paused_at.map(instant).transpose()?,
        stopped_at: decided_at.map(instant).transpose()?,
    })
}

/// One line of the concern list: no description and no reporter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConcernSummary {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    pub status: String,
    pub decision: Option<String>,
    pub immediate_danger: bool,
    pub clock: ClockView,
    /// Name of the first person of concern, if known.
    pub first_person: Option<String>,
    pub person_count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConcernPage {
    pub items: Vec<ConcernSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// Where the next page starts, when there may be one (pass as `cursor`).
    pub next_cursor: Option<String>,
    /// Where the previous page ends, when there is one (pass as `before`).
    pub prev_cursor: Option<String>,
    /// `total` is a lower bound: a unit member's decided history is counted
    /// only up to a cap (walk on with the cursor).
    pub total_capped: bool,
}

/// The list's filters as the user gives them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One of the triage statuses.
    pub status: Option<String>,
    /// `overdue`, `due_soon` (due within 12 hours) or `paused`.
    pub due: Option<String>,
    /// `true`: only open concerns flagged as immediate danger.
    pub danger: Option<bool>,
    /// `deadline` (the default: open concerns by time left, then decided
    /// ones newest first) or `received` (newest first; no deadline filter).
    /// Each order has its own cursors.
    pub sort: Option<String>,
    /// Only this channel (`hotline`, `email`, `web`, `national_hotline`, …).
    pub channel: Option<String>,
    /// Received on or after this day (`dd.mm.åååå` or `åååå-mm-dd`).
    pub received_from: Option<String>,
    /// Received on or before this day.
    pub received_to: Option<String>,
    /// Page number from 1. A page by number starts within the first 10 000
    /// rows (page 400 at 25 a page); deeper, walk on by `cursor`.
    pub page: Option<i64>,
    /// Items per page, at most 100 (default 25).
    pub per_page: Option<i64>,
    /// Continue after the previous page (its `next_cursor`); any depth at the
    /// same cost. `page` is then only the caller's count, echoed back.
    pub cursor: Option<String>,
    /// The page just before this place (the previous page's `prev_cursor`),
    /// any depth at the same cost. Not together with `cursor`.
    pub before: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterView {
    pub kind: String,
    pub organisation: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
}

/// Another person record with the same name and birth date: a suggestion to
/// link, which only a person may accept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchView {
    pub person_id: Uuid,
    pub concern_count: i64,
    pub case_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    pub id: Uuid,
    pub name: Option<String>,
    /// `YYYY` or `YYYY-MM-DD`, absent when unknown.
    pub birth: Option<String>,
    pub district: Option<String>,
    /// `minor`, `adult`, `possibly` or `unknown`: age on the day the concern was received.
    pub minor: &'static str,
    pub matches: Vec<MatchView>,
    /// The course started for this person from this concern, if any (one
    /// concern may name several persons, each with a course of their own).
    pub course_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    /// Display name of the staff member, absent for the public form and the system.
    pub actor: Option<String>,
}

/// A meeting as a concern refers to it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingRef {
    pub id: Uuid,
    /// `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConcernDetail {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    pub reporter: ReporterView,
    pub description: String,
    pub immediate_danger: bool,
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub clock: ClockView,
    pub persons: Vec<PersonView>,
    /// The statuses the concern may move to next.
    pub next_statuses: Vec<String>,
    pub timeline: Vec<EventView>,
    /// The coordination unit's meetings that have the concern on the agenda.
    pub meetings: Vec<MeetingRef>,
}

/// What the creator learns: the new id and the human case number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
    pub case_number: String,
}

/// The public form's fields: flat, all text, so the form can be re-shown as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublicReport {
    pub description: Option<String>,
    pub reporter_kind: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_contact: Option<String>,
    pub reporter_organisation: Option<String>,
    pub person_name: Option<String>,
    pub person_birth: Option<String>,
    pub person_district: Option<String>,
    #[serde(default)]
    pub immediate_danger: Option<String>,
}

impl PublicReport {
    /// The report as a concern draft: channel `web`, received now, anonymous
    /// unless the reporter says otherwise.
    pub fn to_draft(&self) -> ConcernDraft {
        let kind = self
            .reporter_kind
            .clone()
            .filter(|k| !k.trim().is_empty())
            .unwrap_or_else(|| "anonymous".into());
        ConcernDraft {
            channel: Some("web".into()),
            received_at: None,
            reporter: ReporterDraft {
                kind: Some(kind),
                organisation: self.reporter_organisation.clone(),
                name: self.reporter_name.clone(),
                contact: self.reporter_contact.clone(),
            },
            persons: vec![PersonDraft {
                person_id: None,
                name: self.person_name.clone(),
                birth: self.person_birth.clone(),
                district: self.person_district.clone(),
            }],
            description: self.description.clone(),
            immediate_danger: self
                .immediate_danger
                .as_deref()
                .is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Registers a concern from the staff form or the API.
pub async fn create(app: &App, actor: &Actor, draft: &ConcernDraft) -> Result<Created> {
    let id = vink_domain::new_id();
    // Access first: a role that may not register learns nothing from validation.
    app.require(actor, Action::ConcernCreate, None).await?;
    let new = draft.validate(app.now())?;
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::ConcernCreate,
            &Resource::None,
            concern_record(id),
        )
        .await?;
    let created = insert_new(app, &mut tx, id, &new, None).await?;
    tx.commit().await?;
    Ok(created)
}

/// Registers a report from the public form and returns its receipt number. The
/// report is committed before this returns; nothing can be read back with the receipt.
pub async fn report(app: &App, report: &PublicReport, client: &str) -> Result<String> {
    let actor = Actor::public().from_client(client.parse().ok());
    let now = app.now();
    let new = report.to_draft().validate(now)?;
    // Check and count in one step, so a parallel burst cannot slip through.
    let key = format!("report:{client}");
    if !app.report_limiter.try_hit(&key, now) {
        app.deny_row(&actor, Action::ConcernReport, None, "rate_limited")
            .await?;
        return Err(AppError::RateLimited);
    }
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            &actor,
            Action::ConcernReport,
            &Resource::None,
            concern_record(id),
        )
        .await?;
    let receipt = receipt_number()?;
    insert_new(app, &mut tx, id, &new, Some(receipt.clone())).await?;
    tx.commit().await?;
    Ok(receipt)
}

/// A receipt the reporter can quote on the phone: `R-` and 8 characters from an
/// alphabet without look-alikes (about 40 bits).
fn receipt_number() -> Result<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("R-{}-{}", &chars[..4], &chars[4..]))
}

/// Writes a validated concern, its persons and its first timeline event.
async fn insert_new(
    app: &App,
    tx: &mut Authorized,
    id: Uuid,
    new: &NewConcern,
    receipt: Option<String>,
) -> Result<Created> {
    let now = tx.at();
    let actor = tx.grant().actor().clone();
    let actor = &actor;
    let year = local_date(new.received_at).year();
    let seq = store::next_counter(tx, &format!("case:{year}")).await?;
    let clock = TriageClock::start(new.received_at, app.triage_allowance());
    let row = ConcernRow {
        id,
        case_number: case_number(year, seq),
        receipt,
        channel: new.channel.code().into(),
        received_at: micros(new.received_at),
        reporter_kind: new.reporter.kind.code().into(),
        reporter_organisation: new.reporter.organisation.clone(),
        reporter_name: new.reporter.name.clone(),
        reporter_contact: new.reporter.contact.clone(),
        description: new.description.clone(),
        immediate_danger: new.immediate_danger,
        status: Status::Received.code().into(),
        decision: None,
        programme_kind: None,
        triage_deadline_at: micros(clock.deadline),
        paused_at: None,
        decided_at: None,
        created_at: micros(now),
        created_by: actor.user_id(),
    };
    let mut errs = FieldErrors::new();
    // The persons first, then the concern with them (its list row's summary
    // is written from the same list as the links).
    let mut linked = Vec::with_capacity(new.persons.len());
    for (i, p) in new.persons.iter().enumerate() {
        let person_id = match p.existing {
            Some(pid) if new.persons[..i].iter().any(|q| q.existing == Some(pid)) => {
                errs.add(
                    format!("persons[{i}].person_id"),
                    "duplicate_person",
                    "the same person is named twice",
                );
                continue;
            }
            Some(pid) => {
                if !person::person_exists(tx, pid).await? {
                    errs.add(
                        format!("persons[{i}].person_id"),
                        "unknown",
                        "no such person",
                    );
                    continue;
                }
                pid
            }
            None => {
                let pid = vink_domain::new_id();
                person::insert_person(
                    tx,
                    &person::PersonRow {
                        id: pid,
                        name: p.name.clone(),
                        birth: p.birth.to_storage(),
                        district: p.district.clone(),
                        match_key: match_key(p.name.as_deref(), p.birth),
                        created_at: micros(now),
                    },
                )
                .await?;
                pid
            }
        };
        linked.push(person_id);
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    store::insert_concern(tx, &row, &linked).await?;
    vink_store::fact::append(
        tx,
        &[vink_domain::fact::Fact::concern_received(local_date(
            new.received_at,
        ))],
    )
    .await?;
    event(
        tx,
        id,
        actor,
        "received",
        None,
        Some(Status::Received),
        None,
        None,
    )
    .await?;
    Ok(Created {
        id,
        case_number: row.case_number,
    })
}

/// Appends one timeline event.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn event(
    tx: &mut Authorized,
    concern_id: Uuid,
    actor: &Actor,
    kind: &str,
    from: Option<Status>,
    to: Option<Status>,
    decision: Option<String>,
    reason: Option<String>,
) -> Result<()> {
    store::insert_event(
        tx,
        &EventRow {
            id: vink_domain::new_id(),
            concern_id,
            at: micros(tx.at()),
            actor_id: actor.user_id(),
            kind: kind.into(),
            from_status: from.map(|s| s.code().into()),
            to_status: to.map(|s| s.code().into()),
            decision,
            reason,
        },
    )
    .await?;
    Ok(())
}

/// Loads a concern for a change and asks the policy about it. The row is
/// locked first, so of concurrent conflicting changes exactly one sees the old
/// state. A concern that does not exist is judged as one on nobody's agenda,
/// so a refusal never reveals whether an id exists; only those allowed learn
/// "not found".
pub(crate) async fn load_for_change(
    app: &App,
    actor: &Actor,
    action: Action,
    id: Uuid,
) -> Result<(Authorized, ConcernRow)> {
    let mut tx = app.db.begin().await?;
    let exists = tx.lock(Locked::Concern(id)).await?;
    let (auth, row, _) = authorize_concern(app, tx, actor, action, id, exists, false).await?;
    Ok((auth, row))
}

/// Loads a concern for reading, with the meetings whose agendas hold it and
/// the agencies attending them (read once, in one statement: the policy
/// decided by the agencies, the detail shows the meetings). A planned read
/// (`Db::begin_read_planned`): every statement of the detail looks up by
/// key, so one plan serves every value, and on PostgreSQL the read sends no
/// `BEGIN` and no `COMMIT`. Under read committed each statement took its
/// own snapshot inside a transaction too; SQLite keeps its one snapshot.
async fn load_for_read(
    app: &App,
    actor: &Actor,
    id: Uuid,
) -> Result<(Authorized, ConcernRow, store::Agendas)> {
    let tx = app.db.begin_read_planned().await?;
    authorize_concern(app, tx, actor, Action::ConcernRead, id, true, true).await
}

async fn authorize_concern(
    app: &App,
    mut tx: Tx,
    actor: &Actor,
    action: Action,
    id: Uuid,
    maybe_exists: bool,
    read: bool,
) -> Result<(Authorized, ConcernRow, store::Agendas)> {
    let agendas = if maybe_exists {
        store::agendas(&mut tx, id).await?
    } else {
        store::Agendas::default()
    };
    let resource = Resource::Concern {
        agenda_agencies: &agendas.agencies,
    };
    let mut auth = if read {
        app.authorize_read(tx, actor, action, &resource, concern_record(id))
            .await?
    } else {
        app.authorize(tx, actor, action, &resource, concern_record(id))
            .await?
    };
    match store::concern(&mut auth, id).await? {
        Some(row) => Ok((auth, row, agendas)),
        None => Err(AppError::NotFound),
    }
}

/// Reads one concern with its persons, match suggestions and timeline.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<ConcernDetail> {
    let (mut tx, row, agendas) = load_for_read(app, actor, id).await?;
    let now = tx.at();
    let received_on = local_date(instant(row.received_at)?);
    // Suggestions only for those who may act on them (link persons), and only
    // naming concerns within the reader's own scope.
    let may_link = vink_domain::policy::decide(
        actor,
        Action::ConcernLinkPerson,
        &Resource::Concern {
            agenda_agencies: &agendas.agencies,
        },
    )
    .is_allowed();
    let mut persons = Vec::new();
    for p in person::persons_of_concern(&mut tx, id).await? {
        let matches = match (&p.match_key, may_link) {
            (Some(key), true) => person::match_candidates(&mut tx, key, p.id, concern_scope(actor))
                .await?
                .into_iter()
                .map(|m| MatchView {
                    person_id: m.id,
                    concern_count: m.concern_count,
                    case_number: m.first_case_number,
                })
                .collect(),
            _ => Vec::new(),
        };
        let birth = Birth::from_storage(p.birth.as_deref());
        persons.push(PersonView {
            id: p.id,
            name: p.name,
            birth: p.birth,
            district: p.district,
            minor: minor_status(birth, received_on).code(),
            matches,
            course_id: p.course_id,
        });
    }
    let timeline = store::timeline(&mut tx, id)
        .await?
        .into_iter()
        .map(|e| {
            Ok(EventView {
                at: instant(e.at)?,
                kind: e.kind,
                from_status: e.from_status,
                to_status: e.to_status,
                decision: e.decision,
                reason: e.reason,
                actor: e.actor_name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let status = Status::parse(&row.status)
        .ok_or_else(|| AppError::Internal(format!("unknown stored status {}", row.status)))?;
    let clock = clock_of(row.triage_deadline_at, row.paused_at, row.decided_at)?;
    let meetings = agendas
        .meetings
        .into_iter()
        .map(|(id, date)| MeetingRef { id, date })
        .collect();
    let detail = ConcernDetail {
        meetings,
        id,
        case_number: row.case_number,
        channel: row.channel,
        received_at: instant(row.received_at)?,
        reporter: ReporterView {
            kind: row.reporter_kind,
            organisation: row.reporter_organisation,
            name: row.reporter_name,
            contact: row.reporter_contact,
        },
        description: row.description,
        immediate_danger: row.immediate_danger,
        status: row.status,
        decision: row.decision,
        programme_kind: row.programme_kind,
        clock: ClockView::of(&clock, now, app.config.due_soon),
        persons,
        next_statuses: next_statuses(status)
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        timeline,
    };
    tx.commit().await?;
    Ok(detail)
}

/// A place in the list, in the order asked for.
enum Place {
    Deadline(store::ListCursor),
    Received(store::ReceivedCursor),
}

/// Lists the concerns the actor may read, filtered in SQL by the policy's scope.
pub async fn list(app: &App, actor: &Actor, q: &ListQuery) -> Result<ConcernPage> {
    let mut errs = FieldErrors::new();
    let status = crate::parse_code(
        &mut errs,
        "status",
        q.status.as_deref(),
        Status::parse,
        Status::codes,
        false,
    )
    .map(|s| s.code().to_string());
    let due = match q.due.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("overdue") => Some(DueFilter::Overdue),
        Some("due_soon") => Some(DueFilter::DueSoon),
        Some("paused") => Some(DueFilter::Paused),
        Some(_) => {
            errs.add(
                "due",
                "unknown_code",
                "must be one of overdue, due_soon, paused",
            );
            None
        }
    };
    let channel = crate::parse_code(
        &mut errs,
        "channel",
        q.channel.as_deref(),
        vink_domain::concern::Channel::parse,
        vink_domain::concern::Channel::codes,
        false,
    )
    .map(|c| c.code().to_string());
    let rule = vink_domain::validation::DateRule::default();
    let from_day = vink_domain::validation::date_field(
        &mut errs,
        "received_from",
        q.received_from.as_deref(),
        rule,
        false,
    );
    let to_day = vink_domain::validation::date_field(
        &mut errs,
        "received_to",
        q.received_to.as_deref(),
        rule,
        false,
    );
    let by_receipt = match q.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("deadline") => false,
        Some("received") => {
            if due.is_some() {
                errs.add("due", "conflict", "a deadline filter lists by deadline");
            }
            true
        }
        Some(_) => {
            errs.add("sort", "unknown_code", "must be deadline or received");
            false
        }
    };
    // Each order has its own cursors: one from the other order is not a
    // place in this one.
    let mut place = |field: &str, raw: Option<&str>| -> Option<Place> {
        let c = raw.map(str::trim).filter(|c| !c.is_empty())?;
        let place = if by_receipt {
            store::ReceivedCursor::decode(c).map(Place::Received)
        } else {
            store::ListCursor::decode(c).map(Place::Deadline)
        };
        if place.is_none() {
            errs.add(field, "invalid", "not a cursor from this list");
        }
        place
    };
    let after = place("cursor", q.cursor.as_deref());
    let before = place("before", q.before.as_deref());
    if after.is_some() && before.is_some() {
        errs.add("before", "conflict", "give either cursor or before");
    }
    let by_cursor = [&q.cursor, &q.before]
        .iter()
        .any(|c| c.as_deref().is_some_and(|c| !c.trim().is_empty()));
    let window = vink_domain::validation::page_window(&mut errs, q.page, q.per_page, 25, by_cursor);
    errs.finish(())?;
    // The counts and the open concerns plan once; a page of decided ones
    // (or by receipt) is planned for its LIMIT (`query_plan::custom_plans`),
    // by receipt from the BEGIN on.
    let tx = if by_receipt {
        app.db.begin_read_custom().await?
    } else {
        app.db.begin_read_planned().await?
    };
    let mut tx = app
        .authorize_read(tx, actor, Action::ConcernList, &Resource::None, None)
        .await?;
    let now = tx.at();
    let day_start = |d: jiff::civil::Date| {
        d.to_datetime(jiff::civil::Time::midnight())
            .to_zoned_datetime(vink_domain::concern::local_tz())
            .map(|z| micros(z.timestamp()))
            .map_err(|e| AppError::Internal(format!("date: {e}")))
    };
    let received_from = from_day.map(day_start).transpose()?;
    let received_to = match to_day {
        Some(d) => Some(day_start(
            d.tomorrow()
                .map_err(|e| AppError::Internal(format!("date: {e}")))?,
        )?),
        None => None,
    };
    let filter = ConcernFilter {
        danger: q.danger == Some(true),
        channel,
        received_from,
        received_to,
        status,
        due,
        now: micros(now),
        soon_until: micros(now + app.config.due_soon),
        limit: window.per_page,
        offset: window.offset(),
        after: None,
        before: None,
        planned_for_values: app.db.backend() == vink_store::Backend::Postgres,
    };
    let listed = match (after, before) {
        (Some(Place::Received(c)), _) => {
            let at = store::ReceivedAt::After(c);
            store::list_by_received(&mut tx, concern_scope(actor), &filter, &at)
                .await?
                .encoded()
        }
        (_, Some(Place::Received(c))) => {
            let at = store::ReceivedAt::Before(c);
            store::list_by_received(&mut tx, concern_scope(actor), &filter, &at)
                .await?
                .encoded()
        }
        _ if by_receipt => store::list_by_received(
            &mut tx,
            concern_scope(actor),
            &filter,
            &store::ReceivedAt::Offset,
        )
        .await?
        .encoded(),
        (after, before) => {
            let deadline = |p: Option<Place>| match p {
                Some(Place::Deadline(c)) => Some(c),
                _ => None,
            };
            let filter = ConcernFilter {
                after: deadline(after),
                before: deadline(before),
                ..filter
            };
            store::list_concerns(&mut tx, concern_scope(actor), &filter)
                .await?
                .encoded()
        }
    };
    let total = listed.total;
    let total_capped = listed.total_capped;
    let (next_cursor, prev_cursor) = (listed.next, listed.prev);
    let items = listed
        .rows
        .into_iter()
        .map(|r| summary(app, r, now))
        .collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(ConcernPage {
        items,
        total,
        page: window.page,
        per_page: window.per_page,
        next_cursor,
        prev_cursor,
        total_capped,
    })
}

/// A list row as the list and the dashboard show it, its clock read at `now`.
fn summary(app: &App, r: store::ConcernListRow, now: Timestamp) -> Result<ConcernSummary> {
    let clock = clock_of(r.triage_deadline_at, r.paused_at, r.decided_at)?;
    Ok(ConcernSummary {
        id: r.id,
        case_number: r.case_number,
        channel: r.channel,
        received_at: instant(r.received_at)?,
        status: r.status,
        decision: r.decision,
        immediate_danger: r.immediate_danger,
        clock: ClockView::of(&clock, now, app.config.due_soon),
        first_person: r.first_person,
        person_count: r.person_count,
    })
}

/// The secretariat's and the unit's start page: the counts, and the cases
/// needing action now (immediate danger, overdue, due soon; ten of each at
/// most, most urgent kind first, each case once).
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub counts: store::TriageCounts,
    pub urgent: Vec<ConcernSummary>,
}

/// How many cases of each urgent kind the dashboard lists.
const URGENT_PER_KIND: i64 = 10;

/// The dashboard in one read: the counts (no personal data) and the urgent
/// lists (they name persons), under one `concern.list` grant and so one
/// audit row, in one transaction: a page everyone opens all day costs one
/// snapshot and one row, not four transactions and three rows.
pub async fn dashboard(app: &App, actor: &Actor) -> Result<Dashboard> {
    app.require(actor, Action::DashboardRead, None).await?;
    let tx = app.db.begin_read_planned().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::ConcernList, &Resource::None, None)
        .await?;
    let now = tx.at();
    let soon_until = micros(now + app.config.due_soon);
    let filters: Vec<ConcernFilter> = [
        (true, None),
        (false, Some(DueFilter::Overdue)),
        (false, Some(DueFilter::DueSoon)),
    ]
    .into_iter()
    .map(|(danger, due)| ConcernFilter {
        danger,
        channel: None,
        received_from: None,
        received_to: None,
        status: None,
        due,
        now: micros(now),
        soon_until,
        limit: URGENT_PER_KIND,
        offset: 0,
        after: None,
        before: None,
        planned_for_values: false,
    })
    .collect();
    let (counts, each) = store::dashboard(
        &mut tx,
        concern_scope(actor),
        &filters,
        micros(now),
        soon_until,
    )
    .await?;
    let mut urgent: Vec<ConcernSummary> = Vec::new();
    for listed in each {
        for r in listed {
            if !urgent.iter().any(|u| u.id == r.id) {
                urgent.push(summary(app, r, now)?);
            }
        }
    }
    tx.commit().await?;
    Ok(Dashboard { counts, urgent })
}

/// Records that a suggested match is not the same human: the suggestion is
/// not shown again for either record. A person's choice, audited on the
/// concern like a link.
pub async fn mark_distinct(
    app: &App,
    actor: &Actor,
    concern_id: Uuid,
    person: Uuid,
    other: Uuid,
) -> Result<()> {
    let (mut tx, _row) = load_for_change(app, actor, Action::ConcernLinkPerson, concern_id).await?;
    if person == other {
        return Err(crate::invalid(
            "other",
            "invalid",
            "a person is always the same as themselves",
        ));
    }
    let on_concern = person::persons_of_concern(&mut tx, concern_id)
        .await?
        .iter()
        .any(|p| p.id == person);
    if !on_concern {
        return Err(AppError::Conflict(
            "the person is not on this concern".into(),
        ));
    }
    if !tx.lock(Locked::Person(other)).await? {
        return Err(crate::invalid("other", "unknown", "no such person"));
    }
    let at = micros(tx.at());
    if !person::mark_distinct(&mut tx, person, other, at, actor.user_id()).await? {
        return Err(AppError::Conflict(
            "already recorded as different people".into(),
        ));
    }
    event(
        &mut tx,
        concern_id,
        actor,
        "persons_distinct",
        None,
        None,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a person on a concern with an existing person record: the one way
/// two records of the same human are joined, and always by a person's choice.
/// The courses of the replaced record move to the kept one in the same
/// transaction (recorded on each course's timeline).
pub async fn link_person(
    app: &App,
    actor: &Actor,
    concern_id: Uuid,
    from: Uuid,
    to: Uuid,
) -> Result<()> {
    let (mut tx, _row) = load_for_change(app, actor, Action::ConcernLinkPerson, concern_id).await?;
    if !tx.lock(Locked::Person(to)).await? {
        return Err(crate::invalid("person_id", "unknown", "no such person"));
    }
    // Courses first: the replaced record is removed once nothing refers to it.
    let moved = if from == to {
        Vec::new()
    } else {
        person::move_courses(&mut tx, from, to).await?
    };
    if from == to || !person::relink(&mut tx, concern_id, from, to).await? {
        return Err(AppError::Conflict(
            "the person is not on this concern".into(),
        ));
    }
    for course_id in &moved {
        vink_store::course::insert_event(
            &mut tx,
            vink_domain::new_id(),
            *course_id,
            micros(app.now()),
            actor.user_id(),
            "person_linked",
            None,
            None,
            None,
        )
        .await?;
    }
    event(
        &mut tx,
        concern_id,
        actor,
        "person_linked",
        None,
        None,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
