//! Use cases of `vink`. Every function that touches personal data runs the same
//! steps: open a transaction, load the facts the policy needs, ask
//! `domain::policy::decide`, do the work, and append one audit row in the same
//! transaction before committing. A refused attempt commits only its audit row.

pub mod activity;
pub mod activity_import;
pub mod audit;
pub mod backup;
pub mod checkpoint;
pub mod clock;
pub mod concern;
pub mod corps;
pub mod course;
pub mod csv_file;
pub mod demo;
mod demo_activities;
pub mod follow_up;
pub mod funding;
pub mod generate;
pub mod jobs;
pub mod key_figures;
pub mod keys;
pub mod limits;
pub mod organisation;
pub mod plan;
pub mod plan_import;
pub mod reminder;
pub mod retention;
pub mod search;
pub mod second_factor;
pub mod spending_import;
pub mod sso;
pub mod triage;
pub mod user;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use thiserror::Error;
use uuid::Uuid;
use vink_domain::policy::{Action, DenyReason, RecordRef, Resource};
use vink_domain::triage::{DEFAULT_TRIAGE_HOURS, TriageError};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;
use vink_store::{Authorized, Db, StoreError, Tx};

pub use clock::Clock;
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
    /// Follow-ups the reminder job handles in one write transaction: a
    /// backlog (a first pass over years of history) is worked through in
    /// bounded transactions, so the job never holds SQLite's writer long.
    pub reminder_batch: i64,
    /// The address users reach vink at, for links in e-mails.
    pub base_url: String,
    /// Days before its due date that a follow-up answer is first accepted.
    pub follow_up_tolerance_days: i32,
    /// How long a new API token lives.
    pub token_lifetime: SignedDuration,
    /// A session ends this long after log-in however active it is.
    pub session_lifetime: SignedDuration,
    /// The unit's phone number for the public (shown after a report).
    pub public_phone: Option<String>,
    /// The bearer token `/metrics` answers to; without one, it answers no
    /// one (404).
    pub metrics_token: Option<String>,
    /// Addresses `/metrics` answers without a token (a Prometheus on the
    /// same host or network).
    pub metrics_allow: Vec<AddressRange>,
    /// Where signed checkpoints of the audit chain's head go.
    pub checkpoints: checkpoint::CheckpointConfig,
    /// Roles that must log in with a second factor (others may enrol one).
    pub second_factor_roles: Vec<vink_domain::user::Role>,
    /// How long a proof of identity counts for exports with personal data
    /// and user administration.
    pub reauth_window: SignedDuration,
    /// The name the authenticator app shows for vink.
    pub issuer: String,
    /// Months after which a concern decided without action is deleted;
    /// none: never (retention switched off).
    pub retention_unfounded_months: Option<i32>,
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
            reminder_batch: 500,
            base_url: "http://127.0.0.1:8080".into(),
            follow_up_tolerance_days: 30,
            token_lifetime: SignedDuration::from_hours(90 * 24),
            session_lifetime: SignedDuration::from_hours(12),
            public_phone: None,
            metrics_token: None,
            metrics_allow: Vec::new(),
            checkpoints: checkpoint::CheckpointConfig::default(),
            second_factor_roles: second_factor::PERSONAL_DATA_ROLES.to_vec(),
            reauth_window: SignedDuration::from_mins(5),
            issuer: "vink".into(),
            retention_unfounded_months: Some(vink_domain::retention::DEFAULT_UNFOUNDED_MONTHS),
        }
    }
}

/// An address or a network (`192.0.2.7`, `10.0.0.0/8`, `::1`,
/// `fd00::/8`): the one parser for allowed addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl AddressRange {
    pub fn parse(s: &str) -> Option<AddressRange> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: std::net::IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(AddressRange { addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let bits = |ip: std::net::IpAddr| -> Option<(u128, u32)> {
            match ip {
                std::net::IpAddr::V4(v) => Some((u128::from(u32::from(v)), 32)),
                std::net::IpAddr::V6(v) => Some((u128::from(v), 128)),
            }
        };
        let (Some((a, w)), Some((b, w2))) = (bits(self.addr), bits(ip.to_canonical())) else {
            return false;
        };
        if w != w2 {
            return false;
        }
        let shift = w - u32::from(self.prefix);
        shift >= w || (a >> shift) == (b >> shift)
    }
}

