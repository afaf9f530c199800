//! The fact table every key figure is counted from (see `domain::fact`).
//! Rows are only ever appended (a plain insert: no shared row, so intake
//! queues on nothing, and the only B-tree it writes on SQLite is the table's
//! own). The folding job sums them by day into `fact_days`; a period's sums
//! come from that rollup mirrored in memory (`mirror`) and, for what the
//! mirror does not hold yet, from one statement (`period`).

use jiff::civil::Date;
use uuid::Uuid;
use vink_domain::fact::{Answer, Code, Fact, FactKind};
use vink_domain::key_figures::{Bucket, Distinct, Sums, history_kinds};
use vink_domain::metrics::Period;
use vink_domain::series::{MonthBucket, MonthRow};

use crate::sql::{Bind, Conditions, bind_all};

pub(crate) mod mirror;
mod period;
use crate::{Authorized, Backend, Result, StoreError, Tx, on};
pub(crate) use mirror::Mirror;
use period::{RowBucket, Tag, unfolded};
pub(crate) use period::{period_stretches, report_stretches, sql as period_statement};
use vink_domain::fact::daily::Key;

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

/// How many facts one fold takes at most on SQLite (the rest the next pass).
const FOLD_BATCH: i64 = 20_000;

type FactRow = (String, String, String, String, i64);

/// Counts facts not folded yet into `fact_days` and moves the watermark,
/// in one transaction; answers how many. Readers add the
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
        let mut days: Rollup = Rollup::new();
        for (kind, code, detail, day, n) in rows {
            *days.entry((kind, code, detail, day)).or_default() += n;
        }
        add(&mut tx, "fact_days", "day", days).await?;
        tx.commit().await?;
        total += n;
        if !more {
            return Ok(total);
        }
    }
}

/// Sums by (kind, code, detail, day).
type Rollup = std::collections::BTreeMap<(String, String, String, String), i64>;

/// Adds sums to a rollup table (`when` is its day column).
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

/// One summed row as the statements give it, borrowed from the wire
/// buffer: kind (`''` for a distinct count), code, detail, bucket, sum.
struct SumRow<'r> {
    kind: &'r str,
    code: &'r str,
    detail: &'r str,
    bucket: &'r str,
    n: i64,
}

/// Reads one row without a copy or a type check per value: the statements'
/// columns are fixed in `fact::period` (four texts and a bigint). A NULL is
/// still an error, and a kind or code outside the catalogue is a corrupt row.
fn sum_row<'r, R>(r: &'r R) -> Result<SumRow<'r>>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::Decode<'r, R::Database>,
    i64: sqlx::Decode<'r, R::Database>,
{
    Ok(SumRow {
        kind: r.try_get_unchecked(0)?,
        code: r.try_get_unchecked(1)?,
        detail: r.try_get_unchecked(2)?,
        bucket: r.try_get_unchecked(3)?,
        n: r.try_get_unchecked(4)?,
    })
}

/// Runs a sums statement and hands `each` every row, borrowed. A ten-year
/// report reads about 2 500 rows; allocating and type-checking each value
/// was about a fifth of its client-side profile.
async fn each_sum(
    tx: &mut Tx,
    (sql, w): (String, Conditions),
    mut each: impl FnMut(SumRow<'_>) -> Result<()>,
) -> Result<()> {
    on!(tx, |c| {
        let rows = crate::sql::bind_query(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), &w.binds)
            .fetch_all(c)
            .await?;
        for r in &rows {
            each(sum_row(r)?)?;
        }
    });
    Ok(())
}

fn row_bucket(bucket: &str) -> Result<RowBucket> {
    RowBucket::parse(bucket).ok_or_else(|| StoreError::Corrupt(format!("bucket {bucket}")))
}

fn kind_of(kind: &str) -> Result<FactKind> {
    FactKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("unknown fact kind {kind}")))
}

/// A row's code or detail as the catalogue numbers it.
fn code_of(code: &str) -> Result<Code> {
    Code::of(code).ok_or_else(|| StoreError::Corrupt(format!("unknown fact code {code}")))
}

/// The summed facts of a period: the folded ones from the mirror, the rest
/// (and the institutions) in one statement.
pub async fn sums(tx: &mut Tx, from: Date, to: Date) -> Result<Sums> {
    let mut s = Sums::default();
    let stretches = period::period_stretches(from, to);
    read(tx, &stretches, |r| match r {
        Read::Institutions(_, n) => s.set_distinct(Distinct::CapacityBuildingInstitutions, n),
        Read::Sum((k, code, detail), bucket, n) => {
            let bucket = match bucket {
                RowBucket::Tag(Tag::Before) => Bucket::Before,
                _ => Bucket::In,
            };
            s.add(k, code, detail, bucket, n);
        }
    })
    .await?;
    Ok(s)
}

