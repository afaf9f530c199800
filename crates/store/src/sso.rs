//! Single sign-on: log-in attempts waiting for the provider's answer,
//! the link from a provider's identity to a vink user, and access requests
//! awaiting an administrator. An attempt is taken by a `DELETE …
//! RETURNING`, so of N racing callbacks with the same state exactly one
//! gets it.

use uuid::Uuid;

use crate::user::UserRow;
use crate::{Authorized, Result, Tx, on};

/// A log-in sent to the provider, as the callback needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub state_hash: String,
    pub nonce: String,
    pub verifier: String,
    /// `login` or `confirm`.
    pub purpose: String,
    pub session_hash: Option<String>,
    pub next_path: String,
    pub created_at: i64,
}

pub async fn insert_attempt(tx: &mut Tx, a: &AttemptRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO sign_on_attempts (state_hash, nonce, verifier, purpose, session_hash, next_path, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(&a.state_hash)
    .bind(&a.nonce)
    .bind(&a.verifier)
    .bind(&a.purpose)
    .bind(&a.session_hash)
    .bind(&a.next_path)
    .bind(a.created_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// Takes the attempt with this state: it is gone afterwards, for whoever
/// asks next.
pub async fn take_attempt(tx: &mut Tx, state_hash: &str) -> Result<Option<AttemptRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "DELETE FROM sign_on_attempts WHERE state_hash = $1
         RETURNING state_hash, nonce, verifier, purpose, session_hash, next_path, created_at"
    )
    .bind(state_hash)
    .fetch_optional(c)
    .await?))
}

/// Removes attempts begun before `cutoff` (never answered).
pub async fn delete_attempts_before(tx: &mut Tx, cutoff: i64) -> Result<u64> {
    Ok(on!(tx, |c| sqlx::query(
        "DELETE FROM sign_on_attempts WHERE created_at < $1"
    )
    .bind(cutoff)
    .execute(c)
    .await?
    .rows_affected()))
}

/// The vink user a provider's identity logs in as.
pub async fn identity_user(tx: &mut Tx, issuer: &str, subject: &str) -> Result<Option<UserRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, u.agency_id, u.password_hash, u.active, u.created_at
         FROM external_identities e JOIN users u ON u.id = e.user_id
         WHERE e.issuer = $1 AND e.subject = $2"
    )
    .bind(issuer)
    .bind(subject)
    .fetch_optional(c)
    .await?
    }))
}

/// Links an identity to a user (once: a second link of the same identity
/// fails on the key).
pub async fn link_identity(
    tx: &mut Authorized,
    issuer: &str,
    subject: &str,
    user_id: Uuid,
    now: i64,
) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "INSERT INTO external_identities (issuer, subject, user_id, created_at, last_login_at)
         VALUES ($1, $2, $3, $4, $4)"
    )
    .bind(issuer)
    .bind(subject)
    .bind(user_id)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn touch_identity(
    tx: &mut Authorized,
    issuer: &str,
    subject: &str,
    now: i64,
) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE external_identities SET last_login_at = $1 WHERE issuer = $2 AND subject = $3"
    )
    .bind(now)
    .bind(issuer)
    .bind(subject)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Whether the user logs in through the provider.
pub async fn has_identity(tx: &mut Tx, user_id: Uuid) -> Result<bool> {
    let n: i64 = on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM external_identities WHERE user_id = $1"
    )
    .bind(user_id)
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

/// Changes the name the provider gives the person.
pub async fn set_display_name(tx: &mut Authorized, user_id: Uuid, name: &str) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE users SET display_name = $1 WHERE id = $2"
    )
    .bind(name)
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Someone waiting for an administrator to give them access.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRequestRow {
    pub id: Uuid,
    pub issuer: String,
    pub subject: String,
    pub display_name: String,
    pub username_hint: Option<String>,
    pub email: Option<String>,
    pub requested_at: i64,
    pub last_seen_at: i64,
}

/// Records (or refreshes) a request for access.
pub async fn upsert_access_request(tx: &mut Tx, r: &AccessRequestRow) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO access_requests (id, issuer, subject, display_name, username_hint, email, requested_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (issuer, subject) DO UPDATE SET display_name = excluded.display_name,
            username_hint = excluded.username_hint, email = excluded.email, last_seen_at = excluded.last_seen_at"
    )
    .bind(r.id)
    .bind(&r.issuer)
    .bind(&r.subject)
    .bind(&r.display_name)
    .bind(&r.username_hint)
    .bind(&r.email)
    .bind(r.requested_at)
    .bind(r.last_seen_at)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The oldest waiting requests, at most `limit`.
pub async fn access_requests(tx: &mut Tx, limit: i64) -> Result<Vec<AccessRequestRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, issuer, subject, display_name, username_hint, email, requested_at, last_seen_at
         FROM access_requests ORDER BY requested_at, id LIMIT $1"
    )
    .bind(limit)
    .fetch_all(c)
    .await?))
}

pub async fn access_request(tx: &mut Tx, id: Uuid) -> Result<Option<AccessRequestRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT id, issuer, subject, display_name, username_hint, email, requested_at, last_seen_at
         FROM access_requests WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// Takes a request off the list; false when someone else already did.
pub async fn delete_access_request(tx: &mut Authorized, id: Uuid) -> Result<bool> {
    Ok(on!(tx, |c| sqlx::query(
        "DELETE FROM access_requests WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await?
    .rows_affected())
        == 1)
}

/// Removes every link of a user to the provider; how many there were.
pub async fn unlink_user(tx: &mut Authorized, user_id: Uuid) -> Result<u64> {
    Ok(on!(tx, |c| sqlx::query(
        "DELETE FROM external_identities WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected()))
}
