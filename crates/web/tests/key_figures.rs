//! Key figures through the API and the page: a hand-built history whose
//! right answers are worked out below, Copenhagen days at midnight, the
//! previous period, small numbers hidden from analysts, and the figures from
//! facts against a recount from the case tables over random histories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, T};
use jiff::Timestamp;
use serde_json::{Value, json};
use vink_domain::key_figures::Sums;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A concern received at `received` (UTC).
async fn concern_at(t: &T, received: &str) -> uuid::Uuid {
    t.concern(Some(received)).await
}

async fn decide(t: &T, id: uuid::Uuid, decision: &str) {
    t.to_before_unit(id).await;
    let mut body = json!({"to": "decided", "decision": decision, "reason": "Vurderet (test)"});
    if decision == "founded_local_action" {
        body["programme_kind"] = json!("mentor");
    }
    let r = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{id}/transitions"),
            Some("sek"),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A direct course of `kind`, started on `start` and moved to `end` =
/// (status, day) when given.
async fn course(t: &T, kind: &str, start: Option<&str>, end: Option<(&str, &str)>) -> String {
    let id = t.concern(None).await;
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let person = c["persons"][0]["id"].as_str().unwrap();
    let r = t
        .api("POST", "/api/v1/courses", Some("sek"), Some(json!({
            "person_id": person, "kind": kind, "prevention_level": "pre_emptive", "agency": "ssp",
            "direct_reason": "Henvist direkte (test)"
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let course = r.json()["id"].as_str().unwrap().to_string();
    let Some(start) = start else { return course };
    let c = t.api("PUT", &format!("/api/v1/courses/{course}/consent"), Some("sek"),
        Some(json!({"consent_on": start, "guardian_consent_on": start, "guardian_name": "Mor (fiktiv)"}))).await;
    assert_eq!(c.status, StatusCode::NO_CONTENT, "{}", c.text);
    let mut moves = vec![("active", start)];
    moves.extend(end);
    for (to, on) in moves {
        let r = t
            .api(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                Some("sek"),
                Some(json!({"to": to, "on": on, "note": "Afsluttet uden slutvurdering (test)"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    course
}

fn value(report: &Value, code: &str) -> Option<i64> {
    report["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no figure {code}"))["value"]
        .as_i64()
}

fn figure<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap()
}

#[tokio::test]
async fn key_figures_of_a_hand_built_history() {
    // The clock stands at 15 June 2026, 12:00 in Copenhagen (summer time, +2).
    let t = common::setup_at(at("2026-06-15T10:00:00Z")).await;
    // A: 00:30 on 1 June in Copenhagen is still 31 May in UTC: it is June's.
    let a = concern_at(&t, "2026-05-31T22:30:00Z").await;
    // B: 22 hours before its decision: on time. C: unfounded. D: founded for
    // another authority, late. E: 23:30 on 31 May: the previous period's.
    // F: not decided yet.
    let b = concern_at(&t, "2026-06-14T12:00:00Z").await;
    let c = concern_at(&t, "2026-06-15T08:00:00Z").await;
    let d = concern_at(&t, "2026-06-10T08:00:00Z").await;
    concern_at(&t, "2026-05-31T21:30:00Z").await;
    concern_at(&t, "2026-06-15T09:00:00Z").await;
    decide(&t, a, "founded_local_action").await; // 14 days after receipt: late
    decide(&t, b, "founded_local_action").await;
    decide(&t, c, "unfounded").await;
    decide(&t, d, "founded_other_authority").await;
    // Courses: K1 mentor running since 10 May; K2 exit 2–10 June, completed;
    // K3 mentor 1–20 May, discontinued; K4 planned, never started.
    course(&t, "mentor", Some("2026-05-10"), None).await;
    let k2 = course(
        &t,
        "exit",
        Some("2026-06-02"),
        Some(("completed", "2026-06-10")),
    )
    .await;
    course(
        &t,
        "mentor",
        Some("2026-05-01"),
        Some(("discontinued", "2026-05-20")),
    )
    .await;
    course(&t, "mentor", None, None).await;

    let r = t
        .api(
            "GET",
            "/api/v1/key-figures?from=2026-06-01&to=2026-06-15",
            Some("sek"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = r.json();
    // Each course came from a concern of its own, received today: 5 + 4.
    let expected = [
        ("concerns_received", 9),
        ("concerns_founded", 3),
        ("concerns_needing_local_action", 2),
        ("concerns_triaged_on_time", 1),
        ("courses_running", 2),
        ("courses_running.mentor", 1),
        ("courses_running.exit", 1),
        ("courses_running.returnee", 0),
        ("courses_carried_over", 1),
        ("courses_started", 1),
        ("courses_completed", 1),
        ("courses_discontinued", 0),
    ];
    for (code, n) in expected {
        assert_eq!(value(&r, code), Some(n), "{code}");
    }
    // The previous period of equal length: 17–31 May.
    let p = &r["previous"];
    assert_eq!(
        (p["from"].as_str(), p["to"].as_str()),
        (Some("2026-05-17"), Some("2026-05-31"))
    );
    for (code, n) in [
        ("concerns_received", 1),
        ("concerns_founded", 0),
        ("courses_running", 2),
        ("courses_carried_over", 2),
        ("courses_started", 0),
        ("courses_discontinued", 1),
    ] {
        assert_eq!(value(p, code), Some(n), "previous {code}");
    }
    // The 6-month follow-up of K2, answered in December: June's cohort.
    let share = figure(&r, "no_longer_at_risk");
    assert_eq!(
        (share["value"].as_i64(), share["pending"].as_i64()),
        (Some(0), Some(1))
    );
    t.app
        .clock
        .advance(jiff::SignedDuration::from_hours(180 * 24));
    let ratings: Vec<Value> = [
        "education_employment",
        "housing",
        "social_network",
        "wellbeing",
        "extremist_contact",
    ]
    .iter()
    .map(|a| json!({"area": a, "rating": 3, "comment": "Fiktiv vurdering"}))
    .collect();
    let answer = t.api("POST", &format!("/api/v1/courses/{k2}/assessments"), Some("sek"),
        Some(json!({"point": "six_months", "on": "2026-12-12", "risk": "no_longer_at_risk", "ratings": ratings}))).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let r = t
        .api(
            "GET",
            "/api/v1/key-figures?from=01.06.2026&to=15.06.2026",
            Some("sek"),
            None,
        )
        .await
        .json();
    let share = figure(&r, "no_longer_at_risk");
    assert_eq!(
        (
            share["value"].as_i64(),
            share["denominator"].as_i64(),
            share["pending"].as_i64(),
            share["percent"].as_i64()
        ),
        (Some(1), Some(1), Some(0), Some(100))
    );
    // The month by month series of June: one month, all of it.
    assert_eq!(r["series"]["months"], json!(["2026-06"]));
    assert_eq!(r["series"]["concerns_received"], json!([9]));
    assert_eq!(r["series"]["concerns_triaged_on_time"], json!([1]));
    let occupation = figure(&r, "in_education_or_employment");
    assert_eq!(occupation["pending"].as_i64(), Some(1));
    // The outcome page's figures come from the same facts.
    let o = t
        .api(
            "GET",
            "/api/v1/outcomes?from=2026-06-01&to=2026-06-15",
            Some("analyst"),
            None,
        )
        .await
        .json();
    assert_eq!(o["outcomes"]["completed"], 1);
    assert_eq!(o["outcomes"]["no_longer_at_risk"]["numerator"], 1);

    // An analyst has no case access: every figure from 1 to 4 is "<5".
    let an = t
        .api(
            "GET",
            "/api/v1/key-figures?from=2026-06-01&to=2026-06-15",
            Some("analyst"),
            None,
        )
        .await;
    assert_eq!(an.status, StatusCode::OK);
    let an = an.json();
    assert_eq!(an["suppressed_small_numbers"], true);
    let received = figure(&an, "concerns_received");
    assert_eq!(
        (received["value"].as_i64(), &received["suppressed"]),
        (Some(9), &json!(false))
    );
    for code in [
        "concerns_founded",
        "courses_running",
        "courses_running.mentor",
    ] {
        let f = figure(&an, code);
        assert!(f["value"].is_null(), "{code}: {f}");
        assert_eq!(f["suppressed"], true, "{code}");
    }
    assert_eq!(
        value(&an, "courses_discontinued"),
        Some(0),
        "zero names nobody"
    );
    assert!(figure(&an, "no_longer_at_risk")["percent"].is_null());
    // The page, for each: the secretariat sees 3, the analyst "<5"; neither
    // sees a name.
    for (user, shows) in [("sek", ">3<"), ("analyst", "&#60;5")] {
        let (_, cookie) = t.login(user, PASSWORD).await;
        let page = t
            .page("/key-figures?from=01.06.2026&to=15.06.2026", &cookie)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        assert!(page.text.contains(shows), "{user}");
        assert!(!page.text.contains("Testperson"), "{user}");
        assert!(page.text.contains("17.05.2026 – 31.05.2026"), "{user}");
        // Four charts, each named for screen readers, its numbers beside it.
        assert_eq!(
            page.text.matches("role=\"img\" aria-labelledby=").count(),
            4,
            "{user}"
        );
        assert!(
            page.text.contains("<title id=\"chart-concerns-t\">"),
            "{user}"
        );
    }
    // Bad periods: named fields, nothing else.
    for (q, field) in [
        ("from=2026-06-15&to=2026-06-01", "to"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("to=2026-03-01", "from"),
    ] {
        let r = t
            .api(
                "GET",
                &format!("/api/v1/key-figures?{q}"),
                Some("sek"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert_eq!(r.json()["error"]["fields"][0]["field"], field, "{q}");
    }
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let bad = t
        .page("/key-figures?from=15.06.2026&to=01.06.2026", &cookie)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("href=\"#f-to\""));
    // A mentor reads no figures.
    let m = t
        .api(
            "GET",
            "/api/v1/key-figures?from=2026-06-01&to=2026-06-15",
            Some("mentor"),
            None,
        )
        .await;
    assert_eq!(m.status, StatusCode::FORBIDDEN);
}

/// A small deterministic generator for the random histories.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The figures of `[from, to]` recounted from the case tables.
async fn recount(t: &T, from: &str, to: &str) -> Vec<(String, Option<i64>)> {
    let (from, to): (jiff::civil::Date, jiff::civil::Date) =
        (from.parse().unwrap(), to.parse().unwrap());
    let mut tx = t.app.db.begin_read().await.unwrap();
    let facts = vink_store::fact::recount(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let mut s = Sums::of_facts(&facts, &vink_domain::metrics::Period { from, to });
    let engaged = {
        let mut tx = t.app.db.begin_read().await.unwrap();
        let n = vink_store::organisation::institutions_engaged(
            &mut tx,
            &from.to_string(),
            &to.to_string(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        n
    };
    s.set_distinct(
        vink_domain::key_figures::Distinct::CapacityBuildingInstitutions,
        engaged,
    );
    vink_domain::key_figures::figures(&s, 70)
        .into_iter()
        .map(|f| (f.code, f.value))
        .collect()
}

#[tokio::test]
async fn figures_from_facts_equal_a_recount_from_the_case_tables() {
    let t = common::setup_at(at("2026-09-01T10:00:00Z")).await;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let kinds = ["mentor", "parent_coaching", "exit"];
    let decisions = [
        "founded_local_action",
        "founded_other_authority",
        "unfounded",
        "advice_only",
    ];
    for _ in 0..24 {
        // Received up to 200 days back, at any hour.
        let back = rng.below(200 * 24);
        let received = at("2026-09-01T09:00:00Z") - jiff::SignedDuration::from_hours(back as i64);
        let id = concern_at(&t, &received.to_string()).await;
        if rng.below(3) > 0 {
            decide(&t, id, decisions[rng.below(4) as usize]).await;
        }
    }
    // Some facts folded (the report's mirror of the daily rollup loads
    // them), the rest not yet: the figures must be the same either way.
    vink_store::fact::fold(&t.app.db).await.unwrap();
    for _ in 0..10 {
        let start = jiff::civil::date(2026, 1, 1)
            .checked_add(jiff::Span::new().days(rng.below(200) as i64))
            .unwrap();
        let end = start
            .checked_add(jiff::Span::new().days(rng.below(40) as i64))
            .unwrap();
        let (s, e) = (start.to_string(), end.to_string());
        let kind = kinds[rng.below(3) as usize];
        match rng.below(4) {
            0 => course(&t, kind, Some(&s), None).await,
            1 => course(&t, kind, Some(&s), Some(("discontinued", &e))).await,
            2 => course(&t, kind, None, None).await,
            _ => course(&t, kind, Some(&s), Some(("completed", &e))).await,
        };
    }
    // Activities, some corrected or cancelled later; forum memberships,
    // some ended or moved.
    let activity_kinds = ["presentation", "workshop", "citizen_forum", "dialogue"];
    let groups = ["front_line_staff", "parents", "pupils", "organisations"];
    for _ in 0..12 {
        let day = jiff::civil::date(2026, 1, 1)
            .checked_add(jiff::Span::new().days(rng.below(230) as i64))
            .unwrap();
        let body = |status: &str, rng: &mut Rng| {
            json!({
                "kind": activity_kinds[rng.below(4) as usize], "held_on": day.to_string(),
                "status": status, "title": "Fiktiv aktivitet", "focus_area": "front_line",
                "participants": [
                    {"target_group": groups[rng.below(2) as usize], "count": rng.below(60)},
                    {"target_group": groups[2 + rng.below(2) as usize], "count": rng.below(9)}
                ]
            })
        };
        let status = ["held", "planned", "cancelled"][rng.below(3) as usize];
        let r = t
            .api(
                "POST",
                "/api/v1/activities",
                Some("sek"),
                Some(body(status, &mut rng)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        if rng.below(2) == 0 {
            let id = r.json()["id"].as_str().unwrap().to_string();
            let status = ["held", "cancelled"][rng.below(2) as usize];
            let r = t
                .api(
                    "PUT",
                    &format!("/api/v1/activities/{id}"),
                    Some("sek"),
                    Some(body(status, &mut rng)),
                )
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        }
    }
    vink_store::fact::fold(&t.app.db).await.unwrap();
    for i in 0..8 {
        let org = t
            .api(
                "POST",
                "/api/v1/organisations",
                Some("sek"),
                Some(json!({"name": format!("Forening {i} (fiktiv)"), "kind": "association"})),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        for _ in 0..=rng.below(2) {
            let from = jiff::civil::date(2026, 1, 1)
                .checked_add(jiff::Span::new().days(rng.below(200) as i64))
                .unwrap();
            let to = (rng.below(2) == 0).then(|| {
                from.checked_add(jiff::Span::new().days(rng.below(90) as i64))
                    .unwrap()
                    .to_string()
            });
            let r = t
                .api(
                    "PUT",
                    &format!("/api/v1/organisations/{org}/forum-membership"),
                    Some("sek"),
                    Some(json!({"from": from.to_string(), "to": to})),
                )
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        }
    }
    // Periods of every length, over and around the history: first with
    // the later facts not folded yet (read above the mirror's watermark),
    // then with everything folded: the first report after the fold still
    // reads them above its old watermark and catches the mirror up, the
    // others sum them from the mirror.
    for folded in [false, true] {
        if folded {
            vink_store::fact::fold(&t.app.db).await.unwrap();
        }
        for (from, to) in [
            ("2026-02-01", "2026-09-30"),
            ("2026-01-15", "2026-10-20"),
            ("2026-01-01", "2026-11-30"),
            ("2026-02-01", "2026-12-31"),
            ("2026-01-01", "2026-12-31"),
            ("2026-03-01", "2026-03-31"),
            ("2026-05-15", "2026-08-20"),
            ("2026-08-31", "2026-09-01"),
            ("2025-01-01", "2025-12-31"),
            ("2026-02-10", "2026-06-30"),
            ("2026-04-01", "2026-07-19"),
            ("2026-03-15", "2026-03-20"),
        ] {
            let r = t
                .api(
                    "GET",
                    &format!("/api/v1/key-figures?from={from}&to={to}"),
                    Some("sek"),
                    None,
                )
                .await
                .json();
            let from_facts: Vec<(String, Option<i64>)> = r["figures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["code"].as_str().unwrap().to_string(), f["value"].as_i64()))
                .collect();
            assert_eq!(from_facts, recount(&t, from, to).await, "{from}–{to}");
            // The period of equal length before, read in the same statement.
            let (pf, pt) = (
                r["previous"]["from"].as_str().unwrap(),
                r["previous"]["to"].as_str().unwrap(),
            );
            let previous: Vec<(String, Option<i64>)> = r["previous"]["figures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["code"].as_str().unwrap().to_string(), f["value"].as_i64()))
                .collect();
            assert_eq!(
                previous,
                recount(&t, pf, pt).await,
                "previous of {from}–{to}"
            );
            // Month by month too: each month's concern figures and every course
            // kind drawn, as a recount of that month (clipped to the period) says.
            let months = r["series"]["months"].as_array().unwrap();
            for (i, m) in months.iter().enumerate() {
                let m = m.as_str().unwrap();
                let first: jiff::civil::Date = format!("{m}-01").parse().unwrap();
                let (pf, pt): (jiff::civil::Date, jiff::civil::Date) =
                    (from.parse().unwrap(), to.parse().unwrap());
                let (a, b) = (first.max(pf), first.last_of_month().min(pt));
                let want = recount(&t, &a.to_string(), &b.to_string()).await;
                let get = |code: &str| want.iter().find(|(c, _)| c == code).and_then(|(_, v)| *v);
                for code in [
                    "concerns_received",
                    "concerns_founded",
                    "concerns_needing_local_action",
                    "concerns_triaged_on_time",
                ] {
                    assert_eq!(
                        r["series"][code][i].as_i64(),
                        get(code),
                        "{from}–{to} {m} {code}"
                    );
                }
                // Every course kind drawn; a kind left out ran in no month.
                for k in r["series"]["courses_running"].as_array().unwrap() {
                    let kind = k["kind"].as_str().unwrap();
                    assert_eq!(
                        k["values"][i].as_i64(),
                        get(&format!("courses_running.{kind}")),
                        "{from}–{to} {m} {kind}"
                    );
                }
            }
            // And the course kinds against the old SQL over the case tables.
            let mut tx = t.app.db.begin_read().await.unwrap();
            let by_sql = vink_store::follow_up::counts_by_kind(&mut tx, from, to)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            for k in by_sql {
                assert_eq!(
                    value(&r, &format!("courses_running.{}", k.kind)),
                    Some(k.running),
                    "{from}–{to} {}",
                    k.kind
                );
            }
            let total: i64 = kinds
                .iter()
                .map(|k| value(&r, &format!("courses_running.{k}")).unwrap())
                .sum();
            assert_eq!(value(&r, "courses_running"), Some(total));
        }
    }
}

#[tokio::test]
async fn the_report_exports_as_csv_xlsx_and_pdf_that_read_back() {
    let t = common::setup_at(at("2026-06-15T10:00:00Z")).await;
    for h in ["2026-06-14T12:00:00Z", "2026-06-10T08:00:00Z"] {
        concern_at(&t, h).await;
    }
    let uri = |f: &str| format!("/api/v1/key-figures?from=2026-06-01&to=2026-06-15&format={f}");
    // CSV: BOM, semicolons, the figures with both periods.
    let csv = t.api("GET", &uri("csv"), Some("sek"), None).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .contains("noegletal-2026-06-01-2026-06-15.csv")
    );
    assert!(csv.text.starts_with('\u{feff}'));
    let line = csv
        .text
        .lines()
        .find(|l| l.contains("Henvendelser om bekymring modtaget"))
        .unwrap();
    assert_eq!(
        line,
        "Indsatsområde 1: Individrettede indsatser;Henvendelser om bekymring modtaget;2;0"
    );
    // XLSX: opened again, the same figure as a number, and a chart sheet.
    let x = t.api("GET", &uri("xlsx"), Some("sek"), None).await;
    assert_eq!(x.status, StatusCode::OK);
    let bytes = x.bytes.clone();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert!(names.len() >= 5, "{names:?}");
    let sheet = book.worksheet_range(&names[0]).unwrap();
    let row = sheet
        .rows()
        .find(|r| r[0] == calamine::Data::String("Henvendelser om bekymring modtaget".into()))
        .unwrap();
    assert_eq!(row[1], calamine::Data::Float(2.0));
    // PDF: A4 pages, the font embedded, the text readable.
    let p = t.api("GET", &uri("pdf"), Some("sek"), None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.header("content-type"), "application/pdf");
    let doc = lopdf::Document::load_mem(&p.bytes).unwrap();
    let pages = doc.get_pages();
    assert!(pages.len() >= 2, "{} pages", pages.len());
    let (_, first) = pages.iter().next().unwrap();
    let media = doc
        .get_object(*first)
        .unwrap()
        .as_dict()
        .unwrap()
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(media[3].as_float().unwrap().round(), 842.0, "A4");
    let fonts: Vec<String> = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter_map(|d| d.get(b"BaseFont").ok())
        .filter_map(|n| n.as_name().ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    assert!(fonts.iter().any(|f| f.contains("IBMPlexSans")), "{fonts:?}");
    let text = doc.extract_text(&[1]).unwrap();
    assert!(text.contains("Nøgletal"), "{text}");
    assert!(
        text.contains("Henvendelser om bekymring modtaget"),
        "{text}"
    );
    // An unknown format is refused by name.
    let bad = t.api("GET", &uri("docx"), Some("sek"), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["fields"][0]["field"], "format");
    // The page links to its files, and the link gives the file.
    let (_, cookie) = t.login("analyst", PASSWORD).await;
    let page = t
        .page("/key-figures?from=01.06.2026&to=15.06.2026", &cookie)
        .await;
    assert!(
        page.text
            .contains("/key-figures/export?from=2026-06-01&amp;to=2026-06-15&amp;format=pdf")
            || page
                .text
                .contains("/key-figures/export?from=2026-06-01&#38;to=2026-06-15&#38;format=pdf")
    );
    let f = t
        .page(
            "/key-figures/export?from=2026-06-01&to=2026-06-15&format=csv",
            &cookie,
        )
        .await;
    assert_eq!(f.status, StatusCode::OK);
    assert!(
        f.text.contains(";<5;"),
        "the analyst's file hides what the page hides"
    );
}
