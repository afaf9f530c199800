//! The search box's queries: index ranges on folded name tokens, the birth
//! date index or the case number, joined to concerns and courses and filtered
//! by the same policy scopes as the lists. Every query is bounded by `limit`.

use uuid::Uuid;
use vink_domain::policy::{ConcernScope, CourseScope};
use vink_domain::search::{SearchQuery, Word, name_tokens, prefix_upper};

use crate::sql::{Bind, Conditions, bind_all};
use crate::{Result, Tx, on};

/// One concern or course found, with what its label needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HitRow {
    pub id: Uuid,
    pub case_number: Option<String>,
    pub status: String,
    pub immediate_danger: bool,
    /// A course's programme kind; none for a concern.
    pub programme: Option<String>,
    pub person_name: Option<String>,
    pub person_birth: Option<String>,
}

/// One condition per prefix of a typed word, `alias.token >= $a AND
/// alias.token < $b` (one contiguous index range each), its bounds bound in
/// the order the ranges are written.
fn word_ranges(w: &mut Conditions, word: &Word, alias: &str) -> Vec<String> {
    word.prefixes
        .iter()
        .map(|p| {
            let lo = w.param(Bind::Text(p.clone()));
            let hi = w.param(Bind::Text(prefix_upper(p)));
            format!("{alias}.token >= {lo} AND {alias}.token < {hi}")
        })
        .collect()
}

/// `(t.token >= $a AND t.token < $b) OR …` for one typed word: a filter on
/// a person's own tokens (probed by `(person_id, token)`).
fn word_condition(w: &mut Conditions, word: &Word, alias: &str) -> String {
    let ranges: Vec<String> = word_ranges(w, word, alias)
        .into_iter()
        .map(|r| format!("({r})"))
        .collect();
    format!("({})", ranges.join(" OR "))
}

/// The persons whose tokens one typed word starts: one index range per
/// prefix, appended (`UNION ALL`), so a reader that needs only the first
/// rows stops early. Written as an `OR` of the ranges, the word was read
/// whole (PostgreSQL scanned the token table or merged bitmaps): a probe of
/// "Hana" on L took 11 ms instead of 0.6, a course search 60 ms instead
/// of 18.
fn word_persons(w: &mut Conditions, word: &Word) -> String {
    let ranges: Vec<String> = word_ranges(w, word, "t")
        .into_iter()
        .map(|r| format!("SELECT t.person_id FROM person_name_tokens t WHERE {r}"))
        .collect();
    ranges.join(" UNION ALL ")
}

/// The persons a query names, as a `FROM` fragment binding `p` and its
/// conditions; `None` for a case number (which names records, not persons).
fn person_source(w: &mut Conditions, q: &SearchQuery) -> Option<String> {
    match q {
        SearchQuery::CaseNumber(_) => None,
        SearchQuery::Birth(d) => {
            let b = w.param(Bind::Text(d.to_string()));
            w.push(format!("p.birth = {b}"));
            Some("persons p".into())
        }
        SearchQuery::Name(words) => {
            let mut iter = words.iter();
            // The first (rarest) word drives; its ranges come first in the
            // statement, as their parameters were numbered.
            let first = iter.next()?;
            let source = format!(
                "({}) t0 JOIN persons p ON p.id = t0.person_id",
                word_persons(w, first)
            );
            for word in iter {
                let c = word_condition(w, word, "tn");
                w.push(format!(
                    "EXISTS (SELECT 1 FROM person_name_tokens tn WHERE tn.person_id = t0.person_id AND {c})"
                ));
            }
            Some(source)
        }
    }
}

/// The concern query for `q` within `scope`; none when the scope is empty.
pub(crate) fn concerns_sql(
    q: &SearchQuery,
    scope: ConcernScope,
    limit: i64,
) -> Option<(String, Conditions)> {
    if scope == ConcernScope::Nothing {
        return None;
    }
    let mut w = Conditions::default();
    let from = match (q, person_source(&mut w, q)) {
        (SearchQuery::CaseNumber(n), _) => {
            let b = w.param(Bind::Text(n.clone()));
            w.push(format!("k.case_number = {b}"));
            "concerns k LEFT JOIN persons p ON p.id = k.first_person_id".to_string()
        }
        (_, Some(persons)) => format!(
            "{persons} JOIN concern_persons cp ON cp.person_id = p.id JOIN concerns k ON k.id = cp.concern_id"
        ),
        (_, None) => return None,
    };
    w.concern_scope(scope, "k");
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT k.id, k.case_number, k.status, k.immediate_danger, NULL AS programme,
                p.name AS person_name, p.birth AS person_birth
         FROM {from}{} LIMIT {l}",
        w.where_clause()
    );
    Some((sql, w))
}

