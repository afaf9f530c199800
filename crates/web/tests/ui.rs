//! The server-rendered UI and the public form in-process: log-in, CSRF, per-field
//! errors that keep the input, language switch, and the public report's guards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, T};

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_wrong_passwords_are_refused() {
    let t = common::setup().await;
    let (bad, cookie) = t.login("sek", "wrong password").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_empty());
    assert!(bad.text.contains("Forkert brugernavn eller adgangskode"));
    let (ok, cookie) = t.login("sek", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let set = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("vink_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let dash = t.page("/dashboard", &cookie).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.text.contains("Overblik over visitationen"));
    // Without a session the UI sends you to log in.
    let anon = t.page("/dashboard", "").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.header("location").starts_with("/login"));
    // Log-out ends the session.
    let csrf = T::csrf_of(&dash);
    assert_eq!(
        t.post_form("/logout", &cookie, &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        t.page("/dashboard", &cookie).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_account() {
    let t = common::setup().await;
    for _ in 0..5 {
        assert_eq!(
            t.login("ssp", "wrong password").await.0.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let (r, cookie) = t.login("ssp", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(cookie.is_empty());
    // Another account is not affected.
    assert_eq!(
        t.login("sek", PASSWORD).await.0.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn idle_sessions_end() {
    let config = vink_app::Config {
        idle_timeout: jiff::SignedDuration::from_millis(300),
        ..Default::default()
    };
    let t = common::setup_with(config).await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    assert_eq!(t.page("/dashboard", &cookie).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        t.page("/dashboard", &cookie).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn forms_need_the_csrf_token() {
    let t = common::setup().await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let r = t
        .post_form(
            "/concerns",
            &cookie,
            &[("channel", "hotline"), ("description", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post_form(
            "/concerns",
            &cookie,
            &[("csrf", &"0".repeat(64)), ("channel", "hotline")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.concern_count().await, 0);
}

#[tokio::test]
async fn the_intake_form_keeps_input_and_shows_errors_beside_fields() {
    let t = common::setup().await;
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let form = t.page("/concerns/new", &cookie).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = T::csrf_of(&form);
    let r = t
        .post_form(
            "/concerns",
            &cookie,
            &[
                ("csrf", &csrf),
                ("channel", "hotline"),
                ("reporter.kind", "professional"),
                ("reporter.organisation", "Skole Øst"),
                ("persons[0].name", "Ida Fiktiv"),
                ("persons[0].birth", "2009-02-30"),
                ("persons[0].district", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("value=\"Skole Øst\""), "input kept");
    assert!(r.text.contains("value=\"Ida Fiktiv\""));
    assert!(
        r.text.contains("Skriv datoen som dd.mm.åååå"),
        "birth error shown"
    );
    assert!(
        r.text.contains("id=\"f-description-error\""),
        "description error beside the field"
    );
    assert!(
        r.text.contains("href=\"#f-persons-0-birth\""),
        "summary links to the field"
    );
    assert_eq!(t.concern_count().await, 0);
    let r = t
        .post_form(
            "/concerns",
            &cookie,
            &[
                ("csrf", &csrf),
                ("channel", "email"),
                ("reporter.kind", "anonymous"),
                ("persons[0].name", "Ida Fiktiv"),
                ("persons[0].birth", "2009-02-03"),
                ("persons[1].name", ""),
                ("persons[1].birth", ""),
                ("persons[1].district", ""),
                ("description", "Fiktiv bekymring"),
                ("immediate_danger", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let detail = t.page(&r.header("location"), &cookie).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.text.contains("Ida Fiktiv") && detail.text.contains("Mindreårig"));
    assert!(
        detail.text.contains("Overdrag til politiet"),
        "danger offers the police hand-over"
    );
    assert_eq!(t.concern_count().await, 1);
}

#[tokio::test]
async fn pages_by_role_and_language() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let (_, sek) = t.login("sek", PASSWORD).await;
    let list = t.page("/concerns", &sek).await;
    assert!(list.text.contains("Testperson Fiktiv") && list.text.contains("tilbage"));
    let detail = t.page(&format!("/concerns/{id}"), &sek).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.text.contains("Historik"));
    let (_, mentor) = t.login("mentor", PASSWORD).await;
    let refused = t.page(&format!("/concerns/{id}"), &mentor).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.text.contains("Testperson"));
    let dash = t.page("/dashboard", &mentor).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.text.contains("Mine forløb") && !dash.text.contains("Testperson"));
    let reads: Vec<_> = t
        .audit_of(id)
        .await
        .into_iter()
        .map(|r| (r.action, r.outcome))
        .collect();
    assert!(reads.contains(&("concern.read".into(), "denied".into())));
    assert_eq!(
        reads
            .iter()
            .filter(|(a, o)| a == "concern.read" && o == "allowed")
            .count(),
        1,
        "one row per page read"
    );
    // English by the switch.
    let sw = t.page("/lang/en?next=/dashboard", &sek).await;
    assert_eq!(sw.status, StatusCode::SEE_OTHER);
    let lang = sw.header("set-cookie");
    assert!(lang.starts_with("vink_lang=en"));
    let en = t.page("/dashboard", &format!("{sek}; vink_lang=en")).await;
    assert!(en.text.contains("Triage overview") && en.text.contains("lang=\"en\""));
    let (_, auditor) = t.login("auditor", PASSWORD).await;
    let log = t.page("/audit", &auditor).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.text.contains("concern.read"));
}

#[tokio::test]
async fn triage_and_meetings_through_the_ui() {
    let t = common::setup().await;
    let id = t.concern(None).await;
    let (_, sek) = t.login("sek", PASSWORD).await;
    let page = t.page(&format!("/concerns/{id}"), &sek).await;
    let csrf = T::csrf_of(&page);
    let r = t
        .post_form(
            &format!("/concerns/{id}/transition"),
            &sek,
            &[("csrf", &csrf), ("to", "screening"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = t
        .post_form(
            &format!("/concerns/{id}/pause"),
            &sek,
            &[("csrf", &csrf), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Skriv en begrundelse."),
        "a message that says what to do"
    );
    let tomorrow = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24))
        .strftime("%Y-%m-%d")
        .to_string();
    let r = t
        .post_form("/meetings", &sek, &[("csrf", &csrf), ("date", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post_form(
            "/meetings",
            &sek,
            &[
                ("csrf", &csrf),
                ("date", &tomorrow),
                ("agencies", "vink"),
                ("agencies", "ssp"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let meeting_url = r.header("location");
    let mid = meeting_url.trim_start_matches("/meetings/").to_string();
    let r = t
        .post_form(
            &format!("/concerns/{id}/agenda"),
            &sek,
            &[("csrf", &csrf), ("meeting_id", &mid)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (_, ssp) = t.login("ssp", PASSWORD).await;
    let m = t.page(&meeting_url, &ssp).await;
    assert_eq!(m.status, StatusCode::OK);
    let ssp_csrf = T::csrf_of(&m);
    let r = t
        .post_form(
            &format!("{meeting_url}/agenda/{id}"),
            &ssp,
            &[
                ("csrf", &ssp_csrf),
                ("recommendation", "Mentor"),
                ("acting_agency", "ssp"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let detail = t.page(&format!("/concerns/{id}"), &ssp).await;
    assert!(
        detail.text.contains("Registrér afgørelse"),
        "the unit can decide"
    );
    let r = t
        .post_form(
            &format!("/concerns/{id}/transition"),
            &ssp,
            &[
                ("csrf", &ssp_csrf),
                ("to", "decided"),
                ("decision", "founded_local_action"),
                ("programme_kind", ""),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post_form(
            &format!("/concerns/{id}/transition"),
            &ssp,
            &[
                ("csrf", &ssp_csrf),
                ("to", "decided"),
                ("decision", "founded_local_action"),
                ("programme_kind", "mentor"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let detail = t.page(&format!("/concerns/{id}"), &sek).await;
    assert!(
        detail.text.contains("Begrundet – lokal indsats") && detail.text.contains("Mentorforløb")
    );
}

#[tokio::test]
async fn the_public_form_accepts_reports_and_returns_only_a_receipt() {
    let t = common::setup().await;
    let form = t.page("/report", "").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("name=\"website\""), "honeypot present");
    let r = t
        .post_form(
            "/report",
            "",
            &[("description", ""), ("person_name", "Omar Eksempel")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("value=\"Omar Eksempel\""));
    assert_eq!(t.concern_count().await, 0);
    let r = t
        .post_form(
            "/report",
            "",
            &[("description", "Bot"), ("website", "http://spam")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.concern_count().await, 0, "honeypot: nothing stored");
    let r = t
        .post_form(
            "/report",
            "",
            &[
                ("description", "Min nabos søn taler om vold."),
                ("person_name", "Omar Eksempel"),
                ("reporter_kind", "anonymous"),
            ],
        )
        .await;
    // Post/redirect/get: the answer is a redirect to the receipt page, which
    // a refresh shows again without sending the report twice.
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/report/done");
    assert_eq!(t.concern_count().await, 1, "committed before the answer");
    let cookie = r.header("set-cookie");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let done = t.page("/report/done", &cookie).await;
    assert_eq!(done.status, StatusCode::OK);
    let i = done.text.find("id=\"receipt\">").unwrap() + 13;
    let receipt = &done.text[i..i + 11];
    assert!(receipt.starts_with("R-"), "{receipt}");
    assert!(!done.text.contains("K-20"), "no case number is revealed");
    assert!(done.text.contains("Hvad sker der nu?"));
    assert!(
        !done.text.contains("sagsbehandling for VINK-enheder"),
        "no staff footer"
    );
    assert_eq!(t.page("/report/done", &cookie).await.status, StatusCode::OK);
    assert_eq!(t.concern_count().await, 1, "a refresh sends nothing");
    // A forged receipt cookie shows no receipt.
    let forged = t.page("/report/done", "vink_receipt=<script>").await;
    assert!(!forged.text.contains("id=\"receipt\""));
    // The public form's errors point at fields that exist, and a Danish date
    // is accepted for the person's birth.
    let bad = t
        .post_form(
            "/report",
            "",
            &[("description", "Noget"), ("person_birth", "31.13.2009")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("href=\"#f-persons-0-birth\""));
    assert!(bad.text.contains("id=\"f-persons-0-birth\""));
    assert!(bad.text.contains("<title>Fejl:"));
    let list = t
        .api("GET", "/api/v1/concerns", Some("sek"), None)
        .await
        .json();
    assert_eq!(list["items"][0]["channel"], "web");
    let rows = t.audit_all().await;
    assert!(
        rows.iter()
            .any(|r| r.action == "concern.report" && r.actor_kind == "public")
    );
    let big = "x".repeat(70_000);
    assert_eq!(
        t.post_form("/report", "", &[("description", &big)])
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let danish = t
        .post_form(
            "/report",
            "",
            &[
                ("description", "Dansk dato"),
                ("person_birth", "05.04.2009"),
            ],
        )
        .await;
    assert_eq!(danish.status, StatusCode::SEE_OTHER, "{}", danish.text);
    for _ in 0..3 {
        assert_eq!(
            t.post_form("/report", "", &[("description", "Flere")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(
        t.post_form("/report", "", &[("description", "For mange")])
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(t.concern_count().await, 5);
}

#[tokio::test]
async fn a_mentor_logs_a_contact_and_the_completed_course_reaches_the_worklist() {
    use serde_json::json;
    let t = common::setup().await;
    let member = t.api("POST", "/api/v1/corps", Some("sek"), Some(json!({"name": "Mads (fiktiv)", "kind": "mentor", "username": "mentor", "max_caseload": 3}))).await;
    let member = member.json()["id"].as_str().unwrap().to_string();
    let cid = t.concern(None).await;
    let person = t
        .api("GET", &format!("/api/v1/concerns/{cid}"), Some("sek"), None)
        .await
        .json()["persons"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let course = t.api("POST", "/api/v1/courses", Some("sek"), Some(json!({"person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp", "direct_reason": "Direkte"}))).await;
    let course = course.json()["id"].as_str().unwrap().to_string();
    let today = t.app.today().to_string();
    t.api(
        "PUT",
        &format!("/api/v1/courses/{course}/assignment"),
        Some("sek"),
        Some(json!({"corps_member_id": member})),
    )
    .await;
    t.api("PUT", &format!("/api/v1/courses/{course}/consent"), Some("sek"), Some(json!({"consent_on": today, "guardian_consent_on": today, "guardian_name": "Far (fiktiv)"}))).await;
    assert_eq!(
        t.api(
            "POST",
            &format!("/api/v1/courses/{course}/transitions"),
            Some("sek"),
            Some(json!({"to": "active"}))
        )
        .await
        .status,
        StatusCode::OK
    );

    let (_, mentor) = t.login("mentor", PASSWORD).await;
    let list = t.page("/courses", &mentor).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("Testperson Fiktiv"));
    let page = t.page(&format!("/courses/{course}"), &mentor).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("Fiktiv bekymring"),
        "no concern text for a mentor"
    );
    let csrf = T::csrf_of(&page);
    let bad = t
        .post_form(
            &format!("/courses/{course}/contacts"),
            &mentor,
            &[
                ("csrf", &csrf),
                ("on", &today),
                ("minutes", "0"),
                ("form", "phone"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = t
        .post_form(
            &format!("/courses/{course}/contacts"),
            &mentor,
            &[
                ("csrf", &csrf),
                ("on", &today),
                ("minutes", "45"),
                ("form", "meeting"),
                ("note", "Godt møde"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(
        t.page(&format!("/courses/{course}"), &mentor)
            .await
            .text
            .contains("Godt møde")
    );

    let (_, sek) = t.login("sek", PASSWORD).await;
    let page = t.page(&format!("/courses/{course}"), &sek).await;
    let csrf = T::csrf_of(&page);
    let done = t
        .post_form(
            &format!("/courses/{course}/transition"),
            &sek,
            &[("csrf", &csrf), ("to", "completed"), ("on", "")],
        )
        .await;
    // No closing assessment: the form asks for it or for the reason.
    assert_eq!(done.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(done.text.contains("href=\"#f-move-note\""));
    let done = t
        .post_form(
            &format!("/courses/{course}/transition"),
            &sek,
            &[
                ("csrf", &csrf),
                ("to", "completed"),
                ("on", ""),
                ("note", "Flyttet (fiktivt)"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let work = t.page("/follow-ups", &mentor).await;
    assert_eq!(work.status, StatusCode::OK);
    assert_eq!(work.text.matches("data-follow-up").count(), 2);
    let (_, analyst) = t.login("analyst", PASSWORD).await;
    let o = t.page("/outcomes", &analyst).await;
    assert_eq!(o.status, StatusCode::OK);
    assert!(o.text.contains("afsluttede forløb"));
    assert_eq!(
        t.page(&format!("/courses/{course}"), &analyst).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_secretariat_manages_the_corps_through_forms() {
    let t = common::setup().await;
    let (_, sek) = t.login("sek", PASSWORD).await;
    let page = t.page("/corps", &sek).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = T::csrf_of(&page);
    let bad = t
        .post_form(
            "/corps",
            &sek,
            &[
                ("csrf", &csrf),
                ("name", "Nora Fiktiv"),
                ("kind", "mentor"),
                ("max_caseload", "99"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("value=\"Nora Fiktiv\""), "input kept");
    let ok = t
        .post_form(
            "/corps",
            &sek,
            &[
                ("csrf", &csrf),
                ("name", "Nora Fiktiv"),
                ("kind", "mentor"),
                ("username", "mentor"),
                ("languages", "dansk, arabisk"),
                ("specialties", "mentor, exit"),
                ("districts", "Valby"),
                ("max_caseload", "4"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let profile_url = ok.header("location");
    let r = t
        .post_form(
            &format!("{profile_url}/training"),
            &sek,
            &[
                ("csrf", &csrf),
                ("kind", "training"),
                ("title", "Grundkursus (fiktiv)"),
                ("on", "2026-10-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let profile = t.page(&profile_url, &sek).await;
    assert!(profile.text.contains("Grundkursus (fiktiv)") && profile.text.contains("arabisk"));
    let (_, mentor) = t.login("mentor", PASSWORD).await;
    assert_eq!(
        t.page("/corps", &mentor).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The list's "next" and "previous" carry a cursor (same cost at any depth),
/// keep the page number for the text, and walk back to the same rows; a page
/// number alone still works as a deep link.
#[tokio::test]
async fn list_pages_link_by_cursor_both_ways() {
    let t = common::setup().await;
    for _ in 0..27 {
        t.concern(None).await;
    }
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let href = |html: &str, label: &str| -> Option<String> {
        // <a href="…">label</a> inside the pager.
        let pager = &html[html.find("vink-pager")?..];
        let end = pager.find(&format!(">{label}</a>"))?;
        let start = pager[..end].rfind("href=\"")? + 6;
        Some(
            pager[start..end - 1]
                .replace("&amp;", "&")
                .replace("&#38;", "&"),
        )
    };
    let rows = |html: &str| -> Vec<String> {
        // The case numbers shown as link texts (cursors in links hold them too).
        html.match_indices(">K-20")
            .map(|(i, _)| html[i + 1..i + 12].to_string())
            .collect()
    };
    let first = t.page("/concerns", &cookie).await;
    assert_eq!(first.status, StatusCode::OK);
    let next = href(&first.text, "Næste")
        .or_else(|| href(&first.text, "Next"))
        .unwrap();
    assert!(
        next.contains("cursor=") && next.contains("page=2"),
        "{next}"
    );
    let second = t.page(&next, &cookie).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(rows(&second.text).len(), 2, "27 rows: 25 then 2");
    assert!(
        rows(&second.text)
            .iter()
            .all(|r| !rows(&first.text).contains(r))
    );
    let prev = href(&second.text, "Forrige")
        .or_else(|| href(&second.text, "Previous"))
        .unwrap();
    assert!(
        prev.contains("before=") && prev.contains("page=1"),
        "{prev}"
    );
    let back = t.page(&prev, &cookie).await;
    assert_eq!(rows(&back.text), rows(&first.text));
    // A deep link by number still works.
    let deep = t.page("/concerns?page=2", &cookie).await;
    assert_eq!(rows(&deep.text), rows(&second.text));
}
