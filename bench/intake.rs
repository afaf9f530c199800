//! Intake held against the hardware: the durable single-row insert rate of
//! the same database, measured in the same run, beside the rate of whole
//! intakes (validation, case number, concern, person, event, audit row,
//! commit) at 1 and 16 concurrent clients. Ratios, so machine noise cancels.
//!
//! SQLite reference: one row per transaction, WAL with synchronous=FULL (what
//! vink runs with), from 1 and from 16 connections. PostgreSQL reference:
//! `pgbench` with a one-row INSERT script at 1 and 16 clients.
//!
//! Run: `cargo bench -p vink-app --bench intake` (PostgreSQL too when
//! `VINK_TEST_POSTGRES_URL` is set). Results go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use vink_app::concern::create;
use vink_store::Db;

#[path = "common/mod.rs"]
mod common;
use common::draft;

const WINDOW: Duration = Duration::from_secs(5);

/// Runs `clients` loops of `op` for the window; operations per second.
async fn rate<F, Fut>(clients: usize, op: F) -> f64
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let op = op.clone();
        tasks.spawn(async move {
            let mut n = 0usize;
            while start.elapsed() < WINDOW {
                op(c, n).await;
                n += 1;
            }
            n
        });
    }
    let mut total = 0;
    while let Some(n) = tasks.join_next().await {
        total += n.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// Single-row durable inserts into a table of the same file, one row per
/// transaction, from `clients` connections of their own.
async fn sqlite_raw(path: &std::path::Path, clients: usize) -> f64 {
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    let mut c = opts.connect().await.unwrap();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS raw_insert (id BLOB PRIMARY KEY, payload TEXT NOT NULL)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let mut conns = Vec::new();
    for _ in 0..clients {
        conns.push(Arc::new(tokio::sync::Mutex::new(
            opts.connect().await.unwrap(),
        )));
    }
    let conns = Arc::new(conns);
    rate(clients, move |client, _| {
        let conns = conns.clone();
        async move {
            let mut c = conns[client].lock().await;
            sqlx::query("INSERT INTO raw_insert (id, payload) VALUES ($1, $2)")
                .bind(uuid::Uuid::now_v7())
                .bind("x".repeat(300))
                .execute(&mut *c)
                .await
                .unwrap();
        }
    })
    .await
}

/// pgbench's rate for a one-row INSERT at `clients` clients.
fn pgbench(url: &str, clients: usize) -> f64 {
    let dir = std::env::temp_dir().join(format!("vink-pgbench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO raw_insert (id, payload) VALUES (gen_random_uuid(), repeat('x', 300));\n",
    )
    .unwrap();
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T"])
        .arg(WINDOW.as_secs().to_string())
        .arg("-f")
        .arg(&script)
        .arg(url)
        .output()
        .expect("pgbench is installed (apt-get install postgresql-client)");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or_else(|| {
            panic!(
                "pgbench said: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

async fn intake(db: Db, clients: usize) -> f64 {
    let (app, actor) = common::app(db).await;
    // The server's background work runs as in `serve` (the audit chainer).
    let jobs = vink_app::jobs::start(app.clone(), vink_app::jobs::Intervals::default());
    let r = rate(clients, move |c, n| {
        let (app, actor) = (app.clone(), actor.clone());
        async move {
            create(&app, &actor, &draft(c * 1_000_000 + n))
                .await
                .unwrap();
        }
    })
    .await;
    jobs.abort();
    r
}

fn line(what: &str, clients: usize, raw: f64, intake: f64, target: f64) {
    let ratio = intake / raw;
    println!(
        "| {what} | {clients} | {raw:.0} | {intake:.0} | {ratio:.2}× | {target:.1}× | {} |",
        if ratio >= target {
            "met"
        } else {
            "**not met**"
        }
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("| database | clients | raw durable inserts/s | intakes/s | ratio | target | |");
    println!("|---|---|---|---|---|---|---|");
    for (clients, target) in [(1, 0.5), (16, 1.0)] {
        let dir =
            std::env::temp_dir().join(format!("vink-intake-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vink.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let raw = sqlite_raw(&file, clients).await;
        let got = intake(db, clients).await;
        line("SQLite (WAL, FULL)", clients, raw, got, target);
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        for clients in [1, 16] {
            let pg = vink_testkit::ScratchPg::create(&admin, "bench").await;
            let url = pg.url().to_string();
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query("CREATE TABLE raw_insert (id UUID PRIMARY KEY, payload TEXT NOT NULL)")
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
            let raw = pgbench(&url, clients);
            let got = intake(Db::connect(&url).await.unwrap(), clients).await;
            line("PostgreSQL 15", clients, raw, got, 0.5);
            pg.drop_now().await;
        }
    }
}
