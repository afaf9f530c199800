//! Group commit for SQLite: many requests' write transactions share one
//! `COMMIT` (one fsync), and each request is still answered only after the
//! commit that holds its work has returned.
//!
//! SQLite has one writer. Without grouping, every request pays a full fsync
//! while all others wait for the lock, so intake is bounded by the disk's
//! flush latency. Here the writer connection stays inside one `BEGIN
//! IMMEDIATE` while requests queue for it: each request's work runs inside a
//! savepoint of its own (so a failed request rolls back alone), and on
//! success it releases the savepoint and hands the `COMMIT` to a flusher task
//! that queues behind the requests already waiting. The flusher commits
//! everything released so far and acknowledges every request in the batch.
//! Under one client a batch is one request; under sixteen, up to sixteen.
//!
//! The per-request overhead is kept to round trips to the connection's
//! worker thread that do work: a request's `SAVEPOINT` goes in one call with
//! the previous request's `RELEASE` (or the batch's `BEGIN`), and the rows
//! every request changes (the audit chain's head, the case-number counter)
//! are kept in memory while the batch is open and written once, in the same
//! call as its `COMMIT` ([`Hot`]).
//!
//! Cancellation: a request future can be dropped at any await (a client gone,
//! a timeout). The state below is consistent at every await point, the
//! `COMMIT` runs in a spawned task that a dropped request cannot cancel, and
//! whoever takes the writer next cleans up a savepoint left open.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Row};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::{Result, StoreError, TxStats};

/// What a batched request hears once its batch has ended.
type Ack = oneshot::Sender<std::result::Result<(), CommitFailure>>;

#[derive(Debug, Clone)]
struct CommitFailure {
    message: String,
    unavailable: bool,
}

impl CommitFailure {
    fn of(e: &sqlx::Error) -> Self {
        CommitFailure {
            message: e.to_string(),
            unavailable: crate::sqlx_unavailable(e),
        }
    }
}

/// The value of a hot row that every request changes (the audit chain's
/// head, a case-number counter), kept in memory while a batch is open and
/// written once at its commit: requests in one batch neither read nor
/// rewrite the row one after another. Only this writer writes while its
/// `BEGIN IMMEDIATE` is open, so the memory copy is the row's true value;
/// it is kept into the next batch unless another connection has committed
/// since (`PRAGMA data_version`), and dropped when a batch fails.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Hot {
    AuditHead,
    Counter(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HotValue {
    Head(i64, String),
    Counter(i64),
}

/// Where the batch's one savepoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    None,
    /// A request's work is inside it: its holder is working, or went away
    /// without ending it (then the next holder rolls it back).
    Open,
    /// Its holder committed: the work stays; the `RELEASE` is sent with the
    /// next statement batch (the next request's `SAVEPOINT`, or the commit).
    Released,
}

#[derive(Debug, Clone, Default)]
struct HotRows {
    values: BTreeMap<Hot, HotValue>,
    /// Changed since the batch began: written at its commit.
    dirty: BTreeSet<Hot>,
}

pub(crate) struct State {
    conn: SqliteConnection,
    /// `BEGIN IMMEDIATE` has been issued and not yet ended.
    open: bool,
    savepoint: Savepoint,
    hot: HotRows,
    /// The hot rows as they were when the open savepoint began, to restore
    /// when its work is rolled back.
    hot_at_savepoint: HotRows,
    /// Requests whose work is released into the open transaction and who wait
    /// for its commit.
    acks: Vec<Ack>,
    stats: Arc<TxStats>,
    keys: Arc<crate::db::Shared>,
    /// `PRAGMA data_version` when the last batch began. It changes only when
    /// another connection (another process: the CLI, a second server) has
    /// committed, so while it stays the same the hot rows' values this
    /// writer committed are still the rows' values, and the next batch need
    /// not read them again.
    version: Option<i64>,
}

/// The single writer connection and its batch.
#[derive(Clone)]
pub struct Writer {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

fn in_transaction_already(e: &sqlx::Error) -> bool {
    e.to_string()
        .contains("cannot start a transaction within a transaction")
}

impl State {
    /// Runs a batch of control statements in one call to the connection's
    /// worker (each call is a thread hand-off; these are the per-request
    /// overhead). Every value in them is this module's own.
    async fn run(&mut self, sql: String) -> std::result::Result<(), sqlx::Error> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    /// What ends the open savepoint: undoes abandoned work (and its hot-row
    /// changes), or releases committed work.
    fn end_savepoint(&mut self) -> &'static str {
        let sql = match self.savepoint {
            Savepoint::None => "",
            Savepoint::Open => {
                self.hot = std::mem::take(&mut self.hot_at_savepoint);
                "ROLLBACK TO request; RELEASE request; "
            }
            Savepoint::Released => "RELEASE request; ",
        };
        self.savepoint = Savepoint::None;
        sql
    }

