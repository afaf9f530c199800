//! A running application per test: a fresh SQLite database (or PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set and the test asks for it), users of every
//! role with API tokens, and the router called in-process.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod smtp;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;
use vink_app::{App, Config};
use vink_domain::user::Actor;
use vink_store::Db;
use vink_store::audit::{AuditFilter, AuditRow};

pub struct T {
    pub router: Router,
    pub app: Arc<App>,
    pub tokens: HashMap<&'static str, String>,
    pub ids: HashMap<&'static str, Uuid>,
    /// The database URL, for a second `App` on the same database.
    pub url: String,
    dir: std::path::PathBuf,
    /// The PostgreSQL database, dropped with the suite's `T`.
    pg: Option<vink_testkit::ScratchPg>,
}

/// Which database the in-process suites run on: PostgreSQL when
/// `VINK_TEST_POSTGRES_URL` is set (a fresh database per test), else SQLite.
pub fn postgres_url() -> Option<String> {
    std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn is_postgres() -> bool {
    postgres_url().is_some()
}

/// A fresh database: its URL, and on PostgreSQL the database to drop.
async fn fresh_database(dir: &std::path::Path) -> (String, Option<vink_testkit::ScratchPg>) {
    match postgres_url() {
        None => (format!("sqlite://{}/vink.db", dir.display()), None),
        Some(admin_url) => {
            let pg = vink_testkit::ScratchPg::create(&admin_url, "w").await;
            (pg.url().to_string(), Some(pg))
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// (user name, role, agency)
pub const USERS: &[(&str, &str, Option<&str>)] = &[
    ("sek", "secretariat", None),
    ("ssp", "coordination_unit", Some("ssp")),
    ("psp", "coordination_unit", Some("psp")),
    ("mentor", "mentor", None),
    ("analyst", "analyst", None),
    ("admin", "admin", None),
    ("auditor", "auditor", None),
];

pub async fn setup() -> T {
    setup_with(Config::default()).await
}

pub async fn setup_with(config: Config) -> T {
    setup_full(config, None).await
}

/// A test application on a fixed clock standing at `at` (moved with
/// `t.app.clock.advance`).
/// Its API tokens live for ten years, so that moving the clock by months
/// does not expire them (token expiry has its own test).
pub async fn setup_at(at: jiff::Timestamp) -> T {
    let config = Config {
        token_lifetime: jiff::SignedDuration::from_hours(10 * 365 * 24),
        ..Config::default()
    };
    setup_inner(config, None, vink_app::Clock::fixed(at)).await
}

/// A test application that sends e-mail through `mailer`.
pub async fn setup_full(config: Config, mailer: Option<vink_app::reminder::Mailer>) -> T {
    setup_inner(config, mailer, vink_app::Clock::System).await
}

/// A test application that asks the roles reading personal data for a
/// second factor at log-in, as `vink serve` does by default (the other
/// suites log in with a password alone, to test what lies behind it).
/// On a fixed clock standing at `at`, so tests can step past a code's 30
/// seconds.
pub async fn setup_second_factor(at: jiff::Timestamp) -> T {
    let config = Config {
        second_factor_roles: vink_app::second_factor::PERSONAL_DATA_ROLES.to_vec(),
        ..Config::default()
    };
    setup_inner_keeping(config, None, vink_app::Clock::fixed(at), None).await
}

async fn setup_inner(
    mut config: Config,
    mailer: Option<vink_app::reminder::Mailer>,
    clock: vink_app::Clock,
) -> T {
    config.second_factor_roles.clear();
    setup_inner_keeping(config, mailer, clock, None).await
}

/// A test application with single sign-on through `sso`, on the system
/// clock (the provider's tokens carry real times).
pub async fn setup_sso(config: Config, sso: vink_app::sso::Sso) -> T {
    setup_inner_keeping(config, None, vink_app::Clock::System, Some(sso)).await
}

async fn setup_inner_keeping(
    mut config: Config,
    mailer: Option<vink_app::reminder::Mailer>,
    clock: vink_app::Clock,
    sso: Option<vink_app::sso::Sso>,
) -> T {
    config.password_memory_kib = 1024;
    let dir = std::env::temp_dir().join(format!("vink-web-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg) = fresh_database(&dir).await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let mut app = App::new(
        db,
        config,
        vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
    );
    app.mailer = mailer;
    app.clock = clock;
    app.sso = sso;
    let app = Arc::new(app);
    let mut tokens = HashMap::new();
    let mut ids = HashMap::new();
    for (name, role, agency) in USERS {
        let id = vink_app::user::add_user(
            &app,
            &Actor::system(),
            &vink_app::user::NewUser {
                email: None,
                username: (*name).into(),
                display_name: Some(format!("{name} (test)")),
                role: (*role).into(),
                agency: agency.map(Into::into),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
        ids.insert(*name, id);
        tokens.insert(
            *name,
            vink_app::user::create_token(&app, &Actor::system(), name)
                .await
                .unwrap(),
        );
    }
    let router = vink_web::router(vink_web::AppState {
        app: app.clone(),
        secure_cookies: false,
        trusted_proxies: Arc::from(vec!["10.9.9.9".parse::<std::net::IpAddr>().unwrap()]),
    });
    T {
        router,
        app,
        tokens,
        ids,
        url,
        dir,
        pg,
    }
}

impl Drop for T {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        // The PostgreSQL database goes with `pg` (its own `Drop`).
    }
}

impl T {
    /// A write transaction with a system grant, for tests that set up rows
    /// the API offers no way to write (e-mail addresses, raw outbox rows).
    pub async fn system_tx(&self) -> vink_store::Authorized {
        let grant = vink_domain::policy::authorize(
            &Actor::system(),
            vink_domain::policy::Action::DemoLoad,
            &vink_domain::policy::Resource::None,
            None,
        )
        .unwrap();
        vink_store::Authorized::write(self.app.db.begin().await.unwrap(), grant, self.app.now())
    }

    /// Another application on the same database (a second process).
    pub async fn second_app(&self) -> App {
        let db = Db::connect(&self.url).await.unwrap();
        let mut config = self.app.config.clone();
        config.password_memory_kib = 1024;
        App::new(
            db,
            config,
            vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
        )
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    /// The body as sent (files).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

impl T {
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// A JSON API call as `user` (None: no token).
    pub async fn api(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(u) = user {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.tokens[u]));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    /// A raw body to the API.
    pub async fn api_raw(
        &self,
        method: &str,
        uri: &str,
        user: &str,
        body: impl Into<Body>,
    ) -> Resp {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[user]),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .unwrap();
        self.send(req).await
    }

    /// Registers a concern through the API as the secretariat; returns its id.
    pub async fn concern(&self, received_at: Option<&str>) -> Uuid {
        let mut body = serde_json::json!({
            "channel": "hotline",
            "reporter": {"kind": "professional", "organisation": "Skole (test)"},
            "persons": [{"name": "Testperson Fiktiv", "birth": "2010-05-01", "district": "Valby"}],
            "description": "Fiktiv bekymring til test.",
        });
        if let Some(r) = received_at {
            body["received_at"] = Value::String(r.into());
        }
        let r = self
            .api("POST", "/api/v1/concerns", Some("sek"), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["id"].as_str().unwrap().parse().unwrap()
    }

    /// A meeting of the secretariat (`vink`) with `agencies`, `days` ahead;
    /// returns its id.
    pub async fn meeting(&self, days: i64, agencies: &[&str]) -> String {
        let day = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days))
            .strftime("%Y-%m-%d")
            .to_string();
        let m = self
            .api(
                "POST",
                "/api/v1/meetings",
                Some("sek"),
                Some(serde_json::json!({"date": day, "agencies": agencies})),
            )
            .await;
        assert_eq!(m.status, StatusCode::CREATED, "{}", m.text);
        m.json()["id"].as_str().unwrap().to_string()
    }

    /// Puts a concern on a meeting's agenda (moving a received one into
    /// screening first).
    pub async fn put_on_agenda(&self, meeting: &str, concern: &str) {
        let c = self
            .api(
                "GET",
                &format!("/api/v1/concerns/{concern}"),
                Some("sek"),
                None,
            )
            .await
            .json();
        if c["status"] == "received" {
            let r = self
                .api(
                    "POST",
                    &format!("/api/v1/concerns/{concern}/transitions"),
                    Some("sek"),
                    Some(serde_json::json!({"to": "screening"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let r = self
            .api(
                "POST",
                &format!("/api/v1/meetings/{meeting}/agenda"),
                Some("sek"),
                Some(serde_json::json!({"concern_id": concern})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }

    /// A mentor course (assigned to the corps member, if given) that ended on
    /// `ended`; its id.
    pub async fn completed_course(&self, ended: jiff::civil::Date, member: Option<&str>) -> String {
        let cid = self.concern(None).await;
        let person = self
            .api("GET", &format!("/api/v1/concerns/{cid}"), Some("sek"), None)
            .await
            .json()["persons"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let course = self.api("POST", "/api/v1/courses", Some("sek"), Some(serde_json::json!({"person_id": person, "kind": "mentor", "prevention_level": "pre_emptive", "agency": "ssp", "direct_reason": "test"}))).await.json()["id"].as_str().unwrap().to_string();
        let started = ended
            .checked_sub(jiff::ToSpan::days(60))
            .unwrap()
            .to_string();
        if let Some(member) = member {
            self.api(
                "PUT",
                &format!("/api/v1/courses/{course}/assignment"),
                Some("sek"),
                Some(serde_json::json!({"corps_member_id": member})),
            )
            .await;
        }
        self.api(
            "PUT",
            &format!("/api/v1/courses/{course}/consent"),
            Some("sek"),
            Some(
                serde_json::json!({"consent_on": started, "guardian_consent_on": started, "guardian_name": "Mor"}),
            ),
        )
        .await;
        assert_eq!(
            self.api(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                Some("sek"),
                Some(serde_json::json!({"to": "active", "on": started}))
            )
            .await
            .status,
            StatusCode::OK
        );
        assert_eq!(
            self.api(
                "POST",
                &format!("/api/v1/courses/{course}/transitions"),
                Some("sek"),
                Some(serde_json::json!({"to": "completed", "on": ended.to_string(), "note": "Uden slutvurdering (test)"}))
            )
            .await
            .status,
            StatusCode::OK
        );
        course
    }

    /// Audit rows about one record, oldest first.
    pub async fn audit_of(&self, record: Uuid) -> Vec<AuditRow> {
        vink_store::audit::settle(&self.app.db).await.unwrap();
        let mut tx = self.app.db.begin_read().await.unwrap();
        let mut rows = vink_store::audit::list(
            &mut tx,
            &AuditFilter {
                record_id: Some(record),
                ..Default::default()
            },
            1000,
        )
        .await
        .unwrap();
        rows.reverse();
        rows
    }

    /// All audit rows, oldest first.
    pub async fn audit_all(&self) -> Vec<AuditRow> {
        vink_store::audit::settle(&self.app.db).await.unwrap();
        let mut tx = self.app.db.begin_read().await.unwrap();
        let mut rows = vink_store::audit::list(&mut tx, &AuditFilter::default(), 100_000)
            .await
            .unwrap();
        rows.reverse();
        rows
    }

    pub async fn concern_count(&self) -> i64 {
        let mut tx = self.app.db.begin_read().await.unwrap();
        vink_store::concern::count_concerns(&mut tx).await.unwrap()
    }

    /// Logs in through the form; returns the cookie header value to send.
    pub async fn login(&self, user: &str, password: &str) -> (Resp, String) {
        let page = self
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let login_cookie = page.header("set-cookie");
        let login_cookie = login_cookie.split(';').next().unwrap().to_string();
        let csrf = login_cookie.split('=').nth(1).unwrap().to_string();
        let form = format!(
            "csrf={csrf}&username={user}&password={}&next=%2Fdashboard",
            password.replace(' ', "+")
        );
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &login_cookie)
            .body(Body::from(form))
            .unwrap();
        let resp = self.send(req).await;
        let session = resp
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("vink_session="))
            .map(|c| c.split(';').next().unwrap().to_string())
            .unwrap_or_default();
        (resp, session)
    }

    pub async fn page(&self, uri: &str, cookie: &str) -> Resp {
        self.send(
            Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(form).unwrap();
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// The CSRF token shown in a page's forms.
    pub fn csrf_of(page: &Resp) -> String {
        let i = page
            .text
            .find("name=\"csrf\" value=\"")
            .expect("no csrf field")
            + 19;
        page.text[i..i + 64].to_string()
    }
}

impl T {
    /// A second connection to the same database, as after a restart.
    pub async fn reopen(&self) -> Db {
        Db::connect(&self.url).await.unwrap()
    }
}

impl T {
    /// Sends the same kind of request `n` times at once (each built by `req`)
    /// and returns the statuses: for races on one record.
    pub async fn race(&self, n: usize, req: impl Fn(usize) -> Request<Body>) -> Vec<StatusCode> {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let router = self.router.clone();
                let r = req(i);
                tokio::spawn(async move { router.oneshot(r).await.unwrap().status() })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }

    /// A JSON API request as `user`, built for [`T::race`].
    pub fn api_req(&self, method: &str, uri: &str, user: &str, body: Value) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[user]),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    /// Moves a concern through screening to before the unit.
    pub async fn to_before_unit(&self, id: Uuid) {
        for to in ["screening", "before_unit"] {
            let r = self
                .api(
                    "POST",
                    &format!("/api/v1/concerns/{id}/transitions"),
                    Some("sek"),
                    Some(serde_json::json!({ "to": to })),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
    }
}

/// Exactly one success among `statuses`, every other one `loser`.
pub fn one_winner(statuses: &[StatusCode], winner: StatusCode, loser: StatusCode) {
    let wins = statuses.iter().filter(|s| **s == winner).count();
    let losses = statuses.iter().filter(|s| **s == loser).count();
    assert_eq!(
        (wins, losses),
        (1, statuses.len() - 1),
        "exactly one winner: {statuses:?}"
    );
}
