//! Action plans through the API: targets follow the facts as activities are
//! registered (nobody types an actual), bad plans are refused by field with
//! nothing written, who may read and write, the seed plans import, and two
//! racing plans for the same year cannot both be written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::T;
use serde_json::{Value, json};

/// 30 June 2026, noon in Copenhagen: day 181 of 365.
fn midsummer() -> jiff::Timestamp {
    "2026-06-30T10:00:00Z".parse().unwrap()
}

fn plan_2026() -> Value {
    json!({
        "title": "Handleplan 2026 (fiktiv)",
        "from_year": 2026, "to_year": 2026, "status": "adopted",
        "purposes": ["Et formål."],
        "focus_areas": [{
            "title": "Forebyggende indsats", "level": "preventive",
            "effect": "Fremme af medborgerskab",
            "interventions": [{"title": "Lokal dialog", "targets": [
                {"text": "3 dialogaktiviteter", "kind": "count", "metric": "activities.dialogue", "at_least": 3}
            ]}],
            "targets": [
                {"text": "Alle sager visiteres inden for 48 timer", "kind": "share",
                 "metric": "concerns_triaged_on_time", "denominator": "concerns_needing_local_action", "percent": 100},
                {"text": "70 pct. ikke længere radikaliseringstruet", "kind": "share",
                 "metric": "no_longer_at_risk", "percent": 70},
                {"text": "SSP bruger VINKs tilbud", "kind": "qualitative"}
            ]
        }]
    })
}

