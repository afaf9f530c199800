//! Group commit on SQLite's writer: requests that queue for the writer share
//! one commit, each is answered only after it, and one request's failure
//! touches no other's work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use vink_store::{Db, on};

async fn insert_probe(db: &Db, n: i64) -> vink_store::Result<vink_store::Tx> {
    let mut tx = db.begin().await?;
    on!(&mut tx, |c| sqlx::query(
        "INSERT INTO health_probe (filler) VALUES ($1)"
    )
    .bind(n.to_le_bytes().to_vec())
    .execute(c)
    .await?
    .rows_affected());
    Ok(tx)
}

async fn visible(db: &Db) -> i64 {
    let count = async {
        let mut tx = db.begin_read().await?;
        let n: i64 = on!(&mut tx, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM health_probe"
        )
        .fetch_one(c)
        .await?);
        tx.commit().await?;
        vink_store::Result::Ok(n)
    };
    count.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_requests_share_commits_and_each_is_durable_when_answered() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let before = db.stats().batches();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..64 {
            let db = db.clone();
            tasks.spawn(async move {
                let tx = insert_probe(&db, i).await.unwrap();
                tx.commit().await.unwrap();
                // Answered: a reader connection sees it now.
                assert!(visible(&db).await > 0);
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        assert_eq!(visible(&db).await, 64, "{}", t.name);
        if t.name == "sqlite" {
            let batches = db.stats().batches() - before;
            assert!(
                (1..32).contains(&batches),
                "64 queued requests took {batches} commits"
            );
        }
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_or_dropped_request_rolls_back_alone() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..48 {
            let db = db.clone();
            tasks.spawn(async move {
                let mut tx = insert_probe(&db, i).await.unwrap();
                match i % 3 {
                    0 => {
                        tx.commit().await.unwrap();
                        true
                    }
                    1 => {
                        // A statement fails; the request gives up.
                        let bad = async {
                            vink_store::Result::Ok(on!(&mut tx, |c| sqlx::query(
                                "INSERT INTO no_such_table VALUES (1)"
                            )
                            .execute(c)
                            .await
                            .is_err()))
                        };
                        let bad = bad.await.unwrap();
                        assert!(bad);
                        drop(tx);
                        false
                    }
                    _ => {
                        drop(tx);
                        false
                    }
                }
            });
        }
        let mut kept = 0;
        while let Some(r) = tasks.join_next().await {
            kept += i64::from(r.unwrap());
        }
        assert_eq!(kept, 16);
        assert_eq!(visible(&db).await, 16, "{}", t.name);
        // The writer is free and works.
        insert_probe(&db, 99).await.unwrap().commit().await.unwrap();
        assert_eq!(visible(&db).await, 17, "{}", t.name);
        t.finish().await;
    }
}

/// One audit row of its own short write (a refused log-in with `reason`):
/// on PostgreSQL a pending row, chained by the next settle.
async fn deny(db: &Db, reason: &str) {
    vink_store::record_denied(
        db,
        &vink_domain::user::Actor::system(),
        vink_domain::policy::Action::Login,
        None,
        reason,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
}

/// The chain verifies and holds `n` rows, each denial (told apart by its
/// reason) exactly once.
async fn chained_once(db: &Db, n: usize, backend: &str) {
    let (rows, counted) = common::verified_chain(db).await;
    assert_eq!(counted, Ok(n as i64), "{backend}");
    let mut reasons: Vec<_> = rows.iter().filter_map(|r| r.reason.clone()).collect();
    reasons.sort();
    reasons.dedup();
    assert_eq!(reasons.len(), n, "each row once on {backend}");
}

/// Concurrent requests' audit rows: none waits for another on the chain's
/// head (PostgreSQL appends to a pending table), and once settled every row
/// is in one valid chain, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_audit_appends_form_one_valid_chain_once_settled() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let mut tasks = tokio::task::JoinSet::new();
        let chainer = db.clone();
        for i in 0..40 {
            let db = db.clone();
            tasks.spawn(async move { deny(&db, &format!("r{i}")).await });
            if i == 20 {
                // A chainer running meanwhile takes what is committed so far.
                let db = Arc::clone(&chainer);
                tasks.spawn(async move {
                    vink_store::audit::settle(&db).await.unwrap();
                });
            }
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        vink_store::audit::settle(&db).await.unwrap();
        chained_once(&db, 40, &t.name).await;
        assert_eq!(vink_store::audit::settle(&db).await.unwrap(), 0);
        t.finish().await;
    }
}

/// Settling is what every reader of the log does first. With nothing
/// pending it is one read and no write transaction; many settlers at once
/// chain every pending row exactly once between them (one that finds the
/// rows it saw chained by another lets go of the head with a rollback).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_settlers_chain_each_row_once_and_an_idle_one_writes_nothing() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        for i in 0..30 {
            deny(&db, &format!("s{i}")).await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let db = db.clone();
            tasks.spawn(async move { vink_store::audit::settle(&db).await.unwrap() });
        }
        let mut chained = 0;
        while let Some(r) = tasks.join_next().await {
            chained += r.unwrap();
        }
        let pending_on_pg = if db.backend() == vink_store::Backend::Postgres {
            30
        } else {
            0
        };
        assert_eq!(
            chained, pending_on_pg,
            "each row chained once on {}",
            t.name
        );
        let writes = db.stats().writes();
        assert_eq!(vink_store::audit::settle(&db).await.unwrap(), 0);
        assert_eq!(db.stats().writes(), writes, "an idle settle writes nothing");
        chained_once(&db, 30, &t.name).await;
        t.finish().await;
    }
}

