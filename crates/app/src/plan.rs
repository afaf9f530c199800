//! Action plans: writing them (by hand, the API or an import file) and
//! reading them with every target's attainment counted live from the facts.
//! Nothing in a plan is about a person; reads and writes are audited like
//! everything else.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::attainment::{
    Forecast, PastYear, TargetStatus, YearView, count_status, forecast, share_status,
};
use vink_domain::key_figures::{Metric, Sums, Value, evaluate};
use vink_domain::metrics::SMALL;
use vink_domain::plan::{
    AssessmentInput, PlanDraft, PlanInput, PlanStatus, TargetKind, check, check_assessment,
};
use vink_domain::policy::{Action, RecordRef, Resource, sees_small_numbers};
use vink_domain::report::{DEFAULT_TARGET_PERCENT, Share};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;
use vink_store::plan::{
    self as store, FocusAreaRow, InterventionRow, PlanRow, PlanRows, TargetRow,
};
use vink_store::{Tx, micros};

use crate::{App, AppError, Result};

/// How many earlier years the seasonal forecast looks at.
const HISTORY_YEARS: i16 = 3;

/// A plan in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanSummary {
    pub id: Uuid,
    pub title: String,
    pub from_year: i32,
    pub to_year: i32,
    pub status: String,
}

/// A plan with its targets' attainment as of `as_of`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub title: String,
    pub from_year: i32,
    pub to_year: i32,
    pub status: String,
    /// Names the state a status move starts from.
    pub version: i64,
    pub purposes: Vec<String>,
    pub focus_areas: Vec<FocusAreaView>,
    /// The day the actual values are counted to (today, Copenhagen).
    pub as_of: String,
    /// True when small numbers are hidden for this reader.
    pub suppressed_small_numbers: bool,
    /// A closed plan: its snapshot.
    pub closed: Option<ClosedView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FocusAreaView {
    pub id: Uuid,
    pub title: String,
    /// `preventive`, `pre_emptive` or `interventive`.
    pub level: String,
    pub effect: Option<String>,
    pub interventions: Vec<InterventionView>,
    /// Targets of the focus area as a whole.
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InterventionView {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub target_group: Option<String>,
    pub targets: Vec<TargetView>,
}

/// A target with its live attainment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    pub id: Uuid,
    pub year: i32,
    pub text: String,
    /// `count`, `distinct`, `share` or `qualitative`.
    pub kind: String,
    /// The metric code (a share's numerator).
    pub metric: Option<String>,
    /// A share of two counts: the denominator's metric code.
    pub denominator_metric: Option<String>,
    /// The count asked for, or the percentage.
    pub value: Option<i64>,
    /// The count so far, or a share's percentage (rounded down); absent
    /// when not measurable or hidden.
    pub actual: Option<i64>,
    /// Shares: the cases behind the percentage; pending follow-ups apart.
    pub share: Option<ShareCounts>,
    /// `met`, `on_track`, `at_risk`, `not_met`, `not_yet_measurable`.
    pub status: String,
    /// Counts: the year-end forecast and how it was made.
    pub forecast: Option<Forecast>,
    /// Qualitative targets: the latest assessment.
    pub assessment: Option<AssessmentView>,
    /// True when a small number is hidden from this reader ("<5").
    pub suppressed: bool,
    /// A closed plan shows its figures as frozen at closing; when the data
    /// have been corrected since, the figures counted now, apart.
    pub since_closing: Option<Frozen>,
}

/// A target's figures at one moment: as frozen when the plan was closed,
/// or counted now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Frozen {
    pub actual: Option<i64>,
    pub share: Option<ShareCounts>,
    pub status: String,
}

/// A target in a closed plan's snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SnapshotTarget {
    id: Uuid,
    #[serde(flatten)]
    figures: Frozen,
}

/// When and how a closed plan was frozen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosedView {
    pub taken_at: String,
    /// The Copenhagen day it was closed.
    pub taken_on: String,
    /// SHA-256 of the snapshot as stored.
    pub digest: String,
    /// Whether the stored snapshot still matches its digest.
    pub intact: bool,
}

/// A status move (`adopted` from draft, `closed` from adopted), naming the
/// version it was decided on.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub status: Option<String>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShareCounts {
    pub numerator: i64,
    pub denominator: i64,
    /// Not answered or decided yet (follow-ups not due or not recorded;
    /// concerns not triaged yet): never counted as failures.
    pub pending: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub status: String,
    pub note: String,
    pub evidence: Option<String>,
    pub assessed_at: String,
}

