//! The JSON API in-process: who may do what, the audit row each access leaves,
//! the triage state machine and clock, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

fn ago(hours: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(hours)).to_string()
}

#[tokio::test]
async fn health_openapi_and_headers() {
    let t = common::setup().await;
    let r = t.api("GET", "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    assert!(
        r.header("content-security-policy")
            .contains("default-src 'self'")
    );
    assert_eq!(r.header("cache-control"), "no-store");
    let doc = t.api("GET", "/api/openapi.json", None, None).await.json();
    for path in [
        "/api/v1/concerns",
        "/api/v1/concerns/{id}/transitions",
        "/api/v1/meetings",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["ConcernDraft"].is_object());
}

#[tokio::test]
async fn the_api_needs_a_valid_token() {
    let t = common::setup().await;
    let r = t.api("GET", "/api/v1/concerns", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
    let req = axum::http::Request::get("/api/v1/concerns")
        .header("authorization", "Bearer vink_nope")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn secretariat_registers_and_reads_with_one_audit_row_each() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let r = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = r.json();
    assert_eq!(c["status"], "received");
    assert_eq!(c["persons"][0]["minor"], "minor");
    assert_eq!(c["timeline"][0]["kind"], "received");
    assert!(c["case_number"].as_str().unwrap().starts_with("K-"));
    assert_eq!(c["clock"]["state"], "running");
    let rows = t.audit_of(id).await;
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![("concern.create", "allowed"), ("concern.read", "allowed")]
    );
    assert_eq!(rows[1].actor_id, Some(t.ids["sek"]));
    // No personal data is copied into the audit log.
    for row in t.audit_all().await {
        let all = format!("{row:?}");
        assert!(
            !all.contains("Testperson") && !all.contains("Fiktiv bekymring"),
            "{all}"
        );
    }
}

