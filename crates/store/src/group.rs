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
//! Cancellation: a request future can be dropped at any await (a client gone,
//! a timeout). The state below is consistent at every await point, the
//! `COMMIT` runs in a spawned task that a dropped request cannot cancel, and
//! whoever takes the writer next cleans up a savepoint left open.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Executor};
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

pub(crate) struct State {
    conn: SqliteConnection,
    /// `BEGIN IMMEDIATE` has been issued and not yet ended.
    open: bool,
    /// A request's savepoint may still be open (its holder went away without
    /// ending it): the next holder rolls it back first.
    savepoint: bool,
    /// Requests whose work is released into the open transaction and who wait
    /// for its commit.
    acks: Vec<Ack>,
    stats: Arc<TxStats>,
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

const SAVEPOINT: &str = "SAVEPOINT request";
const RELEASE: &str = "RELEASE request";
const ROLLBACK_TO: &str = "ROLLBACK TO request";

fn in_transaction_already(e: &sqlx::Error) -> bool {
    e.to_string()
        .contains("cannot start a transaction within a transaction")
}

impl State {
    async fn exec(&mut self, sql: &'static str) -> std::result::Result<(), sqlx::Error> {
        self.conn.execute(sql).await.map(|_| ())
    }

    /// Starts the batch's transaction unless one is open.
    async fn ensure_open(&mut self) -> Result<()> {
        if self.open {
            return Ok(());
        }
        match self.exec("BEGIN IMMEDIATE").await {
            Ok(()) => {}
            // A BEGIN whose caller was dropped mid-way still ran.
            Err(e) if in_transaction_already(&e) => {}
            Err(e) => return Err(e.into()),
        }
        self.open = true;
        Ok(())
    }

    /// Rolls back a savepoint its holder left open. If that fails the
    /// transaction itself may be gone (SQLite rolls back on its own after a
    /// full disk or an I/O error): then the batch's work is lost, and the
    /// requests waiting for it hear so.
    async fn settle(&mut self) {
        if !self.savepoint {
            return;
        }
        let undone = match self.exec(ROLLBACK_TO).await {
            Ok(()) => self.exec(RELEASE).await,
            Err(e) => Err(e),
        };
        self.savepoint = false;
        if undone.is_err() {
            self.recover().await;
        }
    }

    /// Finds out whether a transaction is still open after an error, by
    /// trying to begin one.
    async fn recover(&mut self) {
        match self.exec("BEGIN IMMEDIATE").await {
            Err(e) if in_transaction_already(&e) => self.open = true,
            Ok(()) => {
                // Nothing was open: what the batch held is gone. The new
                // transaction is empty; end it again.
                self.fail_all("the write transaction was rolled back by the database");
                self.open = self.exec("ROLLBACK").await.is_err();
            }
            Err(e) => {
                self.fail_all(&e.to_string());
                self.open = false;
            }
        }
    }

    fn fail_all(&mut self, message: &str) {
        for ack in self.acks.drain(..) {
            let _ = ack.send(Err(CommitFailure {
                message: message.to_string(),
                unavailable: true,
            }));
        }
    }

    /// Commits the batch and tells every waiting request.
    async fn flush(&mut self) {
        self.settle().await;
        if !self.open {
            return;
        }
        let result = self.exec("COMMIT").await;
        let acks = std::mem::take(&mut self.acks);
        let outcome = match &result {
            Ok(()) => {
                self.open = false;
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                let failure = CommitFailure::of(e);
                // A failed COMMIT may leave the transaction open (busy) or
                // rolled back (full disk); either way it is over now.
                let _ = self.exec("ROLLBACK").await;
                self.open = false;
                Err(failure)
            }
        };
        for ack in acks {
            let _ = ack.send(outcome.clone());
        }
    }
}

impl Writer {
    pub(crate) async fn connect(
        opts: &SqliteConnectOptions,
        stats: Arc<TxStats>,
    ) -> Result<Writer> {
        let conn = opts.connect().await?;
        Ok(Writer {
            state: Arc::new(Mutex::new(State {
                conn,
                open: false,
                savepoint: false,
                acks: Vec::new(),
                stats,
            })),
        })
    }

    /// Takes the writer for one request's work.
    pub(crate) async fn begin(&self) -> Result<Lease> {
        let mut guard = self.state.clone().lock_owned().await;
        guard.settle().await;
        guard.ensure_open().await?;
        guard.savepoint = true;
        if let Err(e) = guard.exec(SAVEPOINT).await {
            guard.savepoint = false;
            drop(guard);
            self.spawn_flush();
            return Err(e.into());
        }
        Ok(Lease {
            guard,
            _end: FlushOnEnd(self.clone()),
        })
    }

    /// The writer connection outside any batch (migrations, and the test
    /// that caps the file's size).
    pub(crate) async fn exclusive(&self) -> OwnedMutexGuard<State> {
        let mut guard = self.state.clone().lock_owned().await;
        guard.flush().await;
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
    pub(crate) async fn commit(self) -> Result<()> {
        let Lease { mut guard, _end } = self;
        // On failure the savepoint stays flagged and the flusher settles it.
        guard.exec(RELEASE).await?;
        guard.savepoint = false;
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

    /// Rolls the request's work back; the batch goes on.
    pub(crate) async fn rollback(self) -> Result<()> {
        let Lease { mut guard, _end } = self;
        guard.settle().await;
        Ok(())
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
