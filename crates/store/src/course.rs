//! Courses and the mentor's record: goals, contacts, assessments, timeline.

use uuid::Uuid;
use vink_domain::policy::CourseScope;

use crate::sealed;
use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Order, Result, Tx, on};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: String,
    pub prevention_level: String,
    pub concern_id: Option<Uuid>,
    pub direct_reason: Option<String>,
    pub agency_id: Uuid,
    pub legal_basis: Option<String>,
    /// The language the course is best held in, for matching corps members.
    pub language: Option<String>,
    pub status: String,
    pub corps_member_id: Option<Uuid>,
    pub consent_on: Option<String>,
    pub guardian_consent_on: Option<String>,
    pub guardian_name: Option<String>,
    pub consent_recorded_by: Option<Uuid>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub created_at: i64,
    pub created_by: Option<Uuid>,
}

pub async fn insert_course(tx: &mut Authorized, c: &CourseRow) -> Result<()> {
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO courses (id, person_id, kind, prevention_level, concern_id, direct_reason, agency_id, legal_basis,
            status, corps_member_id, consent_on, guardian_consent_on, guardian_name, consent_recorded_by,
            started_on, ended_on, created_at, created_by, language)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    )
    .bind(c.id)
    .bind(c.person_id)
    .bind(&c.kind)
    .bind(&c.prevention_level)
    .bind(c.concern_id)
    .bind(&c.direct_reason)
    .bind(c.agency_id)
    .bind(&c.legal_basis)
    .bind(&c.status)
    .bind(c.corps_member_id)
    .bind(&c.consent_on)
    .bind(&c.guardian_consent_on)
    .bind(&c.guardian_name)
    .bind(c.consent_recorded_by)
    .bind(&c.started_on)
    .bind(&c.ended_on)
    .bind(c.created_at)
    .bind(c.created_by)
    .bind(&c.language)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

const COURSE_COLS: &str = "c.id, c.person_id, c.kind, c.prevention_level, c.concern_id, c.direct_reason, c.agency_id,
    c.legal_basis, c.language, c.status, c.corps_member_id, c.consent_on, c.guardian_consent_on, c.guardian_name,
    c.consent_recorded_by, c.started_on, c.ended_on, c.created_at, c.created_by";

pub async fn course(tx: &mut Tx, id: Uuid) -> Result<Option<CourseRow>> {
    let sql = format!("SELECT {COURSE_COLS} FROM courses c WHERE c.id = $1");
    Ok(on!(tx, |x| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(x)
    .await?))
}

/// The user account of the corps member assigned to a course, which the
/// policy needs to let a mentor into their own courses only.
pub async fn mentor_user(tx: &mut Tx, corps_member_id: Uuid) -> Result<Option<Uuid>> {
    let row: Option<(Option<Uuid>,)> = on!(tx, |x| sqlx::query_as(
        "SELECT user_id FROM corps_members WHERE id = $1"
    )
    .bind(corps_member_id)
    .fetch_optional(x)
    .await?);
    Ok(row.and_then(|r| r.0))
}

