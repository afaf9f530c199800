//! Reading and verifying the audit log.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::audit::{ChainBreak, ChainVerifier, Hashing, Outcome};
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
    /// The actor's display name, where the actor is a user.
    pub actor_name: Option<String>,
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
    /// The actor by user name (instead of `actor_id`).
    pub actor: Option<String>,
    /// One action code, e.g. `concern.read` or `search.run`.
    pub action: Option<String>,
    /// First day of the period (`dd.mm.åååå` or `åååå-mm-dd`, Copenhagen time).
    pub from: Option<String>,
    /// Last day of the period, inclusive.
    pub to: Option<String>,
    /// `allowed` or `denied`.
    pub outcome: Option<String>,
    /// Only rows older than this sequence number (the next page newest first).
    pub before_seq: Option<i64>,
    /// Only rows newer than this sequence number (the next page oldest first).
    pub after_seq: Option<i64>,
    /// `desc` (newest first, the default) or `asc` (oldest first).
    pub order: Option<String>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// Lists audit rows, newest or oldest first. Reading the log is itself audited.
pub async fn list(app: &App, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let outcome = match q.outcome.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Outcome::parse(s).ok_or_else(|| {
            crate::invalid("outcome", "unknown_code", "must be allowed or denied")
        })?),
    };
    let limit = crate::page_limit(q.limit)?;
    let mut errs = vink_domain::validation::FieldErrors::new();
    let action = match q.action.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(a) if Action::ALL.iter().any(|x| x.code() == a) => Some(a.to_string()),
        Some(_) => {
            errs.add("action", "unknown_code", "not an action code");
            None
        }
    };
    let order = crate::parse_order(&mut errs, q.order.as_deref(), vink_store::Order::Descending);
    let rule = vink_domain::validation::DateRule::default();
    let from =
        vink_domain::validation::date_field(&mut errs, "from", q.from.as_deref(), rule, false);
    let to = vink_domain::validation::date_field(&mut errs, "to", q.to.as_deref(), rule, false);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errs.add("to", "out_of_range", "the period ends before it begins");
    }
    errs.finish(())?;
    let start_of = |d: jiff::civil::Date| -> Result<i64> {
        let z = d
            .to_datetime(jiff::civil::Time::midnight())
            .to_zoned_datetime(vink_domain::concern::local_tz())
            .map_err(|e| AppError::Internal(format!("date: {e}")))?;
        Ok(vink_store::micros(z.timestamp()))
    };
    let from_at = from.map(start_of).transpose()?;
    let to_at = match to {
        Some(t) => Some(start_of(
            t.tomorrow()
                .map_err(|e| AppError::Internal(format!("date: {e}")))?,
        )?),
        None => None,
    };
    // Every committed row chained before reading (PostgreSQL appends through
    // a pending table). Before the read begins: settling takes a write
    // connection, and a request must never hold one connection while waiting
    // for another (a full pool would wait on itself). Access first.
    app.require(actor, Action::AuditRead, None).await?;
    store::settle(&app.db).await?;
    // The log's list plans for its values (`store::list`): said with the
    // BEGIN, one round trip fewer.
    let tx = app.db.begin_read_custom().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::AuditRead, &Resource::None, None)
        .await?;
    let actor_id = match q.actor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => q.actor_id,
        Some(name) => match vink_store::user::user_by_name(&mut tx, &name.to_lowercase()).await? {
            Some(u) => Some(u.id),
            None => return Err(crate::invalid("actor", "unknown", "no such user")),
        },
    };
    let filter = AuditFilter {
        record_id: q.record_id,
        actor_id,
        outcome,
        before_seq: q.before_seq,
        after_seq: q.after_seq,
        order,
        action,
        from_at,
        to_at,
    };
    let rows = store::list(&mut tx, &filter, limit).await?;
    let names = actor_names(&mut tx, &rows).await?;
    let entries = rows
        .into_iter()
        .map(|r| {
            let name = r.actor_id.and_then(|a| names.get(&a).map(|n| n.0.clone()));
            entry(r).map(|mut e| {
                e.actor_name = name;
                e
            })
        })
        .collect::<Result<Vec<_>>>()?;
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
    let names = actor_names(&mut tx, &rows).await?;
    let next_before_seq = match rows.last() {
        Some(r) if rows.len() as i64 == limit => Some(r.seq),
        _ => None,
    };
    let entries = rows
        .into_iter()
        .map(|r| {
            let known = r.actor_id.and_then(|a| names.get(&a).cloned());
            let mut e = entry(r)?;
            e.actor_name = known.as_ref().map(|k| k.0.clone());
            Ok(PersonAccessEntry {
                entry: e,
                actor_agency: known.and_then(|k| k.1),
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

/// Display name and agency of each actor on a page of rows.
async fn actor_names(
    tx: &mut vink_store::Tx,
    rows: &[vink_store::audit::AuditRow],
) -> Result<std::collections::HashMap<Uuid, (String, Option<String>)>> {
    let mut ids: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(vink_store::user::actor_labels(tx, &ids)
        .await?
        .into_iter()
        .map(|(id, name, agency)| (id, (name, agency)))
        .collect())
}

fn entry(r: vink_store::audit::AuditRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.seq,
        at: instant(r.at)?,
        actor_id: r.actor_id,
        actor_name: None,
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
    /// Every row links and hashes correctly under the key, and the chain
    /// passes through every binding signed checkpoint.
    Intact { rows: i64, checkpoints: usize },
    /// The first row that does not.
    Broken(ChainBreak),
}

/// Walks the whole chain in batches and checks every link and keyed hash,
/// then the head, and that every signed checkpoint since the last restore
/// is on the chain (so rows cut off the end with the head set back are
/// found). Run by `vink audit verify`, no actor: it reveals no content.
pub async fn verify(app: &App) -> Result<Verification> {
    let checkpoints = crate::checkpoint::binding(&app.config.checkpoints, &app.keys)?;
    let n = checkpoints.len();
    store::settle(&app.db).await?;
    let verifier = ChainVerifier::new(Hashing::Keyed(app.keys.audit.clone())).through(checkpoints);
    let mut tx = app.db.begin_read().await?;
    let v = walk(&mut tx, verifier).await?;
    tx.commit().await?;
    Ok(match v {
        Ok(rows) => Verification::Intact {
            rows,
            checkpoints: n,
        },
        Err(b) => Verification::Broken(b),
    })
}

/// Walks the chain from its first row with `verifier`: the number of
/// rows, or the first break.
async fn walk(
    tx: &mut vink_store::Tx,
    mut verifier: ChainVerifier,
) -> Result<std::result::Result<i64, ChainBreak>> {
    const BATCH: i64 = 2_000;
    let mut after = 0;
    loop {
        let rows = store::rows_after(tx, after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            let stored = match r.to_stored() {
                Ok(s) => s,
                Err(_) => {
                    return Ok(Err(ChainBreak {
                        seq: r.seq,
                        problem: "unreadable row",
                    }));
                }
            };
            if let Err(b) = verifier.check(&stored) {
                return Ok(Err(b));
            }
        }
    }
    let (seq, hash) = store::head(tx).await?;
    Ok(verifier.finish(seq, &hash))
}

/// Rewrites a chain from before the audit key, hashed the old unkeyed way,
/// under the key (`vink audit rekey`, once, with the server stopped): each
/// row is checked the old way first, so a chain already broken is never
/// blessed; all or nothing. Returns the rows rewritten.
pub async fn rekey(app: &App) -> Result<i64> {
    match store::key_check(&app.db, &app.keys.audit).await? {
        store::KeyCheck::Empty | store::KeyCheck::Matches => return Ok(0),
        store::KeyCheck::OtherKey => {
            return Err(AppError::Internal(
                "the audit log is neither unkeyed nor under this key; nothing rewritten".into(),
            ));
        }
        store::KeyCheck::Unkeyed => {}
    }
    let key = app.keys.audit.clone();
    let mut tx = app.db.begin().await?;
    let mut verifier = ChainVerifier::new(Hashing::Legacy);
    let mut prev = vink_domain::audit::GENESIS.to_string();
    let mut after = 0;
    loop {
        let rows = store::rows_after(&mut tx, after, 2_000).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let mut links = Vec::with_capacity(rows.len());
        for r in &rows {
            let stored = r.to_stored()?;
            verifier.check(&stored)?;
            let hash = stored.fields.mac(&key, &prev);
            links.push((r.seq, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        store::rewrite_links(&mut tx, &links).await?;
    }
    let (seq, hash) = store::head(&mut tx).await?;
    verifier.finish(seq, &hash)?;
    store::rewrite_head(&mut tx, seq, &prev).await?;
    tx.commit().await?;
    store::settle(&app.db).await?;
    Ok(seq)
}

impl From<ChainBreak> for AppError {
    fn from(b: ChainBreak) -> Self {
        AppError::Internal(format!(
            "audit chain broken at row {}: {}",
            b.seq, b.problem
        ))
    }
}
