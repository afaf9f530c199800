//! The search box in-process, on the suite's database: what a query finds,
//! that it never finds outside the reader's scope, and how it is audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, T};
use serde_json::{Value, json};

async fn concern_with(t: &T, persons: Value) -> (String, String, Vec<String>) {
    let r = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("sek"),
            Some(json!({
                "channel": "hotline",
                "reporter": {"kind": "professional", "organisation": "Skole (test)"},
                "persons": persons,
                "description": "Fiktiv bekymring til søgetest.",
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let persons = c["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    (id, c["case_number"].as_str().unwrap().to_string(), persons)
}

async fn search(t: &T, user: &str, q: &str) -> (StatusCode, Value) {
    let uri = format!(
        "/api/v1/search?{}",
        serde_urlencoded::to_string([("q", q)]).unwrap()
    );
    let r = t.api("GET", &uri, Some(user), None).await;
    (r.status, r.json())
}

fn found(v: &Value) -> Vec<(String, String)> {
    v["hits"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| {
                    (
                        h["kind"].as_str().unwrap().to_string(),
                        h["id"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A course for `person`, assigned to the corps member `corps` (when given).
async fn course_for(t: &T, person: &str, corps: Option<&str>) -> String {
    let r = t
        .api("POST", "/api/v1/courses", Some("sek"), Some(json!({
            "person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp",
            "direct_reason": "Henvist direkte af SSP (fiktivt)"
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    if let Some(m) = corps {
        let r = t
            .api(
                "PUT",
                &format!("/api/v1/courses/{id}/assignment"),
                Some("sek"),
                Some(json!({"corps_member_id": m})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    id
}

#[tokio::test]
async fn search_finds_by_case_number_name_and_birth_date_in_danish_forms() {
    let t = common::setup().await;
    let (a, case_a, _) = concern_with(
        &t,
        json!([{"name": "Søren Østergård", "birth": "2009-04-05", "district": "Valby"}]),
    )
    .await;
    let (b, _, _) = concern_with(
        &t,
        json!([
            {"name": "Ida Holm", "birth": "2007"},
            {"name": "Anne-Marie Holm Aagaard", "birth": "2008-01-02"}
        ]),
    )
    .await;
    let cases: &[(&str, &[&str])] = &[
        ("sør", &[&a]),
        ("SØREN", &[&a]),
        ("østergaard", &[&a]),
        ("Øster Sør", &[&a]),
        ("05.04.2009", &[&a]),
        ("5/4-2009", &[&a]),
        ("2009-04-05", &[&a]),
        (&case_a, &[&a]),
        (&case_a.to_lowercase(), &[&a]),
        ("marie", &[&b]),
        ("Ågård", &[&b]),
        ("aag", &[&b]),
        ("Ha", &[]),
        ("søren holm", &[]),
        ("02.01.2008", &[&b]),
        // Found by both its persons, listed once.
        ("holm", &[&b]),
    ];
    for (q, want) in cases {
        let (status, v) = search(&t, "sek", q).await;
        assert_eq!(status, StatusCode::OK, "{q}: {v}");
        let got: Vec<String> = found(&v).into_iter().map(|(_, id)| id).collect();
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "{q}");
    }
    let (_, v) = search(&t, "sek", "a").await;
    assert_eq!(v["error"]["fields"][0]["field"], "q", "{v}");
    let (status, v) = search(&t, "sek", "31.02.2009").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "q");
}

#[tokio::test]
async fn search_never_leaves_the_readers_scope_and_is_audited_without_its_terms() {
    let t = common::setup().await;
    let (seen, _, seen_persons) = concern_with(
        &t,
        json!([{"name": "Søren Østergård", "birth": "2009-04-05"}]),
    )
    .await;
    let (hidden, hidden_case, hidden_persons) =
        concern_with(&t, json!([{"name": "Søren Hansen", "birth": "2009-04-05"}])).await;
    let m = t.meeting(1, &["vink", "ssp"]).await;
    t.put_on_agenda(&m, &seen).await;

    // The secretariat finds both; the coordination unit member of ssp only
    // the concern on its agenda; psp neither, by any kind of query.
    let (_, v) = search(&t, "sek", "søren").await;
    assert_eq!(found(&v).len(), 2, "{v}");
    for q in ["søren", "05.04.2009", hidden_case.as_str()] {
        let (status, v) = search(&t, "ssp", q).await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<String> = found(&v).into_iter().map(|(_, id)| id).collect();
        assert!(!ids.contains(&hidden), "{q}: {v}");
        let (_, v) = search(&t, "psp", q).await;
        assert!(found(&v).is_empty(), "{q}: {v}");
    }
    let (_, v) = search(&t, "ssp", "søren").await;
    assert_eq!(found(&v), vec![("concern".to_string(), seen.clone())]);

    // A mentor finds only the courses assigned to them, never a concern.
    let member = t.api("POST", "/api/v1/corps", Some("sek"), Some(json!({
        "name": "Mads (fiktiv)", "kind": "mentor", "username": "mentor", "languages": ["dansk"],
        "specialties": ["mentor"], "districts": ["Valby"], "max_caseload": 4
    }))).await;
    assert_eq!(member.status, StatusCode::CREATED, "{}", member.text);
    let member = member.json()["id"].as_str().unwrap().to_string();
    let own = course_for(&t, &seen_persons[0], Some(&member)).await;
    let other = course_for(&t, &hidden_persons[0], None).await;
    let (_, v) = search(&t, "mentor", "søren").await;
    assert_eq!(found(&v), vec![("course".to_string(), own.clone())], "{v}");
    let (_, v) = search(&t, "sek", "søren").await;
    let all = found(&v);
    assert!(all.contains(&("course".to_string(), other)), "{v}");
    // ssp's agency runs both courses: it finds both, and still one concern.
    let (_, v) = search(&t, "ssp", "søren").await;
    assert_eq!(found(&v).len(), 3, "{v}");

    // Roles that read no cases may not search; the refusal is audited.
    for user in ["analyst", "auditor", "admin"] {
        let (status, _) = search(&t, user, "søren").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    let rows = t.audit_all().await;
    let runs: Vec<_> = rows.iter().filter(|r| r.action == "search.run").collect();
    let allowed = runs.iter().filter(|r| r.outcome == "allowed").count();
    let denied = runs.iter().filter(|r| r.outcome == "denied").count();
    // sek ×2, ssp ×5, psp ×3, mentor ×1 allowed; three refused.
    assert_eq!((allowed, denied), (11, 3));
    for r in &runs {
        assert!(r.record_id.is_none());
        // The free-text columns: nothing of the query is in them (ids and
        // hashes are hex, so they are not searched for digits).
        let text = [
            r.action.as_str(),
            r.reason.as_deref().unwrap_or(""),
            r.client.as_deref().unwrap_or(""),
            r.record_type.as_deref().unwrap_or(""),
        ]
        .join(" ")
        .to_lowercase();
        assert!(!text.contains("søren") && !text.contains("05.04"), "{text}");
    }
}

#[tokio::test]
async fn the_search_page_links_hits_and_explains_a_bad_query() {
    let t = common::setup().await;
    let (a, case_a, _) = concern_with(
        &t,
        json!([{"name": "Søren Østergård", "birth": "2009-04-05"}]),
    )
    .await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let dash = t.page("/dashboard", &cookie).await;
    assert!(
        dash.text.contains("action=\"/search\""),
        "header search box"
    );
    let page = t.page("/search?q=S%C3%B8ren", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("href=\"/concerns/{a}\"")));
    assert!(page.text.contains(&case_a));
    assert!(page.text.contains("05.04.2009"), "Danish date");
    let bad = t.page("/search?q=x", &cookie).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("<title>Fejl:"), "{}", bad.text);
    assert!(bad.text.contains("href=\"#f-q\""));
    assert!(bad.text.contains("aria-invalid=\"true\""));
    // The mentor has the box; the analyst does not.
    let (_, cookie) = t.login("analyst", PASSWORD).await;
    let dash = t.page("/outcomes", &cookie).await;
    assert!(!dash.text.contains("action=\"/search\""));
}
