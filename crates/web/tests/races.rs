//! Concurrency: N requests racing for one conflicting transition. Exactly one
//! wins, the others get 409, and exactly one event is written; on both
//! databases (PostgreSQL when `VINK_TEST_POSTGRES_URL` is set). And the mail
//! outbox claimed by two job runners at once: every mail sent exactly once,
//! and due follow-ups reminded by two runners: each notification made once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{T, one_winner};
use serde_json::{Value, json};
use uuid::Uuid;

const N: usize = 8;

async fn timeline_count(t: &T, id: Uuid, kind: &str) -> usize {
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_eight_decisions_wins() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    t.to_before_unit(id).await;
    let statuses = t
        .race(N, |i| {
            t.api_req(
                "POST",
                &format!("/api/v1/concerns/{id}/transitions"),
                "sek",
                json!({"to": "decided", "decision": if i % 2 == 0 { "unfounded" } else { "advice_only" }}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::OK, StatusCode::CONFLICT);
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let decisions: Vec<&Value> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to_status"] == "decided")
        .collect();
    assert_eq!(decisions.len(), 1, "one decision event");
    assert_eq!(
        c["decision"], decisions[0]["decision"],
        "the event is the state"
    );
    let allowed = t
        .audit_of(id)
        .await
        .into_iter()
        .filter(|r| r.action == "concern.decide")
        .count();
    assert_eq!(allowed, 1, "one audit row for the one change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_eight_pauses_wins() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let statuses = t
        .race(N, |_| {
            t.api_req(
                "POST",
                &format!("/api/v1/concerns/{id}/pause"),
                "sek",
                json!({"reason": "Afventer oplysninger"}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::OK, StatusCode::CONFLICT);
    assert_eq!(timeline_count(&t, id, "paused").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn completing_and_discontinuing_at_once_leaves_one_consistent_end() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let person = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json()["persons"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let course = t.api("POST", "/api/v1/courses", Some("sek"), Some(json!({"person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp", "direct_reason": "Fiktiv"}))).await;
    assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
    let course = course.json()["id"].as_str().unwrap().to_string();
    let today = t.app.today().to_string();
    let r = t.api("PUT", &format!("/api/v1/courses/{course}/consent"), Some("sek"),
        Some(json!({"consent_on": today, "guardian_consent_on": today, "guardian_name": "Mor (fiktiv)"}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Eight starts at once: one starts it.
    let statuses = t
        .race(N, |_| {
            t.api_req(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                "sek",
                json!({"to": "active"}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::OK, StatusCode::CONFLICT);
    // Then four completions and four discontinuations at once.
    let statuses = t
        .race(N, |i| {
            t.api_req(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                "sek",
                json!({"to": if i % 2 == 0 { "completed" } else { "discontinued" }, "note": "Kapløb (test)"}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::OK, StatusCode::CONFLICT);
    let c = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let follow_ups = c["follow_ups"].as_array().unwrap().len();
    match c["status"].as_str().unwrap() {
        "completed" => assert_eq!(follow_ups, 2),
        "discontinued" => assert_eq!(follow_ups, 0, "no follow-ups on a discontinued course"),
        other => panic!("unexpected status {other}"),
    }
    let ends = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to_status"] == "completed" || e["to_status"] == "discontinued")
        .count();
    assert_eq!(ends, 1, "one end event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_eight_agenda_additions_and_recommendations_wins() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let tomorrow = t.app.today().tomorrow().unwrap().to_string();
    let m = t
        .api(
            "POST",
            "/api/v1/meetings",
            Some("sek"),
            Some(json!({"date": tomorrow, "agencies": ["ssp"]})),
        )
        .await;
    let mid = m.json()["id"].as_str().unwrap().to_string();
    let statuses = t
        .race(N, |_| {
            t.api_req(
                "POST",
                &format!("/api/v1/meetings/{mid}/agenda"),
                "sek",
                json!({"concern_id": id}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::NO_CONTENT, StatusCode::CONFLICT);
    assert_eq!(timeline_count(&t, id, "agenda_added").await, 1);
    let statuses = t
        .race(N, |i| {
            t.api_req(
                "POST",
                &format!("/api/v1/meetings/{mid}/agenda/{id}/recommendation"),
                "ssp",
                json!({"recommendation": format!("Anbefaling {i} (fiktiv)"), "acting_agency": "ssp"}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::NO_CONTENT, StatusCode::CONFLICT);
    assert_eq!(timeline_count(&t, id, "recommendation").await, 1);
}

/// Two job runners (two applications on one database, as two processes would
/// be) racing over 100 due mails: every mail goes out exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_job_runners_send_every_mail_exactly_once() {
    let (port, mails) = common::smtp::smtp_sink().await;
    let url = format!("smtp://127.0.0.1:{port}");
    let mailer = vink_app::reminder::Mailer::from_url(&url, "vink@localhost").unwrap();
    let t = common::setup_full(vink_app::Config::default(), Some(mailer.clone())).await;
    let mut tx = t.system_tx().await;
    for i in 0..100 {
        vink_store::reminder::enqueue_mail(
            &mut tx,
            Uuid::now_v7(),
            None,
            "x@vink.example",
            &format!("mail {i}"),
            "b",
            0,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut other = t.second_app().await;
    other.mailer = Some(mailer);
    let other = std::sync::Arc::new(other);
    let runner = |app: std::sync::Arc<vink_app::App>| async move {
        let mut sent = 0;
        for _ in 0..10 {
            sent += vink_app::reminder::run_once(&app).await.unwrap().sent;
        }
        sent
    };
    let (a, b) = tokio::join!(
        tokio::spawn(runner(t.app.clone())),
        tokio::spawn(runner(other.clone()))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 100, "sent counted once");
    let got = mails.lock().unwrap().clone();
    let mut subjects: Vec<String> = got
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Subject:"))
                .map(String::from)
        })
        .collect();
    assert_eq!(subjects.len(), 100, "100 mails arrived");
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 100, "none twice");
}

/// More concurrent audit readers than the pool has connections: each settles
/// the chain before its read, never while holding a connection, so none waits
/// on a pool it holds (on PostgreSQL this deadlocked until the acquire
/// timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_audit_readers_than_connections_all_get_answers() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let statuses = t
        .race(24, |i| {
            let uri = if i % 2 == 0 {
                "/api/v1/audit?limit=5".to_string()
            } else {
                format!("/api/v1/audit?record_id={id}&limit=5")
            };
            let mut r = t.api_req("GET", &uri, "auditor", serde_json::Value::Null);
            *r.body_mut() = axum::body::Body::empty();
            r
        })
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_eight_not_the_same_person_marks_wins() {
    let t = common::setup().await;
    let body = json!({
        "channel": "hotline",
        "reporter": {"kind": "anonymous"},
        "persons": [{"name": "Lis Lige", "birth": "2008-08-08"}],
        "description": "Samme navn (fiktivt).",
    });
    for _ in 0..2 {
        let r = t
            .api("POST", "/api/v1/concerns", Some("sek"), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let list = t
        .api("GET", "/api/v1/concerns", Some("sek"), None)
        .await
        .json();
    let id: Uuid = list["items"][0]["id"].as_str().unwrap().parse().unwrap();
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let person = c["persons"][0]["id"].as_str().unwrap().to_string();
    let other = c["persons"][0]["matches"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let statuses = t
        .race(N, |_| {
            t.api_req(
                "POST",
                &format!("/api/v1/concerns/{id}/distinct-persons"),
                "sek",
                json!({"person": person, "other": other}),
            )
        })
        .await;
    one_winner(&statuses, StatusCode::NO_CONTENT, StatusCode::CONFLICT);
    assert_eq!(timeline_count(&t, id, "persons_distinct").await, 1);
}

/// Two job runners racing over due follow-ups, a follow-up a transaction:
/// every follow-up is reminded exactly once to each recipient, and marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_job_runners_remind_every_follow_up_exactly_once() {
    use jiff::ToSpan;
    let config = vink_app::Config {
        occupation_follow_up_months: 6,
        reminder_batch: 1,
        ..vink_app::Config::default()
    };
    let t = common::setup_full(config, None).await;
    let ended = t.app.today().checked_sub(6.months()).unwrap();
    for _ in 0..4 {
        t.completed_course(ended, None).await;
    }
    let other = std::sync::Arc::new(t.second_app().await);
    let runner = |app: std::sync::Arc<vink_app::App>| async move {
        let mut made = 0;
        for _ in 0..3 {
            made += vink_app::reminder::run_once(&app)
                .await
                .unwrap()
                .notifications;
        }
        made
    };
    let (a, b) = tokio::join!(
        tokio::spawn(runner(t.app.clone())),
        tokio::spawn(runner(other.clone()))
    );
    // Eight follow-ups, one secretariat user.
    assert_eq!(a.unwrap() + b.unwrap(), 8, "each notification made once");
    let inbox = t
        .api("GET", "/api/v1/inbox", Some("sek"), None)
        .await
        .json();
    assert_eq!(inbox.as_array().unwrap().len(), 8);
    let until = t.app.today().checked_add(14.days()).unwrap().to_string();
    let mut tx = t.app.db.begin_read().await.unwrap();
    let left = vink_store::reminder::due_follow_ups(&mut tx, &until, 100)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(left.is_empty(), "every follow-up marked");
}
