//! An encrypted backup taken while intakes race: restored, it holds every
//! intake acknowledged before the backup began and an intact audit chain; a
//! changed backup file restores nothing; a live database is not replaced
//! without `--force`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use vink_app::backup::{BackupError, BackupKey, backup, restore};
use vink_app::{App, Config};
use vink_domain::user::{Actor, Role};
use vink_store::Db;

mod common;

fn draft(i: usize) -> vink_domain::concern::ConcernDraft {
    common::draft(i, "Backup")
}

fn key() -> BackupKey {
    BackupKey::parse(&"5a".repeat(32)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_every_acknowledged_write() {
    let dir = std::env::temp_dir().join(format!("vink-backup-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/vink.db", dir.display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let app = Arc::new(App::new(
        db,
        Config::default(),
        vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
    ));
    let secretariat = Actor::user(uuid::Uuid::now_v7(), Role::Secretariat, None);
    // Four writers keep filing concerns; each remembers what was
    // acknowledged and when.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let (app, stop, actor) = (app.clone(), stop.clone(), secretariat.clone());
        writers.spawn(async move {
            let mut acked = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let c = vink_app::concern::create(&app, &actor, &draft(w * 10_000 + i))
                    .await
                    .unwrap();
                acked.push((std::time::Instant::now(), c.id));
                i += 1;
            }
            acked
        });
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    vink_app::backup::audit(&app).await.unwrap();
    let began = std::time::Instant::now();
    let file = dir.join("vink.backup");
    let size = backup(&url, &key(), &file).await.unwrap();
    assert!(size > 0);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut before = Vec::new();
    let mut total = 0;
    while let Some(acked) = writers.join_next().await {
        let acked = acked.unwrap();
        total += acked.len();
        before.extend(
            acked
                .into_iter()
                .filter(|(t, _)| *t < began)
                .map(|(_, id)| id),
        );
    }
    assert!(
        !before.is_empty() && total > before.len(),
        "writes before and during: {} of {total}",
        before.len()
    );
    app.db.close().await;
    // Restored elsewhere: every write acknowledged before the backup began.
    let restored = format!("sqlite://{}/restored.db", dir.display());
    restore(&restored, &key(), &file, false).await.unwrap();
    let db = Db::connect(&restored).await.unwrap();
    // The backup holds the sealed text; the keys open it.
    let keys = vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]);
    db.set_field_keys(keys.fields.unwrap(), None);
    let mut tx = db.begin_read().await.unwrap();
    let n = vink_store::concern::count_concerns(&mut tx).await.unwrap();
    for id in &before {
        assert!(
            vink_store::concern::concern(&mut tx, *id)
                .await
                .unwrap()
                .is_some(),
            "acknowledged before the backup, missing after restore"
        );
    }
    // The backup's own audit row is in the copy.
    vink_store::audit::settle(&db).await.unwrap();
    let rows = vink_store::audit::list(&mut tx, &Default::default(), 100_000)
        .await
        .unwrap();
    assert!(rows.iter().any(|r| r.action == "backup.run"));
    tx.commit().await.unwrap();
    assert!(n as usize >= before.len());
    let app = App::new(
        db,
        Config::default(),
        vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
    );
    assert!(matches!(
        vink_app::audit::verify(&app).await.unwrap(),
        vink_app::audit::Verification::Intact { .. }
    ));
    app.db.close().await;
    // Over a database that exists: only with force.
    assert!(matches!(
        restore(&restored, &key(), &file, false).await,
        Err(BackupError::Exists(_))
    ));
    // A changed byte: refused, and the database left as it was.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    let bad = dir.join("changed.backup");
    std::fs::write(&bad, &bytes).unwrap();
    let before_bytes = std::fs::read(dir.join("restored.db")).unwrap();
    assert!(matches!(
        restore(&restored, &key(), &bad, true).await,
        Err(BackupError::Tampered(_))
    ));
    assert_eq!(
        std::fs::read(dir.join("restored.db")).unwrap(),
        before_bytes
    );
    let _ = std::fs::remove_dir_all(dir);
}
