use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Postgres, Sqlite, Transaction};
use uuid::Uuid;

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Db`] talks to, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection to the database. SQLite has one writer connection (SQLite
/// serialises writers anyway; one connection makes that explicit and avoids
/// busy errors) and a pool of read-only readers.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        stats: Arc<TxStats>,
    },
    Pg {
        pool: PgPool,
        stats: Arc<TxStats>,
    },
}

/// How many transactions of each kind were begun: what a read really costs
/// the writer (and a figure for monitoring).
#[derive(Debug, Default)]
pub struct TxStats {
    writes: AtomicU64,
    reads: AtomicU64,
}

impl TxStats {
    /// Write transactions begun (on SQLite: takes of the only write lock).
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
    /// Read-only transactions begun (on SQLite: on the reader connections).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// A transaction on either backend; pass it to store functions as `&mut Tx`.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

impl Db {
    /// Connects by URL: `sqlite://path` (file created if missing, in WAL mode with
    /// `synchronous=FULL` so an acknowledged write survives power loss) or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            if let Some(parent) = opts.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .after_release(|c, _| Box::pin(async move { clean(c).await }))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .after_release(|c, _| Box::pin(async move { clean(c).await }))
                .connect_with(opts.read_only(true))
                .await?;
            Ok(Db::Sqlite {
                write,
                read,
                stats: Arc::default(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .after_release(|c, _| Box::pin(async move { clean(c).await }))
                .connect(url)
                .await?;
            Ok(Db::Pg {
                pool,
                stats: Arc::default(),
            })
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Pg { .. } => Backend::Postgres,
        }
    }

    /// Counts of transactions begun, by kind.
    pub fn stats(&self) -> &TxStats {
        match self {
            Db::Sqlite { stats, .. } | Db::Pg { stats, .. } => stats,
        }
    }

    /// Applies the backend's migrations; idempotent.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Pg { pool, .. } => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Number of migrations shipped for this backend (equal on both by rule).
    pub fn migration_count(&self) -> usize {
        match self {
            Db::Sqlite { .. } => SQLITE_MIGRATIONS.iter().count(),
            Db::Pg { .. } => POSTGRES_MIGRATIONS.iter().count(),
        }
    }

    /// Starts a transaction that may write. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`) so a read-then-write never fails half-way.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { write, stats, .. } => {
                stats.writes.fetch_add(1, Ordering::Relaxed);
                Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)
            }
            Db::Pg { pool, stats } => {
                stats.writes.fetch_add(1, Ordering::Relaxed);
                Tx::Pg(pool.begin().await?)
            }
        })
    }

    /// Starts a read-only transaction (a consistent snapshot for lists and counts
    /// that write nothing).
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { read, stats, .. } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Tx::Sqlite(read.begin().await?)
            }
            Db::Pg { pool, stats } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Tx::Pg(pool.begin().await?)
            }
        })
    }

    /// Readiness: takes the write lock and writes a page-sized row, then rolls
    /// it back. A full disk, a read-only file or a lost connection fails here.
    pub async fn probe_write(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        let filler = vec![0u8; 8192];
        match &mut tx {
            Tx::Sqlite(t) => {
                sqlx::query("INSERT INTO health_probe (filler) VALUES ($1)")
                    .bind(filler)
                    .execute(&mut **t)
                    .await?;
            }
            Tx::Pg(t) => {
                sqlx::query("INSERT INTO health_probe (filler) VALUES ($1)")
                    .bind(filler)
                    .execute(&mut **t)
                    .await?;
            }
        }
        match tx {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Pg { pool, .. } => pool.close().await,
        }
    }
}

/// Decides whether a connection goes back into the pool. A transaction that
/// failed half-way (SQLite rolls back by itself on a full disk, after which
/// the driver's own ROLLBACK fails and its bookkeeping stays "in a
/// transaction"; a request future dropped mid-transaction) must never leave a
/// connection that refuses the next `BEGIN`: the ping lets any queued rollback
/// run, and a connection still in a transaction is closed, not reused.
async fn clean<C: Connection>(c: &mut C) -> std::result::Result<bool, sqlx::Error> {
    c.ping().await?;
    Ok(!c.is_in_transaction())
}

/// A row to lock before reading it for a change, so that of N concurrent
/// conflicting requests exactly one sees the old state and wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    Concern(Uuid),
    Course(Uuid),
    Meeting(Uuid),
    Person(Uuid),
    /// A follow-up (answers are recorded once).
    FollowUp(Uuid),
}

impl Tx {
    /// Locks one row for the rest of the transaction and says whether it exists.
    /// PostgreSQL: `SELECT … FOR UPDATE` (a concurrent changer waits, then sees
    /// the new state). SQLite: the write transaction already holds the database's
    /// only write lock (`BEGIN IMMEDIATE` on the single writer).
    pub async fn lock(&mut self, row: Locked) -> Result<bool> {
        let (pg, lite, id) = match row {
            Locked::Concern(id) => (
                "SELECT 1 FROM concerns WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM concerns WHERE id = $1",
                id,
            ),
            Locked::Course(id) => (
                "SELECT 1 FROM courses WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM courses WHERE id = $1",
                id,
            ),
            Locked::Meeting(id) => (
                "SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM meetings WHERE id = $1",
                id,
            ),
            Locked::Person(id) => (
                "SELECT 1 FROM persons WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM persons WHERE id = $1",
                id,
            ),
            Locked::FollowUp(id) => (
                "SELECT 1 FROM follow_ups WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM follow_ups WHERE id = $1",
                id,
            ),
        };
        let found: Option<i32> = match self {
            Tx::Sqlite(t) => {
                sqlx::query_scalar(lite)
                    .bind(id)
                    .fetch_optional(&mut **t)
                    .await?
            }
            Tx::Pg(t) => {
                sqlx::query_scalar(pg)
                    .bind(id)
                    .fetch_optional(&mut **t)
                    .await?
            }
        };
        Ok(found.is_some())
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }
}