/// The course query for `q` within `scope`; none when the scope is empty.
pub(crate) fn courses_sql(
    q: &SearchQuery,
    scope: CourseScope,
    limit: i64,
) -> Option<(String, Conditions)> {
    if scope == CourseScope::Nothing {
        return None;
    }
    let mut w = Conditions::default();
    let from = match (q, person_source(&mut w, q)) {
        (SearchQuery::CaseNumber(n), _) => {
            let b = w.param(Bind::Text(n.clone()));
            w.push(format!("k.case_number = {b}"));
            "concerns k JOIN courses c ON c.concern_id = k.id JOIN persons p ON p.id = c.person_id"
                .to_string()
        }
        (_, Some(persons)) => format!(
            "{persons} JOIN courses c ON c.person_id = p.id LEFT JOIN concerns k ON k.id = c.concern_id"
        ),
        (_, None) => return None,
    };
    w.course_scope(scope, "c");
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT c.id, k.case_number, c.status, FALSE AS immediate_danger, c.kind AS programme,
                p.name AS person_name, p.birth AS person_birth
         FROM {from}{} LIMIT {l}",
        w.where_clause()
    );
    Some((sql, w))
}

async fn hits(tx: &mut Tx, q: Option<(String, Conditions)>) -> Result<Vec<HitRow>> {
    let Some((sql, w)) = q else {
        return Ok(Vec::new());
    };
    Ok(on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?))
}

/// Concerns within `scope` that the query finds, at most `limit`.
pub async fn concerns(
    tx: &mut Tx,
    q: &SearchQuery,
    scope: ConcernScope,
    limit: i64,
) -> Result<Vec<HitRow>> {
    hits(tx, concerns_sql(q, scope, limit)).await
}

/// Courses within `scope` that the query finds, at most `limit`.
pub async fn courses(
    tx: &mut Tx,
    q: &SearchQuery,
    scope: CourseScope,
    limit: i64,
) -> Result<Vec<HitRow>> {
    hits(tx, courses_sql(q, scope, limit)).await
}

/// Plans each search for its own values on PostgreSQL: a prefix range's
/// selectivity is all in its bounds, and a generic plan (chosen after a few
/// executions of a prepared statement) guesses it and scans the token table.
/// And without parallel workers: a search stops at its `LIMIT`, and a
/// parallel plan built its hash of the courses once per worker (a full-name
/// course search on M: 13 ms, 5-7 ms serial). Once per search transaction,
/// both settings in one round trip; SQLite plans every statement as given.
pub async fn plan_for_values(tx: &mut Tx) -> Result<()> {
    if let Tx::Pg(t) = tx {
        t.set_local(
            "SET LOCAL plan_cache_mode = force_custom_plan; \
             SET LOCAL max_parallel_workers_per_gather = 0",
        )
        .await?;
        t.plans = Some(crate::query_plan::CUSTOM);
    }
    Ok(())
}

/// Rows a selectivity probe reads at most per word.
const PROBE: i64 = 2_000;

/// The count of a word's token rows, up to [`PROBE`]: index ranges only,
/// stopped at the cap (the plan test covers it).
pub(crate) fn probe_sql(word: &Word) -> (String, Conditions) {
    let mut w = Conditions::default();
    let persons = word_persons(&mut w, word);
    let l = w.param(Bind::I64(PROBE));
    (
        format!("SELECT COUNT(*) FROM ({persons} LIMIT {l}) AS probe"),
        w,
    )
}

/// The planner's estimate of a word's token rows (PostgreSQL: its
/// statistics of the token column), or `None` on SQLite, which keeps none
/// by default. Read only when the probes cannot rank: planning reads no rows.
async fn estimated_rows(tx: &mut Tx, word: &Word) -> Result<Option<f64>> {
    let Tx::Pg(t) = tx else {
        return Ok(None);
    };
    let mut w = Conditions::default();
    let sql = format!("EXPLAIN {}", word_persons(&mut w, word));
    t.flush().await?;
    // The first line is the top node: `Append  (cost=… rows=N width=…)`.
    let (top,): (String,) = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &w.binds)
        .fetch_one(&mut **t)
        .await?;
    Ok(plan_rows(&top))
}

