//! Reads never hold the write lock: an audited read opens a read transaction
//! (SQLite's reader pool) and takes the writer only to append its audit row,
//! after the read. Counted here, on the database the suite runs on; the speed
//! it buys (intake while people page lists) is measured in `bench/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;

/// The mechanism, counted: an audited read (list, detail) opens one read
/// transaction (the reader pool on SQLite) and takes the writer only for its
/// one audit row; the dashboard (no personal data, no row) takes no writer.
#[tokio::test]
async fn audited_reads_take_the_writer_only_for_their_audit_row() {
    let t = common::setup().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(t.concern(None).await);
    }
    let (cookie_resp, cookie) = t.login("sek", common::PASSWORD).await;
    assert_eq!(cookie_resp.status, StatusCode::SEE_OTHER);
    let stats = t.app.db.stats();
    let (w0, r0) = (stats.writes(), stats.reads());
    let n = 10u64;
    for i in 0..n {
        let id = ids[usize::try_from(i).unwrap() % ids.len()];
        assert_eq!(
            t.api("GET", &format!("/api/v1/concerns/{id}"), Some("sek"), None)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            t.api("GET", "/api/v1/concerns?per_page=100", Some("sek"), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    let (w1, r1) = (stats.writes(), stats.reads());
    // Per request: the bearer token is resolved in a read, the use case reads
    // in another, and one short write appends the audit row.
    assert_eq!(w1 - w0, 2 * n, "one short write per audited read");
    assert_eq!(
        r1 - r0,
        4 * n,
        "the reading itself happens in read transactions"
    );
    let (w0, _) = (stats.writes(), stats.reads());
    assert_eq!(t.page("/dashboard", &cookie).await.status, StatusCode::OK);
    // Its counts write nothing; the three urgent lists (immediate danger,
    // overdue, due soon) name persons, so each appends its audit row.
    assert_eq!(
        stats.writes() - w0,
        3,
        "the dashboard writes only audit rows"
    );
}
