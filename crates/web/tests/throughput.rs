//! Reads never hold the write lock: an audited read opens a read transaction
//! (SQLite's reader pool) and takes the writer only to append its audit row,
//! after the read; on PostgreSQL, where appending takes no lock, the row goes
//! into the read's own transaction. Counted here, on the database the suite
//! runs on; the speed it buys (intake while people page lists) is measured in
//! `bench/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;

/// The mechanism, counted: an audited read (list, detail) opens one read
/// transaction (the reader pool on SQLite) and takes the writer only for its
/// one audit row (SQLite) or none (PostgreSQL); either way the row is there.
#[tokio::test]
async fn audited_reads_take_the_writer_only_for_their_audit_row() {
    let t = common::setup().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(t.concern(None).await);
    }
    let (cookie_resp, cookie) = t.login("sek", common::PASSWORD).await;
    assert_eq!(cookie_resp.status, StatusCode::SEE_OTHER);
    let sqlite = t.app.db.backend() == vink_store::Backend::Sqlite;
    // A short write per audited read on SQLite; none on PostgreSQL.
    let per_read = u64::from(sqlite);
    let rows0 = t.audit_all().await.len();
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
    // Per request: the bearer token is resolved in a read (one statement),
    // the use case reads in another, and its audit row is appended.
    assert_eq!(
        w1 - w0,
        2 * n * per_read,
        "one short write per audited read"
    );
    assert_eq!(
        r1 - r0,
        4 * n,
        "the reading itself happens in read transactions"
    );
    // audit_all settles the chain (a write on PostgreSQL): counted after.
    assert_eq!(
        t.audit_all().await.len() - rows0,
        usize::try_from(2 * n).unwrap(),
        "one audit row per audited read"
    );
    // Its counts and its three urgent lists (immediate danger, overdue, due
    // soon) are one read; the lists name persons, so it appends one row.
    let rows0 = t.audit_all().await.len();
    let w0 = stats.writes();
    assert_eq!(t.page("/dashboard", &cookie).await.status, StatusCode::OK);
    assert_eq!(
        stats.writes() - w0,
        per_read,
        "the dashboard writes only its audit row"
    );
    assert_eq!(t.audit_all().await.len() - rows0, 1, "one row for the page");
}
