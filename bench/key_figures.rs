//! The key-figure report at national scale, beside the same figures
//! recounted from the case tables in the same run (what a report without
//! facts would have to do). Periods of every length: a month, a quarter, a
//! year, five years and the whole history.
//!
//! Run against a generated data set (see bench/README.md):
//! `VINK_BENCH_DATABASE_URL=postgres://…/vink_m10 cargo bench -p vink-app --bench key_figures`
//! (`VINK_BENCH_ROUNDS`, default 40; the recount is the median of three
//! runs). Prints the Markdown table that goes into BENCHMARKS.md, with two
//! references: the period's figures recounted (what earlier runs compared
//! with) and the whole report recounted (the period before and the months
//! too, as the report answers them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use vink_app::key_figures::{KeyFigureQuery, report};
use vink_app::{App, Config};
use vink_domain::key_figures::{Sums, figures};
use vink_domain::metrics::Period;
use vink_domain::series::{rows_of_facts, series};
use vink_domain::user::{Actor, Role};
use vink_store::Db;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// What a report without facts would have to do, from the case tables:
/// every fact they hold now, made again, and summed. `Figures` sums the
/// period alone (the reference of the earlier runs); `Report` also sums the
/// period before it and each of its months, which the report answers too
/// (the comparison column and the charts).
#[derive(Clone, Copy, PartialEq)]
enum Recount {
    Figures,
    Report,
}

async fn recount(db: &Db, period: &Period, what: Recount) -> usize {
    let mut tx = db.begin_read().await.unwrap();
    let facts = vink_store::fact::recount(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let mut n = figures(&Sums::of_facts(&facts, period), 70).len();
    if what == Recount::Report {
        if let Some(p) = period.previous() {
            n += figures(&Sums::of_facts(&facts, &p), 70).len();
        }
        let monthly = rows_of_facts(&facts, period);
        n += series(&monthly, period, false).months.len();
    }
    n
}

/// The recount's median of `runs` runs: one run alone swung by a third
/// between runs on this machine.
async fn recount_ms(db: &Db, period: &Period, what: Recount, runs: usize) -> f64 {
    let mut ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        assert!(recount(db, period, what).await > 0);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
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
    // VINK_BENCH_ONLY: one period by name ("ten years"); VINK_BENCH_RECOUNTS:
    // the recount's runs (default 3; 0 skips it, for profiling the report).
    let only = std::env::var("VINK_BENCH_ONLY").ok();
    let runs: usize = std::env::var("VINK_BENCH_RECOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // The first report loads the mirror of the folded facts (in `serve` the
    // fold job does, at start): what a process pays once.
    let first = std::time::Instant::now();
    let q = KeyFigureQuery {
        from: Some(back(30).to_string()),
        to: Some(today.to_string()),
    };
    report(&app, &analyst, &q).await.unwrap();
    println!(
        "First report of this process, loading the mirror of the folded facts: {:.1} ms\n",
        first.elapsed().as_secs_f64() * 1000.0
    );
    println!(
        "| period | report p50 ms | p95 ms | max ms | recount: figures ms | ratio | recount: whole report ms | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, from) in periods {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
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
        let (p50, p95, max) = (pct(&times, 0.5), pct(&times, 0.95), pct(&times, 1.0));
        if runs == 0 {
            println!("| {name} | {p50:.2} | {p95:.2} | {max:.2} | | | | |");
            continue;
        }
        let period = Period { from, to: today };
        let figures_ms = recount_ms(&app.db, &period, Recount::Figures, runs).await;
        let report_ms = recount_ms(&app.db, &period, Recount::Report, runs).await;
        println!(
            "| {name} | {p50:.2} | {p95:.2} | {max:.2} | {figures_ms:.0} | {:.0}× | {report_ms:.0} | {:.0}× |",
            figures_ms / p95,
            report_ms / p95,
        );
    }
    app.db.close().await;
}