/// Writes the fields a coordinator changes: status and dates, consent, assignment.
pub async fn update_course(tx: &mut Authorized, c: &CourseRow) -> Result<()> {
    on!(tx, |x| {
        sqlx::query(
        "UPDATE courses SET status = $1, started_on = $2, ended_on = $3, consent_on = $4, guardian_consent_on = $5,
            guardian_name = $6, consent_recorded_by = $7, corps_member_id = $8
         WHERE id = $9"
    )
    .bind(&c.status)
    .bind(&c.started_on)
    .bind(&c.ended_on)
    .bind(&c.consent_on)
    .bind(&c.guardian_consent_on)
    .bind(&c.guardian_name)
    .bind(c.consent_recorded_by)
    .bind(c.corps_member_id)
    .bind(c.id)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

/// A course as lists show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseListRow {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub person_name: Option<String>,
    pub agency_name: String,
    pub corps_member_name: Option<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
}

/// The course list reads three ranges of partial indexes one after the other:
/// active courses (newest start first), planned ones (newest first), ended ones
/// (latest end first), or each range backwards (oldest first). Nothing sorts
/// the table. Every key column is a value in its stream (migration 0024), so
/// a cursor's row comparison skips nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CourseStream {
    Active,
    Planned,
    Ended,
}

impl CourseStream {
    pub(crate) const ALL: [CourseStream; 3] = [
        CourseStream::Active,
        CourseStream::Planned,
        CourseStream::Ended,
    ];

    fn base(self) -> &'static str {
        match self {
            CourseStream::Active => "c.status = 'active'",
            CourseStream::Planned => "c.status = 'planned'",
            CourseStream::Ended => "c.status IN ('completed', 'discontinued')",
        }
    }
    /// The columns of the stream's index, in order.
    fn key(self) -> &'static [&'static str] {
        match self {
            CourseStream::Active => &["c.started_on", "c.id"],
            CourseStream::Planned => &["c.id"],
            CourseStream::Ended => &["c.ended_on", "c.id"],
        }
    }
    fn holds(self, status: &str) -> bool {
        match self {
            CourseStream::Active => status == "active",
            CourseStream::Planned => status == "planned",
            CourseStream::Ended => status == "completed" || status == "discontinued",
        }
    }
}

/// Where a page of the course list ends: the stream and its key at the last
/// row. The next page starts after it, so a deep page reads its own rows
/// only (an offset read every row before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourseCursor {
    Active { started_on: String, id: Uuid },
    Planned { id: Uuid },
    Ended { ended_on: String, id: Uuid },
}

impl CourseCursor {
    /// The cursor as an opaque text for a link.
    pub fn encode(&self) -> String {
        match self {
            CourseCursor::Active { started_on, id } => format!("a.{started_on}.{id}"),
            CourseCursor::Planned { id } => format!("p.{id}"),
            CourseCursor::Ended { ended_on, id } => format!("e.{ended_on}.{id}"),
        }
    }

    /// Reads a cursor back; `None` for anything this code did not write.
    pub fn decode(s: &str) -> Option<CourseCursor> {
        let date = |d: &str| d.parse::<jiff::civil::Date>().ok().map(|d| d.to_string());
        let mut parts = s.splitn(3, '.');
        let cursor = match (parts.next()?, parts.next()?, parts.next()) {
            ("a", d, Some(id)) => CourseCursor::Active {
                started_on: date(d)?,
                id: id.parse().ok()?,
            },
            ("p", id, None) => CourseCursor::Planned {
                id: id.parse().ok()?,
            },
            ("e", d, Some(id)) => CourseCursor::Ended {
                ended_on: date(d)?,
                id: id.parse().ok()?,
            },
            _ => return None,
        };
        Some(cursor)
    }

    /// A cursor in `stream` at a mid-history date (the plan test's input).
    pub(crate) fn in_stream(stream: CourseStream, id: Uuid) -> CourseCursor {
        let day = "2020-06-30".to_string();
        match stream {
            CourseStream::Active => CourseCursor::Active {
                started_on: day,
                id,
            },
            CourseStream::Planned => CourseCursor::Planned { id },
            CourseStream::Ended => CourseCursor::Ended { ended_on: day, id },
        }
    }

    fn stream(&self) -> CourseStream {
        match self {
            CourseCursor::Active { .. } => CourseStream::Active,
            CourseCursor::Planned { .. } => CourseStream::Planned,
            CourseCursor::Ended { .. } => CourseStream::Ended,
        }
    }

    /// The cursor at a listed row, if its stream's key is there.
    fn at(r: &CourseListRow) -> Option<CourseCursor> {
        Some(match r.status.as_str() {
            "active" => CourseCursor::Active {
                started_on: r.started_on.clone()?,
                id: r.id,
            },
            "planned" => CourseCursor::Planned { id: r.id },
            _ => CourseCursor::Ended {
                ended_on: r.ended_on.clone()?,
                id: r.id,
            },
        })
    }