/// Case numbers taken by racing intakes are distinct, including the race to
/// create a new year's sequence on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_intakes_take_distinct_case_numbers() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..24 {
            let db = db.clone();
            tasks.spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let n = vink_store::concern::next_counter(&mut tx, "case:2031")
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
                n
            });
        }
        let mut got = Vec::new();
        while let Some(r) = tasks.join_next().await {
            got.push(r.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (1..=24).collect::<Vec<i64>>(), "{}", t.name);
        t.finish().await;
    }
}

/// The rows every request changes (chain head, case counter) stay right when
/// some requests of a batch roll back: the chain verifies, and on SQLite the
/// numbers kept are exactly 1..=n (the rolled-back ones are taken again).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hot_rows_survive_rolled_back_requests_in_a_batch() {
    use vink_domain::audit::{AuditFields, Outcome};
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..60 {
            let db = db.clone();
            tasks.spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let n = vink_store::concern::next_counter(&mut tx, "case:2040")
                    .await
                    .unwrap();
                vink_store::audit::append_raw(
                    &db,
                    &mut tx,
                    AuditFields {
                        seq: 0,
                        at: jiff::Timestamp::now(),
                        actor_id: None,
                        actor_kind: "system".into(),
                        action: "x".into(),
                        record_type: None,
                        record_id: None,
                        outcome: Outcome::Allowed,
                        reason: Some(format!("n{n}")),
                        client: None,
                    },
                )
                .await
                .unwrap();
                tokio::task::yield_now().await;
                if i % 4 == 1 {
                    drop(tx);
                    None
                } else {
                    tx.commit().await.unwrap();
                    Some(n)
                }
            });
        }
        let mut kept = Vec::new();
        while let Some(r) = tasks.join_next().await {
            kept.extend(r.unwrap());
        }
        kept.sort_unstable();
        assert_eq!(kept.len(), 45);
        if t.name == "sqlite" {
            assert_eq!(kept, (1..=45).collect::<Vec<i64>>());
        } else {
            kept.dedup();
            assert_eq!(kept.len(), 45, "distinct on {}", t.name);
        }
        let (_, counted) = common::verified_chain(&db).await;
        assert_eq!(counted, Ok(45), "{}", t.name);
        // The counter row itself holds the last number kept.
        let mut tx = db.begin().await.unwrap();
        let next = vink_store::concern::next_counter(&mut tx, "case:2040")
            .await
            .unwrap();
        assert!(next > *kept.last().unwrap(), "{}", t.name);
        drop(tx);
        t.finish().await;
    }
}

