//! Use cases of `vink`. Every function that touches personal data runs the same
//! steps: open a transaction, load the facts the policy needs, ask
//! `domain::policy::decide`, do the work, and append one audit row in the same
//! transaction before committing. A refused attempt commits only its audit row.

pub mod audit;
pub mod concern;
pub mod corps;
pub mod course;
pub mod demo;
pub mod follow_up;
pub mod limits;
pub mod organisation;
pub mod reminder;
pub mod triage;
pub mod user;

use jiff::{SignedDuration, Timestamp};
use thiserror::Error;
use uuid::Uuid;
use vink_domain::audit::{AuditFields, Outcome};
use vink_domain::policy::{Access, Action, DenyReason, Resource};
use vink_domain::triage::{DEFAULT_TRIAGE_HOURS, TriageError};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;
use vink_store::{Db, StoreError, Tx};

pub use limits::RateLimiter;

/// Settings the use cases depend on; the command line fills them in.
#[derive(Debug, Clone)]
pub struct Config {
    /// Hours from receipt to the triage deadline (the plan says 48).
    pub triage_hours: i64,
    /// A session unused for this long is gone.
    pub idle_timeout: SignedDuration,
    /// The "due soon" window of lists and the dashboard.
    pub due_soon: SignedDuration,
    /// argon2id memory cost in KiB for new password hashes.
    pub password_memory_kib: u32,
    /// Months from a course's end to the risk follow-up (the plan says 6).
    pub risk_follow_up_months: i32,
    /// Months from a course's end to the education/employment follow-up (12).
    pub occupation_follow_up_months: i32,
    /// Days before a follow-up's due date that its reminder goes out.
    pub reminder_lead_days: i64,
    /// The address users reach vink at, for links in e-mails.
    pub base_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            triage_hours: DEFAULT_TRIAGE_HOURS,
            idle_timeout: SignedDuration::from_mins(30),
            due_soon: SignedDuration::from_hours(12),
            password_memory_kib: 19 * 1024,
            risk_follow_up_months: vink_domain::course::DEFAULT_RISK_FOLLOW_UP_MONTHS,
            occupation_follow_up_months: vink_domain::course::DEFAULT_OCCUPATION_FOLLOW_UP_MONTHS,
            reminder_lead_days: 14,
            base_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// The application: the database, the settings and the in-memory limiters.
/// Cheap to share behind an `Arc`.
pub struct App {
    pub db: Db,
    pub config: Config,
    /// Failed log-ins per account.
    pub login_limiter: RateLimiter,
    /// Failed log-ins per client address.
    pub ip_limiter: RateLimiter,
    /// Public reports per client address.
    pub report_limiter: RateLimiter,
    /// Where reminder e-mails go out; none: the inbox only.
    pub mailer: Option<reminder::Mailer>,
}

impl App {
    pub fn new(db: Db, config: Config) -> Self {
        App {
            db,
            config,
            login_limiter: RateLimiter::new(5, SignedDuration::from_mins(15)),
            ip_limiter: RateLimiter::new(20, SignedDuration::from_mins(15)),
            report_limiter: RateLimiter::new(5, SignedDuration::from_mins(10)),
            mailer: None,
        }
    }

