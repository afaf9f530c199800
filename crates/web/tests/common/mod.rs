//! A running application per test: a fresh SQLite database (or PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set and the test asks for it), users of every
//! role with API tokens, and the router called in-process.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

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
    dir: std::path::PathBuf,
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

/// A test application that sends e-mail through `mailer`.
pub async fn setup_full(mut config: Config, mailer: Option<vink_app::reminder::Mailer>) -> T {
    config.password_memory_kib = 1024;
    let dir = std::env::temp_dir().join(format!("vink-web-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/vink.db", dir.display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let mut app = App::new(db, config);
    app.mailer = mailer;
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
    });
    T {
        router,
        app,
        tokens,
        ids,
        dir,
    }
}

impl Drop for T {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
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

    /// Audit rows about one record, oldest first.
    pub async fn audit_of(&self, record: Uuid) -> Vec<AuditRow> {
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
        Db::connect(&format!("sqlite://{}/vink.db", self.dir.display()))
            .await
            .unwrap()
    }
}
