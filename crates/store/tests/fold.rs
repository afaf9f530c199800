//! Folding facts on PostgreSQL, where transactions commit out of order: a
//! fact whose transaction commits after a later one's is neither lost nor
//! counted twice, before, during and after the folds; racing folds fold
//! each fact once; sums read beside the mirror of the folded facts count
//! each committed fact once while it catches up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use jiff::civil::Date;
use vink_domain::fact::Fact;
use vink_store::{Db, fact};

async fn received(db: &Db, day: Date) -> Option<i64> {
    let mut tx = db.begin_read().await.unwrap();
    let s = fact::sums(&mut tx, day, day).await.unwrap();
    tx.commit().await.unwrap();
    vink_domain::key_figures::figures(&s, 70)
        .into_iter()
        .find(|f| f.code == "concerns_received")
        .and_then(|f| f.value)
}

async fn folded_on(db: &Db, day: Date) -> i64 {
    let read = async {
        let mut tx = db.begin_read().await?;
        let n: Option<i64> = vink_store::on!(&mut tx, |c| {
            sqlx::query_scalar(
            "SELECT CAST(SUM(n) AS BIGINT) FROM fact_days WHERE day = $1 AND kind = 'concern_received'"
        )
        .bind(day.to_string())
        .fetch_one(c)
        .await?
        });
        tx.commit().await?;
        vink_store::Result::Ok(n.unwrap_or(0))
    };
    read.await.unwrap()
}

#[tokio::test]
async fn a_fact_committed_late_is_folded_once_and_always_counted() {
    let day: Date = "2026-03-10".parse().unwrap();
    for t in common::backends().await {
        let db = &t.db;
        // Whatever start-up folded is out of the way.
        fact::fold(db).await.unwrap();
        let base = received(db, day).await.unwrap_or(0);
        if t.name == "postgres" {
            // A: writes first (the older transaction) but commits last.
            let mut a = common::auth(db).await;
            fact::append(&mut a, &[Fact::concern_received(day)])
                .await
                .unwrap();
            // Sends A's queued insert: A now has its transaction id.
            fact::sums(&mut a, day, day).await.unwrap();
            let mut b = common::auth(db).await;
            fact::append(&mut b, &[Fact::concern_received(day)])
                .await
                .unwrap();
            b.commit().await.unwrap();
            // A is still running: nothing at or above its id may be folded.
            assert_eq!(fact::fold(db).await.unwrap(), 0);
            assert_eq!(received(db, day).await, Some(base + 1));
            a.commit().await.unwrap();
            assert_eq!(received(db, day).await, Some(base + 2));
            // Both fold now, once; transaction ids are the cluster's, so
            // another database's open transaction can hold a fold back for
            // a moment (never make it fold too much).
            let mut total = 0;
            for _ in 0..100 {
                total += fact::fold(db).await.unwrap();
                if total >= 2 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert_eq!(total, 2);
            assert_eq!(fact::fold(db).await.unwrap(), 0);
        } else {
            let mut a = common::auth(db).await;
            fact::append(
                &mut a,
                &[Fact::concern_received(day), Fact::concern_received(day)],
            )
            .await
            .unwrap();
            a.commit().await.unwrap();
            assert_eq!(received(db, day).await, Some(base + 2));
            assert_eq!(fact::fold(db).await.unwrap(), 2);
        }
        assert_eq!(received(db, day).await, Some(base + 2), "{}", t.name);
        assert_eq!(folded_on(db, day).await, base + 2, "{}", t.name);
        t.finish().await;
    }
}

#[tokio::test]
async fn racing_folds_fold_each_fact_once() {
    let day: Date = "2026-04-02".parse().unwrap();
    for t in common::backends().await {
        let db = &t.db;
        fact::fold(db).await.unwrap();
        let base = received(db, day).await.unwrap_or(0);
        let mut a = common::auth(db).await;
        let facts: Vec<Fact> = (0..50).map(|_| Fact::concern_received(day)).collect();
        fact::append(&mut a, &facts).await.unwrap();
        a.commit().await.unwrap();
        let mut folded = 0;
        // Racing folds until every fact is folded (another database's open
        // transaction can hold a PostgreSQL fold back for a moment).
        for _ in 0..100 {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let db = db.clone();
                tasks.spawn(async move { fact::fold(&db).await.unwrap() });
            }
            while let Some(n) = tasks.join_next().await {
                folded += n.unwrap();
            }
            if folded >= 50 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(folded, 50, "{}: each fact folded once", t.name);
        assert_eq!(received(db, day).await, Some(base + 50), "{}", t.name);
        assert_eq!(folded_on(db, day).await, base + 50, "{}", t.name);
        t.finish().await;
    }
}

/// The report's sums come from the mirror of the folded facts and, above
/// its watermark, from the database. While writers append and commit,
/// folds run and the mirror catches up (as `serve`'s fold job does), every
/// read counts each committed fact once: at least what had committed when
/// it began, at most what could have committed by its end, never less than
/// the reader's previous read; and all of it at the end.
#[tokio::test]
async fn sums_stay_exact_while_facts_are_appended_folded_and_mirrored() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    const WRITERS: i64 = 4;
    const COMMITS: i64 = 15;
    let day: Date = "2026-05-05".parse().unwrap();
    for t in common::backends().await {
        let db = &t.db;
        fact::fold(db).await.unwrap();
        let base = received(db, day).await.unwrap_or(0);
        let committed = Arc::new(AtomicI64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let mut writers = tokio::task::JoinSet::new();
        for _ in 0..WRITERS {
            let (db, committed) = (db.clone(), committed.clone());
            writers.spawn(async move {
                for _ in 0..COMMITS {
                    let mut a = common::auth(&db).await;
                    fact::append(&mut a, &[Fact::concern_received(day)])
                        .await
                        .unwrap();
                    a.commit().await.unwrap();
                    committed.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let mut others = tokio::task::JoinSet::new();
        {
            let (db, done) = (db.clone(), done.clone());
            others.spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    fact::fold(&db).await.unwrap();
                    fact::refresh_mirror(&db).await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                }
            });
        }
        for _ in 0..2 {
            let (db, done, committed) = (db.clone(), done.clone(), committed.clone());
            others.spawn(async move {
                let mut last = 0;
                while !done.load(Ordering::SeqCst) {
                    let before = committed.load(Ordering::SeqCst);
                    let n = received(&db, day).await.unwrap_or(0) - base;
                    let after = committed.load(Ordering::SeqCst);
                    assert!(n >= before && n >= last, "{n} < {before} or {last}");
                    assert!(n <= after + WRITERS, "{n} > {after} + in flight");
                    last = n;
                }
            });
        }
        while let Some(w) = writers.join_next().await {
            w.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        while let Some(o) = others.join_next().await {
            o.unwrap();
        }
        let all = base + WRITERS * COMMITS;
        assert_eq!(received(db, day).await, Some(all), "{}", t.name);
        // Everything folded (another database's open transaction can hold
        // a PostgreSQL fold back for a moment) and mirrored: the same.
        for _ in 0..100 {
            fact::fold(db).await.unwrap();
            if folded_on(db, day).await == all {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(folded_on(db, day).await, all, "{}", t.name);
        fact::refresh_mirror(db).await.unwrap();
        assert_eq!(received(db, day).await, Some(all), "{}", t.name);
        t.finish().await;
    }
}
