use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::ops::{Deref, DerefMut};

use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Postgres, SqlSafeStr, Sqlite, Transaction};
use sqlx_core::transaction::TransactionManager as _;

use crate::group::{Lease, Writer};
use uuid::Uuid;
use vink_domain::audit::AuditKey;

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
/// serialises writers anyway; one connection makes that explicit, avoids
/// busy errors and lets requests share a commit: see [`crate::group`]) and a
/// pool of read-only readers.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite {
        write: Writer,
        read: SqlitePool,
        stats: Arc<TxStats>,
        keys: Arc<Shared>,
        /// The audit rows that stand alone, group committed (see
        /// [`crate::audit_group`]).
        audit_group: Arc<crate::audit_group::AuditGroup>,
    },
    Pg {
        pool: PgPool,
        stats: Arc<TxStats>,
        keys: Arc<Shared>,
        /// One settling of the audit chain at a time in this process (see
        /// [`crate::audit::settle`]).
        settler: Arc<crate::audit::Settler>,
        /// The audit rows that stand alone (a read's, a refusal's), group
        /// committed (see [`crate::audit_group`]).
        audit_group: Arc<crate::audit_group::AuditGroup>,
    },
}

/// What a database handle and each of its transactions share from outside
/// the database: the keys the store needs (the audit chain's HMAC key:
/// without it no audit row can be written, every write is refused, so a
/// server cannot run unkeyed by mistake; the field keys), and the mirror
/// of the folded facts, which belongs to this database and no other (so a
/// transaction reaches it, never a caller's choice of handle).
#[derive(Default)]
pub struct Shared {
    audit: std::sync::RwLock<Option<AuditKey>>,
    /// The folded facts in memory (see [`crate::fact::mirror`]).
    pub(crate) facts: crate::fact::Mirror,
    fields: std::sync::RwLock<Option<Arc<crate::sealed::FieldKeys>>>,
    /// Reads the field keys again (from the keys file), for a key id this
    /// process does not know yet: a rotation under way.
    reload: std::sync::RwLock<Option<FieldReload>>,
}

/// How the field keys are read again.
pub type FieldReload = Box<dyn Fn() -> Option<crate::sealed::FieldKeys> + Send + Sync>;

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared(…)")
    }
}

impl Shared {
    pub(crate) fn fields(&self) -> Result<Arc<crate::sealed::FieldKeys>> {
        match self.fields.read() {
            Ok(k) => k.clone().ok_or(StoreError::NoFieldKey),
            Err(_) => Err(StoreError::NoFieldKey),
        }
    }

    /// Reads the field keys again if a way to is set; keeps the old ones
    /// when it fails.
    pub(crate) fn reload_fields(&self) {
        let fresh = match self.reload.read() {
            Ok(r) => r.as_ref().and_then(|f| f()),
            Err(_) => None,
        };
        if let (Some(k), Ok(mut slot)) = (fresh, self.fields.write()) {
            *slot = Some(Arc::new(k));
        }
    }

    pub(crate) fn audit(&self) -> Result<AuditKey> {
        match self.audit.read() {
            Ok(k) => k.clone().ok_or(StoreError::NoAuditKey),
            Err(_) => Err(StoreError::NoAuditKey),
        }
    }
}

