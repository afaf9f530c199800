//! Every list query on a national-scale data set, planned as the lists run
//! it and timed: what the plan test in CI cannot show. That test switches
//! scans and sorts off on a small set, so it proves an index *can* serve
//! each query; this shows what the planner *does* at scale, and how long
//! it takes. It would have caught session 12's deep pages (a generic plan
//! that chose a parallel scan and a sort: 100 ms).
//!
//! A query runs with the plan its list gives it: generic in a planned read,
//! custom where the list plans for the values, and, where PostgreSQL decides
//! (`auto`: custom for five runs on a connection, then the generic plan if
//! its estimate is no worse), both, since either may be what runs.
//!
//! `VINK_BENCH_DATABASE_URL=postgres://…/vink_m cargo bench -p vink-app --bench plans`
//! (or a `sqlite://` generated set). `VINK_BENCH_ROUNDS` (default 5) runs
//! of each query; prints the flagged plans and the slowest queries as
//! Markdown for BENCHMARKS.md (`VINK_BENCH_SHOW=text`: also the whole plan
//! of every query whose name contains the text). Reads only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use vink_store::Db;
use vink_store::query_plan::{
    NamedQuery, PlanMode, Planner, explain_with, list_queries, run, violations,
};

/// One query under one planner: its plan, flagged lines, times and rows.
struct Measured {
    name: String,
    mode: &'static str,
    plan: Vec<String>,
    flagged: Vec<String>,
    times: Vec<Duration>,
    rows: usize,
}

impl Measured {
    fn median(&self) -> Duration {
        self.times[self.times.len() / 2]
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn measure(
    db: &Db,
    q: &NamedQuery,
    planner: Planner,
    mode: &'static str,
    rounds: usize,
) -> Measured {
    let mut tx = db.begin_read().await.unwrap();
    let plan = explain_with(&mut tx, q, planner).await.unwrap();
    tx.commit().await.unwrap();
    let flagged = violations(&q.name, &plan, db.backend());
    let mut times = Vec::with_capacity(rounds);
    let mut rows = 0;
    for _ in 0..rounds {
        let mut tx = db.begin_read().await.unwrap();
        let t = Instant::now();
        rows = run(&mut tx, q, planner).await.unwrap();
        times.push(t.elapsed());
        tx.commit().await.unwrap();
    }
    times.sort();
    Measured {
        name: q.name.clone(),
        mode,
        plan,
        flagged,
        times,
        rows,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((url, rounds)) = common::data_set(5) else {
        return;
    };
    let db = Db::connect(&url).await.unwrap();
    let mut tx = db.begin_read().await.unwrap();
    let inputs = vink_app::generate::plan_inputs(&mut tx, jiff::Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let postgres = db.backend() == vink_store::Backend::Postgres;
    let queries = list_queries(&inputs);
    let mut rows = Vec::new();
    // Queries PostgreSQL plans itself whose generic plan is much slower than
    // their custom one: after five runs on a connection it may pick it.
    let mut auto_risks = Vec::new();
    for q in &queries {
        match (postgres, q.plan) {
            (false, _) | (true, PlanMode::Generic) => {
                rows.push(measure(&db, q, Planner::Generic, "generic", rounds).await)
            }
            (true, PlanMode::Custom) => {
                rows.push(measure(&db, q, Planner::Custom, "custom", rounds).await)
            }
            (true, PlanMode::Auto) => {
                let custom = measure(&db, q, Planner::Custom, "auto: custom", rounds).await;
                let generic = measure(&db, q, Planner::Generic, "auto: generic", rounds).await;
                let (c, g) = (ms(custom.median()), ms(generic.median()));
                if g > 2.0 && g > 3.0 * c {
                    auto_risks.push(format!("| {} | {c:.2} | {g:.2} |", q.name));
                }
                rows.push(custom);
                rows.push(generic);
            }
        }
    }
    let flagged: Vec<&Measured> = rows.iter().filter(|r| !r.flagged.is_empty()).collect();
    println!(
        "{} queries ({} plans timed), {} rounds each, {:?}; {} generic, {} custom, {} left to PostgreSQL (auto: both timed); {} plans flagged (a scan or sort of a large table in the plan the planner chose)\n",
        queries.len(),
        rows.len(),
        rounds,
        db.backend(),
        queries
            .iter()
            .filter(|q| q.plan == PlanMode::Generic)
            .count(),
        queries
            .iter()
            .filter(|q| q.plan == PlanMode::Custom)
            .count(),
        queries.iter().filter(|q| q.plan == PlanMode::Auto).count(),
        flagged.len()
    );
    for r in &flagged {
        println!(
            "- **{}** ({}, {:.2} ms): {}\n\n  ```\n  {}\n  ```",
            r.name,
            r.mode,
            ms(r.median()),
            r.flagged.join(" / "),
            r.plan.join("\n  ")
        );
    }
    println!(
        "\nLeft to PostgreSQL, with a generic plan over 3× slower than the custom one (and over 2 ms): {}\n",
        auto_risks.len()
    );
    if !auto_risks.is_empty() {
        println!("| query | custom ms | generic ms |\n|---|---|---|");
        for line in &auto_risks {
            println!("{line}");
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.median()));
    let total: Duration = rows.iter().map(Measured::median).sum();
    println!(
        "\nSum of the medians: {:.1} ms; the slowest 15:\n\n| query | plan | median ms | max ms | rows | top of the plan |\n|---|---|---|---|---|---|",
        ms(total)
    );
    for r in rows.iter().take(15) {
        let top = r
            .plan
            .iter()
            .map(|l| l.trim().trim_start_matches("->").trim())
            .find(|l| !l.starts_with("Limit") && !l.starts_with("Aggregate"))
            .unwrap_or_default();
        let top: String = top.chars().take(70).collect();
        println!(
            "| {} | {} | {:.2} | {:.2} | {} | `{top}` |",
            r.name,
            r.mode,
            ms(r.median()),
            ms(r.times[r.times.len() - 1]),
            r.rows,
        );
    }
    // `VINK_BENCH_SHOW=audit list`: the whole plan of the queries so named.
    if let Ok(show) = std::env::var("VINK_BENCH_SHOW") {
        for r in rows.iter().filter(|r| r.name.contains(&show)) {
            println!(
                "\n{} ({}, {:.2} ms):\n  {}",
                r.name,
                r.mode,
                ms(r.median()),
                r.plan.join("\n  ")
            );
        }
    }
    let over = rows.iter().filter(|r| ms(r.median()) > 5.0).count();
    println!("\n{over} plans with a median over 5 ms.");
    db.close().await;
}