/// Two writers on one SQLite file (a server and the CLI, say): the hot rows
/// one keeps in memory between its batches are dropped as soon as the other
/// has committed, so the chain and the counters stay right.
#[tokio::test]
async fn another_process_writing_between_batches_is_seen() {
    use vink_domain::audit::{AuditFields, Outcome};
    let t = common::sqlite().await;
    let other = Db::connect(&t.url).await.unwrap();
    other.set_audit_key(common::key());
    other.set_field_keys(common::field_keys(), None);
    let append = async |db: &Db, reason: &str| {
        let mut tx = db.begin().await.unwrap();
        let n = vink_store::concern::next_counter(&mut tx, "case:2050")
            .await
            .unwrap();
        vink_store::audit::append_raw(
            db,
            &mut tx,
            AuditFields {
                seq: 0,
                at: jiff::Timestamp::now(),
                actor_id: None,
                actor_kind: "system".into(),
                action: "x".into(),
                record_type: None,
                record_id: None,
                outcome: Outcome::Allowed,
                reason: Some(reason.into()),
                client: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        n
    };
    assert_eq!(append(&t.db, "a1").await, 1);
    assert_eq!(append(&t.db, "a2").await, 2);
    assert_eq!(append(&other, "b1").await, 3);
    assert_eq!(
        append(&t.db, "a3").await,
        4,
        "the other writer's number is seen"
    );
    let (_, counted) = common::verified_chain(&t.db).await;
    assert_eq!(counted, Ok(4));
    other.close().await;
    t.finish().await;
}

/// Readers of the log at once, each after its own audited work: every one
/// finds its own row chained when its settle returns, though most of them
/// leave the settling to a pass another began after they arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_settler_finds_its_own_row_chained_when_passes_are_shared() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..24 {
            let db = db.clone();
            tasks.spawn(async move {
                let reason = format!("own{i}");
                deny(&db, &reason).await;
                vink_store::audit::settle(&db).await.unwrap();
                let (rows, _) = common::verified_chain(&db).await;
                let chained = rows.iter().any(|r| r.reason.as_deref() == Some(&*reason));
                (reason, chained)
            });
        }
        while let Some(r) = tasks.join_next().await {
            let (reason, chained) = r.unwrap();
            assert!(
                chained,
                "{reason} chained when its settle returned on {}",
                t.name
            );
        }
        chained_once(&db, 24, &t.name).await;
        t.finish().await;
    }
}

/// How many audit rows, chained or still pending, carry `reason`, read on a
/// connection of its own: what is committed, nothing else.
async fn rows_with_reason(url: &str, reason: &str) -> i64 {
    use sqlx::Connection;
    let (sql, pg) = if url.starts_with("postgres") {
        (
            "SELECT (SELECT COUNT(*) FROM audit_log WHERE reason = $1) \
                  + (SELECT COUNT(*) FROM audit_pending WHERE reason = $1)",
            true,
        )
    } else {
        ("SELECT COUNT(*) FROM audit_log WHERE reason = $1", false)
    };
    if pg {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(reason)
            .fetch_one(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(reason)
            .fetch_one(&mut c)
            .await
            .unwrap()
    }
}

/// `n` refusals at once, told apart by their reasons (`prefix` and a
/// number); each task checks, once answered, that another connection sees
/// its row committed.
fn denials(db: &Arc<Db>, url: &str, prefix: &str, n: usize) -> tokio::task::JoinSet<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (db, url, reason) = (db.clone(), url.to_string(), format!("{prefix}{i}"));
        tasks.spawn(async move {
            deny(&db, &reason).await;
            assert_eq!(rows_with_reason(&url, &reason).await, 1);
        });
    }
    tasks
}

