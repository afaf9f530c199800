//! The audit log: appended inside the transaction of the work it records, and
//! chained by hash through a single head row that serialises appends.

use uuid::Uuid;
use vink_domain::audit::{AuditFields, AuditKey, Outcome, StoredAudit};

use crate::group::{Hot, HotValue};
use crate::sql::{Bind, Conditions, bind_all};
use crate::{Order, Result, SqliteTx, StoreError, Tx, instant, micros, on};

/// A row as stored, for the auditor's list and for verification.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_kind: String,
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub outcome: String,
    pub reason: Option<String>,
    pub client: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// Back to the domain's form, for hashing. An unknown outcome code cannot
    /// hash to the stored value, so it is kept as-is to fail verification.
    pub fn to_stored(&self) -> Result<StoredAudit> {
        let outcome = Outcome::parse(&self.outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("audit row {}: outcome", self.seq)))?;
        Ok(StoredAudit {
            fields: AuditFields {
                seq: self.seq,
                at: instant(self.at)?,
                actor_id: self.actor_id,
                actor_kind: self.actor_kind.clone(),
                action: self.action.clone(),
                record_type: self.record_type.clone(),
                record_id: self.record_id,
                outcome,
                reason: self.reason.clone(),
                client: self.client.clone(),
            },
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        })
    }
}

/// Appends the rows for the work of the transaction it is given (the grant's
/// row and any `shown` rows).
///
/// SQLite chains them at once: the write transaction already holds the
/// database's only write lock. PostgreSQL inserts them into `audit_pending`
/// instead (queued: sent with the transaction's other inserts, see
/// [`crate::deferred`]), so that concurrent requests never wait for
/// each other on the chain's head row until their commits; [`settle`] chains
/// committed rows in order. Either way the rows commit or roll back with the
/// work.
pub(crate) async fn append_all(tx: &mut Tx, rows: Vec<AuditFields>) -> Result<()> {
    match tx {
        Tx::Sqlite(SqliteTx::Write(lease)) => {
            let key = lease.audit_key()?;
            append_rows(tx, &key, rows).await?;
        }
        Tx::Sqlite(SqliteTx::Read(_)) => {
            return Err(StoreError::Corrupt(
                "an audit row cannot be appended in a read transaction".into(),
            ));
        }
        Tx::Pg(_) => {
            let rows = rows
                .into_iter()
                .map(|f| {
                    vec![
                        Bind::I64(micros(f.at)),
                        Bind::OptUuid(f.actor_id),
                        Bind::Text(f.actor_kind),
                        Bind::Text(f.action),
                        Bind::OptText(f.record_type),
                        Bind::OptUuid(f.record_id),
                        Bind::Text(f.outcome.code().into()),
                        Bind::OptText(f.reason),
                        Bind::OptText(f.client),
                    ]
                })
                .collect();
            crate::deferred::insert(
                tx,
                "audit_pending",
                "at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client",
                rows,
            )
            .await?;
        }
    }
    Ok(())
}

/// Raw appends for the store's chain tests only, chained at once on both
/// backends; use cases go through [`crate::Authorized::commit`] and
/// [`crate::record_denied`].
#[cfg(feature = "test-support")]
pub async fn append_raw(db: &crate::Db, tx: &mut Tx, fields: AuditFields) -> Result<i64> {
    let key = db.keys().audit()?;
    append_rows(tx, &key, vec![fields]).await
}

/// Chains `rows` after the head, in order, and moves the head past them;
/// returns the last row's number.
async fn append_rows(tx: &mut Tx, key: &AuditKey, rows: Vec<AuditFields>) -> Result<i64> {
    let (seq, prev) = lock_head(tx).await?;
    let (seq, hash) = chain(tx, key, seq, prev, rows).await?;
    set_head(tx, seq, &hash).await?;
    Ok(seq)
}