    /// `(key…) < (values…)` (newest first) or `>` (oldest first): the
    /// stream's index range after the cursor.
    fn push_after(&self, w: &mut Conditions, order: Order) {
        let cmp = match order {
            Order::Descending => "<",
            Order::Ascending => ">",
        };
        let (key, values) = match self {
            CourseCursor::Active { started_on, id } => {
                let d = w.param(Bind::Text(started_on.clone()));
                let i = w.param(Bind::Uuid(*id));
                ("c.started_on, c.id", format!("{d}, {i}"))
            }
            CourseCursor::Planned { id } => {
                let i = w.param(Bind::Uuid(*id));
                return w.push(format!("c.id {cmp} {i}"));
            }
            CourseCursor::Ended { ended_on, id } => {
                let d = w.param(Bind::Text(ended_on.clone()));
                let i = w.param(Bind::Uuid(*id));
                ("c.ended_on, c.id", format!("{d}, {i}"))
            }
        };
        w.push(format!("({key}) {cmp} ({values})"));
    }
}

/// What a course list is filtered by (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct CourseFilter {
    pub status: Option<String>,
    /// Programme kind code.
    pub kind: Option<String>,
    pub agency: Option<Uuid>,
    pub corps_member: Option<Uuid>,
    /// Newest first (the default) or oldest first, within each stream.
    pub order: Order,
    /// Start after this row (a page's `next`); the offset is then ignored.
    pub after: Option<CourseCursor>,
}

fn stream_conditions(
    stream: CourseStream,
    scope: CourseScope,
    f: &CourseFilter,
) -> Option<Conditions> {
    let status = f.status.as_deref();
    if status.is_some_and(|st| !stream.holds(st)) {
        return None;
    }
    let mut w = Conditions::default();
    w.push(stream.base().into());
    if let Some(st) = status.filter(|_| stream == CourseStream::Ended) {
        let p = w.param(Bind::Text(st.to_string()));
        w.push(format!("c.status = {p}"));
    }
    // Residual conditions on the stream's own index walk: a page stops
    // after its rows are found.
    if let Some(k) = &f.kind {
        let p = w.param(Bind::Text(k.clone()));
        w.push(format!("c.kind = {p}"));
    }
    if let Some(a) = f.agency {
        let p = w.param(Bind::Uuid(a));
        w.push(format!("c.agency_id = {p}"));
    }
    if let Some(m) = f.corps_member {
        let p = w.param(Bind::Uuid(m));
        w.push(format!("c.corps_member_id = {p}"));
    }
    w.course_scope(scope, "c");
    Some(w)
}

/// Where a count of ended courses stops. The ended history grows without
/// end (85 000 on the L data set: an exact count read every index entry,
/// 12-19 ms a page on PostgreSQL), while a list needs only "enough to page";
/// beyond this the list says "at least". Active and planned courses, the
/// working set, are always counted exactly.
pub const ENDED_COUNT_CAP: i64 = 1_000;

/// One stream's count SQL, or `None` when the status excludes the stream.
/// The ended stream is counted up to [`ENDED_COUNT_CAP`] + 1.
pub(crate) fn course_count_sql(
    stream: CourseStream,
    scope: CourseScope,
    f: &CourseFilter,
) -> Option<(String, Conditions)> {
    let w = stream_conditions(stream, scope, f)?;
    let cap = (stream == CourseStream::Ended).then_some(ENDED_COUNT_CAP + 1);
    Some(crate::sql::count_sql("courses c", w, cap))
}

/// Each stream's count in one statement (one round trip), in the order of
/// [`CourseStream::ALL`]; `None` for a stream the status excludes.
async fn stream_counts(
    tx: &mut Tx,
    scope: CourseScope,
    f: &CourseFilter,
) -> Result<[Option<i64>; 3]> {
    let (sql, w) = crate::sql::scalars(Vec::from(count_parts(scope, f)));
    let (a, p, e): (i64, i64, i64) = on!(tx, |x| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_one(x)
    .await?);
    Ok(taking_part(scope, f, [a, p, e]))
}

