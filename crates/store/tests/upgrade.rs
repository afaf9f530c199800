//! Upgrading a database made before activities existed: theme days recorded
//! as corps training become theme-day activities with their attendees
//! linked and counted, and the start-up backfill counts them once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use vink_store::Db;

#[tokio::test]
async fn theme_days_recorded_as_training_become_activities_counted_once() {
    let dir = std::env::temp_dir().join(format!("vink-upgrade-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/vink.db?mode=rwc", dir.display());
    // The schema as it was before activities (migrations up to 0011).
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/sqlite"
    )))
    .await
    .unwrap();
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= 11)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    old.run(&mut c).await.unwrap();
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