/// The connection pool at a moment (PostgreSQL's pool; SQLite's readers,
/// beside its one writer): for the `/metrics` gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// How many transactions of each kind were begun: what a read really costs
/// the writer (and a figure for monitoring).
#[derive(Debug, Default)]
pub struct TxStats {
    writes: AtomicU64,
    reads: AtomicU64,
    pub(crate) batches: AtomicU64,
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
    /// SQLite: commits of the writer's batches, each holding one or more
    /// write transactions (one fsync each). PostgreSQL: flushes of the
    /// audit rows that stand alone, each holding one or more requests'
    /// rows (its write transactions are not counted: its own WAL groups the
    /// flushes of concurrent commits).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

/// A transaction on either backend; pass it to store functions as `&mut Tx`.
/// Every kind carries the store's keys, so the functions that write or read
/// encrypted columns can seal and open them wherever they run.
pub enum Tx {
    Sqlite(SqliteTx),
    Pg(KeyedTx<Postgres>),
}

/// SQLite's two kinds of transaction: a snapshot on a reader connection, or a
/// request's share of the writer's batch. Both are a connection to run on.
pub enum SqliteTx {
    Read(KeyedTx<Sqlite>),
    Write(Lease),
}

/// A pool transaction with the store's keys, or (from [`Db::read_one`] and,
/// on PostgreSQL, [`Db::begin_read_planned`]) a pooled connection in
/// autocommit, each statement its own snapshot.
pub struct KeyedTx<DB: sqlx::Database> {
    conn: Held<DB>,
    pub(crate) keys: Arc<Shared>,
    /// Inserts not sent yet (PostgreSQL only; see [`crate::deferred`]).
    pub(crate) queue: crate::deferred::Queue,
    /// The `plan_cache_mode` this transaction has set, when known
    /// (PostgreSQL; see [`crate::query_plan::custom_plans`]): setting it
    /// again is then no round trip.
    pub(crate) plans: Option<&'static str>,
}

/// What a [`KeyedTx`] runs on.
enum Held<DB: sqlx::Database> {
    Tx(Transaction<'static, DB>),
    /// No BEGIN and no COMMIT: each statement is its own snapshot, until a
    /// setting that lasts for the rest of the read makes it a transaction
    /// ([`KeyedTx::set_local`]).
    Plain(Plain<DB>),
}

/// A pooled connection that a read may turn into a transaction on the way:
/// dropped inside one (a request that goes away), it queues the rollback,
/// as a dropped [`Transaction`] does, so the pool's clean-up (`clean`)
/// hands it on outside any transaction; dropped while its `BEGIN` is on the
/// way (sqlx then knows of no transaction to roll back), it is closed.
struct Plain<DB: sqlx::Database> {
    conn: sqlx::pool::PoolConnection<DB>,
    beginning: bool,
}

impl<DB: sqlx::Database> Plain<DB> {
    fn in_transaction(&self) -> bool {
        self.conn.is_in_transaction()
    }

    /// Ends the transaction a setting began, if any; committed or rolled
    /// back, a read's transaction changed nothing but its own settings.
    async fn end(mut self, commit: bool) -> Result<()> {
        if self.in_transaction() {
            if commit {
                <DB as sqlx::Database>::TransactionManager::commit(&mut self.conn).await?;
            } else {
                <DB as sqlx::Database>::TransactionManager::rollback(&mut self.conn).await?;
            }
        }
        Ok(())
    }
}

impl<DB: sqlx::Database> Drop for Plain<DB> {
    fn drop(&mut self) {
        if self.beginning {
            self.conn.close_on_drop();
        } else if self.in_transaction() {
            <DB as sqlx::Database>::TransactionManager::start_rollback(&mut self.conn);
        }
    }
}

impl<DB: sqlx::Database> KeyedTx<DB> {
    fn tx(tx: Transaction<'static, DB>, keys: Arc<Shared>) -> Self {
        KeyedTx {
            conn: Held::Tx(tx),
            keys,
            queue: Default::default(),
            plans: None,
        }
    }

