//! Group commit for the audit rows that stand alone: a read's row (written
//! after the read, see [`crate::Authorized`]) and a refusal's.
//!
//! Each read's row written on its own costs a write of its own (on SQLite a
//! turn at the one writer: a savepoint, the insert, a share of the batch's
//! commit; on PostgreSQL a statement and a commit that flushes the WAL), for
//! every list, detail and dashboard a user opens. Here, while one request's
//! row is being written, the rows of the requests that arrive wait for the
//! next flush, and each flush writes all of them in one write: on
//! PostgreSQL one statement (`INSERT … SELECT FROM UNNEST`, its own
//! transaction: one commit, one WAL flush), on SQLite one turn at the writer
//! (one insert, chained inline, committed with the writer's batch). A
//! request that finds the group idle (always, under one client) takes its
//! turn and writes its row itself as before: no hand-off to a flusher task
//! on the path of a lone request.
//!
//! Durability is as before: a request hears `Ok` only after the flush that
//! holds its row has committed, so no data is shown before its access is on
//! disk; a failed flush fails every request in it (each answers an error and
//! shows nothing). Under one client a flush holds one request's rows; under
//! sixteen, as many as arrived during the flush before.
//!
//! Cancellation: the flush runs in a spawned task, so a request dropped
//! while it waits (a client gone) neither stops the flush nor loses the
//! other requests' rows; its own row is written all the same.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;
use vink_domain::audit::AuditFields;

use crate::{Result, StoreError, TxStats, micros};

/// Where a flush writes.
#[derive(Clone)]
pub(crate) enum Sink {
    /// PostgreSQL: `audit_pending` in one statement, chained later by the
    /// settler ([`crate::audit::settle`]).
    Pg { pool: PgPool, stats: Arc<TxStats> },
    /// SQLite: one write at the writer, chained inline.
    Sqlite(crate::Db),
}

impl Sink {
    /// Writes `rows` and returns once they are committed: a flush's write,
    /// and a lone SQLite request's own (its read cannot write).
    pub(crate) async fn write(&self, rows: Vec<AuditFields>) -> Result<()> {
        match self {
            Sink::Pg { pool, stats } => {
                let c = Columns::of(rows);
                sqlx::query(INSERT)
                    .bind(c.at)
                    .bind(c.actor_id)
                    .bind(c.actor_kind)
                    .bind(c.action)
                    .bind(c.record_type)
                    .bind(c.record_id)
                    .bind(c.outcome)
                    .bind(c.reason)
                    .bind(c.client)
                    .execute(pool)
                    .await
                    .map_err(|e| StoreError::Commit {
                        message: e.to_string(),
                        unavailable: crate::sqlx_unavailable(&e),
                    })?;
                stats.batches.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Sink::Sqlite(db) => {
                let mut w = db.begin().await?;
                crate::audit::append_all(&mut w, rows).await?;
                w.commit().await
            }
        }
    }
}

/// What a waiting request hears once the flush holding its rows has ended.
type Ack = oneshot::Sender<std::result::Result<(), StoreError>>;

/// The rows waiting for the next flush, and whether a flusher is running.
#[derive(Default)]
struct Queue {
    rows: Vec<AuditFields>,
    acks: Vec<Ack>,
    flushing: bool,
}

/// The queue of one database handle (shared by its clones).
#[derive(Default)]
pub struct AuditGroup {
    queue: std::sync::Mutex<Queue>,
}

/// One flush's rows, as the statement's arrays (one per column).
#[derive(Default)]
struct Columns {
    at: Vec<i64>,
    actor_id: Vec<Option<Uuid>>,
    actor_kind: Vec<String>,
    action: Vec<String>,
    record_type: Vec<Option<String>>,
    record_id: Vec<Option<Uuid>>,
    outcome: Vec<String>,
    reason: Vec<Option<String>>,
    client: Vec<Option<String>>,
}

impl Columns {
    fn of(rows: Vec<AuditFields>) -> Self {
        let mut c = Columns::default();
        for f in rows {
            c.at.push(micros(f.at));
            c.actor_id.push(f.actor_id);
            c.actor_kind.push(f.actor_kind);
            c.action.push(f.action);
            c.record_type.push(f.record_type);
            c.record_id.push(f.record_id);
            c.outcome.push(f.outcome.code().to_string());
            c.reason.push(f.reason);
            c.client.push(f.client);
        }
        c
    }
}

/// One statement for any number of rows: its text never changes, so it is
/// prepared once a connection. `UNNEST` keeps the arrays' order, so the rows
/// are numbered (and later chained) in the order they arrived.
const INSERT: &str = "INSERT INTO audit_pending \
     (at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client) \
     SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
     $6::uuid[], $7::text[], $8::text[], $9::text[])";

