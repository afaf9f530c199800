//! Follow-up reminders: an in-app inbox and e-mail over SMTP. The job's state
//! is rows (notifications with a unique key, an outbox whose rows are claimed
//! before sending), so it survives restarts and never sends a reminder twice.
//! E-mails carry no personal data: a date, a course kind and a link.

use jiff::{SignedDuration, Timestamp, ToSpan};
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::policy::{Action, Resource};
use vink_domain::user::Actor;
use vink_store::reminder::{self as store, NewNotification};
use vink_store::{instant, micros};

use crate::{App, AppError, Result};

/// How mail leaves: an SMTP relay given by URL.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp+starttls://host:port`
    /// or `smtps://host:port` (TLS), with optional `user:password@`.
    pub fn from_url(url: &str, from: &str) -> Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Internal(format!("SMTP URL: {e}")))?
            .build();
        let from = from
            .parse()
            .map_err(|e| AppError::Internal(format!("sender address: {e}")))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> std::result::Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub notifications: usize,
    pub sent: usize,
    pub failed: usize,
}

/// Attempts before a mail is given up (then visible as `failed` in the outbox).
pub const MAX_ATTEMPTS: i64 = 5;

/// One pass of the job: create reminders for follow-ups due within the lead
/// time (for the assigned mentor and the secretariat) and for reports on
/// grants due within it (for the secretariat), then send what is due. Each
/// follow-up and report is marked when handled, so a pass reads only new
/// work; the notifications' unique keys still make a reminder at most once
/// when two instances race.
pub async fn run_once(app: &App) -> Result<RunSummary> {
    let mut summary = RunSummary::default();
    let today = app.today();
    let until = today
        .checked_add(app.config.reminder_lead_days.days())
        .unwrap_or(today)
        .to_string();
    let batch = app.config.reminder_batch.max(1);
    while remind_follow_ups(app, &until, batch, &mut summary).await? {}
    remind_grant_reports(app, &until, &mut summary).await?;
    send_mail(app, summary).await
}

async fn begin_run(app: &App) -> Result<vink_store::Authorized> {
    let tx = app.db.begin().await?;
    app.authorize(
        tx,
        &Actor::system(),
        Action::ReminderRun,
        &Resource::None,
        None,
    )
    .await
}

/// One batch of due follow-ups; true when it was full (more may wait).
async fn remind_follow_ups(
    app: &App,
    until: &str,
    batch: i64,
    summary: &mut RunSummary,
) -> Result<bool> {
    let now = micros(app.now());
    let mut tx = begin_run(app).await?;
    let due = store::due_follow_ups(&mut tx, until, batch).await?;
    if due.is_empty() {
        // An idle pass leaves no audit row.
        drop(tx);
        return Ok(false);
    }
    let secretariat = store::users_of_role(&mut tx, "secretariat").await?;
    for f in &due {
        let mut users: Vec<(Uuid, Option<String>)> = secretariat.clone();
        if let Some(m) = f.mentor_user
            && !users.iter().any(|(u, _)| *u == m)
        {
            users.push((m, f.mentor_email.clone()));
        }
        for (user, email) in users {
            let key = format!("follow_up:{}:{user}", f.follow_up_id);
            let n = NewNotification {
                id: vink_domain::new_id(),
                user_id: user,
                kind: "follow_up_due",
                course_id: Some(f.course_id),
                follow_up_id: Some(f.follow_up_id),
                due_on: Some(&f.due_on),
                dedupe_key: &key,
                created_at: now,
            };
            let mail = || {
                let subject = format!("vink: opfølgning senest {}", f.due_on);
                let body = format!(
                    "En opfølgning ({}) på et forløb ({}) skal registreres senest {}.\n\nÅbn forløbet i vink: {}/courses/{}\n\nDenne besked indeholder ingen personoplysninger.\n",
                    f.kind,
                    f.course_kind,
                    f.due_on,
                    app.config.base_url.trim_end_matches('/'),
                    f.course_id
                );
                (subject, body)
            };
            notify(&mut tx, &n, email.as_deref(), mail, summary).await?;
        }
        store::mark_follow_up_reminded(&mut tx, f.follow_up_id, now).await?;
    }
    tx.commit().await?;
    Ok(i64::try_from(due.len()).unwrap_or(i64::MAX) >= batch)
}

