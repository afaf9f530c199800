//! Deleting the cases whose retention period has run out, one concern per
//! transaction: its history, agenda items, person links and the concern;
//! then each of its persons no other concern or course still names, with
//! their search tokens. The concern's row is locked (PostgreSQL) and its
//! decision checked again first, so two runs at once delete it once.

use uuid::Uuid;

use crate::{Authorized, Result, Tx, on};

/// The decisions whose concerns are deleted, as stored; the partial index
/// `concerns_retention` is over exactly these.
const DECISIONS: &str = "('unfounded', 'advice_only')";

/// Up to `limit` concerns decided without action before `cutoff` (µs)
/// that no course came from, oldest decision first.
pub async fn due_concerns(tx: &mut Tx, cutoff: i64, limit: i64) -> Result<Vec<Uuid>> {
    let sql = due_sql();
    Ok(on!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(cutoff)
    .bind(limit)
    .fetch_all(c)
    .await?))
}

/// The due concerns' query (`$1` the cutoff, `$2` the limit), also for
/// the plan test.
pub(crate) fn due_sql() -> String {
    format!(
        "SELECT k.id FROM concerns k
         WHERE k.decision IN {DECISIONS} AND k.decided_at < $1
           AND NOT EXISTS (SELECT 1 FROM courses c WHERE c.concern_id = k.id)
         ORDER BY k.decided_at LIMIT $2"
    )
}

/// What one deletion removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    pub concerns: u64,
    pub persons: u64,
}

async fn exec(tx: &mut Authorized, sql: &str, id: Uuid) -> Result<u64> {
    Ok(on!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .execute(c)
        .await?
        .rows_affected()))
}

/// Deletes one concern if it is still due (`cutoff` in µs); nothing when
/// another run, or a change, got there first.
pub async fn delete_concern(tx: &mut Authorized, id: Uuid, cutoff: i64) -> Result<Deleted> {
    let check = format!(
        "SELECT id FROM concerns WHERE id = $1 AND decision IN {DECISIONS} AND decided_at < $2
           AND NOT EXISTS (SELECT 1 FROM courses c WHERE c.concern_id = concerns.id)"
    );
    let lock = match tx.backend() {
        crate::Backend::Postgres => format!("{check} FOR UPDATE"),
        crate::Backend::Sqlite => check,
    };
    let still: Option<Uuid> = on!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(
        lock.as_str()
    ))
    .bind(id)
    .bind(cutoff)
    .fetch_optional(c)
    .await?);
    if still.is_none() {
        return Ok(Deleted::default());
    }
    let persons: Vec<Uuid> = on!(tx, |c| sqlx::query_scalar(
        "SELECT person_id FROM concern_persons WHERE concern_id = $1"
    )
    .bind(id)
    .fetch_all(c)
    .await?);
    exec(tx, "DELETE FROM concern_events WHERE concern_id = $1", id).await?;
    exec(tx, "DELETE FROM agenda_items WHERE concern_id = $1", id).await?;
    exec(tx, "DELETE FROM concern_persons WHERE concern_id = $1", id).await?;
    let concerns = exec(tx, "DELETE FROM concerns WHERE id = $1", id).await?;
    let mut gone = 0;
    for p in persons {
        let used: i64 = on!(tx, |c| sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM concern_persons WHERE person_id = $1)
                  + (SELECT COUNT(*) FROM courses WHERE person_id = $1)"
        )
        .bind(p)
        .fetch_one(c)
        .await?);
        if used > 0 {
            continue;
        }
        exec(tx, "DELETE FROM person_name_tokens WHERE person_id = $1", p).await?;
        exec(
            tx,
            "DELETE FROM person_distinct WHERE person_id = $1 OR other_id = $1",
            p,
        )
        .await?;
        gone += exec(tx, "DELETE FROM persons WHERE id = $1", p).await?;
    }
    Ok(Deleted {
        concerns,
        persons: gone,
    })
}
