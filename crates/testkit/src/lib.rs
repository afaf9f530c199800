//! What the store, app and web suites and the benchmarks share, so each does
//! not keep its own copy: a scratch PostgreSQL database per test or run,
//! created on the server the suites are pointed at and always dropped after
//! (each suite run used to leave about twenty behind).
//!
//! A dev-dependency only; nothing here reaches the `vink` binary.

use sqlx::Connection;

/// A database made for one test or benchmark run. Dropped when
/// [`ScratchPg::drop_now`] is awaited, or else when the value is dropped
/// (from a thread of its own: the test's runtime may be gone by then).
#[derive(Debug)]
pub struct ScratchPg {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl ScratchPg {
    /// Creates `vink_{prefix}_{unique}` through `admin_url` (a URL ending in
    /// a database name). Panics with the reason when the server cannot be
    /// reached: a suite told to use PostgreSQL must not pass without it.
    pub async fn create(admin_url: &str, prefix: &str) -> ScratchPg {
        let name = format!("vink_{prefix}_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        ScratchPg {
            url: database_url(admin_url, &name),
            admin_url: admin_url.to_string(),
            name,
            dropped: false,
        }
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops it now, from the caller's runtime.
    pub async fn drop_now(mut self) {
        self.dropped = true;
        drop_database(&self.admin_url, &self.name).await;
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_database(&admin_url, &name));
            }
        })
        .join();
    }
}

/// Best effort: a database another connection still holds is dropped
/// anyway (`FORCE`); an unreachable server leaves it behind.
async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
        let _ = admin.close().await;
    }
}

/// `postgres://host:5432/test` with `name` → `postgres://host:5432/{name}`;
/// a URL without a database path gets one.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let path_from = admin_url.find("://").map(|i| i + 3).unwrap_or(0);
    let (base, query) = match admin_url.find('?') {
        Some(q) => (&admin_url[..q], &admin_url[q..]),
        None => (admin_url, ""),
    };
    match base[path_from..].find('/') {
        Some(slash) => format!("{}/{name}{query}", &base[..path_from + slash]),
        None => format!("{base}/{name}{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn the_database_name_replaces_the_admin_one_and_keeps_the_rest() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
