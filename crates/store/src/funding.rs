//! Funding sources, grants, budget lines and spending. The tables are small
//! (a unit has a few grants a year and books its vouchers on a few lines);
//! sums are grouped in the database.

use uuid::Uuid;

use crate::{Authorized, Result, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SourceRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantRow {
    pub id: Uuid,
    pub source_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub title: String,
    pub total: i64,
    pub usable_from: i32,
    pub usable_to: i32,
    pub conditions: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineRow {
    pub id: Uuid,
    pub grant_id: Uuid,
    pub year: i32,
    pub amount: i64,
    pub focus_area_id: Option<Uuid>,
    pub intervention_id: Option<Uuid>,
    pub account: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SpendingRow {
    pub id: Uuid,
    pub line_id: Uuid,
    pub spent_on: String,
    pub amount: i64,
    pub voucher: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
    pub created_by: Option<Uuid>,
}

/// A budget line with its grant, source and what was spent on it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineBalance {
    pub line_id: Uuid,
    pub year: i32,
    pub amount: i64,
    pub focus_area_id: Option<Uuid>,
    pub intervention_id: Option<Uuid>,
    pub account: Option<String>,
    pub grant_id: Uuid,
    pub grant_title: String,
    pub grant_total: i64,
    pub usable_from: i32,
    pub usable_to: i32,
    pub source_id: Uuid,
    pub source_name: String,
    pub source_kind: String,
    pub spent: i64,
}

const LINE_BALANCE: &str = "SELECT l.id AS line_id, l.year, l.amount, l.focus_area_id, l.intervention_id, l.account,
        g.id AS grant_id, g.title AS grant_title, g.total AS grant_total, g.usable_from, g.usable_to,
        s.id AS source_id, s.name AS source_name, s.kind AS source_kind,
        CAST(COALESCE((SELECT SUM(x.amount) FROM spending x WHERE x.line_id = l.id), 0) AS BIGINT) AS spent
   FROM budget_lines l JOIN grants g ON g.id = l.grant_id JOIN funding_sources s ON s.id = g.source_id";

pub async fn source_by_name(tx: &mut Tx, name: &str) -> Result<Option<SourceRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, name, kind, created_at FROM funding_sources WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(c)
    .await?))
}

pub async fn source(tx: &mut Tx, id: Uuid) -> Result<Option<SourceRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, name, kind, created_at FROM funding_sources WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?))
}

pub async fn sources(tx: &mut Tx) -> Result<Vec<SourceRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, name, kind, created_at FROM funding_sources ORDER BY name LIMIT 1000"
    )
    .fetch_all(c)
    .await?))
}

pub async fn insert_source(tx: &mut Authorized, s: &SourceRow) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "INSERT INTO funding_sources (id, name, kind, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(s.id)
    .bind(&s.name)
    .bind(&s.kind)
    .bind(s.created_at)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn insert_grant(tx: &mut Authorized, g: &GrantRow, deadlines: &[String]) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO grants (id, source_id, plan_id, title, total, usable_from, usable_to, conditions, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(g.id)
    .bind(g.source_id)
    .bind(g.plan_id)
    .bind(&g.title)
    .bind(g.total)
    .bind(g.usable_from)
    .bind(g.usable_to)
    .bind(&g.conditions)
    .bind(g.created_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    for d in deadlines {
        on!(tx, |c| sqlx::query(
            "INSERT INTO grant_report_deadlines (id, grant_id, due_on) VALUES ($1, $2, $3)"
        )
        .bind(vink_domain::new_id())
        .bind(g.id)
        .bind(d)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(())
}

const GRANT_COLS: &str =
    "id, source_id, plan_id, title, total, usable_from, usable_to, conditions, created_at";

pub async fn grant(tx: &mut Tx, id: Uuid) -> Result<Option<GrantRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GRANT_COLS} FROM grants WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?))
}

pub async fn grants(tx: &mut Tx) -> Result<Vec<GrantRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GRANT_COLS} FROM grants ORDER BY usable_from DESC, title LIMIT 2000"
    )))
    .fetch_all(c)
    .await?))
}

pub async fn deadlines(tx: &mut Tx, grant: Uuid) -> Result<Vec<String>> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT due_on FROM grant_report_deadlines WHERE grant_id = $1 ORDER BY due_on"
    )
    .bind(grant)
    .fetch_all(c)
    .await?))
}