#[tokio::test]
async fn roles_without_case_access_are_refused_and_audited() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    for user in ["mentor", "analyst", "admin", "auditor", "ssp"] {
        let before = t.audit_of(id).await.len();
        let r = t
            .api("GET", &format!("/api/v1/concerns/{id}"), Some(user), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(r.json()["error"]["code"], "forbidden");
        assert!(!r.text.contains("Fiktiv"), "{user} saw content");
        let rows = t.audit_of(id).await;
        assert_eq!(rows.len(), before + 1, "{user}: exactly one audit row");
        let last = rows.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.outcome.as_str()),
            ("concern.read", "denied")
        );
        assert_eq!(last.actor_id, Some(t.ids[user]));
        let want = if user == "ssp" {
            "not_in_scope"
        } else {
            "role_not_permitted"
        };
        assert_eq!(last.reason.as_deref(), Some(want), "{user}");
    }
    // Lists are filtered in SQL by the same policy.
    let ssp = t
        .api("GET", "/api/v1/concerns", Some("ssp"), None)
        .await
        .json();
    assert_eq!(ssp["total"], 0);
    assert_eq!(
        t.api("GET", "/api/v1/concerns", Some("mentor"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A refusal does not reveal whether an id exists.
    let missing = uuid::Uuid::now_v7();
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/concerns/{missing}"),
            Some("mentor"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/concerns/{missing}"),
            Some("sek"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.api("GET", "/api/v1/concerns/not-an-id", Some("sek"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn coordination_unit_reads_what_is_on_its_agenda_and_records_recommendations() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let other = t.concern(None).await;
    let tomorrow = (Timestamp::now() + SignedDuration::from_hours(24))
        .strftime("%Y-%m-%d")
        .to_string();
    let m = t
        .api(
            "POST",
            "/api/v1/meetings",
            Some("sek"),
            Some(json!({"date": tomorrow, "agencies": ["vink", "ssp"]})),
        )
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.text);
    let mid = m.json()["id"].as_str().unwrap().to_string();
    // Into screening, then onto the agenda (which moves it before the unit).
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{id}/transitions"),
            Some("sek"),
            Some(json!({"to": "screening"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .api(
            "POST",
            &format!("/api/v1/meetings/{mid}/agenda"),
            Some("sek"),
            Some(json!({"concern_id": id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let again = t
        .api(
            "POST",
            &format!("/api/v1/meetings/{mid}/agenda"),
            Some("sek"),
            Some(json!({"concern_id": id})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let r = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("ssp"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "before_unit");
    assert_eq!(
        r.json()["meetings"],
        json!([{"id": mid, "date": tomorrow}]),
        "the detail names the meeting once, whatever number of agencies attend"
    );
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/concerns/{other}"),
            Some("ssp"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.api("GET", &format!("/api/v1/concerns/{id}"), Some("psp"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let list = t
        .api("GET", "/api/v1/concerns", Some("ssp"), None)
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.to_string());
    assert_eq!(
        t.api("GET", "/api/v1/meetings", Some("ssp"), None)
            .await
            .json()["total"],
        1
    );
    assert_eq!(
        t.api("GET", "/api/v1/meetings", Some("psp"), None)
            .await
            .json()["total"],
        0
    );

    // The member records the recommendation but may not move the case along.
    let rec = t
        .api(
            "POST",
            &format!("/api/v1/meetings/{mid}/agenda/{id}/recommendation"),
            Some("ssp"),
            Some(json!({"recommendation": "Mentorforløb anbefales.", "acting_agency": "ssp"})),
        )
        .await;
    assert_eq!(rec.status, StatusCode::NO_CONTENT, "{}", rec.text);
    let psp = t
        .api(
            "POST",
            &format!("/api/v1/meetings/{mid}/agenda/{id}/recommendation"),
            Some("psp"),
            Some(json!({"recommendation": "x"})),
        )
        .await;
    assert_eq!(psp.status, StatusCode::FORBIDDEN);
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{id}/pause"),
            Some("ssp"),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let meeting = t
        .api("GET", &format!("/api/v1/meetings/{mid}"), Some("ssp"), None)
        .await
        .json();
    assert_eq!(
        meeting["agenda"][0]["recommendation"],
        "Mentorforløb anbefales."
    );
    assert_eq!(meeting["agenda"][0]["acting_agency"], "SSP København");
    // The unit decides: founded, local action, with the intended programme.
    let d = t
        .api("POST", &format!("/api/v1/concerns/{id}/decision"), Some("ssp"),
            Some(json!({"decision": "founded_local_action", "programme_kind": "mentor", "reason": "Enheden er enig"})))
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    assert_eq!(d.json()["programme_kind"], "mentor");
    assert_eq!(d.json()["clock"]["state"], "stopped");
    let minutes = t
        .api(
            "PUT",
            &format!("/api/v1/meetings/{mid}/minutes"),
            Some("sek"),
            Some(json!({"minutes": "Referat"})),
        )
        .await;
    assert_eq!(minutes.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_state_machine_answers_409_for_other_moves_and_422_for_missing_parts() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let go = |body: serde_json::Value| {
        let t = &t;
        async move {
            t.api(
                "POST",
                &format!("/api/v1/concerns/{id}/transitions"),
                Some("sek"),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        go(json!({"to": "before_unit"})).await.status,
        StatusCode::CONFLICT
    );
    let bad = go(json!({"to": "archived"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["fields"][0]["field"], "to");
    assert_eq!(
        go(json!({"to": "screening", "reason": "Kvalificeres"}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        go(json!({"to": "before_unit"})).await.status,
        StatusCode::OK
    );
    let no_decision = go(json!({"to": "decided"})).await;
    assert_eq!(no_decision.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        no_decision.json()["error"]["fields"][0]["field"],
        "decision"
    );
    let no_kind = go(json!({"to": "decided", "decision": "founded_local_action"})).await;
    assert_eq!(
        no_kind.json()["error"]["fields"][0]["field"],
        "programme_kind"
    );
    let ok = go(json!({"to": "decided", "decision": "unfounded", "reason": "Ingen grund"})).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(
        go(json!({"to": "screening"})).await.status,
        StatusCode::CONFLICT
    );
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let kinds: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        vec!["received", "screening", "before_unit", "decided"]
    );
    assert_eq!(c["timeline"][3]["reason"], "Ingen grund");
    assert_eq!(c["timeline"][3]["actor"], "sek (test)");
}

#[tokio::test]
async fn immediate_danger_can_go_straight_to_the_police() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{id}/transitions"),
            Some("sek"),
            Some(json!({"to": "decided", "decision": "handed_to_police"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a note is required"
    );
    assert_eq!(r.json()["error"]["fields"][0]["field"], "reason");
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{id}/transitions"),
            Some("sek"),
            Some(json!({"to": "decided", "decision": "handed_to_police", "reason": "Akut fare; politiet orienteret (fiktivt)"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn the_clock_pauses_with_a_reason_and_resumes_later() {
    let t = common::setup().await;
    let id = t.concern(Some(&ago(10))).await;
    let url = |s: &str| format!("/api/v1/concerns/{id}/{s}");
    let no_reason = t
        .api("POST", &url("pause"), Some("sek"), Some(json!({})))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.json()["error"]["fields"][0]["field"], "reason");
    assert_eq!(
        t.api("POST", &url("resume"), Some("sek"), Some(json!({})))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let p = t
        .api(
            "POST",
            &url("pause"),
            Some("sek"),
            Some(json!({"reason": "Afventer skolen"})),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let paused = p.json();
    assert_eq!(paused["clock"]["state"], "paused");
    assert_eq!(
        t.api(
            "POST",
            &url("pause"),
            Some("sek"),
            Some(json!({"reason": "igen"}))
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let r = t
        .api(
            "POST",
            &url("resume"),
            Some("sek"),
            Some(json!({"reason": "Svar modtaget"})),
        )
        .await
        .json();
    assert_eq!(r["clock"]["state"], "running");
    let before: Timestamp = paused["clock"]["deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let after: Timestamp = r["clock"]["deadline"].as_str().unwrap().parse().unwrap();
    assert!(
        after > before,
        "paused time moves the deadline: {before} → {after}"
    );
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let kinds: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["received", "paused", "resumed"]);
    assert_eq!(c["timeline"][1]["reason"], "Afventer skolen");
}

#[tokio::test]
async fn the_list_sorts_by_deadline_and_filters_overdue_and_due_soon() {
    let t = common::setup().await;
    let fresh = t.concern(None).await;
    let overdue = t.concern(Some(&ago(50))).await;
    let soon = t.concern(Some(&ago(40))).await;
    let all = t
        .api("GET", "/api/v1/concerns", Some("sek"), None)
        .await
        .json();
    let order: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        order,
        vec![overdue.to_string(), soon.to_string(), fresh.to_string()]
    );
    assert_eq!(all["items"][0]["clock"]["overdue"], true);
    assert!(all["items"][0]["clock"]["minutes_left"].as_i64().unwrap() < 0);
    let od = t
        .api("GET", "/api/v1/concerns?due=overdue", Some("sek"), None)
        .await
        .json();
    assert_eq!(
        (od["total"].as_i64(), od["items"][0]["id"].as_str()),
        (Some(1), Some(overdue.to_string().as_str()))
    );
    let ds = t
        .api("GET", "/api/v1/concerns?due=due_soon", Some("sek"), None)
        .await
        .json();
    assert_eq!(
        (ds["total"].as_i64(), ds["items"][0]["id"].as_str()),
        (Some(1), Some(soon.to_string().as_str()))
    );
    let st = t
        .api("GET", "/api/v1/concerns?status=decided", Some("sek"), None)
        .await
        .json();
    assert_eq!(st["total"], 0);
    let page2 = t
        .api(
            "GET",
            "/api/v1/concerns?per_page=2&page=2",
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            page2["total"].as_i64(),
            page2["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    for bad in [
        "due=later",
        "status=closed",
        "page=0",
        "per_page=1000",
        "page=abc",
    ] {
        let r = t
            .api("GET", &format!("/api/v1/concerns?{bad}"), Some("sek"), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_writes_nothing() {
    let t = common::setup().await;
    let post = |body: &'static str| t.api_raw("POST", "/api/v1/concerns", "sek", body);
    let r = post("{\"channel\": ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "malformed_json");
    let r = post(r#"{"channel": "hotline", "description": 5}"#).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "description");
    let r = post(r#"{"channel": "hotline", "colour": "red"}"#).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("colour"));
    let r = post(r#"{"channel": "pigeon", "received_at": "yesterday", "reporter": {"kind": "anonymous", "name": "X"}, "persons": [{"birth": "2009-02-30"}], "description": ""}"#).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    for f in [
        "channel",
        "received_at",
        "persons[0].birth",
        "description",
        "reporter.kind",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} missing in {fields:?}");
    }
    let long = format!(
        r#"{{"channel": "hotline", "reporter": {{"kind": "citizen"}}, "persons": [{{}}], "description": "{}"}}"#,
        "x".repeat(10_001)
    );
    let r = t.api_raw("POST", "/api/v1/concerns", "sek", long).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["code"], "too_long");
    let huge = format!(r#"{{"description": "{}"}}"#, "x".repeat(70_000));
    let r = t.api_raw("POST", "/api/v1/concerns", "sek", huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"]["code"], "payload_too_large");
    let req = axum::http::Request::post("/api/v1/concerns")
        .header("authorization", format!("Bearer {}", t.tokens["sek"]))
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("hello"))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(t.concern_count().await, 0, "nothing half-written");
    // The server is unharmed.
    t.concern(None).await;
    assert_eq!(t.concern_count().await, 1);
}

#[tokio::test]
async fn only_auditors_read_the_audit_log() {
    let t = common::setup().await;
    t.concern(None).await;
    let r = t
        .api("GET", "/api/v1/audit?limit=5", Some("auditor"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.json().as_array().unwrap().is_empty());
    assert_eq!(
        t.api("GET", "/api/v1/audit", Some("sek"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let denied = t
        .api("GET", "/api/v1/audit?outcome=denied", Some("auditor"), None)
        .await
        .json();
    assert_eq!(denied[0]["action"], "audit.read");
    assert_eq!(denied[0]["actor_id"], t.ids["sek"].to_string());
}

#[tokio::test]
async fn an_exact_name_and_birth_match_is_suggested_and_linked_only_on_request() {
    let t = common::setup().await;
    let first = t.concern(None).await;
    let second = t.concern(None).await;
    let a = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{first}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let b = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{second}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let (pa, pb) = (
        a["persons"][0]["id"].as_str().unwrap().to_string(),
        b["persons"][0]["id"].as_str().unwrap().to_string(),
    );
    assert_ne!(pa, pb, "never merged automatically");
    assert_eq!(b["persons"][0]["matches"][0]["person_id"], pa.as_str());
    assert_eq!(
        b["persons"][0]["matches"][0]["case_number"],
        a["case_number"]
    );
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{second}/link-person"),
            Some("sek"),
            Some(json!({"from": pb, "to": pa})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let b = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{second}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(b["persons"][0]["id"], pa.as_str());
    assert!(b["persons"][0]["matches"].as_array().unwrap().is_empty());
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{second}/link-person"),
            Some("sek"),
            Some(json!({"from": pb, "to": pa})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "the old record is gone from the concern"
    );
    // A person without a full birth date is never matched.
    let body = json!({"channel": "email", "reporter": {"kind": "citizen"}, "persons": [{"name": "Testperson Fiktiv", "birth": "2010"}], "description": "x"});
    let id = t
        .api("POST", "/api/v1/concerns", Some("sek"), Some(body))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    assert!(c["persons"][0]["matches"].as_array().unwrap().is_empty());
    assert_eq!(c["persons"][0]["minor"], "minor");
}

/// The auditor's per-person report: every row about the person's records,
/// newest first, paged, with the actor's agency; nothing about others; the
/// report is audited with the person as its record.
#[tokio::test]
async fn the_per_person_access_report_lists_every_access_to_their_records() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let other = t.concern(None).await;
    let detail = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let person = detail["persons"][0]["id"].as_str().unwrap().to_string();
    t.api(
        "GET",
        &format!("/api/v1/concerns/{other}"),
        Some("sek"),
        None,
    )
    .await;
    let path = format!("/api/v1/audit/persons/{person}");
    let r = t.api("GET", &path, Some("auditor"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json();
    assert_eq!(body["records"], 1);
    let entries = body["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["concern.read", "concern.create"], "{body}");
    assert!(
        entries
            .iter()
            .all(|e| e["record_id"] == id.to_string() && e["actor_id"] == t.ids["sek"].to_string())
    );
    assert!(entries[0]["seq"].as_i64() > entries[1]["seq"].as_i64());
    assert!(body["next_before_seq"].is_null());
    // Paged.
    let first = t
        .api("GET", &format!("{path}?limit=1"), Some("auditor"), None)
        .await
        .json();
    assert_eq!(first["entries"].as_array().unwrap().len(), 1);
    let before = first["next_before_seq"].as_i64().unwrap();
    let second = t
        .api(
            "GET",
            &format!("{path}?limit=1&before_seq={before}"),
            Some("auditor"),
            None,
        )
        .await
        .json();
    assert_eq!(second["entries"][0]["action"], "concern.create");
    // Auditors only; an unknown person is 404; a bad id 4xx with JSON.
    assert_eq!(
        t.api("GET", &path, Some("sek"), None).await.status,
        StatusCode::FORBIDDEN
    );
    let unknown = format!("/api/v1/audit/persons/{}", uuid::Uuid::now_v7());
    assert_eq!(
        t.api("GET", &unknown, Some("auditor"), None).await.status,
        StatusCode::NOT_FOUND
    );
    let bad = t
        .api("GET", "/api/v1/audit/persons/nope", Some("auditor"), None)
        .await;
    assert!(bad.status.is_client_error());
    assert!(bad.json()["error"]["code"].is_string());
    // The report itself is audited, with the person as its record.
    let person_id: uuid::Uuid = person.parse().unwrap();
    let rows = t.audit_of(person_id).await;
    assert!(rows.iter().any(|r| r.action == "audit.read"
        && r.outcome == "allowed"
        && r.record_type.as_deref() == Some("person")));
}

/// A list page's item ids, in order.
fn item_ids(v: &serde_json::Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// A list page as the secretariat reads it, which must answer 200.
async fn list_ok(t: &common::T, uri: &str) -> serde_json::Value {
    let r = t.api("GET", uri, Some("sek"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
    r.json()
}

/// `next_cursor` and `prev_cursor` walk the list both ways by keyset; bad or
/// conflicting cursors are 422 with the field named.
#[tokio::test]
async fn the_list_pages_by_cursor_forward_and_back() {
    let t = common::setup().await;
    for _ in 0..5 {
        t.concern(None).await;
    }
    let get = async |q: &str| list_ok(&t, &format!("/api/v1/concerns?per_page=2{q}")).await;
    let ids = item_ids;
    let p1 = get("").await;
    assert!(p1["prev_cursor"].is_null());
    let p2 = get(&format!("&cursor={}", p1["next_cursor"].as_str().unwrap())).await;
    let p3 = get(&format!("&cursor={}", p2["next_cursor"].as_str().unwrap())).await;
    assert_eq!(ids(&p3).len(), 1);
    let back2 = get(&format!("&before={}", p3["prev_cursor"].as_str().unwrap())).await;
    assert_eq!(ids(&back2), ids(&p2));
    let back1 = get(&format!(
        "&before={}",
        back2["prev_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(ids(&back1), ids(&p1));
    assert!(
        back1["prev_cursor"].is_null(),
        "nothing before the first page"
    );
    for (bad, field) in [
        ("before=zzz", "before"),
        ("cursor=d.1.K-1&before=d.2.K-2", "before"),
    ] {
        let r = t
            .api("GET", &format!("/api/v1/concerns?{bad}"), Some("sek"), None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.text.contains(field), "{}", r.text);
    }
}

/// In order of receipt the list walks by cursor too, both ways, through
/// concerns received in the same instant (the case number breaks the tie),
/// and each order refuses the other's cursors.
#[tokio::test]
async fn the_list_by_receipt_pages_by_cursor_across_a_tie() {
    let t = common::setup().await;
    let same = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(5)).to_string();
    let older = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(9)).to_string();
    t.concern(Some(&older)).await;
    for _ in 0..3 {
        t.concern(Some(&same)).await;
    }
    t.concern(None).await;
    let get =
        async |q: &str| list_ok(&t, &format!("/api/v1/concerns?sort=received&per_page=2{q}")).await;
    let ids = item_ids;
    let all = t
        .api(
            "GET",
            "/api/v1/concerns?sort=received&per_page=5",
            Some("sek"),
            None,
        )
        .await
        .json();
    let all = ids(&all);
    assert_eq!(all.len(), 5);
    let p1 = get("").await;
    assert!(p1["prev_cursor"].is_null());
    let p2 = get(&format!("&cursor={}", p1["next_cursor"].as_str().unwrap())).await;
    let p3 = get(&format!("&cursor={}", p2["next_cursor"].as_str().unwrap())).await;
    let walked: Vec<String> = [&p1, &p2, &p3].iter().flat_map(|p| ids(p)).collect();
    assert_eq!(
        walked, all,
        "each concern once, in the order of the whole list"
    );
    assert!(p3["next_cursor"].is_null(), "nothing after the last row");
    // Pages by number agree with the walk.
    assert_eq!(ids(&get("&page=2").await), ids(&p2));
    let back2 = get(&format!("&before={}", p3["prev_cursor"].as_str().unwrap())).await;
    assert_eq!(ids(&back2), ids(&p2));
    let back1 = get(&format!(
        "&before={}",
        back2["prev_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(ids(&back1), ids(&p1));
    assert!(
        back1["prev_cursor"].is_null(),
        "nothing before the first page"
    );
    // Each order's cursor is no place in the other.
    let by_deadline = t
        .api("GET", "/api/v1/concerns?per_page=2", Some("sek"), None)
        .await
        .json();
    let deadline_cursor = by_deadline["next_cursor"].as_str().unwrap().to_string();
    let receipt_cursor = p1["next_cursor"].as_str().unwrap().to_string();
    for bad in [
        format!("sort=received&cursor={deadline_cursor}"),
        format!("cursor={receipt_cursor}"),
        format!("before={receipt_cursor}"),
    ] {
        let r = t
            .api("GET", &format!("/api/v1/concerns?{bad}"), Some("sek"), None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.json()["error"]["fields"][0]["code"], "invalid", "{bad}");
    }
}

/// A page by number starts within the first 10 000 rows, in every list;
/// deeper, the answer says how to go on, and a cursor walks on at any depth.
#[tokio::test]
async fn a_page_number_past_the_first_rows_is_refused_with_the_way_on() {
    let t = common::setup().await;
    t.concern(None).await;
    for (path, ok, too_deep) in [
        ("/api/v1/concerns", "page=400", "page=401"),
        (
            "/api/v1/concerns?sort=received",
            "page=100&per_page=100",
            "page=101&per_page=100",
        ),
        ("/api/v1/courses", "page=400", "page=401"),
        (
            "/api/v1/meetings",
            "page=10000&per_page=1",
            "page=10001&per_page=1",
        ),
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = t
            .api("GET", &format!("{path}{sep}{ok}"), Some("sek"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path} {ok}: {}", r.text);
        assert_eq!(
            r.json()["items"].as_array().unwrap().len(),
            0,
            "{path} {ok}"
        );
        let r = t
            .api("GET", &format!("{path}{sep}{too_deep}"), Some("sek"), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {too_deep}"
        );
        let field = &r.json()["error"]["fields"][0];
        assert_eq!(field["field"], "page", "{path}");
        assert_eq!(field["code"], "too_deep", "{path}");
        assert!(
            field["message"].as_str().unwrap().contains("next_cursor"),
            "{}",
            r.text
        );
    }
    // With a cursor the number is only a count: page 4 000 walks on.
    t.concern(None).await;
    for order in ["", "&sort=received"] {
        let p1 = t
            .api(
                "GET",
                &format!("/api/v1/concerns?per_page=1{order}"),
                Some("sek"),
                None,
            )
            .await
            .json();
        let cursor = p1["next_cursor"].as_str().unwrap().to_string();
        let r = t
            .api(
                "GET",
                &format!("/api/v1/concerns?per_page=1{order}&page=4000&cursor={cursor}"),
                Some("sek"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{order}: {}", r.text);
        assert_eq!(r.json()["page"], 4000);
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 1, "{order}");
    }
}

#[tokio::test]
async fn an_intake_naming_the_same_person_twice_is_refused_by_field_and_writes_nothing() {
    let t = common::setup().await;
    let first = t.concern(None).await;
    let person = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{first}"),
            Some("sek"),
            None,
        )
        .await
        .json()["persons"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = t.concern_count().await;
    let r = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("sek"),
            Some(json!({
                "channel": "hotline",
                "reporter": {"kind": "professional", "organisation": "Skole (test)"},
                "persons": [{"person_id": person}, {"person_id": person}],
                "description": "Fiktiv bekymring til test.",
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let field = &r.json()["error"]["fields"][0];
    assert_eq!(field["field"], "persons[1].person_id");
    assert_eq!(field["code"], "duplicate_person");
    assert_eq!(t.concern_count().await, before, "nothing written");
}
