//! What the app suites share: a fresh database on each backend (SQLite
//! always, PostgreSQL when `VINK_TEST_POSTGRES_URL` is set), with a
//! directory of its own for files beside it.
#![allow(dead_code)]

use std::path::PathBuf;

pub struct Backend {
    pub url: String,
    pub name: &'static str,
    pub dir: PathBuf,
    /// The PostgreSQL database, dropped with the backend.
    pg: Option<vink_testkit::ScratchPg>,
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
        let pg = vink_testkit::ScratchPg::create(&admin, prefix).await;
        let pg_dir = dir.join("pg");
        std::fs::create_dir_all(&pg_dir).unwrap();
        out.push(Backend {
            url: pg.url().to_string(),
            name: "postgres",
            dir: pg_dir,
            pg: Some(pg),
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
