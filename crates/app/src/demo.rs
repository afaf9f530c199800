//! Fictitious demo data: users of every role, about 150 concerns over the last 20
//! months (about one in ten founded), coordination-unit meetings every 14 days,
//! and a few open concerns that are overdue or paused. Every name is invented
//! and carries a tell-tale surname ("Fiktiv", "Eksempel", …).
//!
//! Written straight through the store in one transaction (the use cases would
//! stamp everything "now"), with one `demo.load` audit row. Loading twice does
//! nothing the second time.

use jiff::{SignedDuration, Timestamp, ToSpan};
use uuid::Uuid;
use vink_domain::concern::{case_number, local_date, local_tz};
use vink_domain::person::{Birth, match_key};
use vink_domain::policy::{Action, Resource};
use vink_domain::triage::{Decision, ProgrammeKind, Status, TriageClock};
use vink_domain::user::Actor;
use vink_store::concern::{self as cstore, ConcernRow, EventRow};
use vink_store::triage::{self as tstore, MeetingRow};
use vink_store::{Authorized, micros, organisation, person, user as ustore};

use crate::user::{NewUser, add_user};
use crate::{App, AppError, Result};

/// The demo log-ins: user name, role, agency code.
pub const DEMO_USERS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "sekretariat",
        "Sara Sekretariat (demo)",
        "secretariat",
        None,
    ),
    (
        "enhed.ssp",
        "Emil Enhed, SSP (demo)",
        "coordination_unit",
        Some("ssp"),
    ),
    (
        "enhed.psp",
        "Paula Enhed, PSP (demo)",
        "coordination_unit",
        Some("psp"),
    ),
    ("mentor", "Mads Mentor (demo)", "mentor", None),
    ("analytiker", "Alma Analytiker (demo)", "analyst", None),
    ("admin", "Adam Admin (demo)", "admin", None),
    ("revisor", "Rita Revisor (demo)", "auditor", None),
];

/// The one password of every demo user, printed at start.
pub const DEMO_PASSWORD: &str = "vink-demo-2026";

/// What loading did.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub users_created: usize,
    pub concerns_created: usize,
    pub meetings_created: usize,
    pub courses_created: usize,
    pub activities_created: usize,
    pub organisations_created: usize,
    pub plans_created: usize,
}

/// A small deterministic generator: the same demo every time, no extra crate.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(xs.len() as u64)).unwrap_or(0);
        &xs[i.min(xs.len() - 1)]
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FIRST: &[&str] = &[
    "Ida", "Omar", "Jonas", "Sofie", "Ali", "Freja", "Mikkel", "Yasmin", "Lucas", "Amira", "Oscar",
    "Nora", "Elias", "Layla", "Viktor", "Maja", "Hamza", "Clara", "Noah", "Sara",
];
const LAST: &[&str] = &[
    "Fiktiv",
    "Eksempel",
    "Prøvesen",
    "Testesen",
    "Demosen",
    "Opdigtet",
];
const DISTRICTS: &[&str] = &[
    "Nørrebro",
    "Bispebjerg",
    "Amager Øst",
    "Amager Vest",
    "Valby",
    "Vanløse",
    "Brønshøj-Husum",
    "Vesterbro/Kongens Enghave",
    "Indre By",
    "Østerbro",
];
const ORGS: &[&str] = &[
    "Skole (demo)",
    "Fritidsklub (demo)",
    "Jobcenter (demo)",
    "Ungdomsuddannelse (demo)",
    "Boligsocial helhedsplan (demo)",
    "Politiet (demo)",
];
const TEXTS: &[&str] = &[
    "Fiktivt eksempel: En lærer har bemærket, at eleven deler indhold fra ekstremistiske fora og har trukket sig fra klassekammerater.",
    "Fiktivt eksempel: Forælder ringer bekymret over sønnens nye omgangskreds og ændrede holdninger til vold.",
    "Fiktivt eksempel: Klubmedarbejder har hørt den unge udtrykke sympati for en voldelig gruppe.",
    "Fiktivt eksempel: Henvendelse via den nationale hotline om en borger, der har talt om at rejse til en konfliktzone.",
    "Fiktivt eksempel: Jobcentret oplever, at borgeren har ændret adfærd markant og isolerer sig.",
    "Fiktivt eksempel: Anonym borger beskriver opslag på sociale medier med trusler mod en bestemt gruppe.",
    "Fiktivt eksempel: Skolen er bekymret for en elev, der har tegnet symboler fra en højreekstrem bevægelse.",
    "Fiktivt eksempel: Pårørende fortæller om en ung, der er blevet rekrutteret fra et bandemiljø.",
];
const RECOMMENDATIONS: &[&str] = &[
    "Enheden anbefaler et mentorforløb og opfølgning i SSP.",
    "Sagen overdrages til den relevante myndighed; VINK giver rådgivning til skolen.",
    "Enheden anbefaler forældrecoaching og tæt kontakt til klubben.",
    "Enheden anbefaler et exitforløb i samarbejde med EKI.",
];

