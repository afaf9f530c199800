//! The keyed audit log on both databases: someone who can write the
//! database but has no key cannot rewrite rows unnoticed; cutting rows off
//! the end and setting the head back is caught by the signed checkpoints;
//! the server never signs a head once its last checkpoint is gone; a chain
//! from before keys is rewritten under the key only if it was intact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vink_app::audit::Verification;
use vink_app::checkpoint::CheckpointConfig;
use vink_app::keys::KeySet;
use vink_app::{App, Config};
use vink_domain::user::{Actor, Role};
use vink_store::Db;
use vink_store::audit::KeyCheck;

mod common;

use common::Backend;

async fn backends() -> Vec<Backend> {
    common::backends("akeys").await
}

fn keys() -> KeySet {
    KeySet::from_bytes([1; 32], [2; 32])
}

async fn app(b: &Backend, keys: KeySet) -> App {
    let db = Db::connect(&b.url).await.unwrap();
    db.migrate().await.unwrap();
    let config = Config {
        checkpoints: CheckpointConfig {
            file: Some(b.dir.join("checkpoints.jsonl")),
            ..CheckpointConfig::default()
        },
        ..Config::default()
    };
    App::new(db, config, keys)
}

fn draft(i: usize) -> vink_domain::concern::ConcernDraft {
    common::draft(i, "Nøgle")
}

/// Some audited work: one intake, one audit row each.
async fn work(app: &App, n: usize) {
    let actor = Actor::user(uuid::Uuid::now_v7(), Role::Secretariat, None);
    for i in 0..n {
        vink_app::concern::create(app, &actor, &draft(i))
            .await
            .unwrap();
    }
    vink_store::audit::settle(&app.db).await.unwrap();
}

/// Statements run as an intruder would: on a connection of their own,
/// with no key.
async fn tamper(b: &Backend, statements: &[String]) {
    common::exec(&b.url, statements).await;
}

async fn hash_of(app: &App, seq: i64) -> String {
    let mut tx = app.db.begin_read().await.unwrap();
    let r = vink_store::audit::rows_after(&mut tx, seq - 1, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r[0].hash.clone()
}

async fn head(app: &App) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    let (seq, _) = vink_store::audit::head(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    seq
}

#[tokio::test]
async fn a_cut_tail_with_the_head_set_back_is_found_and_never_signed() {
    for b in backends().await {
        let app = app(&b, keys()).await;
        work(&app, 3).await;
        assert!(
            vink_app::checkpoint::take(&app, false)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            vink_app::checkpoint::take(&app, false)
                .await
                .unwrap()
                .is_none(),
            "{}: an unmoved head is not signed again",
            b.name
        );
        work(&app, 2).await;
        let top = head(&app).await;
        assert!(
            vink_app::checkpoint::take(&app, false)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            vink_app::audit::verify(&app).await.unwrap(),
            Verification::Intact {
                rows: top,
                checkpoints: 2
            },
            "{}",
            b.name
        );
        // The intruder deletes the last two rows and sets the head back to
        // a genuine earlier row: the chain alone is consistent.
        let keep = top - 2;
        let h = hash_of(&app, keep).await;
        tamper(
            &b,
            &[
                format!("DELETE FROM audit_log WHERE seq > {keep}"),
                format!("UPDATE audit_head SET seq = {keep}, hash = '{h}' WHERE id = 1"),
            ],
        )
        .await;
        let app = self::app(&b, keys()).await;
        match vink_app::audit::verify(&app).await.unwrap() {
            Verification::Broken(br) => {
                assert_eq!(br.seq, keep + 1, "{}", b.name);
                assert!(br.problem.contains("checkpoint"), "{}", br.problem);
            }
            v => panic!("{}: {v:?}", b.name),
        }
        // New work goes on, but the server refuses to sign a head that no
        // longer holds its last checkpoint: the cut is never blessed.
        work(&app, 1).await;
        let e = vink_app::checkpoint::take(&app, false).await.unwrap_err();
        assert!(e.to_string().contains("no longer holds"), "{e}");
        assert!(matches!(
            vink_app::audit::verify(&app).await.unwrap(),
            Verification::Broken(_)
        ));
        app.db.close().await;
    }
}

#[tokio::test]
async fn rows_rewritten_without_the_key_fail_and_the_wrong_key_is_refused() {
    for b in backends().await {
        let app = app(&b, keys()).await;
        work(&app, 3).await;
        assert_eq!(
            vink_store::audit::key_check(&app.db, &app.keys.audit)
                .await
                .unwrap(),
            KeyCheck::Matches
        );
        let other = KeySet::from_bytes([9; 32], [2; 32]);
        assert_eq!(
            vink_store::audit::key_check(&app.db, &other.audit)
                .await
                .unwrap(),
            KeyCheck::OtherKey,
            "{}",
            b.name
        );
        // An allowed row turned denied, with the hash left alone.
        tamper(
            &b,
            &["UPDATE audit_log SET outcome = 'denied' WHERE seq = 2".to_string()],
        )
        .await;
        let app = self::app(&b, keys()).await;
        match vink_app::audit::verify(&app).await.unwrap() {
            Verification::Broken(br) => assert_eq!(br.seq, 2, "{}", b.name),
            v => panic!("{}: {v:?}", b.name),
        }
        app.db.close().await;
    }
}

#[tokio::test]
async fn a_changed_checkpoint_line_is_named_and_a_restore_starts_afresh() {
    for b in backends().await {
        let app = app(&b, keys()).await;
        work(&app, 2).await;
        vink_app::checkpoint::take(&app, false).await.unwrap();
        work(&app, 1).await;
        vink_app::checkpoint::take(&app, false).await.unwrap();
        let file = b.dir.join("checkpoints.jsonl");
        let text = std::fs::read_to_string(&file).unwrap();
        // Someone moves the first checkpoint back a row.
        let first = text.lines().next().unwrap().to_string();
        let v: serde_json::Value = serde_json::from_str(&first).unwrap();
        let seq = v["seq"].as_i64().unwrap();
        let changed = first.replace(&format!("\"seq\":{seq}"), &format!("\"seq\":{}", seq - 1));
        assert_ne!(changed, first);
        std::fs::write(&file, text.replacen(&first, &changed, 1)).unwrap();
        let e = vink_app::audit::verify(&app).await.unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("signed"), "{e}");
        std::fs::write(&file, &text).unwrap();
        // A restore sets the chain back on purpose (here: the last row cut)
        // and says so in a signed checkpoint; the ones before it no longer
        // bind the chain.
        let top = head(&app).await;
        let h = hash_of(&app, top - 1).await;
        tamper(
            &b,
            &[
                format!("DELETE FROM audit_log WHERE seq > {}", top - 1),
                format!(
                    "UPDATE audit_head SET seq = {}, hash = '{h}' WHERE id = 1",
                    top - 1
                ),
            ],
        )
        .await;
        let app = self::app(&b, keys()).await;
        assert!(matches!(
            vink_app::audit::verify(&app).await.unwrap(),
            Verification::Broken(_)
        ));
        vink_app::checkpoint::take(&app, true).await.unwrap();
        assert_eq!(
            vink_app::audit::verify(&app).await.unwrap(),
            Verification::Intact {
                rows: top - 1,
                checkpoints: 1
            },
            "{}",
            b.name
        );
        app.db.close().await;
    }
}

