//! The national data set: a realistic, fictitious history of many years,
//! written through the store in bulk transactions, for benchmarks and for the
//! query-plan test. Concerns with their persons (some the same person again),
//! triage events, coordination-unit meetings with agendas and recommendations,
//! courses with contacts, assessments and follow-ups, the corps, users of every
//! agency, and an audit log of about `audit_per_concern` rows a concern with a
//! valid hash chain. Deterministic for a seed. Never on a database with data.

use jiff::{SignedDuration, Timestamp, ToSpan};
use uuid::Uuid;
use vink_domain::audit::{AuditFields, Outcome};
use vink_domain::concern::{case_number, local_date};
use vink_domain::person::{Birth, match_key};
use vink_domain::policy::{Action, Resource};
use vink_domain::triage::{Decision, Status};
use vink_domain::user::Actor;
use vink_store::concern::{self as cstore, ConcernRow, EventRow};
use vink_store::course::{self as course_store, AssessmentRow, ContactRow, CourseRow, RatingRow};
use vink_store::triage::{self as tstore, MeetingRow};
use vink_store::{Authorized, micros, organisation, person, user as ustore};

use crate::{App, AppError, Result};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub concerns: usize,
    /// Years of history, ending now.
    pub years: i64,
    pub seed: u64,
    /// Audit rows written per concern (reads, lists, changes), about.
    pub audit_per_concern: usize,
    /// Activities over the whole history (with organisations and a citizen
    /// forum in proportion); 0 for none.
    pub activities: usize,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Generated {
    pub concerns: usize,
    pub persons: usize,
    pub meetings: usize,
    pub courses: usize,
    pub users: usize,
    pub audit_rows: usize,
    pub activities: usize,
    pub organisations: usize,
}

/// The password of every generated user (the data set is fictitious).
pub const PASSWORD: &str = "bench-data-2026";

const AGENCIES: &[&str] = &[
    "vink",
    "ssp",
    "bbu",
    "eki",
    "psp",
    "dks",
    "kriminalforsorgen",
    "jobcenter",
];
const FIRST: &[&str] = &[
    "Ali", "Amina", "Bo", "Clara", "Dennis", "Emma", "Frederik", "Hana", "Ida", "Jonas", "Kasper",
    "Laila", "Mads", "Nora", "Omar", "Sara", "Yusuf", "Zainab",
];
const LAST: &[&str] = &["Fiktiv", "Eksempel", "Prøve", "Testesen", "Opdigtet"];
const DISTRICTS: &[&str] = &[
    "Amager Øst",
    "Bispebjerg",
    "Brønshøj-Husum",
    "Indre By",
    "Nørrebro",
    "Valby",
    "Vanløse",
    "Vesterbro",
    "Østerbro",
];
const BATCH: usize = 500;

/// A small deterministic generator (xorshift); no statistics are drawn from it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i.min(items.len().saturating_sub(1))]
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// The users a history is made by.
struct Staff {
    secretariat: Vec<Uuid>,
    unit: Vec<(Uuid, Uuid)>,
    mentors: Vec<Uuid>,
}