/// The `rows=` estimate of an `EXPLAIN` line.
fn plan_rows(line: &str) -> Option<f64> {
    let rest = &line[line.find(" rows=")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The name words reordered so the rarest drives the query: each word's
/// token range is counted up to [`PROBE`] rows (a bounded index read), and
/// the smallest goes first. A common part of many names ("Hansen") then only
/// filters the few persons a rarer word found. When several words reach the
/// cap, the planner's estimate ranks those (L: a first name that leads finds
/// its 25 hits in 18 ms, the more common surname in 65).
pub async fn rarest_first(tx: &mut Tx, q: SearchQuery) -> Result<SearchQuery> {
    let SearchQuery::Name(words) = q else {
        return Ok(q);
    };
    if words.len() < 2 {
        return Ok(SearchQuery::Name(words));
    }
    // Every word's probe in one statement (one round trip): `(word, count)`.
    let parts = (0..words.len())
        .map(|i| {
            let (sql, w) = probe_sql(&words[i]);
            (format!("SELECT CAST({i} AS BIGINT) AS w, ({sql}) AS n"), w)
        })
        .collect();
    let (sql, w) = crate::sql::union_all(parts);
    let probed: Vec<(i64, i64)> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let mut counted: Vec<(i64, f64, Word)> = words.into_iter().map(|w| (0, 0.0, w)).collect();
    for (i, n) in probed {
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| counted.get_mut(i)) {
            slot.0 = n;
        }
    }
    if counted.iter().filter(|(n, _, _)| *n >= PROBE).count() > 1 {
        for (n, estimate, word) in &mut counted {
            if *n >= PROBE {
                *estimate = estimated_rows(tx, word).await?.unwrap_or(0.0);
            }
        }
    }
    counted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Ok(SearchQuery::Name(
        counted.into_iter().map(|(_, _, w)| w).collect(),
    ))
}

/// Writes a person's name tokens: part of every person insert, never alone.
pub(crate) async fn index_name(
    tx: &mut impl crate::AsTx,
    person_id: Uuid,
    name: Option<&str>,
) -> Result<()> {
    let rows: Vec<Vec<Bind>> = name
        .map(name_tokens)
        .unwrap_or_default()
        .into_iter()
        .map(|token| vec![Bind::Text(token), Bind::Uuid(person_id)])
        .collect();
    crate::deferred::insert(
        crate::AsTx::as_tx(tx),
        "person_name_tokens",
        "token, person_id",
        rows,
    )
    .await
}

/// Fills the tokens of persons made before the search index existed, once,
/// in one transaction (run at start-up, after the migrations).
pub async fn backfill(db: &crate::Db) -> Result<u64> {
    let mut tx = db.begin().await?;
    let done: bool = on!(&mut tx, |c| sqlx::query_scalar(
        "SELECT done FROM search_backfill WHERE id = 1"
    )
    .fetch_one(c)
    .await?);
    if done {
        tx.commit().await?;
        return Ok(0);
    }
    let persons: Vec<(Uuid, Option<String>)> = on!(&mut tx, |c| sqlx::query_as(
        "SELECT p.id, p.name FROM persons p WHERE p.name IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM person_name_tokens t WHERE t.person_id = p.id)"
    )
    .fetch_all(c)
    .await?);
    for (id, name) in &persons {
        index_name(&mut tx, *id, name.as_deref()).await?;
    }
    on!(&mut tx, |c| sqlx::query(
        "UPDATE search_backfill SET done = TRUE WHERE id = 1"
    )
    .execute(c)
    .await?
    .rows_affected());
    tx.commit().await?;
    Ok(persons.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::plan_rows;

    #[test]
    fn an_explain_line_gives_its_row_estimate() {
        assert_eq!(
            plan_rows("Append  (cost=0.43..5120.18 rows=61234 width=16)"),
            Some(61234.0)
        );
        assert_eq!(
            plan_rows("Index Only Scan using x on t  (cost=0.43..8.45 rows=1 width=16)"),
            Some(1.0)
        );
        assert_eq!(plan_rows("Result  (cost=0.00..0.01 width=0)"), None);
    }
}
