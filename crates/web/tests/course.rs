//! Courses, the corps and follow-ups through the API: lifecycle and consent,
//! who may see which course (and the audit of refusals), assessments on the
//! fixed scale, follow-up scheduling and hand-checked outcome figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::T;
use jiff::ToSpan;
use serde_json::{Value, json};

/// Today by the system clock, as the test application (on the system clock) sees it.
fn today() -> jiff::civil::Date {
    vink_domain::concern::local_date(jiff::Timestamp::now())
}

async fn person_of_new_concern(t: &T) -> (String, String) {
    let cid = t.concern(None).await;
    let c = t
        .api("GET", &format!("/api/v1/concerns/{cid}"), Some("sek"), None)
        .await
        .json();
    (
        cid.to_string(),
        c["persons"][0]["id"].as_str().unwrap().to_string(),
    )
}

async fn direct_course(t: &T, person: &str) -> String {
    let r = t
        .api("POST", "/api/v1/courses", Some("sek"), Some(json!({
            "person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp",
            "direct_reason": "Henvist direkte af SSP", "language": "arabisk"
        })))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

fn ratings() -> Value {
    json!(
        [
            "education_employment",
            "housing",
            "social_network",
            "wellbeing",
            "extremist_contact"
        ]
        .iter()
        .map(|a| json!({"area": a, "rating": 3, "comment": "Fiktiv vurdering"}))
        .collect::<Vec<_>>()
    )
}

async fn start(t: &T, course: &str) {
    start_on(t, course, today()).await
}

async fn start_on(t: &T, course: &str, day: jiff::civil::Date) {
    let c = t.api("PUT", &format!("/api/v1/courses/{course}/consent"), Some("sek"),
        Some(json!({"consent_on": day.to_string(), "guardian_consent_on": day.to_string(), "guardian_name": "Mor (fiktiv)"}))).await;
    assert_eq!(c.status, StatusCode::NO_CONTENT, "{}", c.text);
    let r = t
        .api(
            "POST",
            &format!("/api/v1/courses/{course}/transitions"),
            Some("sek"),
            Some(json!({"to": "active"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn complete(t: &T, course: &str) {
    let r = t
        .api(
            "POST",
            &format!("/api/v1/courses/{course}/transitions"),
            Some("sek"),
            Some(json!({"to": "completed", "note": "Afsluttet uden slutvurdering (test)"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_course_starts_from_a_founded_concern_with_consent_and_ends_with_follow_ups() {
    let t = common::setup().await;
    let (cid, person) = person_of_new_concern(&t).await;
    let early = t
        .api(
            "POST",
            "/api/v1/courses",
            Some("sek"),
            Some(json!({"concern_id": cid, "prevention_level": "pre_emptive", "agency": "ssp"})),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "not decided yet");
    for body in [
        json!({"to": "screening"}),
        json!({"to": "before_unit"}),
        json!({"to": "decided", "decision": "founded_local_action", "programme_kind": "parent_coaching"}),
    ] {
        let r = t
            .api(
                "POST",
                &format!("/api/v1/concerns/{cid}/transitions"),
                Some("sek"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = t
        .api(
            "POST",
            "/api/v1/courses",
            Some("sek"),
            Some(json!({"concern_id": cid, "prevention_level": "pre_emptive", "agency": "ssp"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let course = r.json()["id"].as_str().unwrap().to_string();
    let c = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            c["kind"].as_str(),
            c["person"]["id"].as_str(),
            c["status"].as_str()
        ),
        (
            Some("parent_coaching"),
            Some(person.as_str()),
            Some("planned")
        )
    );
    assert_eq!(c["agency"], "SSP København");
    assert!(
        c.get("description").is_none(),
        "no concern text on a course"
    );
    // The concern's detail links its person to the course.
    let d = t
        .api("GET", &format!("/api/v1/concerns/{cid}"), Some("sek"), None)
        .await
        .json();
    assert_eq!(d["persons"][0]["id"].as_str(), Some(person.as_str()));
    assert_eq!(d["persons"][0]["course_id"].as_str(), Some(course.as_str()));

    let go = |to: &str, on: Option<String>| {
        let mut body = json!({"to": to});
        if let Some(on) = on {
            body["on"] = json!(on);
        }
        let (t, course) = (&t, course.clone());
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
    assert_eq!(
        go("completed", None).await.status,
        StatusCode::CONFLICT,
        "not active yet"
    );
    assert_eq!(
        go("active", None).await.status,
        StatusCode::CONFLICT,
        "no consent"
    );
    let consent = |body: Value| {
        let (t, course) = (&t, course.clone());
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
    assert_eq!(
        consent(json!({"consent_on": today().to_string()}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let minor = go("active", None).await;
    assert_eq!(
        minor.status,
        StatusCode::CONFLICT,
        "a minor also needs a guardian's consent"
    );
    assert!(minor.text.contains("guardian"));
    let future = today().checked_add(2.days()).unwrap().to_string();
    assert_eq!(
        consent(json!({"consent_on": future})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        consent(
            json!({"consent_on": today().to_string(), "guardian_consent_on": today().to_string()})
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "who consented is required"
    );
    start(&t, &course).await;
    let tomorrow = today().tomorrow().unwrap().to_string();
    let r = go("completed", Some(tomorrow)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no end in the future"
    );
    complete(&t, &course).await;
    assert_eq!(go("active", None).await.status, StatusCode::CONFLICT);
    // One course per person from a concern, also after it ended: the
    // detail's link to it is never a choice between several.
    let r = t
        .api(
            "POST",
            "/api/v1/courses",
            Some("sek"),
            Some(json!({"concern_id": cid, "prevention_level": "pre_emptive", "agency": "ssp"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let d = t
        .api("GET", &format!("/api/v1/concerns/{cid}"), Some("sek"), None)
        .await
        .json();
    assert_eq!(d["persons"][0]["course_id"].as_str(), Some(course.as_str()));
    let c = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let due: Vec<(String, String)> = c["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["due_on"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        due,
        vec![
            (
                "risk".into(),
                today().checked_add(6.months()).unwrap().to_string()
            ),
            (
                "occupation".into(),
                today().checked_add(12.months()).unwrap().to_string()
            ),
        ]
    );
    let list = t
        .api("GET", "/api/v1/follow-ups", Some("sek"), None)
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        t.api("GET", "/api/v1/follow-ups?due=overdue", Some("sek"), None)
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        t.api("GET", "/api/v1/follow-ups?due=soon", Some("sek"), None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let direct = t.api("POST", "/api/v1/courses", Some("sek"), Some(json!({"person_id": person, "kind": "exit", "prevention_level": "interventive", "agency": "eki"}))).await;
    assert_eq!(direct.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        direct.json()["error"]["fields"][0]["field"],
        "direct_reason"
    );
}

#[tokio::test]
async fn mentors_work_only_in_their_own_courses() {
    let t = common::setup().await;
    vink_app::user::add_user(
        &t.app,
        &vink_domain::user::Actor::system(),
        &vink_app::user::NewUser {
            email: None,
            username: "mentor2".into(),
            display_name: None,
            role: "mentor".into(),
            agency: None,
            password: common::PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    let token2 =
        vink_app::user::create_token(&t.app, &vink_domain::user::Actor::system(), "mentor2")
            .await
            .unwrap();
    let mut ids = Vec::new();
    for (name, user) in [("Mads (fiktiv)", "mentor"), ("Mona (fiktiv)", "mentor2")] {
        let r = t.api("POST", "/api/v1/corps", Some("sek"), Some(json!({
            "name": name, "kind": "mentor", "username": user, "languages": ["dansk", "arabisk"], "specialties": ["mentor"],
            "districts": ["Valby"], "max_caseload": 4
        }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let (_, person) = person_of_new_concern(&t).await;
    let course = direct_course(&t, &person).await;
    let cands = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}/candidates"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(cands.as_array().unwrap().len(), 2);
    let r = t
        .api(
            "PUT",
            &format!("/api/v1/courses/{course}/assignment"),
            Some("sek"),
            Some(json!({"corps_member_id": ids[0]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    start(&t, &course).await;

    let r = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("mentor"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = t.api("POST", &format!("/api/v1/courses/{course}/contacts"), Some("mentor"),
        Some(json!({"on": today().to_string(), "minutes": 60, "form": "meeting", "note": "Første møde (fiktivt)"}))).await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text);
    let goal = t
        .api(
            "POST",
            &format!("/api/v1/courses/{course}/goals"),
            Some("mentor"),
            Some(json!({"text": "Genoptage skolegang"})),
        )
        .await;
    assert_eq!(goal.status, StatusCode::CREATED);
    let gid = goal.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.api(
            "PUT",
            &format!("/api/v1/courses/{course}/goals/{gid}"),
            Some("mentor"),
            Some(json!({"status": "achieved"}))
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let a = t.api("POST", &format!("/api/v1/courses/{course}/assessments"), Some("mentor"),
        Some(json!({"point": "baseline", "on": today().to_string(), "occupation": "neither", "ratings": ratings()}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let mut off_scale = ratings();
    off_scale[2]["rating"] = json!(7);
    let bad = t
        .api(
            "POST",
            &format!("/api/v1/courses/{course}/assessments"),
            Some("mentor"),
            Some(json!({"point": "closure", "on": today().to_string(), "ratings": off_scale})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.json()["error"]["fields"][0]["field"],
        "ratings[2].rating"
    );
    let missing = t.api("POST", &format!("/api/v1/courses/{course}/assessments"), Some("mentor"),
        Some(json!({"point": "closure", "on": today().to_string(), "ratings": [{"area": "housing", "rating": 2}]}))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let future = t.api("POST", &format!("/api/v1/courses/{course}/contacts"), Some("mentor"),
        Some(json!({"on": today().checked_add(3.days()).unwrap().to_string(), "minutes": 30, "form": "phone"}))).await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    let c = t
        .api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("mentor"),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            c["contacts"].as_array().unwrap().len(),
            c["assessments"].as_array().unwrap().len()
        ),
        (1, 1)
    );
    assert_eq!(c["goals"][0]["status"], "achieved");
    assert_eq!(c["assessments"][0]["ratings"].as_array().unwrap().len(), 5);

    // The other mentor: refused, audited, nothing written.
    let req = |method: &str, uri: String, body: Option<Value>| {
        let mut b = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token2}"));
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        b.body(axum::body::Body::from(
            body.map(|v| v.to_string()).unwrap_or_default(),
        ))
        .unwrap()
    };
    let r = t
        .send(req("GET", format!("/api/v1/courses/{course}"), None))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .send(req(
            "POST",
            format!("/api/v1/courses/{course}/contacts"),
            Some(json!({"on": today().to_string(), "minutes": 5, "form": "phone"})),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let rows = t.audit_of(course.parse().unwrap()).await;
    let denied: Vec<_> = rows
        .iter()
        .filter(|r| r.outcome == "denied")
        .map(|r| (r.action.as_str(), r.reason.as_deref()))
        .collect();
    assert_eq!(
        denied,
        vec![
            ("course.read", Some("not_in_scope")),
            ("course.contact", Some("not_in_scope"))
        ]
    );
    assert_eq!(
        t.send(req("GET", "/api/v1/courses".into(), None))
            .await
            .json()["total"],
        0
    );
    assert_eq!(
        t.api("GET", "/api/v1/courses", Some("mentor"), None)
            .await
            .json()["total"],
        1
    );
    // A mentor never reads the concern, nor moves the course along.
    let cid = c["concern_id"].as_str().map(String::from);
    assert!(cid.is_none());
    assert_eq!(
        t.api(
            "POST",
            &format!("/api/v1/courses/{course}/transitions"),
            Some("mentor"),
            Some(json!({"to": "completed"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Agencies see their own courses; analysts only figures.
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("ssp"),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("psp"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.api(
            "GET",
            &format!("/api/v1/courses/{course}"),
            Some("analyst"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.api("GET", "/api/v1/outcomes", Some("analyst"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.api("GET", "/api/v1/outcomes", Some("mentor"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The caseload counts the assignment.
    let corps = t
        .api("GET", "/api/v1/corps", Some("sek"), None)
        .await
        .json();
    let mads = corps
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Mads (fiktiv)")
        .unwrap();
    assert_eq!(
        (mads["caseload"].as_i64(), mads["free_capacity"].as_i64()),
        (Some(1), Some(3))
    );
}

/// Six completed courses and one discontinued, with answers chosen so the right
/// figures can be worked out by hand:
/// risk at 6 months: no longer at risk ×3, still at risk ×1, unknown ×1, pending ×1 → 3/4 = 75 %;
/// education/employment at 12 months: employed, in education, neither, pending ×3 → 2/3 = 66 %.
#[tokio::test]
async fn outcome_figures_on_a_hand_built_data_set() {
    // A fixed clock: the courses end on 2 March 2026, the 6-month answers come
    // in September and the 12-month ones the next March, as in real life.
    let t = common::setup_at("2026-03-02T10:00:00Z".parse().unwrap()).await;
    let today = || t.app.today();
    let risk = [
        "no_longer_at_risk",
        "no_longer_at_risk",
        "no_longer_at_risk",
        "still_at_risk",
        "unknown",
        "",
    ];
    let occupation = ["employed", "in_education", "neither", "", "", ""];
    let mut courses = Vec::new();
    for _ in 0..6 {
        let (_, person) = person_of_new_concern(&t).await;
        let course = direct_course(&t, &person).await;
        start_on(&t, &course, today()).await;
        complete(&t, &course).await;
        courses.push(course);
    }
    let (_, person) = person_of_new_concern(&t).await;
    let dropped = direct_course(&t, &person).await;
    start_on(&t, &dropped, today()).await;
    let r = t
        .api(
            "POST",
            &format!("/api/v1/courses/{dropped}/transitions"),
            Some("sek"),
            Some(json!({"to": "discontinued"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // An answer on the day the course ended does not count as the 6-month one.
    let early = t.api("POST", &format!("/api/v1/courses/{}/assessments", courses[0]), Some("sek"),
        Some(json!({"point": "six_months", "on": today().to_string(), "risk": "no_longer_at_risk", "ratings": ratings()}))).await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.text
    );
    assert_eq!(early.json()["error"]["fields"][0]["code"], "too_early");
    t.app
        .clock
        .advance(jiff::SignedDuration::from_hours(184 * 24));
    for (i, course) in courses.iter().enumerate() {
        if !risk[i].is_empty() {
            let r = t.api("POST", &format!("/api/v1/courses/{course}/assessments"), Some("sek"),
                Some(json!({"point": "six_months", "on": today().to_string(), "risk": risk[i], "ratings": ratings()}))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        if i == 0 {
            let again = t.api("POST", &format!("/api/v1/courses/{course}/assessments"), Some("sek"),
                Some(json!({"point": "six_months", "on": today().to_string(), "risk": "still_at_risk", "ratings": ratings()}))).await;
            assert_eq!(
                again.status,
                StatusCode::CONFLICT,
                "a follow-up is recorded once"
            );
        }
    }
    t.app
        .clock
        .advance(jiff::SignedDuration::from_hours(182 * 24));
    for (i, course) in courses.iter().enumerate() {
        if !occupation[i].is_empty() {
            let r = t.api("POST", &format!("/api/v1/courses/{course}/assessments"), Some("sek"),
                Some(json!({"point": "twelve_months", "on": today().to_string(), "occupation": occupation[i], "ratings": ratings()}))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    }

    let o = t
        .api(
            "GET",
            "/api/v1/outcomes?from=2026-01-01&to=2026-12-31",
            Some("analyst"),
            None,
        )
        .await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text);
    let o = o.json();
    let s = &o["outcomes"];
    assert_eq!(s["completed"], 6);
    let nl = &s["no_longer_at_risk"];
    assert_eq!(
        (
            nl["numerator"].as_i64(),
            nl["denominator"].as_i64(),
            nl["pending"].as_i64(),
            nl["unknown"].as_i64(),
            nl["percent"].as_i64(),
            nl["target_percent"].as_i64()
        ),
        (Some(3), Some(4), Some(1), Some(1), Some(75), Some(70))
    );
    let ee = &s["in_education_or_employment"];
    assert_eq!(
        (
            ee["numerator"].as_i64(),
            ee["denominator"].as_i64(),
            ee["pending"].as_i64(),
            ee["percent"].as_i64()
        ),
        (Some(2), Some(3), Some(3), Some(66))
    );
    assert_eq!(o["discontinued"], 1);
    assert_eq!(o["by_kind"][0]["kind"], "mentor");
    assert_eq!(
        (
            o["by_kind"][0]["running"].as_i64(),
            o["by_kind"][0]["completed"].as_i64(),
            o["by_kind"][0]["carried_over"].as_i64()
        ),
        (Some(7), Some(6), Some(0))
    );
    // The worklist shows only what is still open: 1 risk + 3 occupation follow-ups.
    let all = t
        .api("GET", "/api/v1/follow-ups", Some("sek"), None)
        .await
        .json();
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    assert!(all["next_after"].is_null());
    // A page at a time, by keyset.
    let first = t
        .api("GET", "/api/v1/follow-ups?limit=3", Some("sek"), None)
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let after = first["next_after"].as_str().unwrap();
    let rest = t
        .api(
            "GET",
            &format!("/api/v1/follow-ups?limit=3&after={after}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_after"].is_null());
    assert_eq!(rest["items"][0]["id"], all["items"][3]["id"]);
    for bad in ["limit=0", "limit=501", "after=2026-01-01", "after=x.y"] {
        let r = t
            .api(
                "GET",
                &format!("/api/v1/follow-ups?{bad}"),
                Some("sek"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(
        t.api(
            "GET",
            "/api/v1/outcomes?from=2026-13-01",
            Some("analyst"),
            None
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn a_course_completes_with_its_closing_assessment_or_a_reason() {
    let t = common::setup().await;
    let (_, person) = person_of_new_concern(&t).await;
    let course = direct_course(&t, &person).await;
    start(&t, &course).await;
    let url = format!("/api/v1/courses/{course}/transitions");
    let bare = t
        .api("POST", &url, Some("sek"), Some(json!({"to": "completed"})))
        .await;
    assert_eq!(
        bare.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bare.text
    );
    assert_eq!(bare.json()["error"]["fields"][0]["field"], "note");
    let a = t.api("POST", &format!("/api/v1/courses/{course}/assessments"), Some("sek"),
        Some(json!({"point": "closure", "on": today().to_string(), "occupation": "in_education", "risk": "no_longer_at_risk", "ratings": ratings()}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let done = t
        .api("POST", &url, Some("sek"), Some(json!({"to": "completed"})))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
}

#[tokio::test]
async fn courses_follow_ups_and_the_audit_log_sort_both_ways() {
    let t = common::setup().await;
    // Three courses started 30, 20 and 10 days ago and completed 25, 15 and 5
    // days ago: their follow-ups fall due in that order too.
    let mut courses = Vec::new();
    for ago in [30, 20, 10] {
        let (_, person) = person_of_new_concern(&t).await;
        let course = direct_course(&t, &person).await;
        let day = today().checked_sub(ago.days()).unwrap();
        let c = t.api("PUT", &format!("/api/v1/courses/{course}/consent"), Some("sek"),
            Some(json!({"consent_on": day.to_string(), "guardian_consent_on": day.to_string(), "guardian_name": "Mor (fiktiv)"}))).await;
        assert_eq!(c.status, StatusCode::NO_CONTENT, "{}", c.text);
        for (to, on) in [
            ("active", day),
            ("completed", day.checked_add(5.days()).unwrap()),
        ] {
            let r = t
                .api(
                    "POST",
                    &format!("/api/v1/courses/{course}/transitions"),
                    Some("sek"),
                    Some(json!({"to": to, "on": on.to_string(), "note": "Afsluttet (test)"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        courses.push(course);
    }
    let ids = |v: &Value, key: &str| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[key].as_str().unwrap().to_string())
            .collect()
    };
    // Courses: latest end first by default, earliest first with order=asc.
    let newest = t
        .api("GET", "/api/v1/courses", Some("sek"), None)
        .await
        .json();
    assert_eq!(
        ids(&newest, "id"),
        vec![courses[2].clone(), courses[1].clone(), courses[0].clone()]
    );
    let oldest = t
        .api("GET", "/api/v1/courses?order=asc", Some("sek"), None)
        .await
        .json();
    assert_eq!(ids(&oldest, "id"), courses);
    // Page by page along the cursor, each way round: every course once.
    for (order, expected) in [
        ("desc", newest["items"].clone()),
        ("asc", oldest["items"].clone()),
    ] {
        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let uri = match &cursor {
                None => format!("/api/v1/courses?order={order}&per_page=1"),
                Some(c) => format!("/api/v1/courses?order={order}&per_page=1&page=9&cursor={c}"),
            };
            let p = t.api("GET", &uri, Some("sek"), None).await.json();
            assert_eq!(
                ids(&p, "id").len(),
                1,
                "{order}: a next page is never empty"
            );
            walked.extend(ids(&p, "id"));
            if cursor.is_some() {
                assert_eq!(p["page"], 9, "the page number is echoed");
            }
            match p["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(walked.len() <= courses.len(), "no end");
        }
        assert_eq!(walked, ids(&json!({"items": expected}), "id"), "{order}");
    }
    let r = t
        .api(
            "GET",
            "/api/v1/courses?cursor=e.2026-02-30.x",
            Some("sek"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "cursor");
    // Follow-ups: earliest due first by default; latest first, paged by keyset.
    let all = t
        .api("GET", "/api/v1/follow-ups?kind=risk", Some("sek"), None)
        .await
        .json();
    assert_eq!(ids(&all, "course_id"), courses);
    let first = t
        .api(
            "GET",
            "/api/v1/follow-ups?kind=risk&order=desc&limit=2",
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(
        ids(&first, "course_id"),
        vec![courses[2].clone(), courses[1].clone()]
    );
    let after = first["next_after"].as_str().unwrap();
    let rest = t
        .api(
            "GET",
            &format!("/api/v1/follow-ups?kind=risk&order=desc&limit=2&after={after}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(ids(&rest, "course_id"), vec![courses[0].clone()]);
    assert!(rest["next_after"].is_null());
    // The audit log: newest first by default, oldest first paged onwards.
    let seqs = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect()
    };
    let newest = seqs(
        &t.api("GET", "/api/v1/audit?limit=5", Some("auditor"), None)
            .await
            .json(),
    );
    assert!(newest.windows(2).all(|w| w[0] > w[1]), "{newest:?}");
    let oldest = seqs(
        &t.api(
            "GET",
            "/api/v1/audit?order=asc&limit=3",
            Some("auditor"),
            None,
        )
        .await
        .json(),
    );
    assert_eq!(oldest, vec![1, 2, 3]);
    let onwards = seqs(
        &t.api(
            "GET",
            "/api/v1/audit?order=asc&limit=3&after_seq=3",
            Some("auditor"),
            None,
        )
        .await
        .json(),
    );
    assert_eq!(onwards, vec![4, 5, 6]);
    for bad in [
        "/api/v1/audit?order=up",
        "/api/v1/courses?order=newest",
        "/api/v1/follow-ups?order=1",
    ] {
        let r = t.api("GET", bad, Some("auditor"), None).await;
        let r = if r.status == StatusCode::FORBIDDEN {
            t.api("GET", bad, Some("sek"), None).await
        } else {
            r
        };
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.json()["error"]["fields"][0]["field"], "order", "{bad}");
    }
    // The pages: each sortable header links to the other order and says
    // which order is shown.
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    for (uri, shown, link) in [
        ("/courses", "descending", "order=asc"),
        ("/courses?order=asc", "ascending", "href=\"/courses\""),
        ("/follow-ups", "ascending", "order=desc"),
        (
            "/follow-ups?order=desc",
            "descending",
            "href=\"/follow-ups\"",
        ),
    ] {
        let p = t.page(uri, &cookie).await;
        assert_eq!(p.status, StatusCode::OK, "{uri}");
        let th = &p.text[p.text.find("aria-sort").unwrap()..];
        assert!(th.starts_with(&format!("aria-sort=\"{shown}\"")), "{uri}");
        assert!(th[..200].contains(link), "{uri}: {}", &th[..200]);
    }
    // The page's "next" carries the cursor of its last row.
    let listed = t.page("/courses", &cookie).await;
    assert!(!listed.text.contains("cursor="), "one page: no next");
    let page = t.page("/follow-ups?order=desc", &cookie).await;
    let at = |c: &str| page.text.find(&format!("/courses/{c}\"")).unwrap();
    assert!(at(&courses[2]) < at(&courses[0]));
    // Every list read leaves a row: enough for more than one page of 100.
    for _ in 0..100 {
        t.api("GET", "/api/v1/courses?per_page=1", Some("sek"), None)
            .await;
    }
    let (_, cookie) = t.login("auditor", common::PASSWORD).await;
    let p = t.page("/audit?order=asc", &cookie).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("aria-sort=\"ascending\""));
    assert!(p.text.contains("<td data-label=\"#\">1</td>"));
    assert!(
        p.text.contains("order=asc&#38;after=100\""),
        "the next page continues after the last row shown: {}",
        &p.text[p.text.len().saturating_sub(600)..]
    );
}