/// The application: the database, the settings and the in-memory limiters.
/// Cheap to share behind an `Arc`.
pub struct App {
    pub db: Db,
    pub config: Config,
    /// Log-in attempts per account and address, per address, per account.
    pub login_limits: user::LoginLimits,
    /// Public reports per client address.
    pub report_limiter: RateLimiter,
    /// Where reminder e-mails go out; none: the inbox only.
    pub mailer: Option<reminder::Mailer>,
    /// The one clock every use case reads.
    pub clock: Clock,
    /// Single sign-on through an OpenID provider, where configured.
    pub sso: Option<sso::Sso>,
    /// The keys from outside the database (the database holds the audit
    /// key too: it chains the rows).
    pub keys: keys::KeySet,
}

impl App {
    /// The application over `db`, whose audit rows are keyed by `keys`
    /// from here on: there is no way to build one that writes unkeyed.
    pub fn new(db: Db, config: Config, keys: keys::KeySet) -> Self {
        db.set_audit_key(keys.audit.clone());
        if let Some(fields) = keys.fields.clone() {
            // A rotation by `vink key rotate` writes the file; the server
            // reads it again when it meets a key id it does not know.
            let source = keys.source.clone();
            let reload: Option<vink_store::FieldReload> = source.map(|path| {
                Box::new(move || keys::KeySet::load(Some(&path)).ok().and_then(|k| k.fields))
                    as vink_store::FieldReload
            });
            db.set_field_keys(fields, reload);
        }
        App {
            keys,
            db,
            config,
            login_limits: user::LoginLimits::default(),
            report_limiter: RateLimiter::new(5, SignedDuration::from_mins(10)),
            mailer: None,
            clock: Clock::System,
            sso: None,
        }
    }

    /// Now, by the application's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Today in the unit's time zone, by the application's clock.
    pub fn today(&self) -> Date {
        self.clock.today()
    }

    /// Decides a write on `tx`. Allowed: the transaction bound to its grant,
    /// whose commit writes the audit row. Refused: the work is dropped, one
    /// `denied` row is written on its own, and the refusal is returned.
    pub(crate) async fn authorize(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        resource: &Resource<'_>,
        record: Option<RecordRef>,
    ) -> Result<Authorized> {
        self.grant(tx, actor, action, resource, record, false).await
    }

    /// Decides a read on `tx` (from [`Db::begin_read`]): the same, but the
    /// audit row is appended in a short write when the read is committed.
    pub(crate) async fn authorize_read(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        resource: &Resource<'_>,
        record: Option<RecordRef>,
    ) -> Result<Authorized> {
        self.grant(tx, actor, action, resource, record, true).await
    }

    async fn grant(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        resource: &Resource<'_>,
        record: Option<RecordRef>,
        read: bool,
    ) -> Result<Authorized> {
        let now = self.now();
        match vink_domain::policy::authorize(actor, action, resource, record) {
            Ok(grant) if read => Ok(Authorized::read(tx, grant, now, &self.db)),
            Ok(grant) => Ok(Authorized::write(tx, grant, now)),
            Err(reason) => Err(self.refuse(tx, actor, action, record, reason).await),
        }
    }

    /// Checks an action that needs no record facts, before any work: refused,
    /// it writes the one `denied` row and returns the refusal. For checks made
    /// ahead of validation or costly work, and for reads that carry no
    /// personal data (counts) and so leave no `allowed` row.
    pub(crate) async fn require(
        &self,
        actor: &Actor,
        action: Action,
        record: Option<RecordRef>,
    ) -> Result<()> {
        match vink_domain::policy::authorize(actor, action, &Resource::None, record) {
            Ok(_) => Ok(()),
            Err(reason) => {
                self.deny_row(actor, action, record, reason.code()).await?;
                Err(AppError::Denied(reason))
            }
        }
    }

