//! The capability that personal-data writes need: a transaction bound to one
//! [`Grant`] (one actor, one action, at most one record). Committing it is the
//! only way to end the work well, and it appends exactly one `allowed` audit
//! row: a use case cannot write without a decision, forget its row, or record
//! two actions for one request.

use std::ops::{Deref, DerefMut};

use jiff::Timestamp;
use vink_domain::audit::{AuditFields, Outcome};
use vink_domain::policy::{Action, Grant, RecordRef};
use vink_domain::user::Actor;

use crate::{Db, Result, Tx, audit};

/// A transaction with a grant. Reads of the same transaction go through
/// `Deref<Target = Tx>`; writes of personal data take `&mut Authorized`.
/// Dropping it without [`Authorized::commit`] rolls the work back.
pub struct Authorized {
    tx: Tx,
    grant: Grant,
    at: Timestamp,
    mode: Mode,
    /// Further records whose personal data the granted read showed (the
    /// concerns on a meeting's agenda): one more row each, reason `shown`, so
    /// a per-person access report finds the view.
    shown: Vec<RecordRef>,
}

enum Mode {
    /// The audit row goes into the same transaction as the work.
    Write,
    /// A read: the row is appended after the read, alone, grouped with
    /// other requests' rows ([`Db::append_audit`]). The caller gets the data
    /// only once the row is committed.
    Read(Db),
}

impl Authorized {
    /// Binds a write transaction to a grant.
    pub fn write(tx: Tx, grant: Grant, at: Timestamp) -> Self {
        Authorized {
            tx,
            grant,
            at,
            mode: Mode::Write,
            shown: Vec::new(),
        }
    }

    /// Binds a read transaction (from [`Db::begin_read`]) to a grant.
    pub fn read(tx: Tx, grant: Grant, at: Timestamp, db: &Db) -> Self {
        Authorized {
            tx,
            grant,
            at,
            mode: Mode::Read(db.clone()),
            shown: Vec::new(),
        }
    }

    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Notes that the read also shows this record's personal data (allowed by
    /// the same decision): its own audit row is written with the grant's.
    pub fn also_shows(&mut self, record: RecordRef) {
        if Some(record) != self.grant.record() && !self.shown.contains(&record) {
            self.shown.push(record);
        }
    }

    /// The instant the access was decided: what the audit row records.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// Ends the work and appends its one audit row.
    pub async fn commit(self) -> Result<()> {
        self.commit_noting(None).await
    }

    /// Like [`Authorized::commit`], with a reason code on the audit row
    /// (`consent`, `assigned`, …). Never personal data.
    pub async fn commit_noting(self, reason: Option<String>) -> Result<()> {
        let Authorized {
            mut tx,
            grant,
            at,
            mode,
            shown,
        } = self;
        let mut rows = vec![fields(
            grant.actor(),
            grant.action(),
            grant.record(),
            Outcome::Allowed,
            reason,
            at,
        )];
        rows.extend(shown.into_iter().map(|r| {
            fields(
                grant.actor(),
                grant.action(),
                Some(r),
                Outcome::Allowed,
                Some("shown".into()),
                at,
            )
        }));
        match mode {
            Mode::Write => {
                audit::append_all(&mut tx, rows).await?;
                tx.commit().await
            }
            Mode::Read(db) => match db.lead_audit() {
                // PostgreSQL, and no other request is writing a row alone:
                // the read's own transaction carries its rows, one commit.
                // Rows that come meanwhile queue, flushed when `_turn` ends.
                Some(_turn) => {
                    audit::append_all(&mut tx, rows).await?;
                    tx.commit().await
                }
                // The read ends first (a read-only transaction: its commit
                // writes nothing), then its rows are appended alone, grouped
                // with other requests' (SQLite: the writer's batch;
                // PostgreSQL: `audit_group`'s next flush). Either way the
                // caller sees the data only after its rows are committed.
                None => {
                    tx.commit().await?;
                    db.append_audit(rows).await
                }
            },
        }
    }
}

impl Deref for Authorized {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for Authorized {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}

/// Records a refusal (or a failed log-in, or a rate limit) in a short write of
/// its own: nothing else is done, so nothing else is committed.
pub async fn record_denied(
    db: &Db,
    actor: &Actor,
    action: Action,
    record: Option<RecordRef>,
    reason: &str,
    at: Timestamp,
) -> Result<()> {
    db.append_audit(vec![fields(
        actor,
        action,
        record,
        Outcome::Denied,
        Some(reason.to_string()),
        at,
    )])
    .await
}

fn fields(
    actor: &Actor,
    action: Action,
    record: Option<RecordRef>,
    outcome: Outcome,
    reason: Option<String>,
    at: Timestamp,
) -> AuditFields {
    AuditFields {
        seq: 0,
        at,
        actor_id: actor.user_id(),
        actor_kind: actor.label().to_string(),
        action: action.code().to_string(),
        record_type: record.map(|r| r.kind.to_string()),
        record_id: record.map(|r| r.id),
        outcome,
        reason,
        client: actor.client.map(|c| c.to_string()),
    }
}
