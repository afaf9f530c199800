//! The fact table every key figure is counted from (see `domain::fact`).
//! Rows are only ever appended (a plain insert: no shared row, so intake
//! queues on nothing); a period's sums are one statement over the
//! `(kind, day, code, detail, n)` index.

use jiff::civil::Date;
use uuid::Uuid;
use vink_domain::fact::{Answer, Fact, FactKind};
use vink_domain::key_figures::{Bucket, Distinct, Sums, history_kinds, range_kinds};
use vink_domain::series::{MonthBucket, MonthRow};

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, StoreError, Tx, on};

/// Appends facts in the use case's transaction: they commit with the event
/// they count, or not at all.
pub async fn append(tx: &mut Authorized, facts: &[Fact]) -> Result<()> {
    insert(tx, facts).await
}

async fn insert(tx: &mut Tx, facts: &[Fact]) -> Result<()> {
    for chunk in facts.chunks(150) {
        let mut w = Conditions::default();
        let rows: Vec<String> = chunk
            .iter()
            .map(|f| {
                let ps = [
                    w.param(Bind::Text(f.kind().code().into())),
                    w.param(Bind::Text(f.day().to_string())),
                    w.param(Bind::Text(f.code().into())),
                    w.param(Bind::Text(f.detail().into())),
                    w.param(Bind::I64(f.n())),
                ];
                format!("({})", ps.join(", "))
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let sql = format!(
            "INSERT INTO facts (kind, day, code, detail, n) VALUES {} RETURNING id",
            rows.join(", ")
        );
        let _: Vec<(i64,)> = on!(tx, |c| bind_all(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
            &w.binds
        )
        .fetch_all(c)
        .await?);
    }
    Ok(())
}

/// Kinds as an SQL list of literals (glossary codes: no quoting needed).
fn list(kinds: &[FactKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A period's sums in one statement: the range kinds over `[from, to]`, the
/// history kinds over everything up to `to`, split at `from`.
pub(crate) fn sums_sql(from: Date, to: Date) -> (String, Conditions) {
    let mut w = Conditions::default();
    let f = w.param(Bind::Text(from.to_string()));
    let t = w.param(Bind::Text(to.to_string()));
    let sql = format!(
        "SELECT kind, code, detail, 1 AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
          WHERE kind IN ({}) AND day >= {f} AND day <= {t} GROUP BY kind, code, detail
         UNION ALL
         SELECT kind, code, detail, CASE WHEN day < {f} THEN 0 ELSE 1 END AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
          WHERE kind IN ({}) AND day <= {t} GROUP BY kind, code, detail, CASE WHEN day < {f} THEN 0 ELSE 1 END",
        list(range_kinds()),
        list(history_kinds())
    );
    (sql, w)
}

/// A period's sums bucketed by month, in one statement: the range kinds
/// over `[from, to]`, the history kinds over everything up to `to` (before
/// the period in one bucket).
pub(crate) fn monthly_sql(from: Date, to: Date) -> (String, Conditions) {
    let mut w = Conditions::default();
    let f = w.param(Bind::Text(from.to_string()));
    let t = w.param(Bind::Text(to.to_string()));
    let bucket = format!("CASE WHEN day < {f} THEN '' ELSE substr(day, 1, 7) END");
    let sql = format!(
        "SELECT kind, code, detail, substr(day, 1, 7) AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
          WHERE kind IN ({}) AND day >= {f} AND day <= {t} GROUP BY kind, code, detail, substr(day, 1, 7)
         UNION ALL
         SELECT kind, code, detail, {bucket} AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
          WHERE kind IN ({}) AND day <= {t} GROUP BY kind, code, detail, {bucket}",
        list(range_kinds()),
        list(history_kinds())
    );
    (sql, w)
}

/// A period's facts summed by month (see [`monthly_sql`]).
pub async fn monthly(tx: &mut Tx, from: Date, to: Date) -> Result<Vec<MonthRow>> {
    let (sql, w) = monthly_sql(from, to);
    let rows: Vec<(String, String, String, String, i64)> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let mut out = Vec::with_capacity(rows.len());
    for (kind, code, detail, bucket, n) in rows {
        let kind = FactKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown fact kind {kind}")))?;
        let bucket = if bucket.is_empty() {
            MonthBucket::Before
        } else {
            let (y, m) = bucket
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse().ok()?, m.parse().ok()?)))
                .ok_or_else(|| StoreError::Corrupt(format!("month {bucket}")))?;
            MonthBucket::Month(y, m)
        };
        out.push((kind, code, detail, bucket, n));
    }
    Ok(out)
}

/// The summed facts of a period.
pub async fn sums(tx: &mut Tx, from: Date, to: Date) -> Result<Sums> {
    let (sql, w) = sums_sql(from, to);
    let rows: Vec<(String, String, String, i32, i64)> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let mut s = Sums::default();
    for (kind, code, detail, bucket, n) in rows {
        let kind = FactKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown fact kind {kind}")))?;
        let bucket = if bucket == 0 {
            Bucket::Before
        } else {
            Bucket::In
        };
        s.add(kind, &code, &detail, bucket, n);
    }
    let engaged =
        crate::organisation::institutions_engaged(tx, &from.to_string(), &to.to_string()).await?;
    s.set_distinct(Distinct::CapacityBuildingInstitutions, engaged);
    Ok(s)
}

/// Makes the facts of everything recorded before the fact table existed,
/// once, in one transaction (run at start-up, after the migrations).
pub async fn backfill(db: &crate::Db) -> Result<u64> {
    let mut tx = db.begin().await?;
    let done: bool = on!(&mut tx, |c| sqlx::query_scalar(
        "SELECT done FROM facts_backfill WHERE id = 1"
    )
    .fetch_one(c)
    .await?);
    if done {
        tx.commit().await?;
        return Ok(0);
    }
    let facts = recount(&mut tx).await?;
    insert(&mut tx, &facts).await?;
    on!(&mut tx, |c| sqlx::query(
        "UPDATE facts_backfill SET done = TRUE WHERE id = 1"
    )
    .execute(c)
    .await?
    .rows_affected());
    tx.commit().await?;
    Ok(facts.len() as u64)
}

/// Appends the facts of everything in the case tables: for the demo and
/// the national data generator, which write their history through the store
/// into an empty database (so nothing is counted twice).
pub async fn append_recount(tx: &mut Authorized) -> Result<usize> {
    let facts = recount(tx).await?;
    insert(tx, &facts).await?;
    Ok(facts.len())
}

type ConcernFacts = (i64, Option<String>, i64, Option<i64>);
type CourseFacts = (Uuid, String, String, Option<String>, Option<String>);

/// The facts the case tables hold now, made by the same constructors the use
/// cases call: what the backfill writes and what the fact/recount property
/// test compares the appended facts with.
pub async fn recount(tx: &mut Tx) -> Result<Vec<Fact>> {
    use vink_domain::course::{CourseKind, FollowUpKind, Occupation, RiskJudgement};
    use vink_domain::triage::Decision;
    let bad = |what: &str, v: &str| StoreError::Corrupt(format!("{what} {v}"));
    let day = |s: &str| s.parse::<Date>().map_err(|_| bad("day", s));
    let local = |us: i64| crate::instant(us).map(vink_domain::concern::local_date);
    let mut facts = Vec::new();
    let concerns: Vec<ConcernFacts> = on!(tx, |c| sqlx::query_as(
        "SELECT received_at, decision, triage_deadline_at, decided_at FROM concerns"
    )
    .fetch_all(c)
    .await?);
    for (received_at, decision, deadline, decided_at) in concerns {
        let received_on = local(received_at)?;
        facts.push(Fact::concern_received(received_on));
        if let (Some(d), Some(at)) = (decision, decided_at) {
            let d = Decision::parse(&d).ok_or_else(|| bad("decision", &d))?;
            facts.push(Fact::concern_decided(received_on, d, at <= deadline));
        }
    }
    let courses: Vec<CourseFacts> = on!(tx, |c| {
        sqlx::query_as(
        "SELECT id, kind, status, started_on, ended_on FROM courses WHERE started_on IS NOT NULL"
    )
    .fetch_all(c)
    .await?
    });
    let mut ended_on = std::collections::HashMap::new();
    for (id, kind, status, started, ended) in courses {
        let k = CourseKind::parse(&kind).ok_or_else(|| bad("course kind", &kind))?;
        if let Some(s) = started {
            facts.push(Fact::course_started(k, day(&s)?));
        }
        if let Some(e) = ended
            && (status == "completed" || status == "discontinued")
        {
            let e = day(&e)?;
            facts.push(Fact::course_ended(k, e, status == "completed"));
            ended_on.insert(id, e);
        }
    }
    let answers: Vec<(Uuid, String, Option<String>, Option<String>)> = on!(tx, |c| {
        sqlx::query_as(
            "SELECT f.course_id, f.kind, a.risk, a.occupation FROM follow_ups f
               JOIN course_assessments a ON a.id = f.assessment_id WHERE f.recorded_at IS NOT NULL",
        )
        .fetch_all(c)
        .await?
    });
    for (course, kind, risk, occupation) in answers {
        let Some(end) = ended_on.get(&course).copied() else {
            continue;
        };
        let k = FollowUpKind::parse(&kind).ok_or_else(|| bad("follow-up kind", &kind))?;
        let answer = match k {
            FollowUpKind::Risk => risk
                .as_deref()
                .and_then(RiskJudgement::parse)
                .map(Answer::Risk),
            FollowUpKind::Occupation => occupation
                .as_deref()
                .and_then(Occupation::parse)
                .map(Answer::Occupation),
        };
        if let Some(a) = answer {
            facts.push(Fact::follow_up_answered(k, end, a));
        }
    }
    recount_activities(tx, &mut facts).await?;
    let forum: Vec<(String, Option<String>)> = on!(tx, |c| sqlx::query_as(
        "SELECT from_on, to_on FROM forum_memberships"
    )
    .fetch_all(c)
    .await?);
    for (from, to) in forum {
        let span = vink_domain::organisation::Span {
            from: day(&from)?,
            to: to.as_deref().map(day).transpose()?,
        };
        facts.extend(span.forum_facts());
    }
    Ok(facts)
}

/// The facts of the held activities as stored.
async fn recount_activities(tx: &mut Tx, facts: &mut Vec<Fact>) -> Result<()> {
    use vink_domain::activity::{ActivityKind, TargetGroup};
    let bad = |what: &str, v: &str| StoreError::Corrupt(format!("{what} {v}"));
    let held: Vec<(Uuid, String, String)> = on!(tx, |c| sqlx::query_as(
        "SELECT id, kind, held_on FROM activities WHERE status = 'held'"
    )
    .fetch_all(c)
    .await?);
    let counts: Vec<(Uuid, String, i64)> = on!(tx, |c| sqlx::query_as(
        "SELECT p.activity_id, p.target_group, p.n FROM activity_participants p
           JOIN activities a ON a.id = p.activity_id WHERE a.status = 'held'"
    )
    .fetch_all(c)
    .await?);
    let mut kinds = std::collections::HashMap::new();
    for (id, kind, held_on) in held {
        let k = ActivityKind::parse(&kind).ok_or_else(|| bad("activity kind", &kind))?;
        let d = held_on.parse::<Date>().map_err(|_| bad("day", &held_on))?;
        facts.push(Fact::activity_held(k, d));
        kinds.insert(id, (k, d));
    }
    for (id, group, n) in counts {
        let g = TargetGroup::parse(&group).ok_or_else(|| bad("target group", &group))?;
        if let Some((k, d)) = kinds.get(&id) {
            facts.push(Fact::participants(*k, g, *d, n));
        }
    }
    Ok(())
}
