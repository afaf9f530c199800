//! What encryption at rest costs: sealing and opening one value
//! (AES-256-GCM, by length), and the read of a concern through the whole
//! stack (access check, audit row, commit) with its description sealed
//! against the same concerns with their descriptions in clear text (as
//! from before encryption: the store reads such values as they are), on
//! the same database in the same run.
//!
//! Run: `cargo bench -p vink-app --bench sealed` (PostgreSQL too when
//! `VINK_TEST_POSTGRES_URL` is set). Results go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use vink_store::sealed::FieldKeys;
use vink_store::{Db, SqliteTx, Tx};

#[path = "common/mod.rs"]
mod common;
use common::{draft, time};

const READS: usize = 2_000;

fn per_value() {
    let keys = FieldKeys::new("k1", vec![("k1".into(), [7; 32])]).unwrap();
    println!("| value | seal µs | open µs |");
    println!("|---|---|---|");
    for len in [100usize, 1_000, 10_000] {
        let text = "æ".repeat(len / 2);
        let n = 20_000;
        let t = Instant::now();
        let mut sealed = String::new();
        for i in 0..n {
            sealed = keys
                .seal("concerns.description", &i.to_string(), &text)
                .unwrap();
        }
        let seal = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let t = Instant::now();
        for _ in 0..n {
            keys.open("concerns.description", &(n - 1).to_string(), &sealed)
                .unwrap()
                .unwrap();
        }
        let open = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("| {len} bytes | {seal:.2} | {open:.2} |");
    }
}

async fn exec(db: &Db, sql: &str) {
    let mut tx = db.begin().await.unwrap();
    match &mut tx {
        Tx::Sqlite(SqliteTx::Write(c)) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut **c)
                .await
                .unwrap();
        }
        Tx::Sqlite(SqliteTx::Read(_)) => unreachable!(),
        Tx::Pg(c) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut **c)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

async fn reads(url: &str, name: &str) {
    let db = Db::connect(url).await.unwrap();
    let (app, actor) = common::app(db).await;
    let mut ids = Vec::with_capacity(READS);
    for i in 0..READS {
        ids.push(
            vink_app::concern::create(&app, &actor, &draft(i))
                .await
                .unwrap()
                .id,
        );
    }
    let sealed = time(READS, async |i| {
        vink_app::concern::get(&app, &actor, ids[i]).await.unwrap();
    })
    .await;
    // The same concerns with their descriptions in clear text.
    exec(&app.db, "UPDATE concerns SET description = 'Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. Fiktiv bekymring til belastningstest. '").await;
    let clear = time(READS, async |i| {
        vink_app::concern::get(&app, &actor, ids[i]).await.unwrap();
    })
    .await;
    println!("\n{name}: `GET` a concern through the app (ms)\n");
    println!("| description | n | p50 | p95 | p99 | per s |");
    println!("|---|---|---|---|---|---|");
    println!("{}", sealed.row("sealed"));
    println!("{}", clear.row("clear text"));
    app.db.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    per_value();
    let dir = std::env::temp_dir().join(format!(
        "vink-bench-sealed-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    reads(&format!("sqlite://{}/vink.db", dir.display()), "SQLite").await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let pg = vink_testkit::ScratchPg::create(&admin, "bench_sealed").await;
        reads(pg.url(), "PostgreSQL").await;
        pg.drop_now().await;
    }
}
