//! Load run for the triage slice: seeds concerns through the real use cases
//! (policy + audit + fsync'd commits) and times the operations a case worker
//! repeats all day. Run: `cargo bench -p vink-app` (SQLite; also PostgreSQL when
//! `VINK_TEST_POSTGRES_URL` is set). Numbers go to BENCHMARKS.md, never into tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use vink_app::App;
use vink_app::concern::{ListQuery, create, dashboard, get, list};
use vink_domain::user::Actor;
use vink_store::Db;

const SEED: usize = 3_000;

#[path = "common/mod.rs"]
mod common;
use common::{draft, time};

/// Intake rate alone, then while four readers page the concern list: reads
/// run on reader connections and take the writer only for their audit row.
async fn intake_under_readers(app: &std::sync::Arc<App>, actor: &Actor) -> (f64, f64, usize) {
    use std::sync::atomic::{AtomicBool, Ordering};
    const WINDOW: Duration = Duration::from_secs(3);
    let intake = async || {
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed() < WINDOW {
            create(app, actor, &draft(n)).await.unwrap();
            n += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    let alone = intake().await;
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|r| {
            let (app, actor, stop) = (app.clone(), actor.clone(), stop.clone());
            tokio::spawn(async move {
                let mut pages = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let q = ListQuery {
                        page: Some(1 + ((pages + r) % 40) as i64),
                        per_page: Some(25),
                        ..Default::default()
                    };
                    list(&app, &actor, &q).await.unwrap();
                    pages += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                pages
            })
        })
        .collect();
    let with_readers = intake().await;
    stop.store(true, Ordering::Relaxed);
    let mut pages = 0;
    for r in readers {
        pages += r.await.unwrap();
    }
    (alone, with_readers, pages)
}

async fn run(name: &str, db: Db) {
    let (app, actor) = common::app(db).await;

    let mut ids = Vec::with_capacity(SEED);
    let creates = time(SEED, async |i| {
        ids.push(create(&app, &actor, &draft(i)).await.unwrap().id)
    })
    .await;
    let q = ListQuery {
        per_page: Some(25),
        ..Default::default()
    };
    let lists = time(300, async |_| {
        list(&app, &actor, &q).await.unwrap();
    })
    .await;
    let od = ListQuery {
        due: Some("overdue".into()),
        per_page: Some(25),
        ..Default::default()
    };
    let overdue = time(300, async |_| {
        list(&app, &actor, &od).await.unwrap();
    })
    .await;
    let deep = ListQuery {
        page: Some(100),
        per_page: Some(25),
        ..Default::default()
    };
    let deep_pages = time(300, async |_| {
        list(&app, &actor, &deep).await.unwrap();
    })
    .await;
    let reads = time(1_000, async |i| {
        get(&app, &actor, ids[(i * 7919) % ids.len()])
            .await
            .unwrap();
    })
    .await;
    let dash = time(300, async |_| {
        dashboard(&app, &actor).await.unwrap();
    })
    .await;
    let (alone, with_readers, pages) = intake_under_readers(&app, &actor).await;
    let verify_start = Instant::now();
    let v = vink_app::audit::verify(&app).await.unwrap();
    let verify = verify_start.elapsed();

    println!("\n### {name}: {SEED} concerns seeded\n");
    println!("| operation | n | p50 ms | p95 ms | p99 ms | ops/s (serial) |");
    println!("|---|---|---|---|---|---|");
    println!(
        "{}",
        creates.row("create concern (validate, insert, audit, commit)")
    );
    println!(
        "{}",
        lists.row("list page 1, sorted by deadline (25 rows + count)")
    );
    println!("{}", overdue.row("list overdue filter"));
    println!("{}", deep_pages.row("list page 100"));
    println!("{}", reads.row("read concern detail (audited)"));
    println!("{}", dash.row("dashboard counts"));
    println!(
        "\nintake for 3 s: alone {alone:.0}/s; while 4 readers page the list (25 rows, 50 ms between pages) {with_readers:.0}/s = {:.2}x ({pages} pages read)",
        with_readers / alone
    );
    println!(
        "\naudit verify: {v:?} in {:.0} ms",
        verify.as_secs_f64() * 1e3
    );
    app.db.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("vink-bench-{}", uuid::Uuid::now_v7().simple()));
    let db = Db::connect(&format!("sqlite://{}/vink.db", dir.display()))
        .await
        .unwrap();
    run("SQLite (WAL, synchronous=FULL)", db).await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let pg = vink_testkit::ScratchPg::create(&admin, "bench").await;
        run(
            "PostgreSQL 15 (local)",
            Db::connect(pg.url()).await.unwrap(),
        )
        .await;
        pg.drop_now().await;
    }
}