async fn create(t: &T, body: Value) -> String {
    let r = t
        .api("POST", "/api/v1/plans", Some("sek"), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn plan(t: &T, id: &str, user: &str) -> Value {
    let r = t
        .api("GET", &format!("/api/v1/plans/{id}"), Some(user), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn target<'a>(p: &'a Value, text: &str) -> &'a Value {
    p["focus_areas"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            let own = a["targets"].as_array().unwrap().iter();
            let ivs = a["interventions"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|i| i["targets"].as_array().unwrap().iter());
            own.chain(ivs)
        })
        .find(|t| t["text"] == text)
        .unwrap_or_else(|| panic!("no target {text}"))
}

async fn dialogue(t: &T, day: &str) {
    let r = t
        .api(
            "POST",
            "/api/v1/activities",
            Some("sek"),
            Some(json!({
                "kind": "dialogue", "held_on": day, "status": "held",
                "title": "Dialogmøde (fiktiv)", "focus_area": "civil_society",
                "participants": [{"target_group": "citizens", "count": 20}]
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn a_count_target_follows_the_activities_registered() {
    let t = common::setup_at(midsummer()).await;
    let id = create(&t, plan_2026()).await;
    let p = plan(&t, &id, "analyst").await;
    let d = target(&p, "3 dialogaktiviteter");
    assert_eq!(d["actual"], 0);
    assert_eq!(d["status"], "at_risk");
    assert_eq!(d["forecast"]["method"], "run_rate");
    assert_eq!(d["forecast"]["days_gone"], 181);
    dialogue(&t, "2026-02-10").await;
    dialogue(&t, "2026-05-04").await;
    // A dialogue of last year and a planned one count for nothing here.
    dialogue(&t, "2025-11-10").await;
    let p = plan(&t, &id, "analyst").await;
    let d = target(&p, "3 dialogaktiviteter");
    assert_eq!(d["actual"], 2);
    // No earlier year had a dialogue by 30 June, but 2025 had one after
    // it: the seasonal profile adds 2025's 1 to the 2 so far.
    assert_eq!(d["forecast"]["method"], "seasonal");
    assert_eq!(d["forecast"]["value"], 3);
    assert_eq!(d["status"], "on_track");
    dialogue(&t, "2026-06-30").await;
    let p = plan(&t, &id, "analyst").await;
    let d = target(&p, "3 dialogaktiviteter");
    assert_eq!(
        (d["actual"].as_i64(), d["status"].as_str()),
        (Some(3), Some("met"))
    );
    // Nothing completed, nothing triaged: the shares cannot be measured
    // yet, and the qualitative target waits for a person's assessment.
    for text in [
        "70 pct. ikke længere radikaliseringstruet",
        "Alle sager visiteres inden for 48 timer",
        "SSP bruger VINKs tilbud",
    ] {
        assert_eq!(target(&p, text)["status"], "not_yet_measurable", "{text}");
    }
    // Every read of the plan is audited with the plan as its record.
    let rows = t.audit_of(id.parse().unwrap()).await;
    assert!(rows.iter().filter(|r| r.action == "plan.read").count() >= 3);
    assert_eq!(rows[0].action, "plan.manage");
}

#[tokio::test]
async fn bad_plans_are_refused_by_field_and_nothing_is_written() {
    let t = common::setup_at(midsummer()).await;
    let mut bad = plan_2026();
    bad["focus_areas"][0]["targets"][0]
        .as_object_mut()
        .unwrap()
        .remove("denominator");
    bad["focus_areas"][0]["interventions"][0]["targets"][0]["metric"] = json!("activities.bowling");
    let r = t.api("POST", "/api/v1/plans", Some("sek"), Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fields,
        [
            "focus_areas[0].targets[0].denominator",
            "focus_areas[0].interventions[0].targets[0].metric"
        ]
    );
    create(&t, plan_2026()).await;
    // Overlapping years: refused, naming the years.
    let mut next = plan_2026();
    next["to_year"] = json!(2027);
    let r = t
        .api("POST", "/api/v1/plans", Some("sek"), Some(next))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "from_year");
    assert_eq!(r.json()["error"]["fields"][0]["code"], "overlaps");
    let r = t.api("GET", "/api/v1/plans", Some("sek"), None).await;
    assert_eq!(
        r.json().as_array().unwrap().len(),
        1,
        "nothing else written"
    );
}

#[tokio::test]
async fn who_may_read_and_write_plans() {
    let t = common::setup_at(midsummer()).await;
    let id = create(&t, plan_2026()).await;
    for user in ["analyst", "ssp"] {
        plan(&t, &id, user).await;
        let r = t
            .api("POST", "/api/v1/plans", Some(user), Some(plan_2026()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
    }
    let r = t
        .api("GET", &format!("/api/v1/plans/{id}"), Some("mentor"), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.api("GET", "/api/v1/plans", Some("mentor"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn import(t: &T, body: &str) -> common::Resp {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/plans/import")
        .header("authorization", format!("Bearer {}", t.tokens["sek"]))
        .header("content-type", "application/toml")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    t.send(req).await
}

#[tokio::test]
async fn the_seed_plans_import_with_every_target() {
    let t = common::setup_at(midsummer()).await;
    let mut ids = Vec::new();
    for (name, text) in vink_app::plan_import::EXAMPLES {
        let r = import(&t, text).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let count = |p: &Value| {
        p["focus_areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                a["targets"].as_array().unwrap().len()
                    + a["interventions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["targets"].as_array().unwrap().len())
                        .sum::<usize>()
            })
            .sum::<usize>()
    };
    let p2014 = plan(&t, &ids[0], "sek").await;
    assert_eq!(
        (p2014["from_year"].as_i64(), count(&p2014)),
        (Some(2014), 8)
    );
    let p2018 = plan(&t, &ids[1], "sek").await;
    // Tabel 1: 3 + 4 + 2 targets, each for 2018 and 2019.
    assert_eq!(p2018["focus_areas"].as_array().unwrap().len(), 3);
    assert_eq!(count(&p2018), 18);
    // Years long gone with nothing recorded: counts not met.
    assert_eq!(
        target(
            &p2018,
            "10 målrettede dialogaktiviteter med borgere og lokale aktører"
        )["status"],
        "not_met"
    );
    // A broken file: the line is named, nothing written.
    let r = import(&t, "title = \"x\"\nfrom_year = 20 18\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = r.json()["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.starts_with("line 2"), "{msg}");
    let r = t.api("GET", "/api/v1/plans", Some("sek"), None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn of_racing_plans_for_the_same_year_exactly_one_is_written() {
    let t = common::setup_at(midsummer()).await;
    let statuses = t
        .race(6, |_| {
            t.api_req("POST", "/api/v1/plans", "sek", plan_2026())
        })
        .await;
    common::one_winner(
        &statuses,
        StatusCode::CREATED,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let r = t.api("GET", "/api/v1/plans", Some("sek"), None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_qualitative_target_takes_its_status_from_the_latest_assessment() {
    let t = common::setup_at(midsummer()).await;
    let id = create(&t, plan_2026()).await;
    let p = plan(&t, &id, "sek").await;
    let q = target(&p, "SSP bruger VINKs tilbud")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let count = target(&p, "3 dialogaktiviteter")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = |tid: &str| format!("/api/v1/plans/{id}/targets/{tid}/assessments");
    let body = |status: &str| json!({"status": status, "note": "Tre SSP-distrikter har brugt oplæg", "evidence": "Referat fra SSP-styregruppen"});
    for (status, expected) in [("at_risk", "at_risk"), ("met", "met")] {
        let r = t
            .api("POST", &url(&q), Some("sek"), Some(body(status)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let p = plan(&t, &id, "analyst").await;
        let v = target(&p, "SSP bruger VINKs tilbud");
        assert_eq!(v["status"], expected);
        assert_eq!(v["assessment"]["evidence"], "Referat fra SSP-styregruppen");
    }
    // A counted target's status is counted, never typed.
    let r = t
        .api("POST", &url(&count), Some("sek"), Some(body("met")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "target");
    let r = t
        .api(
            "POST",
            &url(&q),
            Some("sek"),
            Some(json!({"status": "met"})),
        )
        .await;
    assert_eq!(r.json()["error"]["fields"][0]["field"], "note");
    let r = t
        .api("POST", &url(&q), Some("analyst"), Some(body("met")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let other = uuid::Uuid::now_v7();
    let r = t
        .api(
            "POST",
            &url(&other.to_string()),
            Some("sek"),
            Some(body("met")),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
