//! Persons of concern and their links to concerns.

use uuid::Uuid;
use vink_domain::policy::ConcernScope;

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, Tx, on};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub name: Option<String>,
    pub birth: Option<String>,
    pub district: Option<String>,
    pub match_key: Option<String>,
    pub created_at: i64,
}

pub async fn insert_person(tx: &mut Authorized, p: &PersonRow) -> Result<()> {
    crate::deferred::insert(
        crate::AsTx::as_tx(tx),
        "persons",
        "id, name, birth, district, match_key, created_at",
        vec![vec![
            Bind::Uuid(p.id),
            Bind::OptText(p.name.clone()),
            Bind::OptText(p.birth.clone()),
            Bind::OptText(p.district.clone()),
            Bind::OptText(p.match_key.clone()),
            Bind::I64(p.created_at),
        ]],
    )
    .await?;
    crate::search::index_name(tx, p.id, p.name.as_deref()).await
}

pub async fn person_exists(tx: &mut Tx, id: Uuid) -> Result<bool> {
    let n: i64 = on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM persons WHERE id = $1"
    )
    .bind(id)
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

/// A person as linked to one concern, in the order entered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkedPerson {
    pub id: Uuid,
    pub name: Option<String>,
    pub birth: Option<String>,
    pub district: Option<String>,
    pub match_key: Option<String>,
    pub position: i64,
    /// The newest course started for this person from this concern, if any
    /// (index `courses_concern`, by key): read with the person, so the
    /// detail needs no statement of its own for it.
    pub course_id: Option<Uuid>,
}

pub async fn persons_of_concern(tx: &mut Tx, concern_id: Uuid) -> Result<Vec<LinkedPerson>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT p.id, p.name, p.birth, p.district, p.match_key, cp.position,
                (SELECT c.id FROM courses c WHERE c.concern_id = cp.concern_id
                   AND c.person_id = cp.person_id ORDER BY c.id DESC LIMIT 1) AS course_id
         FROM concern_persons cp JOIN persons p ON p.id = cp.person_id
         WHERE cp.concern_id = $1 ORDER BY cp.position"
    )
    .bind(concern_id)
    .fetch_all(c)
    .await?))
}

/// Another person record with the same exact-match key, and how many concerns it has.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MatchCandidate {
    pub id: Uuid,
    pub concern_count: i64,
    pub first_case_number: Option<String>,
}

/// Other person records with this key: suggestions for a human to confirm.
/// Only persons on concerns within `scope` are suggested, and the count and
/// case number name only concerns within it: a suggestion never reveals a
/// record its reader may not read.
pub async fn match_candidates(
    tx: &mut Tx,
    key: &str,
    except: Uuid,
    scope: ConcernScope,
) -> Result<Vec<MatchCandidate>> {
    let mut w = Conditions::default();
    let k = w.param(Bind::Text(key.to_string()));
    let e = w.param(Bind::Uuid(except));
    w.push(format!(
        "p.match_key = {k} AND p.id <> {e}
         AND NOT EXISTS (SELECT 1 FROM person_distinct d WHERE d.person_id = {e} AND d.other_id = p.id)"
    ));
    w.concern_scope(scope, "k");
    let sql = format!(
        "WITH visible AS (
            SELECT cp.person_id, k.case_number FROM persons p
              JOIN concern_persons cp ON cp.person_id = p.id
              JOIN concerns k ON k.id = cp.concern_id{})
         SELECT person_id AS id, COUNT(*) AS concern_count, MIN(case_number) AS first_case_number
           FROM visible GROUP BY person_id ORDER BY MIN(case_number) LIMIT 10",
        w.where_clause()
    );
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}

/// Records that two person records are different people (both directions);
/// false when that was already recorded.
pub async fn mark_distinct(
    tx: &mut Authorized,
    a: Uuid,
    b: Uuid,
    at: i64,
    by: Option<Uuid>,
) -> Result<bool> {
    let mut added = 0;
    for (x, y) in [(a, b), (b, a)] {
        added += on!(tx, |c| sqlx::query(
            "INSERT INTO person_distinct (person_id, other_id, decided_at, decided_by)
             VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, other_id) DO NOTHING"
        )
        .bind(x)
        .bind(y)
        .bind(at)
        .bind(by)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(added > 0)
}

/// Moves every course of one person record to another (a confirmed match);
/// returns the courses moved, for their timelines.
pub async fn move_courses(tx: &mut Authorized, from: Uuid, to: Uuid) -> Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = on!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM courses WHERE person_id = $1 ORDER BY id"
    )
    .bind(from)
    .fetch_all(c)
    .await?);
    on!(tx, |c| sqlx::query(
        "UPDATE courses SET person_id = $1 WHERE person_id = $2"
    )
    .bind(to)
    .bind(from)
    .execute(c)
    .await?
    .rows_affected());
    Ok(ids)
}

/// Re-points a concern's link from one person record to another (a confirmed
/// match); the old record is removed when nothing else refers to it.
pub async fn relink(tx: &mut Authorized, concern_id: Uuid, from: Uuid, to: Uuid) -> Result<bool> {
    let changed = on!(tx, |c| sqlx::query(
        "UPDATE concern_persons SET person_id = $1 WHERE concern_id = $2 AND person_id = $3"
    )
    .bind(to)
    .bind(concern_id)
    .bind(from)
    .execute(c)
    .await?
    .rows_affected());
    if changed == 0 {
        return Ok(false);
    }
    // The concern's list row names its first person (migration 0029).
    on!(tx, |c| sqlx::query(
        "UPDATE concerns SET first_person_id = $1 WHERE id = $2 AND first_person_id = $3"
    )
    .bind(to)
    .bind(concern_id)
    .bind(from)
    .execute(c)
    .await?
    .rows_affected());
    on!(tx, |c| {
        sqlx::query(
        "DELETE FROM person_distinct WHERE (person_id = $1 OR other_id = $1) AND NOT EXISTS (SELECT 1 FROM concern_persons WHERE person_id = $1)"
    )
    .bind(from)
    .execute(c).await?.rows_affected()
    });
    on!(tx, |c| {
        sqlx::query(
        "DELETE FROM person_name_tokens WHERE person_id = $1 AND NOT EXISTS (SELECT 1 FROM concern_persons WHERE person_id = $1)"
    )
    .bind(from)
    .execute(c).await?.rows_affected()
    });
    on!(tx, |c| {
        sqlx::query(
        "DELETE FROM persons WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM concern_persons WHERE person_id = $1)"
    )
    .bind(from)
    .execute(c).await?.rows_affected()
    });
    Ok(true)
}

pub async fn person(tx: &mut Tx, id: Uuid) -> Result<Option<PersonRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, name, birth, district, match_key, created_at FROM persons WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// The records that are about a person, for the per-person access report:
/// every concern naming them and every course of theirs (follow-ups,
/// contacts and assessments are audited as their course). Index look-ups:
/// `concern_persons_person`, `courses_person`.
pub async fn record_ids(tx: &mut Tx, person_id: Uuid) -> Result<Vec<(String, Uuid)>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT 'concern', concern_id FROM concern_persons WHERE person_id = $1
         UNION ALL
         SELECT 'course', id FROM courses WHERE person_id = $1"
    )
    .bind(person_id)
    .fetch_all(c)
    .await?))
}