    /// Gives up the batch after a failed control statement: whatever it held
    /// is rolled back and every waiting request hears the failure.
    async fn abort(&mut self, e: &sqlx::Error) {
        let _ = self.run("ROLLBACK".into()).await;
        self.open = false;
        self.savepoint = Savepoint::None;
        self.hot = HotRows::default();
        self.version = None;
        let failure = CommitFailure::of(e);
        for ack in self.acks.drain(..) {
            let _ = ack.send(Err(failure.clone()));
        }
    }

    /// Opens a savepoint for the next request, beginning the batch if none
    /// is open, in one call.
    async fn start_request(&mut self) -> Result<()> {
        for attempt in 0..2 {
            let mut sql = String::new();
            let begins = !self.open;
            if begins {
                sql.push_str("BEGIN IMMEDIATE; PRAGMA data_version; ");
            } else {
                sql.push_str(self.end_savepoint());
            }
            sql.push_str("SAVEPOINT request");
            let ran = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut self.conn)
                .await;
            match ran {
                Ok(rows) => {
                    if begins {
                        let version = rows.first().and_then(|r| r.try_get::<i64, _>(0).ok());
                        if version.is_none() || version != self.version {
                            self.hot = HotRows::default();
                        }
                        self.version = version;
                    }
                    self.open = true;
                    self.savepoint = Savepoint::Open;
                    self.hot_at_savepoint = self.hot.clone();
                    return Ok(());
                }
                Err(e) => {
                    self.abort(&e).await;
                    // A BEGIN whose caller was dropped mid-way still ran: the
                    // abort ended it; begin again once.
                    if !(attempt == 0 && in_transaction_already(&e)) {
                        return Err(e.into());
                    }
                }
            }
        }
        Err(StoreError::Corrupt("the writer could not begin".into()))
    }

    /// Commits the batch, with the hot rows it changed, and tells every
    /// waiting request.
    async fn flush(&mut self) {
        if !self.open {
            return;
        }
        let mut sql = self.end_savepoint().to_string();
        for key in std::mem::take(&mut self.hot.dirty) {
            if let Some(value) = self.hot.values.get(&key) {
                sql.push_str(&write_hot(&key, value));
            }
        }
        sql.push_str("COMMIT");
        match self.run(sql).await {
            Ok(()) => {
                self.open = false;
                // The values stay (see `version`); nothing is left to write.
                self.hot.dirty.clear();
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                for ack in self.acks.drain(..) {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(e) => self.abort(&e).await,
        }
    }
}

/// The statement that stores a hot row. Counter names and hashes are checked
/// to be made of safe characters; they come from this code, never from input.
fn write_hot(key: &Hot, value: &HotValue) -> String {
    let safe = |t: &str| {
        t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-'))
    };
    match (key, value) {
        (Hot::AuditHead, HotValue::Head(seq, hash)) if safe(hash) => {
            format!("UPDATE audit_head SET seq = {seq}, hash = '{hash}' WHERE id = 1; ")
        }
        (Hot::Counter(name), HotValue::Counter(v)) if safe(name) => format!(
            "INSERT INTO counters (name, value) VALUES ('{name}', {v}) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value; "
        ),
        // Unreachable by construction; a statement that fails ends the batch
        // rather than a row written wrongly.
        _ => "SELECT unsafe_hot_row_value(); ".into(),
    }
}

impl Writer {
    pub(crate) async fn connect(
        opts: &SqliteConnectOptions,
        stats: Arc<TxStats>,
        keys: Arc<crate::db::Shared>,
    ) -> Result<Writer> {
        // Each request's savepoint copies every page it first changes to
        // the sub-journal, which SQLite spills to a temporary file past
        // 64 KiB: one intake changes more (the concern's, person's, event's,
        // fact's and audit row's pages and their indexes), so every intake
        // wrote ~100 KiB to a file only a rollback would read (a tenth of
        // the server's CPU under 16 clients). In memory it is a copy, freed
        // when the savepoint is released. Migrations, which may change
        // every page of a table in one statement, set it back to a file
        // (`Db::migrate`).
        let conn = opts
            .clone()
            .pragma("temp_store", "memory")
            .connect()
            .await?;
        Ok(Writer {
            state: Arc::new(Mutex::new(State {
                conn,
                open: false,
                savepoint: Savepoint::None,
                hot: HotRows::default(),
                hot_at_savepoint: HotRows::default(),
                acks: Vec::new(),
                stats,
                version: None,
                keys,
            })),
        })
    }

    /// Takes the writer for one request's work.
    pub(crate) async fn begin(&self) -> Result<Lease> {
        let mut guard = self.state.clone().lock_owned().await;
        guard.start_request().await?;
        Ok(Lease {
            guard,
            queue: Default::default(),
            _end: FlushOnEnd(self.clone()),
        })
    }

    /// The writer connection outside any batch (migrations, and the test
    /// that caps the file's size).
    pub(crate) async fn exclusive(&self) -> OwnedMutexGuard<State> {
        let mut guard = self.state.clone().lock_owned().await;
        guard.flush().await;
        // What is done on the connection directly is not seen by `version`.
        guard.hot = HotRows::default();
        guard.version = None;
        guard
    }

    /// Ends whatever batch is open, in a task a dropped request cannot cancel.
    fn spawn_flush(&self) {
        let state = self.state.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { state.lock().await.flush().await });
        }
    }

    /// Commits what is open now (for shutdown).
    pub(crate) async fn close(&self) {
        self.state.lock().await.flush().await;
    }
}

