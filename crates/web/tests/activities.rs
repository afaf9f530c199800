//! Activities and organisations through the API: registering, correcting and
//! cancelling move the key figures by exactly the difference; bad input is
//! refused field by field with nothing written; who may read and write; and
//! racing corrections of one activity count once each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::T;
use serde_json::{Value, json};

fn workshop(status: &str, young: i64, orgs: &[&str]) -> Value {
    json!({
        "kind": "workshop", "held_on": "2026-03-12", "status": status,
        "title": "Workshop om online propaganda (fiktiv)", "focus_area": "civil_society",
        "prevention_level": "preventive", "district": "Nørrebro",
        "participants": [
            {"target_group": "young_people", "count": young},
            {"target_group": "local_professionals", "count": 3}
        ],
        "organisations": orgs,
    })
}

async fn figures(t: &T, user: &str) -> Value {
    let r = t
        .api(
            "GET",
            "/api/v1/key-figures?from=2026-03-01&to=2026-03-31",
            Some(user),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn value(r: &Value, code: &str) -> Option<i64> {
    r["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no figure {code}"))["value"]
        .as_i64()
}

async fn organisation(t: &T, name: &str, kind: &str) -> String {
    let r = t
        .api(
            "POST",
            "/api/v1/organisations",
            Some("sek"),
            Some(json!({"name": name, "kind": kind, "district": "Nørrebro"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_held_activity_counts_and_a_correction_moves_the_figures_by_the_difference() {
    let t = common::setup().await;
    let mino = organisation(&t, "Mino Danmark (fiktiv)", "ngo").await;
    let r = t
        .api(
            "POST",
            "/api/v1/activities",
            Some("sek"),
            Some(workshop("held", 24, &[&mino])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let f = figures(&t, "analyst").await;
    assert_eq!(value(&f, "activities.workshop"), Some(1));
    assert_eq!(value(&f, "participants.young_people"), Some(24));
    assert_eq!(value(&f, "participants.workshop.young_people"), Some(24));
    // Participant counts name nobody at risk: an analyst sees 3, not "<5".
    assert_eq!(value(&f, "participants.local_professionals"), Some(3));
    assert_eq!(value(&f, "activities.dialogue"), Some(0));
    // Read back, as the analyst.
    let a = t
        .api(
            "GET",
            &format!("/api/v1/activities/{id}"),
            Some("analyst"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = a.json();
    assert_eq!(a["organisations"][0]["name"], "Mino Danmark (fiktiv)");
    assert_eq!(a["participants"][0]["target_group"], "young_people");
    assert_eq!(a["agency"], "vink");
    // A correction: 30 young people instead of 24.
    let r = t
        .api(
            "PUT",
            &format!("/api/v1/activities/{id}"),
            Some("sek"),
            Some(workshop("held", 30, &[])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let f = figures(&t, "sek").await;
    assert_eq!(value(&f, "participants.young_people"), Some(30));
    assert_eq!(value(&f, "activities.workshop"), Some(1));
    // Cancelled: nothing counts.
    let r = t
        .api(
            "PUT",
            &format!("/api/v1/activities/{id}"),
            Some("sek"),
            Some(workshop("cancelled", 30, &[])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let f = figures(&t, "sek").await;
    assert_eq!(value(&f, "participants.young_people"), Some(0));
    assert_eq!(value(&f, "activities.workshop"), Some(0));
    // The list, filtered.
    let l = t
        .api(
            "GET",
            "/api/v1/activities?kind=workshop&status=cancelled",
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(l["items"][0]["id"], id.as_str());
    assert_eq!(l["items"][0]["participants"], 33);
    let none = t
        .api("GET", "/api/v1/activities?status=held", Some("sek"), None)
        .await
        .json();
    assert!(none["items"].as_array().unwrap().is_empty());
    let orgs = t
        .api("GET", "/api/v1/organisations", Some("analyst"), None)
        .await
        .json();
    assert_eq!(orgs["items"][0]["kind"], "ngo");
}

#[tokio::test]
async fn bad_activities_are_refused_by_field_and_nothing_is_written() {
    let t = common::setup().await;
    let cases = [
        (json!({"kind": "party"}), "kind"),
        (
            json!({"participants": [{"target_group": "young_people", "count": -4}]}),
            "participants[0].count",
        ),
        (
            json!({"participants": [{"target_group": "voters", "count": 4}]}),
            "participants[0].target_group",
        ),
        (json!({"held_on": "2026-02-30"}), "held_on"),
        (json!({"held_on": "2099-01-01"}), "held_on"),
        (json!({"status": "maybe"}), "status"),
        (json!({"focus_area": ""}), "focus_area"),
        (json!({"agency": "cia"}), "agency"),
        (
            json!({"organisations": [uuid::Uuid::nil()]}),
            "organisations[0]",
        ),
    ];
    for (patch, field) in cases {
        let mut body = workshop("held", 24, &[]);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = t
            .api("POST", "/api/v1/activities", Some("sek"), Some(body))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text
        );
        let fields: Vec<String> = r.json()["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect();
        assert!(fields.contains(&field.to_string()), "{field}: {fields:?}");
    }
    let unknown = t
        .api(
            "POST",
            "/api/v1/activities",
            Some("sek"),
            Some(json!({"kind": "workshop", "surprise": 1})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let l = t
        .api("GET", "/api/v1/activities", Some("sek"), None)
        .await
        .json();
    assert!(l["items"].as_array().unwrap().is_empty(), "nothing written");
    assert_eq!(
        value(&figures(&t, "sek").await, "participants.young_people"),
        Some(0)
    );
    let bad_org = t
        .api(
            "POST",
            "/api/v1/organisations",
            Some("sek"),
            Some(json!({"name": "X", "kind": "club", "cvr": "12"})),
        )
        .await;
    assert_eq!(bad_org.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad_org.json()["error"]["fields"].as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn who_may_read_and_register_activities() {
    let t = common::setup().await;
    for (user, read, write) in [
        ("sek", StatusCode::OK, StatusCode::CREATED),
        ("analyst", StatusCode::OK, StatusCode::FORBIDDEN),
        ("ssp", StatusCode::OK, StatusCode::FORBIDDEN),
        ("mentor", StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        ("auditor", StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
    ] {
        let r = t.api("GET", "/api/v1/activities", Some(user), None).await;
        assert_eq!(r.status, read, "{user} reads");
        let w = t
            .api(
                "POST",
                "/api/v1/activities",
                Some(user),
                Some(workshop("held", 24, &[])),
            )
            .await;
        assert_eq!(w.status, write, "{user} writes");
    }
    // Access before input: a reader who may not register hears 403 even for
    // input that is wrong.
    let bad = t
        .api(
            "POST",
            "/api/v1/organisations",
            Some("analyst"),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_corrections_of_one_activity_each_count_once() {
    let t = common::setup().await;
    let r = t
        .api(
            "POST",
            "/api/v1/activities",
            Some("sek"),
            Some(workshop("held", 10, &[])),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    // Eight corrections at once, each to its own count: whichever commits
    // last is what the figures show, never a sum of stale differences.
    let statuses = t
        .race(8, |i| {
            t.api_req(
                "PUT",
                &format!("/api/v1/activities/{id}"),
                "sek",
                workshop("held", 11 + i as i64, &[]),
            )
        })
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{statuses:?}"
    );
    let a = t
        .api(
            "GET",
            &format!("/api/v1/activities/{id}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let stored = a["participants"][0]["count"].as_i64().unwrap();
    let f = figures(&t, "sek").await;
    assert_eq!(value(&f, "participants.young_people"), Some(stored));
    assert_eq!(value(&f, "activities.workshop"), Some(1));
}

#[tokio::test]
async fn the_citizen_forum_and_capacity_building_count_by_their_periods() {
    let t = common::setup().await;
    let mut orgs = Vec::new();
    for i in 0..6 {
        orgs.push(organisation(&t, &format!("Forening {i} (fiktiv)"), "association").await);
    }
    for org in &orgs[..5] {
        let r = member(&t, org, json!({"from": "2026-01-01"})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    // One left on 15 March (its last day); another's membership is
    // corrected to have begun in April, not January.
    assert_eq!(
        member(
            &t,
            &orgs[0],
            json!({"from": "2026-01-01", "to": "2026-03-15"})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        member(&t, &orgs[1], json!({"from": "01.04.2026"}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(at_end(&t, "2026-02-01", "2026-02-28").await, Some(4));
    assert_eq!(
        at_end(&t, "2026-03-01", "2026-03-15").await,
        Some(4),
        "still a member on its last day"
    );
    assert_eq!(at_end(&t, "2026-03-01", "2026-03-31").await, Some(3));
    assert_eq!(at_end(&t, "2026-04-01", "2026-04-30").await, Some(4));
    // A forum meeting is an activity of its kind.
    let mut meeting = workshop("held", 0, &[]);
    meeting["kind"] = json!("citizen_forum");
    meeting["participants"] = json!([{"target_group": "organisations", "count": 14}]);
    let r = t
        .api("POST", "/api/v1/activities", Some("sek"), Some(meeting))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let f = figures(&t, "analyst").await;
    assert_eq!(value(&f, "forum_meetings"), Some(1));
    assert_eq!(
        value(&f, "participants.citizen_forum.organisations"),
        Some(14)
    );
    // Capacity building: two institutions, one of them twice.
    for (org, from, to) in [
        (&orgs[4], "2026-02-01", Some("2026-03-31")),
        (&orgs[4], "2026-03-20", None),
        (&orgs[5], "2026-03-10", Some("2026-03-12")),
    ] {
        let r = t
            .api(
                "POST",
                &format!("/api/v1/organisations/{org}/capacity-building"),
                Some("sek"),
                Some(json!({"from": from, "to": to, "note": "Opkvalificering af frivillige (fiktiv)"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(
        value(&figures(&t, "sek").await, "institutions_capacity_building"),
        Some(2)
    );
    let detail = t
        .api(
            "GET",
            &format!("/api/v1/organisations/{}", orgs[4]),
            Some("analyst"),
            None,
        )
        .await
        .json();
    assert_eq!(detail["forum"]["from"], "2026-01-01");
    assert_eq!(detail["capacity_building"].as_array().unwrap().len(), 2);
    // Bad periods name the field; an unknown organisation is 404.
    let bad = member(
        &t,
        &orgs[2],
        json!({"from": "2026-05-01", "to": "2026-04-01"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["fields"][0]["field"], "to");
    let missing = member(
        &t,
        &uuid::Uuid::nil().to_string(),
        json!({"from": "2026-05-01"}),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        at_end(&t, "2026-04-01", "2026-04-30").await,
        Some(4),
        "nothing written"
    );
}

async fn member(t: &T, org: &str, body: Value) -> common::Resp {
    let uri = format!("/api/v1/organisations/{org}/forum-membership");
    t.api("PUT", &uri, Some("sek"), Some(body)).await
}

/// Organisations in the forum at the end of `[from, to]`.
async fn at_end(t: &T, from: &str, to: &str) -> Option<i64> {
    let r = t
        .api(
            "GET",
            &format!("/api/v1/key-figures?from={from}&to={to}"),
            Some("analyst"),
            None,
        )
        .await
        .json();
    value(&r, "forum_organisations")
}

#[tokio::test]
async fn the_secretariat_registers_and_corrects_an_activity_in_the_ui() {
    let t = common::setup().await;
    let org = organisation(&t, "Foreningen Dialog (fiktiv)", "association").await;
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    let form = t.page("/activities/new", &cookie).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("Foreningen Dialog (fiktiv)"));
    let csrf = T::csrf_of(&form);
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("kind", "presentation"),
        ("title", "Vidensoplæg for lærere (fiktivt)"),
        ("held_on", "10.03.2026"),
        ("status", "held"),
        ("focus_area", "front_line"),
        ("agency", "vink"),
        ("participants_front_line_staff", "-2"),
        ("participants_parents", "x"),
        ("organisations", org.as_str()),
    ];
    // A letter where a number belongs: named at its field, nothing saved.
    let bad = t.post_form("/activities", &cookie, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text.contains("href=\"#f-participants-parents\""),
        "{}",
        bad.text
    );
    assert!(
        bad.text.contains("Vidensoplæg for lærere (fiktivt)"),
        "input kept"
    );
    // A negative count, named at its field.
    fields.retain(|(k, _)| *k != "participants_parents");
    let bad = t.post_form("/activities", &cookie, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text
            .contains("href=\"#f-participants-front-line-staff\""),
        "{}",
        bad.text
    );
    assert!(bad.text.contains("Tallet kan ikke være negativt."));
    fields.retain(|(k, _)| *k != "participants_front_line_staff");
    fields.push(("participants_front_line_staff", "42"));
    let ok = t.post_form("/activities", &cookie, &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let at = ok.header("location");
    let page = t.page(&at, &cookie).await;
    assert!(page.text.contains("value=\"42\""));
    assert!(page.text.contains(&format!("value=\"{org}\" checked")));
    // Corrected to 45 from its own page.
    let csrf = T::csrf_of(&page);
    let mut fix: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| *k != "csrf" && *k != "participants_front_line_staff")
        .cloned()
        .collect();
    fix.push(("csrf", &csrf));
    fix.push(("participants_front_line_staff", "45"));
    let ok = t.post_form(&at, &cookie, &fix).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let f = t
        .api(
            "GET",
            "/api/v1/key-figures?from=2026-03-01&to=2026-03-31",
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(
        value(&f, "participants.presentation.front_line_staff"),
        Some(45)
    );
    let list = t.page("/activities?kind=presentation", &cookie).await;
    assert!(list.text.contains("Vidensoplæg for lærere (fiktivt)"));
    assert!(
        list.text
            .contains("/activities/export?kind=presentation&#38;format=xlsx")
    );
    // The filtered register as files that read back.
    let csv = t
        .page("/activities/export?kind=presentation&format=csv", &cookie)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.text
            .contains(";10.03.2026;Vidensoplæg for lærere (fiktivt);Vidensoplæg;Afholdt;"),
        "{}",
        csv.text
    );
    let none = t
        .page("/activities/export?kind=workshop&format=csv", &cookie)
        .await;
    assert!(!none.text.contains("Vidensoplæg for lærere"));
    let x = t.page("/activities/export?format=xlsx", &cookie).await;
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
    let names = book.sheet_names();
    let sheet = book.worksheet_range(&names[0]).unwrap();
    assert!(sheet.rows().any(|r| {
        r.iter()
            .any(|c| c == &calamine::Data::String("Vidensoplæg for lærere (fiktivt)".into()))
    }));
    let p = t.page("/activities/export?format=pdf", &cookie).await;
    let doc = lopdf::Document::load_mem(&p.bytes).unwrap();
    // The title wraps in its column: its lines are drawn row by row.
    let text = doc.extract_text(&[1]).unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("10.03.2026 Vidensoplæg for"), "{words}");
    assert!(words.contains("lærere (fiktivt)"), "{words}");
    let o = t.page("/organisations/export?format=csv", &cookie).await;
    assert!(
        o.text.contains("Foreningen Dialog (fiktiv);Forening"),
        "{}",
        o.text
    );
    // The analyst reads the register, and the activity without a way to save.
    let (_, an) = t.login("analyst", common::PASSWORD).await;
    let list = t.page("/activities", &an).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains("/activities/new"));
    let page = t.page(&at, &an).await;
    assert!(page.text.contains("<fieldset disabled>"));
    assert!(!page.text.contains("button-primary\">Gem aktiviteten"));
    // Organisations: the forum membership from the organisation's page.
    let page = t.page(&format!("/organisations/{org}"), &cookie).await;
    let csrf = T::csrf_of(&page);
    let bad = t
        .post_form(
            &format!("/organisations/{org}/forum"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("forum_from", "01.05.2026"),
                ("forum_to", "01.04.2026"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("href=\"#f-forum-to\""));
    let ok = t
        .post_form(
            &format!("/organisations/{org}/forum"),
            &cookie,
            &[("csrf", &csrf), ("forum_from", "01.01.2026")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = t.page(&format!("/organisations/{org}"), &cookie).await;
    assert!(page.text.contains("Medlem siden 01.01.2026."));
}

const HEADER: &str = "kind;held_on;status;title;focus_area;prevention_level;district;agency;participants.front_line_staff;participants.parents";

#[tokio::test]
async fn a_csv_import_is_all_or_nothing_with_errors_by_line_and_column() {
    let t = common::setup().await;
    // The template, as downloaded, imports as it is.
    let template = t
        .api(
            "GET",
            "/api/v1/activities/import/template",
            Some("sek"),
            None,
        )
        .await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.header("content-type").starts_with("text/csv"));
    assert!(template.text.starts_with('\u{feff}'));
    // Line 3 has a negative count, line 4 a date that does not exist.
    let bad = format!(
        "{HEADER}\r\npresentation;10.03.2026;held;Oplæg A;front_line;;;vink;40;\r\n\
         workshop;11.03.2026;held;Workshop B;civil_society;;;vink;-5;2\r\n\
         dialogue;30.02.2026;held;Dialog C;civil_society;;;;;7\r\n"
    );
    let r = t
        .api_raw("POST", "/api/v1/activities/import", "sek", bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fields,
        vec!["rows[3].participants.front_line_staff", "rows[4].held_on"]
    );
    let none = t
        .api("GET", "/api/v1/activities", Some("sek"), None)
        .await
        .json();
    assert!(
        none["items"].as_array().unwrap().is_empty(),
        "nothing saved"
    );
    // Corrected, saved as Excel's Windows-1252: all three, and they count.
    let good = format!(
        "{HEADER}\r\npresentation;10.03.2026;held;Opl\u{e6}g A;front_line;;N\u{f8}rrebro;vink;40;\r\n\
         workshop;11.03.2026;held;Workshop B;civil_society;;;vink;5;2\r\n\
         dialogue;28.02.2026;held;Dialog C;civil_society;;;;;7\r\n"
    );
    let latin1: Vec<u8> = good.chars().map(|c| c as u32 as u8).collect();
    let r = t
        .api_raw("POST", "/api/v1/activities/import", "sek", latin1)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["imported"], 3);
    let f = figures(&t, "sek").await;
    assert_eq!(value(&f, "participants.front_line_staff"), Some(45));
    let list = t
        .api(
            "GET",
            "/api/v1/activities?kind=presentation",
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(list["items"][0]["title"], "Oplæg A");
    assert_eq!(list["items"][0]["district"], "Nørrebro");
    // An analyst may not import.
    let r = t
        .api_raw("POST", "/api/v1/activities/import", "analyst", good.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The page: the same file with a bad line shows a table of errors.
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    let page = t.page("/activities/import", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = T::csrf_of(&page);
    let boundary = "vinkboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n\
         {HEADER}\r\nparty;10.03.2026;held;X;front_line;;;;1;\r\n--{boundary}--\r\n"
    );
    let req = axum::http::Request::post("/activities/import")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", &cookie)
        .body(axum::body::Body::from(body))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-import-errors"));
    assert!(r.text.contains("<code>kind</code>"));
    let template = t.page("/activities/import/template.csv", &cookie).await;
    assert_eq!(template.status, StatusCode::OK);
}

#[tokio::test]
async fn a_theme_day_names_the_corps_members_who_attended() {
    let t = common::setup().await;
    let mut members = Vec::new();
    for name in ["Anna (fiktiv)", "Bo (fiktiv)"] {
        let r = t.api("POST", "/api/v1/corps", Some("sek"), Some(json!({
            "name": name, "kind": "mentor", "languages": ["dansk"], "specialties": ["mentor"],
            "districts": ["Valby"], "max_caseload": 3
        }))).await;
        members.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let mut day = workshop("held", 0, &[]);
    day["kind"] = json!("theme_day");
    day["focus_area"] = json!("front_line");
    day["participants"] = json!([]);
    day["corps_members"] = json!(members);
    let r = t
        .api("POST", "/api/v1/activities", Some("sek"), Some(day.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let f = figures(&t, "sek").await;
    assert_eq!(
        value(&f, "participants.theme_day.corps"),
        Some(2),
        "the count follows the names"
    );
    let profile = t
        .api(
            "GET",
            &format!("/api/v1/corps/{}", members[1]),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(profile["attended"][0]["activity_id"], id.as_str());
    let a = t
        .api(
            "GET",
            &format!("/api/v1/activities/{id}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(a["corps_members"].as_array().unwrap().len(), 2);
    // A count that disagrees with the names, and names on a workshop.
    let mut wrong = day.clone();
    wrong["participants"] = json!([{"target_group": "corps", "count": 5}]);
    let r = t
        .api("POST", "/api/v1/activities", Some("sek"), Some(wrong))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["fields"][0]["code"],
        "corps_count_mismatch"
    );
    let mut workshop_with_corps = day.clone();
    workshop_with_corps["kind"] = json!("workshop");
    let r = t
        .api(
            "POST",
            "/api/v1/activities",
            Some("sek"),
            Some(workshop_with_corps),
        )
        .await;
    assert_eq!(r.json()["error"]["fields"][0]["field"], "corps_members");
    // Training is still training; a theme day is no longer training.
    let r = t
        .api(
            "POST",
            &format!("/api/v1/corps/{}/training", members[0]),
            Some("sek"),
            Some(json!({"kind": "theme_day", "title": "X", "on": "2026-03-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
