//! The OpenAPI document: a snapshot of the whole of it (a change to the API
//! shows up in review as a change to `openapi.json`), every operation with a
//! description for each status, the common failures documented everywhere,
//! and every documented path actually routed. CI also runs an OpenAPI 3.1
//! validator on the snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use serde_json::Value;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[tokio::test]
async fn the_document_matches_its_snapshot() {
    let t = common::setup().await;
    let r = t.api("GET", "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let served: Value = r.json();
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("VINK_UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(SNAPSHOT, &pretty).unwrap();
    }
    let stored = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    assert!(
        stored == pretty,
        "the OpenAPI document changed; review it and run with VINK_UPDATE_SNAPSHOTS=1 to accept"
    );
}

#[tokio::test]
async fn every_operation_documents_every_status_and_is_routed() {
    let t = common::setup().await;
    let doc = vink_web::openapi();
    let doc: Value = serde_json::to_value(doc).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{}", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for s in ["401", "403", "500", "503"] {
                assert!(responses.contains_key(s), "{method} {path} lacks {s}");
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{method} {path} lacks {s}");
                }
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
            for (status, r) in responses {
                let d = r["description"].as_str().unwrap_or_default();
                assert!(
                    !d.trim().is_empty(),
                    "{method} {path} {status} has no description"
                );
            }
            // Routed: without a token, every documented route answers 401,
            // never the API's 404 for unknown routes.
            let uri = path
                .replace("{id}", "00000000-0000-7000-8000-000000000000")
                .replace("{concern_id}", "00000000-0000-7000-8000-000000000000")
                .replace("{goal_id}", "00000000-0000-7000-8000-000000000000");
            let body = (method != "get").then(|| serde_json::json!({}));
            let r = t.api(&method.to_uppercase(), &uri, None, body).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                r.text
            );
        }
    }
    // Always-present response fields are required; input fields keep their
    // per-field validation (422) and are optional in the schema.
    let page = &doc["components"]["schemas"]["ConcernPage"];
    let required: Vec<&str> = page["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for f in ["items", "total", "page", "per_page"] {
        assert!(required.contains(&f), "{f}");
    }
    // An unknown API route is a JSON 404.
    let r = t
        .api("GET", "/api/v1/nothing-here", Some("sek"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
}