    /// A read on a pooled connection with no `BEGIN` (see [`Db::read_one`]),
    /// planning as `plans` says where that is known.
    fn plain(
        conn: sqlx::pool::PoolConnection<DB>,
        keys: Arc<Shared>,
        plans: Option<&'static str>,
    ) -> Self {
        KeyedTx {
            conn: Held::Plain(Plain {
                conn,
                beginning: false,
            }),
            keys,
            queue: Default::default(),
            plans,
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self.conn {
            Held::Tx(tx) => Ok(tx.commit().await?),
            Held::Plain(c) => c.end(true).await,
        }
    }

    pub async fn rollback(self) -> Result<()> {
        match self.conn {
            Held::Tx(tx) => Ok(tx.rollback().await?),
            Held::Plain(c) => c.end(false).await,
        }
    }
}

impl KeyedTx<Postgres> {
    /// Runs `settings` (`SET LOCAL …`, the store's own text, never input)
    /// for the rest of this read or write. A read with no `BEGIN` begins
    /// its transaction here, in the same round trip: a `SET LOCAL` outside
    /// one would change nothing. Under PostgreSQL's default isolation
    /// (read committed) every statement takes its own snapshot either way,
    /// so beginning late changes no answer.
    pub(crate) async fn set_local(&mut self, settings: &str) -> Result<()> {
        self.flush().await?;
        match &mut self.conn {
            Held::Plain(c) if !c.in_transaction() => {
                let begin = sqlx::AssertSqlSafe(format!("BEGIN; {settings}")).into_sql_str();
                c.beginning = true;
                <Postgres as sqlx::Database>::TransactionManager::begin(&mut c.conn, Some(begin))
                    .await?;
                c.beginning = false;
            }
            _ => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(settings.to_string()))
                    .execute(&mut **self)
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends the queued inserts (see [`crate::deferred`]); [`crate::on`]
    /// calls it before every statement.
    #[doc(hidden)]
    pub async fn flush(&mut self) -> std::result::Result<(), sqlx::Error> {
        if self.queue.is_empty() {
            return Ok(());
        }
        let mut queue = std::mem::take(&mut self.queue);
        crate::deferred::flush(&mut queue, self).await
    }
}

impl<DB: sqlx::Database> Deref for KeyedTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match &self.conn {
            Held::Tx(tx) => tx,
            Held::Plain(c) => &c.conn,
        }
    }
}

impl<DB: sqlx::Database> DerefMut for KeyedTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match &mut self.conn {
            Held::Tx(tx) => &mut *tx,
            Held::Plain(c) => &mut c.conn,
        }
    }
}

impl SqliteTx {
    /// Sends a write's queued inserts (see [`crate::deferred`]); [`crate::on`]
    /// calls it before every statement.
    #[doc(hidden)]
    pub async fn flush(&mut self) -> std::result::Result<(), sqlx::Error> {
        match self {
            SqliteTx::Write(l) => l.flush().await,
            SqliteTx::Read(_) => Ok(()),
        }
    }
}

impl Deref for SqliteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            SqliteTx::Read(t) => t,
            SqliteTx::Write(l) => l,
        }
    }
}

