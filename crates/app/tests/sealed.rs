//! Encryption at rest on both databases: after the demo's whole history
//! (concerns, timelines, meetings with minutes and recommendations, courses
//! with goals, contacts and assessments) every free-text value in the
//! database is sealed and its text appears nowhere in the database file;
//! the application reads it all back; a value moved to another row, or read
//! with another key, is refused; a rotation re-seals everything under a new
//! key while a server holding the old keys file still reads the new values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use vink_app::keys::KeySet;
use vink_app::{App, Config};
use vink_domain::user::{Actor, Role};
use vink_store::sealed::COLUMNS;
use vink_store::{Db, Tx};

async fn app(b: &common::Backend, keys: KeySet) -> App {
    let db = Db::connect(&b.url).await.unwrap();
    db.migrate().await.unwrap();
    let config = Config {
        password_memory_kib: 1024,
        ..Config::default()
    };
    App::new(db, config, keys)
}

/// Runs a statement on a connection of its own.
async fn exec(b: &common::Backend, sql: &str) {
    common::exec(&b.url, &[sql.to_string()]).await;
}

/// Every non-null value of every sealed column, as stored.
async fn stored_values(app: &App) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for col in COLUMNS {
        let sql = format!(
            "SELECT {c} FROM {t} WHERE {c} IS NOT NULL",
            c = col.column,
            t = col.table
        );
        let mut tx = app.db.begin_read().await.unwrap();
        let values: Vec<String> = match &mut tx {
            Tx::Sqlite(c) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut **c)
                .await
                .unwrap(),
            Tx::Pg(c) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut **c)
                .await
                .unwrap(),
        };
        tx.commit().await.unwrap();
        out.extend(
            values
                .into_iter()
                .map(|v| (format!("{}.{}", col.table, col.column), v)),
        );
    }
    out
}

/// A keys file of the backend's own, loaded from the file (so a rotation
/// can write it and a server can read it again).
fn file_keys(b: &common::Backend) -> (std::path::PathBuf, KeySet) {
    let path = b.dir.join("keys.toml");
    KeySet::generate(&path).unwrap();
    (path.clone(), KeySet::load(Some(&path)).unwrap())
}

#[tokio::test]
async fn every_free_text_value_is_sealed_and_reads_back() {
    for b in common::backends("sealed").await {
        let (_, keys) = file_keys(&b);
        let app = app(&b, keys).await;
        vink_app::demo::load(&app).await.unwrap();
        // A goal on a course (the demo sets none).
        let sek = Actor::user(uuid::Uuid::now_v7(), Role::Secretariat, None);
        let courses = vink_app::course::list(&app, &sek, &Default::default())
            .await
            .unwrap();
        vink_app::course::add_goal(
            &app,
            &sek,
            courses.items[0].id,
            &vink_app::course::GoalInput {
                text: Some("Fiktivt mål: fuldføre 9. klasse".into()),
            },
        )
        .await
        .unwrap();
        let values = stored_values(&app).await;
        for table in [
            "concerns.description",
            "concern_events.reason",
            "meetings.minutes",
            "agenda_items.recommendation",
            "course_contacts.note",
            "course_goals.text",
        ] {
            assert!(
                values.iter().any(|(t, _)| t == table),
                "{}: the demo writes {table}",
                b.name
            );
        }
        let plain: Vec<_> = values
            .iter()
            .filter(|(_, v)| !v.starts_with("enc1:k1:"))
            .collect();
        assert!(
            plain.is_empty(),
            "{}: not sealed: {:?}",
            b.name,
            &plain[..plain.len().min(3)]
        );
        // The texts are nowhere in SQLite's files (database and log).
        if b.name == "sqlite" {
            vink_store::audit::settle(&app.db).await.unwrap();
            let mut bytes = Vec::new();
            for f in ["vink.db", "vink.db-wal"] {
                bytes.extend(std::fs::read(b.dir.join(f)).unwrap_or_default());
            }
            let hay = String::from_utf8_lossy(&bytes);
            assert!(!hay.contains("Fiktivt eksempel"), "a description in clear");
            assert!(!hay.contains("Samtale (fiktiv)"), "a contact note in clear");
            assert!(!hay.contains("Fiktivt mål"), "a goal in clear");
        }
        // The application reads them back: a concern's description.
        let list = vink_app::concern::list(&app, &sek, &Default::default())
            .await
            .unwrap();
        let id = list.items[0].id;
        let c = vink_app::concern::get(&app, &sek, id).await.unwrap();
        assert!(
            c.description.starts_with("Fiktivt eksempel"),
            "{}",
            c.description
        );
        app.db.close().await;
    }
}