/// Each stream's count SQL, a zero for a stream the status excludes.
fn count_parts(scope: CourseScope, f: &CourseFilter) -> [(String, Conditions); 3] {
    CourseStream::ALL.map(|stream| {
        course_count_sql(stream, scope, f)
            .unwrap_or_else(|| ("SELECT CAST(0 AS BIGINT)".into(), Conditions::default()))
    })
}

/// The counts of the streams that take part; `None` for the others.
fn taking_part(scope: CourseScope, f: &CourseFilter, counts: [i64; 3]) -> [Option<i64>; 3] {
    let mut out = counts.map(Some);
    for (count, stream) in out.iter_mut().zip(CourseStream::ALL) {
        if course_count_sql(stream, scope, f).is_none() {
            *count = None;
        }
    }
    out
}

/// The first `limit` rows of `stream` from its start (or its cursor) with
/// the list's three counts beside each row: a page that starts in one
/// stream, and the totals, in one round trip instead of two. When it finds
/// no row the counts are read on their own.
pub(crate) fn counted_course_page_sql(
    stream: CourseStream,
    scope: CourseScope,
    f: &CourseFilter,
    limit: i64,
) -> Option<(String, Conditions)> {
    let page = course_page_sql(stream, scope, f, limit, 0)?;
    Some(crate::sql::with_scalars(
        page,
        Vec::from(count_parts(scope, f)),
        &["n_active", "n_planned", "n_ended"],
    ))
}

/// A row of [`counted_course_page_sql`].
#[derive(sqlx::FromRow)]
struct CountedCourseRow {
    #[sqlx(flatten)]
    row: CourseListRow,
    n_active: i64,
    n_planned: i64,
    n_ended: i64,
}

/// The stream a page without an offset starts in: its cursor's, or the
/// first the filters leave.
fn first_stream(scope: CourseScope, f: &CourseFilter) -> Option<CourseStream> {
    match &f.after {
        Some(c) => Some(c.stream()),
        None => CourseStream::ALL
            .into_iter()
            .find(|s| course_count_sql(*s, scope, f).is_some()),
    }
}

/// Whether the course list plans its statements for their values on
/// PostgreSQL from its start. A generic plan cannot see a page's `LIMIT`,
/// an agency or a corps member: for a page of ended courses (the large
/// stream) PostgreSQL chose one after five runs that took 7-11 ms on L,
/// against 1 ms planned for the values (`bench/plans.rs`), and under an
/// agency's scope or filter it walked the global index. The whole list's
/// active and planned courses are small streams, each walked by its own
/// index under either plan, and there planning for the values cost 0.6 ms
/// of a 1 ms statement on M: the secretariat's unfiltered list plans once
/// (`list_courses` switches to values before a page of ended courses).
///
/// `narrowed`: an agency or corps-member filter is given (the use case
/// asks before the agency's code is an id, to begin the read in this mode).
pub fn plans_for_values(scope: CourseScope, narrowed: bool) -> bool {
    scope != CourseScope::All || narrowed
}

impl CourseFilter {
    /// Narrowed to one agency or corps member ([`plans_for_values`]).
    pub(crate) fn narrowed(&self) -> bool {
        self.agency.is_some() || self.corps_member.is_some()
    }
}