/// The head, locked on PostgreSQL until the transaction ends (SQLite's write
/// transaction holds the only write lock already, and its batch keeps the
/// head in memory between requests: see [`crate::group`]).
async fn lock_head(tx: &mut Tx) -> Result<(i64, String)> {
    if let Tx::Sqlite(SqliteTx::Write(lease)) = tx
        && let Some(HotValue::Head(seq, hash)) = lease.hot(&Hot::AuditHead)
    {
        return Ok((seq, hash));
    }
    let head_sql = match tx {
        Tx::Sqlite(_) => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Tx::Pg(_) => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let (seq, hash): (i64, String) = on!(tx, |c| sqlx::query_as(head_sql).fetch_one(c).await?);
    if let Tx::Sqlite(SqliteTx::Write(lease)) = tx {
        lease.set_hot(Hot::AuditHead, HotValue::Head(seq, hash.clone()), false);
    }
    Ok((seq, hash))
}

/// Moves the head. On SQLite's writer the row is written once, when the
/// batch commits.
async fn set_head(tx: &mut Tx, seq: i64, hash: &str) -> Result<()> {
    if let Tx::Sqlite(SqliteTx::Write(lease)) = tx {
        lease.set_hot(Hot::AuditHead, HotValue::Head(seq, hash.to_string()), true);
        return Ok(());
    }
    on!(tx, |c| sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
    )
    .bind(seq)
    .bind(hash)
    .execute(c)
    .await?
    .rows_affected());
    Ok(())
}

/// Inserts rows after the head `(seq, prev)`, each hashed over the one
/// before, many to a statement; returns the new head. The caller holds the
/// head and sets it afterwards.
async fn chain(
    tx: &mut Tx,
    key: &AuditKey,
    mut seq: i64,
    mut prev: String,
    rows: Vec<AuditFields>,
) -> Result<(i64, String)> {
    const PER_STATEMENT: usize = 400;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut values = Vec::with_capacity(PER_STATEMENT);
        for mut f in rows.by_ref().take(PER_STATEMENT) {
            seq += 1;
            f.seq = seq;
            // Hash exactly what the database will keep (whole microseconds).
            f.at = instant(micros(f.at))?;
            let hash = f.mac(key, &prev);
            values.push(vec![
                Bind::I64(f.seq),
                Bind::I64(micros(f.at)),
                Bind::OptUuid(f.actor_id),
                Bind::Text(f.actor_kind),
                Bind::Text(f.action),
                Bind::OptText(f.record_type),
                Bind::OptUuid(f.record_id),
                Bind::Text(f.outcome.code().to_string()),
                Bind::OptText(f.reason),
                Bind::OptText(f.client),
                Bind::Text(std::mem::replace(&mut prev, hash.clone())),
                Bind::Text(hash),
            ]);
        }
        // Queued with the work's other inserts (see `crate::deferred`).
        crate::deferred::insert(
            tx,
            "audit_log",
            "seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash",
            values,
        )
        .await?;
    }
    Ok((seq, prev))
}

/// Appends a recorded history in bulk, chained exactly as single appends are:
/// for the national-scale data generator, which writes millions of rows. The
/// rows' `seq` is assigned here; one head update at the end.
pub async fn append_history(
    db: &crate::Db,
    tx: &mut crate::Authorized,
    rows: Vec<AuditFields>,
) -> Result<i64> {
    let key = db.keys().audit()?;
    let tx = crate::AsTx::as_tx(tx);
    let (seq, prev) = lock_head(tx).await?;
    let (seq, hash) = chain(tx, &key, seq, prev, rows).await?;
    set_head(tx, seq, &hash).await?;
    Ok(seq)
}

/// A pending row as stored on PostgreSQL.
#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    at: i64,
    actor_id: Option<Uuid>,
    actor_kind: String,
    action: String,
    record_type: Option<String>,
    record_id: Option<Uuid>,
    outcome: String,
    reason: Option<String>,
    client: Option<String>,
}

/// One settling at a time in a process, and none for a caller that a
/// settling begun after it arrived has already served.
///
/// Sixteen readers of the log at once each found rows pending (the rows of
/// the reads just before) and each queued on the head's lock, one after
/// another, mostly to learn that another had chained their rows: 24 ms p50 at
/// 16 connections against 3 ms alone. Here they wait in the process instead,
/// holding no connection, and the first one through settles for all who
/// arrived before it began. Settling in another process is not seen here,
/// only repeated: never wrong, at worst one more pass.
#[derive(Debug, Default)]
pub struct Settler {
    /// Passes begun, numbered from 1.
    begun: std::sync::atomic::AtomicU64,
    /// The number of the last pass that finished without error.
    finished: tokio::sync::Mutex<u64>,
}

