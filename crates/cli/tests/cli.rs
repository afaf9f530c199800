//! The `vink` binary end to end: migrate, users, tokens, and the audit chain
//! check catching a row altered in the database (SQLite always, PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

mod common;
use common::{TEST_KEYS, checkpoint_file};

fn vink(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vink"))
        .args(args)
        .env("VINK_DATABASE_URL", db)
        .env("VINK_KEYS", TEST_KEYS)
        .env("VINK_CHECKPOINT_FILE", checkpoint_file(db))
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
        vec!["audit", "rekey", "--help"],
        vec!["key", "generate", "--help"],
        vec!["user", "reset-second-factor", "--help"],
        vec!["key", "rotate", "--help"],
    ] {
        let o = vink("sqlite://unused.db", &args, None);
        assert!(o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

/// Runs `vink` with `keys` as the keys file's text (none: no keys at all).
fn vink_keyed(db: &str, args: &[&str], keys: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vink"));
    c.args(args)
        .env("VINK_DATABASE_URL", db)
        .env("VINK_CHECKPOINT_FILE", checkpoint_file(db))
        .env("VINK_LOG", "warn")
        .env_remove("VINK_KEYS_FILE")
        .stdin(Stdio::piped());
    match keys {
        Some(k) => c.env("VINK_KEYS", k),
        None => c.env_remove("VINK_KEYS"),
    };
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn keys_and_signed_checkpoints_through_the_binary() {
    let dir = std::env::temp_dir().join(format!("vink-cli-keys-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/vink.db", dir.display());
    let add = |name: &str, keys: Option<&str>| {
        vink_keyed(
            &url,
            &["user", "add", name, "--role", "admin", "--password-stdin"],
            keys,
        )
    };
    // No keys anywhere: refused, saying how to get them.
    let o = add("anna", None);
    assert!(!o.status.success());
    assert!(out(&o).contains("vink key generate"), "{}", out(&o));
    // A keys file, written once and never overwritten.
    let keys_file = dir.join("keys.toml");
    let k = keys_file.to_str().unwrap();
    let o = vink_keyed(&url, &["key", "generate", k], None);
    assert!(o.status.success(), "{}", out(&o));
    let o = vink_keyed(&url, &["key", "generate", k], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("never overwritten"), "{}", out(&o));
    let keys = std::fs::read_to_string(&keys_file).unwrap();
    assert!(add("anna", Some(&keys)).status.success());
    let o = vink_keyed(&url, &["audit", "checkpoint"], Some(&keys));
    assert!(
        out(&o).contains("checkpoint of row 1 written"),
        "{}",
        out(&o)
    );
    assert!(add("bent", Some(&keys)).status.success());
    let o = vink_keyed(&url, &["audit", "checkpoint"], Some(&keys));
    assert!(
        out(&o).contains("checkpoint of row 2 written"),
        "{}",
        out(&o)
    );
    let o = vink_keyed(&url, &["audit", "verify"], Some(&keys));
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("intact: 2 rows, through 2 signed checkpoints"),
        "{}",
        out(&o)
    );
    // A keys file from before field encryption: refused, saying what to do;
    // `vink key rotate` adds the field key and seals what is there.
    let old = dir.join("old-keys.toml");
    let without: String = keys.split("[fields]").next().unwrap().to_string();
    std::fs::write(&old, &without).unwrap();
    let o = add("dora", Some(&without));
    assert!(!o.status.success());
    assert!(out(&o).contains("vink key rotate"), "{}", out(&o));
    let o = vink_keyed(
        &url,
        &[
            "--keys",
            old.to_str().unwrap(),
            "key",
            "rotate",
            "--settle-seconds",
            "0",
        ],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("new field key k1"), "{}", out(&o));
    let rotated = std::fs::read_to_string(&old).unwrap();
    assert!(rotated.contains("[fields]") && rotated.contains("current = \"k1\""));
    let o = vink_keyed(
        &url,
        &[
            "--keys",
            old.to_str().unwrap(),
            "key",
            "rotate",
            "--settle-seconds",
            "0",
        ],
        None,
    );
    assert!(out(&o).contains("new field key k2"), "{}", out(&o));
    assert!(
        out(&o).contains("every value is under key k2"),
        "{}",
        out(&o)
    );
    // Another key: refused before anything is written.
    let o = add("carl", Some(TEST_KEYS));
    assert!(!o.status.success());
    assert!(out(&o).contains("does not match"), "{}", out(&o));
    // The rows after the first cut off and the head set back to row 1.
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("DELETE FROM audit_log WHERE seq >= 2")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_log WHERE seq = 1)",
        )
        .execute(&mut c)
        .await
        .unwrap();
    }
    let o = vink_keyed(&url, &["audit", "verify"], Some(&keys));
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("BROKEN at row 2") && out(&o).contains("checkpoint"),
        "{}",
        out(&o)
    );
    let _ = std::fs::remove_file(checkpoint_file(&url));
    let _ = std::fs::remove_dir_all(dir);
}
