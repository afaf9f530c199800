//! Staff users, their server-side sessions and API tokens. Session ids and
//! tokens are stored only as hashes: a copy of the database logs nobody in.

use uuid::Uuid;

use crate::{Result, Tx, on};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<Uuid>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: i64,
}

const USER_COLS: &str =
    "id, username, display_name, role, agency_id, password_hash, active, created_at";

pub async fn insert_user(tx: &mut Tx, u: &UserRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO users (id, username, display_name, role, agency_id, password_hash, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(u.id)
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.role)
    .bind(u.agency_id)
    .bind(&u.password_hash)
    .bind(u.active)
    .bind(u.created_at)
    .execute(c).await?.rows_affected()
    });
    Ok(())
}

pub async fn user_by_name(tx: &mut Tx, username: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1");
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(username)
    .fetch_optional(c)
    .await?))
}

pub async fn user_by_id(tx: &mut Tx, id: Uuid) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await?))
}

pub async fn count_users(tx: &mut Tx) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM users"
    )
    .fetch_one(c)
    .await?))
}

pub async fn set_password(tx: &mut Tx, id: Uuid, hash: &str) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE users SET password_hash = $1 WHERE id = $2"
    )
    .bind(hash)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// A live session joined with its user, as the web layer needs it per request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: Uuid,
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<Uuid>,
    pub active: bool,
}

pub async fn insert_session(
    tx: &mut Tx,
    id_hash: &str,
    user_id: Uuid,
    csrf: &str,
    now: i64,
) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)"
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now)
    .execute(c).await?.rows_affected()
    });
    Ok(())
}

pub async fn session(tx: &mut Tx, id_hash: &str) -> Result<Option<SessionRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT s.user_id, s.csrf_token, s.last_seen_at, u.username, u.display_name, u.role, u.agency_id, u.active
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1"
    )
    .bind(id_hash)
    .fetch_optional(c)
    .await?
    }))
}

pub async fn touch_session(tx: &mut Tx, id_hash: &str, now: i64) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2"
    )
    .bind(now)
    .bind(id_hash)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn delete_session(tx: &mut Tx, id_hash: &str) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE id_hash = $1"
    )
    .bind(id_hash)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Removes sessions idle since before `cutoff`; run periodically.
pub async fn delete_idle_sessions(tx: &mut Tx, cutoff: i64) -> Result<u64> {
    Ok(on!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE last_seen_at < $1"
    )
    .bind(cutoff)
    .execute(c)
    .await?
    .rows_affected()))
}

pub async fn insert_token(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    hash: &str,
    now: i64,
) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// The active user behind a token hash, if the token is not revoked.
pub async fn user_by_token(tx: &mut Tx, hash: &str) -> Result<Option<UserRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, u.agency_id, u.password_hash, u.active, u.created_at
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    )
    .bind(hash)
    .fetch_optional(c)
    .await?
    }))
}
