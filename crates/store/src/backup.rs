//! The SQL side of backups: a consistent copy of a SQLite database taken
//! while it is in use, and the integrity check of a restored one. Each on a
//! connection of its own, outside the server's pools.

use std::path::Path;

use sqlx::Connection;

use crate::Result;

/// Writes a consistent copy of the database file `db` to `target`
/// (`VACUUM INTO` reads one snapshot; writers go on meanwhile).
pub async fn copy_sqlite(db: &Path, target: &Path) -> Result<()> {
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?;
    let target = target.to_string_lossy().replace('\'', "''");
    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
        .execute(&mut c)
        .await?;
    c.close().await?;
    Ok(())
}

/// SQLite's integrity check of a database file: `ok`, or what is wrong.
pub async fn integrity(db: &Path) -> Result<String> {
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut c)
        .await?;
    c.close().await?;
    Ok(check)
}