impl State {
    pub(crate) fn connection(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

/// One request's hold on the writer. Its work is inside a savepoint of the
/// batch's transaction; [`Lease::commit`] waits for the batch's commit.
/// Dropping it rolls the request's work back alone (the next holder rolls
/// back the savepoint) and ends the batch.
pub struct Lease {
    // Field order matters: the guard is released before the flush is asked
    // for, so the flusher can take the writer.
    guard: OwnedMutexGuard<State>,
    /// Inserts not sent yet (see [`crate::deferred`]); dropped with the
    /// lease when its work rolls back.
    pub(crate) queue: crate::deferred::Queue,
    _end: FlushOnEnd,
}

/// Asks for the batch to be flushed when a lease ends, however it ends.
struct FlushOnEnd(Writer);

impl Drop for FlushOnEnd {
    fn drop(&mut self) {
        self.0.spawn_flush();
    }
}

impl Lease {
    /// Releases the work into the batch and waits until the batch is
    /// committed: only then is the work durable and may be acknowledged.
    pub(crate) async fn commit(mut self) -> Result<()> {
        // Queued inserts first; a failure drops the lease (its savepoint
        // rolls back) and the request fails.
        self.flush().await?;
        let Lease {
            mut guard, _end, ..
        } = self;
        guard.savepoint = Savepoint::Released;
        let (tx, rx) = oneshot::channel();
        guard.acks.push(tx);
        drop(guard);
        drop(_end);
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(f)) => Err(StoreError::Commit {
                message: f.message,
                unavailable: f.unavailable,
            }),
            Err(_) => Err(StoreError::Commit {
                message: "the commit's outcome is unknown".into(),
                unavailable: true,
            }),
        }
    }

    /// Sends the queued inserts, in one call to the connection's worker
    /// thread (see [`crate::deferred`]).
    #[doc(hidden)]
    pub async fn flush(&mut self) -> std::result::Result<(), sqlx::Error> {
        if self.queue.is_empty() {
            return Ok(());
        }
        let mut queue = std::mem::take(&mut self.queue);
        crate::deferred::flush_sqlite(&mut queue, &mut self.guard.conn).await
    }

    /// Rolls the request's work back (its savepoint is undone before the
    /// next request or the commit); the batch goes on.
    pub(crate) fn rollback(self) {
        drop(self);
    }

    /// The audit chain's key, for the rows this request appends.
    pub(crate) fn audit_key(&self) -> Result<vink_domain::audit::AuditKey> {
        self.guard.keys.audit()
    }

    /// The store's keys.
    pub(crate) fn keys(&self) -> &crate::db::Shared {
        &self.guard.keys
    }

    /// The same, owned.
    pub(crate) fn keys_owned(&self) -> Arc<crate::db::Shared> {
        self.guard.keys.clone()
    }

    /// A hot row's value in this batch, if read or changed already.
    pub(crate) fn hot(&self, key: &Hot) -> Option<HotValue> {
        self.guard.hot.values.get(key).cloned()
    }

    /// Notes a hot row's value as read (`changed` false) or as changed, to
    /// be written at the batch's commit.
    pub(crate) fn set_hot(&mut self, key: Hot, value: HotValue, changed: bool) {
        if changed {
            self.guard.hot.dirty.insert(key.clone());
        }
        self.guard.hot.values.insert(key, value);
    }
}

impl Deref for Lease {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.guard.conn
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.guard.conn
    }
}