/// Chains every committed pending row (PostgreSQL), oldest first, in batches
/// under the head's lock, and says how many it chained. A reader of the log
/// calls this first, so it sees every committed row; the server's chainer job
/// calls it often, so the unchained tail stays short. On SQLite nothing is
/// ever pending.
///
/// What the caller must see chained is what was pending when it called: read
/// first, without a lock or a transaction. Nothing pending (an idle chainer
/// pass, a reader after one) is that one read, no write. When another settler
/// held the head and chained those rows meanwhile, the lock is let go with a
/// rollback, not a commit: sixteen readers of the log at once no longer
/// queue one durable commit each behind the head (the load benchmark's audit
/// reads at 16 connections, 28 ms p50). Within a process, callers pass one
/// at a time through [`Settler`], and one that a pass begun after its call
/// has served returns 0 without a round trip.
pub async fn settle(db: &crate::Db) -> Result<u64> {
    use std::sync::atomic::Ordering;
    let Some(settler) = db.settler() else {
        return Ok(0);
    };
    // What this caller committed before now is pending by now; a pass that
    // begins after this load reads it.
    let arrived = settler.begun.load(Ordering::SeqCst);
    let mut finished = settler.finished.lock().await;
    if *finished > arrived {
        return Ok(0);
    }
    let pass = settler.begun.fetch_add(1, Ordering::SeqCst) + 1;
    let chained = settle_pass(db).await?;
    *finished = pass;
    Ok(chained)
}

/// One pass of [`settle`], under its gate.
async fn settle_pass(db: &crate::Db) -> Result<u64> {
    const BATCH: i64 = 2000;
    let key = db.keys().audit()?;
    let mut probe = db.read_one().await?;
    let seen: Vec<i64> = on!(&mut probe, |c| sqlx::query_scalar(
        "SELECT id FROM audit_pending ORDER BY id LIMIT $1"
    )
    .bind(BATCH)
    .fetch_all(c)
    .await?);
    probe.commit().await?;
    if seen.is_empty() {
        return Ok(0);
    }
    // All of what was pending, or only the first batch of more.
    let seen_all = (seen.len() as i64) < BATCH;
    let mut total = 0u64;
    loop {
        let mut tx = db.begin().await?;
        let (seq, prev) = lock_head(&mut tx).await?;
        // Read after the head is locked: a chainer that held it before us has
        // committed, and its rows are gone from this statement's snapshot.
        let pending: Vec<PendingRow> = on!(&mut tx, |c| {
            sqlx::query_as(
            "SELECT id, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client
             FROM audit_pending ORDER BY id LIMIT $1"
        )
        .bind(BATCH)
        .fetch_all(c)
        .await?
        });
        // Nothing left of what this caller saw pending: another settler
        // chained it (rows are only ever deleted here, with their chaining,
        // in one transaction). What is pending now came later.
        let chained_by_another =
            total == 0 && seen_all && !pending.iter().any(|p| seen.binary_search(&p.id).is_ok());
        if pending.is_empty() || chained_by_another {
            tx.rollback().await?;
            return Ok(total);
        }
        let n = pending.len();
        let mut ids = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        for p in pending {
            let outcome = Outcome::parse(&p.outcome).ok_or_else(|| {
                StoreError::Corrupt(format!("pending audit row {}: outcome", p.id))
            })?;
            ids.push(p.id);
            rows.push(AuditFields {
                seq: 0,
                at: instant(p.at)?,
                actor_id: p.actor_id,
                actor_kind: p.actor_kind,
                action: p.action,
                record_type: p.record_type,
                record_id: p.record_id,
                outcome,
                reason: p.reason,
                client: p.client,
            });
        }
        let (seq, hash) = chain(&mut tx, &key, seq, prev, rows).await?;
        set_head(&mut tx, seq, &hash).await?;
        // By id, never by range: a row with a lower id may commit later, and
        // is chained by the next pass.
        if let Tx::Pg(c) = &mut tx {
            sqlx::query("DELETE FROM audit_pending WHERE id = ANY($1)")
                .bind(&ids)
                .execute(&mut **c)
                .await?;
        }
        tx.commit().await?;
        total += n as u64;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// The head: last sequence number and hash.
pub async fn head(tx: &mut Tx) -> Result<(i64, String)> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    .fetch_one(c)
    .await?))
}

