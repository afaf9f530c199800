//! SQL storage for `vink`: one implementation over SQLite and PostgreSQL,
//! chosen at run time from the database URL. The store runs queries; it never
//! decides who may see what (that is `domain::policy`, applied by `app`).

mod access;
mod audit_group;
mod db;
mod deferred;
mod group;
mod sql;
pub use access::{Authorized, record_denied};
pub use db::{Backend, Db, FieldReload, KeyedTx, Locked, PoolState, SqliteTx, Tx, TxStats};
pub use sql::Order;

pub mod activity;
pub mod audit;
pub mod backup;
pub mod concern;
pub mod corps;
pub mod course;
pub mod fact;
pub mod follow_up;
pub mod funding;
pub mod organisation;
pub mod person;
pub mod plan;
pub mod query_plan;
pub mod reminder;
pub mod retention;
pub mod sealed;
pub mod search;
pub mod second_factor;
pub mod sso;
pub mod triage;
pub mod user;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    #[error("no audit key is set: the audit log cannot be written")]
    NoAuditKey,
    #[error("no field key is set: encrypted text can be neither written nor read")]
    NoFieldKey,
    #[error("stored value is unreadable: {0}")]
    Corrupt(String),
    #[error("could not create the database directory: {0}")]
    Io(#[from] std::io::Error),
    /// A batch's commit failed (SQLite group commit): every request in it
    /// hears this, with the classification of the underlying error.
    #[error("commit failed: {message}")]
    Commit { message: String, unavailable: bool },
}

impl StoreError {
    /// True when the database cannot take the work now (disk full, read-only,
    /// unreachable, pool exhausted), as opposed to a fault in the request or
    /// the code: the caller answers 503 and the client may retry.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Db(e) => sqlx_unavailable(e),
            StoreError::Commit { unavailable, .. } => *unavailable,
            _ => false,
        }
    }
}

/// [`StoreError::is_unavailable`] for a driver error.
pub(crate) fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(e) => {
            let code = e.code().unwrap_or_default();
            // SQLite primary result codes (extended codes keep the low byte):
            // BUSY 5, LOCKED 6, NOMEM 7, READONLY 8, IOERR 10, FULL 13, CANTOPEN 14.
            if let Ok(n) = code.parse::<i64>() {
                return matches!(n & 0xff, 5 | 6 | 7 | 8 | 10 | 13 | 14);
            }
            // PostgreSQL: insufficient resources (53…), operator intervention
            // (57…: shutdown, cannot connect now), read-only transaction (25006).
            code.starts_with("53") || code.starts_with("57") || code == "25006"
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        _ => false,
    }
}

impl StoreError {
    /// True when the error is a unique-constraint violation, i.e. a conflict the
    /// caller should report as such rather than as a failure.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Instants are stored as microseconds since the epoch on both backends:
/// identical semantics, index-friendly, and exactly what the audit chain hashes.
pub fn micros(t: jiff::Timestamp) -> i64 {
    t.as_microsecond()
}

/// Reads a stored instant back. Out-of-range values cannot be written by this
/// code, so they mean corruption.
pub fn instant(us: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Anything a query can run in: a bare transaction (reads, and the few
/// writes that are not personal data) or an [`Authorized`] one.
pub trait AsTx {
    fn as_tx(&mut self) -> &mut Tx;
}

impl AsTx for Tx {
    fn as_tx(&mut self) -> &mut Tx {
        self
    }
}

impl AsTx for Authorized {
    fn as_tx(&mut self) -> &mut Tx {
        self
    }
}

/// Runs the same query text on whichever backend a transaction belongs to:
/// native drivers on both sides, no type erasure. `$1` placeholders work on both.
#[macro_export]
macro_rules! on {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $crate::AsTx::as_tx($tx) {
            $crate::Tx::Sqlite(t) => {
                t.flush().await?;
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Pg(t) => {
                // Queued inserts first: the statement sees them, and their
                // errors fail the transaction here.
                t.flush().await?;
                let $c = &mut **t;
                $body
            }
        }
    };
}
