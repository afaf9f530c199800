//! The inbox and the e-mail outbox of the reminder job.

use uuid::Uuid;

use crate::{Authorized, Result, Tx, on};

/// An open follow-up that is due soon and not yet reminded, with who should
/// hear about it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueFollowUp {
    pub follow_up_id: Uuid,
    pub course_id: Uuid,
    pub kind: String,
    pub due_on: String,
    pub course_kind: String,
    /// The assigned corps member's log-in, if any and active.
    pub mentor_user: Option<Uuid>,
    /// That log-in's e-mail address, if any.
    pub mentor_email: Option<String>,
}

/// The next follow-ups to remind about (binds: the last due date, the batch
/// size), through the partial index of open, unreminded follow-ups: a pass
/// reads only what no earlier pass has handled, however many are overdue.
pub(crate) fn due_follow_ups_sql() -> &'static str {
    "SELECT f.id AS follow_up_id, f.course_id, f.kind, f.due_on, c.kind AS course_kind,
            u.id AS mentor_user, u.email AS mentor_email
       FROM follow_ups f JOIN courses c ON c.id = f.course_id
       LEFT JOIN corps_members cm ON cm.id = c.corps_member_id
       LEFT JOIN users u ON u.id = cm.user_id AND u.active = TRUE
      WHERE f.recorded_at IS NULL AND f.reminded_at IS NULL AND f.due_on <= $1
      ORDER BY f.due_on LIMIT $2"
}

pub async fn due_follow_ups(tx: &mut Tx, until: &str, limit: i64) -> Result<Vec<DueFollowUp>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(due_follow_ups_sql())
            .bind(until)
            .bind(limit)
            .fetch_all(x)
            .await?
    }))
}

/// Marks a follow-up as handled by the reminder job: later passes skip it.
pub async fn mark_follow_up_reminded(tx: &mut Authorized, id: Uuid, at: i64) -> Result<()> {
    on!(tx, |x| sqlx::query(
        "UPDATE follow_ups SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL"
    )
    .bind(at)
    .bind(id)
    .execute(x)
    .await?
    .rows_affected());
    Ok(())
}

/// Active users of a role with their e-mail address (if any).
pub async fn users_of_role(tx: &mut Tx, role: &str) -> Result<Vec<(Uuid, Option<String>)>> {
    Ok(on!(tx, |x| sqlx::query_as(
        "SELECT id, email FROM users WHERE role = $1 AND active = $2"
    )
    .bind(role)
    .bind(true)
    .fetch_all(x)
    .await?))
}

pub async fn set_email(tx: &mut Authorized, user: Uuid, email: Option<&str>) -> Result<()> {
    on!(tx, |x| sqlx::query(
        "UPDATE users SET email = $1 WHERE id = $2"
    )
    .bind(email)
    .bind(user)
    .execute(x)
    .await?
    .rows_affected());
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: &'a str,
    pub course_id: Option<Uuid>,
    pub follow_up_id: Option<Uuid>,
    pub due_on: Option<&'a str>,
    pub dedupe_key: &'a str,
    pub created_at: i64,
}

/// Inserts a notification unless one with the same key exists; true if new.
pub async fn insert_notification(tx: &mut Authorized, n: &NewNotification<'_>) -> Result<bool> {
    Ok(on!(tx, |x| {
        sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, course_id, follow_up_id, due_on, dedupe_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    .bind(n.id)
    .bind(n.user_id)
    .bind(n.kind)
    .bind(n.course_id)
    .bind(n.follow_up_id)
    .bind(n.due_on)
    .bind(n.dedupe_key)
    .bind(n.created_at)
    .execute(x)
    .await?
    .rows_affected()
    }) > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub kind: String,
    pub course_id: Option<Uuid>,
    pub due_on: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub async fn inbox(tx: &mut Tx, user: Uuid, limit: i64) -> Result<Vec<NotificationRow>> {
    Ok(on!(tx, |x| {
        sqlx::query_as(
        "SELECT id, kind, course_id, due_on, created_at, read_at FROM notifications WHERE user_id = $1
         ORDER BY created_at DESC LIMIT $2"
    )
    .bind(user)
    .bind(limit)
    .fetch_all(x)
    .await?
    }))
}

pub async fn mark_read(tx: &mut Tx, user: Uuid, id: Uuid, at: i64) -> Result<bool> {
    Ok(on!(tx, |x| sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL"
    )
    .bind(at)
    .bind(id)
    .bind(user)
    .execute(x)
    .await?
    .rows_affected())
        > 0)
}

#[allow(clippy::too_many_arguments)]
pub async fn enqueue_mail(
    tx: &mut Authorized,
    id: Uuid,
    notification: Option<Uuid>,
    to: &str,
    subject: &str,
    body: &str,
    at: i64,
) -> Result<()> {
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO outbox (id, notification_id, to_address, subject, body, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)"
    )
    .bind(id)
    .bind(notification)
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(at)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

/// Claims the mails ready to send by marking them `sending`: once claimed, a
/// mail is never picked again, so a crash between sending and recording can
/// lose a reminder but never send it twice.
pub async fn claim_mail(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<MailRow>> {
    // PostgreSQL: rows another claimer holds are skipped, not waited for, and
    // the conditional UPDATE below is the arbiter. SQLite: the single writer
    // already serialises claimers.
    let select = match tx {
        Tx::Pg(_) => {
            "SELECT id, to_address, subject, body, attempts FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2
             FOR UPDATE SKIP LOCKED"
        }
        Tx::Sqlite(_) => {
            "SELECT id, to_address, subject, body, attempts FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2"
        }
    };
    let rows: Vec<MailRow> = on!(tx, |x| sqlx::query_as(select)
        .bind(now)
        .bind(limit)
        .fetch_all(x)
        .await?);
    let mut claimed = Vec::with_capacity(rows.len());
    for r in rows {
        let n = on!(tx, |x| sqlx::query(
            "UPDATE outbox SET status = 'sending' WHERE id = $1 AND status = 'pending'"
        )
        .bind(r.id)
        .execute(x)
        .await?
        .rows_affected());
        // Only a row this claimer moved from pending is its to send.
        if n == 1 {
            claimed.push(r);
        }
    }
    Ok(claimed)
}

/// Records the result of one send: `sent`, or back to `pending` with a later
/// attempt, or `failed` after the last attempt.
pub async fn finish_mail(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    attempts: i64,
    next: i64,
    error: Option<&str>,
    at: i64,
) -> Result<()> {
    on!(tx, |x| sqlx::query(
        "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
                sent_at = CASE WHEN $1 = 'sent' THEN $5 ELSE sent_at END
         WHERE id = $6"
    )
    .bind(status)
    .bind(attempts)
    .bind(next)
    .bind(error)
    .bind(at)
    .bind(id)
    .execute(x)
    .await?
    .rows_affected());
    Ok(())
}

pub async fn mail_count(tx: &mut Tx, status: &str) -> Result<i64> {
    Ok(on!(tx, |x| sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE status = $1"
    )
    .bind(status)
    .fetch_one(x)
    .await?))
}