/// How the stored chain relates to a key, judged by its last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// No rows yet: any key starts the chain.
    Empty,
    /// The last row's hash is this key's HMAC.
    Matches,
    /// The last row is hashed the old, unkeyed way: `vink audit rekey`.
    Unkeyed,
    /// Neither: another key wrote this chain (or its head was changed).
    OtherKey,
}

/// Whether `key` wrote this database's chain: a cheap check at start-up,
/// so a server given the wrong key refuses to start rather than write rows
/// no verification will accept.
pub async fn key_check(db: &crate::Db, key: &AuditKey) -> Result<KeyCheck> {
    let mut tx = db.begin_read().await?;
    let (seq, hash) = head(&mut tx).await?;
    if seq == 0 {
        tx.commit().await?;
        return Ok(KeyCheck::Empty);
    }
    let row = rows_after(&mut tx, seq - 1, 1).await?;
    tx.commit().await?;
    let Some(row) = row.into_iter().next() else {
        return Ok(KeyCheck::OtherKey);
    };
    let stored = row.to_stored()?;
    Ok(if stored.hash != hash {
        KeyCheck::OtherKey
    } else if stored.fields.mac(key, &stored.prev_hash) == hash {
        KeyCheck::Matches
    } else if stored.fields.legacy_hash(&stored.prev_hash) == hash {
        KeyCheck::Unkeyed
    } else {
        KeyCheck::OtherKey
    })
}

/// Rewrites the links of rows already in the chain (`vink audit rekey`,
/// which checked them first): `(seq, prev_hash, hash)` each.
pub async fn rewrite_links(tx: &mut Tx, links: &[(i64, String, String)]) -> Result<()> {
    for (seq, prev, hash) in links {
        on!(tx, |c| sqlx::query(
            "UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3"
        )
        .bind(prev)
        .bind(hash)
        .bind(seq)
        .execute(c)
        .await?
        .rows_affected());
    }
    Ok(())
}

/// Sets the head after [`rewrite_links`].
pub async fn rewrite_head(tx: &mut Tx, seq: i64, hash: &str) -> Result<()> {
    lock_head(tx).await?;
    set_head(tx, seq, hash).await
}

/// Rows with `seq` greater than `after`, in order, at most `limit`: verification
/// walks the chain in batches so memory stays flat on a long log.
pub async fn rows_after(tx: &mut Tx, after: i64, limit: i64) -> Result<Vec<AuditRow>> {
    Ok(on!(tx, |c| {
        sqlx::query_as(
        "SELECT seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash
         FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await?
    }))
}

/// Filter for the auditor's list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub record_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub outcome: Option<Outcome>,
    /// Only rows with `seq` below this (for paging newest first).
    pub before_seq: Option<i64>,
    /// Only rows with `seq` above this (for paging oldest first).
    pub after_seq: Option<i64>,
    /// Newest first (the default) or oldest first: `seq` walked either way.
    pub order: Order,
    /// One action code (`concern.read`, `search.run`, …).
    pub action: Option<String>,
    /// Rows at or after this instant (µs).
    pub from_at: Option<i64>,
    /// Rows before this instant (µs).
    pub to_at: Option<i64>,
}

/// How far a row's time may run ahead of a later row's (rows are chained in
/// commit order, stamped when the request began): the period's `seq` bounds
/// are looked up this much wider, and the exact times filter the rest.
const CLOCK_SKEW_US: i64 = 60_000_000;

