//! What the system promises under hostile input and faults: suggestions that
//! never name an out-of-scope record, redirects that never leave the site,
//! dated consent, merges that keep courses, recovery after a full disk, slow
//! clients cut off, atomic rate limits, bad bytes refused alike on both
//! databases, one audit row per request, expiring tokens, and the headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::T;
use serde_json::{Value, json};
use uuid::Uuid;

fn concern_body(name: &str, birth: &str) -> Value {
    json!({
        "channel": "hotline",
        "reporter": {"kind": "professional", "organisation": "Skole (fiktiv)"},
        "persons": [{"name": name, "birth": birth}],
        "description": "Fiktiv bekymring.",
    })
}

async fn new_concern(t: &T, body: Value) -> Uuid {
    let r = t
        .api("POST", "/api/v1/concerns", Some("sek"), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().parse().unwrap()
}

async fn meeting_with(t: &T, agency: &str, concern: Uuid) {
    let date = t.app.today().tomorrow().unwrap().to_string();
    let m = t
        .api(
            "POST",
            "/api/v1/meetings",
            Some("sek"),
            Some(json!({"date": date, "agencies": [agency]})),
        )
        .await;
    let mid = m.json()["id"].as_str().unwrap().to_string();
    let r = t
        .api(
            "POST",
            &format!("/api/v1/meetings/{mid}/agenda"),
            Some("sek"),
            Some(json!({"concern_id": concern})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn match_suggestions_never_name_what_the_reader_may_not_read() {
    let t = common::setup().await;
    let first = new_concern(&t, concern_body("Ens Navn", "2009-04-05")).await;
    let second = new_concern(&t, concern_body("Ens Navn", "2009-04-05")).await;
    // Only the second is before the SSP's meeting.
    meeting_with(&t, "ssp", second).await;
    let as_ssp = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{second}"),
            Some("ssp"),
            None,
        )
        .await;
    assert_eq!(as_ssp.status, StatusCode::OK);
    let text = as_ssp.text.clone();
    assert_eq!(as_ssp.json()["persons"][0]["matches"], json!([]), "{text}");
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/concerns/{first}"),
            Some("ssp"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let first_number = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{first}"),
            Some("sek"),
            None,
        )
        .await
        .json()["case_number"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !text.contains(&first_number),
        "no case number of another concern"
    );
    // The UI page, likewise.
    let (_, cookie) = t.login("ssp", common::PASSWORD).await;
    let page = t.page(&format!("/concerns/{second}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(&first_number));
    // The secretariat, who may link, sees the suggestion.
    let as_sek = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{second}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(
        as_sek["persons"][0]["matches"][0]["case_number"],
        first_number.as_str()
    );
}

#[tokio::test]
async fn redirects_never_leave_the_site_and_never_fail() {
    let t = common::setup().await;
    for next in [
        "/%5Cevil.example/",
        "//evil.example",
        "/%09/evil.example/",
        "/%00",
        "/a%0d%0aSet-Cookie:%20x=y",
        "https://evil.example",
    ] {
        let r = t.page(&format!("/lang/en?next={next}"), "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.header("location"), "/", "{next}");
    }
    let r = t.page("/lang/en?next=/concerns%3Fpage%3D2", "").await;
    assert_eq!(r.header("location"), "/concerns?page=2");
    // After log-in.
    let (cookie, csrf) = login_cookie(&t).await;
    for next in [
        "%2F%09%2Fevil.example%2F",
        "%2F%5Cevil.example",
        "%2F%00",
        "%2Fa%0D%0Ab",
    ] {
        let body = format!("csrf={csrf}&username=sek&password=correct+horse+battery&next={next}");
        let r = t
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, &cookie)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.text);
        assert_eq!(r.header("location"), "/", "{next}");
    }
}

async fn course_for(t: &T, concern: Uuid) -> String {
    let person = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{concern}"),
            Some("sek"),
            None,
        )
        .await
        .json()["persons"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t.api("POST", "/api/v1/courses", Some("sek"), Some(json!({"person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp", "direct_reason": "Fiktiv"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn consent_is_dated_kept_and_withdrawn_explicitly() {
    let t = common::setup_at("2026-06-15T10:00:00Z".parse().unwrap()).await;
    let c = new_concern(&t, concern_body("Ung Fiktiv", "2012-01-01")).await;
    let course = course_for(&t, c).await;
    let put = |body: Value| {
        let course = course.clone();
        let t = &t;
        async move {
            t.api(
                "PUT",
                &format!("/api/v1/courses/{course}/consent"),
                Some("sek"),
                Some(body),
            )
            .await
        }
    };
    let tr = |body: Value| {
        let course = course.clone();
        let t = &t;
        async move {
            t.api(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                Some("sek"),
                Some(body),
            )
            .await
        }
    };
    // Consent given 30 days after the start date: not accepted.
    assert_eq!(put(json!({"consent_on": "2026-06-14", "guardian_consent_on": "2026-06-14", "guardian_name": "Mor"})).await.status, StatusCode::NO_CONTENT);
    let r = tr(json!({"to": "active", "on": "2026-05-15"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("on or before the start"), "{}", r.text);
    let r = tr(json!({"to": "active", "on": "2026-06-14"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Re-recording the person's consent keeps the guardian's.
    assert_eq!(
        put(json!({"consent_on": "2026-06-13"})).await.status,
        StatusCode::NO_CONTENT
    );
    let d = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(d["guardian_consent_on"], "2026-06-14");
    assert_eq!(d["consent_on"], "2026-06-13");
    // A consent dated after the start cannot be recorded on a running course.
    assert_eq!(
        put(json!({"consent_on": "2026-06-15"})).await.status,
        StatusCode::CONFLICT
    );
    // Withdrawal is its own step: the running course is discontinued.
    let w = t
        .api(
            "POST",
            &format!("/api/v1/courses/{course}/consent/withdrawal"),
            Some("sek"),
            Some(json!({"party": "guardian", "note": "Trukket tilbage (fiktivt)"})),
        )
        .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    assert_eq!(w.json()["status"], "discontinued");
    let d = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(d["status"], "discontinued");
    assert_eq!(d["guardian_consent_on"], Value::Null);
    assert_eq!(d["follow_ups"], json!([]));
    assert!(
        d["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "consent_withdrawn")
    );
    let again = t
        .api(
            "POST",
            &format!("/api/v1/courses/{course}/consent/withdrawal"),
            Some("sek"),
            Some(json!({"party": "person"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn merging_a_person_who_has_a_course_moves_the_course() {
    let t = common::setup().await;
    let a = new_concern(&t, concern_body("Samme Person", "2008-02-03")).await;
    let b = new_concern(&t, concern_body("Samme Person", "2008-02-03")).await;
    let course = course_for(&t, b).await;
    let pa = t
        .api("GET", &format!("/api/v1/concerns/{a}"), Some("sek"), None)
        .await
        .json()["persons"][0]["id"]
        .clone();
    let pb = t
        .api("GET", &format!("/api/v1/concerns/{b}"), Some("sek"), None)
        .await
        .json()["persons"][0]["id"]
        .clone();
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{b}/link-person"),
            Some("sek"),
            Some(json!({"from": pb, "to": pa})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let d = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(d["person"]["id"], pa, "the course follows the kept person");
    assert!(
        d["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "person_linked")
    );
}

/// A full disk on SQLite: writes answer 503 with a JSON error while the file
/// cannot grow, readiness says so, and everything works again once there is
/// room, without a restart. (SQLite only: PostgreSQL's disk cannot be capped
/// from a test; its dropped-transaction recovery is the same pool hook.)
#[tokio::test]
async fn a_full_disk_answers_503_and_recovers_without_restart() {
    if common::is_postgres() {
        eprintln!("SQLite-specific: the file is capped with PRAGMA max_page_count");
        return;
    }
    let t = common::setup().await;
    let db = &t.app.db;
    // Caps the file at its current size on the writer connection, fills the
    // pages free inside it (a dropped table's: room a full disk still has),
    // and checks the cap holds: not one more page.
    let cap = async || {
        let pages = db.on_writer("PRAGMA page_count").await.unwrap().flatten();
        let pages = pages.unwrap();
        db.on_writer(&format!("PRAGMA max_page_count = {pages}"))
            .await
            .unwrap();
        let fill = "INSERT INTO health_probe (filler) VALUES (zeroblob(1000))";
        for _ in 0..100_000 {
            if db.on_writer(fill).await.is_err() {
                break;
            }
        }
        assert!(db.on_writer(fill).await.is_err(), "the cap holds");
    };
    let mut big = concern_body("Fuld Disk", "2001-01-01");
    big["description"] = json!("x".repeat(9_000));
    for _ in 0..3 {
        cap().await;
        let r = t
            .api("POST", "/api/v1/concerns", Some("sek"), Some(big.clone()))
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
        assert_eq!(r.json()["error"]["code"], "unavailable");
    }
    cap().await;
    let ready = t
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );
    assert_eq!(ready.json()["database"], "not_writable");
    let live = t
        .send(Request::get("/healthz/live").body(Body::empty()).unwrap())
        .await;
    assert_eq!(live.status, StatusCode::OK);
    // Room again.
    db.on_writer("PRAGMA max_page_count = 1073741823")
        .await
        .unwrap();
    let id = new_concern(&t, big).await;
    let r = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "an audited read works again");
    let ready = t
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(ready.status, StatusCode::OK);
}

/// A request future dropped mid-transaction (a client gone, a timeout) leaves
/// every connection clean for the next request.
#[tokio::test]
async fn a_dropped_request_leaves_no_transaction_behind() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let path = format!("/api/v1/concerns/{id}/pause");
    for _ in 0..20 {
        let fut = t.api("POST", &path, Some("sek"), Some(json!({"reason": "x"})));
        // Drop it at some point mid-flight.
        let _ = tokio::time::timeout(std::time::Duration::from_micros(300), fut).await;
    }
    let r = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let again = t.concern(None).await;
    assert_ne!(again, id);
}

#[tokio::test]
async fn a_client_that_stops_mid_header_is_cut_off_while_others_are_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = common::setup().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = vink_web::server::Limits {
        header_read_timeout: std::time::Duration::from_secs(1),
        request_timeout: std::time::Duration::from_secs(5),
        max_connections: 64,
    };
    let server = tokio::spawn(vink_web::server::serve(
        listener,
        t.router.clone(),
        limits,
        std::future::pending(),
    ));
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    let started = std::time::Instant::now();
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /healthz/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = String::new();
    ok.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "served while the slow ones wait"
    );
    for mut s in slow {
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(std::time::Duration::from_secs(4), s.read(&mut buf))
            .await
            .expect("the slow client is cut off within the timeout")
            .unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "closed: {text}");
    }
    server.abort();
}

/// The log-in form's CSRF cookie and token.
async fn login_cookie(t: &T) -> (String, String) {
    let page = t
        .send(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let cookie = page
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = cookie.split('=').nth(1).unwrap().to_string();
    (cookie, csrf)
}

fn login_req(
    cookie: &str,
    csrf: &str,
    user: &str,
    password: &str,
    peer: &str,
    xff: Option<&str>,
) -> Request<Body> {
    let mut b = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie);
    if let Some(x) = xff {
        b = b.header("x-forwarded-for", x);
    }
    let mut r = b
        .body(Body::from(format!(
            "csrf={csrf}&username={user}&password={}&next=%2Fdashboard",
            password.replace(' ', "+")
        )))
        .unwrap();
    r.extensions_mut().insert(ConnectInfo::<SocketAddr>(
        format!("{peer}:40000").parse().unwrap(),
    ));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_limits_hold_under_parallel_bursts_and_cannot_lock_the_owner_out() {
    let t = common::setup().await;
    let (cookie, csrf) = login_cookie(&t).await;
    let statuses = t
        .race(30, |_| {
            login_req(
                &cookie,
                &csrf,
                "sek",
                "wrong password!",
                "198.51.100.1",
                None,
            )
        })
        .await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((refused, limited), (5, 25), "{statuses:?}");
    // The owner, from another address, still gets in.
    let r = t
        .send(login_req(
            &cookie,
            &csrf,
            "sek",
            common::PASSWORD,
            "192.0.2.10",
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // Behind the trusted proxy, the forwarded address is the client.
    let r = t
        .send(login_req(
            &cookie,
            &csrf,
            "sek",
            common::PASSWORD,
            "10.9.9.9",
            Some("198.51.100.1"),
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the forwarded address is limited"
    );
    let r = t
        .send(login_req(
            &cookie,
            &csrf,
            "sek",
            common::PASSWORD,
            "10.9.9.9",
            Some("192.0.2.77"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // From an untrusted peer the header is ignored.
    let r = t
        .send(login_req(
            &cookie,
            &csrf,
            "sek",
            common::PASSWORD,
            "198.51.100.1",
            Some("192.0.2.77"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let rows = t.audit_all().await;
    let limited_rows = rows
        .iter()
        .filter(|r| r.action == "auth.login" && r.reason.as_deref() == Some("rate_limited"))
        .count();
    assert!(limited_rows >= 25, "{limited_rows}");
    // The audit log records the resolved client address, also behind the proxy.
    assert!(
        rows.iter()
            .any(|r| r.client.as_deref() == Some("198.51.100.1"))
    );
    let via_proxy = rows
        .iter()
        .filter(|r| r.action == "auth.login" && r.outcome == "allowed")
        .filter_map(|r| r.client.clone())
        .collect::<Vec<_>>();
    assert!(
        via_proxy.contains(&"192.0.2.77".to_string()),
        "{via_proxy:?}"
    );
    assert!(
        !via_proxy.contains(&"10.9.9.9".to_string()),
        "never the proxy's own address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_reports_from_one_address_are_limited_atomically() {
    let t = common::setup().await;
    let before = t.concern_count().await;
    let statuses = t
        .race(40, |i| {
            let mut r = Request::post("/report")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "description=Fiktiv+rapport+{i}&reporter_kind=anonymous"
                )))
                .unwrap();
            r.extensions_mut().insert(ConnectInfo::<SocketAddr>(
                "198.51.100.9:1234".parse().unwrap(),
            ));
            r
        })
        .await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(t.concern_count().await - before, 5);
}

#[tokio::test]
async fn control_characters_and_huge_pages_are_422_on_both_databases() {
    let t = common::setup().await;
    let mut body = concern_body("Nul\u{0}Byte", "2001-01-01");
    let r = t
        .api("POST", "/api/v1/concerns", Some("sek"), Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "persons[0].name");
    body["persons"][0]["name"] = json!("Ok Navn");
    body["description"] = json!("tekst\u{1b}[2J");
    let r = t
        .api("POST", "/api/v1/concerns", Some("sek"), Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "description");
    body["description"] = json!("linje 1\r\nlinje 2\tmed tab");
    let r = t
        .api("POST", "/api/v1/concerns", Some("sek"), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t
        .api(
            "POST",
            "/api/v1/meetings",
            Some("sek"),
            Some(json!({"date": "2026-12-01", "agencies": ["ss\u{0}p"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    for path in ["/api/v1/concerns", "/api/v1/courses", "/api/v1/meetings"] {
        let r = t
            .api(
                "GET",
                &format!("{path}?page=9223372036854775807"),
                Some("sek"),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn one_request_one_row_and_access_before_validation() {
    let t = common::setup().await;
    // A role that may not register gets 403 and a denied row, even for bad input.
    let before = t.audit_all().await.len();
    let r = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("mentor"),
            Some(json!({"channel": "nonsense"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let rows = t.audit_all().await;
    assert_eq!(rows.len(), before + 1);
    assert_eq!(
        (rows[before].action.as_str(), rows[before].outcome.as_str()),
        ("concern.create", "denied")
    );
    // A course read leaves exactly one allowed row.
    let c = t.concern(None).await;
    let course = course_for(&t, c).await;
    let id: Uuid = course.parse().unwrap();
    let before = t.audit_of(id).await.len();
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let rows = t.audit_of(id).await;
    assert_eq!(rows.len(), before + 1);
    assert_eq!(
        (rows[before].action.as_str(), rows[before].outcome.as_str()),
        ("course.read", "allowed")
    );
    // The candidates for a mentor: one denied row, nothing else.
    let before = t.audit_all().await.len();
    let r = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}/candidates"),
            Some("mentor"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let rows = t.audit_all().await;
    assert_eq!(rows.len(), before + 1, "one row for one request");
    // Staff names in the corps list are an audited read.
    let before = t.audit_all().await.len();
    assert_eq!(
        t.api("GET", "/api/v1/corps", Some("sek"), None)
            .await
            .status,
        StatusCode::OK
    );
    let rows = t.audit_all().await;
    assert_eq!(rows.len(), before + 1);
    assert_eq!(rows[before].action, "corps.read");
    // Every action code in the log is one of the enum's.
    let codes: Vec<&str> = vink_domain::policy::Action::ALL
        .iter()
        .map(|a| a.code())
        .collect();
    for r in t.audit_all().await {
        assert!(codes.contains(&r.action.as_str()), "{}", r.action);
    }
}

#[tokio::test]
async fn tokens_expire_and_sessions_end_after_their_lifetime() {
    let t = common::setup_at("2026-01-10T08:00:00Z".parse().unwrap()).await;
    let token = vink_app::user::create_token(&t.app, &vink_domain::user::Actor::system(), "sek")
        .await
        .unwrap();
    let call = |tok: String| {
        let t = &t;
        async move {
            t.send(
                Request::get("/api/v1/concerns")
                    .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .status
        }
    };
    // setup_at issues ten-year tokens; this one has the default 90 days.
    let mut config = t.app.config.clone();
    config.token_lifetime = jiff::SignedDuration::from_hours(90 * 24);
    let short = {
        let mut app = t.second_app().await;
        app.config = config;
        app.clock = vink_app::Clock::fixed(t.app.now());
        vink_app::user::create_token(&app, &vink_domain::user::Actor::system(), "sek")
            .await
            .unwrap()
    };
    assert_eq!(call(token.clone()).await, StatusCode::OK);
    assert_eq!(call(short.clone()).await, StatusCode::OK);
    t.app
        .clock
        .advance(jiff::SignedDuration::from_hours(91 * 24));
    assert_eq!(
        call(short).await,
        StatusCode::UNAUTHORIZED,
        "expired after 90 days"
    );
    assert_eq!(call(token).await, StatusCode::OK);
    // A session ends 12 h after log-in even when used every few minutes.
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    for _ in 0..(11 * 6) {
        t.app.clock.advance(jiff::SignedDuration::from_mins(10));
        assert_eq!(t.page("/dashboard", &cookie).await.status, StatusCode::OK);
    }
    t.app.clock.advance(jiff::SignedDuration::from_hours(1));
    assert_eq!(
        t.page("/dashboard", &cookie).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn security_headers_on_every_answer() {
    let t = common::setup().await;
    for path in ["/login", "/healthz", "/api/v1/concerns", "/assets/vink.css"] {
        let r = t.page(path, "").await;
        assert_eq!(
            r.header("cross-origin-opener-policy"),
            "same-origin",
            "{path}"
        );
        assert_eq!(
            r.header("cross-origin-resource-policy"),
            "same-origin",
            "{path}"
        );
        assert!(
            r.header("permissions-policy").contains("camera=()"),
            "{path}"
        );
        assert_eq!(
            r.header("strict-transport-security"),
            "",
            "no HSTS without TLS"
        );
    }
    let secure = vink_web::router(vink_web::AppState {
        app: t.app.clone(),
        secure_cookies: true,
        trusted_proxies: std::sync::Arc::from(Vec::new()),
    });
    use tower::ServiceExt;
    let r = secure
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn guessing_one_account_from_many_addresses_raises_an_alert() {
    let t = common::setup().await;
    let (cookie, csrf) = login_cookie(&t).await;
    for i in 0..50 {
        let peer = format!("198.51.100.{}", i + 1);
        let r = t
            .send(login_req(
                &cookie,
                &csrf,
                "sek",
                "wrong password!",
                &peer,
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = t
        .send(login_req(
            &cookie,
            &csrf,
            "sek",
            "wrong password!",
            "203.0.113.1",
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let alerts = t
        .audit_all()
        .await
        .into_iter()
        .filter(|r| r.reason.as_deref() == Some("account_ceiling_alert"))
        .count();
    assert_eq!(alerts, 1, "one alert row for the auditors");
}