/// The rows a checked plan becomes.
fn rows(d: &PlanDraft, id: Uuid, now: i64) -> Result<PlanRows> {
    let purposes = serde_json::to_string(&d.purposes)
        .map_err(|e| AppError::Internal(format!("purposes: {e}")))?;
    let mut out = PlanRows {
        plan: Some(PlanRow {
            id,
            title: d.title.clone(),
            from_year: d.from_year.into(),
            to_year: d.to_year.into(),
            status: d.status.code().into(),
            purposes,
            version: 1,
            created_at: now,
            updated_at: now,
        }),
        ..Default::default()
    };
    let mut areas = Vec::new();
    for (i, fa) in d.focus_areas.iter().enumerate() {
        let fid = vink_domain::new_id();
        areas.push(fid);
        out.focus_areas.push(FocusAreaRow {
            id: fid,
            plan_id: id,
            position: i as i32,
            title: fa.title.clone(),
            level: fa.level.code().into(),
            effect: fa.effect.clone(),
        });
    }
    let mut ivs: HashMap<(usize, usize), Uuid> = HashMap::new();
    for (i, fa) in d.focus_areas.iter().enumerate() {
        for (j, iv) in fa.interventions.iter().enumerate() {
            let iid = vink_domain::new_id();
            ivs.insert((i, j), iid);
            out.interventions.push(InterventionRow {
                id: iid,
                focus_area_id: areas[i],
                position: j as i32,
                title: iv.title.clone(),
                description: iv.description.clone(),
                target_group: iv.target_group.clone(),
            });
        }
    }
    for (position, (f, iv, t)) in d.targets().enumerate() {
        for year in &t.years {
            out.targets.push(TargetRow {
                id: vink_domain::new_id(),
                plan_id: id,
                focus_area_id: areas[f],
                intervention_id: iv.and_then(|j| ivs.get(&(f, j)).copied()),
                position: position as i32,
                year: (*year).into(),
                text: t.text.clone(),
                kind: t.goal.kind().code().into(),
                metric: t.goal.metric().map(Metric::code),
                denominator: t.goal.denominator().map(Metric::code),
                value: t.goal.value(),
            });
        }
    }
    Ok(out)
}

/// Writes a checked plan in `tx` (create and import share it): its years
/// may not overlap another plan's.
pub(crate) async fn insert(tx: &mut vink_store::Authorized, d: &PlanDraft, id: Uuid) -> Result<()> {
    tx.lock(vink_store::Locked::PlanYears).await?;
    let clash = store::overlapping(tx, d.from_year.into(), d.to_year.into(), None).await?;
    if let Some((_, title)) = clash.first() {
        let mut e = FieldErrors::new();
        e.add(
            "from_year",
            "overlaps",
            format!("the years overlap the plan \u{201c}{title}\u{201d}"),
        );
        return Err(AppError::Invalid(e));
    }
    let now = micros(tx.at());
    let rows = rows(d, id, now)?;
    store::insert(tx, &rows).await?;
    let places: crate::funding::Places = rows
        .focus_areas
        .iter()
        .map(|a| {
            let ivs = rows
                .interventions
                .iter()
                .filter(|i| i.focus_area_id == a.id)
                .map(|i| i.id)
                .collect();
            (a.id, ivs)
        })
        .collect();
    for g in &d.grants {
        crate::funding::insert_grant(tx, &g.source, &g.grant, &g.lines, Some((id, &places)), now)
            .await?;
    }
    Ok(())
}

/// Creates a plan with its focus areas, interventions and targets.
pub async fn create(app: &App, actor: &Actor, input: &PlanInput) -> Result<Uuid> {
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::PlanManage,
            &Resource::None,
            Some(RecordRef::plan(id)),
        )
        .await?;
    let draft = check(input).map_err(AppError::Invalid)?;
    insert(&mut tx, &draft, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a person's assessment of a qualitative target of the plan.
pub async fn assess(
    app: &App,
    actor: &Actor,
    plan: Uuid,
    target: Uuid,
    input: &AssessmentInput,
) -> Result<Uuid> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::PlanManage,
            &Resource::None,
            Some(RecordRef::plan(plan)),
        )
        .await?;
    let t = store::target(&mut tx, target)
        .await?
        .filter(|t| t.plan_id == plan)
        .ok_or(AppError::NotFound)?;
    let a = check_assessment(input).map_err(AppError::Invalid)?;
    if t.kind != TargetKind::Qualitative.code() {
        let mut e = FieldErrors::new();
        e.add(
            "target",
            "not_qualitative",
            "only a qualitative target is assessed by a person; the others are counted",
        );
        return Err(AppError::Invalid(e));
    }
    let id = vink_domain::new_id();
    let at = micros(tx.at());
    store::insert_assessment(
        &mut tx,
        &store::AssessmentRow {
            id,
            target_id: target,
            status: a.status.code().into(),
            note: a.note,
            evidence: a.evidence,
            assessed_by: actor.user_id(),
            assessed_at: at,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The plans, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<PlanSummary>> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::PlanRead, &Resource::None, None)
        .await?;
    let rows = store::list(&mut tx).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|p| PlanSummary {
            id: p.id,
            title: p.title,
            from_year: p.from_year,
            to_year: p.to_year,
            status: p.status,
        })
        .collect())
}