/// Loads the demo unless concerns already exist. Users are created when missing.
/// Refused on a database that holds any user the demo did not create: the
/// demo's published password must never open a real installation.
pub async fn load(app: &App) -> Result<DemoSummary> {
    let mut summary = DemoSummary::default();
    let system = Actor::system();
    let names: Vec<&str> = DEMO_USERS.iter().map(|u| u.0).collect();
    let mut tx = app.db.begin_read().await?;
    let others = ustore::count_users_except(&mut tx, &names).await?;
    tx.commit().await?;
    if others > 0 {
        return Err(AppError::Conflict(format!(
            "refusing to load demo data: the database holds {others} user(s) the demo did not create"
        )));
    }
    for (username, display, role, agency) in DEMO_USERS {
        let new = NewUser {
            username: (*username).into(),
            display_name: Some((*display).into()),
            role: (*role).into(),
            agency: agency.map(Into::into),
            password: DEMO_PASSWORD.into(),
            email: Some(format!("{username}@vink.example")),
        };
        match add_user(app, &system, &new).await {
            Ok(_) => summary.users_created += 1,
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, &system, Action::DemoLoad, &Resource::None, None)
        .await?;
    if cstore::count_concerns(&mut tx).await? > 0 {
        return Ok(summary);
    }
    let secretariat = ustore::user_by_name(&mut tx, "sekretariat")
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::Internal("demo secretariat user missing".into()))?;
    let unit = ustore::user_by_name(&mut tx, "enhed.ssp")
        .await?
        .map(|u| u.id);
    let mut rng = Rng(0x5EED_1234_ABCD_9876);
    let now = app.now();
    let meetings = demo_meetings(&mut tx, &mut rng, now, secretariat).await?;
    summary.meetings_created = meetings.len();
    let allowance = SignedDuration::from_hours(app.config.triage_hours);
    let total: i64 = 150;
    let span_hours: i64 = 20 * 30 * 24;
    let mut persons_so_far: Vec<Uuid> = Vec::new();
    for i in 0..total {
        // Evenly over 20 months, the newest a few hours ago.
        // The newest 14 lie within the last four days, so the demo has open
        // concerns in every state; the rest spread evenly over 20 months.
        let recent = 14;
        let jitter = i64::try_from(rng.below(6)).unwrap_or(0);
        let age_hours = if i >= total - recent {
            (total - 1 - i) * 7 + jitter + 1
        } else {
            120 + span_hours * (total - recent - 1 - i) / (total - recent) + jitter
        };
        let received = now - SignedDuration::from_hours(age_hours);
        let c = DemoConcern::new(&mut rng, received, now, allowance);
        let id = vink_domain::new_id();
        let year = local_date(received).year();
        let seq = cstore::next_counter(&mut tx, &format!("case:{year}")).await?;
        let anonymous = rng.chance(15);
        let row = ConcernRow {
            id,
            case_number: case_number(year, seq),
            receipt: (c.channel == "web").then(|| format!("R-DEMO-{i:04}")),
            channel: c.channel.into(),
            received_at: micros(received),
            reporter_kind: if anonymous {
                "anonymous".into()
            } else {
                rng.pick(&["professional", "professional", "relative", "citizen"])
                    .to_string()
            },
            reporter_organisation: (!anonymous).then(|| rng.pick(ORGS).to_string()),
            reporter_name: None,
            reporter_contact: None,
            description: rng.pick(TEXTS).to_string(),
            immediate_danger: c.decision == Some(Decision::HandedToPolice),
            status: c.status.code().into(),
            decision: c.decision.map(|d| d.code().into()),
            programme_kind: c.programme.map(|p| p.code().into()),
            triage_deadline_at: micros(c.clock.deadline),
            paused_at: c.clock.paused_at.map(micros),
            decided_at: c.clock.stopped_at.map(micros),
            created_at: micros(received),
            created_by: Some(secretariat),
        };
        let n_persons = if rng.chance(15) { 2 } else { 1 };
        let mut linked: Vec<Uuid> = Vec::new();
        for _ in 0..n_persons {
            // Now and then the same person again (linked), or a look-alike record
            // that the detail page will suggest linking.
            let pid = if !persons_so_far.is_empty() && rng.chance(6) {
                *rng.pick(&persons_so_far)
            } else {
                let pid = new_person(&mut tx, &mut rng, received).await?;
                persons_so_far.push(pid);
                pid
            };
            // The same person picked twice for one concern is linked once.
            if !linked.contains(&pid) {
                linked.push(pid);
            }
        }
        cstore::insert_concern(&mut tx, &row, &linked).await?;
        let ev = |at: Timestamp,
                  kind: &str,
                  from: Option<Status>,
                  to: Option<Status>,
                  decision: Option<Decision>,
                  reason: Option<&str>,
                  by: Uuid| EventRow {
            id: vink_domain::new_id(),
            concern_id: id,
            at: micros(at),
            actor_id: Some(by),
            kind: kind.into(),
            from_status: from.map(|s| s.code().into()),
            to_status: to.map(|s| s.code().into()),
            decision: decision.map(|d| d.code().into()),
            reason: reason.map(Into::into),
        };
        let mut events = vec![ev(
            received,
            "received",
            None,
            Some(Status::Received),
            None,
            None,
            secretariat,
        )];
        let step = |h: i64| received + SignedDuration::from_hours(h);
        if c.status != Status::Received && c.decision != Some(Decision::HandedToPolice) {
            events.push(ev(
                step(1),
                "transition",
                Some(Status::Received),
                Some(Status::Screening),
                None,
                Some("Kvalificeres af sekretariatet"),
                secretariat,
            ));
        }
        if matches!(c.status, Status::BeforeUnit | Status::Decided)
            && c.decision != Some(Decision::HandedToPolice)
        {
            events.push(ev(
                step(3),
                "transition",
                Some(Status::Screening),
                Some(Status::BeforeUnit),
                None,
                Some("Forelægges enheden"),
                secretariat,
            ));
        }
        if let Some(p) = c.clock.paused_at {
            events.push(ev(
                p,
                "paused",
                None,
                None,
                None,
                Some("Afventer oplysninger fra skolen"),
                secretariat,
            ));
        }
        if let (Some(at), Some(d)) = (c.clock.stopped_at, c.decision) {
            let from = if d == Decision::HandedToPolice {
                Status::Received
            } else {
                Status::BeforeUnit
            };
            let by = if d.is_founded() {
                unit.unwrap_or(secretariat)
            } else {
                secretariat
            };
            events.push(ev(
                at,
                "transition",
                Some(from),
                Some(Status::Decided),
                Some(d),
                Some("Vurderet på det foreliggende grundlag"),
                by,
            ));
        }
        for e in &events {
            cstore::insert_event(&mut tx, e).await?;
        }
        // Founded and open-before-unit concerns go on the next meeting's agenda.
        let on_agenda =
            c.decision.is_some_and(Decision::is_founded) || c.status == Status::BeforeUnit;
        if on_agenda
            && let Some((mid, mdate)) = meetings.iter().find(|(_, d)| *d >= local_date(received))
        {
            tstore::add_agenda_item(&mut tx, *mid, id).await?;
            if c.decision.is_some() {
                let code = *rng.pick(&["ssp", "bbu", "eki", "psp"]);
                let agency = organisation::agency_by_code(&mut tx, code).await?;
                let at = mdate
                    .to_datetime(jiff::civil::Time::midnight())
                    .to_zoned_datetime(local_tz())
                    .map(|z| z.timestamp())
                    .unwrap_or(received);
                let text = *rng.pick(RECOMMENDATIONS);
                tstore::set_recommendation(
                    &mut tx,
                    *mid,
                    id,
                    text,
                    agency.map(|a| a.id),
                    micros(at.max(received)),
                    unit,
                )
                .await?;
            }
        }
        summary.concerns_created += 1;
    }
    summary.courses_created = demo_courses(&mut tx, &mut rng, now, secretariat, app).await?;
    let (activities, organisations) =
        crate::demo_activities::load(&mut tx, &mut rng, local_date(now), secretariat).await?;
    summary.activities_created = activities;
    summary.organisations_created = organisations;
    // The demo writes its history through the store, not the use cases: its
    // facts are counted from what it wrote, in the same transaction.
    vink_store::fact::append_recount(&mut tx).await?;
    tx.commit().await?;
    summary.plans_created = demo_plans(app, &system).await?;
    Ok(summary)
}

