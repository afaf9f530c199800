//! What the app suites share: a fresh database on each backend (SQLite
//! always, PostgreSQL when `VINK_TEST_POSTGRES_URL` is set), with a
//! directory of its own for files beside it.
#![allow(dead_code)]

use std::path::PathBuf;

pub struct Backend {
    pub url: String,
    pub name: &'static str,
    pub dir: PathBuf,
}

pub async fn backends(prefix: &str) -> Vec<Backend> {
    let dir = std::env::temp_dir().join(format!("vink-{prefix}-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = vec![Backend {
        url: format!("sqlite://{}/vink.db", dir.display()),
        name: "sqlite",
        dir: dir.clone(),
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
        });
    }
    out
}
