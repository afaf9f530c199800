//! Staff users, their server-side sessions and API tokens. Session ids and
//! tokens are stored only as hashes: a copy of the database logs nobody in.

use uuid::Uuid;

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, Tx, on};

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

pub async fn insert_user(tx: &mut Authorized, u: &UserRow) -> Result<()> {
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

pub async fn set_password(tx: &mut Authorized, id: Uuid, hash: &str) -> Result<()> {
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
    pub created_at: i64,
    pub last_seen_at: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<Uuid>,
    pub active: bool,
    /// When the session passed its second factor; none: not (yet).
    pub second_factor_at: Option<i64>,
    /// When the user last proved who they are in this session.
    pub confirmed_at: Option<i64>,
    /// Whether the user has a confirmed second factor.
    pub enrolled: bool,
}

/// Opens a session; `second_factor_at` is set at once where no second
/// factor is asked for, and left empty where one still must be given.
pub async fn insert_session(
    tx: &mut Authorized,
    id_hash: &str,
    user_id: Uuid,
    csrf: &str,
    now: i64,
    second_factor_at: Option<i64>,
) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, confirmed_at, second_factor_at)
         VALUES ($1, $2, $3, $4, $4, $4, $5)"
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now)
    .bind(second_factor_at)
    .execute(c).await?.rows_affected()
    });
    Ok(())
}

pub async fn session(tx: &mut Tx, id_hash: &str) -> Result<Option<SessionRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at, u.username, u.display_name, u.role, u.agency_id, u.active,
                s.second_factor_at, s.confirmed_at, (f.confirmed_at IS NOT NULL) AS enrolled
         FROM sessions s JOIN users u ON u.id = s.user_id
         LEFT JOIN second_factors f ON f.user_id = s.user_id
         WHERE s.id_hash = $1"
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

/// Removes sessions idle since before `idle_cutoff` or opened before
/// `created_cutoff` (the absolute lifetime); run periodically.
pub async fn delete_idle_sessions(
    tx: &mut Tx,
    idle_cutoff: i64,
    created_cutoff: i64,
) -> Result<u64> {
    Ok(on!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2"
    )
    .bind(idle_cutoff)
    .bind(created_cutoff)
    .execute(c)
    .await?
    .rows_affected()))
}

pub async fn insert_token(
    tx: &mut Authorized,
    id: Uuid,
    user_id: Uuid,
    hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(id)
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The user behind a token hash, if the token is neither revoked nor expired
/// at `now` (tokens from before expiry existed have none).
pub async fn user_by_token(tx: &mut Tx, hash: &str, now: i64) -> Result<Option<UserRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, u.agency_id, u.password_hash, u.active, u.created_at
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)"
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(c)
    .await?
    }))
}

/// Revokes every live token of a user at `now`; returns how many.
pub async fn revoke_tokens(tx: &mut Authorized, user_id: Uuid, now: i64) -> Result<u64> {
    Ok(on!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected()))
}

/// Revokes one token by its hash; false when it was unknown or already revoked.
pub async fn revoke_token(tx: &mut Authorized, hash: &str, now: i64) -> Result<bool> {
    Ok(on!(tx, |c| sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(hash)
    .execute(c)
    .await?
    .rows_affected())
        == 1)
}

/// The owner of a token hash, revoked or not (to audit a revocation).
pub async fn token_owner(tx: &mut Tx, hash: &str) -> Result<Option<Uuid>> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT user_id FROM api_tokens WHERE token_hash = $1"
    )
    .bind(hash)
    .fetch_optional(c)
    .await?))
}

/// Disables a user and ends all their sessions in the same transaction.
pub async fn disable_user(tx: &mut Authorized, user_id: Uuid) -> Result<bool> {
    let n = on!(tx, |c| sqlx::query(
        "UPDATE users SET active = FALSE WHERE id = $1 AND active = TRUE"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    on!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Users the demo did not create: `--demo` refuses to touch such a database.
pub async fn count_users_except(tx: &mut Tx, names: &[&str]) -> Result<i64> {
    let all: Vec<String> = on!(tx, |c| sqlx::query_scalar("SELECT username FROM users")
        .fetch_all(c)
        .await?);
    Ok(
        i64::try_from(all.iter().filter(|u| !names.contains(&u.as_str())).count())
            .unwrap_or(i64::MAX),
    )
}

/// A user as the administrator's list shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserListRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency: Option<String>,
    pub active: bool,
    /// API tokens neither revoked nor expired at `now`.
    pub live_tokens: i64,
    /// Whether the user has a confirmed second factor.
    pub second_factor: bool,
    /// Whether the user logs in through the single sign-on provider.
    pub single_sign_on: bool,
}

/// A user row as the administrator sees it; `$1` is now.
const USER_LIST_SQL: &str =
    "SELECT u.id, u.username, u.display_name, u.role, g.code AS agency, u.active,
        (SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id
           AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1)) AS live_tokens,
        (f.confirmed_at IS NOT NULL) AS second_factor,
        EXISTS (SELECT 1 FROM external_identities e WHERE e.user_id = u.id) AS single_sign_on
     FROM users u LEFT JOIN agencies g ON g.id = u.agency_id
     LEFT JOIN second_factors f ON f.user_id = u.id";

/// Every user, by name: a municipality has dozens to a few hundred staff.
pub async fn list_users(tx: &mut Tx, now: i64) -> Result<Vec<UserListRow>> {
    let sql = format!("{USER_LIST_SQL} ORDER BY u.username");
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(now)
    .fetch_all(c)
    .await?))
}

/// One user as the list shows them, by user name.
pub async fn user_summary(tx: &mut Tx, username: &str, now: i64) -> Result<Option<UserListRow>> {
    let sql = format!("{USER_LIST_SQL} WHERE u.username = $2");
    Ok(on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(now)
    .bind(username)
    .fetch_optional(c)
    .await?))
}

/// Changes a user's role and agency; their sessions end, so the new rights
/// apply from their next log-in.
pub async fn set_role(
    tx: &mut Authorized,
    user_id: Uuid,
    role: &str,
    agency: Option<Uuid>,
) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE users SET role = $1, agency_id = $2 WHERE id = $3"
    )
    .bind(role)
    .bind(agency)
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    end_sessions(tx, user_id).await
}

/// Ends every session of a user (after a password reset or role change).
pub async fn end_sessions(tx: &mut Authorized, user_id: Uuid) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Makes a disabled user able to log in again.
pub async fn enable_user(tx: &mut Authorized, user_id: Uuid) -> Result<bool> {
    let n = on!(tx, |c| sqlx::query(
        "UPDATE users SET active = TRUE WHERE id = $1 AND active = FALSE"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Display name and agency code of each of these users, for audit pages that
/// name actors and say "as which agency" (the user's agency now: audit rows
/// do not copy it). At most a page's worth of ids, one statement.
pub async fn actor_labels(
    tx: &mut Tx,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut w = Conditions::default();
    let ps: Vec<String> = ids.iter().map(|id| w.param(Bind::Uuid(*id))).collect();
    let sql = format!(
        "SELECT u.id, u.display_name, g.code FROM users u LEFT JOIN agencies g ON g.id = u.agency_id WHERE u.id IN ({})",
        ps.join(", ")
    );
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}
