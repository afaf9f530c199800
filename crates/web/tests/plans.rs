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
    // Concerns received and not decided yet wait apart for the 48-hour
    // share: pending, not a failure.
    t.concern(Some("2026-06-29T10:00:00Z")).await;
    t.concern(Some("2026-06-30T08:00:00Z")).await;
    let p = plan(&t, &id, "sek").await;
    let triage = target(&p, "Alle sager visiteres inden for 48 timer");
    assert_eq!(triage["share"]["pending"], 2);
    assert_eq!(triage["status"], "not_yet_measurable");
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
    // A content error: the field by its path, and its line in the file.
    let r = import(
        &t,
        "title = \"x\"\nfrom_year = 2030\nto_year = 2030\n\n[[focus_areas]]\ntitle = \"a\"\nlevel = \"sideways\"\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = &r.json()["error"]["fields"][0];
    assert_eq!(e["field"], "focus_areas[0].level");
    assert!(e["message"].as_str().unwrap().starts_with("line 7:"), "{e}");
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

/// The budget tables' totals in øre: (Tabel 2, Tabel 3, other, all).
async fn budget(t: &T, id: &str) -> Value {
    let r = t
        .api(
            "GET",
            &format!("/api/v1/plans/{id}/budget"),
            Some("analyst"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn the_seed_plans_budgets_sum_to_the_seeds_totals() {
    let t = common::setup_at(midsummer()).await;
    let mut ids = Vec::new();
    for (_, text) in vink_app::plan_import::EXAMPLES {
        let r = import(&t, text).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let mio = 100_000_000i64;
    // 2014: 0,75 mio. kr. (500.000 + 250.000); the BIU years before are history.
    let b = budget(&t, &ids[0]).await;
    assert_eq!(b["budget"], 750_000 * 100);
    assert_eq!(b["municipal_budget"]["budget"], 500_000 * 100);
    assert_eq!(b["other"]["budget"], 250_000 * 100);
    // The mentors' money is said to be for focus area 2 (1-1 støtte).
    assert_eq!(b["by_focus_area"].as_array().unwrap().len(), 1);
    assert_eq!(
        b["by_focus_area"][0]["title"],
        "1-1-støtte – tættere på borgeren"
    );
    assert_eq!(b["by_focus_area"][0]["budget"], 250_000 * 100);
    // 2018-19, Tabel 2: 6 + 3 = 9 mio. kr.; Tabel 3: 0,4 mio. kr.
    let b = budget(&t, &ids[1]).await;
    let t2 = &b["municipal_budget"];
    assert_eq!(t2["budget"], 9 * mio);
    assert_eq!(t2["years"][0]["budget"], 6 * mio);
    assert_eq!(t2["years"][1]["budget"], 3 * mio);
    assert_eq!(t2["sources"].as_array().unwrap().len(), 3);
    assert_eq!(b["state_pool"]["budget"], 4 * mio / 10);
    assert_eq!(
        b["state_pool"]["sources"][0]["grants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The funding history reaches back to 2010 (2,0 mio. kr. from BIU).
    let r = t
        .api("GET", "/api/v1/funding/history", Some("analyst"), None)
        .await;
    let h = r.json();
    assert_eq!(h[0]["year"], 2010);
    assert_eq!(h[0]["budget"], 2 * mio);
    // The coordination unit reads plans, not budgets.
    let r = t
        .api(
            "GET",
            &format!("/api/v1/plans/{}/budget", ids[1]),
            Some("ssp"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn grants_lines_and_spending_with_the_finance_export() {
    let t = common::setup_at(midsummer()).await;
    let r = t
        .api(
            "POST",
            "/api/v1/funding/sources",
            Some("sek"),
            Some(json!({"name": "Satspuljen", "kind": "state_pool"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let source = r.json()["id"].as_str().unwrap().to_string();
    // 100.000,01 kr. over 2025–2027: 33.333 kr. a year, the rest on the first.
    let r = t
        .api(
            "POST",
            "/api/v1/funding/grants",
            Some("sek"),
            Some(json!({"source": source, "title": "National hotline (fiktiv)", "total": "100.000,01",
                        "usable_from": 2025, "usable_to": 2027, "report_deadlines": ["2026-09-01"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let grants = t
        .api("GET", "/api/v1/funding/grants", Some("sek"), None)
        .await
        .json();
    let g = &grants[0];
    let amounts: Vec<i64> = g["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["budget"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [3_333_401, 3_333_300, 3_333_300]);
    assert_eq!(g["unallocated"], 0);
    let line_2026 = g["lines"][1]["id"].as_str().unwrap().to_string();
    // The 2026 line gets the finance system's account.
    let r = t
        .api(
            "PUT",
            &format!("/api/v1/funding/lines/{line_2026}"),
            Some("sek"),
            Some(json!({"year": 2026, "amount": 3_333_300, "account": "4711"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // A line outside the usage period, an amount with three decimals.
    let gid = g["id"].as_str().unwrap();
    let r = t
        .api(
            "POST",
            &format!("/api/v1/funding/grants/{gid}/lines"),
            Some("sek"),
            Some(json!({"year": 2028, "amount": "1.000,005"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["year", "amount"]);
    // The finance export: one bad row keeps every row out.
    let csv = "Dato;Beløb;Konto;Bilag\n02.03.2026;20.000,00;4711;B-1\n03.03.2026;1.500,5x;4711;B-2\n04.03.2026;100;9999;B-3\n";
    let r = t
        .api_raw("POST", "/api/v1/funding/spending/import", "sek", csv)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["rows[3].amount", "rows[4].account"]);
    let grants = t
        .api("GET", "/api/v1/funding/grants", Some("sek"), None)
        .await
        .json();
    assert_eq!(grants[0]["lines"][1]["spent"], 0, "nothing booked");
    // Beyond the line: booked, and flagged.
    let csv = "Dato;Beløb;Konto;Bilag\n02.03.2026;20.000,00;4711;B-1\n03.03.2026;15.000;4711;B-2\n";
    let r = t
        .api_raw("POST", "/api/v1/funding/spending/import", "sek", csv)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let grants = t
        .api("GET", "/api/v1/funding/grants", Some("analyst"), None)
        .await
        .json();
    let l = &grants[0]["lines"][1];
    assert_eq!(l["spent"], 3_500_000);
    assert_eq!(l["over_budget"], true);
    assert_eq!(l["remaining"], 3_333_300 - 3_500_000);
    assert_eq!(grants[0]["remaining"], 10_000_001 - 3_500_000);
    // Analysts read money; they do not book it.
    let r = t
        .api(
            "POST",
            &format!("/api/v1/funding/lines/{line_2026}/spending"),
            Some("analyst"),
            Some(json!({"spent_on": "2026-03-05", "amount": 100})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn closing_freezes_the_figures_and_later_corrections_show_apart() {
    let t = common::setup_at(midsummer()).await;
    let mut draft = plan_2026();
    draft["status"] = json!("draft");
    let id = create(&t, draft).await;
    dialogue(&t, "2026-02-10").await;
    let status = |s: &str, v: i64| json!({"status": s, "version": v});
    let url = format!("/api/v1/plans/{id}/status");
    // A draft cannot be closed; it is adopted first.
    let r = t
        .api("POST", &url, Some("sek"), Some(status("closed", 1)))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .api("POST", &url, Some("sek"), Some(status("adopted", 1)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Racing closes decided on the same version: exactly one wins.
    let statuses = t
        .race(5, |_| t.api_req("POST", &url, "sek", status("closed", 2)))
        .await;
    common::one_winner(&statuses, StatusCode::NO_CONTENT, StatusCode::CONFLICT);
    let p = plan(&t, &id, "sek").await;
    assert_eq!(p["status"], "closed");
    assert_eq!(p["closed"]["intact"], true);
    let d = target(&p, "3 dialogaktiviteter");
    assert_eq!(d["actual"], 1);
    assert!(d["since_closing"].is_null());
    // A dialogue registered late: the closed plan keeps 1, and shows 2 apart.
    dialogue(&t, "2026-03-01").await;
    let p = plan(&t, &id, "analyst").await;
    let d = target(&p, "3 dialogaktiviteter");
    assert_eq!(d["actual"], 1);
    assert_eq!(d["since_closing"]["actual"], 2);
    // Nothing reopens a closed plan.
    let r = t
        .api("POST", &url, Some("sek"), Some(status("adopted", 3)))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .api("POST", &url, Some("analyst"), Some(status("closed", 3)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_plan_document_exports_as_csv_xlsx_and_pdf_that_read_back() {
    let t = common::setup_at(midsummer()).await;
    let r = import(&t, vink_app::plan_import::EXAMPLES[1].1).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let uri = |f: &str| format!("/api/v1/plans/{id}?format={f}");
    let csv = t.api("GET", &uri("csv"), Some("sek"), None).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(
        csv.header("content-disposition")
            .contains("handleplan-2018-2019.csv")
    );
    assert!(csv.text.starts_with('\u{feff}'));
    assert!(
        csv.text
            .lines()
            .any(|l| l.contains("10 målrettede dialogaktiviteter")
                && l.contains(";2018;mindst 10;0;")),
        "{}",
        csv.text
    );
    // Tabel 2's total row: 6 + 3 = 9 mio. kr.
    assert!(
        csv.text
            .lines()
            .any(|l| l.ends_with("I alt;6 mio. kr.;3 mio. kr.;9 mio. kr.")),
        "{}",
        csv.text
    );
    let x = t.api("GET", &uri("xlsx"), Some("sek"), None).await;
    assert_eq!(x.status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
    let names = book.sheet_names();
    let sheet = book.worksheet_range(&names[0]).unwrap();
    assert!(sheet.rows().any(|r| {
        r.iter()
            .any(|c| c == &calamine::Data::String("Budget 2016".into()))
    }));
    let p = t.api("GET", &uri("pdf"), Some("sek"), None).await;
    assert_eq!(p.header("content-type"), "application/pdf");
    let doc = lopdf::Document::load_mem(&p.bytes).unwrap();
    let text = doc.extract_text(&[1]).unwrap();
    assert!(text.contains("VINK's handleplan 2018-19"), "{text}");
    // The coordination unit's copy has the plan but no money.
    let csv = t.api("GET", &uri("csv"), Some("ssp"), None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(!csv.text.contains("mio. kr."), "{}", csv.text);
    let bad = t.api("GET", &uri("docx"), Some("sek"), None).await;
    assert_eq!(bad.json()["error"]["fields"][0]["field"], "format");
}

#[tokio::test]
async fn both_seed_plans_round_trip_through_the_plan_file() {
    let t = common::setup_at(midsummer()).await;
    for (name, text) in vink_app::plan_import::EXAMPLES {
        let r = import(&t, text).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = t
            .api(
                "GET",
                &format!("/api/v1/plans/{id}?format=toml"),
                Some("sek"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let again = vink_app::plan_import::parse("again.toml", &r.bytes).unwrap();
        let seed = vink_app::plan_import::parse(name, text.as_bytes()).unwrap();
        assert_eq!(
            vink_domain::plan::check(&again).unwrap(),
            vink_domain::plan::check(&seed).unwrap(),
            "{name}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn the_funding_page_books_spending_and_names_a_bad_amount_at_its_field() {
    let t = common::setup_at(midsummer()).await;
    let r = import(&t, vink_app::plan_import::EXAMPLES[1].1).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    let page = t.page("/funding", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Budget 2016"), "{}", page.text);
    let csrf = T::csrf_of(&page);
    let grants = t
        .api("GET", "/api/v1/funding/grants", Some("sek"), None)
        .await
        .json();
    let line = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["title"] == "National hotline")
        .unwrap()["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = t
        .post_form(
            "/funding/spending",
            &cookie,
            &[
                ("csrf", &csrf),
                ("line", &line),
                ("spent_on", "01.03.2018"),
                ("amount", "1.000,005"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("Højst to decimaler"), "{}", bad.text);
    assert!(
        bad.text.contains("value=\"1.000,005\""),
        "the input is kept"
    );
    let ok = t
        .post_form(
            "/funding/spending",
            &cookie,
            &[
                ("csrf", &csrf),
                ("line", &line),
                ("spent_on", "01.03.2018"),
                ("amount", "120.000"),
                ("voucher", "B-9"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let page = t.page("/funding", &cookie).await;
    assert!(
        page.text.contains("data-over-budget"),
        "120.000 on a 100.000 line is flagged"
    );
    // The line is corrected from the page: a year outside the grant's
    // usage period is named; within it, the new amount holds.
    let edit = format!("/funding/lines/{line}");
    let bad = t
        .post_form(
            &edit,
            &cookie,
            &[("csrf", &csrf), ("year", "2019"), ("amount", "150.000")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("anvendelsesperiode"), "{}", bad.text);
    let ok = t
        .post_form(
            &edit,
            &cookie,
            &[
                ("csrf", &csrf),
                ("year", "2018"),
                ("amount", "150.000"),
                ("account", "4711"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let grants = t
        .api("GET", "/api/v1/funding/grants", Some("sek"), None)
        .await
        .json();
    let l = &grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["title"] == "National hotline")
        .unwrap()["lines"][0];
    assert_eq!(
        (l["budget"].as_i64(), l["over_budget"].as_bool()),
        (Some(15_000_000), Some(false))
    );
    // The plan page carries the key figures of the plan period.
    let plans = t
        .api("GET", "/api/v1/plans", Some("sek"), None)
        .await
        .json();
    let pid = plans[0]["id"].as_str().unwrap();
    let page = t.page(&format!("/plans/{pid}"), &cookie).await;
    assert!(
        page.text
            .contains("Nøgletal for planperioden 01.01.2018 – 31.12.2019")
    );
    assert!(page.text.contains("data-plan-figures"));
    // An analyst reads the page without the forms.
    let (_, analyst) = t.login("analyst", common::PASSWORD).await;
    let page = t.page("/funding", &analyst).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("action=\"/funding/spending\""));
    let (_, unit) = t.login("ssp", common::PASSWORD).await;
    assert_eq!(
        t.page("/funding", &unit).await.status,
        StatusCode::FORBIDDEN
    );
}
