//! Action plans with their focus areas, interventions, targets and the
//! assessments of qualitative targets. No actual value is stored for a
//! quantitative target: it is counted from facts when read.

use uuid::Uuid;

use crate::{Authorized, Result, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanRow {
    pub id: Uuid,
    pub title: String,
    pub from_year: i32,
    pub to_year: i32,
    pub status: String,
    /// JSON array of paragraphs.
    pub purposes: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FocusAreaRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub position: i32,
    pub title: String,
    pub level: String,
    pub effect: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InterventionRow {
    pub id: Uuid,
    pub focus_area_id: Uuid,
    pub position: i32,
    pub title: String,
    pub description: Option<String>,
    pub target_group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TargetRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub focus_area_id: Uuid,
    pub intervention_id: Option<Uuid>,
    pub position: i32,
    pub year: i32,
    pub text: String,
    pub kind: String,
    pub metric: Option<String>,
    pub denominator: Option<String>,
    pub value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssessmentRow {
    pub id: Uuid,
    pub target_id: Uuid,
    pub status: String,
    pub note: String,
    pub evidence: Option<String>,
    pub assessed_by: Option<Uuid>,
    pub assessed_at: i64,
}

/// A whole plan as written in one go (create and import).
#[derive(Debug, Clone, Default)]
pub struct PlanRows {
    pub plan: Option<PlanRow>,
    pub focus_areas: Vec<FocusAreaRow>,
    pub interventions: Vec<InterventionRow>,
    pub targets: Vec<TargetRow>,
}

const PLAN_COLS: &str =
    "id, title, from_year, to_year, status, purposes, version, created_at, updated_at";
const TARGET_COLS: &str = "id, plan_id, focus_area_id, intervention_id, position, year, text, kind, metric, denominator, value";

/// Plans whose years overlap `[from, to]`, other than `except`.
pub async fn overlapping(
    tx: &mut Tx,
    from: i32,
    to: i32,
    except: Option<Uuid>,
) -> Result<Vec<(Uuid, String)>> {
    let rows: Vec<(Uuid, String)> = on!(tx, |c| sqlx::query_as(
        "SELECT id, title FROM plans WHERE from_year <= $2 AND to_year >= $1 ORDER BY from_year"
    )
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?);
    Ok(rows
        .into_iter()
        .filter(|(id, _)| Some(*id) != except)
        .collect())
}

/// Writes a whole plan.
pub async fn insert(tx: &mut Authorized, rows: &PlanRows) -> Result<()> {
    if let Some(p) = &rows.plan {
        on!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO plans ({PLAN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(p.id)
        .bind(&p.title)
        .bind(p.from_year)
        .bind(p.to_year)
        .bind(&p.status)
        .bind(&p.purposes)
        .bind(p.version)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(c)
        .await?
        .rows_affected());
    }
    for f in &rows.focus_areas {
        on!(tx, |c| sqlx::query(
            "INSERT INTO plan_focus_areas (id, plan_id, position, title, level, effect)
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(f.id)
        .bind(f.plan_id)
        .bind(f.position)
        .bind(&f.title)
        .bind(&f.level)
        .bind(&f.effect)
        .execute(c)
        .await?
        .rows_affected());
    }
    for i in &rows.interventions {
        on!(tx, |c| {
            sqlx::query(
            "INSERT INTO plan_interventions (id, focus_area_id, position, title, description, target_group)
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(i.id)
        .bind(i.focus_area_id)
        .bind(i.position)
        .bind(&i.title)
        .bind(&i.description)
        .bind(&i.target_group)
        .execute(c)
        .await?
        .rows_affected()
        });
    }
    for t in &rows.targets {
        on!(tx, |c| {
            sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO plan_targets ({TARGET_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(t.id)
        .bind(t.plan_id)
        .bind(t.focus_area_id)
        .bind(t.intervention_id)
        .bind(t.position)
        .bind(t.year)
        .bind(&t.text)
        .bind(&t.kind)
        .bind(&t.metric)
        .bind(&t.denominator)
        .bind(t.value)
        .execute(c)
        .await?
        .rows_affected()
        });
    }
    Ok(())
}

/// Every plan, the newest period first (a unit has one a year or so: the
/// list is short by nature).
pub async fn list(tx: &mut Tx) -> Result<Vec<PlanRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PLAN_COLS} FROM plans ORDER BY from_year DESC, to_year DESC, id DESC LIMIT 500"
    )))
    .fetch_all(c)
    .await?))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<Option<PlanRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PLAN_COLS} FROM plans WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?))
}

