//! Single sign-on against a real OpenID provider (node-oidc-provider on
//! loopback, `tests/oidc/provider.mjs`, started by `.ci/run`, which sets
//! `VINK_TEST_OIDC_ISSUER`). Each test registers its own client there; a
//! client registered with `vink_test_tamper` gets forged ID tokens. The
//! browser is played by an HTTP client with a cookie jar at the provider
//! and by the in-process router at vink. On SQLite, or on PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Resp, T};
use serde_json::{Value, json};
use vink_app::Config;
use vink_app::sso::{Sso, SsoConfig};

/// Where the provider's callbacks are registered; never reached (the test
/// takes the address from the provider's redirect).
const REDIRECT: &str = "http://vink.test/login/sso/callback";
const IDP_PASSWORD: &str = "sso-password-1";
const METRICS_TOKEN: &str = "scrape-secret-sso";

/// `/metrics` as Prometheus reads it.
async fn metrics(t: &T) -> String {
    t.send(
        Request::get("/metrics")
            .header(header::AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .text
}

fn issuer() -> Option<String> {
    match std::env::var("VINK_TEST_OIDC_ISSUER") {
        Ok(i) if !i.is_empty() => Some(i),
        _ => {
            eprintln!(
                "skipped: VINK_TEST_OIDC_ISSUER is not set (bash .ci/run starts the provider)"
            );
            None
        }
    }
}

/// Registers a client at the provider; `tamper` makes it forge ID tokens.
async fn register(issuer: &str, tamper: Option<&str>) -> (String, String) {
    let mut body = json!({
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": ["http://vink.test/login"],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
        "require_auth_time": true,
    });
    if let Some(m) = tamper {
        body["vink_test_tamper"] = json!(m);
    }
    let bytes = reqwest::Client::new()
        .post(format!("{issuer}/reg"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the OpenID provider at VINK_TEST_OIDC_ISSUER answers")
        .bytes()
        .await
        .unwrap();
    let r: Value = serde_json::from_slice(&bytes).unwrap();
    (
        r["client_id"].as_str().unwrap().to_string(),
        r["client_secret"].as_str().unwrap().to_string(),
    )
}

/// Settings for a client; `roles`: map the test accounts' groups to roles.
fn settings(issuer: &str, client: &(String, String), roles: bool) -> SsoConfig {
    let mut text = format!(
        "issuer = \"{issuer}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\nredirect_uri = \"{REDIRECT}\"\n\
         display_name = \"Test provider\"\nscopes = [\"profile\", \"email\", \"vink\"]\n\
         [claims]\nsecond_factor_amr = [\"mfa\"]\n",
        client.0, client.1
    );
    if roles {
        text.push_str(
            "[roles]\n\"VINK-Sekretariat\" = \"secretariat\"\n\"VINK-Mentor\" = \"mentor\"\n\
             \"VINK-Koordination\" = \"coordination_unit\"\n[agencies]\n\"SSP-KBH\" = \"ssp\"\n",
        );
    }
    SsoConfig::parse(&text, None, None).unwrap()
}

/// An application whose roles reading personal data need a second factor
/// (as `vink serve` has it), with single sign-on through `client`.
async fn app(issuer: &str, client: &(String, String), roles: bool) -> T {
    app_asking(
        issuer,
        client,
        roles,
        vink_app::second_factor::PERSONAL_DATA_ROLES,
    )
    .await
}

/// The same, asking these roles for a second factor.
async fn app_asking(
    issuer: &str,
    client: &(String, String),
    roles: bool,
    second_factor: &[vink_domain::user::Role],
) -> T {
    let config = Config {
        second_factor_roles: second_factor.to_vec(),
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Config::default()
    };
    common::setup_sso(config, Sso::new(settings(issuer, client, roles)).unwrap()).await
}

/// One browser: a cookie jar at the provider, and vink's cookies.
struct Browser {
    idp: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            idp: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A GET to vink with this browser's cookies; keeps what it sets.
    async fn get(&mut self, t: &T, uri: &str) -> Resp {
        let r = t
            .send(
                Request::get(uri)
                    .header(header::COOKIE, self.cookie_header())
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        for c in r.headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        r
    }

    /// At the provider: from its authorisation address, through the log-in
    /// form, to the redirect back to vink (returned).
    async fn at_provider(&self, auth_url: &str, login: &str) -> String {
        let mut url = auth_url.to_string();
        for _ in 0..8 {
            let r = self.idp.get(&url).send().await.unwrap();
            if r.status() == reqwest::StatusCode::OK && !r.url().path().starts_with("/interaction/")
            {
                // An auto-submitted form (the provider ending its session
                // of another person first): submitted as a browser would.
                let page = r.text().await.unwrap_or_default();
                let (action, fields) = auto_form(&page);
                let r = self.idp.post(action).form(&fields).send().await.unwrap();
                assert!(r.status().is_redirection(), "provider said {}", r.status());
                url = location(r.url(), r.headers());
                continue;
            }
            if r.status() == reqwest::StatusCode::OK {
                // The log-in form.
                let post = format!("{}/login", r.url());
                let post_url = post.clone();
                let r = self
                    .idp
                    .post(post)
                    .form(&[("login", login), ("password", IDP_PASSWORD)])
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                assert_eq!(
                    status,
                    reqwest::StatusCode::SEE_OTHER,
                    "log-in at the provider ({post_url}): {}",
                    r.text().await.unwrap_or_default()
                );
                url = location(r.url(), r.headers());
                continue;
            }
            assert!(r.status().is_redirection(), "provider said {}", r.status());
            let next = location(r.url(), r.headers());
            if next.starts_with(REDIRECT) {
                return next;
            }
            url = next;
        }
        panic!("the provider never sent the browser back");
    }

    /// vink's callback: the bounce page, and the address it moves on to.
    async fn bounce(&mut self, t: &T, back: &str) -> String {
        let path = back.strip_prefix("http://vink.test").unwrap();
        let r = self.get(t, path).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("cache-control"), "no-store");
        let i = r.text.find("url=").unwrap() + 4;
        let j = r.text[i..].find('"').unwrap() + i;
        r.text[i..j].replace("&#38;", "&").replace("&amp;", "&")
    }

    /// The whole log-in: vink's button, the provider, the callback; the
    /// answer of `/login/sso/complete`.
    async fn sso_login(&mut self, t: &T, login: &str) -> Resp {
        let start = self.get(t, "/login/sso?next=%2Fconcerns").await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.text);
        let back = self.at_provider(&start.header("location"), login).await;
        let complete = self.bounce(t, &back).await;
        self.get(t, &complete).await
    }

    fn signed_in(&self) -> bool {
        self.cookies.contains_key("vink_session")
    }
}

/// The action and hidden fields of a page's one form.
fn auto_form(page: &str) -> (String, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| -> String {
        let key = format!("{name}=\"");
        let i = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + key.len();
        tag[i..i + tag[i..].find('"').unwrap()].to_string()
    };
    let form = &page[page.find("<form").expect("a form")..];
    let action = attr(&form[..form.find('>').unwrap()], "action");
    let fields = form
        .match_indices("<input")
        .map(|(i, _)| {
            let tag = &form[i..i + form[i..].find('>').unwrap()];
            (attr(tag, "name"), attr(tag, "value"))
        })
        .collect();
    (action, fields)
}

fn location(base: &reqwest::Url, h: &reqwest::header::HeaderMap) -> String {
    let l = h.get("location").unwrap().to_str().unwrap();
    base.join(l).unwrap().to_string()
}

/// The last audit row of `action`.
async fn last(t: &T, action: &str) -> common_row::Row {
    let rows = t.audit_all().await;
    let r = rows
        .iter()
        .rev()
        .find(|r| r.action == action)
        .expect(action);
    common_row::Row {
        outcome: r.outcome.clone(),
        reason: r.reason.clone().unwrap_or_default(),
        actor: r.actor_id,
    }
}

mod common_row {
    pub struct Row {
        pub outcome: String,
        pub reason: String,
        pub actor: Option<uuid::Uuid>,
    }
}

async fn user_row(t: &T, name: &str) -> Option<vink_store::user::UserRow> {
    let mut tx = t.app.db.begin_read().await.unwrap();
    vink_store::user::user_by_name(&mut tx, name).await.unwrap()
}

#[tokio::test]
async fn a_role_from_claims_and_the_providers_second_factor_let_one_in() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    let mut b = Browser::new();
    let r = b.sso_login(&t, "sso-sara").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        r.header("location"),
        "/concerns",
        "the provider's second factor counts"
    );
    assert!(b.signed_in());
    let page = b.get(&t, "/concerns").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Sara Single"));
    let u = user_row(&t, "sso-sara").await.expect("the user was made");
    assert_eq!(u.role, "secretariat");
    let row = last(&t, "auth.login").await;
    assert_eq!((row.outcome.as_str(), row.actor), ("allowed", Some(u.id)));
    assert_eq!(row.reason, "sso,provisioned,provider_second_factor");
    // No local password: the user name and any password do not log in.
    let (resp, _) = t.login("sso-sara", "").await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);

    // The role is changed in vink; the provider's groups win at the next
    // log-in, and the same user is used.
    let mut tx = t.system_tx().await;
    vink_store::user::set_role(&mut tx, u.id, "mentor", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut b2 = Browser::new();
    let r = b2.sso_login(&t, "sso-sara").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let again = user_row(&t, "sso-sara").await.unwrap();
    assert_eq!((again.id, again.role.as_str()), (u.id, "secretariat"));
    assert_eq!(
        last(&t, "auth.login").await.reason,
        "sso,provider_second_factor,role_from_claims"
    );
}

#[tokio::test]
async fn without_the_providers_second_factor_vinks_own_is_asked_for() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    let mut b = Browser::new();
    // Mona's provider log-in was a password alone (amr: pwd).
    let r = b.sso_login(&t, "sso-mona").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.header("location").starts_with("/account/second-factor"),
        "{}",
        r.header("location")
    );
    let page = b.get(&t, "/courses").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "no data before the second factor"
    );
    assert_eq!(last(&t, "auth.login").await.reason, "sso,provisioned");
}