/// The audit rows that stand alone (a read's, a refusal's) share flushes
/// under concurrency on both databases, and each request is answered only
/// once its row is committed: another connection sees it by then.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn standalone_audit_rows_share_flushes_and_each_is_committed_when_answered() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let before = db.stats().batches();
        let mut tasks = denials(&db, &t.url, "g", 64);
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let flushes = db.stats().batches() - before;
        assert!(
            (1..32).contains(&flushes),
            "64 concurrent rows took {flushes} flushes on {}",
            t.name
        );
        vink_store::audit::settle(&db).await.unwrap();
        chained_once(&db, 64, &t.name).await;
        t.finish().await;
    }
}

/// A flush that fails fails every request in it (none is told its row is
/// kept), and the next request is flushed again: a failure leaves no
/// request waiting for a flusher that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_audit_flush_fails_its_requests_and_the_next_one_is_flushed() {
    use sqlx::Connection;
    let Some(admin) = std::env::var("VINK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let t = common::postgres(&admin).await;
    let db = Arc::new(t.db.clone());
    let mut c = sqlx::PgConnection::connect(&t.url).await.unwrap();
    sqlx::query("ALTER TABLE audit_pending RENAME TO audit_pending_away")
        .execute(&mut c)
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let db = db.clone();
        tasks.spawn(async move {
            vink_store::record_denied(
                &db,
                &vink_domain::user::Actor::system(),
                vink_domain::policy::Action::Login,
                None,
                &format!("f{i}"),
                jiff::Timestamp::now(),
            )
            .await
        });
    }
    while let Some(r) = tasks.join_next().await {
        assert!(r.unwrap().is_err(), "a row that could not be written");
    }
    sqlx::query("ALTER TABLE audit_pending_away RENAME TO audit_pending")
        .execute(&mut c)
        .await
        .unwrap();
    let answered = tokio::time::timeout(std::time::Duration::from_secs(10), deny(&db, "after"));
    answered.await.expect("the next row is flushed");
    assert_eq!(rows_with_reason(&t.url, "after").await, 1);
    assert_eq!(rows_with_reason(&t.url, "f0").await, 0);
    t.finish().await;
}

/// Racing reads, each with its audit row (on PostgreSQL one takes the
/// group's turn and writes in its own transaction while the others queue
/// for a flush): every read is answered only once its row is committed,
/// and every row is chained exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_reads_each_commit_their_audit_row_before_they_are_answered() {
    for t in common::backends().await {
        let db = Arc::new(t.db.clone());
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..48 {
            let (db, url) = (db.clone(), t.url.clone());
            tasks.spawn(async move {
                let read = common::auth_read(&db).await;
                let reason = format!("read{i}");
                read.commit_noting(Some(reason.clone())).await.unwrap();
                assert_eq!(rows_with_reason(&url, &reason).await, 1);
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        vink_store::audit::settle(&db).await.unwrap();
        chained_once(&db, 48, &t.name).await;
        t.finish().await;
    }
}

/// On SQLite the rows that stand alone queue while one is being written
/// and go to the writer together: sixteen refusals arriving while the
/// writer is busy take two turns at it (the first request's own, then one
/// for all that queued behind it), not one each. Every refusal is still
/// answered only once its row is committed, and each is chained once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn standalone_rows_queued_behind_a_busy_writer_take_one_turn_at_it() {
    let t = common::sqlite().await;
    let db = Arc::new(t.db.clone());
    let busy = db.begin().await.unwrap();
    let before = db.stats().writes();
    let mut tasks = denials(&db, &t.url, "q", 16);
    // Every request has queued: the first for the writer, the others for
    // the group's next flush.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    busy.commit().await.unwrap();
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let turns = db.stats().writes() - before;
    assert!(
        (2..=3).contains(&turns),
        "16 queued rows took {turns} turns at the writer"
    );
    chained_once(&db, 16, "sqlite").await;
    t.finish().await;
}
