//! Funding sources, grants, budget lines and spending, and the budget views
//! of a plan: per source and year (the plan's Tabel 2 for municipal budget
//! agreements, Tabel 3 for the state pool), spent against budget per line,
//! what remains of each grant, and the funding history across years.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::funding::{
    Balance, BudgetLine, BudgetLineInput, FundingKind, FundingSource, FundingSourceInput, Grant,
    GrantInput, SpendingInput, check_grant, check_line, check_source, check_spending,
};
use vink_domain::money::{Ore, split_over_years};
use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;
use vink_store::funding::{self as store, GrantRow, LineBalance, LineRow, SourceRow, SpendingRow};
use vink_store::{Authorized, micros};

use crate::{App, AppError, Result};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

/// A grant with its lines and what remains of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantView {
    pub id: Uuid,
    pub source: SourceView,
    pub plan: Option<Uuid>,
    pub title: String,
    /// Øre.
    pub total: i64,
    pub usable_from: i32,
    pub usable_to: i32,
    pub conditions: Option<String>,
    pub report_deadlines: Vec<String>,
    pub lines: Vec<LineView>,
    /// The total less the lines (øre): not yet budgeted.
    pub unallocated: i64,
    /// The total less what was spent on its lines (øre).
    pub remaining: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    pub id: Uuid,
    pub year: i32,
    pub account: Option<String>,
    #[serde(flatten)]
    pub balance: Balance,
}

/// One source's money in one year of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceYear {
    pub year: i32,
    #[serde(flatten)]
    pub balance: Balance,
}

/// A source's row in a plan's budget table.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceBudget {
    pub source: SourceView,
    /// The grants of the source, by title (state pool grants are listed by
    /// purpose, as in Tabel 3).
    pub grants: Vec<GrantBudget>,
    pub years: Vec<SourceYear>,
    #[serde(flatten)]
    pub total: Balance,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantBudget {
    pub id: Uuid,
    pub title: String,
    pub usable_from: i32,
    pub usable_to: i32,
    pub years: Vec<SourceYear>,
    #[serde(flatten)]
    pub total: Balance,
}

/// A budget table: its sources, and the totals per year and overall.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetTable {
    pub sources: Vec<SourceBudget>,
    pub years: Vec<SourceYear>,
    #[serde(flatten)]
    pub total: Balance,
}

/// A plan's budget in øre: Tabel 2 (municipal budget agreements), Tabel 3
/// (state pool grants) and the rest (ministry grants, other).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanBudget {
    pub plan: Uuid,
    pub from_year: i32,
    pub to_year: i32,
    pub municipal_budget: BudgetTable,
    pub state_pool: BudgetTable,
    pub other: BudgetTable,
    /// The lines said to be for a focus area, summed per focus area.
    pub by_focus_area: Vec<AreaBudget>,
    #[serde(flatten)]
    pub total: Balance,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaBudget {
    pub focus_area: Uuid,
    pub title: String,
    #[serde(flatten)]
    pub balance: Balance,
}

/// One year and source of the funding history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryRow {
    pub year: i32,
    pub source: String,
    pub kind: String,
    #[serde(flatten)]
    pub balance: Balance,
}

fn source_view(r: SourceRow) -> SourceView {
    SourceView {
        id: r.id,
        name: r.name,
        kind: r.kind,
    }
}

/// Finds the source by name or registers it (plan files name sources).
async fn source_id(tx: &mut Authorized, s: &FundingSource, now: i64) -> Result<Uuid> {
    if let Some(r) = store::source_by_name(tx, &s.name).await? {
        return Ok(r.id);
    }
    let id = vink_domain::new_id();
    store::insert_source(
        tx,
        &SourceRow {
            id,
            name: s.name.clone(),
            kind: s.kind.code().into(),
            created_at: now,
        },
    )
    .await?;
    Ok(id)
}

/// A plan's focus areas with their interventions, in order: what a plan
/// file's line positions (`place`) name.
pub(crate) type Places = Vec<(Uuid, Vec<Uuid>)>;

/// Writes a checked grant with its lines (plan import).
pub(crate) async fn insert_grant(
    tx: &mut Authorized,
    source: &FundingSource,
    g: &Grant,
    lines: &[BudgetLine],
    plan: Option<(Uuid, &Places)>,
    now: i64,
) -> Result<Uuid> {
    let source_id = source_id(tx, source, now).await?;
    write_grant(tx, source_id, g, lines, plan, now).await
}

