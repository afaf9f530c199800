//! Every list and count stays index-driven: on a generated data set, the
//! plan of every query the lists run (under every scope and filter) must not
//! scan a large table nor sort one. SQLite always; PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set (sequential scans switched off, so a
//! `Seq Scan` means no index can serve the query; the generic plan, which
//! the lists and the key-figure report run with). A regression fails CI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vink_app::generate::{Plan, generate};
use vink_app::{App, Config};
use vink_store::Db;
use vink_store::query_plan::{PlanInputs, explain, list_queries};

/// Queries known to sort their rows, waiting for their index-driven form
/// (the national-scale issue). The test also fails when one of them stops
/// sorting, so this list only ever shrinks.
const NOT_YET: &[&str] = &[];

/// The indexes a list may walk from its start: each is partial (open
/// concerns, open follow-ups) or read under a LIMIT in its own order.
const ORDERED: &[&str] = &[
    "concerns_running",
    "concerns_paused",
    "concerns_decided",
    // The order of receipt, read under a LIMIT (count capped).
    "concerns_received",
    // The retention job: concerns decided without action, oldest first,
    // under a LIMIT.
    "concerns_retention",
    "follow_ups_open",
    "meetings_date_id",
    "courses_active_order",
    "courses_planned_order",
    "courses_ended_order",
    "courses_agency_active",
    "courses_agency_planned",
    "courses_agency_ended",
    // The activity register, newest first (all, or of one kind).
    "activities_held",
    "activities_kind_held",
];

/// Tables small by nature (a few dozen rows at national scale).
const SMALL: &[&str] = &[
    "agencies",
    "meeting_agencies",
    "users",
    "corps_members",
    "audit_head",
    // A list's page, already picked from an index.
    "page",
    // A count stopped at its cap (`LIMIT`), over an index.
    "capped",
];

/// Where a sort is by design: a mentor's course list starts from their own
/// courses (bounded by their caseload) and sorts that set, never the table;
/// the per-person audit report reads at most `limit` rows per record from
/// the `(record_id, seq)` index (subqueries `r0`, `r1`, …) and merges them;
/// the key figures' generic plan groups the rollup rows of a kind over a
/// range of months or years (bounded by the catalogue's codes and the
/// calendar, never by people or cases).
fn sort_by_design(query: &str) -> bool {
    query.starts_with("course list") && query.contains("(mentor,")
        || query == "audit per person"
        || query.starts_with("key-figure")
}

/// `SCAN r0`: a bounded subquery's rows (already limited in index order).
fn scans_bounded_subquery(query: &str, l: &str) -> bool {
    query == "audit per person"
        && l.strip_prefix("SCAN r")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

fn violations(query: &str, plan: &[String], postgres: bool) -> Vec<String> {
    let keyed = sort_by_design(query);
    plan.iter()
        .filter(|line| {
            let l = line.trim_start().trim_start_matches("->").trim();
            if postgres {
                (l.starts_with("Seq Scan on ")
                    && !SMALL
                        .iter()
                        .any(|t| l.starts_with(&format!("Seq Scan on {t} "))))
                    // A Sort node; "Sort Key:" lines also detail a Merge
                    // Append of index-ordered inputs.
                    || !keyed
                        && ((l.starts_with("Sort ") && !l.starts_with("Sort Key"))
                            || l.starts_with("Incremental Sort "))
            } else {
                let walks_unordered = l.starts_with("SCAN ")
                    && l.contains(" USING INDEX ")
                    && !ORDERED
                        .iter()
                        .any(|i| l.ends_with(&format!(" USING INDEX {i}")));
                walks_unordered
                    || (l.starts_with("SCAN ") && !l.contains(" USING "))
                        && !SMALL.iter().any(|t| l == format!("SCAN {t}"))
                        && !scans_bounded_subquery(query, l)
                        // A SELECT without FROM (the combined counts).
                        && l != "SCAN CONSTANT ROW"
                    || (!keyed
                        && (l.starts_with("USE TEMP B-TREE FOR ORDER BY")
                            || l.starts_with("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY")))
            }
        })
        .cloned()
        .collect()
}

async fn check(db: Db, name: &str) {
    db.migrate().await.unwrap();
    let app = App::new(
        db,
        Config {
            password_memory_kib: 1024,
            ..Config::default()
        },
        vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
    );
    let plan = Plan {
        concerns: 1_500,
        years: 3,
        seed: 7,
        audit_per_concern: 3,
        activities: 400,
    };
    generate(&app, &plan, |_| {}).await.unwrap();
    let postgres = app.db.backend() == vink_store::Backend::Postgres;
    let mut tx = app.db.begin().await.unwrap();
    if postgres {
        sqlx_analyze(&mut tx).await;
    }
    let inputs = inputs(&mut tx, app.now()).await;
    let mut failures = Vec::new();
    let mut still_sorting = std::collections::BTreeSet::new();
    for q in list_queries(&inputs) {
        let plan = explain(&mut tx, &q).await.unwrap();
        if std::env::var("VINK_SHOW_PLANS").is_ok() {
            eprintln!("{name}: {}\n  {}", q.name, plan.join("\n  "));
        }
        let bad = violations(&q.name, &plan, postgres);
        let known = NOT_YET.iter().find(|n| q.name.starts_with(**n));
        match (bad.is_empty(), known) {
            (true, None) => {}
            (false, None) => failures.push(format!(
                "{name}: {} (at: {})\n  {}",
                q.name,
                bad.join(" / "),
                plan.join("\n  ")
            )),
            (false, Some(k)) => {
                still_sorting.insert(*k);
            }
            (true, Some(_)) => {}
        }
    }
    drop(tx);
    assert!(
        failures.is_empty(),
        "queries that scan or sort a large table:\n{}",
        failures.join("\n")
    );
    for k in NOT_YET {
        assert!(
            still_sorting.contains(k),
            "{name}: '{k}' no longer sorts or scans; take it off NOT_YET"
        );
    }
    app.db.close().await;
}

async fn sqlx_analyze(tx: &mut vink_store::Tx) {
    if let vink_store::Tx::Pg(t) = tx {
        sqlx::query("ANALYZE").execute(&mut **t).await.unwrap();
    }
}

async fn inputs(tx: &mut vink_store::Tx, now: jiff::Timestamp) -> PlanInputs {
    let agency = vink_store::organisation::agency_by_code(tx, "ssp")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mentor = vink_store::user::user_by_name(tx, "mentor.0")
        .await
        .unwrap()
        .unwrap()
        .id;
    let actor = vink_store::user::user_by_name(tx, "sek.0")
        .await
        .unwrap()
        .unwrap()
        .id;
    let rows = vink_store::audit::list(tx, &Default::default(), 1)
        .await
        .unwrap();
    PlanInputs {
        now: vink_store::micros(now),
        agency,
        mentor_user: mentor,
        record: rows[0].record_id.unwrap_or(actor),
        actor,
        backend: tx.backend(),
    }
}

#[tokio::test]
async fn every_list_query_is_index_driven_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("vink-plans-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/vink.db", dir.display()))
        .await
        .unwrap();
    check(db, "sqlite").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn every_list_query_is_index_driven_on_postgres() {
    let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("VINK_TEST_POSTGRES_URL not set: the PostgreSQL plans are checked in CI");
        return;
    };
    use sqlx::Connection;
    let name = format!("vink_plans_{}", uuid::Uuid::now_v7().simple());
    let mut a = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut a)
        .await
        .unwrap();
    let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
    check(Db::connect(&url).await.unwrap(), "postgres").await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut a)
    .await;
}