impl DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            SqliteTx::Read(t) => &mut *t,
            SqliteTx::Write(l) => &mut *l,
        }
    }
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
            let stats: Arc<TxStats> = Arc::default();
            let keys: Arc<Shared> = Arc::default();
            let write = Writer::connect(&opts, stats.clone(), keys.clone()).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .before_acquire(|c, meta| Box::pin(async move { fresh(c, meta).await }))
                .after_release(|c, _| Box::pin(async move { clean(c).await }))
                .connect_with(opts.read_only(true))
                .await?;
            Ok(Db::Sqlite {
                write,
                read,
                stats,
                keys,
                audit_group: Arc::default(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No JIT: every statement here is index-driven and returns a
            // page, but a generic plan's cost under a LIMIT can still pass
            // `jit_above_cost`, and compiling took 15-35 ms of the audit
            // log's lists on M (2-5 ms without; `bench/plans.rs`). Given in
            // the URL, a DBA's own `options` still win.
            let given = PgConnectOptions::from_str(url)?;
            let opts = if given.get_options().is_some_and(|o| o.contains("jit")) {
                given
            } else {
                given.options([("jit", "off")])
            };
            // Every session plans once (given last, so it wins over a URL's
            // own): a planned read then needs no `BEGIN` to say so
            // (`begin_read_planned`), and every transaction says its own
            // mode with its `BEGIN` (`pg_begin`).
            let opts = opts.options([("plan_cache_mode", crate::query_plan::GENERIC)]);
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .before_acquire(|c, meta| Box::pin(async move { fresh(c, meta).await }))
                .after_release(|c, _| Box::pin(async move { clean(c).await }))
                .connect_with(opts)
                .await?;
            Ok(Db::Pg {
                pool,
                stats: Arc::default(),
                keys: Arc::default(),
                settler: Arc::default(),
                audit_group: Arc::default(),
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

    /// Sets the audit chain's key (from outside the database); until it is
    /// set, every audit append fails and so does every audited write.
    pub fn set_audit_key(&self, key: AuditKey) {
        if let Ok(mut k) = self.keys().audit.write() {
            *k = Some(key);
        }
    }

    pub(crate) fn keys(&self) -> &Shared {
        match self {
            Db::Sqlite { keys, .. } | Db::Pg { keys, .. } => keys,
        }
    }

    /// The audit chain's settling gate (PostgreSQL; SQLite chains inline).
    pub(crate) fn settler(&self) -> Option<&crate::audit::Settler> {
        match self {
            Db::Sqlite { .. } => None,
            Db::Pg { settler, .. } => Some(settler),
        }
    }

    /// Appends audit rows that stand alone (no other work commits with
    /// them: a read's, after the read; a refusal's) and returns once they
    /// are committed, grouped with other requests' (see
    /// [`crate::audit_group`]). SQLite: a lone request writes its rows at
    /// the writer itself; under load one write carries many requests' rows.
    /// PostgreSQL: the audit group's next flush (the read's own transaction
    /// took the lone request's turn, see [`Db::lead_audit`]).
    pub(crate) async fn append_audit(
        &self,
        rows: Vec<vink_domain::audit::AuditFields>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (group, sink) = self.audit_sink();
        if matches!(self, Db::Sqlite { .. })
            && let Some(_turn) = group.lead(&sink)
        {
            return sink.write(rows).await;
        }
        group.append(&sink, rows).await
    }

    /// PostgreSQL: the audit group's turn when it is idle (see
    /// [`crate::audit_group::AuditGroup::lead`]), for a read whose own
    /// transaction writes its rows; `None` on SQLite (a read there cannot
    /// write) or while a flush is under way.
    pub(crate) fn lead_audit(&self) -> Option<crate::audit_group::Lead> {
        match self {
            Db::Sqlite { .. } => None,
            Db::Pg { .. } => {
                let (group, sink) = self.audit_sink();
                group.lead(&sink)
            }
        }
    }

    fn audit_sink(
        &self,
    ) -> (
        &Arc<crate::audit_group::AuditGroup>,
        crate::audit_group::Sink,
    ) {
        match self {
            Db::Sqlite { audit_group, .. } => {
                (audit_group, crate::audit_group::Sink::Sqlite(self.clone()))
            }
            Db::Pg {
                pool,
                stats,
                audit_group,
                ..
            } => (
                audit_group,
                crate::audit_group::Sink::Pg {
                    pool: pool.clone(),
                    stats: stats.clone(),
                },
            ),
        }
    }

    /// Sets the keys that seal and open the encrypted columns, and how to
    /// read them again when a value names a key not known yet (a rotation
    /// by another process). Until they are set, writing or reading those
    /// columns fails.
    pub fn set_field_keys(&self, keys: crate::sealed::FieldKeys, reload: Option<FieldReload>) {
        if let Ok(mut k) = self.keys().fields.write() {
            *k = Some(Arc::new(keys));
        }
        if let Ok(mut r) = self.keys().reload.write() {
            *r = reload;
        }
    }

    /// Reads the field keys again now (the server's periodic reload).
    pub fn reload_field_keys(&self) {
        self.keys().reload_fields();
    }

    /// The pool's connections now.
    pub fn pool_state(&self) -> PoolState {
        let (open, idle, max) = match self {
            Db::Sqlite { read, .. } => (
                read.size(),
                read.num_idle(),
                read.options().get_max_connections(),
            ),
            Db::Pg { pool, .. } => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        };
        PoolState {
            open,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
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
            Db::Sqlite { write, .. } => {
                let mut w = write.exclusive().await;
                // A migration's statement journal may hold a copy of every
                // page of a large table: on disk, not in memory (the writer
                // keeps its journals in memory otherwise, see `Writer`).
                sqlx::raw_sql("PRAGMA temp_store = FILE")
                    .execute(w.connection())
                    .await?;
                let ran = SQLITE_MIGRATIONS.run(w.connection()).await;
                sqlx::raw_sql("PRAGMA temp_store = MEMORY")
                    .execute(w.connection())
                    .await?;
                ran?
            }
            Db::Pg { pool, .. } => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        crate::search::backfill(self).await?;
        crate::fact::backfill(self).await?;
        crate::fact::fold(self).await?;
        Ok(())
    }

    /// After a bulk load (PostgreSQL): VACUUM sets the visibility map, so
    /// index-only scans read no table pages (autovacuum would, some time
    /// later, where it is on), and ANALYZE refreshes the planner's
    /// statistics. SQLite plans from its fixed heuristics, which the plan
    /// test checks.
    pub async fn analyze(&self) -> Result<()> {
        if let Db::Pg { pool, .. } = self {
            sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
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
                Tx::Sqlite(SqliteTx::Write(write.begin().await?))
            }
            Db::Pg {
                pool, stats, keys, ..
            } => {
                stats.writes.fetch_add(1, Ordering::Relaxed);
                Tx::Pg(pg_begin(pool, keys, crate::query_plan::BEGIN_AUTO).await?)
            }
        })
    }

    /// Starts a read-only transaction (a consistent snapshot for lists and counts
    /// that write nothing).
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite {
                read, stats, keys, ..
            } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Tx::Sqlite(SqliteTx::Read(KeyedTx::tx(
                    read.begin().await?,
                    keys.clone(),
                )))
            }
            Db::Pg {
                pool, stats, keys, ..
            } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Tx::Pg(pg_begin(pool, keys, crate::query_plan::BEGIN_AUTO).await?)
            }
        })
    }

    /// Starts a read whose statements PostgreSQL plans once, not for each
    /// request's values (see [`crate::query_plan::generic_plans`]). On
    /// PostgreSQL that is every connection's own setting (see
    /// [`Db::connect`]), so the read sends no `BEGIN` and no `COMMIT`: two
    /// round trips fewer on every list, dashboard and key-figure read. Its
    /// statements see what read committed would show them inside a
    /// transaction: each its own snapshot. A store function that needs
    /// another setting for the rest of the read makes it a transaction
    /// then (`KeyedTx::set_local`). SQLite plans every statement as
    /// given, and a read of several statements needs its one snapshot
    /// there: a plain [`Db::begin_read`].
    pub async fn begin_read_planned(&self) -> Result<Tx> {
        match self {
            Db::Sqlite { .. } => self.begin_read().await,
            Db::Pg { .. } => self.read_one().await,
        }
    }

    /// Starts a read whose statements PostgreSQL plans for their values
    /// (see [`crate::query_plan::custom_plans`]), the setting sent with the
    /// `BEGIN`: for reads whose store functions plan so anyway (the course
    /// list, the audit log), whose own `custom_plans` is then no round
    /// trip. SQLite: a plain [`Db::begin_read`].
    pub async fn begin_read_custom(&self) -> Result<Tx> {
        match self {
            Db::Sqlite { .. } => self.begin_read().await,
            Db::Pg {
                pool, stats, keys, ..
            } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Ok(Tx::Pg(
                    pg_begin(pool, keys, crate::query_plan::BEGIN_CUSTOM).await?,
                ))
            }
        }
    }

    /// A connection for a read that is **one statement** (the session
    /// behind a cookie, the user behind a token): no BEGIN and no COMMIT,
    /// two round trips fewer on the path of every request. A statement is
    /// its own snapshot; a use case that reads twice takes
    /// [`Db::begin_read`]. Commit it like a transaction (that only returns
    /// the connection).
    pub async fn read_one(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite {
                read, stats, keys, ..
            } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Tx::Sqlite(SqliteTx::Read(KeyedTx::plain(
                    read.acquire().await?,
                    keys.clone(),
                    None,
                )))
            }
            Db::Pg {
                pool, stats, keys, ..
            } => {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                Tx::Pg(KeyedTx::plain(
                    pool.acquire().await?,
                    keys.clone(),
                    Some(crate::query_plan::GENERIC),
                ))
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
            Tx::Sqlite(SqliteTx::Write(l)) => l.rollback(),
            Tx::Sqlite(SqliteTx::Read(t)) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Runs one statement on SQLite's writer connection outside any batch and
    /// returns its first column, if any: for tests that change the writer's
    /// own settings (a capped file size). `None` on PostgreSQL.
    #[cfg(feature = "test-support")]
    pub async fn on_writer(&self, sql: &str) -> Result<Option<Option<i64>>> {
        let Db::Sqlite { write, .. } = self else {
            return Ok(None);
        };
        let mut w = write.exclusive().await;
        let v: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_optional(w.connection())
            .await?;
        Ok(Some(v))
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

/// Begins a PostgreSQL transaction with `begin`, which says how it plans
/// (every session's own setting plans once, see [`Db::connect`]).
///
/// It begins in a task of its own, so that a caller dropped mid-way (a
/// client gone, a timeout) cannot cancel the `BEGIN` between sending it and
/// reading its answer. sqlx queues no rollback for an outermost `BEGIN`
/// cancelled there: the connection went back to the pool inside a
/// transaction nobody knew of, and the next one-statement read ran in it and
/// kept its locks while the connection idled (PostgreSQL logged "there is
/// already a transaction in progress" under load). Finished in its task, the
/// transaction is either handed over or, its caller gone, dropped with a
/// rollback queued, as any other.
async fn pg_begin(
    pool: &PgPool,
    keys: &Arc<Shared>,
    begin: crate::query_plan::PlannedBegin,
) -> Result<KeyedTx<Postgres>> {
    let pool = pool.clone();
    let tx = tokio::spawn(async move { pool.begin_with(sqlx::AssertSqlSafe(begin.sql)).await })
        .await
        .map_err(|_| StoreError::Db(sqlx::Error::WorkerCrashed))
        .and_then(|r| r.map_err(StoreError::from))?;
    let mut tx = KeyedTx::tx(tx, keys.clone());
    tx.plans = Some(begin.plans);
    Ok(tx)
}

/// Decides whether a connection goes back into the pool. A transaction that
/// failed half-way (SQLite rolls back by itself on a full disk, after which
/// the driver's own ROLLBACK fails and its bookkeeping stays "in a
/// transaction"; a request future dropped mid-transaction) must never leave a
/// connection that refuses the next `BEGIN`: then a ping lets any queued
/// rollback run, and a connection still in a transaction is closed, not
/// reused. A connection whose work committed (nearly all) skips the ping:
/// the pool pings every returned connection once itself, and each round
/// trip is CPU that a 2-core server spends on nothing else.
async fn clean<C: Connection>(c: &mut C) -> std::result::Result<bool, sqlx::Error> {
    if !c.is_in_transaction() {
        return Ok(true);
    }
    c.ping().await?;
    Ok(!c.is_in_transaction())
}

/// How long a pooled connection may sit idle before it is pinged on the way
/// out of the pool: a database restarted meanwhile is found here rather than
/// by a user's request. Busier connections were pinged when they came back.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Checks a pooled connection before it is handed out, only when it has been
/// idle for a while (sqlx would ping every time: one round trip per
/// transaction for nothing, under load).
async fn fresh<C: Connection>(
    c: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::result::Result<bool, sqlx::Error> {
    if meta.idle_for >= IDLE_BEFORE_PING {
        c.ping().await?;
    }
    Ok(true)
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
    /// An activity (a change is counted against what it replaced).
    Activity(Uuid),
    /// An organisation (its forum membership likewise).
    Organisation(Uuid),
    /// The years the plans cover: a plan's years are checked against the
    /// others' and written under this one lock, so two racing plans for
    /// the same year cannot both pass the overlap check.
    PlanYears,
}

impl Tx {
    /// Locks one row for the rest of the transaction and says whether it exists.
    /// PostgreSQL: `SELECT … FOR UPDATE` (a concurrent changer waits, then sees
    /// the new state). SQLite: the write transaction already holds the database's
    /// only write lock (`BEGIN IMMEDIATE` on the single writer).
    pub async fn lock(&mut self, row: Locked) -> Result<bool> {
        if row == Locked::PlanYears {
            let found: Option<i32> = match self {
                Tx::Sqlite(t) => {
                    sqlx::query_scalar("SELECT id FROM plan_calendar WHERE id = 1")
                        .fetch_optional(&mut **t)
                        .await?
                }
                Tx::Pg(t) => {
                    sqlx::query_scalar("SELECT id FROM plan_calendar WHERE id = 1 FOR UPDATE")
                        .fetch_optional(&mut **t)
                        .await?
                }
            };
            return Ok(found.is_some());
        }
        let (pg, lite, id) = match row {
            Locked::PlanYears => return Ok(false),
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
            Locked::Activity(id) => (
                "SELECT 1 FROM activities WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM activities WHERE id = $1",
                id,
            ),
            Locked::Organisation(id) => (
                "SELECT 1 FROM organisations WHERE id = $1 FOR UPDATE",
                "SELECT 1 FROM organisations WHERE id = $1",
                id,
            ),
        };
        let found: Option<i32> = match self {
            Tx::Sqlite(t) => {
                t.flush().await?;
                sqlx::query_scalar(lite)
                    .bind(id)
                    .fetch_optional(&mut **t)
                    .await?
            }
            Tx::Pg(t) => {
                t.flush().await?;
                sqlx::query_scalar(pg)
                    .bind(id)
                    .fetch_optional(&mut **t)
                    .await?
            }
        };
        Ok(found.is_some())
    }

    /// Commits. On SQLite's writer this returns once the batch holding the
    /// work is committed (see [`crate::group`]).
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(SqliteTx::Write(l)) => l.commit().await?,
            Tx::Sqlite(SqliteTx::Read(t)) => t.commit().await?,
            Tx::Pg(mut t) => {
                t.flush().await?;
                t.commit().await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }

    /// Ends the work undone, at once: on PostgreSQL a `ROLLBACK` now, which
    /// lets go of the transaction's locks without the durable flush a commit
    /// of a locking transaction costs. (Dropping rolls back too, when the
    /// connection is next used.) SQLite's writer rolls the request's
    /// savepoint back when the lease is dropped.
    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Pg(t) => t.rollback().await,
            Tx::Sqlite(SqliteTx::Read(t)) => t.rollback().await,
            Tx::Sqlite(SqliteTx::Write(l)) => {
                drop(l);
                Ok(())
            }
        }
    }

    /// The store's keys, for sealing and opening encrypted columns.
    pub(crate) fn keys(&self) -> &Shared {
        match self {
            Tx::Sqlite(SqliteTx::Write(l)) => l.keys(),
            Tx::Sqlite(SqliteTx::Read(t)) => &t.keys,
            Tx::Pg(t) => &t.keys,
        }
    }

    /// What this transaction's handle shares, owned: to use beside the
    /// transaction (the mirror of its folded facts reads through it).
    pub(crate) fn shared(&self) -> Arc<Shared> {
        match self {
            Tx::Sqlite(SqliteTx::Write(l)) => l.keys_owned(),
            Tx::Sqlite(SqliteTx::Read(t)) => t.keys.clone(),
            Tx::Pg(t) => t.keys.clone(),
        }
    }
}