/// Newest or oldest first, filtered.
///
/// Planned for its values on PostgreSQL: an auditor's filters differ in
/// selectivity by orders of magnitude (a rare action has its own index, a
/// common one is best found walking the log), and a generic plan, which
/// PostgreSQL's `auto` mode may settle on after five runs, walked all 20
/// million rows of M for a rare action (19 ms; with its index 1-2 ms).
pub async fn list(tx: &mut Tx, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>> {
    crate::query_plan::custom_plans(tx).await?;
    let (sql, w) = list_sql(f, limit);
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}

/// Rows about any of `records`, newest first, older than `before_seq`: the
/// per-person access report. One index range per record on
/// `(record_id, seq)`, each stopped after `limit` rows, merged; the cost is
/// bounded by the person's records, never by the size of the log.
pub async fn for_records(
    tx: &mut Tx,
    records: &[Uuid],
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let records = &records[..records.len().min(MAX_RECORDS)];
    let Some(sql) = for_records_sql(records.len()) else {
        return Ok(Vec::new());
    };
    let mut w = Conditions::default();
    let l = w.param(Bind::I64(limit));
    let b = w.param(Bind::I64(before_seq.unwrap_or(i64::MAX)));
    debug_assert_eq!((l.as_str(), b.as_str()), ("$1", "$2"));
    for r in records {
        w.param(Bind::Uuid(*r));
    }
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}

/// The most records one report merges (SQLite allows 500 terms in a compound
/// select); a person with more is reported over their newest records.
pub const MAX_RECORDS: usize = 400;

/// `$1` is the limit, `$2` the upper bound on `seq`, `$3…` the records.
pub(crate) fn for_records_sql(n: usize) -> Option<String> {
    if n == 0 {
        return None;
    }
    let cols = "seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash";
    let parts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "SELECT {cols} FROM (SELECT {cols} FROM audit_log WHERE record_id = ${} AND seq < $2 ORDER BY seq DESC LIMIT $1) AS r{i}",
                i + 3
            )
        })
        .collect();
    Some(format!(
        "{} ORDER BY seq DESC LIMIT $1",
        parts.join(" UNION ALL ")
    ))
}

/// The auditor's list SQL: newest (or oldest) first, over the (record, seq)
/// or (actor, seq) index when filtered by either.
pub(crate) fn list_sql(f: &AuditFilter, limit: i64) -> (String, Conditions) {
    let mut w = Conditions::default();
    // The first of record, actor and action given leads the walk: written
    // as a range of one value and put first in the order, so that its own
    // `(key, seq)` index is the only one that gives the order without a
    // sort. An equality would let the planner walk the whole log by `seq`
    // instead, on the guess that a common action turns up soon; on M the
    // newest 170 000 rows were list views, and "concern.read" took 20-30 ms
    // to find that way (under 2 ms from its index).
    let keys = [
        ("record_id", f.record_id.map(Bind::Uuid)),
        ("actor_id", f.actor_id.map(Bind::Uuid)),
        ("action", f.action.clone().map(Bind::Text)),
    ];
    let mut lead = None;
    for (column, value) in keys {
        let Some(value) = value else { continue };
        let p = w.param(value);
        if lead.is_none() {
            w.push(format!("{column} >= {p} AND {column} <= {p}"));
            lead = Some(column);
        } else {
            w.push(format!("{column} = {p}"));
        }
    }
    if let Some(o) = f.outcome {
        let p = w.param(Bind::Text(o.code().to_string()));
        w.push(format!("outcome = {p}"));
    }
    if let Some(b) = f.before_seq {
        let p = w.param(Bind::I64(b));
        w.push(format!("seq < {p}"));
    }
    if let Some(a) = f.after_seq {
        let p = w.param(Bind::I64(a));
        w.push(format!("seq > {p}"));
    }
    // A period becomes a range of `seq` (two probes of the time index), so
    // the list still walks `seq` newest first and stops after `limit` rows.
    if let Some(from) = f.from_at {
        let wide = w.param(Bind::I64(from - CLOCK_SKEW_US));
        let exact = w.param(Bind::I64(from));
        w.push(format!(
            "seq >= COALESCE((SELECT a2.seq FROM audit_log a2 WHERE a2.at >= {wide} ORDER BY a2.at LIMIT 1), 9223372036854775807) AND at >= {exact}"
        ));
    }
    if let Some(to) = f.to_at {
        let wide = w.param(Bind::I64(to + CLOCK_SKEW_US));
        let exact = w.param(Bind::I64(to));
        w.push(format!(
            "seq <= COALESCE((SELECT a3.seq FROM audit_log a3 WHERE a3.at < {wide} ORDER BY a3.at DESC LIMIT 1), 0) AND at < {exact}"
        ));
    }
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash
         FROM audit_log{} ORDER BY {} LIMIT {l}",
        w.where_clause(),
        f.order.by(&lead.map_or(vec!["seq"], |k| vec![k, "seq"]))
    );
    (sql, w)
}
