//! `vink serve` as shipped: the reminder job really runs (a follow-up falling
//! due reaches a local SMTP sink without any test calling the job), `--demo`
//! refuses a database with real users, and revoked tokens and disabled users
//! are shut out of the running server at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../web/tests/common/smtp.rs"]
mod smtp;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::ToSpan;
use serde_json::{Value, json};

mod common;
use common::{TEST_KEYS, checkpoint_file};

fn vink(db: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
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
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vink"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("VINK_DATABASE_URL", db)
        .env("VINK_KEYS", TEST_KEYS)
        .env("VINK_CHECKPOINT_FILE", checkpoint_file(db))
        .env("VINK_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("vink listening on http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

/// One HTTP/1.1 request with `Connection: close`; (status, body).
fn http(addr: &str, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

fn temp_db() -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("vink-serve-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    (format!("sqlite://{}/vink.db", dir.display()), dir)
}

fn add_user(db: &str, name: &str, role: &str, email: &str) -> String {
    let o = vink(
        db,
        &[
            "user",
            "add",
            name,
            "--role",
            role,
            "--email",
            email,
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = vink(db, &["user", "token", name], None);
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn the_reminder_job_runs_in_the_shipped_server() {
    let (db, dir) = temp_db();
    let token = add_user(&db, "anna", "secretariat", "anna@vink.example");
    let (port, mails) = smtp::smtp_sink().await;
    let server = serve(
        &db,
        &[
            "--smtp-url",
            &format!("smtp://127.0.0.1:{port}"),
            "--reminder-interval-seconds",
            "1",
        ],
    );
    let a = server.addr.clone();
    let today = vink_domain::concern::local_date(jiff::Timestamp::now());
    // A course that ended six months ago less three days: its risk follow-up
    // falls due in three days, inside the reminder's lead time.
    let ended = today
        .checked_sub(6.months())
        .unwrap()
        .checked_add(3.days())
        .unwrap();
    let started = ended.checked_sub(60.days()).unwrap();
    let tok = token.clone();
    let course = tokio::task::spawn_blocking(move || {
        let (s, b) = http(
            &a,
            "POST",
            "/api/v1/concerns",
            &tok,
            Some(json!({
                "channel": "hotline",
                "reporter": {"kind": "professional", "organisation": "Skole (fiktiv)"},
                "persons": [{"name": "Fiktiv Person", "birth": "1990-01-01"}],
                "description": "Fiktiv bekymring.",
            })),
        );
        assert_eq!(s, 201, "{b}");
        let cid = serde_json::from_str::<Value>(&b).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, b) = http(&a, "GET", &format!("/api/v1/concerns/{cid}"), &tok, None);
        let person = serde_json::from_str::<Value>(&b).unwrap()["persons"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, b) = http(
            &a,
            "POST",
            "/api/v1/courses",
            &tok,
            Some(json!({
                "person_id": person, "kind": "mentor", "prevention_level": "pre_emptive",
                "agency": "ssp", "direct_reason": "Fiktiv"
            })),
        );
        assert_eq!(s, 201, "{b}");
        let course = serde_json::from_str::<Value>(&b).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, b) = http(
            &a,
            "PUT",
            &format!("/api/v1/courses/{course}/consent"),
            &tok,
            Some(json!({"consent_on": started.to_string()})),
        );
        assert_eq!(s, 204, "{b}");
        for (to, on) in [("active", started), ("completed", ended)] {
            let (s, b) = http(
                &a,
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                &tok,
                Some(json!({"to": to, "on": on.to_string(), "note": "Uden slutvurdering (test)"})),
            );
            assert_eq!(s, 200, "{b}");
        }
        course
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while mails.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = mails.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one reminder e-mail from the running server");
    let unfolded = got[0].replace("=\n", "");
    assert!(unfolded.contains(&course), "links the course: {unfolded}");
    assert!(
        !got[0].contains("Fiktiv Person"),
        "no personal data in the mail"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_refuses_a_database_with_real_users() {
    let (db, dir) = temp_db();
    add_user(&db, "anna", "secretariat", "anna@vink.example");
    let o = vink(&db, &["serve", "--demo", "--listen", "127.0.0.1:0"], None);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("refusing to load demo data"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = vink(&db, &["user", "list-is-not-a-command"], None);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn revoked_tokens_and_disabled_users_are_shut_out_at_once() {
    let (db, dir) = temp_db();
    let anna = add_user(&db, "anna", "secretariat", "anna@vink.example");
    let bo = add_user(&db, "bo", "secretariat", "bo@vink.example");
    let server = serve(&db, &[]);
    assert_eq!(
        http(&server.addr, "GET", "/api/v1/concerns", &anna, None).0,
        200
    );
    assert_eq!(
        http(&server.addr, "GET", "/api/v1/concerns", &bo, None).0,
        200
    );
    let o = vink(
        &db,
        &["user", "revoke-token", "--token-stdin"],
        Some(&format!("{anna}\n")),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        http(&server.addr, "GET", "/api/v1/concerns", &anna, None).0,
        401
    );
    let o = vink(
        &db,
        &["user", "revoke-token", "--token-stdin"],
        Some(&format!("{anna}\n")),
    );
    assert_eq!(o.status.code(), Some(2), "a revoked token is not live");
    let o = vink(&db, &["user", "disable", "bo"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        http(&server.addr, "GET", "/api/v1/concerns", &bo, None).0,
        401
    );
    let o = vink(&db, &["user", "disable", "bo"], None);
    assert_eq!(o.status.code(), Some(2), "already disabled");
    let o = vink(&db, &["audit", "verify"], None);
    assert!(o.status.success());
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}