/// A plan with every target's attainment counted now, nothing hidden.
async fn read(tx: &mut Tx, id: Uuid, today: Date) -> Result<PlanView> {
    let plan = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    let areas = store::focus_areas(tx, id).await?;
    let ivs = store::interventions(tx, id).await?;
    let targets = store::targets(tx, id).await?;
    let assessments = store::assessments(tx, id).await?;
    let mut counter = Counter::default();
    let mut views: Vec<(Uuid, Option<Uuid>, TargetView)> = Vec::with_capacity(targets.len());
    for t in &targets {
        let latest = assessments.iter().rev().find(|a| a.target_id == t.id);
        let view = attain(tx, &mut counter, t, latest, today).await?;
        views.push((t.focus_area_id, t.intervention_id, view));
    }
    let purposes: Vec<String> = serde_json::from_str(&plan.purposes)
        .map_err(|e| AppError::Internal(format!("purposes: {e}")))?;
    let pick = |area: Uuid, iv: Option<Uuid>| -> Vec<TargetView> {
        views
            .iter()
            .filter(|(a, i, _)| *a == area && *i == iv)
            .map(|(_, _, v)| v.clone())
            .collect()
    };
    let focus_areas = areas
        .into_iter()
        .map(|a| FocusAreaView {
            interventions: ivs
                .iter()
                .filter(|i| i.focus_area_id == a.id)
                .map(|i| InterventionView {
                    id: i.id,
                    title: i.title.clone(),
                    description: i.description.clone(),
                    target_group: i.target_group.clone(),
                    targets: pick(a.id, Some(i.id)),
                })
                .collect(),
            targets: pick(a.id, None),
            id: a.id,
            title: a.title,
            level: a.level,
            effect: a.effect,
        })
        .collect();
    Ok(PlanView {
        id: plan.id,
        title: plan.title,
        from_year: plan.from_year,
        to_year: plan.to_year,
        status: plan.status,
        version: plan.version,
        purposes,
        focus_areas,
        as_of: today.to_string(),
        suppressed_small_numbers: false,
        closed: None,
    })
}

impl PlanView {
    fn targets_mut(&mut self) -> impl Iterator<Item = &mut TargetView> {
        self.focus_areas.iter_mut().flat_map(|a| {
            a.targets.iter_mut().chain(
                a.interventions
                    .iter_mut()
                    .flat_map(|i| i.targets.iter_mut()),
            )
        })
    }

    fn targets(&self) -> impl Iterator<Item = &TargetView> {
        self.focus_areas.iter().flat_map(|a| {
            a.targets
                .iter()
                .chain(a.interventions.iter().flat_map(|i| i.targets.iter()))
        })
    }
}

impl TargetView {
    fn figures(&self) -> Frozen {
        Frozen {
            actual: self.actual,
            share: self.share.clone(),
            status: self.status.clone(),
        }
    }
}

/// Whether a count about persons is small enough to point at someone.
fn small(n: i64) -> bool {
    n > 0 && n < SMALL
}

/// Hides figures about persons below the small-number limit from a reader
/// without case access, as the key-figure report does.
fn hide_small(v: &mut TargetView) {
    let persons = v
        .metric
        .as_deref()
        .and_then(Metric::parse)
        .is_some_and(Metric::counts_persons);
    if !persons {
        return;
    }
    let hidden = |f: &Frozen| match &f.share {
        Some(s) => [s.numerator, s.denominator, s.pending]
            .into_iter()
            .any(small),
        None => f.actual.is_some_and(small),
    };
    if hidden(&v.figures()) {
        v.actual = None;
        v.share = None;
        v.forecast = None;
        v.suppressed = true;
    }
    if let Some(live) = &mut v.since_closing
        && hidden(live)
    {
        live.actual = None;
        live.share = None;
        v.suppressed = true;
    }
}