/// A row of a period's sums, from the statement or the mirror.
enum Read {
    /// Institutions in capacity building on the stretch's days.
    Institutions(RowBucket, i64),
    /// A key's sum for a bucket.
    Sum(Key, RowBucket, i64),
}

/// Reads the stretches' sums: the folded facts from the mirror (loaded at
/// the first read), what the mirror does not hold from the statement; then
/// catches the mirror up if the statement saw the database folded past it.
async fn read(
    tx: &mut Tx,
    stretches: &[period::Stretch],
    mut each: impl FnMut(Read),
) -> Result<()> {
    let shared = tx.shared();
    let mirror = &shared.facts;
    let folded = mirror.get(tx).await?;
    let sql = period::sql(tx.backend(), stretches, folded.to);
    let mut seen = None;
    each_sum(tx, sql, |r| {
        let bucket = row_bucket(r.bucket)?;
        if bucket == RowBucket::Tag(Tag::Folded) {
            seen = Some(r.n);
        } else if r.kind.is_empty() {
            each(Read::Institutions(bucket, r.n));
        } else {
            let key = (kind_of(r.kind)?, code_of(r.code)?, code_of(r.detail)?);
            each(Read::Sum(key, bucket, r.n));
        }
        Ok(())
    })
    .await?;
    period::folded(stretches, &folded.sums, |key, bucket, n| {
        each(Read::Sum(key, bucket, n));
    });
    if let Some(seen) = seen {
        mirror.catch_up(tx, Some(seen)).await?;
    }
    Ok(())
}

/// Loads this database's mirror of the folded facts if it has none, else
/// brings it up to the database's watermark: run by the fold job after each
/// pass, so a server's reports find it current (and its first report does
/// not load it). Answers how many key-days it holds.
pub async fn refresh_mirror(db: &crate::Db) -> Result<usize> {
    let mut tx = db.begin_read().await?;
    let shared = tx.shared();
    let loaded = shared.facts.get(&mut tx).await?;
    shared.facts.catch_up(&mut tx, None).await?;
    tx.commit().await?;
    Ok(loaded.sums.len())
}

/// The fold's watermark (see [`fold`]).
pub async fn watermark(tx: &mut Tx) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT folded_to FROM fact_fold WHERE id = 1"
    )
    .fetch_one(c)
    .await?))
}

/// What the key-figure report needs of the facts.
#[derive(Debug, Clone)]
pub struct ReportSums {
    pub current: Sums,
    /// The period of equal length just before, and its sums.
    pub previous: Option<(Period, Sums)>,
    /// The period's charted kinds month by month (and what ran before it).
    pub monthly: Vec<MonthRow>,
}

/// The sums of a period, of the period of equal length before it and of
/// the period's months: what ran before the previous period counts for
/// both, and the previous period's own history rows count as "before" for
/// this one.
pub async fn report(tx: &mut Tx, period: &Period) -> Result<ReportSums> {
    let previous = period.previous();
    let stretches = period::report_stretches(period, previous.as_ref());
    let history = history_kinds();
    let (mut current, mut before) = (Sums::default(), Sums::default());
    let mut monthly = Vec::new();
    read(tx, &stretches, |r| {
        let (k, code, detail, bucket, n) = match r {
            Read::Institutions(bucket, n) => {
                let s = if bucket == RowBucket::Tag(Tag::Previous) {
                    &mut before
                } else {
                    &mut current
                };
                s.set_distinct(Distinct::CapacityBuildingInstitutions, n);
                return;
            }
            Read::Sum((k, code, detail), bucket, n) => (k, code, detail, bucket, n),
        };
        match bucket {
            RowBucket::Tag(Tag::Before) => {
                before.add(k, code, detail, Bucket::Before, n);
                current.add(k, code, detail, Bucket::Before, n);
                monthly.push((k, code, detail, MonthBucket::Before, n));
            }
            RowBucket::Tag(Tag::Previous) => {
                before.add(k, code, detail, Bucket::In, n);
                if history.contains(&k) {
                    current.add(k, code, detail, Bucket::Before, n);
                    monthly.push((k, code, detail, MonthBucket::Before, n));
                }
            }
            RowBucket::Tag(Tag::Current | Tag::Folded) => {
                current.add(k, code, detail, Bucket::In, n);
            }
            RowBucket::Month(y, m) => {
                current.add(k, code, detail, Bucket::In, n);
                monthly.push((k, code, detail, MonthBucket::Month(y, m), n));
            }
        }
    })
    .await?;
    Ok(ReportSums {
        current,
        previous: previous.map(|p| (p, before)),
        monthly,
    })
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
