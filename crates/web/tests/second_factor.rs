//! Two-factor log-in through the UI, on the clock the server runs on: a role
//! that reads personal data must enrol before any page with data; a code is
//! accepted once (racing sessions with one code: exactly one gets in); wrong
//! codes are refused, audited and rate-limited; recovery codes work once; an
//! administrator's reset is audited and sends the user back to enrolment;
//! user administration asks for a fresh proof of identity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASSWORD, T};
use jiff::{SignedDuration, Timestamp};
use vink_domain::second_factor as rules;

fn location(r: &common::Resp) -> String {
    r.header("location")
}

/// The secret shown on the enrolment page, as bytes.
fn secret_of(page: &common::Resp) -> Vec<u8> {
    let i = page.text.find("id=\"secret\">").expect("no secret shown") + 12;
    let j = page.text[i..].find('<').unwrap() + i;
    rules::from_base32(&page.text[i..j]).unwrap()
}

/// The session cookie an answer sets (a new id after the second factor).
fn renewed(r: &common::Resp) -> String {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("vink_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("a new session cookie")
}

fn code(t: &T, secret: &[u8]) -> String {
    rules::code_at(secret, t.app.now().as_second()).unwrap()
}

/// Logs in and enrols `user`; returns the session cookie and the secret.
async fn enrol(t: &T, user: &str) -> (String, Vec<u8>, Vec<String>) {
    let (resp, cookie) = t.login(user, PASSWORD).await;
    assert_eq!(resp.status, 303);
    assert!(
        location(&resp).starts_with("/account/second-factor?next="),
        "{}",
        location(&resp)
    );
    let page = t.page("/account/second-factor", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<svg"), "a QR code is shown");
    let secret = secret_of(&page);
    let csrf = T::csrf_of(&page);
    let c = code(t, &secret);
    let done = t
        .post_form(
            "/account/second-factor",
            &cookie,
            &[("csrf", &csrf), ("code", &c), ("next", "/dashboard")],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    let codes: Vec<String> = done
        .text
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_string())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes shown once");
    assert_eq!(done.header("cache-control"), "no-store");
    (renewed(&done), secret, codes)
}

async fn submit_code(t: &T, cookie: &str, code: &str) -> common::Resp {
    let page = t
        .page("/login/second-factor?next=%2Fdashboard", cookie)
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let csrf = T::csrf_of(&page);
    t.post_form(
        "/login/second-factor",
        cookie,
        &[("csrf", &csrf), ("code", code), ("next", "/dashboard")],
    )
    .await
}

fn denied(t: &[vink_store::audit::AuditRow], reason: &str) -> usize {
    t.iter()
        .filter(|r| {
            r.action == "auth.second_factor"
                && r.outcome == "denied"
                && r.reason.as_deref() == Some(reason)
        })
        .count()
}

#[tokio::test]
async fn a_role_with_personal_data_enrols_before_any_page_with_data() {
    let t = common::setup_second_factor(Timestamp::now()).await;
    let (resp, cookie) = t.login("sek", PASSWORD).await;
    assert_eq!(resp.status, 303);
    // No page with data before the second factor.
    for path in ["/dashboard", "/concerns", "/courses", "/search?q=a"] {
        let r = t.page(path, &cookie).await;
        assert_eq!(r.status, 303, "{path}");
        assert!(
            location(&r).starts_with("/login/second-factor"),
            "{path}: {}",
            location(&r)
        );
    }
    // Which sends a user without a factor on to enrolment.
    let r = t
        .page("/login/second-factor?next=%2Fdashboard", &cookie)
        .await;
    assert_eq!(r.status, 303);
    assert!(location(&r).starts_with("/account/second-factor"));
    let page = t.page("/account/second-factor", &cookie).await;
    let secret = secret_of(&page);
    let again = t.page("/account/second-factor", &cookie).await;
    assert_eq!(secret_of(&again), secret, "a reload shows the same secret");
    // A wrong code: refused with the field marked, audited.
    let csrf = T::csrf_of(&page);
    let wrong = t
        .post_form(
            "/account/second-factor",
            &cookie,
            &[("csrf", &csrf), ("code", "000000"), ("next", "/dashboard")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text.contains("aria-invalid=\"true\""));
    assert_eq!(denied(&t.audit_all().await, "wrong_code"), 1);
    let c = code(&t, &secret);
    let ok = t
        .post_form(
            "/account/second-factor",
            &cookie,
            &[("csrf", &csrf), ("code", &c), ("next", "/dashboard")],
        )
        .await;
    assert_eq!(ok.status, 200);
    // The session goes on under a new id; the one from before the second
    // factor is gone (no fixation across the step up).
    let fresh = renewed(&ok);
    assert_ne!(fresh, cookie);
    assert_eq!(t.page("/dashboard", &fresh).await.status, 200);
    let old = t.page("/dashboard", &cookie).await;
    assert!(location(&old).starts_with("/login?"), "{}", location(&old));
    let rows = t.audit_all().await;
    assert!(rows.iter().any(|r| r.action == "auth.second_factor"
        && r.outcome == "allowed"
        && r.reason.as_deref() == Some("enrolled")));
    // The analyst reads no personal data: a password is enough.
    let (resp, cookie) = t.login("analyst", PASSWORD).await;
    assert_eq!(location(&resp), "/dashboard");
    assert_ne!(t.page("/key-figures", &cookie).await.status, 303);
}

#[tokio::test]
async fn a_code_is_accepted_once_and_a_recovery_code_once() {
    let t = common::setup_second_factor(Timestamp::now()).await;
    let (_, secret, codes) = enrol(&t, "sek").await;
    // The code that confirmed enrolment cannot log in again.
    let (resp, cookie) = t.login("sek", PASSWORD).await;
    assert!(location(&resp).starts_with("/login/second-factor"));
    let reused = submit_code(&t, &cookie, &code(&t, &secret)).await;
    assert_eq!(reused.status, 401);
    assert_eq!(denied(&t.audit_all().await, "reused_code"), 1);
    // The next step's code does.
    t.app.clock.advance(SignedDuration::from_secs(30));
    let ok = submit_code(&t, &cookie, &code(&t, &secret)).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(location(&ok), "/dashboard");
    assert_eq!(t.page("/dashboard", &renewed(&ok)).await.status, 200);
    assert_eq!(t.page("/dashboard", &cookie).await.status, 303);
    // A recovery code, typed loosely, once.
    let (_, cookie) = t.login("sek", PASSWORD).await;
    let loose = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(submit_code(&t, &cookie, &loose).await.status, 303);
    let (_, cookie) = t.login("sek", PASSWORD).await;
    assert_eq!(submit_code(&t, &cookie, &codes[0]).await.status, 401);
    assert_eq!(denied(&t.audit_all().await, "wrong_recovery_code"), 1);
}

#[tokio::test]
async fn wrong_codes_are_rate_limited_per_user() {
    let t = common::setup_second_factor(Timestamp::now()).await;
    let (_, secret, _) = enrol(&t, "sek").await;
    t.app.clock.advance(SignedDuration::from_secs(30));
    let (_, cookie) = t.login("sek", PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(submit_code(&t, &cookie, "123456").await.status, 401);
    }
    // Even the right code waits now.
    let limited = submit_code(&t, &cookie, &code(&t, &secret)).await;
    assert_eq!(limited.status, 429);
    assert_eq!(denied(&t.audit_all().await, "rate_limited"), 1);
    assert_eq!(t.page("/dashboard", &cookie).await.status, 303);
    t.app.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(
        submit_code(&t, &cookie, &code(&t, &secret)).await.status,
        303
    );
}

#[tokio::test]
async fn racing_sessions_with_one_code_let_exactly_one_in() {
    let t = std::sync::Arc::new(common::setup_second_factor(Timestamp::now()).await);
    let (_, secret, _) = enrol(&t, "sek").await;
    t.app.clock.advance(SignedDuration::from_secs(30));
    let c = code(&t, &secret);
    let mut sessions = Vec::new();
    // Five: the per-user limit counts every attempt, the winner's too.
    for _ in 0..5 {
        let (_, cookie) = t.login("sek", PASSWORD).await;
        let page = t.page("/login/second-factor", &cookie).await;
        sessions.push((cookie, T::csrf_of(&page)));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (cookie, csrf) in sessions {
        let (t, c) = (t.clone(), c.clone());
        tasks.spawn(async move {
            t.post_form(
                "/login/second-factor",
                &cookie,
                &[("csrf", &csrf), ("code", &c), ("next", "/dashboard")],
            )
            .await
            .status
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = tasks.join_next().await {
        statuses.push(s.unwrap().as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![303, 401, 401, 401, 401], "{statuses:?}");
}

#[tokio::test]
async fn an_administrator_resets_a_lost_factor_after_confirming() {
    let t = common::setup_second_factor(Timestamp::now()).await;
    let (sek_cookie, _, _) = enrol(&t, "sek").await;
    let (admin, admin_secret, _) = enrol(&t, "admin").await;
    let page = t.page("/users/sek", &admin).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let csrf = T::csrf_of(&page);
    // Past the five minutes: user administration asks again.
    t.app.clock.advance(SignedDuration::from_mins(6));
    let r = t.page("/users/sek", &admin).await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login/confirm?next=%2Fusers%2Fsek");
    let post = t
        .post_form("/users/sek/reset-second-factor", &admin, &[("csrf", &csrf)])
        .await;
    assert_eq!(post.status, 303);
    assert!(location(&post).starts_with("/login/confirm"));
    let confirm = t.page("/login/confirm?next=%2Fusers%2Fsek", &admin).await;
    let ccsrf = T::csrf_of(&confirm);
    let wrong = t
        .post_form(
            "/login/confirm",
            &admin,
            &[
                ("csrf", &ccsrf),
                ("secret", "not the password"),
                ("next", "/users/sek"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    // A code from the app does it (as the password would).
    let c = code(&t, &admin_secret);
    let ok = t
        .post_form(
            "/login/confirm",
            &admin,
            &[("csrf", &ccsrf), ("secret", &c), ("next", "/users/sek")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(location(&ok), "/users/sek");
    let page = t.page("/users/sek", &admin).await;
    assert_eq!(page.status, 200);
    let reset = t
        .post_form(
            "/users/sek/reset-second-factor",
            &admin,
            &[("csrf", &T::csrf_of(&page))],
        )
        .await;
    assert_eq!(reset.status, 303, "{}", reset.text);
    let rows = t.audit_all().await;
    assert!(rows.iter().any(|r| r.action == "user.second_factor_reset"
        && r.outcome == "allowed"
        && r.record_id == Some(t.ids["sek"])));
    assert!(
        rows.iter()
            .any(|r| r.action == "auth.reauthenticate" && r.outcome == "denied")
    );
    // The user's sessions ended; their next log-in enrols anew.
    assert!(location(&t.page("/dashboard", &sek_cookie).await).starts_with("/login"));
    let (resp, _) = t.login("sek", PASSWORD).await;
    assert!(location(&resp).starts_with("/account/second-factor"));
}