/// Reports on grants due within the lead time: the secretariat, once.
async fn remind_grant_reports(app: &App, until: &str, summary: &mut RunSummary) -> Result<()> {
    let now = micros(app.now());
    let mut tx = begin_run(app).await?;
    let reports = vink_store::funding::due_reports(&mut tx, until).await?;
    if reports.is_empty() {
        drop(tx);
        return Ok(());
    }
    let secretariat = store::users_of_role(&mut tx, "secretariat").await?;
    for r in &reports {
        for (user, email) in &secretariat {
            let key = format!("grant_report:{}:{user}", r.id);
            let n = NewNotification {
                id: vink_domain::new_id(),
                user_id: *user,
                kind: "grant_report_due",
                course_id: None,
                follow_up_id: None,
                due_on: Some(&r.due_on),
                dedupe_key: &key,
                created_at: now,
            };
            let mail = || {
                let subject = format!("vink: rapport om bevilling senest {}", r.due_on);
                let body = format!(
                    "Der skal afleveres en rapport om bevillingen \"{}\" senest {}.\n\nSe bevillingen i vink: {}/funding\n",
                    r.title,
                    r.due_on,
                    app.config.base_url.trim_end_matches('/'),
                );
                (subject, body)
            };
            notify(&mut tx, &n, email.as_deref(), mail, summary).await?;
        }
        vink_store::funding::mark_reminded(&mut tx, r.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates a notification unless its key exists, and queues its e-mail
/// (no personal data: `mail` builds subject and body) when the user has an
/// address.
async fn notify(
    tx: &mut vink_store::Authorized,
    n: &NewNotification<'_>,
    email: Option<&str>,
    mail: impl FnOnce() -> (String, String),
    summary: &mut RunSummary,
) -> Result<()> {
    if !store::insert_notification(tx, n).await? {
        return Ok(());
    }
    summary.notifications += 1;
    metrics::counter!("vink_notifications_total", "kind" => n.kind.to_owned()).increment(1);
    if let Some(to) = email.filter(|e| !e.is_empty()) {
        let (subject, body) = mail();
        store::enqueue_mail(
            tx,
            vink_domain::new_id(),
            Some(n.id),
            to,
            &subject,
            &body,
            n.created_at,
        )
        .await?;
    }
    Ok(())
}

/// Sends the outbox's due mail, each claimed before sending.
async fn send_mail(app: &App, mut summary: RunSummary) -> Result<RunSummary> {
    let now = app.now();
    let Some(mailer) = &app.mailer else {
        return Ok(summary);
    };
    let mut tx = app.db.begin().await?;
    let batch = store::claim_mail(&mut tx, micros(now), 50).await?;
    tx.commit().await?;
    for mail in batch {
        let result = mailer
            .send(&mail.to_address, &mail.subject, &mail.body)
            .await;
        let attempts = mail.attempts + 1;
        let at = micros(app.now());
        let mut tx = app.db.begin().await?;
        match result {
            Ok(()) => {
                store::finish_mail(&mut tx, mail.id, "sent", attempts, at, None, at).await?;
                summary.sent += 1;
                metrics::counter!("vink_reminder_emails_total", "outcome" => "sent").increment(1);
            }
            Err(e) => {
                // No address or content in the log: only that it failed.
                tracing::warn!(attempts, "reminder e-mail failed");
                let (status, next) = if attempts >= MAX_ATTEMPTS {
                    ("failed", at)
                } else {
                    (
                        "pending",
                        micros(app.now() + SignedDuration::from_mins(5 * attempts)),
                    )
                };
                store::finish_mail(&mut tx, mail.id, status, attempts, next, Some(&e), at).await?;
                summary.failed += 1;
                metrics::counter!("vink_reminder_emails_total", "outcome" => "failed").increment(1);
            }
        }
        tx.commit().await?;
    }
    Ok(summary)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboxItem {
    pub id: Uuid,
    pub kind: String,
    pub course_id: Option<Uuid>,
    pub due_on: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub read: bool,
}

/// The signed-in user's own notifications (no policy needed: only their own).
pub async fn inbox(app: &App, actor: &Actor) -> Result<Vec<InboxItem>> {
    let user = actor.user_id().ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.begin_read().await?;
    let rows = store::inbox(&mut tx, user, 200).await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(InboxItem {
                id: r.id,
                kind: r.kind,
                course_id: r.course_id,
                due_on: r.due_on,
                created_at: instant(r.created_at)?,
                read: r.read_at.is_some(),
            })
        })
        .collect()
}

pub async fn mark_read(app: &App, actor: &Actor, id: Uuid) -> Result<()> {
    let user = actor.user_id().ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.begin().await?;
    let ok = store::mark_read(&mut tx, user, id, micros(app.now())).await?;
    tx.commit().await?;
    if ok { Ok(()) } else { Err(AppError::NotFound) }
}