/// The counts, and the first stream's rows when a page starts in it and
/// they could be read with the counts ([`counted_course_page_sql`]).
async fn counts_and_first_rows(
    tx: &mut Tx,
    scope: CourseScope,
    f: &CourseFilter,
    want: i64,
    skip: i64,
) -> Result<([Option<i64>; 3], Option<(CourseStream, Vec<CourseListRow>)>)> {
    let stream = first_stream(scope, f).filter(|_| skip == 0);
    if let Some((stream, (sql, w))) =
        stream.and_then(|s| counted_course_page_sql(s, scope, f, want).map(|q| (s, q)))
    {
        if stream == CourseStream::Ended {
            crate::query_plan::custom_plans(tx).await?;
        }
        let rows: Vec<CountedCourseRow> = on!(tx, |x| bind_all(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
            &w.binds
        )
        .fetch_all(x)
        .await?);
        if let Some(r) = rows.first() {
            let counts = taking_part(scope, f, [r.n_active, r.n_planned, r.n_ended]);
            return Ok((
                counts,
                Some((stream, rows.into_iter().map(|r| r.row).collect())),
            ));
        }
    }
    Ok((stream_counts(tx, scope, f).await?, None))
}

/// A page of the course list.
#[derive(Debug, Clone, Default)]
pub struct CourseListPage {
    pub rows: Vec<CourseListRow>,
    /// All courses in the list, or at least this many when `total_capped`.
    pub total: i64,
    pub total_capped: bool,
    /// Where the next page starts, when another row follows this page.
    pub next: Option<CourseCursor>,
}

/// One stream's page SQL, or `None` when the status excludes the stream.
pub(crate) fn course_page_sql(
    stream: CourseStream,
    scope: CourseScope,
    f: &CourseFilter,
    limit: i64,
    offset: i64,
) -> Option<(String, Conditions)> {
    let mut w = stream_conditions(stream, scope, f)?;
    if let Some(c) = f.after.as_ref().filter(|c| c.stream() == stream) {
        c.push_after(&mut w, f.order);
    }
    let (l, o) = (w.param(Bind::I64(limit)), w.param(Bind::I64(offset)));
    let order = f.order.by(stream.key());
    const COLUMNS: &str = "c.id, c.kind, c.status, p.name AS person_name, a.name AS agency_name,
                cm.name AS corps_member_name, c.started_on, c.ended_on";
    const JOINS: &str = "JOIN persons p ON p.id = c.person_id JOIN agencies a ON a.id = c.agency_id
         LEFT JOIN corps_members cm ON cm.id = c.corps_member_id";
    let sql = if offset > 0 {
        // A page by number past the first: the skipped courses are read for
        // their keys only (the stream's index), and only the page's rows are
        // joined to their person, agency and corps member. Joined first,
        // page 200 looked up 5 000 persons to drop them: 12-13 ms on M and L.
        // The caller puts them back in order ([`sort_page`]): 25 rows.
        format!(
            "SELECT {COLUMNS}
             FROM (SELECT c.id AS k FROM courses c{} ORDER BY {order} LIMIT {l} OFFSET {o}) page_keys
             JOIN courses c ON c.id = page_keys.k {JOINS}",
            w.where_clause(),
        )
    } else {
        format!(
            "SELECT {COLUMNS}
             FROM courses c {JOINS}{}
             ORDER BY {order} LIMIT {l} OFFSET {o}",
            w.where_clause(),
        )
    };
    Some((sql, w))
}

/// A page read by its keys ([`course_page_sql`] past the first page) in its
/// stream's order: the order of the stream's key columns (dates as
/// `YYYY-MM-DD` text, ids as the bytes both databases compare), either way.
fn sort_page(stream: CourseStream, order: crate::Order, rows: &mut [CourseListRow]) {
    rows.sort_by(|a, b| {
        let ascending = match stream {
            CourseStream::Active => (&a.started_on, a.id).cmp(&(&b.started_on, b.id)),
            CourseStream::Planned => a.id.cmp(&b.id),
            CourseStream::Ended => (&a.ended_on, a.id).cmp(&(&b.ended_on, b.id)),
        };
        match order {
            crate::Order::Ascending => ascending,
            crate::Order::Descending => ascending.reverse(),
        }
    });
}