/// The two plans of the seeds as they were, and the 2018-19 plan carried
/// over to this year and the next (titled as a demo), so the demo has a
/// plan whose targets move as activities are registered.
async fn demo_plans(app: &App, system: &Actor) -> Result<usize> {
    use crate::plan_import::{EXAMPLES, parse};
    let mut n = 0;
    for (name, text) in EXAMPLES {
        crate::plan_import::import(app, system, name, text.as_bytes()).await?;
        n += 1;
    }
    if let Some((name, text)) = EXAMPLES.iter().find(|(n, _)| n.contains("2018")) {
        let year = app.today().year();
        let mut current = parse(name, text.as_bytes())?;
        current.title = Some(format!(
            "Handleplan {year}-{} (demo, efter 2018-19)",
            year + 1
        ));
        current.from_year = Some(year);
        current.to_year = Some(year + 1);
        // Its money moves with it, under the demo's own grant titles.
        let shift = |y: &mut Option<i16>| *y = y.map(|y| y - 2018 + year);
        for g in &mut current.grants {
            shift(&mut g.usable_from);
            shift(&mut g.usable_to);
            g.title = g.title.as_ref().map(|t| format!("{t} (demo {year})"));
            g.source = g.source.as_ref().map(|s| format!("{s} (demo)"));
            for l in &mut g.lines {
                shift(&mut l.year);
            }
        }
        crate::plan::create(app, system, &current).await?;
        n += 1;
    }
    Ok(n)
}

