//! Shared by the benchmark binaries: the concern they file and the table row
//! they print.
#![allow(dead_code)]

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use vink_domain::concern::{ConcernDraft, PersonDraft, ReporterDraft};

pub fn draft(i: usize) -> ConcernDraft {
    let hours = (i % 24 * 30) as i64; // spread over the last 30 days
    ConcernDraft {
        channel: Some(["hotline", "email", "web", "national_hotline"][i % 4].into()),
        received_at: Some((Timestamp::now() - SignedDuration::from_hours(hours)).to_string()),
        reporter: ReporterDraft {
            kind: Some("professional".into()),
            organisation: Some("Skole (bench)".into()),
            name: None,
            contact: None,
        },
        persons: vec![PersonDraft {
            person_id: None,
            name: Some(format!("Bench Person {i}")),
            birth: Some("2008-03-04".into()),
            district: Some("Valby".into()),
        }],
        description: Some("Fiktiv bekymring til belastningstest. ".repeat(8)),
        immediate_danger: false,
    }
}

pub struct Stats(pub Vec<Duration>);

impl Stats {
    pub fn row(mut self, what: &str) -> String {
        self.0.sort();
        let n = self.0.len();
        let pct = |p: usize| self.0[(n * p / 100).min(n - 1)];
        let total: Duration = self.0.iter().sum();
        format!(
            "| {what} | {n} | {:.2} | {:.2} | {:.2} | {:.0} |",
            pct(50).as_secs_f64() * 1e3,
            pct(95).as_secs_f64() * 1e3,
            pct(99).as_secs_f64() * 1e3,
            n as f64 / total.as_secs_f64()
        )
    }
}

pub async fn time<F: AsyncFnMut(usize)>(n: usize, mut f: F) -> Stats {
    use std::time::Instant;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i).await;
        out.push(t.elapsed());
    }
    Stats(out)
}

/// Migrates, makes an app and a secretariat user to act as.
pub async fn app(db: vink_store::Db) -> (std::sync::Arc<vink_app::App>, vink_domain::user::Actor) {
    use vink_app::{App, Config};
    use vink_domain::user::Actor;
    db.migrate().await.unwrap();
    let app = std::sync::Arc::new(App::new(
        db,
        Config {
            password_memory_kib: 1024,
            ..Config::default()
        },
        vink_app::keys::KeySet::from_bytes([1; 32], [2; 32]),
    ));
    let sek = Actor::system();
    vink_app::user::add_user(
        &app,
        &sek,
        &vink_app::user::NewUser {
            email: None,
            username: "bench".into(),
            display_name: None,
            role: "secretariat".into(),
            agency: None,
            password: "bench-password".into(),
        },
    )
    .await
    .unwrap();
    let mut tx = app.db.begin_read().await.unwrap();
    let uid = vink_store::user::user_by_name(&mut tx, "bench")
        .await
        .unwrap()
        .unwrap()
        .id;
    tx.commit().await.unwrap();
    let actor = Actor::user(uid, vink_domain::user::Role::Secretariat, None);

    (app, actor)
}

/// The generated data set a benchmark reads (`VINK_BENCH_DATABASE_URL`) and
/// its rounds (`VINK_BENCH_ROUNDS`, else `default_rounds`); `None`, with the
/// reason printed, when no data set is named.
pub fn data_set(default_rounds: usize) -> Option<(String, usize)> {
    let Ok(url) = std::env::var("VINK_BENCH_DATABASE_URL") else {
        eprintln!("set VINK_BENCH_DATABASE_URL to a generated data set (bench/README.md)");
        return None;
    };
    let rounds = std::env::var("VINK_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default_rounds)
        .max(1);
    Some((url, rounds))
}
