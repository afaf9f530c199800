//! The mentor and parent-coach corps: profiles, training, caseloads.

use uuid::Uuid;

use crate::{Authorized, Result, Tx, on};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CorpsMemberRow {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    /// Comma-separated, lower-case.
    pub languages: String,
    pub specialties: String,
    pub districts: String,
    pub max_caseload: i64,
    pub active: bool,
    pub created_at: i64,
}

pub async fn insert_member(tx: &mut Authorized, m: &CorpsMemberRow) -> Result<()> {
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO corps_members (id, user_id, name, kind, languages, specialties, districts, max_caseload, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(m.id)
    .bind(m.user_id)
    .bind(&m.name)
    .bind(&m.kind)
    .bind(&m.languages)
    .bind(&m.specialties)
    .bind(&m.districts)
    .bind(m.max_caseload)
    .bind(m.active)
    .bind(m.created_at)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// A member with the number of planned and active courses assigned now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberLoadRow {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    pub languages: String,
    pub specialties: String,
    pub districts: String,
    pub max_caseload: i64,
    pub active: bool,
    pub caseload: i64,
}

pub async fn members(tx: &mut Tx) -> Result<Vec<MemberLoadRow>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(
        "SELECT m.id, m.user_id, m.name, m.kind, m.languages, m.specialties, m.districts, m.max_caseload, m.active,
                (SELECT COUNT(*) FROM courses c WHERE c.corps_member_id = m.id AND c.status IN ('planned', 'active')) AS caseload
         FROM corps_members m ORDER BY m.name"
    )
    .fetch_all(x)
    .await?
    }))
}

pub async fn member(tx: &mut Tx, id: Uuid) -> Result<Option<MemberLoadRow>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(
        "SELECT m.id, m.user_id, m.name, m.kind, m.languages, m.specialties, m.districts, m.max_caseload, m.active,
                (SELECT COUNT(*) FROM courses c WHERE c.corps_member_id = m.id AND c.status IN ('planned', 'active')) AS caseload
         FROM corps_members m WHERE m.id = $1"
    )
    .bind(id)
    .fetch_optional(x)
    .await?
    }))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrainingRow {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub on_date: String,
}

pub async fn insert_training(
    tx: &mut Authorized,
    member_id: Uuid,
    t: &TrainingRow,
    at: i64,
) -> Result<()> {
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO corps_training (id, corps_member_id, kind, title, on_date, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(t.id)
    .bind(member_id)
    .bind(&t.kind)
    .bind(&t.title)
    .bind(&t.on_date)
    .bind(at)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn trainings(tx: &mut Tx, member_id: Uuid) -> Result<Vec<TrainingRow>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(
        "SELECT id, kind, title, on_date FROM corps_training WHERE corps_member_id = $1 ORDER BY on_date DESC"
    )
    .bind(member_id)
    .fetch_all(x)
    .await?
    }))
}

/// The member's current (planned or active) courses, for the profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub course_id: Uuid,
    pub kind: String,
    pub status: String,
    pub started_on: Option<String>,
}

pub async fn assignments(tx: &mut Tx, member_id: Uuid) -> Result<Vec<AssignmentRow>> {
    Ok(on!(tx, |x| sqlx::query_as(
        "SELECT id AS course_id, kind, status, started_on FROM courses
         WHERE corps_member_id = $1 AND status IN ('planned', 'active') ORDER BY started_on"
    )
    .bind(member_id)
    .fetch_all(x)
    .await?))
}