pub async fn insert_line(tx: &mut Authorized, l: &LineRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO budget_lines (id, grant_id, year, amount, account, note, created_at, updated_at, focus_area_id, intervention_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(l.id)
    .bind(l.grant_id)
    .bind(l.year)
    .bind(l.amount)
    .bind(&l.account)
    .bind(&l.note)
    .bind(l.created_at)
    .bind(l.updated_at)
    .bind(l.focus_area_id)
    .bind(l.intervention_id)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn line(tx: &mut Tx, id: Uuid) -> Result<Option<LineRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT id, grant_id, year, amount, focus_area_id, intervention_id, account, note, created_at, updated_at
           FROM budget_lines WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?
    }))
}

/// Replaces a line's year, amount, account and note.
pub async fn update_line(tx: &mut Authorized, l: &LineRow) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE budget_lines SET year = $2, amount = $3, account = $4, note = $5, updated_at = $6,
                focus_area_id = $7, intervention_id = $8
          WHERE id = $1"
    )
    .bind(l.id)
    .bind(l.year)
    .bind(l.amount)
    .bind(&l.account)
    .bind(&l.note)
    .bind(l.updated_at)
    .bind(l.focus_area_id)
    .bind(l.intervention_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// The lines booked on an account in a year (a spending file's rows name
/// their line this way).
pub async fn lines_by_account(tx: &mut Tx, account: &str, year: i32) -> Result<Vec<Uuid>> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM budget_lines WHERE account = $1 AND year = $2"
    )
    .bind(account)
    .bind(year)
    .fetch_all(c)
    .await?))
}

pub async fn insert_spending(tx: &mut Authorized, s: &SpendingRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO spending (id, line_id, spent_on, amount, voucher, note, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(s.id)
    .bind(s.line_id)
    .bind(&s.spent_on)
    .bind(s.amount)
    .bind(&s.voucher)
    .bind(&s.note)
    .bind(s.created_at)
    .bind(s.created_by)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The lines of a plan's grants in the plan's years, with what was spent.
pub async fn plan_lines(tx: &mut Tx, plan: Uuid, from: i32, to: i32) -> Result<Vec<LineBalance>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINE_BALANCE} WHERE g.plan_id = $1 AND l.year >= $2 AND l.year <= $3
          ORDER BY s.kind, s.name, g.title, l.year"
    )))
    .bind(plan)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?))
}

/// Every line of a grant, with what was spent.
pub async fn grant_lines(tx: &mut Tx, grant: Uuid) -> Result<Vec<LineBalance>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINE_BALANCE} WHERE g.id = $1 ORDER BY l.year, l.id"
    )))
    .bind(grant)
    .fetch_all(c)
    .await?))
}

/// Budget and spending per year and source, for the funding history.
pub async fn history(tx: &mut Tx) -> Result<Vec<(i32, String, String, i64, i64)>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT l.year, s.name, s.kind, CAST(SUM(l.amount) AS BIGINT),
                CAST(COALESCE(SUM((SELECT SUM(x.amount) FROM spending x WHERE x.line_id = l.id)), 0) AS BIGINT)
           FROM budget_lines l JOIN grants g ON g.id = l.grant_id JOIN funding_sources s ON s.id = g.source_id
          GROUP BY l.year, s.name, s.kind ORDER BY l.year, s.kind, s.name"
    )
    .fetch_all(c)
    .await?
    }))
}

/// A report deadline not reminded of yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueReport {
    pub id: Uuid,
    pub grant_id: Uuid,
    pub title: String,
    pub due_on: String,
}

/// Report deadlines due by `until` that nobody was reminded of.
pub async fn due_reports(tx: &mut Tx, until: &str) -> Result<Vec<DueReport>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT d.id, d.grant_id, g.title, d.due_on FROM grant_report_deadlines d
           JOIN grants g ON g.id = d.grant_id
          WHERE d.reminded = FALSE AND d.due_on <= $1 ORDER BY d.due_on LIMIT 500"
    )
    .bind(until)
    .fetch_all(c)
    .await?))
}

pub async fn mark_reminded(tx: &mut Authorized, id: Uuid) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE grant_report_deadlines SET reminded = TRUE WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// The grants that fund a plan.
pub async fn grants_of_plan(tx: &mut Tx, plan: Uuid) -> Result<Vec<GrantRow>> {
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GRANT_COLS} FROM grants WHERE plan_id = $1 ORDER BY created_at, id"
    )))
    .bind(plan)
    .fetch_all(c)
    .await?))
}

/// A grant's lines as stored, by year.
pub async fn lines_of_grant(tx: &mut Tx, grant: Uuid) -> Result<Vec<LineRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT id, grant_id, year, amount, focus_area_id, intervention_id, account, note, created_at, updated_at
           FROM budget_lines WHERE grant_id = $1 ORDER BY year, created_at, id"
    )
    .bind(grant)
    .fetch_all(c)
    .await?
    }))
}