impl std::fmt::Debug for AuditGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditGroup(…)")
    }
}

impl AuditGroup {
    /// Takes the group's turn if it is idle: the holder writes its rows in
    /// its own transaction (one client alone pays no hand-off to a flusher),
    /// and whatever queues meanwhile is flushed when the turn ends (see
    /// [`Lead`]). `None`: a flush is under way; queue with [`Self::append`].
    pub(crate) fn lead(self: &Arc<Self>, sink: &Sink) -> Option<Lead> {
        let mut q = self.lock();
        if std::mem::replace(&mut q.flushing, true) {
            return None;
        }
        Some(Lead {
            group: self.clone(),
            sink: sink.clone(),
        })
    }

    /// Appends `rows` and returns once they are committed.
    pub(crate) async fn append(
        self: &Arc<Self>,
        sink: &Sink,
        rows: Vec<AuditFields>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (ack, heard) = oneshot::channel();
        let lead = {
            let mut q = self.lock();
            q.rows.extend(rows);
            q.acks.push(ack);
            !std::mem::replace(&mut q.flushing, true)
        };
        if lead {
            self.start_flusher(sink);
        }
        match heard.await {
            Ok(result) => result,
            // The flusher went away without a word: a panic in it.
            Err(_) => Err(StoreError::Commit {
                message: "the audit flush ended without an answer".into(),
                unavailable: true,
            }),
        }
    }

    /// Hands the turn (already marked taken) to a flusher task. Outside a
    /// runtime (never, in a server) the turn fails the queue as it drops, so
    /// no request waits.
    fn start_flusher(self: &Arc<Self>, sink: &Sink) {
        let turn = Turn {
            group: self.clone(),
            ended: false,
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(flush_all(turn, sink.clone()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // The lock guards plain moves of vectors and a flag; a panic while it
        // is held leaves them consistent, so a poisoned lock is taken as is.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes what is waiting, or, if nothing is, ends this flusher's turn
    /// (in the same lock, so a row queued just now starts a new flusher).
    fn take(&self) -> Option<(Vec<AuditFields>, Vec<Ack>)> {
        let mut q = self.lock();
        if q.acks.is_empty() {
            q.flushing = false;
            return None;
        }
        Some((std::mem::take(&mut q.rows), std::mem::take(&mut q.acks)))
    }
}

/// The turn of a request that writes its own rows in its own transaction.
/// Ending it (however the request ends: committed, failed, or dropped by a
/// client gone) hands what queued meanwhile to a flusher, or frees the turn.
pub(crate) struct Lead {
    group: Arc<AuditGroup>,
    sink: Sink,
}

impl Drop for Lead {
    fn drop(&mut self) {
        let mut q = self.group.lock();
        if q.acks.is_empty() {
            q.flushing = false;
            return;
        }
        drop(q);
        self.group.start_flusher(&self.sink);
    }
}

/// A flusher's turn. Should the flusher end without emptying the queue (a
/// panic), whatever waits hears a failure and the next request starts a new
/// flusher: no request waits for a flush that will never come.
struct Turn {
    group: Arc<AuditGroup>,
    /// The queue was found empty and the turn given up (then another
    /// flusher may already hold the next one).
    ended: bool,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let mut q = self.group.lock();
        q.flushing = false;
        q.rows.clear();
        for ack in q.acks.drain(..) {
            let _ = ack.send(Err(StoreError::Commit {
                message: "the audit flush stopped".into(),
                unavailable: true,
            }));
        }
    }
}

/// Flushes until the queue is empty: what queued during one flush goes in
/// the next.
async fn flush_all(mut turn: Turn, sink: Sink) {
    while let Some((rows, acks)) = turn.group.take() {
        match sink.write(rows).await {
            Ok(()) => {
                for ack in acks {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(e) => {
                let (message, unavailable) = match &e {
                    StoreError::Commit {
                        message,
                        unavailable,
                    } => (message.clone(), *unavailable),
                    e => (e.to_string(), e.is_unavailable()),
                };
                for ack in acks {
                    let _ = ack.send(Err(StoreError::Commit {
                        message: message.clone(),
                        unavailable,
                    }));
                }
            }
        }
    }
    turn.ended = true;
}