    fn triage_allowance(&self) -> SignedDuration {
        SignedDuration::from_hours(self.config.triage_hours)
    }
}

/// Why a use case did not do what was asked. The web layer maps each variant to
/// one HTTP status.
#[derive(Debug, Error)]
pub enum AppError {
    /// The policy refused (403); the reason code is in the audit log too.
    #[error("access denied ({})", .0.code())]
    Denied(DenyReason),
    /// No valid session or token (401).
    #[error("authentication required")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    /// The request conflicts with the record's current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The input is wrong, per field (422).
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// Too many attempts (429).
    #[error("too many attempts, try again later")]
    RateLimited,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<TriageError> for AppError {
    fn from(e: TriageError) -> Self {
        if e.is_conflict() {
            return AppError::Conflict(e.to_string());
        }
        let mut errs = FieldErrors::new();
        errs.add(e.field().unwrap_or("to"), "invalid", e.to_string());
        AppError::Invalid(errs)
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

/// One invalid field as an [`AppError`].
pub(crate) fn invalid(field: &str, code: &'static str, message: &str) -> AppError {
    let mut errs = FieldErrors::new();
    errs.add(field, code, message);
    AppError::Invalid(errs)
}

/// Parses a glossary code from input: absent is fine unless `required`; an
/// unknown code names the allowed ones. One helper for every use case.
pub(crate) fn parse_code<T>(
    errs: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
    codes: fn() -> String,
    required: bool,
) -> Option<T> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            if required {
                errs.add(field, "required", "is required");
            }
            None
        }
        Some(s) => {
            let v = parse(s);
            if v.is_none() {
                errs.add(field, "unknown_code", format!("must be one of {}", codes()));
            }
            v
        }
    }
}

/// The record an audit row is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    pub kind: &'static str,
    pub id: Uuid,
}

pub(crate) fn concern_record(id: Uuid) -> Option<Record> {
    Some(Record {
        kind: "concern",
        id,
    })
}

pub(crate) fn meeting_record(id: Uuid) -> Option<Record> {
    Some(Record {
        kind: "meeting",
        id,
    })
}

/// Appends one audit row in the caller's transaction.
pub(crate) async fn audit_row(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    record: Option<Record>,
    outcome: Outcome,
    reason: Option<String>,
) -> Result<()> {
    vink_store::audit::append(
        tx,
        AuditFields {
            seq: 0,
            at: Timestamp::now(),
            actor_id: actor.user_id(),
            actor_kind: actor.label().to_string(),
            action: action.to_string(),
            record_type: record.map(|r| r.kind.to_string()),
            record_id: record.map(|r| r.id),
            outcome,
            reason,
        },
    )
    .await?;
    Ok(())
}

/// Records an event that comes with no other work (a refused log-in, a rate
/// limit) in a transaction of its own.
pub(crate) async fn audit_alone(
    app: &App,
    actor: &Actor,
    action: &str,
    record: Option<Record>,
    outcome: Outcome,
    reason: &str,
) -> Result<()> {
    let mut tx = app.db.begin().await?;
    audit_row(
        &mut tx,
        actor,
        action,
        record,
        outcome,
        Some(reason.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Asks the policy. On refusal, commits a `denied` audit row (and nothing else)
/// and returns the error to hand back; on success hands the transaction back.
pub(crate) async fn authorize(
    mut tx: Tx,
    actor: &Actor,
    action: Action,
    resource: &Resource<'_>,
    record: Option<Record>,
) -> Result<Tx> {
    match vink_domain::policy::decide(actor, action, resource) {
        Access::Allow => Ok(tx),
        Access::Deny(reason) => {
            audit_row(
                &mut tx,
                actor,
                action.code(),
                record,
                Outcome::Denied,
                Some(reason.code().to_string()),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(
                action = action.code(),
                reason = reason.code(),
                "access denied"
            );
            Err(AppError::Denied(reason))
        }
    }
}

/// Commits the work with its `allowed` audit row.
pub(crate) async fn commit_with_audit(
    mut tx: Tx,
    actor: &Actor,
    action: Action,
    record: Option<Record>,
    reason: Option<String>,
) -> Result<()> {
    audit_row(
        &mut tx,
        actor,
        action.code(),
        record,
        Outcome::Allowed,
        reason,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Random bytes as lowercase hex, for session ids, tokens and CSRF tokens.
pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(hex::encode(buf))
}

/// SHA-256 of a secret, hex: sessions and tokens are stored only this way, so a
/// copy of the database holds nothing that logs anyone in.
pub(crate) fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// Whether the database answers: for `/healthz`.
pub async fn health(app: &App) -> Result<()> {
    let tx = app.db.begin_read().await?;
    tx.commit().await?;
    Ok(())
}
