//! Second factors, recovery codes and the sessions' proof-of-identity
//! times. Every change that must happen once (a code's step, a recovery
//! code) is a conditional update whose row count decides, so of N racing
//! requests with the same code exactly one is let in.

use uuid::Uuid;

use crate::{Authorized, Result, on};

/// A user's authenticator secret as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FactorRow {
    /// Base32, as the app was given it.
    pub secret: String,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

pub async fn factor(tx: &mut crate::Tx, user_id: Uuid) -> Result<Option<FactorRow>> {
    let mut row: Option<FactorRow> = on!(tx, |c| sqlx::query_as(
        "SELECT secret, confirmed_at, last_step FROM second_factors WHERE user_id = $1"
    )
    .bind(user_id)
    .fetch_optional(c)
    .await?);
    if let Some(r) = row.as_mut() {
        crate::sealed::open_in(
            tx,
            "second_factors.secret",
            &user_id.to_string(),
            &mut r.secret,
        )?;
    }
    Ok(row)
}

/// Whether the user has a confirmed second factor (the secret is not read,
/// so not decrypted).
pub async fn is_enrolled(tx: &mut crate::Tx, user_id: Uuid) -> Result<bool> {
    let n: i64 = on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL"
    )
    .bind(user_id)
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

/// Starts (or starts again) an enrolment: a new unconfirmed secret. A
/// confirmed factor is never replaced here (false): only a reset removes it.
pub async fn begin_enrolment(
    tx: &mut Authorized,
    user_id: Uuid,
    secret: &str,
    now: i64,
) -> Result<bool> {
    let n = on!(tx, |c| {
        sqlx::query(
        "INSERT INTO second_factors (user_id, secret, confirmed_at, last_step, created_at)
         VALUES ($1, $2, NULL, 0, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
         WHERE second_factors.confirmed_at IS NULL"
    )
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Confirms an enrolment with the step of the first accepted code; false if
/// it was confirmed already (a race, or a replay).
pub async fn confirm(tx: &mut Authorized, user_id: Uuid, step: i64, now: i64) -> Result<bool> {
    let n = on!(tx, |c| sqlx::query(
        "UPDATE second_factors SET confirmed_at = $1, last_step = $2
         WHERE user_id = $3 AND confirmed_at IS NULL"
    )
    .bind(now)
    .bind(step)
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Takes a code's step: true only for the one request that moves
/// `last_step` forward.
pub async fn accept_step(tx: &mut Authorized, user_id: Uuid, step: i64) -> Result<bool> {
    let n = on!(tx, |c| sqlx::query(
        "UPDATE second_factors SET last_step = $1
         WHERE user_id = $2 AND last_step < $1 AND confirmed_at IS NOT NULL"
    )
    .bind(step)
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Replaces the user's recovery codes with these (hashed) ones.
pub async fn replace_recovery_codes(
    tx: &mut Authorized,
    user_id: Uuid,
    hashes: &[String],
) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    for h in hashes {
        on!(tx, |c| sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)"
        )
        .bind(user_id)
        .bind(h)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(())
}

/// Uses a recovery code: true only for the one request that marks it used.
pub async fn use_recovery_code(
    tx: &mut Authorized,
    user_id: Uuid,
    hash: &str,
    now: i64,
) -> Result<bool> {
    let n = on!(tx, |c| {
        sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
    )
    .bind(now)
    .bind(user_id)
    .bind(hash)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(n == 1)
}

/// Unused recovery codes left.
pub async fn recovery_codes_left(tx: &mut crate::Tx, user_id: Uuid) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
    )
    .bind(user_id)
    .fetch_one(c)
    .await?))
}

/// Removes the user's second factor and recovery codes (an
/// administrator's reset); their sessions are ended by the caller.
pub async fn remove(tx: &mut Authorized, user_id: Uuid) -> Result<bool> {
    on!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    let n = on!(tx, |c| sqlx::query(
        "DELETE FROM second_factors WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// The session passed its second factor now (which also proves identity),
/// under a new id: the one from before the second factor no longer works
/// (no session fixation across the step up).
pub async fn pass_session(
    tx: &mut Authorized,
    old_hash: &str,
    new_hash: &str,
    now: i64,
) -> Result<()> {
    on!(tx, |c| {
        sqlx::query(
        "UPDATE sessions SET id_hash = $1, second_factor_at = $2, confirmed_at = $2 WHERE id_hash = $3"
    )
    .bind(new_hash)
    .bind(now)
    .bind(old_hash)
    .execute(c)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// The session's user proved who they are again now.
pub async fn confirm_session(tx: &mut Authorized, id_hash: &str, now: i64) -> Result<()> {
    on!(tx, |c| sqlx::query(
        "UPDATE sessions SET confirmed_at = $1 WHERE id_hash = $2"
    )
    .bind(now)
    .bind(id_hash)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}