/// Generates the data set; `progress` hears the number of concerns written.
pub async fn generate(
    app: &App,
    plan: &Plan,
    mut progress: impl FnMut(usize),
) -> Result<Generated> {
    if plan.concerns == 0 || !(1..=30).contains(&plan.years) {
        return Err(crate::invalid(
            "concerns",
            "out_of_range",
            "at least one concern over 1 to 30 years",
        ));
    }
    let mut tx = app.db.begin_read().await?;
    let existing = cstore::count_concerns(&mut tx).await?;
    tx.commit().await?;
    if existing > 0 {
        return Err(AppError::Conflict(
            "the database already holds concerns; generate into an empty one".into(),
        ));
    }
    let mut rng = Rng(plan.seed.max(1));
    let mut out = Generated::default();
    let now = app.now();
    let hash = crate::user::hash_password(PASSWORD, 1024).await?;
    let mut tx = begin(app).await?;
    let staff = users(&mut tx, &hash, now, &mut out).await?;
    let members = corps(&mut tx, &staff, &mut rng, now).await?;
    let span = SignedDuration::from_hours(plan.years * 365 * 24);
    let start = now - span;
    let meetings = meetings(&mut tx, &mut rng, start, now, &mut out).await?;
    tx.commit().await?;

    let step = span.as_micros() / i128::try_from(plan.concerns).unwrap_or(1).max(1);
    let mut recent_persons: Vec<Uuid> = Vec::new();
    let mut i = 0usize;
    while i < plan.concerns {
        let mut tx = begin(app).await?;
        let mut audit = Vec::with_capacity(BATCH * plan.audit_per_concern);
        for _ in 0..BATCH.min(plan.concerns - i) {
            let at = i64::try_from(i128::from(micros(start)) + step * i as i128).unwrap_or(0);
            let received = Timestamp::from_microsecond(at).map_err(internal)?;
            let c = concern(
                &mut tx,
                &mut rng,
                received,
                now,
                &staff,
                &meetings,
                &mut recent_persons,
                &mut out,
            )
            .await?;
            if let Some(p) = c.founded_person
                && rng.chance(60)
            {
                course(&mut tx, &mut rng, p, received, now, &members, &mut out).await?;
            }
            history(
                &mut rng,
                &c,
                now,
                &staff,
                plan.audit_per_concern,
                &mut audit,
            );
            i += 1;
        }
        audit.sort_by_key(|f| f.at);
        out.audit_rows += audit.len();
        vink_store::audit::append_history(&app.db, &mut tx, audit).await?;
        tx.commit().await?;
        progress(i);
    }
    out.concerns = i;
    // Activities and organisations, at the pace asked for.
    if plan.activities > 0 {
        let mut tx = begin(app).await?;
        let years = u64::try_from(plan.years).unwrap_or(1).max(1);
        let factor = (plan.activities as u64).div_ceil(76 * years).max(1);
        let scale = crate::demo_activities::Scale {
            years,
            factor,
            organisation_sets: usize::try_from(factor).unwrap_or(1).clamp(1, 50),
        };
        let secretariat = staff.secretariat.first().copied().unwrap_or_default();
        let mut arng = crate::demo::Rng(plan.seed.max(1) ^ 0xA5A5_5A5A);
        let (a, o) = crate::demo_activities::load_scaled(
            &mut tx,
            &mut arng,
            (local_date(now), secretariat),
            scale,
        )
        .await?;
        (out.activities, out.organisations) = (a, o);
        tx.commit().await?;
    }
    // The history is written through the store in bulk: its facts are
    // counted from it once, at the end.
    let mut tx = begin(app).await?;
    vink_store::fact::append_recount(&mut tx).await?;
    tx.commit().await?;
    // Folded as a running server's job would have, before the statistics
    // are taken (else they describe every fact as unfolded).
    vink_store::fact::fold(&app.db).await?;
    // A bulk load leaves PostgreSQL without statistics until autovacuum
    // (which may be off) gets to it; plans chosen blind are not the plans a
    // running unit gets.
    app.db.analyze().await?;
    Ok(out)
}

async fn begin(app: &App) -> Result<Authorized> {
    let tx = app.db.begin().await?;
    app.authorize(
        tx,
        &Actor::system(),
        Action::DemoLoad,
        &Resource::None,
        None,
    )
    .await
}

async fn users(
    tx: &mut Authorized,
    hash: &str,
    now: Timestamp,
    out: &mut Generated,
) -> Result<Staff> {
    let mut staff = Staff {
        secretariat: Vec::new(),
        unit: Vec::new(),
        mentors: Vec::new(),
    };
    let add = async |tx: &mut Authorized, name: String, role: &str, agency: Option<Uuid>| {
        let id = vink_domain::new_id();
        ustore::insert_user(
            tx,
            &ustore::UserRow {
                id,
                username: name.clone(),
                display_name: format!("{name} (genereret)"),
                role: role.into(),
                agency_id: agency,
                password_hash: hash.to_string(),
                active: true,
                created_at: micros(now),
            },
        )
        .await
        .map(|()| id)
    };
    for n in 0..20 {
        staff
            .secretariat
            .push(add(tx, format!("sek.{n}"), "secretariat", None).await?);
    }
    for code in AGENCIES {
        let agency = organisation::agency_by_code(tx, code)
            .await?
            .ok_or_else(|| internal(format!("agency {code} missing")))?;
        for n in 0..5 {
            let id = add(
                tx,
                format!("enhed.{code}.{n}"),
                "coordination_unit",
                Some(agency.id),
            )
            .await?;
            staff.unit.push((id, agency.id));
        }
    }
    for n in 0..60 {
        staff
            .mentors
            .push(add(tx, format!("mentor.{n}"), "mentor", None).await?);
    }
    for (name, role) in [
        ("analytiker.0", "analyst"),
        ("admin.0", "admin"),
        ("revisor.0", "auditor"),
        ("revisor.1", "auditor"),
    ] {
        add(tx, name.into(), role, None).await?;
    }
    out.users = staff.secretariat.len() + staff.unit.len() + staff.mentors.len() + 4;
    Ok(staff)
}