#[tokio::test]
async fn a_moved_value_or_another_key_is_refused() {
    for b in common::backends("sealed2").await {
        let (_, keys) = file_keys(&b);
        let app = app(&b, keys).await;
        vink_app::demo::load(&app).await.unwrap();
        let sek = Actor::user(uuid::Uuid::now_v7(), Role::Secretariat, None);
        let list = vink_app::concern::list(&app, &sek, &Default::default())
            .await
            .unwrap();
        let (a, z) = (list.items[0].id, list.items[1].id);
        // Another key file: nothing opens, and the start-up check says so.
        let other = app_with_other_keys(&b).await;
        let why = vink_store::sealed::key_check(&other.db)
            .await
            .unwrap()
            .unwrap_err();
        assert!(why.contains("another keys file"), "{why}");
        assert_eq!(
            vink_store::sealed::key_check(&app.db).await.unwrap(),
            Ok(())
        );
        let e = vink_app::concern::get(&other, &sek, a)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("decrypted") || e.contains("key"),
            "{}: {e}",
            b.name
        );
        other.db.close().await;
        // One concern's sealed description copied onto another.
        let hex_or_blob = |id: uuid::Uuid| match b.name {
            "sqlite" => format!("X'{}'", id.simple()),
            _ => format!("'{id}'"),
        };
        exec(
            &b,
            &format!(
                "UPDATE concerns SET description = (SELECT description FROM concerns WHERE id = {}) WHERE id = {}",
                hex_or_blob(a),
                hex_or_blob(z)
            ),
        )
        .await;
        let e = vink_app::concern::get(&app, &sek, z)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be decrypted"), "{}: {e}", b.name);
        assert!(vink_app::concern::get(&app, &sek, a).await.is_ok());
        app.db.close().await;
    }
}

async fn app_with_other_keys(b: &common::Backend) -> App {
    let path = b.dir.join("other-keys.toml");
    KeySet::generate(&path).unwrap();
    let other = KeySet::load(Some(&path)).unwrap();
    // Reads append audit rows under this database's audit key: only the
    // field keys differ.
    let mut mixed = KeySet::load(Some(&b.dir.join("keys.toml"))).unwrap();
    mixed.fields = other.fields;
    app(b, mixed).await
}

#[tokio::test]
async fn a_rotation_reseals_everything_while_a_server_with_the_old_file_reads_on() {
    for b in common::backends("rotate").await {
        let (_, keys) = file_keys(&b);
        let server = app(&b, keys.clone()).await;
        vink_app::demo::load(&server).await.unwrap();
        let before = stored_values(&server).await.len();
        // The rotation: a new current key in the file, then a pass.
        let rotated = keys.add_field_key().unwrap();
        assert_eq!(rotated.fields.as_ref().unwrap().current_id(), "k2");
        let tool = app(&b, rotated).await;
        let pass = vink_app::keys::reseal_pass(&tool, 7).await.unwrap();
        assert_eq!(pass.resealed, before, "{}", b.name);
        let again = vink_app::keys::reseal_pass(&tool, 7).await.unwrap();
        assert_eq!(
            again,
            vink_app::keys::Resealed {
                looked: before,
                resealed: 0
            }
        );
        let values = stored_values(&tool).await;
        assert!(
            values.iter().all(|(_, v)| v.starts_with("enc1:k2:")),
            "{}",
            b.name
        );
        // A server starting now with the old keys would be stopped.
        let why = vink_store::sealed::key_check(&server.db)
            .await
            .unwrap()
            .unwrap_err();
        assert!(why.contains("k2"), "{why}");
        // The server still holds only k1: it reads the file again on the
        // first value under k2.
        let sek = Actor::user(uuid::Uuid::now_v7(), Role::Secretariat, None);
        let list = vink_app::concern::list(&server, &sek, &Default::default())
            .await
            .unwrap();
        let c = vink_app::concern::get(&server, &sek, list.items[0].id)
            .await
            .unwrap();
        assert!(c.description.starts_with("Fiktivt eksempel"));
        let rows = {
            vink_store::audit::settle(&server.db).await.unwrap();
            let mut tx = server.db.begin_read().await.unwrap();
            vink_store::audit::list(&mut tx, &Default::default(), 10_000)
                .await
                .unwrap()
        };
        assert!(
            rows.iter().any(|r| r.action == "key.rotate"),
            "the rotation is audited"
        );
        tool.db.close().await;
        server.db.close().await;
    }
}

#[tokio::test]
async fn values_from_before_encryption_are_read_and_then_sealed() {
    for b in common::backends("legacy").await {
        let (_, keys) = file_keys(&b);
        let app = app(&b, keys.clone()).await;
        vink_app::demo::load(&app).await.unwrap();
        exec(&b, "UPDATE meetings SET minutes = 'Referat i klartekst (fiktivt)' WHERE minutes IS NOT NULL").await;
        let plain = stored_values(&app)
            .await
            .into_iter()
            .filter(|(_, v)| !v.starts_with("enc1:"))
            .count();
        assert!(plain > 0);
        let pass = vink_app::keys::reseal_pass(&app, 500).await.unwrap();
        assert_eq!(pass.resealed, plain, "{}", b.name);
        assert!(
            stored_values(&app)
                .await
                .iter()
                .all(|(_, v)| v.starts_with("enc1:k1:"))
        );
        app.db.close().await;
    }
}