/// One generated concern's triage history.
struct DemoConcern {
    channel: &'static str,
    status: Status,
    decision: Option<Decision>,
    programme: Option<ProgrammeKind>,
    clock: TriageClock,
}

impl DemoConcern {
    fn new(rng: &mut Rng, received: Timestamp, now: Timestamp, allowance: SignedDuration) -> Self {
        let channel = *rng.pick(&[
            "hotline",
            "hotline",
            "hotline",
            "email",
            "email",
            "web",
            "national_hotline",
            "in_person",
            "letter",
        ]);
        let mut clock = TriageClock::start(received, allowance);
        let age = now.duration_since(received);
        let (status, decision) = if age > SignedDuration::from_hours(100) {
            let roll = rng.below(100);
            let d = match roll {
                0..=5 => Decision::FoundedLocalAction,
                6..=10 => Decision::FoundedOtherAuthority,
                11..=13 => Decision::HandedToPolice,
                14..=50 => Decision::AdviceOnly,
                _ => Decision::Unfounded,
            };
            (Status::Decided, Some(d))
        } else {
            (
                *rng.pick(&[
                    Status::Received,
                    Status::Screening,
                    Status::Screening,
                    Status::BeforeUnit,
                ]),
                None,
            )
        };
        if status != Status::Decided && rng.chance(25) && age > SignedDuration::from_hours(6) {
            let _ = clock.pause(received + SignedDuration::from_hours(4));
        }
        if let Some(d) = decision {
            // Mostly within 48 hours, a few late; the police at once.
            let hours = if d == Decision::HandedToPolice {
                1
            } else if rng.chance(12) {
                50 + rng.below(30)
            } else {
                4 + rng.below(40)
            };
            clock.stop(received + SignedDuration::from_hours(i64::try_from(hours).unwrap_or(24)));
        }
        let programme = (decision == Some(Decision::FoundedLocalAction)).then(|| {
            *rng.pick(&[
                ProgrammeKind::Mentor,
                ProgrammeKind::Mentor,
                ProgrammeKind::ParentCoaching,
                ProgrammeKind::Exit,
                ProgrammeKind::Resocialisation,
                ProgrammeKind::Advisory,
            ])
        });
        DemoConcern {
            channel,
            status,
            decision,
            programme,
            clock,
        }
    }
}

