//! Deletion on schedule on both databases, over the demo's 20 months of
//! history: the concerns decided without action and older than the period
//! go (with their persons where nothing else names them), everything else
//! stays, every key figure reads the same afterwards, each deletion leaves
//! one audit row and the chain stays intact, and runs at once delete each
//! concern once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use vink_app::key_figures::{self, KeyFigureQuery};
use vink_app::{App, Config};
use vink_domain::user::{Actor, Role};
use vink_store::{Db, Tx};

async fn app(b: &common::Backend) -> App {
    let db = Db::connect(&b.url).await.unwrap();
    db.migrate().await.unwrap();
    let config = Config {
        password_memory_kib: 1024,
        ..Config::default()
    };
    let app = App::new(
        db,
        config,
        vink_app::keys::KeySet::from_bytes([3; 32], [4; 32]),
    );
    vink_app::demo::load(&app).await.unwrap();
    app
}

async fn count(app: &App, sql: &str) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    let n: i64 = match &mut tx {
        Tx::Sqlite(c) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut **c)
            .await
            .unwrap(),
        Tx::Pg(c) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut **c)
            .await
            .unwrap(),
    };
    tx.commit().await.unwrap();
    n
}

/// Concerns decided without action before the period's start.
async fn due(app: &App) -> i64 {
    let cutoff = vink_domain::retention::cutoff(app.now(), 12).unwrap();
    count(
        app,
        &format!(
            "SELECT COUNT(*) FROM concerns WHERE decision IN ('unfounded', 'advice_only') AND decided_at < {}
               AND NOT EXISTS (SELECT 1 FROM courses c WHERE c.concern_id = concerns.id)",
            vink_store::micros(cutoff)
        ),
    )
    .await
}

/// Every key figure over the whole history and the period before it.
async fn figures(app: &App) -> serde_json::Value {
    vink_store::fact::fold(&app.db).await.unwrap();
    let sek = Actor::user(uuid::Uuid::now_v7(), Role::Secretariat, None);
    let today = app.today();
    let q = KeyFigureQuery {
        from: Some((today - jiff::ToSpan::years(3)).to_string()),
        to: Some(today.to_string()),
    };
    let r = key_figures::report(app, &sek, &q).await.unwrap();
    serde_json::json!({
        "figures": serde_json::to_value(&r.figures).unwrap(),
        "previous": serde_json::to_value(&r.previous).unwrap(),
    })
}

#[tokio::test]
async fn cases_past_their_period_go_and_every_figure_stays() {
    for b in common::backends("retention").await {
        let app = app(&b).await;
        let due_before = due(&app).await;
        assert!(
            due_before > 10,
            "{}: the demo has old unfounded concerns",
            b.name
        );
        let kept_before = count(&app, "SELECT COUNT(*) FROM concerns").await - due_before;
        let persons_before = count(&app, "SELECT COUNT(*) FROM persons").await;
        let before = figures(&app).await;

        let run = vink_app::retention::run(&app).await.unwrap();
        assert_eq!(run.concerns, due_before as u64, "{}", b.name);
        assert!(
            run.persons > 0,
            "{}: persons named by nothing else go",
            b.name
        );
        assert_eq!(due(&app).await, 0, "{}", b.name);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM concerns").await,
            kept_before
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM persons").await,
            persons_before - run.persons as i64
        );
        // Nothing left pointing at what went, and no person left unnamed.
        for orphan in [
            "SELECT COUNT(*) FROM concern_events e WHERE NOT EXISTS (SELECT 1 FROM concerns k WHERE k.id = e.concern_id)",
            "SELECT COUNT(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM concern_persons cp WHERE cp.person_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM courses c WHERE c.person_id = p.id)",
            "SELECT COUNT(*) FROM person_name_tokens t WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = t.person_id)",
        ] {
            assert_eq!(count(&app, orphan).await, 0, "{}: {orphan}", b.name);
        }
        assert_eq!(
            figures(&app).await,
            before,
            "{}: the figures read the same",
            b.name
        );

        vink_store::audit::settle(&app.db).await.unwrap();
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.delete' AND actor_kind = 'system'").await,
            due_before,
            "{}: one row per deleted concern",
            b.name
        );
        assert!(matches!(
            vink_app::audit::verify(&app).await.unwrap(),
            vink_app::audit::Verification::Intact { .. }
        ));
        assert_eq!(vink_app::retention::run(&app).await.unwrap().concerns, 0);
    }
}

#[tokio::test]
async fn runs_at_once_delete_each_case_once() {
    for b in common::backends("retention_race").await {
        let app = std::sync::Arc::new(app(&b).await);
        let due_before = due(&app).await;
        let runs: Vec<_> = (0..3)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { vink_app::retention::run(&app).await.unwrap() })
            })
            .collect();
        let mut deleted = 0;
        for r in runs {
            deleted += r.await.unwrap().concerns;
        }
        assert_eq!(deleted, due_before as u64, "{}", b.name);
        vink_store::audit::settle(&app.db).await.unwrap();
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.delete'"
            )
            .await,
            due_before,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn switched_off_it_deletes_nothing() {
    let b = common::backends("retention_off").await.remove(0);
    let mut app = app(&b).await;
    app.config.retention_unfounded_months = None;
    let before = due(&app).await;
    assert_eq!(vink_app::retention::run(&app).await.unwrap().concerns, 0);
    assert_eq!(due(&app).await, before);
}