fn digest(body: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(body.as_bytes()))
}

/// A plan with every target's attainment counted now; a closed plan shows
/// its frozen figures, with what counts differently now beside them.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<PlanView> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(
            tx,
            actor,
            Action::PlanRead,
            &Resource::None,
            Some(RecordRef::plan(id)),
        )
        .await?;
    let mut view = read(&mut tx, id, app.today()).await?;
    let snapshot = store::snapshot(&mut tx, id).await?;
    tx.commit().await?;
    if let Some(snap) = snapshot {
        let frozen: Vec<SnapshotTarget> = serde_json::from_str(&snap.body)
            .map_err(|e| AppError::Internal(format!("plan snapshot: {e}")))?;
        let frozen: HashMap<Uuid, Frozen> = frozen.into_iter().map(|t| (t.id, t.figures)).collect();
        for t in view.targets_mut() {
            if let Some(f) = frozen.get(&t.id) {
                let live = t.figures();
                if live != *f {
                    t.since_closing = Some(live);
                }
                t.actual = f.actual;
                t.share = f.share.clone();
                t.status = f.status.clone();
                t.forecast = None;
            }
        }
        let at = vink_store::instant(snap.taken_at)?;
        view.closed = Some(ClosedView {
            taken_at: at.to_string(),
            taken_on: vink_domain::concern::local_date(at).to_string(),
            intact: digest(&snap.body) == snap.digest,
            digest: snap.digest,
        });
    }
    if !sees_small_numbers(actor) {
        view.suppressed_small_numbers = true;
        view.targets_mut().for_each(hide_small);
    }
    Ok(view)
}

