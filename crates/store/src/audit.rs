//! The audit log: appended inside the transaction of the work it records, and
//! chained by hash through a single head row that serialises appends.

use uuid::Uuid;
use vink_domain::audit::{AuditFields, Outcome, StoredAudit};

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Result, StoreError, Tx, instant, micros, on};

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

/// Appends one row, chaining it to the head. On PostgreSQL the head row is
/// locked until the transaction ends, so concurrent appends queue up; on SQLite
/// the write transaction already holds the only write lock.
pub(crate) async fn append(tx: &mut Tx, fields: AuditFields) -> Result<i64> {
    append_row(tx, fields).await
}

/// Raw appends for the store's chain tests only; use cases go through
/// [`crate::Authorized::commit`] and [`crate::record_denied`].
#[cfg(feature = "test-support")]
pub async fn append_raw(tx: &mut Tx, fields: AuditFields) -> Result<i64> {
    append_row(tx, fields).await
}

async fn append_row(tx: &mut Tx, mut fields: AuditFields) -> Result<i64> {
    let head_sql = match tx {
        Tx::Sqlite(_) => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Tx::Pg(_) => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let (seq, prev): (i64, String) = on!(tx, |c| sqlx::query_as(head_sql).fetch_one(c).await?);
    fields.seq = seq + 1;
    // Hash exactly what the database will keep (whole microseconds).
    fields.at = instant(micros(fields.at))?;
    let hash = fields.hash(&prev);
    on!(tx, |c| {
        sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(fields.seq)
    .bind(micros(fields.at))
    .bind(fields.actor_id)
    .bind(&fields.actor_kind)
    .bind(&fields.action)
    .bind(&fields.record_type)
    .bind(fields.record_id)
    .bind(fields.outcome.code())
    .bind(&fields.reason)
    .bind(&fields.client)
    .bind(&prev)
    .bind(&hash)
    .execute(c).await?.rows_affected()
    });
    on!(tx, |c| sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
    )
    .bind(fields.seq)
    .bind(&hash)
    .execute(c)
    .await?
    .rows_affected());
    Ok(fields.seq)
}

/// Appends a recorded history in bulk, chained exactly as single appends are:
/// for the national-scale data generator, which writes millions of rows. The
/// rows' `seq` is assigned here; one head update at the end.
pub async fn append_history(tx: &mut crate::Authorized, rows: Vec<AuditFields>) -> Result<i64> {
    let head_sql = match crate::AsTx::as_tx(tx) {
        Tx::Sqlite(_) => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Tx::Pg(_) => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let (mut seq, mut prev): (i64, String) =
        on!(tx, |c| sqlx::query_as(head_sql).fetch_one(c).await?);
    const PER_STATEMENT: usize = 400;
    for chunk in rows.chunks(PER_STATEMENT) {
        let mut w = Conditions::default();
        let mut values = Vec::with_capacity(chunk.len());
        for f in chunk {
            let mut f = f.clone();
            seq += 1;
            f.seq = seq;
            f.at = instant(micros(f.at))?;
            let hash = f.hash(&prev);
            let ps = [
                w.param(Bind::I64(f.seq)),
                w.param(Bind::I64(micros(f.at))),
                w.param(Bind::OptUuid(f.actor_id)),
                w.param(Bind::Text(f.actor_kind.clone())),
                w.param(Bind::Text(f.action.clone())),
                w.param(Bind::OptText(f.record_type.clone())),
                w.param(Bind::OptUuid(f.record_id)),
                w.param(Bind::Text(f.outcome.code().to_string())),
                w.param(Bind::OptText(f.reason.clone())),
                w.param(Bind::OptText(f.client.clone())),
                w.param(Bind::Text(prev.clone())),
                w.param(Bind::Text(hash.clone())),
            ];
            values.push(format!("({})", ps.join(", ")));
            prev = hash;
        }
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash)
             VALUES {} RETURNING seq",
            values.join(", ")
        );
        let _: Vec<(i64,)> = on!(tx, |c| bind_all(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
            &w.binds
        )
        .fetch_all(c)
        .await?);
    }
    on!(tx, |c| sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
    )
    .bind(seq)
    .bind(&prev)
    .execute(c)
    .await?
    .rows_affected());
    Ok(seq)
}

/// The head: last sequence number and hash.
pub async fn head(tx: &mut Tx) -> Result<(i64, String)> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    .fetch_one(c)
    .await?))
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
}

/// Newest first, filtered.
pub async fn list(tx: &mut Tx, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>> {
    let (sql, w) = list_sql(f, limit);
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}

/// The auditor's list SQL: newest first, over the (record, seq) or
/// (actor, seq) index when filtered by either.
pub(crate) fn list_sql(f: &AuditFilter, limit: i64) -> (String, Conditions) {
    let mut w = Conditions::default();
    if let Some(r) = f.record_id {
        let p = w.param(Bind::Uuid(r));
        w.push(format!("record_id = {p}"));
    }
    if let Some(a) = f.actor_id {
        let p = w.param(Bind::Uuid(a));
        w.push(format!("actor_id = {p}"));
    }
    if let Some(o) = f.outcome {
        let p = w.param(Bind::Text(o.code().to_string()));
        w.push(format!("outcome = {p}"));
    }
    if let Some(b) = f.before_seq {
        let p = w.param(Bind::I64(b));
        w.push(format!("seq < {p}"));
    }
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash
         FROM audit_log{} ORDER BY seq DESC LIMIT {l}",
        w.where_clause()
    );
    (sql, w)
}