#[tokio::test]
async fn a_coordination_unit_member_gets_the_agency_the_claims_name() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    let r = Browser::new().sso_login(&t, "sso-sune").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let u = user_row(&t, "sso-sune").await.unwrap();
    assert_eq!(u.role, "coordination_unit");
    let mut tx = t.app.db.begin_read().await.unwrap();
    let ssp = vink_store::organisation::agency_by_code(&mut tx, "ssp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.agency_id, Some(ssp.id));
}

#[tokio::test]
async fn claims_giving_no_role_or_two_roles_let_no_one_in() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    for (login, reason, says) in [
        ("sso-nils", "sso_no_role", "ingen rolle"),
        ("sso-two", "sso_ambiguous_role", "mere end én rolle"),
    ] {
        let mut b = Browser::new();
        let r = b.sso_login(&t, login).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
        assert!(r.text.contains(says), "{login}: {}", r.text);
        assert!(!b.signed_in());
        let row = last(&t, "auth.login").await;
        assert_eq!(
            (row.outcome.as_str(), row.reason.as_str()),
            ("denied", reason)
        );
        assert!(user_row(&t, login).await.is_none());
    }
}

#[tokio::test]
async fn forged_id_tokens_are_refused_and_audited() {
    let Some(iss) = issuer() else { return };
    for (mode, reason) in [
        ("signature", "sso_bad_signature"),
        ("nonce", "sso_wrong_nonce"),
        ("audience", "sso_wrong_audience"),
        ("issuer", "sso_wrong_issuer"),
        ("expired", "sso_expired"),
        ("none", "sso_bad_algorithm"),
    ] {
        let client = register(&iss, Some(mode)).await;
        let t = app(&iss, &client, true).await;
        let mut b = Browser::new();
        let r = b.sso_login(&t, "sso-sara").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{mode}: {}", r.text);
        assert!(!b.signed_in(), "{mode}");
        let row = last(&t, "auth.login").await;
        assert_eq!(
            (row.outcome.as_str(), row.reason.as_str()),
            ("denied", reason),
            "{mode}"
        );
        assert!(
            user_row(&t, "sso-sara").await.is_none(),
            "{mode}: nothing made"
        );
        let m = metrics(&t).await;
        let line = format!("vink_sso_logins_total{{outcome=\"refused\",reason=\"{reason}\"}}");
        assert!(m.contains(&line), "{mode}: {line} not in {m}");
    }
}

