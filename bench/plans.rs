//! Every list query on a national-scale data set, planned as the lists run
//! it (PostgreSQL's own costs, generic or custom plan as the list asks for)
//! and timed: what the plan test in CI cannot show. That test switches
//! scans and sorts off on a small set, so it proves an index *can* serve
//! each query; this shows what the planner *does* at scale, and how long
//! it takes. It would have caught session 12's deep pages (a generic plan
//! that chose a parallel scan and a sort: 100 ms).
//!
//! `VINK_BENCH_DATABASE_URL=postgres://…/vink_m cargo bench -p vink-app --bench plans`
//! (or a `sqlite://` generated set). `VINK_BENCH_ROUNDS` (default 5) runs
//! of each query; prints the flagged plans and the slowest queries as
//! Markdown for BENCHMARKS.md (`VINK_BENCH_SHOW=text`: also the whole plan
//! of every query whose name contains the text). Reads only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use vink_store::Db;
use vink_store::query_plan::{Planner, explain_with, list_queries, run, violations};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(url) = std::env::var("VINK_BENCH_DATABASE_URL") else {
        eprintln!("set VINK_BENCH_DATABASE_URL to a generated data set (bench/README.md)");
        return;
    };
    let rounds: usize = std::env::var("VINK_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let db = Db::connect(&url).await.unwrap();
    let mut tx = db.begin_read().await.unwrap();
    let inputs = vink_app::generate::plan_inputs(&mut tx, jiff::Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut rows = Vec::new();
    for q in list_queries(&inputs) {
        let mut tx = db.begin_read().await.unwrap();
        let plan = explain_with(&mut tx, &q, Planner::AsRun).await.unwrap();
        tx.commit().await.unwrap();
        let flagged = violations(&q.name, &plan, db.backend());
        let mut times = Vec::with_capacity(rounds);
        let mut n = 0;
        for _ in 0..rounds {
            let mut tx = db.begin_read().await.unwrap();
            let t = Instant::now();
            n = run(&mut tx, &q).await.unwrap();
            times.push(t.elapsed());
            tx.commit().await.unwrap();
        }
        times.sort();
        rows.push((q.name, q.custom, times, n, plan, flagged));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = |t: &[Duration]| t[t.len() / 2];
    let flagged: Vec<_> = rows.iter().filter(|r| !r.5.is_empty()).collect();
    println!(
        "{} queries, {} rounds each, {:?}; {} planned for their values; {} flagged (a scan or sort of a large table in the plan the planner chose)\n",
        rows.len(),
        rounds,
        db.backend(),
        rows.iter().filter(|r| r.1).count(),
        flagged.len()
    );
    for (name, _, times, _, plan, bad) in &flagged {
        println!(
            "- **{name}** ({:.2} ms): {}\n\n  ```\n  {}\n  ```",
            ms(median(times)),
            bad.join(" / "),
            plan.join("\n  ")
        );
    }
    rows.sort_by_key(|r| std::cmp::Reverse(median(&r.2)));
    let total: Duration = rows.iter().map(|r| median(&r.2)).sum();
    println!(
        "\nSum of the medians: {:.1} ms; the slowest 15:\n\n| query | plan | median ms | max ms | rows | top of the plan |\n|---|---|---|---|---|---|",
        ms(total)
    );
    for (name, custom, times, n, plan, _) in rows.iter().take(15) {
        let top = plan
            .iter()
            .map(|l| l.trim().trim_start_matches("->").trim())
            .find(|l| !l.starts_with("Limit") && !l.starts_with("Aggregate"))
            .unwrap_or_default();
        let top: String = top.chars().take(70).collect();
        println!(
            "| {name} | {} | {:.2} | {:.2} | {n} | `{top}` |",
            if *custom { "custom" } else { "generic" },
            ms(median(times)),
            ms(times[times.len() - 1]),
        );
    }
    // `VINK_BENCH_SHOW=audit list`: the whole plan of the queries so named.
    if let Ok(show) = std::env::var("VINK_BENCH_SHOW") {
        for (name, _, times, _, plan, _) in rows.iter().filter(|r| r.0.contains(&show)) {
            println!(
                "\n{name} ({:.2} ms):\n  {}",
                ms(median(times)),
                plan.join("\n  ")
            );
        }
    }
    let over: Vec<_> = rows.iter().filter(|r| ms(median(&r.2)) > 5.0).collect();
    println!("\n{} queries with a median over 5 ms.", over.len());
    db.close().await;
}