#[tokio::test]
async fn an_unkeyed_chain_is_rekeyed_only_when_intact() {
    for b in backends().await {
        let app = app(&b, keys()).await;
        work(&app, 4).await;
        // Make it a chain from before keys: every link hashed the old way.
        let mut tx = app.db.begin().await.unwrap();
        let rows = vink_store::audit::rows_after(&mut tx, 0, 100)
            .await
            .unwrap();
        let mut prev = vink_domain::audit::GENESIS.to_string();
        let mut links = Vec::new();
        for r in &rows {
            let h = r.to_stored().unwrap().fields.legacy_hash(&prev);
            links.push((r.seq, std::mem::replace(&mut prev, h.clone()), h));
        }
        vink_store::audit::rewrite_links(&mut tx, &links)
            .await
            .unwrap();
        vink_store::audit::rewrite_head(&mut tx, rows.len() as i64, &prev)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        app.db.close().await;
        let app = self::app(&b, keys()).await;
        assert_eq!(
            vink_store::audit::key_check(&app.db, &app.keys.audit)
                .await
                .unwrap(),
            KeyCheck::Unkeyed,
            "{}",
            b.name
        );
        // A changed row: the rekey refuses and rewrites nothing.
        tamper(
            &b,
            &["UPDATE audit_log SET action = 'user.create' WHERE seq = 2".to_string()],
        )
        .await;
        assert!(vink_app::audit::rekey(&app).await.is_err());
        tamper(
            &b,
            &["UPDATE audit_log SET action = 'concern.create' WHERE seq = 2".to_string()],
        )
        .await;
        let app = self::app(&b, keys()).await;
        assert_eq!(
            vink_store::audit::key_check(&app.db, &app.keys.audit)
                .await
                .unwrap(),
            KeyCheck::Unkeyed
        );
        let n = vink_app::audit::rekey(&app).await.unwrap();
        assert_eq!(n, rows.len() as i64);
        assert_eq!(
            vink_store::audit::key_check(&app.db, &app.keys.audit)
                .await
                .unwrap(),
            KeyCheck::Matches
        );
        work(&app, 1).await;
        assert!(matches!(
            vink_app::audit::verify(&app).await.unwrap(),
            Verification::Intact { .. }
        ));
        app.db.close().await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn checkpoints_also_go_to_syslog() {
    let b = backends().await.remove(0);
    let socket = b.dir.join("log.sock");
    let listener = std::os::unix::net::UnixDatagram::bind(&socket).unwrap();
    listener
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut app = app(&b, keys()).await;
    app.config.checkpoints.syslog = Some(socket.clone());
    work(&app, 1).await;
    let signed = vink_app::checkpoint::take(&app, false)
        .await
        .unwrap()
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = listener.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(msg.starts_with("<86>vink["), "{msg}");
    assert!(msg.contains("audit-checkpoint"), "{msg}");
    assert!(msg.contains(&signed.signature), "{msg}");
    app.db.close().await;
}
