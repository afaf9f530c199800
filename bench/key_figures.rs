//! The key-figure report at national scale, beside the same figures
//! recounted from the case tables in the same run (what a report without
//! facts would have to do). Periods of every length: a month, a quarter, a
//! year, five years and the whole history.
//!
//! Run against a generated data set (see bench/README.md):
//! `VINK_BENCH_DATABASE_URL=postgres://…/vink_m10 cargo bench -p vink-app --bench key_figures`
//! (`VINK_BENCH_ROUNDS`, default 40; the recount is the median of three
//! runs). Prints the Markdown table that goes into BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use jiff::civil::Date;
use vink_app::key_figures::{KeyFigureQuery, report};
use vink_app::{App, Config};
use vink_domain::key_figures::{Sums, figures};
use vink_domain::user::{Actor, Role};
use vink_store::Db;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The figures of a period from the case tables: every fact the case tables
/// hold now, made again and summed.
async fn recount(db: &Db, from: Date, to: Date) -> usize {
    let mut tx = db.begin_read().await.unwrap();
    let facts = vink_store::fact::recount(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let s = Sums::of_facts(&facts, &vink_domain::metrics::Period { from, to });
    figures(&s, 70).len()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((url, rounds)) = common::data_set(40) else {
        return;
    };
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    // The keys the data set was generated with (VINK_KEYS_FILE or VINK_KEYS).
    let keys = match vink_app::keys::KeySet::load(
        std::env::var_os("VINK_KEYS_FILE")
            .map(std::path::PathBuf::from)
            .as_deref(),
    ) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let app = App::new(db, Config::default(), keys);
    let today = app.today();
    let analyst = Actor::user(uuid::Uuid::now_v7(), Role::Analyst, None);
    let back = |days: i64| today.checked_sub(jiff::Span::new().days(days)).unwrap();
    let periods = [
        ("a month", back(30)),
        ("a quarter", back(91)),
        ("a year", back(365)),
        ("five years", back(5 * 365)),
        ("ten years", back(10 * 365)),
    ];
    println!("| period | report p50 ms | p95 ms | max ms | recount from case tables ms | ratio |");
    println!("|---|---|---|---|---|---|");
    for (name, from) in periods {
        let q = KeyFigureQuery {
            from: Some(from.to_string()),
            to: Some(today.to_string()),
        };
        // Warm the caches once, as a running server has them.
        report(&app, &analyst, &q).await.unwrap();
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let r = report(&app, &analyst, &q).await.unwrap();
            times.push(t.elapsed());
            assert!(!r.figures.is_empty());
        }
        times.sort();
        // The recount's median of three runs: one run alone swung by a
        // third between runs on this machine.
        let mut naives = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let n = recount(&app.db, from, today).await;
            naives.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(n > 0);
        }
        naives.sort_by(f64::total_cmp);
        let naive = naives[1];
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {naive:.0} | {:.0}× |",
            pct(&times, 0.5),
            pct(&times, 0.95),
            pct(&times, 1.0),
            naive / pct(&times, 0.95)
        );
    }
    app.db.close().await;
}
