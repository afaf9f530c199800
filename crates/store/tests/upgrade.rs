//! Upgrading old databases: theme days recorded as corps training become
//! theme-day activities with their attendees linked and counted, and the
//! start-up backfill counts them once; facts folded by the flag (before the
//! daily rollup and the watermark, and on PostgreSQL before folding by
//! transaction id) keep every sum exact; follow-ups reminded before the
//! reminder marker stay reminded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use vink_store::Db;

#[tokio::test]
async fn theme_days_recorded_as_training_become_activities_counted_once() {
    let (dir, url) = temp_sqlite();
    // The schema as it was before activities (migrations up to 0011).
    let mut c = old_schema(&url, 11).await;
    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    for (id, name) in [(a, "Anna (fiktiv)"), (b, "Bo (fiktiv)")] {
        sqlx::query(
            "INSERT INTO corps_members (id, name, kind, languages, specialties, districts, max_caseload, created_at)
             VALUES ($1, $2, 'mentor', '', '', '', 3, 0)",
        )
        .bind(id)
        .bind(name)
        .execute(&mut c)
        .await
        .unwrap();
    }
    for (member, kind, title) in [
        (a, "theme_day", "Temadag om hadtale"),
        (b, "theme_day", "Temadag om hadtale"),
        (a, "training", "Grundkursus"),
    ] {
        sqlx::query(
            "INSERT INTO corps_training (id, corps_member_id, kind, title, on_date, created_at)
             VALUES ($1, $2, $3, $4, '2026-03-05', 0)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(member)
        .bind(kind)
        .bind(title)
        .execute(&mut c)
        .await
        .unwrap();
    }
    c.close().await.unwrap();
    // Upgraded as `vink serve` does it.
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let mut tx = db.begin_read().await.unwrap();
    let day = "2026-03-05".parse().unwrap();
    let sums = vink_store::fact::sums(&mut tx, day, day).await.unwrap();
    let f = vink_domain::key_figures::figures(&sums, 70);
    let value = |code: &str| f.iter().find(|x| x.code == code).and_then(|x| x.value);
    assert_eq!(
        value("activities.theme_day"),
        Some(1),
        "one theme day, counted once"
    );
    assert_eq!(value("participants.theme_day.corps"), Some(2));
    let attended = vink_store::activity::attended(&mut tx, b).await.unwrap();
    assert_eq!(attended.len(), 1);
    assert_eq!(attended[0].title, "Temadag om hadtale");
    let left = vink_store::corps::trainings(&mut tx, a).await.unwrap();
    assert_eq!(left.len(), 1, "plain training stays training");
    tx.commit().await.unwrap();
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A directory of its own and the URL of a SQLite file in it.
fn temp_sqlite() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("vink-upgrade-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/vink.db?mode=rwc", dir.display());
    (dir, url)
}

/// A SQLite database with the migrations up to `version`.
async fn old_schema(url: &str, version: i64) -> sqlx::SqliteConnection {
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/sqlite"
    )))
    .await
    .unwrap();
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    old.run(&mut c).await.unwrap();
    c
}

#[tokio::test]
async fn facts_folded_by_flag_keep_their_sums_after_the_rollup_upgrade() {
    let (dir, url) = temp_sqlite();
    let mut c = old_schema(&url, 12).await;
    sqlx::query("UPDATE facts_backfill SET done = TRUE")
        .execute(&mut c)
        .await
        .unwrap();
    // Concerns received: 2 on 10 January and 3 on 20 February folded (and
    // in fact_months), 4 on 15 January and 1 on 2 March not folded yet.
    for (day, n, folded) in [
        ("2026-01-10", 2, true),
        ("2026-02-20", 3, true),
        ("2026-01-15", 4, false),
        ("2026-03-02", 1, false),
    ] {
        sqlx::query(
            "INSERT INTO facts (kind, day, code, detail, n, folded) VALUES ('concern_received', $1, '', '', $2, $3)",
        )
        .bind(day)
        .bind(n)
        .bind(folded)
        .execute(&mut c)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO fact_months (kind, code, detail, month, n) VALUES
           ('concern_received', '', '', '2026-01', 2), ('concern_received', '', '', '2026-02', 3)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let received = async |from: &str, to: &str| {
        let mut tx = db.begin_read().await.unwrap();
        let s = vink_store::fact::sums(&mut tx, from.parse().unwrap(), to.parse().unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let f = vink_domain::key_figures::figures(&s, 70);
        f.iter()
            .find(|x| x.code == "concerns_received")
            .and_then(|x| x.value)
    };
    // Whole months, a partial month at each edge, and a single day.
    assert_eq!(received("2026-01-01", "2026-03-31").await, Some(10));
    assert_eq!(received("2026-01-12", "2026-03-01").await, Some(7));
    assert_eq!(received("2026-01-15", "2026-01-15").await, Some(4));
    assert_eq!(received("2026-02-01", "2026-02-28").await, Some(3));
    // A whole year and a span of years: the yearly rollup (0021) was
    // summed from the months, plus what was not folded.
    assert_eq!(received("2026-01-01", "2026-12-31").await, Some(10));
    assert_eq!(received("2025-01-01", "2027-12-31").await, Some(10));
    assert_eq!(received("2025-01-01", "2025-12-31").await, Some(0));
    // A new fact lands above the watermark, is counted unfolded, then folded.
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO facts (kind, day, code, detail, n) VALUES ('concern_received', '2026-01-31', '', '', 1)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    assert_eq!(received("2026-01-12", "2026-03-01").await, Some(8));
    assert_eq!(vink_store::fact::fold(&db).await.unwrap(), 1);
    assert_eq!(vink_store::fact::fold(&db).await.unwrap(), 0);
    assert_eq!(received("2026-01-12", "2026-03-01").await, Some(8));
    assert_eq!(received("2026-01-01", "2026-01-31").await, Some(7));
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL's facts folded by the flag (before 0020) keep every sum, and
/// the ones not folded yet are folded once, by the first fold.
#[tokio::test]
async fn facts_folded_by_flag_keep_their_sums_after_the_xid_upgrade() {
    let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let name = format!("vink_up_{}", uuid::Uuid::now_v7().simple());
    let mut a = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut a)
        .await
        .unwrap();
    let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/postgres"
    )))
    .await
    .unwrap();
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= 19)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    old.run(&mut c).await.unwrap();
    sqlx::query("UPDATE facts_backfill SET done = TRUE")
        .execute(&mut c)
        .await
        .unwrap();
    // 2 on 10 January folded (in both rollups), 4 on 15 January not yet.
    for (day, n, folded) in [("2026-01-10", 2, true), ("2026-01-15", 4, false)] {
        sqlx::query(
            "INSERT INTO facts (kind, day, code, detail, n, folded) VALUES ('concern_received', $1, '', '', $2, $3)",
        )
        .bind(day)
        .bind(n)
        .bind(folded)
        .execute(&mut c)
        .await
        .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO fact_months (kind, code, detail, month, n) VALUES ('concern_received', '', '', '2026-01', 2);
         INSERT INTO fact_days (kind, code, detail, day, n) VALUES ('concern_received', '', '', '2026-01-10', 2)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let received = async |from: &str, to: &str| {
        let mut tx = db.begin_read().await.unwrap();
        let s = vink_store::fact::sums(&mut tx, from.parse().unwrap(), to.parse().unwrap())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        vink_domain::key_figures::figures(&s, 70)
            .into_iter()
            .find(|x| x.code == "concerns_received")
            .and_then(|x| x.value)
    };
    // Start-up folded the 4 (migrate runs a fold): nothing is left.
    assert_eq!(vink_store::fact::fold(&db).await.unwrap(), 0);
    assert_eq!(received("2026-01-01", "2026-01-31").await, Some(6));
    assert_eq!(received("2026-01-12", "2026-01-20").await, Some(4));
    assert_eq!(received("2026-01-10", "2026-01-10").await, Some(2));
    assert_eq!(received("2026-01-01", "2026-12-31").await, Some(6));
    db.close().await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut a)
    .await;
}