async fn corps(
    tx: &mut Authorized,
    staff: &Staff,
    rng: &mut Rng,
    now: Timestamp,
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    for n in 0..200 {
        let id = vink_domain::new_id();
        vink_store::corps::insert_member(
            tx,
            &vink_store::corps::CorpsMemberRow {
                id,
                user_id: staff.mentors.get(n).copied(),
                name: format!("{} {} (korps)", rng.pick(FIRST), rng.pick(LAST)),
                kind: if n % 4 == 0 { "parent_coach" } else { "mentor" }.into(),
                languages: rng
                    .pick(&["dansk", "dansk,arabisk", "dansk,somali", "dansk,urdu"])
                    .to_string(),
                specialties: rng
                    .pick(&["mentor", "exit", "parent_coaching", "mentor,exit"])
                    .to_string(),
                districts: rng.pick(DISTRICTS).to_lowercase(),
                max_caseload: 3 + i64::try_from(rng.below(4)).unwrap_or(0),
                active: !rng.chance(10),
                created_at: micros(now),
            },
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// A meeting every week over the whole span, with the core agencies and some others.
async fn meetings(
    tx: &mut Authorized,
    rng: &mut Rng,
    start: Timestamp,
    now: Timestamp,
    out: &mut Generated,
) -> Result<Vec<(Uuid, jiff::civil::Date, Vec<Uuid>)>> {
    let mut all = Vec::new();
    let mut ids = Vec::new();
    for code in AGENCIES {
        if let Some(a) = organisation::agency_by_code(tx, code).await? {
            ids.push(a.id);
        }
    }
    let mut date = local_date(start);
    let end = local_date(now).checked_add(14.days()).map_err(internal)?;
    while date <= end {
        let agencies: Vec<Uuid> = ids
            .iter()
            .enumerate()
            .filter(|(k, _)| *k < 4 || rng.chance(50))
            .map(|(_, a)| *a)
            .collect();
        let id = vink_domain::new_id();
        tstore::insert_meeting(
            tx,
            &MeetingRow {
                id,
                meeting_date: date.to_string(),
                minutes: None,
                created_at: micros(start),
                created_by: None,
            },
            &agencies,
        )
        .await?;
        all.push((id, date, agencies));
        date = date.checked_add(7.days()).map_err(internal)?;
    }
    out.meetings = all.len();
    Ok(all)
}

/// One concern as the history needs it.
struct Made {
    id: Uuid,
    received: Timestamp,
    decided: Option<Timestamp>,
    meeting: Option<(Uuid, Vec<Uuid>)>,
    founded_person: Option<Uuid>,
}

#[allow(clippy::too_many_arguments)]
async fn concern(
    tx: &mut Authorized,
    rng: &mut Rng,
    received: Timestamp,
    now: Timestamp,
    staff: &Staff,
    meetings: &[(Uuid, jiff::civil::Date, Vec<Uuid>)],
    recent: &mut Vec<Uuid>,
    out: &mut Generated,
) -> Result<Made> {
    let id = vink_domain::new_id();
    let year = local_date(received).year();
    let seq = cstore::next_counter(tx, &format!("case:{year}")).await?;
    let deadline = received + SignedDuration::from_hours(48);
    let age = now.duration_since(received);
    // Open only in the last days; a few of those paused.
    let open = age < SignedDuration::from_hours(24 * 5);
    let decision = if open {
        None
    } else {
        Some(*rng.pick(&[
            Decision::Unfounded,
            Decision::Unfounded,
            Decision::AdviceOnly,
            Decision::AdviceOnly,
            Decision::FoundedOtherAuthority,
            Decision::FoundedLocalAction,
            Decision::HandedToPolice,
        ]))
    };
    let decided = decision.map(|_| {
        received + SignedDuration::from_hours(2 + i64::try_from(rng.below(70)).unwrap_or(0))
    });
    let paused = (open && rng.chance(10)).then(|| received + SignedDuration::from_hours(6));
    let status = match (decision, open) {
        (Some(_), _) => Status::Decided,
        (None, _) => *rng.pick(&[Status::Received, Status::Screening, Status::BeforeUnit]),
    };
    let by = *rng.pick(&staff.secretariat);
    let row = ConcernRow {
        id,
        case_number: case_number(year, seq),
        receipt: None,
        channel: rng
            .pick(&[
                "hotline",
                "email",
                "web",
                "national_hotline",
                "letter",
                "in_person",
            ])
            .to_string(),
        received_at: micros(received),
        reporter_kind: rng
            .pick(&[
                "professional",
                "professional",
                "relative",
                "citizen",
                "anonymous",
            ])
            .to_string(),
        reporter_organisation: Some("Skole (genereret)".into()),
        reporter_name: None,
        reporter_contact: None,
        description: "Genereret, fiktiv bekymring til målinger.".into(),
        immediate_danger: decision == Some(Decision::HandedToPolice),
        status: status.code().into(),
        decision: decision.map(|d| d.code().into()),
        programme_kind: (decision == Some(Decision::FoundedLocalAction))
            .then(|| "mentor".to_string()),
        triage_deadline_at: micros(deadline),
        paused_at: paused.map(micros),
        decided_at: decided.map(micros),
        created_at: micros(received),
        created_by: Some(by),
    };
    let mut first_person = None;
    let mut linked = Vec::with_capacity(2);
    for _ in 0..(1 + i64::from(rng.chance(15))) {
        let again = (!recent.is_empty() && rng.chance(5)).then(|| *rng.pick(recent));
        // The same person is never on one concern twice.
        let pid = if let Some(p) = again.filter(|p| first_person != Some(*p)) {
            p
        } else {
            let pid = vink_domain::new_id();
            let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            let birth = jiff::civil::Date::new(
                year - 14 - i16::try_from(rng.below(20)).unwrap_or(0),
                i8::try_from(1 + rng.below(12)).unwrap_or(1),
                i8::try_from(1 + rng.below(28)).unwrap_or(1),
            )
            .map(Birth::Date)
            .unwrap_or(Birth::Unknown);
            person::insert_person(
                tx,
                &person::PersonRow {
                    id: pid,
                    match_key: match_key(Some(&name), birth),
                    name: Some(name),
                    birth: birth.to_storage(),
                    district: Some(rng.pick(DISTRICTS).to_string()),
                    created_at: micros(received),
                },
            )
            .await?;
            out.persons += 1;
            recent.push(pid);
            if recent.len() > 2_000 {
                recent.remove(0);
            }
            pid
        };
        linked.push(pid);
        first_person.get_or_insert(pid);
    }
    cstore::insert_concern(tx, &row, &linked).await?;
    let event = |at: Timestamp, kind: &str, from: Option<Status>, to: Option<Status>| EventRow {
        id: vink_domain::new_id(),
        concern_id: id,
        at: micros(at),
        actor_id: Some(by),
        kind: kind.into(),
        from_status: from.map(|s| s.code().into()),
        to_status: to.map(|s| s.code().into()),
        decision: None,
        reason: None,
    };
    cstore::insert_event(
        tx,
        &event(received, "received", None, Some(Status::Received)),
    )
    .await?;
    if status != Status::Received {
        cstore::insert_event(
            tx,
            &event(
                received + SignedDuration::from_mins(30),
                "transition",
                Some(Status::Received),
                Some(Status::Screening),
            ),
        )
        .await?;
    }
    let mut meeting = None;
    if let Some(d) = decided {
        let mut e = event(
            d,
            "transition",
            Some(Status::Screening),
            Some(Status::Decided),
        );
        e.decision = decision.map(|x| x.code().into());
        cstore::insert_event(tx, &e).await?;
        // Founded concerns were before the unit at the first meeting after receipt.
        if decision.is_some_and(Decision::is_founded) {
            let day = local_date(received);
            if let Some((mid, _, agencies)) = meetings.iter().find(|(_, date, _)| *date >= day) {
                tstore::add_agenda_item(tx, *mid, id).await?;
                tstore::set_recommendation(
                    tx,
                    *mid,
                    id,
                    "Enheden anbefaler et forløb (genereret).",
                    agencies.get(1).copied(),
                    micros(d),
                    None,
                )
                .await?;
                meeting = Some((*mid, agencies.clone()));
            }
        }
    }
    out.concerns += 1;
    Ok(Made {
        id,
        received,
        decided,
        meeting,
        founded_person: (decision == Some(Decision::FoundedLocalAction))
            .then_some(first_person)
            .flatten(),
    })
}

async fn course(
    tx: &mut Authorized,
    rng: &mut Rng,
    person_id: Uuid,
    received: Timestamp,
    now: Timestamp,
    members: &[Uuid],
    out: &mut Generated,
) -> Result<()> {
    let id = vink_domain::new_id();
    let start = local_date(received)
        .checked_add(14.days())
        .map_err(internal)?;
    let today = local_date(now);
    if start > today {
        return Ok(());
    }
    let end = start
        .checked_add((60 + i64::try_from(rng.below(300)).unwrap_or(0)).days())
        .map_err(internal)?;
    let ended = (end <= today).then_some(end);
    let status = match ended {
        Some(_) if rng.chance(15) => "discontinued",
        Some(_) => "completed",
        None => "active",
    };
    let code = *rng.pick(&["ssp", "eki", "bbu", "psp"]);
    let agency = organisation::agency_by_code(tx, code)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| internal("agency missing"))?;
    course_store::insert_course(
        tx,
        &CourseRow {
            id,
            person_id,
            kind: rng
                .pick(&["mentor", "mentor", "parent_coaching", "exit"])
                .to_string(),
            prevention_level: "pre_emptive".into(),
            concern_id: None,
            direct_reason: Some("Genereret".into()),
            agency_id: agency,
            legal_basis: None,
            language: Some("dansk".into()),
            status: status.into(),
            corps_member_id: Some(*rng.pick(members)),
            consent_on: Some(start.to_string()),
            guardian_consent_on: Some(start.to_string()),
            guardian_name: Some("Forælder (genereret)".into()),
            consent_recorded_by: None,
            started_on: Some(start.to_string()),
            ended_on: ended.map(|d| d.to_string()),
            created_at: micros(received),
            created_by: None,
        },
    )
    .await?;
    let last = ended.unwrap_or(today);
    for k in 0..(3 + rng.below(6)) {
        let on = start
            .checked_add((i64::try_from(k).unwrap_or(0) * 14).days())
            .map_err(internal)?;
        if on > last {
            break;
        }
        course_store::insert_contact(
            tx,
            id,
            &ContactRow {
                id: vink_domain::new_id(),
                on_date: on.to_string(),
                minutes: 45,
                form: "meeting".into(),
                note: Some("Samtale (genereret)".into()),
                created_by: None,
            },
            micros(received),
        )
        .await?;
    }
    let ratings = |aid: Uuid| -> Vec<RatingRow> {
        [
            "education_employment",
            "housing",
            "social_network",
            "wellbeing",
            "extremist_contact",
        ]
        .iter()
        .map(|a| RatingRow {
            assessment_id: aid,
            area: (*a).into(),
            rating: 3,
            comment: None,
        })
        .collect()
    };
    let baseline = vink_domain::new_id();
    course_store::insert_assessment(
        tx,
        id,
        &AssessmentRow {
            id: baseline,
            point: "baseline".into(),
            on_date: start.to_string(),
            occupation: None,
            risk: None,
        },
        &ratings(baseline),
        micros(received),
        None,
    )
    .await?;
    if status == "completed"
        && let Some(end) = ended
    {
        for (kind, months, point) in [
            ("risk", 6, "six_months"),
            ("occupation", 12, "twelve_months"),
        ] {
            let due = vink_domain::course::follow_up_due(end, months)
                .ok_or_else(|| internal("follow-up date"))?;
            vink_store::follow_up::insert_follow_up(
                tx,
                vink_domain::new_id(),
                id,
                kind,
                &due.to_string(),
            )
            .await?;
            if due <= today && !rng.chance(15) {
                let aid = vink_domain::new_id();
                course_store::insert_assessment(
                    tx,
                    id,
                    &AssessmentRow {
                        id: aid,
                        point: point.into(),
                        on_date: due.to_string(),
                        occupation: (kind == "occupation").then(|| {
                            rng.pick(&["employed", "in_education", "neither"])
                                .to_string()
                        }),
                        risk: (kind == "risk").then(|| {
                            rng.pick(&["no_longer_at_risk", "still_at_risk"])
                                .to_string()
                        }),
                    },
                    &ratings(aid),
                    micros(received),
                    None,
                )
                .await?;
                vink_store::follow_up::record(tx, id, kind, aid, micros(received)).await?;
            }
        }
    }
    out.courses += 1;
    Ok(())
}

/// About `n` audit rows for one concern: its registration, decision, reads by
/// the secretariat and the unit, list views, and denied attempts.
fn history(
    rng: &mut Rng,
    c: &Made,
    now: Timestamp,
    staff: &Staff,
    n: usize,
    out: &mut Vec<AuditFields>,
) {
    let span = now.duration_since(c.received).as_micros().max(1);
    let at = |rng: &mut Rng| {
        let off = i64::try_from(rng.next() % u64::try_from(span).unwrap_or(1)).unwrap_or(0);
        c.received + SignedDuration::from_micros(off)
    };
    let row =
        |at: Timestamp, actor: Uuid, kind: &str, action: Action, record: bool, outcome: Outcome| {
            AuditFields {
                seq: 0,
                at,
                actor_id: Some(actor),
                actor_kind: kind.into(),
                action: action.code().into(),
                record_type: record.then(|| "concern".to_string()),
                record_id: record.then_some(c.id),
                outcome,
                reason: (outcome == Outcome::Denied).then(|| "not_in_scope".to_string()),
                client: Some("10.1.2.3".into()),
            }
        };
    let sek = *rng.pick(&staff.secretariat);
    out.push(row(
        c.received,
        sek,
        "secretariat",
        Action::ConcernCreate,
        true,
        Outcome::Allowed,
    ));
    if let Some(d) = c.decided {
        out.push(row(
            d,
            sek,
            "secretariat",
            Action::ConcernDecide,
            true,
            Outcome::Allowed,
        ));
    }
    for _ in 0..n.saturating_sub(2) {
        let t = at(rng);
        match rng.below(10) {
            0..=4 => {
                let who = *rng.pick(&staff.secretariat);
                out.push(row(
                    t,
                    who,
                    "secretariat",
                    Action::ConcernRead,
                    true,
                    Outcome::Allowed,
                ));
            }
            5 | 6 => match &c.meeting {
                Some((_, agencies)) => {
                    let unit: Vec<Uuid> = staff
                        .unit
                        .iter()
                        .filter(|(_, a)| agencies.contains(a))
                        .map(|(u, _)| *u)
                        .collect();
                    if let Some(u) = unit.first() {
                        out.push(row(
                            t,
                            *u,
                            "coordination_unit",
                            Action::ConcernRead,
                            true,
                            Outcome::Allowed,
                        ));
                    }
                }
                None => {
                    let (u, _) = *rng.pick(&staff.unit);
                    out.push(row(
                        t,
                        u,
                        "coordination_unit",
                        Action::ConcernRead,
                        true,
                        Outcome::Denied,
                    ));
                }
            },
            _ => {
                let who = *rng.pick(&staff.secretariat);
                out.push(row(
                    t,
                    who,
                    "secretariat",
                    Action::ConcernList,
                    false,
                    Outcome::Allowed,
                ));
            }
        }
    }
}

/// The ids and time the list queries are built with on a generated data set
/// (its agency `ssp`, user `mentor.0` and `sek.0`, a record from the audit
/// log): for the plan test and `bench/plans.rs`.
pub async fn plan_inputs(
    tx: &mut vink_store::Tx,
    now: jiff::Timestamp,
) -> Result<vink_store::query_plan::PlanInputs> {
    let missing = |what: &str| AppError::Internal(format!("not a generated data set: no {what}"));
    let agency = vink_store::organisation::agency_by_code(tx, "ssp")
        .await?
        .ok_or_else(|| missing("agency ssp"))?
        .id;
    let mentor = vink_store::user::user_by_name(tx, "mentor.0")
        .await?
        .ok_or_else(|| missing("user mentor.0"))?
        .id;
    let actor = vink_store::user::user_by_name(tx, "sek.0")
        .await?
        .ok_or_else(|| missing("user sek.0"))?
        .id;
    let rows = vink_store::audit::list(tx, &Default::default(), 1).await?;
    Ok(vink_store::query_plan::PlanInputs {
        now: vink_store::micros(now),
        agency,
        mentor_user: mentor,
        record: rows.first().and_then(|r| r.record_id).unwrap_or(actor),
        actor,
        backend: tx.backend(),
        fact_watermark: vink_store::fact::watermark(tx).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_for_a_seed() {
        let (mut a, mut b) = (Rng(42), Rng(42));
        let xs: Vec<u64> = (0..10).map(|_| a.below(1000)).collect();
        let ys: Vec<u64> = (0..10).map(|_| b.below(1000)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().any(|x| *x != xs[0]));
    }
}