async fn write_grant(
    tx: &mut Authorized,
    source_id: Uuid,
    g: &Grant,
    lines: &[BudgetLine],
    plan: Option<(Uuid, &Places)>,
    now: i64,
) -> Result<Uuid> {
    let places = plan.map(|(_, p)| p);
    let plan = plan.map(|(id, _)| id);
    let id = vink_domain::new_id();
    let deadlines: Vec<String> = g.report_deadlines.iter().map(ToString::to_string).collect();
    store::insert_grant(
        tx,
        &GrantRow {
            id,
            source_id,
            plan_id: plan,
            title: g.title.clone(),
            total: g.total.0,
            usable_from: g.usable_from.into(),
            usable_to: g.usable_to.into(),
            conditions: g.conditions.clone(),
            created_at: now,
        },
        &deadlines,
    )
    .await?;
    for l in lines {
        let (focus_area_id, intervention_id) = match (l.place, places) {
            (Some((f, iv)), Some(places)) => {
                let area = places.get(f);
                (
                    area.map(|a| a.0),
                    iv.and_then(|i| area.and_then(|a| a.1.get(i).copied())),
                )
            }
            _ => (None, None),
        };
        store::insert_line(
            tx,
            &LineRow {
                id: vink_domain::new_id(),
                grant_id: id,
                year: l.year.into(),
                amount: l.amount.0,
                focus_area_id,
                intervention_id,
                account: l.account.clone(),
                note: l.note.clone(),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    Ok(id)
}

/// Registers a funding source.
pub async fn create_source(app: &App, actor: &Actor, input: &FundingSourceInput) -> Result<Uuid> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::FundingManage, &Resource::None, None)
        .await?;
    let s = check_source(input).map_err(AppError::Invalid)?;
    if store::source_by_name(&mut tx, &s.name).await?.is_some() {
        let mut e = FieldErrors::new();
        e.add("name", "name_taken", "a funding source has this name");
        return Err(AppError::Invalid(e));
    }
    let now = micros(tx.at());
    let id = source_id(&mut tx, &s, now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn sources(app: &App, actor: &Actor) -> Result<Vec<SourceView>> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::FundingRead, &Resource::None, None)
        .await?;
    let rows = store::sources(&mut tx).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(source_view).collect())
}

