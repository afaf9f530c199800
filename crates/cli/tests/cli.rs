//! The `vink` binary end to end: migrate, users, tokens, and the audit chain
//! check catching a row altered in the database (SQLite always, PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn vink(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vink"))
        .args(args)
        .env("VINK_DATABASE_URL", db)
        .env("VINK_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the whole scenario against one database URL; `tamper` alters audit row 2.
async fn scenario(db: &str, tamper: impl AsyncFnOnce()) {
    let o = vink(db, &["migrate"], None);
    assert!(o.status.success(), "{}", out(&o));
    let o = vink(
        db,
        &[
            "user",
            "add",
            "anna",
            "--role",
            "secretariat",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = vink(
        db,
        &[
            "user",
            "add",
            "bo",
            "--role",
            "secretariat",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("password"));
    let o = vink(
        db,
        &[
            "user",
            "add",
            "cu",
            "--role",
            "coordination_unit",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(!o.status.success());
    assert!(out(&o).contains("agency"), "{}", out(&o));
    let o = vink(
        db,
        &[
            "user",
            "add",
            "cu",
            "--role",
            "coordination_unit",
            "--agency",
            "ssp",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = vink(db, &["user", "token", "anna"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .starts_with("vink_")
    );
    assert!(
        !vink(db, &["user", "token", "nobody"], None)
            .status
            .success()
    );
    let o = vink(db, &["audit", "verify"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("intact: 3 rows"), "{}", out(&o));
    tamper().await;
    let o = vink(db, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("row 2"), "{}", out(&o));
}

#[tokio::test]
async fn audit_verify_finds_an_altered_row_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("vink-cli-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}/vink.db", dir.display());
    let tamper_url = url.clone();
    scenario(&url, async move || {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&tamper_url).await.unwrap();
        let n = sqlx::query("UPDATE audit_log SET reason = 'edited' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(n, 1);
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn audit_verify_finds_an_altered_row_on_postgres() {
    let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("VINK_TEST_POSTGRES_URL not set: PostgreSQL part skipped (CI sets it)");
        return;
    };
    use sqlx::Connection;
    let name = format!("vink_cli_{}", uuid::Uuid::now_v7().simple());
    let mut a = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut a)
        .await
        .unwrap();
    let base = &admin[..admin.rfind('/').unwrap()];
    let url = format!("{base}/{name}");
    let tamper_url = url.clone();
    scenario(&url, async move || {
        let mut c = sqlx::PgConnection::connect(&tamper_url).await.unwrap();
        sqlx::query("UPDATE audit_log SET action = 'user.other' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap();
    })
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut a)
    .await
    .unwrap();
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "token", "--help"],
        vec!["audit", "verify", "--help"],
    ] {
        let o = vink("sqlite://unused.db", &args, None);
        assert!(o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}
