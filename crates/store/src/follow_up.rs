//! The 6- and 12-month follow-ups of completed courses, and the facts the
//! outcome figures count.

use uuid::Uuid;
use vink_domain::policy::CourseScope;

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Order, Result, Tx, on};

pub async fn insert_follow_up(
    tx: &mut Authorized,
    id: Uuid,
    course_id: Uuid,
    kind: &str,
    due_on: &str,
) -> Result<()> {
    on!(tx, |x| sqlx::query(
        "INSERT INTO follow_ups (id, course_id, kind, due_on) VALUES ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(course_id)
    .bind(kind)
    .bind(due_on)
    .execute(x)
    .await?
    .rows_affected());
    Ok(())
}

/// Marks the open follow-up of a kind as recorded by an assessment; false when
/// there is none open.
pub async fn record(
    tx: &mut Authorized,
    course_id: Uuid,
    kind: &str,
    assessment_id: Uuid,
    at: i64,
) -> Result<bool> {
    Ok(on!(tx, |x| sqlx::query(
        "UPDATE follow_ups SET assessment_id = $1, recorded_at = $2
         WHERE course_id = $3 AND kind = $4 AND recorded_at IS NULL"
    )
    .bind(assessment_id)
    .bind(at)
    .bind(course_id)
    .bind(kind)
    .execute(x)
    .await?
    .rows_affected())
        > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpRow {
    pub id: Uuid,
    pub course_id: Uuid,
    pub kind: String,
    pub due_on: String,
    pub recorded_at: Option<i64>,
    pub course_kind: String,
    pub person_name: Option<String>,
    pub corps_member_name: Option<String>,
}

/// Open follow-ups in scope due on or before `until` (all open ones when
/// `until` is far ahead), earliest first or latest first.
pub async fn open_follow_ups(
    tx: &mut Tx,
    scope: CourseScope,
    (until, kind): (&str, Option<&str>),
    (order, after): (Order, Option<(&str, Uuid)>),
    limit: i64,
) -> Result<Vec<FollowUpRow>> {
    let (sql, w) = open_follow_ups_sql(scope, (until, kind), (order, after), limit);
    Ok(on!(tx, |x| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(x)
    .await?))
}

/// The worklist's SQL: open follow-ups by due date, over their index walked
/// either way, past `(due_on, id)` when continuing (keyset).
pub(crate) fn open_follow_ups_sql(
    scope: CourseScope,
    (until, kind): (&str, Option<&str>),
    (order, after): (Order, Option<(&str, Uuid)>),
    limit: i64,
) -> (String, Conditions) {
    let mut w = Conditions::default();
    w.push("f.recorded_at IS NULL".into());
    let u = w.param(Bind::Text(until.to_string()));
    w.push(format!("f.due_on <= {u}"));
    if let Some(k) = kind {
        let p = w.param(Bind::Text(k.to_string()));
        w.push(format!("f.kind = {p}"));
    }
    if let Some((due, id)) = after {
        let d = w.param(Bind::Text(due.to_string()));
        let i = w.param(Bind::Uuid(id));
        let past = match order {
            Order::Ascending => ">",
            Order::Descending => "<",
        };
        w.push(format!("(f.due_on, f.id) {past} ({d}, {i})"));
    }
    w.course_scope(scope, "c");
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT f.id, f.course_id, f.kind, f.due_on, f.recorded_at, c.kind AS course_kind, p.name AS person_name,
                cm.name AS corps_member_name
         FROM follow_ups f JOIN courses c ON c.id = f.course_id JOIN persons p ON p.id = c.person_id
         LEFT JOIN corps_members cm ON cm.id = c.corps_member_id{}
         ORDER BY {} LIMIT {l}",
        w.where_clause(),
        order.by(&["f.due_on", "f.id"])
    );
    (sql, w)
}

pub async fn of_course(tx: &mut Tx, course_id: Uuid) -> Result<Vec<(String, String, Option<i64>)>> {
    Ok(on!(tx, |x| sqlx::query_as(
        "SELECT kind, due_on, recorded_at FROM follow_ups WHERE course_id = $1 ORDER BY due_on"
    )
    .bind(course_id)
    .fetch_all(x)
    .await?))
}

/// One completed course ended within a period, with its follow-up answers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutcomeFact {
    pub kind: String,
    pub risk: Option<String>,
    pub occupation: Option<String>,
}

/// Completed courses that ended in `[from, to]`, with the answers recorded at
/// their risk and occupation follow-ups (absent while pending).
pub async fn outcome_facts(tx: &mut Tx, from: &str, to: &str) -> Result<Vec<OutcomeFact>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(
        "SELECT c.kind,
                (SELECT a.risk FROM follow_ups f JOIN course_assessments a ON a.id = f.assessment_id
                  WHERE f.course_id = c.id AND f.kind = 'risk') AS risk,
                (SELECT a.occupation FROM follow_ups f JOIN course_assessments a ON a.id = f.assessment_id
                  WHERE f.course_id = c.id AND f.kind = 'occupation') AS occupation
         FROM courses c WHERE c.status IN ('completed', 'discontinued') AND c.status = 'completed'
           AND c.ended_on >= $1 AND c.ended_on <= $2"
    )
    .bind(from)
    .bind(to)
    .fetch_all(x)
    .await?
    }))
}

/// Courses by kind for a period: running at some point in it, of which carried
/// over (started before it), completed in it and discontinued in it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KindCount {
    pub kind: String,
    pub running: i64,
    pub carried_over: i64,
    pub completed: i64,
    pub discontinued: i64,
}

pub async fn counts_by_kind(tx: &mut Tx, from: &str, to: &str) -> Result<Vec<KindCount>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(
        "SELECT c.kind,
                COUNT(*) AS running,
                SUM(CASE WHEN c.started_on < $1 THEN 1 ELSE 0 END) AS carried_over,
                SUM(CASE WHEN c.status = 'completed' AND c.ended_on <= $2 THEN 1 ELSE 0 END) AS completed,
                SUM(CASE WHEN c.status = 'discontinued' AND c.ended_on <= $2 THEN 1 ELSE 0 END) AS discontinued
         FROM courses c
         WHERE c.started_on IS NOT NULL AND c.started_on <= $2 AND (c.ended_on IS NULL OR c.ended_on >= $1)
         GROUP BY c.kind ORDER BY c.kind"
    )
    .bind(from)
    .bind(to)
    .fetch_all(x)
    .await?
    }))
}
