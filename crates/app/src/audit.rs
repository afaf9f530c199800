//! Reading and verifying the audit log.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::audit::{ChainBreak, ChainVerifier, Outcome};
use vink_domain::policy::{Action, Resource};
use vink_domain::user::Actor;
use vink_store::audit::{self as store, AuditFilter};
use vink_store::instant;

use crate::{App, AppError, Result};

/// One audit row as the auditor sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<Uuid>,
    pub actor_kind: String,
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub outcome: String,
    pub reason: Option<String>,
    /// The client address of the request, where there was one.
    pub client: Option<String>,
}

/// Filters of the audit list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub record_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// `allowed` or `denied`.
    pub outcome: Option<String>,
    /// Only rows older than this sequence number (for paging backwards).
    pub before_seq: Option<i64>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// Lists audit rows, newest first. Reading the log is itself audited.
pub async fn list(app: &App, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let outcome = match q.outcome.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Outcome::parse(s).ok_or_else(|| {
            crate::invalid("outcome", "unknown_code", "must be allowed or denied")
        })?),
    };
    let limit = crate::page_limit(q.limit)?;
    // Every committed row chained before reading (PostgreSQL appends through
    // a pending table). Before the read begins: settling takes a write
    // connection, and a request must never hold one connection while waiting
    // for another (a full pool would wait on itself). Access first.
    app.require(actor, Action::AuditRead, None).await?;
    store::settle(&app.db).await?;
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::AuditRead, &Resource::None, None)
        .await?;
    let filter = AuditFilter {
        record_id: q.record_id,
        actor_id: q.actor_id,
        outcome,
        before_seq: q.before_seq,
    };
    let rows = store::list(&mut tx, &filter, limit).await?;
    let entries = rows.into_iter().map(entry).collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(entries)
}

/// Paging of the per-person access report.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonAccessQuery {
    /// Only rows older than this sequence number (the previous page's
    /// `next_before_seq`).
    pub before_seq: Option<i64>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// One access to a record about the person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonAccessEntry {
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The actor's agency (as the user is placed now; audit rows do not copy
    /// it), none for roles without one.
    pub actor_agency: Option<String>,
}

/// Everything recorded about access to one person's records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonAccess {
    pub person_id: Uuid,
    /// How many records (concerns, courses) are about the person.
    pub records: usize,
    pub entries: Vec<PersonAccessEntry>,
    /// Pass as `before_seq` for the next, older page; absent on the last.
    pub next_before_seq: Option<i64>,
}

/// "Who read or changed anything about this person, when, as which agency":
/// every audit row about the person's concerns and courses, newest first.
/// For auditors; the report itself is audited, with the person as its record.
pub async fn person_access(
    app: &App,
    actor: &Actor,
    person_id: Uuid,
    q: &PersonAccessQuery,
) -> Result<PersonAccess> {
    let limit = crate::page_limit(q.limit)?;
    let record = Some(vink_domain::policy::RecordRef::person(person_id));
    // As in `list`: access, then settle, then the read.
    app.require(actor, Action::AuditRead, record).await?;
    store::settle(&app.db).await?;
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::AuditRead, &Resource::None, record)
        .await?;
    if !vink_store::person::person_exists(&mut tx, person_id).await? {
        return Err(AppError::NotFound);
    }
    let records: Vec<Uuid> = vink_store::person::record_ids(&mut tx, person_id)
        .await?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let rows = store::for_records(&mut tx, &records, q.before_seq, limit).await?;
    let mut actors: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_id).collect();
    actors.sort_unstable();
    actors.dedup();
    let agencies: std::collections::HashMap<Uuid, Option<String>> =
        vink_store::user::agency_codes(&mut tx, &actors)
            .await?
            .into_iter()
            .collect();
    let next_before_seq = match rows.last() {
        Some(r) if rows.len() as i64 == limit => Some(r.seq),
        _ => None,
    };
    let entries = rows
        .into_iter()
        .map(|r| {
            let actor_agency = r.actor_id.and_then(|a| agencies.get(&a).cloned().flatten());
            Ok(PersonAccessEntry {
                entry: entry(r)?,
                actor_agency,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(PersonAccess {
        person_id,
        records: records.len(),
        entries,
        next_before_seq,
    })
}

fn entry(r: vink_store::audit::AuditRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.seq,
        at: instant(r.at)?,
        actor_id: r.actor_id,
        actor_kind: r.actor_kind,
        action: r.action,
        record_type: r.record_type,
        record_id: r.record_id,
        outcome: r.outcome,
        reason: r.reason,
        client: r.client,
    })
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every row links and hashes correctly; this many rows.
    Intact(i64),
    /// The first row that does not.
    Broken(ChainBreak),
}

/// Walks the whole chain in batches and checks every link and hash, then the
/// head. Run by `vink audit verify`, no actor: it reveals no content.
pub async fn verify(app: &App) -> Result<Verification> {
    const BATCH: i64 = 2_000;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    store::settle(&app.db).await?;
    let mut tx = app.db.begin_read().await?;
    loop {
        let rows = store::rows_after(&mut tx, after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            let stored = match r.to_stored() {
                Ok(s) => s,
                Err(_) => {
                    return Ok(Verification::Broken(ChainBreak {
                        seq: r.seq,
                        problem: "unreadable row",
                    }));
                }
            };
            if let Err(b) = verifier.check(&stored) {
                return Ok(Verification::Broken(b));
            }
        }
    }
    let (seq, hash) = store::head(&mut tx).await?;
    tx.commit().await?;
    match verifier.finish(seq, &hash) {
        Ok(n) => Ok(Verification::Intact(n)),
        Err(b) => Ok(Verification::Broken(b)),
    }
}

impl From<ChainBreak> for AppError {
    fn from(b: ChainBreak) -> Self {
        AppError::Internal(format!(
            "audit chain broken at row {}: {}",
            b.seq, b.problem
        ))
    }
}