/// Moves a plan: a draft is adopted, an adopted plan is closed. Closing
/// freezes every target's figures in a snapshot with its digest, in the
/// same transaction. Of two moves decided on the same version, exactly one
/// wins; the other is told the plan changed.
pub async fn set_status(app: &App, actor: &Actor, id: Uuid, input: &StatusInput) -> Result<()> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::PlanManage,
            &Resource::None,
            Some(RecordRef::plan(id)),
        )
        .await?;
    let mut errs = FieldErrors::new();
    let to = vink_domain::validation::required_code(
        &mut errs,
        "status",
        input.status.as_deref(),
        PlanStatus::parse,
        PlanStatus::codes,
    );
    if input.version.is_none() {
        errs.add("version", "required", "is required");
    }
    errs.finish(()).map_err(AppError::Invalid)?;
    let (to, version) = match (to, input.version) {
        (Some(t), Some(v)) => (t, v),
        _ => return Err(AppError::Internal("checked status input".into())),
    };
    let plan = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let from = PlanStatus::parse(&plan.status).ok_or_else(|| corrupt("plan status"))?;
    if !from.can_move_to(to) {
        return Err(AppError::Conflict(format!(
            "a plan that is {} cannot become {}",
            from.code(),
            to.code()
        )));
    }
    let now = micros(tx.at());
    if !store::set_status(&mut tx, id, version, to.code(), now).await? {
        return Err(AppError::Conflict(
            "the plan has changed since it was read; read it again".into(),
        ));
    }
    if to == PlanStatus::Closed {
        let view = read(&mut tx, id, app.today()).await?;
        let frozen: Vec<SnapshotTarget> = view
            .targets()
            .map(|t| SnapshotTarget {
                id: t.id,
                figures: t.figures(),
            })
            .collect();
        let body = serde_json::to_string(&frozen)
            .map_err(|e| AppError::Internal(format!("snapshot: {e}")))?;
        store::insert_snapshot(
            &mut tx,
            &store::SnapshotRow {
                plan_id: id,
                taken_at: now,
                taken_by: actor.user_id(),
                digest: digest(&body),
                body,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Period sums read once per period within one plan read.
#[derive(Default)]
struct Counter(HashMap<(Date, Date), Sums>);

impl Counter {
    async fn sums(&mut self, tx: &mut Tx, from: Date, to: Date) -> Result<&Sums> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.0.entry((from, to)) {
            e.insert(vink_store::fact::sums(tx, from, to).await?);
        }
        self.0
            .get(&(from, to))
            .ok_or_else(|| AppError::Internal("sums".into()))
    }

    async fn count(&mut self, tx: &mut Tx, m: Metric, from: Date, to: Date) -> Result<i64> {
        let s = self.sums(tx, from, to).await?;
        Ok(match evaluate(m, s, DEFAULT_TARGET_PERCENT) {
            Value::Count(n) => n,
            Value::Share(s) => s.numerator,
        })
    }
}

/// The same day `back` years earlier (29 February becomes the 28th).
fn years_back(d: Date, back: i16) -> Option<Date> {
    let y = d.year() - back;
    Date::new(y, d.month(), d.day())
        .or_else(|_| Date::new(y, d.month(), d.day() - 1))
        .ok()
}

fn corrupt(what: &str) -> AppError {
    AppError::Internal(format!("stored target: {what}"))
}

async fn attain(
    tx: &mut Tx,
    counter: &mut Counter,
    t: &TargetRow,
    latest: Option<&store::AssessmentRow>,
    today: Date,
) -> Result<TargetView> {
    let kind = TargetKind::parse(&t.kind).ok_or_else(|| corrupt("kind"))?;
    let metric = t
        .metric
        .as_deref()
        .map(|m| Metric::parse(m).ok_or_else(|| corrupt("metric")))
        .transpose()?;
    let denominator = t
        .denominator
        .as_deref()
        .map(|m| Metric::parse(m).ok_or_else(|| corrupt("denominator")))
        .transpose()?;
    let year = i16::try_from(t.year)
        .ok()
        .and_then(|y| YearView::of(y, today))
        .ok_or_else(|| corrupt("year"))?;
    let mut view = TargetView {
        id: t.id,
        year: t.year,
        text: t.text.clone(),
        kind: t.kind.clone(),
        metric: t.metric.clone(),
        denominator_metric: t.denominator.clone(),
        value: t.value,
        actual: None,
        share: None,
        status: TargetStatus::NotYetMeasurable.code().into(),
        forecast: None,
        assessment: None,
        suppressed: false,
        since_closing: None,
    };
    let goal = t.value.unwrap_or(0);
    match (kind, metric) {
        (TargetKind::Qualitative, _) => {
            if let Some(a) = latest {
                view.status = a.status.clone();
                view.assessment = Some(AssessmentView {
                    status: a.status.clone(),
                    note: a.note.clone(),
                    evidence: a.evidence.clone(),
                    assessed_at: vink_domain::concern::local_date(vink_store::instant(
                        a.assessed_at,
                    )?)
                    .to_string(),
                });
            }
        }
        (_, None) => return Err(corrupt("metric missing")),
        (_, Some(_)) if !year.started() => {}
        (TargetKind::Count | TargetKind::Distinct, Some(m)) => {
            let actual = counter.count(tx, m, year.first, year.to_date()).await?;
            let mut history = Vec::new();
            for back in 1..=HISTORY_YEARS {
                let (Some(first), Some(same), Some(last)) = (
                    years_back(year.first, back),
                    years_back(year.to_date(), back),
                    years_back(year.last, back),
                ) else {
                    continue;
                };
                history.push(PastYear {
                    year: first.year(),
                    to_date: counter.count(tx, m, first, same).await?,
                    total: counter.count(tx, m, first, last).await?,
                });
            }
            history.reverse();
            let f = forecast(m.rule(), actual, &year, &history);
            view.status = count_status(goal, actual, &year, f.value).code().into();
            view.actual = Some(actual);
            view.forecast = Some(f);
        }
        (TargetKind::Share, Some(m)) => {
            let share = match denominator {
                None => {
                    let s = counter.sums(tx, year.first, year.to_date()).await?;
                    match evaluate(m, s, goal) {
                        Value::Share(s) => s,
                        Value::Count(_) => return Err(corrupt("share metric")),
                    }
                }
                Some(d) => {
                    let num = counter.count(tx, m, year.first, year.to_date()).await?;
                    let den = counter.count(tx, d, year.first, year.to_date()).await?;
                    // Concerns not decided yet may still need local action.
                    let pending = if d == Metric::ConcernsNeedingLocalAction {
                        let s = counter.sums(tx, year.first, year.to_date()).await?;
                        vink_domain::key_figures::undecided(s)
                    } else {
                        0
                    };
                    Share::of(num, den, pending, 0, goal)
                }
            };
            view.status = share_status(&share, goal, &year).code().into();
            view.actual = share.percent;
            view.share = Some(ShareCounts {
                numerator: share.numerator,
                denominator: share.denominator,
                pending: share.pending,
            });
        }
    }
    Ok(view)
}