#[tokio::test]
async fn a_callback_counts_once_and_only_in_the_browser_that_began_it() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;

    // Another browser's state cookie: login CSRF.
    let mut b = Browser::new();
    let start = b.get(&t, "/login/sso").await;
    let back = b.at_provider(&start.header("location"), "sso-sara").await;
    let complete = b.bounce(&t, &back).await;
    let mut other = Browser::new();
    other.get(&t, "/login/sso").await; // its own state
    let r = other.get(&t, &complete).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!other.signed_in());
    assert_eq!(last(&t, "auth.login").await.reason, "sso_state_mismatch");

    // The same callback, at once, many times in the right browser: one
    // gets in, the rest find the attempt gone.
    let mut b = Browser::new();
    let start = b.get(&t, "/login/sso").await;
    let back = b.at_provider(&start.header("location"), "sso-sara").await;
    let complete = b.bounce(&t, &back).await;
    let cookie = b.cookie_header();
    let statuses = t
        .race(6, |_| {
            Request::get(complete.as_str())
                .header(header::COOKIE, cookie.as_str())
                .body(Body::empty())
                .unwrap()
        })
        .await;
    common::one_winner(&statuses, StatusCode::SEE_OTHER, StatusCode::BAD_REQUEST);
    let rows = t.audit_all().await;
    let unknown = rows
        .iter()
        .filter(|r| r.reason.as_deref() == Some("sso_unknown_state"))
        .count();
    assert_eq!(unknown, 5);
    // Replayed later: the same.
    let r = b.get(&t, &complete).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_providers_error_is_a_refusal() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    let mut b = Browser::new();
    let start = b.get(&t, "/login/sso").await;
    let auth = reqwest::Url::parse(&start.header("location")).unwrap();
    let state = auth
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.to_string())
        .unwrap();
    let r = b
        .get(
            &t,
            &format!("/login/sso/complete?error=access_denied&state={state}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(last(&t, "auth.login").await.reason, "sso_provider_error");
}

#[tokio::test]
async fn without_a_role_mapping_an_administrator_grants_access() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    // Mentors need a second factor; the administrator here does not (their
    // own is tested elsewhere).
    let t = app_asking(&iss, &client, false, &[vink_domain::user::Role::Mentor]).await;
    let mut b = Browser::new();
    let r = b.sso_login(&t, "sso-nils").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("administrator"), "{}", r.text);
    assert_eq!(last(&t, "auth.login").await.reason, "sso_awaiting_access");

    // The administrator sees the request and grants it; no one else may.
    let mentor =
        vink_domain::user::Actor::user(t.ids["mentor"], vink_domain::user::Role::Mentor, None);
    let requests = vink_app::sso::access_requests(&t.app, &mentor).await;
    assert!(matches!(requests, Err(vink_app::AppError::Denied(_))));
    let (_, cookie) = t.login("admin", common::PASSWORD).await;
    let page = t.page("/users", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Nils Newcomer"));
    let id = {
        let i = page.text.find("data-request=\"").unwrap() + 14;
        page.text[i..i + 36].to_string()
    };
    let csrf = T::csrf_of(&page);
    // A bad form comes back with the field named.
    let r = t
        .post_form(
            &format!("/users/access-requests/{id}/grant"),
            &cookie,
            &[("csrf", &csrf), ("username", "nils"), ("role", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("aria-invalid"));
    let r = t
        .post_form(
            &format!("/users/access-requests/{id}/grant"),
            &cookie,
            &[("csrf", &csrf), ("username", "nils"), ("role", "mentor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let u = user_row(&t, "nils").await.unwrap();
    assert_eq!(
        (u.role.as_str(), u.display_name.as_str()),
        ("mentor", "Nils Newcomer")
    );
    // Twice: gone.
    let r = t
        .post_form(
            &format!("/users/access-requests/{id}/grant"),
            &cookie,
            &[("csrf", &csrf), ("username", "nils2"), ("role", "mentor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nils logs in; mentors need a second factor, the provider gave one.
    let mut b = Browser::new();
    let r = b.sso_login(&t, "sso-nils").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(b.signed_in());
    let row = last(&t, "auth.login").await;
    assert_eq!(
        (row.actor, row.reason.as_str()),
        (Some(u.id), "sso,provider_second_factor")
    );
    // The administrator removes the link: Nils's session ends, and the
    // provider's word no longer makes him that user.
    let page = t.page("/users/nils", &cookie).await;
    assert!(page.text.contains("/users/nils/unlink-sso"));
    let r = t
        .post_form(
            "/users/nils/unlink-sso",
            &cookie,
            &[("csrf", &T::csrf_of(&page))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(last(&t, "user.manage").await.reason, "sso_unlinked");
    assert_eq!(
        b.get(&t, "/courses").await.status,
        StatusCode::SEE_OTHER,
        "logged out"
    );
    let r = Browser::new().sso_login(&t, "sso-nils").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(last(&t, "auth.login").await.reason, "sso_awaiting_access");
}

#[tokio::test]
async fn of_racing_grants_of_one_request_one_wins() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, false).await;
    Browser::new().sso_login(&t, "sso-nils").await;
    let admin =
        vink_domain::user::Actor::user(t.ids["admin"], vink_domain::user::Role::Admin, None);
    let req = vink_app::sso::access_requests(&t.app, &admin)
        .await
        .unwrap();
    let id = req[0].id;
    let mut tasks = Vec::new();
    for n in 0..6 {
        let app = t.app.clone();
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            vink_app::sso::grant_access(&app, &admin, id, &format!("nils{n}"), Some("mentor"), None)
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(vink_app::AppError::NotFound) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
    let mut tx = t.app.db.begin_read().await.unwrap();
    assert!(
        vink_store::sso::identity_user(&mut tx, &iss, "sso-nils")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn re_authentication_at_the_provider_needs_a_fresh_log_in_by_the_same_person() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    let mut b = Browser::new();
    b.sso_login(&t, "sso-sara").await;
    let confirm = b.get(&t, "/login/confirm?next=%2Fconcerns").await;
    assert!(
        confirm.text.contains("/login/sso/confirm"),
        "offered to a linked user"
    );
    let start = b.get(&t, "/login/sso/confirm?next=%2Fconcerns").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let to = start.header("location");
    assert!(
        to.contains("prompt=login") && to.contains("max_age=0"),
        "{to}"
    );
    let back = b.at_provider(&to, "sso-sara").await;
    let complete = b.bounce(&t, &back).await;
    let r = b.get(&t, &complete).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.header("location"), "/concerns");
    let row = last(&t, "auth.reauthenticate").await;
    assert_eq!(
        (row.outcome.as_str(), row.reason.as_str()),
        ("allowed", "sso")
    );

    // Someone else at the provider confirms nothing.
    let start = b.get(&t, "/login/sso/confirm?next=%2Fconcerns").await;
    let back = b.at_provider(&start.header("location"), "sso-sune").await;
    let complete = b.bounce(&t, &back).await;
    let r = b.get(&t, &complete).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let row = last(&t, "auth.reauthenticate").await;
    assert_eq!(
        (row.outcome.as_str(), row.reason.as_str()),
        ("denied", "sso_other_person")
    );

    // A local user is not offered it.
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    let page = t.page("/login/confirm", &cookie).await;
    assert!(!page.text.contains("/login/sso/confirm"));
}

#[tokio::test]
async fn a_provider_that_does_not_answer_is_said_so() {
    let client = ("vink".to_string(), "secret".to_string());
    let t = app("http://127.0.0.1:9", &client, true).await;
    let r = Browser::new().get(&t, "/login/sso").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text.contains("svarer ikke"), "{}", r.text);
    // Local log-in still works.
    let (resp, _) = t.login("sek", common::PASSWORD).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn log_ins_begun_and_never_finished_are_limited_per_address() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    let t = app(&iss, &client, true).await;
    let mut b = Browser::new();
    for _ in 0..60 {
        assert_eq!(b.get(&t, "/login/sso").await.status, StatusCode::SEE_OTHER);
    }
    let r = b.get(&t, "/login/sso").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let row = last(&t, "auth.login").await;
    assert_eq!(
        (row.outcome.as_str(), row.reason.as_str()),
        ("denied", "rate_limited")
    );
}

/// The first answers of the provider to an authorisation request: whether
/// it asks for a log-in (its form) or sends the browser straight back.
async fn asks_for_log_in(b: &Browser, auth_url: &str) -> bool {
    let r = b.idp.get(auth_url).send().await.unwrap();
    let to = location(r.url(), r.headers());
    if to.starts_with(REDIRECT) {
        return false;
    }
    let r = b.idp.get(&to).send().await.unwrap();
    if r.status() == reqwest::StatusCode::OK {
        return true;
    }
    !location(r.url(), r.headers()).starts_with(REDIRECT)
}

#[tokio::test]
async fn log_out_ends_the_session_at_the_provider_too() {
    let Some(iss) = issuer() else { return };
    let client = register(&iss, None).await;
    // No second factor asked of local users here: their log-out is checked last.
    let t = app_asking(&iss, &client, true, &[]).await;
    let mut b = Browser::new();
    b.sso_login(&t, "sso-sara").await;
    let page = b.get(&t, "/dashboard").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.header("location"));
    let csrf = T::csrf_of(&page);
    let r = t
        .post_form("/logout", &b.cookie_header(), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.header("set-cookie").starts_with("vink_session=;"),
        "the vink session ends"
    );
    let i = r.text.find("url=").unwrap() + 4;
    let to = r.text[i..i + r.text[i..].find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(to.starts_with(&format!("{iss}/session/end?")), "{to}");
    assert!(
        to.contains("post_logout_redirect_uri=http%3A%2F%2Fvink.test%2Flogin"),
        "{to}"
    );

    // Had the browser stopped there, the provider would let the next person
    // at this computer straight in.
    let start = Browser {
        idp: b.idp.clone(),
        cookies: BTreeMap::new(),
    }
    .get(&t, "/login/sso")
    .await;
    assert!(!asks_for_log_in(&b, &start.header("location")).await);

    // The provider asks to confirm, ends its session and sends the browser
    // back to vink's log-in page.
    let confirm = b.idp.get(&to).send().await.unwrap();
    assert_eq!(confirm.status(), reqwest::StatusCode::OK);
    let (action, mut fields) = auto_form(&confirm.text().await.unwrap());
    fields.push(("logout".into(), "yes".into()));
    let r = b.idp.post(action).form(&fields).send().await.unwrap();
    assert_eq!(location(r.url(), r.headers()), "http://vink.test/login");
    let mut b2 = Browser {
        idp: b.idp.clone(),
        cookies: BTreeMap::new(),
    };
    let start = b2.get(&t, "/login/sso").await;
    assert!(
        asks_for_log_in(&b, &start.header("location")).await,
        "a password again"
    );

    // A local user's log-out stays local.
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    let page = t.page("/dashboard", &cookie).await;
    let r = t
        .post_form("/logout", &cookie, &[("csrf", &T::csrf_of(&page))])
        .await;
    assert_eq!(
        (r.status, r.header("location").as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
}
