//! Every page every role can reach: a crawler signs in as each role, starts
//! at `/`, follows every local link, and checks each page's markup: no id used
//! twice, every in-page link, label and description pointing at an id that
//! exists, no server error. Then each role's home page, the administrator's
//! user management, and a failed form on the course page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashSet, VecDeque};

use axum::http::StatusCode;
use common::{PASSWORD, T};
use serde_json::json;

/// Values of `attr="…"` in a page.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        if let Some(j) = rest.find('"') {
            out.push(rest[..j].to_string());
            rest = &rest[j..];
        }
    }
    out
}

/// What is wrong with a page's ids, or nothing.
fn id_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let ids = attrs(html, "id");
    let mut seen = HashSet::new();
    for id in &ids {
        if !seen.insert(id.clone()) {
            problems.push(format!("id {id} used twice"));
        }
    }
    for href in attrs(html, "href") {
        if let Some(target) = href.strip_prefix('#')
            && !target.is_empty()
            && !seen.contains(target)
        {
            problems.push(format!("link to #{target}, which does not exist"));
        }
    }
    for f in attrs(html, "for") {
        if !seen.contains(&f) {
            problems.push(format!("label for {f}, which does not exist"));
        }
    }
    for d in attrs(html, "aria-describedby") {
        for part in d.split_whitespace() {
            if !seen.contains(part) {
                problems.push(format!("aria-describedby {part}, which does not exist"));
            }
        }
    }
    problems
}

/// Pages reachable by GET from `/` for a signed-in user (at most `limit`).
async fn crawl(t: &T, cookie: &str, limit: usize) -> Vec<(String, StatusCode, String)> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut out = Vec::new();
    while let Some(uri) = queue.pop_front() {
        if out.len() >= limit || !seen.insert(uri.clone()) {
            continue;
        }
        let mut r = t.page(&uri, cookie).await;
        let mut at = uri.clone();
        for _ in 0..3 {
            if !r.status.is_redirection() {
                break;
            }
            at = r.header("location");
            r = t.page(&at, cookie).await;
        }
        for href in attrs(&r.text, "href") {
            let href = href.replace("&#38;", "&").replace("&amp;", "&");
            if href.starts_with('/')
                && !href.starts_with("/assets/")
                && !href.starts_with("/lang/")
                && !href.starts_with("/api/")
                && !href.starts_with("//")
            {
                queue.push_back(href);
            }
        }
        out.push((at, r.status, r.text));
    }
    out
}