/// Registers a grant; unless `split` is false, its total is split over its
/// years into budget lines at once (editable afterwards).
pub async fn create_grant(app: &App, actor: &Actor, input: &GrantInput) -> Result<Uuid> {
    let id_hint = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::FundingManage,
            &Resource::None,
            Some(RecordRef::grant(id_hint)),
        )
        .await?;
    let g = check_grant(input).map_err(AppError::Invalid)?;
    let source = match input.source {
        Some(s) => store::source(&mut tx, s).await?,
        None => None,
    };
    let mut errs = FieldErrors::new();
    if source.is_none() {
        errs.add("source", "unknown", "no such funding source");
    }
    if let Some(p) = input.plan
        && vink_store::plan::get(&mut tx, p).await?.is_none()
    {
        errs.add("plan", "unknown", "no such plan");
    }
    errs.finish(()).map_err(AppError::Invalid)?;
    let source = source.ok_or(AppError::NotFound)?;
    let lines: Vec<BudgetLine> = if input.split == Some(false) {
        Vec::new()
    } else {
        split_over_years(g.total, g.usable_from..=g.usable_to)
            .into_iter()
            .map(|(year, amount)| BudgetLine {
                year,
                amount,
                account: None,
                note: None,
                place: None,
            })
            .collect()
    };
    let now = micros(tx.at());
    let none = Places::new();
    let id = write_grant(
        &mut tx,
        source.id,
        &g,
        &lines,
        input.plan.map(|p| (p, &none)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn grant_of(r: &GrantRow) -> Result<Grant> {
    let year = |y: i32| i16::try_from(y).map_err(|_| AppError::Internal("grant year".into()));
    Ok(Grant {
        title: r.title.clone(),
        total: Ore(r.total),
        usable_from: year(r.usable_from)?,
        usable_to: year(r.usable_to)?,
        conditions: r.conditions.clone(),
        report_deadlines: Vec::new(),
    })
}

/// Adds a budget line to a grant (its year within the grant's usage period).
pub async fn add_line(
    app: &App,
    actor: &Actor,
    grant: Uuid,
    input: &BudgetLineInput,
) -> Result<Uuid> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::FundingManage,
            &Resource::None,
            Some(RecordRef::grant(grant)),
        )
        .await?;
    let g = store::grant(&mut tx, grant)
        .await?
        .ok_or(AppError::NotFound)?;
    let l = check_line(input, &grant_of(&g)?).map_err(AppError::Invalid)?;
    let (focus_area_id, intervention_id) = place(&mut tx, &g, input).await?;
    let id = vink_domain::new_id();
    let now = micros(tx.at());
    store::insert_line(
        &mut tx,
        &LineRow {
            id,
            grant_id: grant,
            year: l.year.into(),
            amount: l.amount.0,
            focus_area_id,
            intervention_id,
            account: l.account,
            note: l.note,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What in the grant's plan a line is for: the focus area and intervention
/// named must be that plan's (an intervention alone names its area too).
async fn place(
    tx: &mut Authorized,
    g: &GrantRow,
    input: &BudgetLineInput,
) -> Result<(Option<Uuid>, Option<Uuid>)> {
    if input.focus_area.is_none() && input.intervention.is_none() {
        return Ok((None, None));
    }
    let mut e = FieldErrors::new();
    let Some(plan) = g.plan_id else {
        e.add("focus_area", "no_plan", "the grant funds no plan");
        return Err(AppError::Invalid(e));
    };
    let areas = vink_store::plan::focus_areas(tx, plan).await?;
    let ivs = vink_store::plan::interventions(tx, plan).await?;
    let iv = match input.intervention {
        None => None,
        Some(i) => match ivs.iter().find(|x| x.id == i) {
            Some(x) => Some(x),
            None => {
                e.add(
                    "intervention",
                    "unknown",
                    "not an intervention of the grant's plan",
                );
                return Err(AppError::Invalid(e));
            }
        },
    };
    let area = input.focus_area.or(iv.map(|x| x.focus_area_id));
    match area {
        Some(a) if areas.iter().any(|x| x.id == a) && iv.is_none_or(|x| x.focus_area_id == a) => {
            Ok((Some(a), iv.map(|x| x.id)))
        }
        _ => {
            e.add(
                "focus_area",
                "unknown",
                "not a focus area of the grant's plan",
            );
            Err(AppError::Invalid(e))
        }
    }
}

/// Replaces a budget line's year, amount, account and note.
pub async fn update_line(
    app: &App,
    actor: &Actor,
    line: Uuid,
    input: &BudgetLineInput,
) -> Result<()> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::FundingManage, &Resource::None, None)
        .await?;
    let old = store::line(&mut tx, line)
        .await?
        .ok_or(AppError::NotFound)?;
    let g = store::grant(&mut tx, old.grant_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let l = check_line(input, &grant_of(&g)?).map_err(AppError::Invalid)?;
    let (focus_area_id, intervention_id) = place(&mut tx, &g, input).await?;
    let now = micros(tx.at());
    store::update_line(
        &mut tx,
        &LineRow {
            year: l.year.into(),
            amount: l.amount.0,
            focus_area_id,
            intervention_id,
            account: l.account,
            note: l.note,
            updated_at: now,
            ..old
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Books a spending entry on a line. Going beyond the line is allowed; the
/// views flag it.
pub async fn add_spending(
    app: &App,
    actor: &Actor,
    line: Uuid,
    input: &SpendingInput,
) -> Result<Uuid> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::FundingManage, &Resource::None, None)
        .await?;
    if store::line(&mut tx, line).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let s = check_spending(input, app.today()).map_err(AppError::Invalid)?;
    let id = vink_domain::new_id();
    insert_spending(&mut tx, actor, line, &s, id).await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn insert_spending(
    tx: &mut Authorized,
    actor: &Actor,
    line: Uuid,
    s: &vink_domain::funding::Spending,
    id: Uuid,
) -> Result<()> {
    let now = micros(tx.at());
    store::insert_spending(
        tx,
        &SpendingRow {
            id,
            line_id: line,
            spent_on: s.spent_on.to_string(),
            amount: s.amount.0,
            voucher: s.voucher.clone(),
            note: s.note.clone(),
            created_at: now,
            created_by: actor.user_id(),
        },
    )
    .await?;
    Ok(())
}

/// Every grant with its lines and what remains.
pub async fn grants(app: &App, actor: &Actor) -> Result<Vec<GrantView>> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::FundingRead, &Resource::None, None)
        .await?;
    let rows = store::grants(&mut tx).await?;
    let sources: BTreeMap<Uuid, SourceRow> = store::sources(&mut tx)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for g in rows {
        let lines = store::grant_lines(&mut tx, g.id).await?;
        let deadlines = store::deadlines(&mut tx, g.id).await?;
        let source = sources
            .get(&g.source_id)
            .cloned()
            .map(source_view)
            .ok_or_else(|| AppError::Internal("grant without source".into()))?;
        let budgeted: i64 = lines.iter().map(|l| l.amount).sum();
        let spent: i64 = lines.iter().map(|l| l.spent).sum();
        out.push(GrantView {
            id: g.id,
            source,
            plan: g.plan_id,
            title: g.title,
            total: g.total,
            usable_from: g.usable_from,
            usable_to: g.usable_to,
            conditions: g.conditions,
            report_deadlines: deadlines,
            lines: lines
                .iter()
                .map(|l| LineView {
                    id: l.line_id,
                    year: l.year,
                    account: l.account.clone(),
                    balance: Balance::of(Ore(l.amount), Ore(l.spent)),
                })
                .collect(),
            unallocated: g.total - budgeted,
            remaining: g.total - spent,
        });
    }
    tx.commit().await?;
    Ok(out)
}

fn balance<'a>(lines: impl Iterator<Item = &'a LineBalance>) -> Balance {
    let (b, s) = lines.fold((0, 0), |(b, s), l| (b + l.amount, s + l.spent));
    Balance::of(Ore(b), Ore(s))
}

fn years_of(lines: &[&LineBalance], from: i32, to: i32) -> Vec<SourceYear> {
    (from..=to)
        .map(|year| SourceYear {
            year,
            balance: balance(lines.iter().copied().filter(|l| l.year == year)),
        })
        .collect()
}

fn table(lines: Vec<&LineBalance>, from: i32, to: i32) -> BudgetTable {
    let mut by_source: BTreeMap<(String, Uuid), Vec<&LineBalance>> = BTreeMap::new();
    for l in &lines {
        by_source
            .entry((l.source_name.clone(), l.source_id))
            .or_default()
            .push(l);
    }
    let sources = by_source
        .into_values()
        .map(|ls| {
            let first = ls[0];
            let mut by_grant: BTreeMap<(String, Uuid), Vec<&LineBalance>> = BTreeMap::new();
            for l in &ls {
                by_grant
                    .entry((l.grant_title.clone(), l.grant_id))
                    .or_default()
                    .push(l);
            }
            SourceBudget {
                source: SourceView {
                    id: first.source_id,
                    name: first.source_name.clone(),
                    kind: first.source_kind.clone(),
                },
                grants: by_grant
                    .into_values()
                    .map(|gl| GrantBudget {
                        id: gl[0].grant_id,
                        title: gl[0].grant_title.clone(),
                        usable_from: gl[0].usable_from,
                        usable_to: gl[0].usable_to,
                        years: years_of(&gl, from, to),
                        total: balance(gl.iter().copied()),
                    })
                    .collect(),
                years: years_of(&ls, from, to),
                total: balance(ls.iter().copied()),
            }
        })
        .collect();
    BudgetTable {
        sources,
        years: years_of(&lines, from, to),
        total: balance(lines.iter().copied()),
    }
}

/// A plan's budget per funding source and year, with spent and remaining.
pub async fn plan_budget(app: &App, actor: &Actor, plan: Uuid) -> Result<PlanBudget> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(
            tx,
            actor,
            Action::FundingRead,
            &Resource::None,
            Some(RecordRef::plan(plan)),
        )
        .await?;
    let p = vink_store::plan::get(&mut tx, plan)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = store::plan_lines(&mut tx, plan, p.from_year, p.to_year).await?;
    let areas = vink_store::plan::focus_areas(&mut tx, plan).await?;
    tx.commit().await?;
    let by_focus_area = areas
        .into_iter()
        .filter_map(|a| {
            let mine: Vec<&LineBalance> = lines
                .iter()
                .filter(|l| l.focus_area_id == Some(a.id))
                .collect();
            (!mine.is_empty()).then(|| AreaBudget {
                focus_area: a.id,
                title: a.title,
                balance: balance(mine.into_iter()),
            })
        })
        .collect();
    let kind = |l: &&LineBalance| FundingKind::parse(&l.source_kind);
    let pick = |k: &[FundingKind]| -> Vec<&LineBalance> {
        lines
            .iter()
            .filter(|l| kind(l).is_some_and(|x| k.contains(&x)))
            .collect()
    };
    Ok(PlanBudget {
        plan,
        from_year: p.from_year,
        to_year: p.to_year,
        municipal_budget: table(
            pick(&[FundingKind::MunicipalBudget]),
            p.from_year,
            p.to_year,
        ),
        state_pool: table(pick(&[FundingKind::StatePool]), p.from_year, p.to_year),
        other: table(
            pick(&[FundingKind::MinistryGrant, FundingKind::Other]),
            p.from_year,
            p.to_year,
        ),
        by_focus_area,
        total: balance(lines.iter()),
    })
}

/// Budget and spending per year and source, every year recorded.
pub async fn history(app: &App, actor: &Actor) -> Result<Vec<HistoryRow>> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::FundingRead, &Resource::None, None)
        .await?;
    let rows = store::history(&mut tx).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(year, source, kind, budget, spent)| HistoryRow {
            year,
            source,
            kind,
            balance: Balance::of(Ore(budget), Ore(spent)),
        })
        .collect())
}
