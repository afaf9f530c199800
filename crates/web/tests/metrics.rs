//! `/metrics`: Prometheus text for the configured token only; requests by
//! route template and status, never a path with an id or anything about a
//! person.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn scrape(t: &common::T, token: Option<&str>) -> common::Resp {
    let mut b = Request::builder().method("GET").uri("/metrics");
    if let Some(tok) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {tok}"));
    }
    t.send(b.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn metrics_count_routes_by_template_for_the_token_only() {
    let config = vink_app::Config {
        metrics_token: Some("scrape-secret-123".into()),
        ..vink_app::Config::default()
    };
    let t = common::setup_with(config).await;
    let id = t.concern(None).await;
    let r = t
        .api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let case_number = r.json()["case_number"].as_str().unwrap().to_string();
    let r = t
        .api(
            "GET",
            &format!("/api/v1/concerns/{id}"),
            Some("mentor"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(scrape(&t, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&t, Some("wrong")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let m = scrape(&t, Some("scrape-secret-123")).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.header("content-type").starts_with("text/plain"));
    let text = m.text;
    for line in [
        r#"vink_http_requests_total{method="GET",route="/api/v1/concerns/{id}",status="200"} 1"#,
        r#"vink_http_requests_total{method="GET",route="/api/v1/concerns/{id}",status="403"} 1"#,
        r#"vink_http_requests_total{method="POST",route="/api/v1/concerns",status="201"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    assert!(text.contains("vink_http_request_duration_seconds_bucket"));
    assert!(text.contains("vink_db_write_transactions"));
    // The pool: how many connections are open and idle, of how many.
    assert!(
        text.contains("vink_db_pool_connections{state=\"open\"}"),
        "{text}"
    );
    assert!(text.contains("vink_db_pool_connections{state=\"idle\"}"));
    assert!(text.contains("vink_db_pool_max_connections"));
    // Nothing that names a record or a person.
    assert!(!text.contains(&id.to_string()) && !text.contains(&case_number));
    assert!(!text.contains("Fiktiv"), "{text}");
}

#[tokio::test]
async fn without_a_token_there_is_no_metrics_page() {
    let t = common::setup().await;
    assert_eq!(
        scrape(&t, Some("anything")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_error_pages_show_it() {
    let t = common::setup().await;
    let r = t.api("GET", "/api/v1/plans", Some("sek"), None).await;
    let made = r.header("x-request-id");
    assert_eq!(made.len(), 32, "{made}");
    // A proxy's sane id is kept; an odd one is replaced.
    for (given, kept) in [("edge-7f3a.1", true), ("<script>", false)] {
        let req = Request::builder()
            .uri("/healthz/live")
            .header("x-request-id", given)
            .body(Body::empty())
            .unwrap();
        let r = t.send(req).await;
        assert_eq!(r.header("x-request-id") == given, kept, "{given}");
    }
    let (_, cookie) = t.login("sek", common::PASSWORD).await;
    let page = t.page("/no/such/page", &cookie).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let id = page.header("x-request-id");
    assert!(
        page.text.contains(&format!("Fejl-id: {id}")),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn an_allowed_address_scrapes_without_the_token() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let config = vink_app::Config {
        metrics_allow: vec![vink_app::AddressRange::parse("10.9.0.0/16").unwrap()],
        ..vink_app::Config::default()
    };
    let t = common::setup_with(config).await;
    let from = |addr: &str| {
        let mut r = Request::builder()
            .method("GET")
            .uri("/metrics")
            .body(Body::empty())
            .unwrap();
        r.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(addr.parse().unwrap()));
        r
    };
    let inside = t.send(from("10.9.4.2:40000")).await;
    assert_eq!(inside.status, StatusCode::OK);
    assert!(inside.text.contains("vink_db_pool_connections"));
    let outside = t.send(from("10.10.0.1:40000")).await;
    assert_eq!(outside.status, StatusCode::UNAUTHORIZED);
    // No token is configured, so none is taken either.
    assert_eq!(scrape(&t, Some("")).await.status, StatusCode::UNAUTHORIZED);
}