/// A small world: a concern with two persons on a meeting's agenda, a
/// mentor with a course and a contact, a follow-up list.
async fn world(t: &T) -> (String, String) {
    let r = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("sek"),
            Some(json!({
                "channel": "hotline", "immediate_danger": true,
                "reporter": {"kind": "professional", "organisation": "Skole (test)"},
                "persons": [
                    {"name": "Søren Østergård", "birth": "2009-04-05", "district": "Valby"},
                    {"name": "Ida Holm", "birth": "2010"}
                ],
                "description": "Fiktiv bekymring til sidetest.",
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let concern = r.json()["id"].as_str().unwrap().to_string();
    let c = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{concern}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let person = c["persons"][0]["id"].as_str().unwrap().to_string();
    let mid = t.meeting(1, &["vink", "ssp"]).await;
    t.put_on_agenda(&mid, &concern).await;
    let member = t.api("POST", "/api/v1/corps", Some("sek"), Some(json!({
        "name": "Mads (fiktiv)", "kind": "mentor", "username": "mentor", "languages": ["dansk"],
        "specialties": ["mentor"], "districts": ["Valby"], "max_caseload": 4
    }))).await;
    let member = member.json()["id"].as_str().unwrap().to_string();
    let course = t
        .api("POST", "/api/v1/courses", Some("sek"), Some(json!({
            "person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp",
            "direct_reason": "Henvist direkte af SSP (fiktivt)"
        })))
        .await;
    assert_eq!(course.status, StatusCode::CREATED, "{}", course.text);
    let course = course.json()["id"].as_str().unwrap().to_string();
    t.api(
        "PUT",
        &format!("/api/v1/courses/{course}/assignment"),
        Some("sek"),
        Some(json!({"corps_member_id": member})),
    )
    .await;
    (concern, course)
}

#[tokio::test]
async fn every_page_of_every_role_has_unique_ids_and_no_dangling_references() {
    let t = common::setup().await;
    let (concern, course) = world(&t).await;
    for user in ["sek", "ssp", "mentor", "analyst", "admin", "auditor"] {
        let (_, cookie) = t.login(user, PASSWORD).await;
        let mut pages = crawl(&t, &cookie, 60).await;
        // Pages the links may not reach: the record pages and a search.
        for extra in [
            format!("/concerns/{concern}"),
            format!("/courses/{course}"),
            "/search?q=s%C3%B8ren".to_string(),
            "/audit/persons".to_string(),
        ] {
            let r = t.page(&extra, &cookie).await;
            pages.push((extra, r.status, r.text));
        }
        assert!(pages.len() >= 3, "{user}: {} pages", pages.len());
        for (uri, status, html) in &pages {
            assert!(
                !status.is_server_error() && *status != StatusCode::NOT_FOUND,
                "{user} {uri}: {status}"
            );
            let problems = id_problems(html);
            assert!(problems.is_empty(), "{user} {uri}: {problems:?}");
        }
        // The crawl starts at the role's home, which the role can use.
        assert_eq!(pages[0].1, StatusCode::OK, "{user}'s home {}", pages[0].0);
    }
}

#[tokio::test]
async fn every_role_lands_on_a_home_page_with_its_work() {
    let t = common::setup().await;
    let (concern, course) = world(&t).await;
    // Log a contact as the mentor, so their home shows it.
    let r = t.api("POST", &format!("/api/v1/courses/{course}/contacts"), Some("mentor"),
        Some(json!({"on": vink_domain::concern::local_date(jiff::Timestamp::now()).to_string(), "minutes": 45, "form": "meeting"}))).await;
    // A planned course takes no contact yet: start it first when refused.
    if r.status != StatusCode::CREATED {
        let s = t
            .api(
                "POST",
                &format!("/api/v1/courses/{course}/consent"),
                Some("sek"),
                Some(json!({"consent_on": vink_domain::concern::local_date(jiff::Timestamp::now()).to_string()})),
            )
            .await;
        assert!(s.status.is_success(), "{}", s.text);
        let s = t
            .api(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                Some("sek"),
                Some(json!({"to": "active"})),
            )
            .await;
        assert!(s.status.is_success(), "{}", s.text);
        let r = t.api("POST", &format!("/api/v1/courses/{course}/contacts"), Some("mentor"),
            Some(json!({"on": vink_domain::concern::local_date(jiff::Timestamp::now()).to_string(), "minutes": 45, "form": "meeting"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let home = |user: &'static str| {
        let t = &t;
        async move {
            let (_, cookie) = t.login(user, PASSWORD).await;
            let first = t.page("/", &cookie).await;
            assert_eq!(first.status, StatusCode::SEE_OTHER, "{user}");
            let at = first.header("location");
            let page = t.page(&at, &cookie).await;
            assert_eq!(page.status, StatusCode::OK, "{user} at {at}");
            (at, page.text)
        }
    };
    let (at, html) = home("sek").await;
    assert_eq!(at, "/dashboard");
    assert!(html.contains("data-count=\"danger\""));
    assert!(html.contains("href=\"/concerns?danger=true\""));
    assert!(
        html.contains(&format!("href=\"/concerns/{concern}\"")),
        "the urgent list names the concern in immediate danger"
    );
    let (at, html) = home("ssp").await;
    assert_eq!(at, "/dashboard");
    assert!(html.contains(&format!("href=\"/concerns/{concern}\"")));
    let (at, html) = home("mentor").await;
    assert_eq!(at, "/dashboard");
    assert!(html.contains(&format!("href=\"/courses/{course}\"")));
    assert!(html.contains("data-contact"), "recent contacts");
    let (at, html) = home("analyst").await;
    assert_eq!(at, "/key-figures");
    assert!(
        html.contains("Nøgletal"),
        "the analyst's work: the key figures"
    );
    let (at, html) = home("admin").await;
    assert_eq!(at, "/users");
    assert!(html.contains("data-user=\"sek\""));
    let (at, html) = home("auditor").await;
    assert_eq!(at, "/audit");
    assert!(html.contains("href=\"/audit/persons\""));
    // The auditor's per-person report for the concern's first person.
    let c = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{concern}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let person = c["persons"][0]["id"].as_str().unwrap();
    let (_, cookie) = t.login("auditor", PASSWORD).await;
    let r = t
        .page(&format!("/audit/persons?person={person}"), &cookie)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("data-access"), "rows about the person");
    let bad = t.page("/audit/persons?person=nope", &cookie).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("href=\"#f-person\""));
}

#[tokio::test]
async fn the_administrator_manages_users_in_the_ui() {
    let t = common::setup().await;
    let (_, cookie) = t.login("admin", PASSWORD).await;
    let page = t.page("/users", &cookie).await;
    let csrf = T::csrf_of(&page);
    // A bad form comes back with its errors, the password not echoed.
    let bad = t
        .post_form(
            "/users",
            &cookie,
            &[
                ("csrf", &csrf),
                ("username", "ny bruger"),
                ("role", ""),
                ("password", "kort"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("<title>Fejl:"));
    assert!(bad.text.contains("href=\"#f-new-username\""));
    assert!(!bad.text.contains("value=\"kort\""));
    let ok = t
        .post_form(
            "/users",
            &cookie,
            &[
                ("csrf", &csrf),
                ("username", "kirsten"),
                ("display_name", "Kirsten (fiktiv)"),
                ("role", "coordination_unit"),
                ("agency", "ssp"),
                ("password", "en lang nok adgangskode"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(ok.header("location"), "/users/kirsten");
    let flash = ok.header("set-cookie");
    let cookie2 = format!("{cookie}; {}", flash.split(';').next().unwrap());
    let shown = t.page("/users/kirsten", &cookie2).await;
    assert!(shown.text.contains("Brugeren er oprettet"), "confirmation");
    // The new user logs in with the password they were given.
    assert_eq!(
        t.login("kirsten", "en lang nok adgangskode").await.0.status,
        StatusCode::SEE_OTHER
    );
    // Role change, password reset, a token (shown once), disable.
    let r = t
        .post_form(
            "/users/kirsten/role",
            &cookie,
            &[("csrf", &csrf), ("role", "mentor"), ("agency", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = t
        .post_form(
            "/users/kirsten/password",
            &cookie,
            &[("csrf", &csrf), ("password", "en helt ny adgangskode")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        t.login("kirsten", "en lang nok adgangskode").await.0.status,
        StatusCode::UNAUTHORIZED
    );
    let r = t
        .post_form("/users/kirsten/tokens", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let token = r.text.split("vink_").nth(1).unwrap()[..64].to_string();
    let api = axum::http::Request::get("/api/v1/courses")
        .header("authorization", format!("Bearer vink_{token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(t.send(api).await.status, StatusCode::OK, "a mentor's token");
    let r = t
        .post_form("/users/kirsten/disable", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.login("kirsten", "en helt ny adgangskode").await.0.status,
        StatusCode::UNAUTHORIZED
    );
    // An administrator cannot lock themselves out.
    let r = t
        .post_form("/users/admin/disable", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Every change is in the audit log with its note.
    let notes: Vec<String> = t
        .audit_all()
        .await
        .into_iter()
        .filter(|r| r.action == "user.manage" && r.outcome == "allowed")
        .filter_map(|r| r.reason)
        .collect();
    for n in [
        "created",
        "role_changed",
        "password_reset",
        "token_issued",
        "disabled",
    ] {
        assert!(notes.iter().any(|x| x == n), "{n} in {notes:?}");
    }
}

#[tokio::test]
async fn a_failed_course_form_keeps_its_values_and_errors_to_itself() {
    let t = common::setup().await;
    let (_, course) = world(&t).await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let page = t.page(&format!("/courses/{course}"), &cookie).await;
    assert!(
        id_problems(&page.text).is_empty(),
        "{:?}",
        id_problems(&page.text)
    );
    let csrf = T::csrf_of(&page);
    // A baseline assessment with a bad date: the five ratings come back.
    let mut form = vec![
        ("csrf".to_string(), csrf.clone()),
        ("point".to_string(), "baseline".to_string()),
        ("on".to_string(), "31.02.2026".to_string()),
    ];
    for area in [
        "education_employment",
        "housing",
        "social_network",
        "wellbeing",
        "extremist_contact",
    ] {
        form.push((format!("rating.{area}"), "4".into()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = t
        .post_form(&format!("/courses/{course}/assessments"), &cookie, &form)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        id_problems(&r.text).is_empty(),
        "{:?}",
        id_problems(&r.text)
    );
    assert!(r.text.contains("<title>Fejl:"));
    assert!(r.text.contains("href=\"#f-assessment-on\""));
    assert_eq!(r.text.matches("<option value=\"4\" selected>").count(), 5);
    assert_eq!(r.text.matches("aria-invalid=\"true\"").count(), 1);
    // The contact form is blank: its date field has no value and no error.
    let contact = r.text.split("id=\"f-contact-on\"").nth(1).unwrap();
    let tag_end = contact.find('>').unwrap();
    assert!(
        contact[..tag_end].contains("value=\"\""),
        "{}",
        &contact[..tag_end]
    );
}

#[tokio::test]
async fn each_person_of_a_concern_can_get_a_course_and_the_police_handover_is_confirmed() {
    let t = common::setup().await;
    let r = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("sek"),
            Some(json!({
                "channel": "hotline",
                "reporter": {"kind": "professional", "organisation": "Skole (test)"},
                "persons": [{"name": "Bror Fiktiv", "birth": "2008"}, {"name": "Søster Fiktiv", "birth": "2010-02-03"}],
                "description": "To søskende (fiktivt).",
            })),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    for body in [
        json!({"to": "screening"}),
        json!({"to": "before_unit"}),
        json!({"to": "decided", "decision": "founded_local_action", "programme_kind": "mentor"}),
    ] {
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
    let c = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await
        .json();
    let (brother, sister) = (
        c["persons"][0]["id"].as_str().unwrap().to_string(),
        c["persons"][1]["id"].as_str().unwrap().to_string(),
    );
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let page = t.page(&format!("/concerns/{id}"), &cookie).await;
    let csrf = T::csrf_of(&page);
    assert!(page.text.contains(&format!("value=\"{brother}\"")));
    assert!(page.text.contains(&format!("value=\"{sister}\"")));
    assert!(page.text.contains("03.02.2010"), "Danish birth date");
    // No person picked for the user: choosing none is an error on the form.
    let none = t
        .post_form(
            "/courses",
            &cookie,
            &[
                ("csrf", &csrf),
                ("concern_id", &id),
                ("prevention_level", "pre_emptive"),
            ],
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text.contains("href=\"#f-start-person-id\""));
    assert!(
        id_problems(&none.text).is_empty(),
        "{:?}",
        id_problems(&none.text)
    );
    let start = |person: String| {
        let (t, cookie, csrf, id) = (&t, cookie.clone(), csrf.clone(), id.clone());
        async move {
            t.post_form(
                "/courses",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("concern_id", &id),
                    ("person_id", &person),
                    ("prevention_level", "pre_emptive"),
                    ("agency", "ssp"),
                ],
            )
            .await
        }
    };
    let r = start(sister.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = t.page(&format!("/concerns/{id}"), &cookie).await;
    assert!(page.text.contains(&format!("data-course-of=\"{sister}\"")));
    assert!(
        !page.text.contains(&format!("value=\"{sister}\"")),
        "no second start offered"
    );
    assert_eq!(start(sister.clone()).await.status, StatusCode::CONFLICT);
    assert_eq!(start(brother.clone()).await.status, StatusCode::SEE_OTHER);
    let page = t.page(&format!("/concerns/{id}"), &cookie).await;
    assert!(
        page.text
            .contains("Alle personer i henvendelsen har et forløb")
    );

    // The police handover: a note and a ticked confirmation, or nothing.
    let danger = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("sek"),
            Some(json!({
                "channel": "hotline", "immediate_danger": true,
                "reporter": {"kind": "anonymous"},
                "persons": [{"name": "Akut Fiktiv"}],
                "description": "Akut (fiktivt).",
            })),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/concerns/{danger}/transition");
    let police = [
        ("csrf", csrf.as_str()),
        ("form", "police"),
        ("to", "decided"),
        ("decision", "handed_to_police"),
    ];
    let r = t.post_form(&url, &cookie, &police).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("href=\"#f-police-confirm\"")
            && r.text.contains("href=\"#f-police-reason\"")
    );
    let mut with_note = police.to_vec();
    with_note.push(("reason", "Politiet orienteret kl. 10 (fiktivt)"));
    let r = t.post_form(&url, &cookie, &with_note).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not confirmed");
    with_note.push(("confirm", "yes"));
    let r = t.post_form(&url, &cookie, &with_note).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let c = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{danger}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert_eq!(c["decision"], "handed_to_police");
}

#[tokio::test]
async fn a_meeting_shows_who_and_how_urgent_and_keeps_each_items_input_to_itself() {
    let t = common::setup().await;
    let (concern, _) = world(&t).await;
    // A second concern on a meeting five days away: past its 48-hour deadline.
    let late = t.concern(None).await;
    let mid = t.meeting(5, &["vink", "ssp"]).await;
    for c in [late.to_string(), concern.clone()] {
        t.put_on_agenda(&mid, &c).await;
    }
    let (_, cookie) = t.login("ssp", PASSWORD).await;
    let page = t.page(&format!("/meetings/{mid}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Søren Østergård"), "the person");
    assert!(page.text.contains("og 1 til"), "and one more");
    assert!(
        page.text.contains("Fiktiv bekymring til sidetest"),
        "the summary"
    );
    assert!(page.text.contains("data-clock"));
    assert!(
        page.text
            .contains("Visitationsfristen udløber før dette møde")
    );
    assert!(
        page.text.contains("Der er ikke skrevet referat endnu"),
        "empty minutes"
    );
    assert!(
        id_problems(&page.text).is_empty(),
        "{:?}",
        id_problems(&page.text)
    );
    let csrf = T::csrf_of(&page);
    // One item's failed recommendation: its text is kept, the other item's
    // form is untouched, and the ids stay unique.
    let long = "x".repeat(5_000);
    let r = t
        .post_form(
            &format!("/meetings/{mid}/agenda/{concern}"),
            &cookie,
            &[("csrf", &csrf), ("recommendation", &long)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        id_problems(&r.text).is_empty(),
        "{:?}",
        id_problems(&r.text)
    );
    assert!(
        r.text
            .contains(&format!("href=\"#f-rec-{concern}-recommendation\""))
    );
    assert_eq!(
        r.text.matches(&long).count(),
        1,
        "kept once, in its own form"
    );
    let ok = t
        .post_form(
            &format!("/meetings/{mid}/agenda/{concern}"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("recommendation", "Mentorforløb anbefales (fiktivt)"),
                ("acting_agency", "ssp"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let page = t.page(&format!("/meetings/{mid}"), &cookie).await;
    assert!(page.text.contains("data-recommendation"));
}

#[tokio::test]
async fn a_missing_page_keeps_the_navigation_and_the_language_switch_returns() {
    let t = common::setup().await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let r = t.page("/no/such/page", &cookie).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("href=\"/concerns\""), "navigation kept");
    let anon = t.page("/no/such/page", "").await;
    assert_eq!(anon.status, StatusCode::NOT_FOUND);
    assert!(!anon.text.contains("href=\"/concerns\""));
    // The switch goes back to the page it was clicked on (same site only).
    let req = axum::http::Request::get("/lang/en")
        .header("cookie", &cookie)
        .header("host", "vink.test")
        .header("referer", "http://vink.test/concerns?due=overdue")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.header("location"), "/concerns?due=overdue");
    let req = axum::http::Request::get("/lang/en")
        .header("host", "vink.test")
        .header("referer", "http://evil.example/x")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(t.send(req).await.header("location"), "/");
}

#[tokio::test]
async fn the_auditor_filters_the_log_by_actor_action_and_period_in_danish() {
    let t = common::setup().await;
    let (concern, _) = world(&t).await;
    let (_, sek) = t.login("sek", PASSWORD).await;
    t.page(&format!("/concerns/{concern}"), &sek).await;
    t.page("/search?q=s%C3%B8ren", &sek).await;
    let (_, cookie) = t.login("auditor", PASSWORD).await;
    let today = vink_domain::concern::local_date(jiff::Timestamp::now());
    let dk = today.strftime("%d.%m.%Y").to_string();
    let page = t
        .page(
            &format!("/audit?actor=sek&action=search.run&from={dk}&to={dk}"),
            &cookie,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text.matches("<td data-label=\"#\">").count(),
        1,
        "one search"
    );
    assert!(page.text.contains("Søgte"), "the action in Danish");
    assert!(page.text.contains("sek (test)"), "the actor by name");
    assert!(!page.text.contains("search.run</"), "no code shown as text");
    assert!(
        id_problems(&page.text).is_empty(),
        "{:?}",
        id_problems(&page.text)
    );
    // A period that ended yesterday has none of today's rows.
    let yesterday = today.yesterday().unwrap().strftime("%d.%m.%Y").to_string();
    let none = t
        .page(
            &format!("/audit?action=concern.read&to={yesterday}"),
            &cookie,
        )
        .await;
    assert!(none.text.contains("Ingen registreringer passer"));
    let bad = t.page("/audit?action=nope&from=31.02.2026", &cookie).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("href=\"#f-action\"") && bad.text.contains("href=\"#f-from\""));
    // The API takes the same filters.
    let r = t
        .api(
            "GET",
            "/api/v1/audit?action=concern.read&actor=sek",
            Some("auditor"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rows = r.json();
    assert!(!rows.as_array().unwrap().is_empty());
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|x| x["action"] == "concern.read" && x["actor_name"] == "sek (test)")
    );
}

#[tokio::test]
async fn pages_and_assets_are_compressed_and_assets_are_versioned_for_long_caching() {
    let t = common::setup().await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let req = |uri: &str, enc: &str| {
        axum::http::Request::get(uri)
            .header("cookie", &cookie)
            .header("accept-encoding", enc)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let page = t.send(req("/dashboard", "br, gzip")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-encoding"), "br");
    let plain = t.page("/dashboard", &cookie).await;
    let css = attrs(&plain.text, "href")
        .into_iter()
        .find(|h| h.ends_with("/vink.css"))
        .unwrap();
    assert!(css.starts_with("/assets/v-"), "{css}");
    let r = t.send(req(&css, "gzip")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), "gzip");
    assert!(r.header("cache-control").contains("immutable"));
    // The old, unversioned address still works, but is not cached for long.
    let old = t.send(req("/assets/vink.css", "")).await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(old.header("cache-control"), "public, max-age=300");
    // A font the versioned CSS refers to resolves under the same prefix.
    let font = css.replace(
        "vink.css",
        "dkfds/fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2",
    );
    let f = t.send(req(&font, "")).await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.header("content-type"), "font/woff2");
}

#[tokio::test]
async fn a_suggested_match_can_be_dismissed_as_not_the_same_person() {
    let t = common::setup().await;
    let mk = || async {
        let r = t
            .api(
                "POST",
                "/api/v1/concerns",
                Some("sek"),
                Some(json!({
                    "channel": "hotline",
                    "reporter": {"kind": "anonymous"},
                    "persons": [{"name": "Lis Lige", "birth": "2008-08-08"}],
                    "description": "Samme navn (fiktivt).",
                })),
            )
            .await;
        r.json()["id"].as_str().unwrap().to_string()
    };
    let _first = mk().await;
    let second = mk().await;
    let c = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{second}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let person = c["persons"][0]["id"].as_str().unwrap().to_string();
    let other = c["persons"][0]["matches"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let page = t.page(&format!("/concerns/{second}"), &cookie).await;
    assert!(page.text.contains("Ikke samme person"));
    let csrf = T::csrf_of(&page);
    let r = t
        .post_form(
            &format!("/concerns/{second}/distinct"),
            &cookie,
            &[("csrf", &csrf), ("person", &person), ("other", &other)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let c = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{second}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    assert!(c["persons"][0]["matches"].as_array().unwrap().is_empty());
    let again = t
        .api(
            "POST",
            &format!("/api/v1/concerns/{second}/distinct-persons"),
            Some("sek"),
            Some(json!({"person": person, "other": other})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        c["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "persons_distinct")
    );
}

#[tokio::test]
async fn list_filters_live_in_the_address_and_narrow_every_list() {
    let t = common::setup().await;
    let (concern, _) = world(&t).await;
    let r = t
        .api(
            "POST",
            "/api/v1/concerns",
            Some("sek"),
            Some(json!({
                "channel": "email",
                "reporter": {"kind": "anonymous"},
                "persons": [{"name": "Mail Fiktiv"}],
                "description": "Via e-mail (fiktivt).",
            })),
        )
        .await;
    let by_mail = r.json()["id"].as_str().unwrap().to_string();
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let today = vink_domain::concern::local_date(jiff::Timestamp::now())
        .strftime("%d.%m.%Y")
        .to_string();
    let page = t
        .page(
            &format!("/concerns?channel=email&received_from={today}&received_to={today}"),
            &cookie,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("/concerns/{by_mail}")));
    assert!(!page.text.contains(&format!("/concerns/{concern}\"")));
    assert!(
        page.text.contains("<option value=\"email\" selected>"),
        "the filter is kept"
    );
    let danger = t.page("/concerns?danger=true", &cookie).await;
    assert!(danger.text.contains(&format!("/concerns/{concern}")));
    assert!(!danger.text.contains(&format!("/concerns/{by_mail}")));
    let bad = t.page("/concerns?received_from=31.02.2026", &cookie).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("href=\"#f-received-from\""));
    // Courses by kind and agency, follow-ups by kind, the corps by language.
    let courses = t.page("/courses?kind=mentor&agency=ssp", &cookie).await;
    assert_eq!(courses.status, StatusCode::OK);
    assert!(courses.text.contains("Søren Østergård"));
    let none = t.page("/courses?kind=exit", &cookie).await;
    assert!(!none.text.contains("Søren Østergård"));
    assert_eq!(
        t.page("/follow-ups?kind=risk", &cookie).await.status,
        StatusCode::OK
    );
    let corps = t.page("/corps?language=dansk&free=1", &cookie).await;
    assert!(corps.text.contains("Mads (fiktiv)"));
    let corps = t.page("/corps?language=tigrinya", &cookie).await;
    assert!(!corps.text.contains("Mads (fiktiv)"));
    for uri in [
        "/concerns?channel=email",
        "/courses?kind=mentor",
        "/corps?language=dansk",
        "/follow-ups?kind=risk",
    ] {
        let p = t.page(uri, &cookie).await;
        assert!(
            id_problems(&p.text).is_empty(),
            "{uri}: {:?}",
            id_problems(&p.text)
        );
    }
}

#[tokio::test]
async fn immediate_danger_comes_first_in_the_concern_list() {
    let t = common::setup().await;
    let (concern, course) = world(&t).await;
    // Later concerns with earlier deadlines do not push the danger case down.
    for _ in 0..3 {
        t.concern(None).await;
    }
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let list = t.page("/concerns", &cookie).await;
    let first = list.text.find(&format!("/concerns/{concern}")).unwrap();
    let urgent = list.text.find("data-urgent").unwrap();
    assert!(
        urgent < first + 200,
        "the danger case is in the box at the top"
    );
    assert!(list.text.find("<table").unwrap() > urgent);
    // The course page links back to its list; the concern to its meeting.
    let page = t.page(&format!("/courses/{course}"), &cookie).await;
    assert!(page.text.contains("href=\"/courses\""));
    let page = t.page(&format!("/concerns/{concern}"), &cookie).await;
    assert!(
        page.text.contains("href=\"/meetings/"),
        "a link to the meeting"
    );
}

#[tokio::test]
async fn the_concern_list_sorts_by_deadline_or_by_receipt() {
    let t = common::setup().await;
    // Received 10 and 30 hours ago: the older has the nearer deadline.
    let older = t
        .concern(Some(
            &(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30)).to_string(),
        ))
        .await;
    let newer = t
        .concern(Some(
            &(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(10)).to_string(),
        ))
        .await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let at = |html: &str, id: &uuid::Uuid| html.find(&format!("/concerns/{id}\"")).unwrap();
    let by_deadline = t.page("/concerns", &cookie).await;
    assert!(at(&by_deadline.text, &older) < at(&by_deadline.text, &newer));
    let th = by_deadline.text.find("<thead>").unwrap();
    assert!(
        by_deadline.text[th..].contains("sort=received"),
        "{}",
        &by_deadline.text[th..th + 800]
    );
    let by_receipt = t.page("/concerns?sort=received", &cookie).await;
    assert_eq!(by_receipt.status, StatusCode::OK);
    assert!(at(&by_receipt.text, &newer) < at(&by_receipt.text, &older));
    assert!(by_receipt.text.contains("aria-sort=\"descending\""));
    let api = t
        .api("GET", "/api/v1/concerns?sort=received", Some("sek"), None)
        .await
        .json();
    assert_eq!(api["items"][0]["id"], newer.to_string());
    let bad = t
        .api(
            "GET",
            "/api/v1/concerns?sort=received&due=overdue",
            Some("sek"),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The list by receipt links its next and previous pages by cursor, as the
/// list by deadline does; a page number too deep answers the form's error
/// summary with the way on.
#[tokio::test]
async fn the_list_by_receipt_links_its_pages_by_cursor() {
    let t = common::setup().await;
    for _ in 0..26 {
        t.concern(None).await;
    }
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let href_of = |html: &str, label: &str| -> String {
        let nav = &html[html.find("vink-pager").unwrap()..];
        let end = nav
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {nav}"));
        let start = nav[..end].rfind("href=\"").unwrap() + 6;
        let href = &nav[start..];
        href[..href.find('"').unwrap()]
            .replace("&#38;", "&")
            .replace("&amp;", "&")
    };
    let p1 = t.page("/concerns?sort=received", &cookie).await;
    assert_eq!(p1.status, StatusCode::OK);
    let next = href_of(&p1.text, "</a>");
    assert!(
        next.contains("sort=received") && next.contains("cursor=r."),
        "{next}"
    );
    let p2 = t.page(&next, &cookie).await;
    assert_eq!(p2.status, StatusCode::OK);
    let rows = |html: &str| -> Vec<String> {
        let body = &html[html.find("<tbody").unwrap()..html.find("</tbody>").unwrap()];
        body.split("href=\"/concerns/")
            .skip(1)
            .map(|r| r[..36].to_string())
            .collect()
    };
    let (first, second) = (rows(&p1.text), rows(&p2.text));
    assert_eq!(first.len(), 25);
    assert!(
        !second.is_empty() && second.iter().all(|r| !first.contains(r)),
        "{next}: {first:?} {second:?}"
    );
    let prev = href_of(&p2.text, "</a>");
    assert!(prev.contains("before=r."), "{prev}");
    let back = t.page(&prev, &cookie).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(rows(&back.text), first);
    let deep = t.page("/concerns?page=401", &cookie).await;
    assert_eq!(deep.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(deep.text.contains("error-summary"), "{}", deep.text);
}

#[tokio::test]
async fn a_meeting_read_is_in_the_access_report_of_every_person_on_its_agenda() {
    let t = common::setup().await;
    let (concern, _) = world(&t).await;
    let c = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{concern}"),
            Some("sek"),
            None,
        )
        .await
        .json();
    let person = c["persons"][0]["id"].as_str().unwrap().to_string();
    let m = t
        .api("GET", "/api/v1/meetings", Some("ssp"), None)
        .await
        .json();
    let mid = m["items"][0]["id"].as_str().unwrap().to_string();
    let (_, cookie) = t.login("ssp", PASSWORD).await;
    assert_eq!(
        t.page(&format!("/meetings/{mid}"), &cookie).await.status,
        StatusCode::OK
    );
    let report = t
        .api(
            "GET",
            &format!("/api/v1/audit/persons/{person}"),
            Some("auditor"),
            None,
        )
        .await
        .json();
    let shown = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "meeting.read" && e["reason"] == "shown")
        .count();
    assert_eq!(shown, 1, "{report}");
    assert!(
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor_agency"] == "ssp")
    );
}

#[tokio::test]
async fn the_corps_sorts_by_name_or_by_free_capacity() {
    let t = common::setup().await;
    for (name, max) in [("Anna (fiktiv)", 1), ("Bo (fiktiv)", 9)] {
        let r = t.api("POST", "/api/v1/corps", Some("sek"), Some(json!({
            "name": name, "kind": "mentor", "languages": ["dansk"], "specialties": ["mentor"],
            "districts": ["Valby"], "max_caseload": max
        }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let by_name = t.page("/corps", &cookie).await;
    assert!(by_name.text.find("Anna (fiktiv)") < by_name.text.find("Bo (fiktiv)"));
    let by_free = t.page("/corps?sort=free", &cookie).await;
    assert!(by_free.text.find("Bo (fiktiv)") < by_free.text.find("Anna (fiktiv)"));
    assert!(by_free.text.contains("aria-sort=\"descending\""));
}