/// Courses in scope, active first (newest start first), then planned, then
/// the most recently ended. Ended courses are counted up to the cap. A page
/// starts after a cursor (`f.after`: the streams before the cursor's are
/// done, its own is read from the cursor on) or at an offset (page links;
/// past the cap an offset still reads the ended stream).
pub async fn list_courses(
    tx: &mut Tx,
    scope: CourseScope,
    f: &CourseFilter,
    limit: i64,
    offset: i64,
) -> Result<CourseListPage> {
    // Planned once where that is safe, for the values where not (see
    // `plans_for_values`); a page of ended courses always for its values.
    if plans_for_values(scope, f.narrowed()) {
        crate::query_plan::custom_plans(tx).await?;
    } else {
        crate::query_plan::generic_plans(tx).await?;
    }
    let mut out = CourseListPage::default();
    let mut skip = if f.after.is_some() { 0 } else { offset.max(0) };
    // A cursor's stream and those after it take part; earlier ones are done.
    let mut reading = f.after.is_none();
    // Counted first, so a page number skips whole streams without reading
    // them; a page from a stream's start reads its first rows with the counts.
    let (counts, mut first) = counts_and_first_rows(tx, scope, f, limit + 1, skip).await?;
    for (stream, n) in CourseStream::ALL.into_iter().zip(counts) {
        reading |= f.after.as_ref().is_some_and(|c| c.stream() == stream);
        let Some(mut n) = n else {
            continue;
        };
        // A capped count is a lower bound: the stream is never skipped whole.
        let capped = stream == CourseStream::Ended && n > ENDED_COUNT_CAP;
        if capped {
            n = ENDED_COUNT_CAP;
            out.total_capped = true;
        }
        out.total += n;
        // One row more than the page shows, to know whether another follows.
        let want = limit + 1 - i64::try_from(out.rows.len()).unwrap_or(limit);
        if !reading || want <= 0 || (skip >= n && !capped) {
            skip = (skip - n).max(0);
            continue;
        }
        let mut page: Vec<CourseListRow> = match first.take_if(|(s, _)| *s == stream) {
            // Read with the counts: the same statement, from the same start.
            Some((_, rows)) if skip == 0 && want == limit + 1 => rows,
            _ => {
                let Some((sql, w)) = course_page_sql(stream, scope, f, want, skip) else {
                    continue;
                };
                if stream == CourseStream::Ended {
                    crate::query_plan::custom_plans(tx).await?;
                }
                on!(tx, |x| bind_all(
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
                    &w.binds
                )
                .fetch_all(x)
                .await?)
            }
        };
        if skip > 0 {
            sort_page(stream, f.order, &mut page);
        }
        skip = 0;
        out.rows.extend(page);
    }
    let shown = usize::try_from(limit).unwrap_or(0);
    if out.rows.len() > shown {
        out.rows.truncate(shown);
        out.next = out.rows.last().and_then(CourseCursor::at);
    }
    Ok(out)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseEventRow {
    pub id: Uuid,
    pub at: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    pub actor_name: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_event(
    tx: &mut Authorized,
    id: Uuid,
    course_id: Uuid,
    at: i64,
    actor: Option<Uuid>,
    kind: &str,
    from: Option<&str>,
    to: Option<&str>,
    note: Option<&str>,
) -> Result<()> {
    let note = sealed::seal_opt(
        crate::AsTx::as_tx(tx),
        "course_events.note",
        &id.to_string(),
        note,
    )?;
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO course_events (id, course_id, at, actor_id, kind, from_status, to_status, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(id)
    .bind(course_id)
    .bind(at)
    .bind(actor)
    .bind(kind)
    .bind(from)
    .bind(to)
    .bind(&note)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn events(tx: &mut Tx, course_id: Uuid) -> Result<Vec<CourseEventRow>> {
    let mut rows: Vec<CourseEventRow> = on!(tx, |x| {
        sqlx::query_as(
        "SELECT e.id, e.at, e.kind, e.from_status, e.to_status, e.note, u.display_name AS actor_name
         FROM course_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.course_id = $1 ORDER BY e.at, e.id"
    )
    .bind(course_id)
    .fetch_all(x)
    .await?
    });
    for r in &mut rows {
        sealed::open_opt(tx, "course_events.note", &r.id.to_string(), &mut r.note)?;
    }
    Ok(rows)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GoalRow {
    pub id: Uuid,
    pub position: i64,
    pub text: String,
    pub status: String,
    pub updated_at: i64,
}

pub async fn insert_goal(tx: &mut Authorized, course_id: Uuid, g: &GoalRow) -> Result<()> {
    let text = sealed::seal(
        crate::AsTx::as_tx(tx),
        "course_goals.text",
        &g.id.to_string(),
        &g.text,
    )?;
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO course_goals (id, course_id, position, text, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(g.id)
    .bind(course_id)
    .bind(g.position)
    .bind(&text)
    .bind(&g.status)
    .bind(g.updated_at)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn goals(tx: &mut Tx, course_id: Uuid) -> Result<Vec<GoalRow>> {
    let mut rows: Vec<GoalRow> = on!(tx, |x| {
        sqlx::query_as(
        "SELECT id, position, text, status, updated_at FROM course_goals WHERE course_id = $1 ORDER BY position"
    )
    .bind(course_id)
    .fetch_all(x)
    .await?
    });
    for r in &mut rows {
        sealed::open_in(tx, "course_goals.text", &r.id.to_string(), &mut r.text)?;
    }
    Ok(rows)
}

/// Sets a goal's status; false when the goal is not on this course.
pub async fn set_goal_status(
    tx: &mut Authorized,
    course_id: Uuid,
    goal_id: Uuid,
    status: &str,
    at: i64,
) -> Result<bool> {
    Ok(on!(tx, |x| sqlx::query(
        "UPDATE course_goals SET status = $1, updated_at = $2 WHERE id = $3 AND course_id = $4"
    )
    .bind(status)
    .bind(at)
    .bind(goal_id)
    .bind(course_id)
    .execute(x)
    .await?
    .rows_affected())
        > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub on_date: String,
    pub minutes: i64,
    pub form: String,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
}

pub async fn insert_contact(
    tx: &mut Authorized,
    course_id: Uuid,
    c: &ContactRow,
    at: i64,
) -> Result<()> {
    let note = sealed::seal_opt(
        crate::AsTx::as_tx(tx),
        "course_contacts.note",
        &c.id.to_string(),
        c.note.as_deref(),
    )?;
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO course_contacts (id, course_id, on_date, minutes, form, note, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(c.id)
    .bind(course_id)
    .bind(&c.on_date)
    .bind(c.minutes)
    .bind(&c.form)
    .bind(&note)
    .bind(at)
    .bind(c.created_by)
    .execute(x)
    .await?
    .rows_affected()
    });
    Ok(())
}

pub async fn contacts(tx: &mut Tx, course_id: Uuid) -> Result<Vec<ContactRow>> {
    let mut rows: Vec<ContactRow> = on!(tx, |x| {
        sqlx::query_as(
        "SELECT id, on_date, minutes, form, note, created_by FROM course_contacts WHERE course_id = $1
         ORDER BY on_date DESC, created_at DESC"
    )
    .bind(course_id)
    .fetch_all(x)
    .await?
    });
    for r in &mut rows {
        sealed::open_opt(tx, "course_contacts.note", &r.id.to_string(), &mut r.note)?;
    }
    Ok(rows)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssessmentRow {
    pub id: Uuid,
    pub point: String,
    pub on_date: String,
    pub occupation: Option<String>,
    pub risk: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingRow {
    pub assessment_id: Uuid,
    pub area: String,
    pub rating: i64,
    pub comment: Option<String>,
}

pub async fn insert_assessment(
    tx: &mut Authorized,
    course_id: Uuid,
    a: &AssessmentRow,
    ratings: &[RatingRow],
    at: i64,
    by: Option<Uuid>,
) -> Result<()> {
    on!(tx, |x| {
        sqlx::query(
        "INSERT INTO course_assessments (id, course_id, point, on_date, occupation, risk, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(a.id)
    .bind(course_id)
    .bind(&a.point)
    .bind(&a.on_date)
    .bind(&a.occupation)
    .bind(&a.risk)
    .bind(at)
    .bind(by)
    .execute(x)
    .await?
    .rows_affected()
    });
    for r in ratings {
        let comment = sealed::seal_opt(
            crate::AsTx::as_tx(tx),
            "assessment_ratings.comment",
            &format!("{}/{}", a.id, r.area),
            r.comment.as_deref(),
        )?;
        on!(tx, |x| {
            sqlx::query(
            "INSERT INTO assessment_ratings (assessment_id, area, rating, comment) VALUES ($1, $2, $3, $4)"
        )
        .bind(a.id)
        .bind(&r.area)
        .bind(r.rating)
        .bind(&comment)
        .execute(x)
        .await?
        .rows_affected()
        });
    }
    Ok(())
}

pub async fn assessments(
    tx: &mut Tx,
    course_id: Uuid,
) -> Result<(Vec<AssessmentRow>, Vec<RatingRow>)> {
    let rows = on!(tx, |x| {
        sqlx::query_as(
        "SELECT id, point, on_date, occupation, risk FROM course_assessments WHERE course_id = $1 ORDER BY on_date, created_at"
    )
    .bind(course_id)
    .fetch_all(x)
    .await?
    });
    let mut ratings: Vec<RatingRow> = on!(tx, |x| sqlx::query_as(
        "SELECT r.assessment_id, r.area, r.rating, r.comment FROM assessment_ratings r
         JOIN course_assessments a ON a.id = r.assessment_id WHERE a.course_id = $1"
    )
    .bind(course_id)
    .fetch_all(x)
    .await?);
    for r in &mut ratings {
        let place = format!("{}/{}", r.assessment_id, r.area);
        sealed::open_opt(tx, "assessment_ratings.comment", &place, &mut r.comment)?;
    }
    Ok((rows, ratings))
}

/// The course already started for this person from this concern, if any.
pub async fn course_of_concern_person(
    tx: &mut Tx,
    concern_id: Uuid,
    person_id: Uuid,
) -> Result<Option<Uuid>> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM courses WHERE concern_id = $1 AND person_id = $2"
    )
    .bind(concern_id)
    .bind(person_id)
    .fetch_optional(c)
    .await?))
}

/// Whether a course has an assessment at this point (`closure`, …).
pub async fn has_assessment(tx: &mut Tx, course_id: Uuid, point: &str) -> Result<bool> {
    let n: i64 = on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM course_assessments WHERE course_id = $1 AND point = $2"
    )
    .bind(course_id)
    .bind(point)
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

/// A contact as a mentor's home page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentContactRow {
    pub course_id: Uuid,
    pub person_name: Option<String>,
    pub on_date: String,
    pub form: String,
    pub minutes: i64,
}

/// The latest contacts logged by one user: a mentor's own work. Starts from
/// the courses assigned to them (their caseload, a handful), never the table.
pub async fn recent_contacts_by(
    tx: &mut Tx,
    mentor_user: Uuid,
    limit: i64,
) -> Result<Vec<RecentContactRow>> {
    Ok(on!(tx, |c| sqlx::query_as(
        "SELECT k.course_id, p.name AS person_name, k.on_date, k.form, k.minutes
         FROM corps_members cm
         JOIN courses c ON c.corps_member_id = cm.id
         JOIN course_contacts k ON k.course_id = c.id
         JOIN persons p ON p.id = c.person_id
         WHERE cm.user_id = $1
         ORDER BY k.on_date DESC, k.created_at DESC LIMIT $2"
    )
    .bind(mentor_user)
    .bind(limit)
    .fetch_all(c)
    .await?))
}
