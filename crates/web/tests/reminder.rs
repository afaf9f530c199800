//! Follow-up reminders against a real SMTP sink on loopback: one e-mail per
//! recipient, none twice (also after a restart), no personal data in the mail,
//! and the same reminder in the in-app inbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::smtp::smtp_sink;
use jiff::ToSpan;
use serde_json::json;
use vink_app::reminder::{Mailer, run_once};

#[tokio::test]
async fn due_follow_ups_are_mailed_once_and_shown_in_the_inbox() {
    let (port, mails) = smtp_sink().await;
    let mailer =
        Mailer::from_url(&format!("smtp://127.0.0.1:{port}"), "vink <vink@localhost>").unwrap();
    let t = common::setup_full(vink_app::Config::default(), Some(mailer.clone())).await;
    {
        let mut tx = t.system_tx().await;
        vink_store::reminder::set_email(&mut tx, t.ids["sek"], Some("sek@vink.example"))
            .await
            .unwrap();
        vink_store::reminder::set_email(&mut tx, t.ids["mentor"], Some("mentor@vink.example"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let member = t
        .api(
            "POST",
            "/api/v1/corps",
            Some("sek"),
            Some(
                json!({"name": "Mads", "kind": "mentor", "username": "mentor", "max_caseload": 3}),
            ),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let today = t.app.today();
    // Ended six months ago less three days: the risk follow-up is due in three days.
    let ended = today
        .checked_sub(6.months())
        .unwrap()
        .checked_add(3.days())
        .unwrap();
    let course = t.completed_course(ended, Some(&member)).await;
    let first = run_once(&t.app).await.unwrap();
    assert_eq!(
        (first.notifications, first.sent, first.failed),
        (2, 2, 0),
        "secretariat and the assigned mentor"
    );
    {
        let got = mails.lock().unwrap();
        assert_eq!(got.len(), 2);
        for m in got.iter() {
            // The body is quoted-printable: undo its soft line breaks.
            let m = m.replace("=\n", "");
            assert!(m.contains(&format!("/courses/{course}")), "{m}");
            assert!(
                !m.contains("Testperson") && !m.contains("Fiktiv"),
                "no personal data in e-mail: {m}"
            );
        }
        let all = got.join("\n");
        assert!(all.contains("sek@vink.example") && all.contains("mentor@vink.example"));
    }
    // Again, and after a "restart" (a new App over the same database): nothing new.
    assert_eq!(
        run_once(&t.app).await.unwrap(),
        vink_app::reminder::RunSummary::default()
    );
    let restarted = vink_app::App {
        mailer: Some(mailer),
        ..vink_app::App::new(
            reopen(&t).await,
            vink_app::Config::default(),
            vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
        )
    };
    assert_eq!(run_once(&restarted).await.unwrap().sent, 0);
    assert_eq!(mails.lock().unwrap().len(), 2, "never twice");
    // The same reminder in the mentor's inbox, and only theirs.
    let inbox = t
        .api("GET", "/api/v1/inbox", Some("mentor"), None)
        .await
        .json();
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    assert_eq!(inbox[0]["course_id"], course.as_str());
    assert_eq!(
        t.api("GET", "/api/v1/inbox", Some("analyst"), None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_retried_later_not_lost() {
    // Nothing listens on this port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mailer = Mailer::from_url(&format!("smtp://127.0.0.1:{port}"), "vink@localhost").unwrap();
    let t = common::setup_full(vink_app::Config::default(), Some(mailer)).await;
    let mut tx = t.system_tx().await;
    vink_store::reminder::enqueue_mail(
        &mut tx,
        uuid::Uuid::now_v7(),
        None,
        "x@vink.example",
        "s",
        "b",
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = run_once(&t.app).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 1));
    let mut tx = t.app.db.begin_read().await.unwrap();
    assert_eq!(
        vink_store::reminder::mail_count(&mut tx, "pending")
            .await
            .unwrap(),
        1,
        "back in the queue with a later attempt"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        run_once(&t.app).await.unwrap().failed,
        0,
        "not retried before its time"
    );
}

/// A pass marks what it handled, so the next pass reads nothing old (before,
/// every pass re-read every overdue follow-up and re-tried its notifications);
/// a backlog larger than a batch is worked through in one pass, a batch per
/// transaction.
#[tokio::test]
async fn a_pass_works_through_a_backlog_in_batches_and_leaves_nothing_to_reread() {
    let config = vink_app::Config {
        // Both follow-ups of a course due at once, one follow-up a batch.
        occupation_follow_up_months: 6,
        reminder_batch: 1,
        ..vink_app::Config::default()
    };
    let t = common::setup_full(config, None).await;
    let today = t.app.today();
    let long_ago = today.checked_sub(7.months()).unwrap();
    let soon = today
        .checked_sub(6.months())
        .unwrap()
        .checked_add(3.days())
        .unwrap();
    let later = today
        .checked_sub(6.months())
        .unwrap()
        .checked_add(30.days())
        .unwrap();
    t.completed_course(long_ago, None).await;
    t.completed_course(soon, None).await;
    let not_yet = t.completed_course(later, None).await;
    let until = today.checked_add(14.days()).unwrap().to_string();
    assert_eq!(
        due(&t, &until).await.len(),
        4,
        "two courses, two follow-ups each"
    );
    let audit_before = runs(&t).await;
    let first = run_once(&t.app).await.unwrap();
    // Four follow-ups, one secretariat user each (no mentor assigned).
    assert_eq!(first.notifications, 4);
    assert!(
        due(&t, &until).await.is_empty(),
        "nothing left for the next pass to read"
    );
    assert_eq!(
        runs(&t).await - audit_before,
        4,
        "one transaction, and one audit row, a batch"
    );
    assert_eq!(
        run_once(&t.app).await.unwrap(),
        vink_app::reminder::RunSummary::default()
    );
    assert_eq!(
        runs(&t).await - audit_before,
        4,
        "an idle pass leaves no row"
    );
    // The third course's follow-ups come due later and are handled then.
    let inbox = t
        .api("GET", "/api/v1/inbox", Some("sek"), None)
        .await
        .json();
    assert_eq!(inbox.as_array().unwrap().len(), 4);
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["course_id"] != not_yet.as_str())
    );
}

/// What the reminder job's next pass would read.
async fn due(t: &common::T, until: &str) -> Vec<vink_store::reminder::DueFollowUp> {
    let mut tx = t.app.db.begin_read().await.unwrap();
    let rows = vink_store::reminder::due_follow_ups(&mut tx, until, 100)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows
}

/// How many reminder passes left an audit row.
async fn runs(t: &common::T) -> usize {
    t.audit_all()
        .await
        .iter()
        .filter(|r| r.action == "reminder.run")
        .count()
}

async fn reopen(t: &common::T) -> vink_store::Db {
    t.reopen().await
}

#[tokio::test]
async fn a_grant_report_due_soon_reminds_the_secretariat_once() {
    let (port, mails) = smtp_sink().await;
    let mailer =
        Mailer::from_url(&format!("smtp://127.0.0.1:{port}"), "vink <vink@localhost>").unwrap();
    let t = common::setup_full(vink_app::Config::default(), Some(mailer)).await;
    {
        let mut tx = t.system_tx().await;
        vink_store::reminder::set_email(&mut tx, t.ids["sek"], Some("sek@vink.example"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let source = t
        .api(
            "POST",
            "/api/v1/funding/sources",
            Some("sek"),
            Some(json!({"name": "Satspuljen", "kind": "state_pool"})),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let today = t.app.today();
    let soon = today.checked_add(5.days()).unwrap().to_string();
    let later = today.checked_add(60.days()).unwrap().to_string();
    let year = today.year();
    let r = t
        .api(
            "POST",
            "/api/v1/funding/grants",
            Some("sek"),
            Some(
                json!({"source": source, "title": "National hotline (fiktiv)", "total": 10_000_000,
                        "usable_from": year, "usable_to": year, "report_deadlines": [soon, later]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first = run_once(&t.app).await.unwrap();
    assert_eq!(
        (first.notifications, first.sent),
        (1, 1),
        "the deadline in 5 days, not in 60"
    );
    assert_eq!(
        run_once(&t.app).await.unwrap(),
        vink_app::reminder::RunSummary::default()
    );
    let got = mails.lock().unwrap().join("\n").replace("=\n", "");
    assert!(
        got.contains("sek@vink.example") && got.contains("/funding"),
        "{got}"
    );
    let inbox = t
        .api("GET", "/api/v1/inbox", Some("sek"), None)
        .await
        .json();
    assert_eq!(inbox[0]["kind"], "grant_report_due");
    assert_eq!(inbox[0]["due_on"], soon.as_str());
}
