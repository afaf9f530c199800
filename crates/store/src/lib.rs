//! SQL storage for `vink`: one implementation over SQLite and PostgreSQL,
//! chosen at run time from the database URL. The store runs queries; it never
//! decides who may see what (that is `domain::policy`, applied by `app`).

mod db;
pub use db::{Backend, Db, Tx};

pub mod audit;
pub mod concern;
pub mod corps;
pub mod course;
pub mod follow_up;
pub mod organisation;
pub mod person;
pub mod reminder;
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
    #[error("stored value is unreadable: {0}")]
    Corrupt(String),
    #[error("could not create the database directory: {0}")]
    Io(#[from] std::io::Error),
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

/// Runs the same query text on whichever backend a transaction belongs to:
/// native drivers on both sides, no type erasure. `$1` placeholders work on both.
#[macro_export]
macro_rules! on {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
