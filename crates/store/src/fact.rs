//! The fact table every key figure is counted from (see `domain::fact`).
//! Rows are only ever appended (a plain insert: no shared row, so intake
//! queues on nothing, and the only B-tree it writes on SQLite is the table's
//! own); a period's sums are one statement over the monthly and daily
//! rollups the folding job keeps, plus the few facts not folded yet.

use jiff::civil::Date;
use uuid::Uuid;
use vink_domain::fact::{Answer, Fact, FactKind};
use vink_domain::key_figures::{Bucket, Distinct, Sums, history_kinds, range_kinds};
use vink_domain::series::{MonthBucket, MonthRow};

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Backend, Result, StoreError, Tx, on};

/// Appends facts in the use case's transaction: they commit with the event
/// they count, or not at all.
pub async fn append(tx: &mut Authorized, facts: &[Fact]) -> Result<()> {
    insert(tx, facts).await
}

async fn insert(tx: &mut Tx, facts: &[Fact]) -> Result<()> {
    for chunk in facts.chunks(150) {
        let rows = chunk
            .iter()
            .map(|f| {
                vec![
                    Bind::Text(f.kind().code().into()),
                    Bind::Text(f.day().to_string()),
                    Bind::Text(f.code().into()),
                    Bind::Text(f.detail().into()),
                    Bind::I64(f.n()),
                ]
            })
            .collect();
        crate::deferred::insert(tx, "facts", "kind, day, code, detail, n", rows).await?;
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

/// `YYYY-MM` of a day.
fn month_of(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The whole calendar months inside `[from, to]`, as their first and last
/// days, if there are any.
fn whole_months(from: Date, to: Date) -> Option<(Date, Date)> {
    let first = if from.day() == 1 {
        from
    } else {
        from.last_of_month().tomorrow().ok()?
    };
    let last = if to == to.last_of_month() {
        to
    } else {
        to.first_of_month().yesterday().ok()?
    };
    (first <= last).then_some((first, last))
}

/// What is not folded yet: above the watermark. On SQLite the watermark is
/// a fact id (one writer, so ids commit in order); on PostgreSQL a
/// transaction id (ids may commit out of order, transactions below a
/// snapshot's xmin cannot commit any more): see [`fold`].
fn unfolded(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "id > (SELECT folded_to FROM fact_fold WHERE id = 1)",
        // The upper bound is always true (every transaction this snapshot
        // sees is below its xmax), and it makes a range of two unknowns:
        // PostgreSQL then estimates a sliver and reads the index, where
        // one bound alone is guessed at a third of the table (a parallel
        // scan, 12 ms of worker start-up for no rows).
        Backend::Postgres => {
            "xid >= (SELECT folded_to FROM fact_fold WHERE id = 1)
               AND xid < pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        }
    }
}

/// A period's sums in one statement. Folded facts come from the rollups:
/// whole months from `fact_months`, the partial months at the edges from
/// `fact_days`; what is not folded yet (a few seconds' worth) from `facts`.
/// The history kinds (what runs: courses, forum memberships) are also read
/// before the period. Buckets: `''` before the period, and in it `'in'` or,
/// `by_month`, the month (`YYYY-MM`).
pub(crate) fn period_sql(
    backend: Backend,
    from: Date,
    to: Date,
    by_month: bool,
) -> (String, Conditions) {
    let mut w = Conditions::default();
    // Month by month only what the charts draw; a period, every kind.
    let all = {
        let mut k = if by_month {
            vink_domain::series::range_kinds().to_vec()
        } else {
            range_kinds().to_vec()
        };
        k.extend(history_kinds());
        list(&k)
    };
    let hist = list(history_kinds());
    let unfolded = unfolded(backend);
    let in_day = if by_month {
        "substr(day, 1, 7)"
    } else {
        "'in'"
    };
    let in_month = if by_month { "month" } else { "'in'" };
    let group_day = if by_month { ", substr(day, 1, 7)" } else { "" };
    let group_month = if by_month { ", month" } else { "" };
    let mut parts = Vec::new();
    let mut days = |w: &mut Conditions, kinds: &str, bucket: &str, a: Date, b: Date| {
        if a > b {
            return;
        }
        let (pa, pb) = (
            w.param(Bind::Text(a.to_string())),
            w.param(Bind::Text(b.to_string())),
        );
        let group = if bucket == "''" { "" } else { group_day };
        parts.push(format!(
            "SELECT kind, code, detail, {bucket} AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM fact_days
              WHERE day >= {pa} AND day <= {pb} AND kind IN ({kinds}) GROUP BY kind, code, detail{group}"
        ));
    };
    let whole = whole_months(from, to);
    match whole {
        None => days(&mut w, &all, in_day, from, to),
        Some((first, last)) => {
            days(
                &mut w,
                &all,
                in_day,
                from,
                first.yesterday().unwrap_or(first),
            );
            days(&mut w, &all, in_day, last.tomorrow().unwrap_or(last), to);
        }
    }
    // Before the period, for what runs: the days of its first month.
    let start = from.first_of_month();
    days(
        &mut w,
        &hist,
        "''",
        start,
        from.yesterday().unwrap_or(start),
    );
    if let Some((first, last)) = whole {
        let (pa, pb) = (
            w.param(Bind::Text(month_of(first))),
            w.param(Bind::Text(month_of(last))),
        );
        parts.push(format!(
            "SELECT kind, code, detail, {in_month} AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM fact_months
              WHERE kind IN ({all}) AND month >= {pa} AND month <= {pb} GROUP BY kind, code, detail{group_month}"
        ));
    }
    let pm = w.param(Bind::Text(month_of(start)));
    parts.push(format!(
        "SELECT kind, code, detail, '' AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM fact_months
          WHERE kind IN ({hist}) AND month < {pm} GROUP BY kind, code, detail"
    ));
    // What is not folded yet, in the period and (what runs) before it.
    let (pf, pt) = (
        w.param(Bind::Text(from.to_string())),
        w.param(Bind::Text(to.to_string())),
    );
    parts.push(format!(
        "SELECT kind, code, detail, {in_day} AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
          WHERE {unfolded} AND kind IN ({all}) AND day >= {pf} AND day <= {pt} GROUP BY kind, code, detail{group_day}"
    ));
    parts.push(format!(
        "SELECT kind, code, detail, '' AS bucket, CAST(SUM(n) AS BIGINT) AS n FROM facts
          WHERE {unfolded} AND kind IN ({hist}) AND day < {pf} GROUP BY kind, code, detail"
    ));
    (parts.join("\n UNION ALL\n"), w)
}

/// How many facts one fold takes at most on SQLite (the rest the next pass).
const FOLD_BATCH: i64 = 20_000;

type FactRow = (String, String, String, String, i64);

/// Counts facts not folded yet into `fact_months` and `fact_days` and moves
/// the watermark, in one transaction; answers how many. Readers add the
/// facts above the watermark themselves, so the sums are always exact.
/// Run by the `fact_fold` job and after start-up's backfill.
///
/// SQLite: the oldest facts by id, a batch at a time (one writer: ids commit
/// in order). PostgreSQL: every fact written by a transaction below the
/// fold's snapshot xmin (each of those has ended, so none can still add a
/// fact below it), summed by the database; the watermark becomes that xmin.
/// A fact is never updated, so folding leaves no dead rows behind.
pub async fn fold(db: &crate::Db) -> Result<u64> {
    let backend = db.backend();
    // Nothing new: no write transaction (on SQLite it would wait for the
    // one writer).
    let mut tx = db.begin_read().await?;
    let probe = format!("SELECT id FROM facts WHERE {} LIMIT 1", unfolded(backend));
    let pending: Option<i64> = on!(&mut tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(
        probe.as_str()
    ))
    .fetch_optional(c)
    .await?);
    tx.commit().await?;
    if pending.is_none() {
        return Ok(0);
    }
    let mut total = 0;
    loop {
        let mut tx = db.begin().await?;
        let (rows, n, more): (Vec<FactRow>, u64, bool) = match backend {
            Backend::Postgres => {
                // Two folds in turn: the second waits here and then sees the
                // first's watermark.
                let from: i64 = on!(&mut tx, |c| sqlx::query_scalar(
                    "SELECT folded_to FROM fact_fold WHERE id = 1 FOR UPDATE"
                )
                .fetch_one(c)
                .await?);
                // A statement after the lock: its snapshot is taken now.
                let to: i64 = on!(&mut tx, |c| sqlx::query_scalar(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                )
                .fetch_one(c)
                .await?);
                let rows: Vec<(String, String, String, String, i64, i64)> =
                    on!(&mut tx, |c| sqlx::query_as(
                        "SELECT kind, code, detail, day, CAST(SUM(n) AS BIGINT), COUNT(*)
                           FROM facts WHERE xid >= $1 AND xid < $2
                          GROUP BY kind, code, detail, day"
                    )
                    .bind(from)
                    .bind(to)
                    .fetch_all(c)
                    .await?);
                if to > from {
                    on!(&mut tx, |c| sqlx::query(
                        "UPDATE fact_fold SET folded_to = $1 WHERE id = 1"
                    )
                    .bind(to)
                    .execute(c)
                    .await?
                    .rows_affected());
                }
                let n = rows.iter().map(|r| r.5).sum::<i64>().max(0) as u64;
                let rows = rows
                    .into_iter()
                    .map(|(k, c, d, day, n, _)| (k, c, d, day, n))
                    .collect();
                (rows, n, false)
            }
            Backend::Sqlite => {
                let rows: Vec<(i64, String, String, String, String, i64)> =
                    on!(&mut tx, |c| sqlx::query_as(
                        "SELECT id, kind, code, detail, day, n FROM facts
                          WHERE id > (SELECT folded_to FROM fact_fold WHERE id = 1)
                          ORDER BY id LIMIT $1"
                    )
                    .bind(FOLD_BATCH)
                    .fetch_all(c)
                    .await?);
                if let Some(last) = rows.last().map(|r| r.0) {
                    on!(&mut tx, |c| sqlx::query(
                        "UPDATE fact_fold SET folded_to = $1 WHERE id = 1"
                    )
                    .bind(last)
                    .execute(c)
                    .await?
                    .rows_affected());
                }
                let n = rows.len() as u64;
                let rows = rows
                    .into_iter()
                    .map(|(_, k, c, d, day, n)| (k, c, d, day, n))
                    .collect();
                (rows, n, n as i64 >= FOLD_BATCH)
            }
        };
        let mut months: Rollup = Rollup::new();
        let mut days: Rollup = Rollup::new();
        for (kind, code, detail, day, n) in rows {
            let month = day.get(..7).unwrap_or(&day).to_string();
            *months
                .entry((kind.clone(), code.clone(), detail.clone(), month))
                .or_default() += n;
            *days.entry((kind, code, detail, day)).or_default() += n;
        }
        add(&mut tx, "fact_months", "month", months).await?;
        add(&mut tx, "fact_days", "day", days).await?;
        tx.commit().await?;
        total += n;
        if !more {
            return Ok(total);
        }
    }
}

/// Sums by (kind, code, detail, month or day).
type Rollup = std::collections::BTreeMap<(String, String, String, String), i64>;

/// Adds sums to a rollup table (`when` is its month or day column).
async fn add(tx: &mut Tx, table: &str, when: &str, sums: Rollup) -> Result<()> {
    for chunk in sums.into_iter().collect::<Vec<_>>().chunks(200) {
        let mut w = Conditions::default();
        let values: Vec<String> = chunk
            .iter()
            .map(|((kind, code, detail, at), n)| {
                let ps = [
                    w.param(Bind::Text(kind.clone())),
                    w.param(Bind::Text(code.clone())),
                    w.param(Bind::Text(detail.clone())),
                    w.param(Bind::Text(at.clone())),
                    w.param(Bind::I64(*n)),
                ];
                format!("({})", ps.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} (kind, code, detail, {when}, n) VALUES {}
             ON CONFLICT (kind, code, detail, {when}) DO UPDATE SET n = {table}.n + excluded.n
             RETURNING n",
            values.join(", ")
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

/// A period's facts summed by month (see [`period_sql`]).
pub async fn monthly(tx: &mut Tx, from: Date, to: Date) -> Result<Vec<MonthRow>> {
    let (sql, w) = period_sql(tx.backend(), from, to, true);
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

/// Plans the report's statements once on PostgreSQL, not for each period's
/// dates: their plans do not depend on the dates (index ranges over small
/// rollup tables, and a range of two unknowns over `facts` that the planner
/// reads by index too), and custom planning cost 0.5 ms a statement, three
/// statements a report (on M: a month's report p95 6.9 → 3.8 ms). Once per
/// report transaction; SQLite plans every statement as given.
pub async fn plan_once(tx: &mut Tx) -> Result<()> {
    if let Tx::Pg(t) = tx {
        t.flush().await?;
        sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// The summed facts of a period.
pub async fn sums(tx: &mut Tx, from: Date, to: Date) -> Result<Sums> {
    let (sql, w) = period_sql(tx.backend(), from, to, false);
    let rows: Vec<(String, String, String, String, i64)> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let mut s = Sums::default();
    for (kind, code, detail, bucket, n) in rows {
        let kind = FactKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown fact kind {kind}")))?;
        let bucket = if bucket.is_empty() {
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
