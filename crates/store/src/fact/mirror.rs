//! The folded facts mirrored in memory as running totals by key and day
//! ([`DailySums`]), one per database handle, so a report reads from the
//! database only what is not mirrored yet.
//!
//! Exact, because facts are only ever appended and the watermark says
//! which are in: the mirror holds every fact below (PostgreSQL: of a
//! transaction below) its watermark `to`, a watermark the fold once moved
//! to; a report reads the facts above `to` in its own statement. Any
//! mirror, however old, gives the exact sums with its own watermark; a
//! newer one only reads fewer rows. So a report never waits for the mirror
//! and every process (one per server) keeps its own.
//!
//! Loaded from `fact_days` with the watermark in one statement (one
//! snapshot: the fold moves both in one transaction) by the first fold pass
//! of `serve` (or the first report), and caught up after each fold pass and
//! after a report that saw the database folded past it: what the folds took
//! since, read from `facts` by its watermark index, added to a copy that
//! then replaces it.

use std::sync::{Arc, RwLock};

use jiff::civil::Date;
use vink_domain::fact::daily::{DailySums, Key};

use super::{code_of, kind_of};
use crate::{Backend, Result, StoreError, Tx, on};

/// The facts below a watermark, summed by key and day.
#[derive(Debug)]
pub(crate) struct Folded {
    /// The watermark: every fact below it is in `sums`, none above.
    pub(crate) to: i64,
    /// Shared with the next watermark's mirror when no fact came between.
    pub(crate) sums: Arc<DailySums>,
}

/// A database handle's mirror (see the module's text).
#[derive(Debug, Default)]
pub struct Mirror {
    current: RwLock<Option<Arc<Folded>>>,
    /// One load or catch-up at a time; a report that finds it taken goes
    /// on with the mirror it has.
    busy: tokio::sync::Mutex<()>,
}

/// A row of the load and catch-up statements: key texts, day, sum.
type Row = (String, String, String, String, i64);

impl Mirror {
    fn current(&self) -> Option<Arc<Folded>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    /// Keeps `f` unless the mirror is already as new.
    fn replace(&self, f: Folded) -> Arc<Folded> {
        let f = Arc::new(f);
        if let Ok(mut c) = self.current.write()
            && c.as_ref().is_none_or(|old| old.to < f.to)
        {
            *c = Some(f.clone());
        }
        f
    }

    /// The mirror, loaded first if this handle has none yet.
    pub(crate) async fn get(&self, tx: &mut Tx) -> Result<Arc<Folded>> {
        if let Some(f) = self.current() {
            return Ok(f);
        }
        let _busy = self.busy.lock().await;
        if let Some(f) = self.current() {
            return Ok(f);
        }
        let rows = statement(
            tx,
            "SELECT '' AS kind, '' AS code, '' AS detail, '' AS day, folded_to AS n
               FROM fact_fold WHERE id = 1
              UNION ALL
             SELECT kind, code, detail, day, n FROM fact_days",
            None,
        )
        .await?;
        let f = folded(rows, |rows| Arc::new(DailySums::from_rows(rows)))?;
        tracing::debug!(key_days = f.sums.len(), to = f.to, "fact mirror loaded");
        Ok(self.replace(f))
    }

    /// When the mirror is behind the database's watermark (`seen`, as a
    /// report's statement saw it; `None`: look), adds what the folds took
    /// since. Skipped while another load or catch-up runs (the next report
    /// or fold pass looks again).
    pub(crate) async fn catch_up(&self, tx: &mut Tx, seen: Option<i64>) -> Result<()> {
        let Ok(_busy) = self.busy.try_lock() else {
            return Ok(());
        };
        let Some(old) = self.current() else {
            return Ok(());
        };
        if seen.is_some_and(|seen| old.to >= seen) {
            return Ok(());
        }
        let rows = statement(tx, &catch_up_sql(tx.backend()), Some(old.to)).await?;
        let f = folded(rows, |rows| {
            if rows.is_empty() {
                return old.sums.clone();
            }
            let mut sums = DailySums::clone(&old.sums);
            for (key, day, n) in rows {
                sums.add(key, day, n);
            }
            Arc::new(sums)
        })?;
        self.replace(f);
        Ok(())
    }
}

/// What the folds took above the mirror's watermark `$1`, by key and day,
/// after the database's watermark (one statement: one snapshot).
pub(crate) fn catch_up_sql(backend: Backend) -> String {
    let range = match backend {
        Backend::Sqlite => "id > $1 AND id <= (SELECT folded_to FROM fact_fold WHERE id = 1)",
        Backend::Postgres => "xid >= $1 AND xid < (SELECT folded_to FROM fact_fold WHERE id = 1)",
    };
    format!(
        "SELECT '' AS kind, '' AS code, '' AS detail, '' AS day, folded_to AS n
           FROM fact_fold WHERE id = 1
          UNION ALL
         SELECT kind, code, detail, day, CAST(SUM(n) AS BIGINT) FROM facts
          WHERE {range} GROUP BY kind, code, detail, day"
    )
}

/// Runs a load or catch-up statement (the watermark's row first, then
/// facts), with the mirror's watermark as `$1` if given.
async fn statement(tx: &mut Tx, sql: &str, from: Option<i64>) -> Result<Vec<Row>> {
    Ok(on!(tx, |c| {
        let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        match from {
            Some(w) => q.bind(w),
            None => q,
        }
        .fetch_all(c)
        .await?
    }))
}

/// The watermark and the sums of a statement's rows.
fn folded(
    rows: Vec<Row>,
    sums: impl FnOnce(Vec<(Key, Date, i64)>) -> Arc<DailySums>,
) -> Result<Folded> {
    let mut to = None;
    let mut keyed = Vec::with_capacity(rows.len());
    for (kind, code, detail, day, n) in rows {
        if kind.is_empty() {
            to = Some(n);
            continue;
        }
        let day: Date = day
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("fact day {day}")))?;
        keyed.push((
            (kind_of(&kind)?, code_of(&code)?, code_of(&detail)?),
            day,
            n,
        ));
    }
    let to = to.ok_or_else(|| StoreError::Corrupt("no fact watermark".into()))?;
    Ok(Folded {
        to,
        sums: sums(keyed),
    })
}