/// Follow-ups reminded before the job marked what it handled (0022) count
/// as reminded, from their first notification; the others stay for the job.
#[tokio::test]
async fn follow_ups_reminded_before_the_marker_stay_reminded() {
    let (dir, url) = temp_sqlite();
    let mut c = old_schema(&url, 21).await;
    // Only the two tables matter here: their parents are left out.
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut c)
        .await
        .unwrap();
    let (reminded, waiting) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    for (id, kind) in [(reminded, "risk"), (waiting, "occupation")] {
        sqlx::query("INSERT INTO follow_ups (id, course_id, kind, due_on) VALUES ($1, $2, $3, '2026-03-01')")
            .bind(id)
            .bind(uuid::Uuid::now_v7())
            .bind(kind)
            .execute(&mut c)
            .await
            .unwrap();
    }
    for (user, at) in [(uuid::Uuid::now_v7(), 7_i64), (uuid::Uuid::now_v7(), 5)] {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, follow_up_id, due_on, dedupe_key, created_at)
             VALUES ($1, $2, 'follow_up_due', $3, '2026-03-01', $4, $5)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(user)
        .bind(reminded)
        .bind(format!("follow_up:{reminded}:{user}"))
        .bind(at)
        .execute(&mut c)
        .await
        .unwrap();
    }
    c.close().await.unwrap();
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(uuid::Uuid, Option<i64>)> =
        sqlx::query_as("SELECT id, reminded_at FROM follow_ups ORDER BY id")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert_eq!(rows, vec![(reminded, Some(5)), (waiting, None)]);
    c.close().await.unwrap();
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Concerns written before their list row's person summary (0029) get it
/// from their links: the first by position, and the count; a concern with
/// none keeps no first person and a count of 0.
#[tokio::test]
async fn concerns_before_the_person_summary_get_it_from_their_links() {
    let (dir, url) = temp_sqlite();
    let mut c = old_schema(&url, 28).await;
    let concern = async |c: &mut sqlx::SqliteConnection, n: i64| {
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO concerns (id, case_number, channel, received_at, reporter_kind, description,
                 immediate_danger, status, triage_deadline_at, created_at)
             VALUES ($1, $2, 'hotline', 0, 'citizen', '', FALSE, 'received', 10, 0)",
        )
        .bind(id)
        .bind(format!("K-2026-{n:04}"))
        .execute(&mut *c)
        .await
        .unwrap();
        id
    };
    let (two, none) = (concern(&mut c, 1).await, concern(&mut c, 2).await);
    let (first, second) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    for id in [first, second] {
        sqlx::query("INSERT INTO persons (id, created_at) VALUES ($1, 0)")
            .bind(id)
            .execute(&mut c)
            .await
            .unwrap();
    }
    // Linked in the other order than their positions.
    for (person, position) in [(second, 1_i64), (first, 0)] {
        sqlx::query(
            "INSERT INTO concern_persons (concern_id, person_id, position) VALUES ($1, $2, $3)",
        )
        .bind(two)
        .bind(person)
        .bind(position)
        .execute(&mut c)
        .await
        .unwrap();
    }
    c.close().await.unwrap();
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(uuid::Uuid, i64, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT id, person_count, first_person_id FROM concerns ORDER BY case_number",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(rows, vec![(two, 2, Some(first)), (none, 0, None)]);
    c.close().await.unwrap();
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