    async fn refuse(
        &self,
        tx: Tx,
        actor: &Actor,
        action: Action,
        record: Option<RecordRef>,
        reason: DenyReason,
    ) -> AppError {
        // Release the transaction first: on SQLite it may hold the only writer.
        drop(tx);
        tracing::info!(
            action = action.code(),
            reason = reason.code(),
            "access denied"
        );
        match self.deny_row(actor, action, record, reason.code()).await {
            Ok(()) => AppError::Denied(reason),
            Err(e) => e,
        }
    }

    /// Writes one `denied` row on its own (refusals, failed log-ins, limits).
    pub(crate) async fn deny_row(
        &self,
        actor: &Actor,
        action: Action,
        record: Option<RecordRef>,
        reason: &str,
    ) -> Result<()> {
        vink_store::record_denied(&self.db, actor, action, record, reason, self.now()).await?;
        Ok(())
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
    /// The database cannot take the work now (503): full, read-only, unreachable.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Store(e)
        }
    }
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

/// A `limit` parameter of the keyset-paged lists (audit log, worklist):
/// 1–500, 100 when absent. One rule for every such list.
pub(crate) fn page_limit(limit: Option<i64>) -> Result<i64> {
    let limit = limit.unwrap_or(100);
    if (1..=500).contains(&limit) {
        Ok(limit)
    } else {
        Err(invalid(
            "limit",
            "out_of_range",
            "must be between 1 and 500",
        ))
    }
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

/// A list's `order` parameter (`asc` or `desc`), `default` when absent: the
/// one parser for every re-sortable list.
pub(crate) fn parse_order(
    errs: &mut FieldErrors,
    raw: Option<&str>,
    default: vink_store::Order,
) -> vink_store::Order {
    parse_code(
        errs,
        "order",
        raw,
        vink_store::Order::parse,
        vink_store::Order::codes,
        false,
    )
    .unwrap_or(default)
}

pub(crate) fn concern_record(id: Uuid) -> Option<RecordRef> {
    Some(RecordRef::concern(id))
}

pub(crate) fn meeting_record(id: Uuid) -> Option<RecordRef> {
    Some(RecordRef::meeting(id))
}

/// Random bytes as lowercase hex, for session ids, tokens and CSRF tokens.
pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(hex::encode(buf))
}

/// Compares secrets without an early exit, so timing reveals nothing.
pub(crate) fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// SHA-256 of a secret, hex: sessions and tokens are stored only this way, so a
/// copy of the database holds nothing that logs anyone in.
pub(crate) fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// Whether the database answers reads: liveness of the service's data path.
pub async fn health(app: &App) -> Result<()> {
    let tx = app.db.begin_read().await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the database takes writes now (readiness): a write that grows the
/// file, rolled back. A full disk or a read-only file answers `Unavailable`.
pub async fn writable(app: &App) -> Result<()> {
    app.db.probe_write().await?;
    Ok(())
}

#[cfg(test)]
mod address_tests {
    use super::AddressRange;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_contain() {
        let net = AddressRange::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.255.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        let one = AddressRange::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(
            one.contains(ip("::ffff:127.0.0.1")),
            "a mapped address is the same"
        );
        assert!(!one.contains(ip("127.0.0.2")));
        let all = AddressRange::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("192.0.2.1")));
        assert!(!all.contains(ip("::1")));
        let six = AddressRange::parse("fd00::/8").unwrap();
        assert!(six.contains(ip("fd12::1")) && !six.contains(ip("fe80::1")));
        for bad in ["", "10.0.0.0/33", "x", "10.0.0.0/", "::1/129"] {
            assert_eq!(AddressRange::parse(bad), None, "{bad}");
        }
    }
}
