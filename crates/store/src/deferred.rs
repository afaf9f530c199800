//! Inserts that a PostgreSQL transaction sends together, as one statement,
//! just before its next statement or its commit.
//!
//! An intake writes a concern, its first event, its persons, their name
//! tokens and links, a fact and the audit row: a dozen inserts whose results
//! nobody reads back. Sent one by one, each is a round trip, and on a 2-core
//! server the round trips (the driver's, the network stack's, PostgreSQL's
//! per-statement work), not the disk, bound intake. Queued and sent as one
//! statement of data-modifying CTEs (`WITH d0 AS (INSERT …), … INSERT …`) they
//! cost one. Foreign keys hold: PostgreSQL checks them at the end of the
//! statement, when every part has run.
//!
//! Every other statement on the transaction (through [`crate::on`] or the
//! store's direct PostgreSQL calls) sends the queue first, so a read in the
//! same transaction always sees the rows, and an insert's error (a violated
//! constraint) still fails the transaction before it commits; only the
//! moment it surfaces moves. On SQLite's writer the queue goes as one text
//! of inserts one after another: each call is a hand-off to the connection's
//! worker thread, and one call runs them all (SQLite has no data-modifying
//! CTEs). The statements that skip the queue read only what is never queued
//! (the case counter, the audit head).

use crate::sql::{Bind, bind_query};
use crate::{Result, SqliteTx, StoreError, Tx};

/// PostgreSQL takes at most 65 535 parameters a statement; a queue larger
/// than this goes in several.
const MAX_PARAMS: usize = 30_000;

/// One queued insert: a table, its columns, and one or more rows of values.
struct Insert {
    table: &'static str,
    columns: &'static str,
    rows: Vec<Vec<Bind>>,
}

/// The inserts a PostgreSQL transaction has not sent yet.
#[derive(Default)]
pub(crate) struct Queue {
    inserts: Vec<Insert>,
}

impl Queue {
    pub(crate) fn is_empty(&self) -> bool {
        self.inserts.is_empty()
    }

    /// The statements that send the queue (one, unless it is very large),
    /// each with its parameters in order: for PostgreSQL one statement of
    /// CTEs, for SQLite the inserts one after another in one text (its
    /// driver runs them in one call, binding `$n` by number).
    fn statements(&mut self, sqlite: bool) -> Vec<(String, Vec<Bind>)> {
        let mut out = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let mut flush = |parts: &mut Vec<String>, binds: &mut Vec<Bind>| {
            if sqlite && !parts.is_empty() {
                out.push((parts.join(";\n"), std::mem::take(binds)));
                parts.clear();
            } else if let Some(last) = parts.pop() {
                let ctes: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("d{i} AS ({p})"))
                    .collect();
                let sql = if ctes.is_empty() {
                    last
                } else {
                    format!("WITH {} {last}", ctes.join(", "))
                };
                out.push((sql, std::mem::take(binds)));
                parts.clear();
            }
        };
        for insert in std::mem::take(&mut self.inserts) {
            let width = insert.rows.iter().map(Vec::len).sum::<usize>();
            if !parts.is_empty() && binds.len() + width > MAX_PARAMS {
                flush(&mut parts, &mut binds);
            }
            let values: Vec<String> = insert
                .rows
                .into_iter()
                .map(|row| {
                    let ps: Vec<String> = row
                        .into_iter()
                        .map(|b| {
                            binds.push(b);
                            format!("${}", binds.len())
                        })
                        .collect();
                    format!("({})", ps.join(", "))
                })
                .collect();
            parts.push(format!(
                "INSERT INTO {} ({}) VALUES {}",
                insert.table,
                insert.columns,
                values.join(", ")
            ));
        }
        flush(&mut parts, &mut binds);
        out
    }
}

/// Inserts rows into `table` whose results the use case does not read back:
/// queued on PostgreSQL (see the module), at once on SQLite. `table` and
/// `columns` are the store's own text, never input.
pub(crate) async fn insert(
    tx: &mut Tx,
    table: &'static str,
    columns: &'static str,
    rows: Vec<Vec<Bind>>,
) -> Result<()> {
    let width = columns.split(',').count();
    if rows.iter().any(|r| r.len() != width) {
        return Err(StoreError::Corrupt(format!(
            "insert into {table}: a row does not match its columns"
        )));
    }
    if rows.is_empty() {
        return Ok(());
    }
    if rows.len() * width > MAX_PARAMS {
        return Err(StoreError::Corrupt(format!(
            "insert into {table}: too many rows for one statement"
        )));
    }
    let insert = Insert {
        table,
        columns,
        rows,
    };
    match tx {
        Tx::Pg(t) => {
            t.queue.inserts.push(insert);
            Ok(())
        }
        Tx::Sqlite(SqliteTx::Write(l)) => {
            l.queue.inserts.push(insert);
            Ok(())
        }
        // A reader cannot write; its error comes from SQLite at once.
        Tx::Sqlite(SqliteTx::Read(r)) => {
            let mut q = Queue::default();
            q.inserts.push(insert);
            flush_sqlite(&mut q, r).await?;
            Ok(())
        }
    }
}

/// Sends what a PostgreSQL transaction has queued.
pub(crate) async fn flush(
    queue: &mut Queue,
    c: &mut sqlx::PgConnection,
) -> std::result::Result<(), sqlx::Error> {
    if queue.is_empty() {
        return Ok(());
    }
    for (sql, binds) in queue.statements(false) {
        bind_query(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), &binds)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Sends what a SQLite write has queued.
pub(crate) async fn flush_sqlite(
    queue: &mut Queue,
    c: &mut sqlx::SqliteConnection,
) -> std::result::Result<(), sqlx::Error> {
    if queue.is_empty() {
        return Ok(());
    }
    for (sql, binds) in queue.statements(true) {
        bind_query(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), &binds)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(n: usize, per_row: usize) -> Queue {
        let mut q = Queue::default();
        for i in 0..n {
            q.inserts.push(Insert {
                table: if i % 2 == 0 { "a" } else { "b" },
                columns: "x",
                rows: (0..per_row).map(|r| vec![Bind::I64(r as i64)]).collect(),
            });
        }
        q
    }

    #[test]
    fn one_insert_is_a_plain_insert() {
        let s = queue(1, 2).statements(false);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, "INSERT INTO a (x) VALUES ($1), ($2)");
        assert_eq!(s[0].1.len(), 2);
    }

    #[test]
    fn several_inserts_are_one_statement_with_numbered_parameters() {
        let s = queue(3, 1).statements(false);
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].0,
            "WITH d0 AS (INSERT INTO a (x) VALUES ($1)), d1 AS (INSERT INTO b (x) VALUES ($2)) INSERT INTO a (x) VALUES ($3)"
        );
        assert_eq!(s[0].1.len(), 3);
    }

    #[test]
    fn sqlite_gets_the_inserts_one_after_another_in_one_text() {
        let s = queue(2, 1).statements(true);
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].0,
            "INSERT INTO a (x) VALUES ($1);\nINSERT INTO b (x) VALUES ($2)"
        );
    }

    #[test]
    fn a_queue_over_the_parameter_limit_is_split_and_keeps_every_row() {
        let s = queue(4, MAX_PARAMS / 2 + 1).statements(false);
        assert!(s.len() > 1);
        let total: usize = s.iter().map(|(_, b)| b.len()).sum();
        assert_eq!(total, 4 * (MAX_PARAMS / 2 + 1));
        assert!(
            s.iter()
                .all(|(_, b)| b.len() <= MAX_PARAMS + MAX_PARAMS / 2 + 1)
        );
    }
}
