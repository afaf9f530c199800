//! What the app suites share: a fresh database on each backend (SQLite
//! always, PostgreSQL when `VINK_TEST_POSTGRES_URL` is set), with a
//! directory of its own for files beside it.
#![allow(dead_code)]

use std::path::PathBuf;

pub struct Backend {
    pub url: String,
    pub name: &'static str,
    pub dir: PathBuf,
    /// The PostgreSQL database to drop when the test is done (admin URL,
    /// name): every suite run created them and none dropped them.
    pg: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Dropped from a plain thread: the test's runtime may be gone.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub async fn backends(prefix: &str) -> Vec<Backend> {
    let dir = std::env::temp_dir().join(format!("vink-{prefix}-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = vec![Backend {
        url: format!("sqlite://{}/vink.db", dir.display()),
        name: "sqlite",
        dir: dir.clone(),
        pg: None,
    }];
    if let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        use sqlx::Connection;
        let name = format!("vink_{prefix}_{}", uuid::Uuid::now_v7().simple());
        let mut a = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut a)
            .await
            .unwrap();
        let pg_dir = dir.join("pg");
        std::fs::create_dir_all(&pg_dir).unwrap();
        out.push(Backend {
            url: format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]),
            name: "postgres",
            dir: pg_dir,
            pg: Some((admin.clone(), name)),
        });
    }
    out
}

/// Statements run as an intruder (or a test) would: on a connection of its
/// own, outside the application, in one transaction.
pub async fn exec(url: &str, statements: &[String]) {
    use vink_store::{Db, SqliteTx, Tx};
    let db = Db::connect(url).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    for sql in statements {
        let sql = sqlx::AssertSqlSafe(sql.clone());
        match &mut tx {
            Tx::Sqlite(SqliteTx::Write(c)) => {
                sqlx::query(sql).execute(&mut **c).await.unwrap();
            }
            Tx::Sqlite(SqliteTx::Read(_)) => unreachable!(),
            Tx::Pg(c) => {
                sqlx::query(sql).execute(&mut **c).await.unwrap();
            }
        }
    }
    tx.commit().await.unwrap();
    db.close().await;
}

/// A fictitious concern about one person.
pub fn draft(i: usize, about: &str) -> vink_domain::concern::ConcernDraft {
    use vink_domain::concern::{ConcernDraft, PersonDraft, ReporterDraft};
    ConcernDraft {
        channel: Some("hotline".into()),
        received_at: None,
        reporter: ReporterDraft {
            kind: Some("professional".into()),
            organisation: Some("Skole (test)".into()),
            name: None,
            contact: None,
        },
        persons: vec![PersonDraft {
            person_id: None,
            name: Some(format!("{about} Person {i}")),
            birth: Some("2008-03-04".into()),
            district: Some("Valby".into()),
        }],
        description: Some(format!("Fiktiv bekymring ({about}-test).")),
        immediate_danger: false,
    }
}