async fn new_person(tx: &mut Authorized, rng: &mut Rng, received: Timestamp) -> Result<Uuid> {
    let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let year = local_date(received).year() - 13 - i16::try_from(rng.below(16)).unwrap_or(0);
    let birth = match rng.below(10) {
        0 => Birth::Unknown,
        1 | 2 => Birth::Year(year),
        _ => jiff::civil::Date::new(
            year,
            i8::try_from(1 + rng.below(12)).unwrap_or(1),
            i8::try_from(1 + rng.below(28)).unwrap_or(1),
        )
        .map(Birth::Date)
        .unwrap_or(Birth::Year(year)),
    };
    let named = !rng.chance(8);
    let name = named.then_some(name);
    let id = vink_domain::new_id();
    person::insert_person(
        tx,
        &person::PersonRow {
            id,
            match_key: match_key(name.as_deref(), birth),
            name,
            birth: birth.to_storage(),
            district: (!rng.chance(10)).then(|| rng.pick(DISTRICTS).to_string()),
            created_at: micros(received),
        },
    )
    .await?;
    Ok(id)
}

/// A meeting every other Tuesday from 20 months ago to two weeks ahead.
async fn demo_meetings(
    tx: &mut Authorized,
    rng: &mut Rng,
    now: Timestamp,
    by: Uuid,
) -> Result<Vec<(Uuid, jiff::civil::Date)>> {
    let today = local_date(now);
    let start = today
        .checked_sub(20.months())
        .map_err(|e| AppError::Internal(format!("demo dates: {e}")))?;
    let mut date = start;
    while date.weekday() != jiff::civil::Weekday::Tuesday {
        date = date
            .tomorrow()
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let mut ids = Vec::new();
    let core = ["vink", "ssp", "bbu", "dks"];
    let extra = ["eki", "psp", "kriminalforsorgen", "jobcenter"];
    while date
        <= today
            .checked_add(14.days())
            .map_err(|e| AppError::Internal(e.to_string()))?
    {
        let mut agencies = Vec::new();
        for code in core.iter().chain(extra.iter().filter(|_| rng.chance(50))) {
            if let Some(a) = organisation::agency_by_code(tx, code).await? {
                agencies.push(a.id);
            }
        }
        // PSP attends every other meeting at least, so its demo user sees cases.
        if ids.len() % 2 == 0
            && let Some(a) = organisation::agency_by_code(tx, "psp").await?
            && !agencies.contains(&a.id)
        {
            agencies.push(a.id);
        }
        let id = vink_domain::new_id();
        let minutes = (date < today).then(|| {
            "Referat (fiktivt): sagerne blev gennemgået; anbefalinger fremgår af dagsordenen."
                .to_string()
        });
        tstore::insert_meeting(
            tx,
            &MeetingRow {
                id,
                meeting_date: date.to_string(),
                minutes,
                created_at: micros(now),
                created_by: Some(by),
            },
            &agencies,
        )
        .await?;
        ids.push((id, date));
        date = date
            .checked_add(14.days())
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(ids)
}

const CORPS: &[(&str, &str, &str, &str)] = &[
    (
        "Mads Mentor (demo)",
        "mentor",
        "dansk,engelsk",
        "nørrebro,bispebjerg",
    ),
    ("Amina Fiktiv", "mentor", "dansk,arabisk", "nørrebro"),
    (
        "Bilal Eksempel",
        "mentor",
        "dansk,urdu,engelsk",
        "amager øst,amager vest",
    ),
    ("Camilla Prøvesen", "parent_coach", "dansk", "valby,vanløse"),
    (
        "Deniz Demosen",
        "mentor",
        "dansk,tyrkisk",
        "bispebjerg,brønshøj-husum",
    ),
    (
        "Emma Opdigtet",
        "parent_coach",
        "dansk,engelsk",
        "østerbro,indre by",
    ),
    (
        "Farah Testesen",
        "parent_coach",
        "dansk,arabisk",
        "nørrebro,valby",
    ),
    (
        "Gustav Fiktiv",
        "mentor",
        "dansk",
        "vesterbro/kongens enghave",
    ),
    (
        "Hassan Eksempel",
        "mentor",
        "dansk,somali",
        "amager vest,valby",
    ),
    ("Ida Prøvesen", "mentor", "dansk,engelsk", "østerbro"),
    (
        "Jamal Demosen",
        "mentor",
        "dansk,arabisk,fransk",
        "bispebjerg",
    ),
    ("Karin Opdigtet", "parent_coach", "dansk", "brønshøj-husum"),
    (
        "Lina Testesen",
        "mentor",
        "dansk,persisk",
        "nørrebro,vesterbro/kongens enghave",
    ),
    ("Mikkel Fiktiv", "mentor", "dansk", "amager øst"),
    ("Nadia Eksempel", "parent_coach", "dansk,arabisk", "valby"),
];

/// A corps of 15 (the first linked to the demo mentor's log-in) and about 20
/// courses a year over the demo period: completed ones with follow-ups both
/// recorded and pending, a few discontinued, the newest still running.
async fn demo_courses(
    tx: &mut Authorized,
    rng: &mut Rng,
    now: Timestamp,
    by: Uuid,
    app: &App,
) -> Result<usize> {
    use vink_domain::course::{AssessmentArea, follow_up_due};
    use vink_store::course::{
        self as course_store, AssessmentRow, ContactRow, CourseRow, RatingRow,
    };
    let mentor_user = ustore::user_by_name(tx, "mentor").await?.map(|u| u.id);
    let mut members = Vec::new();
    for (i, (name, kind, langs, districts)) in CORPS.iter().enumerate() {
        let id = vink_domain::new_id();
        vink_store::corps::insert_member(
            tx,
            &vink_store::corps::CorpsMemberRow {
                id,
                user_id: if i == 0 { mentor_user } else { None },
                name: (*name).into(),
                kind: (*kind).into(),
                languages: (*langs).into(),
                specialties: if *kind == "mentor" {
                    "mentor,exit,resocialisation".into()
                } else {
                    "parent_coaching".into()
                },
                districts: (*districts).into(),
                max_caseload: 3 + i64::try_from(rng.below(3)).unwrap_or(0),
                active: true,
                created_at: micros(now),
            },
        )
        .await?;
        vink_store::corps::insert_training(
            tx,
            id,
            &vink_store::corps::TrainingRow {
                id: vink_domain::new_id(),
                kind: "training".into(),
                title: "Grundkursus for mentorer og forældrecoaches (fiktiv)".into(),
                on_date: (local_date(now) - 120.days()).to_string(),
            },
            micros(now),
        )
        .await?;
        members.push((id, *kind));
    }
    let today = local_date(now);
    let agencies = ["ssp", "eki", "bbu", "kriminalforsorgen"];
    let total = 34;
    for i in 0..total {
        let start = today - ((total - i) * 18 + 10).days();
        let (kind, member) = match i % 5 {
            0 => (
                "parent_coaching",
                members.iter().find(|m| m.1 == "parent_coach").map(|m| m.0),
            ),
            3 => ("exit", None),
            _ => (
                "mentor",
                Some(members[usize::try_from(i).unwrap_or(0) % members.len()].0),
            ),
        };
        // The demo mentor always has a couple of running courses.
        let member = if i >= total - 2 {
            Some(members[0].0)
        } else {
            member
        };
        let person = new_person(
            tx,
            rng,
            start
                .to_datetime(jiff::civil::Time::midnight())
                .to_zoned_datetime(local_tz())
                .map(|z| z.timestamp())
                .unwrap_or(now),
        )
        .await?;
        let length = 90 + i64::try_from(rng.below(150)).unwrap_or(0);
        let end = start + length.days();
        let (status, ended) = if end >= today {
            ("active", None)
        } else if rng.chance(12) {
            ("discontinued", Some(end))
        } else {
            ("completed", Some(end))
        };
        let id = vink_domain::new_id();
        let agency = organisation::agency_by_code(
            tx,
            agencies[usize::try_from(i).unwrap_or(0) % agencies.len()],
        )
        .await?
        .map(|a| a.id)
        .ok_or_else(|| AppError::Internal("demo agency missing".into()))?;
        course_store::insert_course(
            tx,
            &CourseRow {
                id,
                person_id: person,
                kind: kind.into(),
                prevention_level: if kind == "exit" {
                    "interventive".into()
                } else {
                    "pre_emptive".into()
                },
                concern_id: None,
                direct_reason: Some("Demo: startet efter enhedens anbefaling (fiktiv)".into()),
                agency_id: agency,
                legal_basis: Some("Serviceloven § 11 (fiktivt eksempel)".into()),
                language: Some("dansk".into()),
                status: status.into(),
                corps_member_id: member,
                consent_on: Some(start.to_string()),
                guardian_consent_on: Some(start.to_string()),
                guardian_name: Some("Forælder (fiktiv)".into()),
                consent_recorded_by: Some(by),
                started_on: Some(start.to_string()),
                ended_on: ended.map(|d| d.to_string()),
                created_at: micros(now),
                created_by: Some(by),
            },
        )
        .await?;
        for k in 0..3 {
            course_store::insert_contact(
                tx,
                id,
                &ContactRow {
                    id: vink_domain::new_id(),
                    on_date: (start + (k * 14 + 3).days()).min(today).to_string(),
                    minutes: 45 + 15 * k,
                    form: ["meeting", "phone", "with_family"][usize::try_from(k).unwrap_or(0)]
                        .into(),
                    note: Some("Samtale (fiktiv)".into()),
                    created_by: Some(by),
                },
                micros(now),
            )
            .await?;
        }
        if status != "completed" {
            continue;
        }
        let Some(end) = ended else { continue };
        for (fkind, months, point) in [
            ("risk", app.config.risk_follow_up_months, "six_months"),
            (
                "occupation",
                app.config.occupation_follow_up_months,
                "twelve_months",
            ),
        ] {
            let due = follow_up_due(end, months)
                .ok_or_else(|| AppError::Internal("demo follow-up date".into()))?;
            vink_store::follow_up::insert_follow_up(
                tx,
                vink_domain::new_id(),
                id,
                fkind,
                &due.to_string(),
            )
            .await?;
            // Recorded when due, except now and then one left pending (overdue).
            if due <= today && !rng.chance(15) {
                let aid = vink_domain::new_id();
                let good = rng.chance(75);
                let ratings: Vec<RatingRow> = AssessmentArea::ALL
                    .iter()
                    .map(|a| RatingRow {
                        assessment_id: aid,
                        area: a.code().into(),
                        rating: 2 + i64::try_from(rng.below(4)).unwrap_or(0),
                        comment: None,
                    })
                    .collect();
                course_store::insert_assessment(
                    tx,
                    id,
                    &AssessmentRow {
                        id: aid,
                        point: point.into(),
                        on_date: due.to_string(),
                        occupation: (fkind == "occupation").then(|| {
                            if good {
                                "employed".into()
                            } else {
                                "neither".into()
                            }
                        }),
                        risk: (fkind == "risk").then(|| {
                            if good {
                                "no_longer_at_risk".into()
                            } else {
                                "still_at_risk".into()
                            }
                        }),
                    },
                    &ratings,
                    micros(now),
                    Some(by),
                )
                .await?;
                vink_store::follow_up::record(tx, id, fkind, aid, micros(now)).await?;
            }
        }
    }
    Ok(usize::try_from(total).unwrap_or(0))
}