pub async fn focus_areas(tx: &mut Tx, plan: Uuid) -> Result<Vec<FocusAreaRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, plan_id, position, title, level, effect FROM plan_focus_areas
          WHERE plan_id = $1 ORDER BY position"
    )
    .bind(plan)
    .fetch_all(c)
    .await?))
}

pub async fn interventions(tx: &mut Tx, plan: Uuid) -> Result<Vec<InterventionRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT i.id, i.focus_area_id, i.position, i.title, i.description, i.target_group
           FROM plan_interventions i JOIN plan_focus_areas f ON f.id = i.focus_area_id
          WHERE f.plan_id = $1 ORDER BY f.position, i.position"
    )
    .bind(plan)
    .fetch_all(c)
    .await?))
}

pub async fn targets(tx: &mut Tx, plan: Uuid) -> Result<Vec<TargetRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TARGET_COLS} FROM plan_targets WHERE plan_id = $1 ORDER BY position, year"
    )))
    .bind(plan)
    .fetch_all(c)
    .await?))
}

pub async fn target(tx: &mut Tx, id: Uuid) -> Result<Option<TargetRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TARGET_COLS} FROM plan_targets WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// The assessments of a plan's targets, oldest first per target.
pub async fn assessments(tx: &mut Tx, plan: Uuid) -> Result<Vec<AssessmentRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT a.id, a.target_id, a.status, a.note, a.evidence, a.assessed_by, a.assessed_at
           FROM target_assessments a JOIN plan_targets t ON t.id = a.target_id
          WHERE t.plan_id = $1 ORDER BY a.target_id, a.assessed_at, a.id"
    )
    .bind(plan)
    .fetch_all(c)
    .await?))
}

pub async fn insert_assessment(tx: &mut Authorized, a: &AssessmentRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO target_assessments (id, target_id, status, note, evidence, assessed_by, assessed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(a.id)
    .bind(a.target_id)
    .bind(&a.status)
    .bind(&a.note)
    .bind(&a.evidence)
    .bind(a.assessed_by)
    .bind(a.assessed_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// Moves a plan to `status` if it is still at `version`; whether it did.
/// Of two racing moves from the same version exactly one wins.
pub async fn set_status(
    tx: &mut Authorized,
    id: Uuid,
    version: i64,
    status: &str,
    now: i64,
) -> Result<bool> {
    let n = on!(tx, |c| sqlx::query(
        "UPDATE plans SET status = $3, version = version + 1, updated_at = $4
          WHERE id = $1 AND version = $2"
    )
    .bind(id)
    .bind(version)
    .bind(status)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SnapshotRow {
    pub plan_id: Uuid,
    pub taken_at: i64,
    pub taken_by: Option<Uuid>,
    pub body: String,
    pub digest: String,
}

pub async fn insert_snapshot(tx: &mut Authorized, s: &SnapshotRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO plan_snapshots (plan_id, taken_at, taken_by, body, digest) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(s.plan_id)
    .bind(s.taken_at)
    .bind(s.taken_by)
    .bind(&s.body)
    .bind(&s.digest)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn snapshot(tx: &mut Tx, plan: Uuid) -> Result<Option<SnapshotRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT plan_id, taken_at, taken_by, body, digest FROM plan_snapshots WHERE plan_id = $1"
    )
    .bind(plan)
    .fetch_optional(c)
    .await?))
}
