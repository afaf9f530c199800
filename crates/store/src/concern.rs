//! Concerns: insert, read, the scoped and filtered list, and the history.

use uuid::Uuid;
use vink_domain::policy::ConcernScope;

use crate::group::{Hot, HotValue};
use crate::sealed;
use crate::sql::{Bind, Conditions, bind_all};
use crate::{Authorized, Result, SqliteTx, Tx, on};

/// The full stored concern.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConcernRow {
    pub id: Uuid,
    pub case_number: String,
    pub receipt: Option<String>,
    pub channel: String,
    pub received_at: i64,
    pub reporter_kind: String,
    pub reporter_organisation: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_contact: Option<String>,
    pub description: String,
    pub immediate_danger: bool,
    pub status: String,
    pub decision: Option<String>,
    pub programme_kind: Option<String>,
    pub triage_deadline_at: i64,
    pub paused_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub created_by: Option<Uuid>,
}

/// A concern's own columns ([`ConcernRow`]), as a literal so that the insert's
/// list can extend it.
macro_rules! concern_cols {
    () => {
        "id, case_number, receipt, channel, received_at, reporter_kind, reporter_organisation, reporter_name, reporter_contact, description, immediate_danger, status, decision, programme_kind, triage_deadline_at, paused_at, decided_at, created_at, created_by"
    };
}
const CONCERN_COLS: &str = concern_cols!();

/// Next number in a named sequence (e.g. case numbers per year).
///
/// SQLite: a counter row (one writer, nothing to contend for), gap-free,
/// kept in memory while the writer's batch is open.
/// PostgreSQL: a sequence per name, created on first use and started after
/// the counter row if an older version kept one. A counter row would be
/// locked from the intake's first statement to its commit, so concurrent
/// intakes would commit one after another; `nextval` locks nothing. A
/// rolled-back intake leaves a gap in the numbers, which identify cases and
/// are never counted (figures count rows).
pub async fn next_counter(tx: &mut Tx, name: &str) -> Result<i64> {
    let c = match tx {
        Tx::Sqlite(SqliteTx::Write(lease)) => {
            // Kept in memory for the writer's batch, written at its commit.
            let key = Hot::Counter(name.to_string());
            let last = match lease.hot(&key) {
                Some(HotValue::Counter(v)) => v,
                _ => sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut **lease)
                    .await?
                    .unwrap_or(0),
            };
            lease.set_hot(key, HotValue::Counter(last + 1), true);
            return Ok(last + 1);
        }
        Tx::Sqlite(c) => {
            return Ok(sqlx::query_scalar(
                "INSERT INTO counters (name, value) VALUES ($1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
            )
            .bind(name)
            .fetch_one(&mut **c)
            .await?);
        }
        Tx::Pg(c) => {
            c.flush().await?;
            c
        }
    };
    let seq = sequence_name(name);
    // One round trip when the sequence exists (`nextval` of NULL is NULL).
    let next: Option<i64> = sqlx::query_scalar("SELECT nextval(to_regclass($1))")
        .bind(&seq)
        .fetch_one(&mut **c)
        .await?;
    if let Some(n) = next {
        return Ok(n);
    }
    // In a savepoint: a concurrent first use that created it first makes
    // this fail (at once, or after waiting for its commit); then the
    // sequence exists and is not set again. Never `IF NOT EXISTS` here:
    // the `setval` would then rewind a sequence already in use.
    sqlx::query("SAVEPOINT counter_sequence")
        .execute(&mut **c)
        .await?;
    let create = format!("CREATE SEQUENCE {seq}");
    let made = async {
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(&mut **c)
            .await?;
        sqlx::query(
            "SELECT setval($1::regclass, COALESCE((SELECT value FROM counters WHERE name = $2), 0) + 1, false)",
        )
        .bind(&seq)
        .bind(name)
        .execute(&mut **c)
        .await
    }
    .await;
    let end = if made.is_ok() {
        "RELEASE counter_sequence"
    } else {
        "ROLLBACK TO counter_sequence"
    };
    sqlx::query(end).execute(&mut **c).await?;
    Ok(sqlx::query_scalar("SELECT nextval($1::regclass)")
        .bind(&seq)
        .fetch_one(&mut **c)
        .await?)
}

/// `case:2026` → `counter_case_2026`: only lower-case letters, digits and
/// underscores reach the `CREATE SEQUENCE` statement.
fn sequence_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                ch.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("counter_{safe}")
}

/// The columns a new concern is written with: its own, and the summary of
/// its persons that a list row shows (migration 0029).
const INSERT_COLS: &str = concat!(concern_cols!(), ", person_count, first_person_id");

/// Writes a concern with the persons it names, in their order (none: a
/// concern about no one in particular). The concern's person count and first
/// person, which its list row shows without looking at the links, are set
/// here from the same list as the links, so they cannot disagree; this is the
/// only way to link persons to a concern. A person named twice fails.
pub async fn insert_concern(tx: &mut Authorized, r: &ConcernRow, persons: &[Uuid]) -> Result<()> {
    let description = sealed::seal(
        crate::AsTx::as_tx(tx),
        "concerns.description",
        &r.id.to_string(),
        &r.description,
    )?;
    let row = vec![
        Bind::Uuid(r.id),
        Bind::Text(r.case_number.clone()),
        Bind::OptText(r.receipt.clone()),
        Bind::Text(r.channel.clone()),
        Bind::I64(r.received_at),
        Bind::Text(r.reporter_kind.clone()),
        Bind::OptText(r.reporter_organisation.clone()),
        Bind::OptText(r.reporter_name.clone()),
        Bind::OptText(r.reporter_contact.clone()),
        Bind::Text(description),
        Bind::Bool(r.immediate_danger),
        Bind::Text(r.status.clone()),
        Bind::OptText(r.decision.clone()),
        Bind::OptText(r.programme_kind.clone()),
        Bind::I64(r.triage_deadline_at),
        Bind::OptI64(r.paused_at),
        Bind::OptI64(r.decided_at),
        Bind::I64(r.created_at),
        Bind::OptUuid(r.created_by),
        Bind::I64(i64::try_from(persons.len()).unwrap_or(i64::MAX)),
        Bind::OptUuid(persons.first().copied()),
    ];
    let tx = crate::AsTx::as_tx(tx);
    crate::deferred::insert(tx, "concerns", INSERT_COLS, vec![row]).await?;
    if persons.is_empty() {
        return Ok(());
    }
    let links = persons
        .iter()
        .zip(0_i64..)
        .map(|(p, position)| vec![Bind::Uuid(r.id), Bind::Uuid(*p), Bind::I64(position)])
        .collect();
    crate::deferred::insert(
        tx,
        "concern_persons",
        "concern_id, person_id, position",
        links,
    )
    .await
}

pub async fn concern(tx: &mut Tx, id: Uuid) -> Result<Option<ConcernRow>> {
    let sql = format!("SELECT {CONCERN_COLS} FROM concerns WHERE id = $1");
    let mut row: Option<ConcernRow> =
        on!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await?);
    if let Some(r) = row.as_mut() {
        sealed::open_in(
            tx,
            "concerns.description",
            &r.id.to_string(),
            &mut r.description,
        )?;
    }
    Ok(row)
}

/// The meetings that have a concern on their agenda, and the agencies
/// attending them: the fact the policy needs to decide a coordination-unit
/// member's access, and the meetings a reader allowed in then sees, from one
/// statement (index `agenda_items_concern`, then each meeting by key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agendas {
    /// (meeting, date), by date.
    pub meetings: Vec<(Uuid, String)>,
    /// Every agency attending any of them, once each, sorted.
    pub agencies: Vec<Uuid>,
}

pub async fn agendas(tx: &mut Tx, concern_id: Uuid) -> Result<Agendas> {
    let rows: Vec<(Uuid, String, Option<Uuid>)> = on!(tx, |c| sqlx::query_as(
        "SELECT m.id, m.meeting_date, ma.agency_id FROM agenda_items ai
         JOIN meetings m ON m.id = ai.meeting_id
         LEFT JOIN meeting_agencies ma ON ma.meeting_id = ai.meeting_id
         WHERE ai.concern_id = $1 ORDER BY m.meeting_date, m.id"
    )
    .bind(concern_id)
    .fetch_all(c)
    .await?);
    let mut out = Agendas::default();
    for (meeting, date, agency) in rows {
        // A meeting's rows are adjacent: the order ends with its id.
        if out.meetings.last().map(|(id, _)| *id) != Some(meeting) {
            out.meetings.push((meeting, date));
        }
        out.agencies.extend(agency);
    }
    out.agencies.sort_unstable();
    out.agencies.dedup();
    Ok(out)
}

/// How long before its receipt a decision may be dated, in µs: the
/// [`vink_domain::concern::FUTURE_SLACK`] a receipt may lie ahead of the
/// clock, as migration 0023's constraint writes it.
pub const DECISION_SLACK_MICROS: i64 = 300_000_000;

/// Which slice of the triage clock a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    Overdue,
    /// Open, running, and due within the window.
    DueSoon,
    /// Open with the clock paused.
    Paused,
}

#[derive(Debug, Clone)]
pub struct ConcernFilter {
    pub status: Option<String>,
    pub due: Option<DueFilter>,
    /// Only open concerns flagged as immediate danger.
    pub danger: bool,
    /// Only concerns that came in through this channel.
    pub channel: Option<String>,
    /// Only concerns received at or after this instant (µs).
    pub received_from: Option<i64>,
    /// Only concerns received before this instant (µs).
    pub received_to: Option<i64>,
    pub now: i64,
    pub soon_until: i64,
    pub limit: i64,
    /// Rows to skip (page numbers); ignored when `after` is given.
    pub offset: i64,
    /// Continue after this row (keyset paging, any depth at the same cost).
    pub after: Option<ListCursor>,
    /// The page that ends just before this row ("previous" by keyset);
    /// `after` and `offset` are ignored when given.
    pub before: Option<ListCursor>,
    /// The database plans the pages of the large streams for their values
    /// (PostgreSQL, `query_plan::custom_plans`): then a period filter on
    /// the decided concerns may start from its own index and sort its range
    /// when that is cheaper than walking the decision order, and a capped
    /// count by receipt may find its rows in any order (a unit member's
    /// from the agency's agendas: 20 ms → 1.5 ms on M). SQLite plans
    /// without the values and would sort a ten-year period as readily as a
    /// week: it keeps the ordered walks.
    pub planned_for_values: bool,
}

impl ConcernFilter {
    /// Whether the received period lies so near the present that walking
    /// the decision order from now back to the period's start reads at
    /// most twice the period's own span (decisions follow receipt within
    /// days): then the walk, which stops at a full page, is never much
    /// worse than reading the period whole, and mostly far better.
    fn period_is_recent(&self) -> bool {
        let Some(from) = self.received_from else {
            return false;
        };
        let to = self.received_to.map_or(self.now, |t| t.min(self.now));
        let own = to.saturating_sub(from);
        own > 0 && self.now.saturating_sub(from) <= own.saturating_mul(2)
    }
}

/// Where a page ended, in the list's order: open concerns by effective
/// deadline (a paused clock's deadline counted from `now_ref`, the instant
/// the first page was read, so the order holds across pages), then decided
/// ones newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListCursor {
    Open {
        now_ref: i64,
        key: i64,
        case_number: String,
    },
    Decided {
        decided_at: i64,
        case_number: String,
    },
}

impl ListCursor {
    /// The cursor as an opaque text for a link.
    pub fn encode(&self) -> String {
        match self {
            ListCursor::Open {
                now_ref,
                key,
                case_number,
            } => format!("o.{now_ref}.{key}.{case_number}"),
            ListCursor::Decided {
                decided_at,
                case_number,
            } => format!("d.{decided_at}.{case_number}"),
        }
    }

    /// Reads a cursor back; `None` for anything this code did not write.
    pub fn decode(s: &str) -> Option<ListCursor> {
        let mut parts = s.splitn(4, '.');
        match parts.next()? {
            "o" => {
                let now_ref = parts.next()?.parse().ok()?;
                let key = parts.next()?.parse().ok()?;
                let case_number = parts.next()?.to_string();
                valid_case_number(&case_number).then_some(ListCursor::Open {
                    now_ref,
                    key,
                    case_number,
                })
            }
            "d" => {
                let decided_at = parts.next()?.parse().ok()?;
                let case_number = parts.next()?.to_string();
                (parts.next().is_none() && valid_case_number(&case_number)).then_some(
                    ListCursor::Decided {
                        decided_at,
                        case_number,
                    },
                )
            }
            _ => None,
        }
    }
}

/// Whether a cursor's case number looks like one this code wrote.
fn valid_case_number(c: &str) -> bool {
    !c.is_empty() && c.len() <= 40 && c.chars().all(|x| x.is_ascii_alphanumeric() || x == '-')
}

/// Where a page ended in the order of receipt (newest first; the case
/// number breaks a tie of the same instant). Its own type: a place in the
/// deadline order is no place in this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCursor {
    pub received_at: i64,
    pub case_number: String,
}

impl ReceivedCursor {
    /// The cursor as an opaque text for a link.
    pub fn encode(&self) -> String {
        format!("r.{}.{}", self.received_at, self.case_number)
    }

    /// Reads a cursor back; `None` for anything this code did not write.
    pub fn decode(s: &str) -> Option<ReceivedCursor> {
        let mut parts = s.splitn(3, '.');
        if parts.next()? != "r" {
            return None;
        }
        let received_at = parts.next()?.parse().ok()?;
        let case_number = parts.next()?.to_string();
        valid_case_number(&case_number).then_some(ReceivedCursor {
            received_at,
            case_number,
        })
    }

    fn at(r: &ConcernListRow) -> ReceivedCursor {
        ReceivedCursor {
            received_at: r.received_at,
            case_number: r.case_number.clone(),
        }
    }
}

/// Which page of the list in order of receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceivedAt {
    /// By number: `ConcernFilter::offset` rows skipped from the newest.
    Offset,
    /// The page after this row.
    After(ReceivedCursor),
    /// The page that ends just before this row.
    Before(ReceivedCursor),
}

/// A concern as a list shows it: no description, no reporter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConcernListRow {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub received_at: i64,
    pub status: String,
    pub decision: Option<String>,
    pub immediate_danger: bool,
    pub triage_deadline_at: i64,
    pub paused_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub first_person: Option<String>,
    pub person_count: i64,
}

/// A list row's columns ([`ConcernListRow`]), as the statements that read
/// one name them.
const LIST_ROW_COLS: &[&str] = &[
    "id",
    "case_number",
    "channel",
    "received_at",
    "status",
    "decision",
    "immediate_danger",
    "triage_deadline_at",
    "paused_at",
    "decided_at",
    "first_person",
    "person_count",
];

/// The columns of a list row that come from the concern itself.
const PAGE_COLS: &str = "c.id, c.case_number, c.channel, c.received_at, c.status, c.decision,
    c.immediate_danger, c.triage_deadline_at, c.paused_at, c.decided_at, c.person_count,
    c.first_person_id";

/// The columns looked up per row, for the page's rows only.
/// The count is the concern's own (migration 0029); the first person's name
/// is one look-up by key, where it had been a walk and sort of the links and
/// a count of them, two fifths of the list statement on PostgreSQL M.
const ROW_LOOKUPS: &str =
    "(SELECT p.name FROM persons p WHERE p.id = page.first_person_id) AS first_person";

/// The three ordered streams a list is read from, each a range of its own
/// partial index (migration 0006): running open concerns by deadline, paused
/// ones by the time they have left, decided ones newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Running,
    Paused,
    Decided,
}

impl Stream {
    fn base(self) -> &'static str {
        match self {
            Stream::Running => "c.decided_at IS NULL AND c.paused_at IS NULL",
            Stream::Paused => "c.decided_at IS NULL AND c.paused_at IS NOT NULL",
            Stream::Decided => "c.decided_at IS NOT NULL",
        }
    }
    /// The index's sort key, as the index declares it.
    fn key(self) -> &'static str {
        match self {
            Stream::Running => "c.triage_deadline_at",
            Stream::Paused => "(c.triage_deadline_at - c.paused_at)",
            Stream::Decided => "c.decided_at",
        }
    }
    fn order(self) -> &'static str {
        match self {
            Stream::Running => "c.triage_deadline_at, c.case_number",
            Stream::Paused => "(c.triage_deadline_at - c.paused_at), c.case_number",
            Stream::Decided => "c.decided_at DESC, c.case_number DESC",
        }
    }
    /// The same index walked the other way, for a page before a cursor.
    fn reverse_order(self) -> &'static str {
        match self {
            Stream::Running => "c.triage_deadline_at DESC, c.case_number DESC",
            Stream::Paused => "(c.triage_deadline_at - c.paused_at) DESC, c.case_number DESC",
            Stream::Decided => "c.decided_at, c.case_number",
        }
    }
}

/// What a stream's conditions are read for: a page stops when it is full,
/// a count reads every row it counts (up to its cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamRead {
    Page,
    Count,
}

/// The conditions of one stream, or `None` when the filters exclude it.
pub(crate) fn stream_conditions(
    stream: Stream,
    scope: ConcernScope,
    f: &ConcernFilter,
    read: StreamRead,
) -> Option<Conditions> {
    let wants_decided = f.status.as_deref() == Some("decided");
    let excluded = match stream {
        Stream::Decided => f.due.is_some() || f.danger || (f.status.is_some() && !wants_decided),
        Stream::Running => wants_decided || f.due == Some(DueFilter::Paused),
        Stream::Paused => wants_decided || f.due == Some(DueFilter::DueSoon),
    };
    if excluded {
        return None;
    }
    let mut w = Conditions::default();
    w.push(stream.base().into());
    if f.danger {
        w.push("c.immediate_danger = TRUE".into());
    }
    // `+`: on an open stream (a small partial index) the period is a
    // residual filter on the ordered walk, never an index of its own. The
    // decided stream is most of the table: where it is planned for its
    // values (`planned_for_values`), the planner may start from the period's
    // range of `concerns_received` instead (and sort that range) when the
    // period is narrow or long past; walking the decision
    // order to find a channel's concerns of one quarter read the whole
    // history on M (30-45 ms for the count and the page; `bench/plans.rs`).
    // A period that reaches (nearly) to the present keeps the walk: bounded
    // at the period's start (below), it reads at most about twice the
    // period's rows and stops at a full page, where PostgreSQL, which
    // cannot guess how soon a page fills, read and sorted the whole period
    // (a unit member's 90 days on L: 5-7.6 ms, walking 0.8-1.5 ms).
    // A count reads the whole period either way: its own range serves it.
    let walk = read == StreamRead::Page && f.period_is_recent();
    let period_prefix = if stream == Stream::Decided && f.planned_for_values && !walk {
        ""
    } else {
        "+"
    };
    push_channel_and_period(&mut w, f, period_prefix);
    if let Some(from) = f.received_from.filter(|_| stream == Stream::Decided) {
        // Implied by the period, never a filter of its own: a concern
        // received in it was decided after it began (migration 0023 holds
        // every row to that). It ends the decision order's walk at the
        // period's start, where a selective filter (a channel, an agency's
        // agendas) would otherwise read the whole history to fill or count
        // a page, and lets a planner that sees the values walk that order
        // for a recent period.
        let p = w.param(Bind::I64(from.saturating_sub(DECISION_SLACK_MICROS)));
        w.push(format!("c.decided_at >= {p}"));
    }
    if let Some(st) = f.status.as_deref().filter(|_| stream != Stream::Decided) {
        let p = w.param(Bind::Text(st.to_string()));
        w.push(format!("c.status = {p}"));
    }
    match (stream, f.due) {
        (Stream::Running, Some(DueFilter::Overdue)) => {
            let now = w.param(Bind::I64(f.now));
            w.push(format!("c.triage_deadline_at < {now}"));
        }
        (Stream::Running, Some(DueFilter::DueSoon)) => {
            let now = w.param(Bind::I64(f.now));
            let until = w.param(Bind::I64(f.soon_until));
            w.push(format!(
                "c.triage_deadline_at >= {now} AND c.triage_deadline_at <= {until}"
            ));
        }
        (Stream::Paused, Some(DueFilter::Overdue)) => {
            w.push("(c.triage_deadline_at - c.paused_at) < 0".into());
        }
        _ => {}
    }
    w.concern_scope(scope, "c");
    Some(w)
}

/// The channel and received-period filters, as both list orders apply them;
/// `period_prefix` is `+` where the period must not choose the index.
fn push_channel_and_period(w: &mut Conditions, f: &ConcernFilter, period_prefix: &str) {
    if let Some(ch) = &f.channel {
        let p = w.param(Bind::Text(ch.clone()));
        w.push(format!("c.channel = {p}"));
    }
    if let Some(from) = f.received_from {
        let p = w.param(Bind::I64(from));
        w.push(format!("{period_prefix}c.received_at >= {p}"));
    }
    if let Some(to) = f.received_to {
        let p = w.param(Bind::I64(to));
        w.push(format!("{period_prefix}c.received_at < {p}"));
    }
}

/// The row comparison that starts a stream's range at a cursor, `>` going
/// forward (after it) or `<` going back (before it), in the stream's own
/// key: a paused key is counted from `now_ref`. Decided rows are ordered
/// newest first, so their comparisons are the other way round.
fn push_cursor(
    w: &mut Conditions,
    stream: Stream,
    cursor: &ListCursor,
    now_ref: i64,
    forward: bool,
) {
    let (key, case_number, cmp) = match (cursor, stream) {
        (
            ListCursor::Open {
                key, case_number, ..
            },
            Stream::Running | Stream::Paused,
        ) => {
            let k = if stream == Stream::Paused {
                key - now_ref
            } else {
                *key
            };
            (k, case_number, if forward { ">" } else { "<" })
        }
        (
            ListCursor::Decided {
                decided_at,
                case_number,
            },
            Stream::Decided,
        ) => (*decided_at, case_number, if forward { "<" } else { ">" }),
        // Another stream's cursor bounds nothing here (the caller decides
        // whether the stream takes part at all).
        _ => return,
    };
    let k = w.param(Bind::I64(key));
    let c = w.param(Bind::Text(case_number.clone()));
    // A row comparison: an index range, in the index's order.
    w.push(format!(
        "({}, c.case_number) {cmp} ({k}, {c})",
        stream.key()
    ));
}

/// The SQL of one stream's page (after the cursor, at most `limit`), or
/// `None` when the filters exclude the stream.
pub(crate) fn stream_sql(
    stream: Stream,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
    offset: i64,
) -> Option<(String, Conditions)> {
    let mut w = stream_conditions(stream, scope, f, StreamRead::Page)?;
    if let Some(before) = &f.before {
        return stream_sql_before(stream, w, before, now_ref, limit);
    }
    match (&f.after, stream) {
        // Past the open concerns: the open streams take no part.
        (Some(ListCursor::Decided { .. }), Stream::Running | Stream::Paused) => return None,
        (Some(cursor), _) => push_cursor(&mut w, stream, cursor, now_ref, true),
        (None, _) => {}
    }
    let l = w.param(Bind::I64(limit));
    let o = w.param(Bind::I64(offset));
    // The per-row look-ups run for the page's rows alone. The caller puts
    // the page back in the stream's order.
    let sql = if offset > 0 {
        // A page by number past the first: the rows skipped are read for
        // their keys only, which the stream's index holds (an index-only
        // walk where no filter needs the row), and only the page's rows are
        // fetched. Read whole, the unfiltered list's page 4 000 fetched
        // 100 000 rows: 36 ms warm on M against 9 ms for the keys.
        format!(
            "SELECT page.*, {ROW_LOOKUPS}
             FROM (SELECT {PAGE_COLS}
                   FROM (SELECT c.case_number AS k FROM concerns c{} ORDER BY {} LIMIT {l} OFFSET {o}) page_keys
                   JOIN concerns c ON c.case_number = page_keys.k) page",
            w.where_clause(),
            stream.order()
        )
    } else {
        format!(
            "SELECT page.*, {ROW_LOOKUPS}
             FROM (SELECT {PAGE_COLS} FROM concerns c{} ORDER BY {} LIMIT {l} OFFSET {o}) page",
            w.where_clause(),
            stream.order()
        )
    };
    Some((sql, w))
}

/// The first `limit` rows of both open streams (running and paused) in one
/// statement, each branch from its own index: one round trip for the page
/// everyone opens first. `None` when the filters exclude both.
///
/// Going forward, the two branches' first `limit` rows (each already in
/// index order, under its `LIMIT`) are merged by their list key in the
/// statement (`open_merge`: a sort of at most `2 × limit` rows, never of a
/// stream), so the per-row look-ups run for the page's rows only: on M they
/// had run for 50 rows to show 25, a fifth of the statement. Going back
/// (`before`), each branch is read in reverse with its look-ups, as before.
pub(crate) fn open_sql(
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
) -> Option<(String, Conditions)> {
    if f.before.is_none() {
        let heads: Vec<(String, Conditions)> = [Stream::Running, Stream::Paused]
            .into_iter()
            .filter_map(|s| open_head_sql(s, scope, f, now_ref, limit))
            .collect();
        if heads.len() == 2 {
            let (union, mut w) = crate::sql::union_all(heads);
            let l = w.param(Bind::I64(limit));
            let sql = format!(
                "SELECT page.*, {ROW_LOOKUPS}
                 FROM (SELECT * FROM ({union}) open_merge
                       ORDER BY open_merge.list_key, open_merge.case_number LIMIT {l}) page"
            );
            return Some((sql, w));
        }
    }
    let parts: Vec<(String, Conditions)> = [Stream::Running, Stream::Paused]
        .into_iter()
        .filter_map(|s| stream_sql(s, scope, f, now_ref, limit, 0))
        .collect();
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(crate::sql::union_all(parts)),
    }
}

/// An open stream's first `limit` rows from its index, after the cursor if
/// any, with their list key and no look-ups: one branch of [`open_sql`]'s
/// merge.
fn open_head_sql(
    stream: Stream,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
) -> Option<(String, Conditions)> {
    let mut w = stream_conditions(stream, scope, f, StreamRead::Page)?;
    match (&f.after, stream) {
        (_, Stream::Decided) | (Some(ListCursor::Decided { .. }), _) => return None,
        (Some(cursor), _) => push_cursor(&mut w, stream, cursor, now_ref, true),
        (None, _) => {}
    }
    Some(open_head(stream, PAGE_COLS, w, now_ref, limit))
}

/// An open stream's first `limit` rows in index order: `columns` and the
/// row's list key (`list_key`: the deadline, or a paused clock's deadline as
/// if it ran from `now_ref`), under the conditions `w`.
fn open_head(
    stream: Stream,
    columns: &str,
    mut w: Conditions,
    now_ref: i64,
    limit: i64,
) -> (String, Conditions) {
    let key = match stream {
        Stream::Paused => {
            let n = w.param(Bind::I64(now_ref));
            format!("(c.triage_deadline_at - c.paused_at) + {n}")
        }
        _ => "c.triage_deadline_at".to_string(),
    };
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT {columns}, {key} AS list_key FROM concerns c{} ORDER BY {} LIMIT {l}",
        w.where_clause(),
        stream.order()
    );
    (sql, w)
}

/// The list in order of receipt, newest first (index `concerns_received`
/// on receipt and case number): the order a case worker asks for "what
/// came in lately". A page by number skips its rows; after or before a
/// cursor it is one range of the index, at any depth; before a cursor the
/// range is read upwards, nearest first (the caller turns it round). One
/// row more than `limit` is read, to know whether the walk goes on. Its count stops at
/// the decided-count cap. No deadline filter applies.
pub(crate) fn received_sql(
    scope: ConcernScope,
    f: &ConcernFilter,
    limit: i64,
    at: &ReceivedAt,
) -> ((String, Conditions), (String, Conditions)) {
    let conditions = || {
        let mut w = Conditions::default();
        if let Some(st) = &f.status {
            let p = w.param(Bind::Text(st.clone()));
            w.push(format!("c.status = {p}"));
        }
        if f.danger {
            w.push("c.immediate_danger = TRUE AND c.decided_at IS NULL".into());
        }
        // In order of receipt the period is the index's own range.
        push_channel_and_period(&mut w, f, "");
        w.concern_scope(scope, "c");
        w
    };
    let mut w = conditions();
    let mut bound = |c: &ReceivedCursor, cmp: &str| {
        let t = w.param(Bind::I64(c.received_at));
        let n = w.param(Bind::Text(c.case_number.clone()));
        w.push(format!("(c.received_at, c.case_number) {cmp} ({t}, {n})"));
    };
    // Walking back from a cursor reads the index upwards, nearest first.
    let (order, skip) = match at {
        ReceivedAt::Offset => ("DESC", f.offset.max(0)),
        ReceivedAt::After(c) => {
            bound(c, "<");
            ("DESC", 0)
        }
        ReceivedAt::Before(c) => {
            bound(c, ">");
            ("ASC", 0)
        }
    };
    let l = w.param(Bind::I64(limit.saturating_add(1)));
    let offset = if skip > 0 {
        format!(" OFFSET {}", w.param(Bind::I64(skip)))
    } else {
        String::new()
    };
    let page = format!(
        "SELECT page.*, {ROW_LOOKUPS}
         FROM (SELECT {PAGE_COLS} FROM concerns c{}
               ORDER BY c.received_at {order}, c.case_number {order} LIMIT {l}{offset}) page
         ORDER BY page.received_at {order}, page.case_number {order}",
        w.where_clause()
    );
    let mut cw = conditions();
    let cap = cw.param(Bind::I64(DECIDED_COUNT_CAP + 1));
    // Any rows will do for a capped count; the order only steers a planner
    // that cannot see the values onto the index (see `planned_for_values`).
    let order = if f.planned_for_values {
        ""
    } else {
        " ORDER BY c.received_at DESC"
    };
    let count = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM concerns c{}{order} LIMIT {cap}) capped",
        cw.where_clause()
    );
    ((page, w), (count, cw))
}

/// One page of the list in order of receipt (see [`received_sql`]), with
/// the cursors on either side where the walk goes on.
pub async fn list_by_received(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
    at: &ReceivedAt,
) -> Result<ConcernListPage<ReceivedCursor>> {
    // Every concern in order of receipt: planned for the page's LIMIT.
    crate::query_plan::custom_plans(tx).await?;
    let ((page, w), (count, cw)) = received_sql(scope, f, f.limit, at);
    let (n,): (i64,) = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(count.as_str())),
        &cw.binds
    )
    .fetch_one(c)
    .await?);
    let mut rows: Vec<ConcernListRow> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(page.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    // The extra row, read last, lies beyond the page.
    let more = rows.len() > usize::try_from(f.limit).unwrap_or(usize::MAX);
    if more {
        rows.pop();
    }
    if matches!(at, ReceivedAt::Before(_)) {
        rows.reverse();
    }
    let (first, last) = (
        rows.first().map(ReceivedCursor::at),
        rows.last().map(ReceivedCursor::at),
    );
    let (next, prev) = match at {
        ReceivedAt::Offset => (last.filter(|_| more), first.filter(|_| f.offset > 0)),
        ReceivedAt::After(_) => (last.filter(|_| more), first),
        ReceivedAt::Before(_) => (last, first.filter(|_| more)),
    };
    Ok(ConcernListPage {
        rows,
        total: n.min(DECIDED_COUNT_CAP),
        total_capped: n > DECIDED_COUNT_CAP,
        next,
        prev,
    })
}

/// A stream's rows just before a cursor, nearest first (the index walked
/// backwards), at most `limit`.
fn stream_sql_before(
    stream: Stream,
    mut w: Conditions,
    before: &ListCursor,
    now_ref: i64,
    limit: i64,
) -> Option<(String, Conditions)> {
    match (before, stream) {
        // Decided concerns all come after the open ones.
        (ListCursor::Open { .. }, Stream::Decided) => return None,
        // Before a decided row: newer decided ones, then the open tail
        // (unbounded: every open row comes before it).
        _ => push_cursor(&mut w, stream, before, now_ref, false),
    }
    let l = w.param(Bind::I64(limit));
    let sql = format!(
        "SELECT page.*, {ROW_LOOKUPS}
         FROM (SELECT {PAGE_COLS} FROM concerns c{} ORDER BY {} LIMIT {l}) page",
        w.where_clause(),
        stream.reverse_order()
    );
    Some((sql, w))
}

/// An open stream's first `limit` positions only (id, case number, key):
/// what a page number's offset skips over, read from the index with no
/// per-row look-ups. The page's own rows are then read by id.
pub(crate) fn open_keys_sql(
    stream: Stream,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
) -> Option<(String, Conditions)> {
    if stream == Stream::Decided {
        return None;
    }
    let w = stream_conditions(stream, scope, f, StreamRead::Page)?;
    Some(open_head(stream, "c.id, c.case_number", w, now_ref, limit))
}

/// Rows by id with their look-ups (a page picked by position).
pub(crate) fn rows_by_id_sql(ids: &[Uuid]) -> (String, Conditions) {
    let mut w = Conditions::default();
    let ps: Vec<String> = ids.iter().map(|id| w.param(Bind::Uuid(*id))).collect();
    let sql = format!(
        "SELECT page.*, {ROW_LOOKUPS}
         FROM (SELECT {PAGE_COLS} FROM concerns c WHERE c.id IN ({})) page",
        ps.join(", ")
    );
    (sql, w)
}

/// The open part of a page picked by number: positions from both open
/// streams' indexes, merged, `offset` skipped, then only the page's rows
/// read whole.
async fn open_page_by_offset(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    offset: i64,
) -> Result<Vec<(i64, ConcernListRow)>> {
    let want = offset.saturating_add(f.limit);
    let mut keys: Vec<(Uuid, i64, String)> = Vec::new();
    for stream in [Stream::Running, Stream::Paused] {
        let Some((sql, w)) = open_keys_sql(stream, scope, f, now_ref, want) else {
            continue;
        };
        let got: Vec<(Uuid, String, i64)> = on!(tx, |c| bind_all(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
            &w.binds
        )
        .fetch_all(c)
        .await?);
        keys.extend(got.into_iter().map(|(id, case, key)| (id, key, case)));
    }
    keys.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
    let page: Vec<(Uuid, i64, String)> = keys
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(f.limit).unwrap_or(0))
        .collect();
    if page.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = page.iter().map(|k| k.0).collect();
    let (sql, w) = rows_by_id_sql(&ids);
    let rows: Vec<ConcernListRow> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let mut by_id: std::collections::HashMap<Uuid, ConcernListRow> =
        rows.into_iter().map(|r| (r.id, r)).collect();
    Ok(page
        .into_iter()
        .filter_map(|(id, key, _)| by_id.remove(&id).map(|r| (key, r)))
        .collect())
}

/// One stream's rows after the cursor, in its order, at most `limit`, each
/// with its key in the list's order.
async fn stream_rows(
    tx: &mut Tx,
    stream: Stream,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i64, ConcernListRow)>> {
    let Some((sql, w)) = stream_sql(stream, scope, f, now_ref, limit, offset) else {
        return Ok(Vec::new());
    };
    if stream == Stream::Decided {
        // The decided concerns are most of the table: their page is planned
        // for its LIMIT (see `query_plan::custom_plans`).
        crate::query_plan::custom_plans(tx).await?;
    }
    keyed_rows(tx, &sql, &w, now_ref, stream == Stream::Decided).await
}

/// The first `limit` open rows of both open streams ([`open_sql`]), in
/// list order.
async fn open_rows(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
) -> Result<Vec<(i64, ConcernListRow)>> {
    let Some((sql, w)) = open_sql(scope, f, now_ref, limit) else {
        return Ok(Vec::new());
    };
    keyed_rows(tx, &sql, &w, now_ref, false).await
}

/// The first `f.limit` open concerns in the list's order for each filter,
/// with nothing counted and no decided ones, all in one statement
/// ([`open_each_sql`]): for a view that shows a few urgent cases of each
/// kind and no totals (the dashboard's immediate danger, overdue and due
/// soon). The whole list would count every filter's matches first, and a
/// statement a kind would be a round trip a kind.
pub async fn open_concerns_each(
    tx: &mut Tx,
    scope: ConcernScope,
    filters: &[ConcernFilter],
) -> Result<Vec<Vec<ConcernListRow>>> {
    let Some((sql, w)) = open_each_sql(scope, filters) else {
        return Ok(vec![Vec::new(); filters.len()]);
    };
    let rows: Vec<TaggedRow> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    Ok(split_each(rows, filters))
}

/// Tagged rows ([`open_each_sql`]) as each filter's list, in list order.
fn split_each(rows: Vec<TaggedRow>, filters: &[ConcernFilter]) -> Vec<Vec<ConcernListRow>> {
    let mut each: Vec<Vec<ConcernListRow>> = vec![Vec::new(); filters.len()];
    for r in rows {
        if let Some(list) = usize::try_from(r.part).ok().and_then(|i| each.get_mut(i)) {
            list.push(r.row);
        }
    }
    each.into_iter()
        .zip(filters)
        .map(|(rows, f)| {
            let take = usize::try_from(f.limit).unwrap_or(0);
            key_rows(rows, f.now, false)
                .into_iter()
                .take(take)
                .map(|(_, r)| r)
                .collect()
        })
        .collect()
}

/// The dashboard: its counts ([`triage_counts`]) and its urgent lists
/// ([`open_concerns_each`]) in one statement ([`dashboard_sql`]), one
/// round trip instead of two on the page everyone opens all day. The counts
/// travel beside the urgent rows; when there is none, they are read on
/// their own.
pub async fn dashboard(
    tx: &mut Tx,
    scope: ConcernScope,
    filters: &[ConcernFilter],
    now: i64,
    soon_until: i64,
) -> Result<(TriageCounts, Vec<Vec<ConcernListRow>>)> {
    let rows: Vec<CountedTaggedRow> = match dashboard_sql(scope, filters, now, soon_until) {
        Some((sql, w)) => on!(tx, |c| bind_all(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
            &w.binds
        )
        .fetch_all(c)
        .await?),
        None => Vec::new(),
    };
    let Some(first) = rows.first() else {
        let counts = triage_counts(tx, scope, now, soon_until).await?;
        return Ok((counts, vec![Vec::new(); filters.len()]));
    };
    let counts = first.counts;
    let rows = rows.into_iter().map(|r| r.tagged).collect();
    Ok((counts, split_each(rows, filters)))
}

/// A row of [`dashboard_sql`]: an urgent row and the counts.
#[derive(sqlx::FromRow)]
struct CountedTaggedRow {
    #[sqlx(flatten)]
    tagged: TaggedRow,
    #[sqlx(flatten, try_from = "CountsRow")]
    counts: TriageCounts,
}

/// The urgent rows ([`open_each_sql`]) with the open streams' counts
/// ([`triage_counts_sql`]) beside each: `SELECT page.*, k.* FROM (rows)
/// page CROSS JOIN (counts) k`. The counts are one row that names nothing
/// of the page, read once (PostgreSQL's planner or SQLite's materialised
/// subquery), never per row. `None` when every filter excludes both open
/// streams.
pub(crate) fn dashboard_sql(
    scope: ConcernScope,
    filters: &[ConcernFilter],
    now: i64,
    soon_until: i64,
) -> Option<(String, Conditions)> {
    let (rows, mut w) = open_each_sql(scope, filters)?;
    let (counts, cw) = triage_counts_sql(scope, now, soon_until);
    let counts = crate::sql::shift_placeholders(&counts, w.binds.len());
    w.binds.extend(cw.binds);
    Some((
        format!("SELECT page.*, k.* FROM ({rows}) page CROSS JOIN ({counts}) k"),
        w,
    ))
}

/// A row of [`open_each_sql`]: which filter's list it is in.
#[derive(sqlx::FromRow)]
struct TaggedRow {
    part: i64,
    #[sqlx(flatten)]
    row: ConcernListRow,
}

/// Each filter's first open rows ([`open_sql`] under its own `LIMIT`), as
/// one statement whose rows say which filter they answer (`part`, its
/// index). `None` when every filter excludes both open streams.
pub(crate) fn open_each_sql(
    scope: ConcernScope,
    filters: &[ConcernFilter],
) -> Option<(String, Conditions)> {
    let parts: Vec<(usize, (String, Conditions))> = filters
        .iter()
        .enumerate()
        .filter_map(|(i, f)| open_sql(scope, f, f.now, f.limit).map(|q| (i, q)))
        .collect();
    if parts.is_empty() {
        return None;
    }
    Some(crate::sql::tagged_union_all(parts, LIST_ROW_COLS))
}

/// Runs a page statement and orders its rows by their list key: a decided
/// concern's decision time (newest first), an open one's effective deadline
/// (a paused one's as if its clock ran from `now_ref`; soonest first). Each
/// row's stream shows in its own columns.
async fn keyed_rows(
    tx: &mut Tx,
    sql: &str,
    w: &Conditions,
    now_ref: i64,
    decided: bool,
) -> Result<Vec<(i64, ConcernListRow)>> {
    let rows: Vec<ConcernListRow> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql)),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    Ok(key_rows(rows, now_ref, decided))
}

/// Rows with their list keys, in list order (see [`keyed_rows`]).
fn key_rows(rows: Vec<ConcernListRow>, now_ref: i64, decided: bool) -> Vec<(i64, ConcernListRow)> {
    let mut keyed: Vec<(i64, ConcernListRow)> = rows
        .into_iter()
        .map(|r| {
            let key = match (r.decided_at, r.paused_at) {
                (Some(d), _) => d,
                (None, Some(p)) => r.triage_deadline_at - p + now_ref,
                (None, None) => r.triage_deadline_at,
            };
            (key, r)
        })
        .collect();
    if decided {
        keyed.sort_by(|a, b| (b.0, &b.1.case_number).cmp(&(a.0, &a.1.case_number)));
    } else {
        keyed.sort_by(|a, b| (a.0, &a.1.case_number).cmp(&(b.0, &b.1.case_number)));
    }
    keyed
}

/// Where a count of decided concerns stops. The decided history grows
/// without end (199 000 at national scale: an exact count walks every index
/// entry, ~5 ms on SQLite, more for a unit member whose scope is probed per
/// row), while a list needs only "enough to page"; beyond this the list says
/// "at least" and pages on by cursor. Open concerns, the working set, are
/// always counted exactly, and the whole unfiltered list is read exactly
/// from the tally the database keeps (see [`is_whole_list`]).
pub const DECIDED_COUNT_CAP: i64 = 1_000;

/// The SQL counting one stream's rows under the filters. The decided stream
/// is counted up to [`DECIDED_COUNT_CAP`] + 1.
pub(crate) fn stream_count_sql(
    stream: Stream,
    scope: ConcernScope,
    f: &ConcernFilter,
) -> Option<(String, Conditions)> {
    let w = stream_conditions(stream, scope, f, StreamRead::Count)?;
    let cap = (stream == Stream::Decided).then_some(DECIDED_COUNT_CAP + 1);
    Some(crate::sql::count_sql("concerns c", w, cap))
}

/// Whether the list is the whole list: every concern in scope, no filter.
/// Then the tally the database keeps (`concern_tally`, migrations 0025 and
/// 0026: decided and undecided concerns) answers both counts exactly, with
/// no rows read, however many concerns are open or decided. The filter is
/// taken apart field by field, so a filter added later must be placed here
/// before anything compiles.
fn is_whole_list(scope: ConcernScope, f: &ConcernFilter) -> bool {
    let ConcernFilter {
        status,
        due,
        danger,
        channel,
        received_from,
        received_to,
        now: _,
        soon_until: _,
        limit: _,
        offset: _,
        after: _,
        before: _,
        planned_for_values: _,
    } = f;
    matches!(scope, ConcernScope::All)
        && status.is_none()
        && due.is_none()
        && !danger
        && channel.is_none()
        && received_from.is_none()
        && received_to.is_none()
}

/// The three streams' counts in one statement: for the whole list (see
/// [`is_whole_list`]) all of them exactly from the tally's rows (PostgreSQL
/// stripes it over 64), else the open ones counted and the decided ones up
/// to the cap. Says which.
pub(crate) fn stream_counts_sql(
    scope: ConcernScope,
    f: &ConcernFilter,
) -> (String, Conditions, DecidedCount) {
    let (parts, how) = stream_count_parts(scope, f);
    let (sql, w) = crate::sql::scalars(parts);
    (sql, w, how)
}

/// The three counts of [`stream_counts_sql`] (running, paused, decided) as
/// one scalar statement each, to be read beside a page
/// ([`counted_open_sql`]).
fn stream_count_parts(
    scope: ConcernScope,
    f: &ConcernFilter,
) -> (Vec<(String, Conditions)>, DecidedCount) {
    let zero = || {
        (
            "SELECT CAST(0 AS BIGINT)".to_string(),
            Conditions::default(),
        )
    };
    if is_whole_list(scope, f) {
        let tally = |column: &str| {
            (
                format!(
                    "SELECT CAST(SUM({column}) AS BIGINT) FROM concern_tally \
                     WHERE id BETWEEN 0 AND 63"
                ),
                Conditions::default(),
            )
        };
        return (
            vec![tally("undecided"), zero(), tally("decided")],
            DecidedCount::Exact,
        );
    }
    let part = |stream| stream_count_sql(stream, scope, f).unwrap_or_else(zero);
    (
        vec![
            part(Stream::Running),
            part(Stream::Paused),
            part(Stream::Decided),
        ],
        DecidedCount::Capped,
    )
}

/// The first open rows ([`open_sql`]) with the list's three counts beside
/// each row: the page everyone opens first, and its totals, in one round
/// trip instead of two. The counts need a row to travel on: when the
/// statement finds none, they are read on their own.
pub(crate) fn counted_open_sql(
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
) -> Option<(String, Conditions, DecidedCount)> {
    let open = open_sql(scope, f, now_ref, limit)?;
    let (parts, how) = stream_count_parts(scope, f);
    let (sql, w) = crate::sql::with_scalars(open, parts, &["n_running", "n_paused", "n_decided"]);
    Some((sql, w, how))
}

/// A row of [`counted_open_sql`].
#[derive(sqlx::FromRow)]
struct CountedRow {
    #[sqlx(flatten)]
    row: ConcernListRow,
    n_running: i64,
    n_paused: i64,
    n_decided: i64,
}

/// The first `limit` open rows and the list's counts in one statement
/// ([`counted_open_sql`]), or `None` when it found no open row.
async fn counted_open_rows(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
    now_ref: i64,
    limit: i64,
) -> Result<Option<(ListCounts, Vec<(i64, ConcernListRow)>)>> {
    let Some((sql, w, how)) = counted_open_sql(scope, f, now_ref, limit) else {
        return Ok(None);
    };
    let rows: Vec<CountedRow> = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_all(c)
    .await?);
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let counts = ListCounts::of(how, first.n_running, first.n_paused, first.n_decided);
    let rows = rows.into_iter().map(|r| r.row).collect();
    Ok(Some((counts, key_rows(rows, now_ref, false))))
}

/// How the decided concerns were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecidedCount {
    /// All of them (and the open ones), from the tally.
    Exact,
    /// Up to [`DECIDED_COUNT_CAP`] + 1.
    Capped,
}

/// A list's counts: the open concerns, the decided ones (at most
/// [`DECIDED_COUNT_CAP`]), and whether the decided count stopped there.
#[derive(Debug, Clone, Copy)]
struct ListCounts {
    open: i64,
    decided: i64,
    capped: bool,
}

impl ListCounts {
    fn of(how: DecidedCount, running: i64, paused: i64, decided: i64) -> Self {
        let capped = how == DecidedCount::Capped && decided > DECIDED_COUNT_CAP;
        ListCounts {
            open: running + paused,
            decided: if capped { DECIDED_COUNT_CAP } else { decided },
            capped,
        }
    }
}

async fn stream_counts(tx: &mut Tx, scope: ConcernScope, f: &ConcernFilter) -> Result<ListCounts> {
    let (sql, w, how) = stream_counts_sql(scope, f);
    let (running, paused, decided): (i64, i64, i64) = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_one(c)
    .await?);
    Ok(ListCounts::of(how, running, paused, decided))
}

/// A page of the list and the cursor after its last row, if more may follow.
#[derive(Debug, Clone)]
pub struct ConcernListPage<C = ListCursor> {
    pub rows: Vec<ConcernListRow>,
    /// All rows, or at least this many when `total_capped`.
    pub total: i64,
    pub total_capped: bool,
    pub next: Option<C>,
    /// Where the previous page ends, when there may be one (pass as
    /// `before`).
    pub prev: Option<C>,
}

/// A cursor as the text a link carries.
pub trait EncodeCursor {
    fn encode_cursor(&self) -> String;
}

impl EncodeCursor for ListCursor {
    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

impl EncodeCursor for ReceivedCursor {
    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

impl<C: EncodeCursor> ConcernListPage<C> {
    /// The page with its cursors as text: the two orders' pages alike.
    pub fn encoded(self) -> ConcernListPage<String> {
        ConcernListPage {
            rows: self.rows,
            total: self.total,
            total_capped: self.total_capped,
            next: self.next.map(|c| c.encode_cursor()),
            prev: self.prev.map(|c| c.encode_cursor()),
        }
    }
}

/// The cursor at a row: its place in the list's order.
fn cursor_at(phase: u8, key: i64, r: &ConcernListRow, now_ref: i64) -> ListCursor {
    match phase {
        0 => ListCursor::Open {
            now_ref,
            key,
            case_number: r.case_number.clone(),
        },
        _ => ListCursor::Decided {
            decided_at: key,
            case_number: r.case_number.clone(),
        },
    }
}

/// One page of concerns, open ones first by effective deadline (a paused
/// clock's deadline moves with the pause), then decided ones newest first.
/// Every read is a range of a partial index; nothing sorts the table. Open
/// concerns are few, so the open part of any page stays cheap; decided ones
/// page by keyset (`after`) at any depth, or by offset for page links.
pub async fn list_concerns(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
) -> Result<ConcernListPage> {
    let now_ref = match f.before.as_ref().or(f.after.as_ref()) {
        Some(ListCursor::Open { now_ref, .. }) => *now_ref,
        _ => f.now,
    };
    let offset = if f.after.is_some() {
        0
    } else {
        f.offset.max(0)
    };
    let want = offset.saturating_add(f.limit);
    let in_open = !matches!(f.after, Some(ListCursor::Decided { .. }));
    // A page that starts in the open streams' heads reads them with the
    // counts, one statement for both.
    let (counts, mut first_open) = if f.before.is_none() && in_open && offset == 0 {
        match counted_open_rows(tx, scope, f, now_ref, want).await? {
            Some((counts, rows)) => (counts, Some(rows)),
            None => (stream_counts(tx, scope, f).await?, None),
        }
    } else {
        (stream_counts(tx, scope, f).await?, None)
    };
    let ListCounts {
        open: open_total,
        decided: decided_total,
        capped: total_capped,
    } = counts;
    if let Some(before) = &f.before {
        let (rows, prev) = rows_before(tx, scope, f, before, now_ref).await?;
        let next = rows.last().map(|(p, k, r)| cursor_at(*p, *k, r, now_ref));
        return Ok(ConcernListPage {
            rows: rows.into_iter().map(|(_, _, r)| r).collect(),
            total: open_total + decided_total,
            total_capped,
            next,
            prev,
        });
    }
    let mut rows: Vec<(u8, i64, ConcernListRow)> = Vec::new();
    if in_open && offset < open_total && offset > 0 {
        let open = open_page_by_offset(tx, scope, f, now_ref, offset).await?;
        rows.extend(open.into_iter().map(|(k, r)| (0, k, r)));
    } else if in_open && offset < open_total {
        let open = match first_open.take() {
            Some(open) => open,
            None => open_rows(tx, scope, f, now_ref, want).await?,
        };
        rows.extend(
            open.into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(f.limit).unwrap_or(0))
                .map(|(k, r)| (0, k, r)),
        );
    }
    let missing = f.limit - i64::try_from(rows.len()).unwrap_or(0);
    if missing > 0 {
        let skip = if in_open && f.after.is_none() {
            (offset - open_total).max(0)
        } else {
            0
        };
        let decided = stream_rows(tx, Stream::Decided, scope, f, now_ref, missing, skip).await?;
        rows.extend(decided.into_iter().map(|(k, r)| (1, k, r)));
    }
    let next = if i64::try_from(rows.len()).unwrap_or(0) == f.limit {
        rows.last().map(|(p, k, r)| cursor_at(*p, *k, r, now_ref))
    } else {
        None
    };
    let prev = if f.after.is_some() || offset > 0 {
        rows.first().map(|(p, k, r)| cursor_at(*p, *k, r, now_ref))
    } else {
        None
    };
    Ok(ConcernListPage {
        rows: rows.into_iter().map(|(_, _, r)| r).collect(),
        total: open_total + decided_total,
        total_capped,
        next,
        prev,
    })
}

/// The page just before `before`, in list order, and whether more rows lie
/// before it (then the cursor at its first row). Read nearest first from
/// each stream's index walked backwards: one row more than the page shows,
/// to know.
async fn rows_before(
    tx: &mut Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
    before: &ListCursor,
    now_ref: i64,
) -> Result<(Vec<(u8, i64, ConcernListRow)>, Option<ListCursor>)> {
    let want = f.limit.saturating_add(1);
    let take = usize::try_from(want).unwrap_or(0);
    // Nearest first: newer decided rows (when the cursor is decided), then
    // the open rows from the latest deadline back.
    let mut near: Vec<(u8, i64, ConcernListRow)> = Vec::new();
    if matches!(before, ListCursor::Decided { .. }) {
        let mut d = stream_rows(tx, Stream::Decided, scope, f, now_ref, want, 0).await?;
        // Back to nearest first (stream_rows returns the list's order).
        d.reverse();
        near.extend(d.into_iter().map(|(k, r)| (1, k, r)));
    }
    if near.len() < take {
        let mut open = open_rows(tx, scope, f, now_ref, want).await?;
        open.reverse();
        near.extend(open.into_iter().map(|(k, r)| (0, k, r)));
    }
    near.truncate(take);
    let more = near.len() > usize::try_from(f.limit).unwrap_or(0);
    if more {
        near.pop();
    }
    near.reverse();
    let prev = if more {
        near.first().map(|(p, k, r)| cursor_at(*p, *k, r, now_ref))
    } else {
        None
    };
    Ok((near, prev))
}

/// The dashboard's triage counts within a scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TriageCounts {
    /// Open concerns flagged as immediate danger.
    pub danger: i64,
    pub new: i64,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub paused: i64,
}

/// The dashboard's counting SQL for one open stream (running or paused),
/// over that stream's partial index: (new, open, overdue, due soon, paused).
pub(crate) fn counts_sql(
    stream: Stream,
    scope: ConcernScope,
    now: i64,
    soon_until: i64,
) -> (String, Conditions) {
    let mut w = Conditions::default();
    let now = w.param(Bind::I64(now));
    let until = w.param(Bind::I64(soon_until));
    w.push(stream.base().into());
    w.concern_scope(scope, "c");
    let (overdue, due_soon, paused) = match stream {
        Stream::Paused => ("c.triage_deadline_at < c.paused_at", "1 = 0", "1 = 1"),
        _ => (
            "c.triage_deadline_at < {now}",
            "c.triage_deadline_at >= {now} AND c.triage_deadline_at <= {until}",
            "1 = 0",
        ),
    };
    let fill = |c: &str| c.replace("{now}", &now).replace("{until}", &until);
    let sql = format!(
        "SELECT
           COALESCE(SUM(CASE WHEN c.status = 'received' THEN 1 ELSE 0 END), 0) AS n_new,
           COUNT(*) AS n_open,
           COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS n_overdue,
           COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS n_due_soon,
           COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS n_paused,
           COALESCE(SUM(CASE WHEN c.immediate_danger = TRUE THEN 1 ELSE 0 END), 0) AS n_danger
         FROM concerns c{}",
        fill(overdue),
        fill(due_soon),
        paused,
        w.where_clause()
    );
    (sql, w)
}

/// Both open streams' dashboard counts as one statement and one row: a row
/// per stream (`UNION ALL` of [`counts_sql`]) summed, its columns named as
/// [`CountsRow`] reads them. Alone ([`triage_counts`]) or beside the
/// dashboard's urgent rows ([`dashboard_sql`]).
pub(crate) fn triage_counts_sql(
    scope: ConcernScope,
    now: i64,
    soon_until: i64,
) -> (String, Conditions) {
    let (streams, w) = crate::sql::union_all(
        [Stream::Running, Stream::Paused]
            .into_iter()
            .map(|stream| counts_sql(stream, scope, now, soon_until))
            .collect(),
    );
    let sum = |n: &str| format!("CAST(COALESCE(SUM(n.n_{n}), 0) AS BIGINT) AS k_{n}");
    let sums = ["new", "open", "overdue", "due_soon", "paused", "danger"]
        .map(sum)
        .join(", ");
    (format!("SELECT {sums} FROM ({streams}) n"), w)
}

/// The row of [`triage_counts_sql`].
#[derive(sqlx::FromRow)]
struct CountsRow {
    k_new: i64,
    k_open: i64,
    k_overdue: i64,
    k_due_soon: i64,
    k_paused: i64,
    k_danger: i64,
}

impl From<CountsRow> for TriageCounts {
    fn from(k: CountsRow) -> Self {
        TriageCounts {
            danger: k.k_danger,
            new: k.k_new,
            open: k.k_open,
            overdue: k.k_overdue,
            due_soon: k.k_due_soon,
            paused: k.k_paused,
        }
    }
}

/// The dashboard's counts: open concerns only, never the decided history.
pub async fn triage_counts(
    tx: &mut Tx,
    scope: ConcernScope,
    now: i64,
    soon_until: i64,
) -> Result<TriageCounts> {
    let (sql, w) = triage_counts_sql(scope, now, soon_until);
    let row: CountsRow = on!(tx, |c| bind_all(
        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())),
        &w.binds
    )
    .fetch_one(c)
    .await?);
    Ok(row.into())
}

/// One entry of a concern's history (its timeline).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub concern_id: Uuid,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
}

pub async fn insert_event(tx: &mut Authorized, e: &EventRow) -> Result<()> {
    let reason = sealed::seal_opt(
        crate::AsTx::as_tx(tx),
        "concern_events.reason",
        &e.id.to_string(),
        e.reason.as_deref(),
    )?;
    crate::deferred::insert(
        crate::AsTx::as_tx(tx),
        "concern_events",
        "id, concern_id, at, actor_id, kind, from_status, to_status, decision, reason",
        vec![vec![
            Bind::Uuid(e.id),
            Bind::Uuid(e.concern_id),
            Bind::I64(e.at),
            Bind::OptUuid(e.actor_id),
            Bind::Text(e.kind.clone()),
            Bind::OptText(e.from_status.clone()),
            Bind::OptText(e.to_status.clone()),
            Bind::OptText(e.decision.clone()),
            Bind::OptText(reason),
        ]],
    )
    .await
}

/// The history with the acting user's display name, oldest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineRow {
    pub id: Uuid,
    pub at: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub actor_name: Option<String>,
}

pub async fn timeline(tx: &mut Tx, concern_id: Uuid) -> Result<Vec<TimelineRow>> {
    let mut rows: Vec<TimelineRow> = on!(tx, |c| {
        sqlx::query_as(
        "SELECT e.id, e.at, e.kind, e.from_status, e.to_status, e.decision, e.reason, u.display_name AS actor_name
         FROM concern_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.concern_id = $1 ORDER BY e.at, e.id"
    )
    .bind(concern_id)
    .fetch_all(c)
    .await?
    });
    for r in &mut rows {
        sealed::open_opt(
            tx,
            "concern_events.reason",
            &r.id.to_string(),
            &mut r.reason,
        )?;
    }
    Ok(rows)
}

pub async fn count_concerns(tx: &mut Tx) -> Result<i64> {
    Ok(on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM concerns"
    )
    .fetch_one(c)
    .await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000;

    fn period(now: i64, from: Option<i64>, to: Option<i64>) -> ConcernFilter {
        ConcernFilter {
            status: None,
            due: None,
            danger: false,
            channel: None,
            received_from: from,
            received_to: to,
            now,
            soon_until: now,
            limit: 25,
            offset: 0,
            after: None,
            before: None,
            planned_for_values: true,
        }
    }

    #[test]
    fn a_period_is_recent_when_its_span_is_at_least_half_the_way_to_now() {
        let now = 10_000 * DAY;
        let recent = |from, to| period(now, from, to).period_is_recent();
        assert!(recent(Some(now - 90 * DAY), None), "since a date");
        assert!(recent(Some(now - 90 * DAY), Some(now)), "the last 90 days");
        assert!(recent(Some(now - 90 * DAY), Some(now + DAY)), "to tomorrow");
        // Ten days that ended ten days ago: the walk reads twice the span.
        assert!(recent(Some(now - 20 * DAY), Some(now - 10 * DAY)));
        assert!(!recent(Some(now - 22 * DAY), Some(now - 12 * DAY)));
        assert!(!recent(
            Some(now - 5 * 365 * DAY),
            Some(now - 5 * 300 * DAY)
        ));
        assert!(
            !recent(None, Some(now - DAY)),
            "no start: nothing bounds a walk"
        );
        assert!(!recent(None, None));
        assert!(!recent(Some(now - DAY), Some(now - 2 * DAY)), "empty");
        assert!(!recent(Some(now + DAY), None), "in the future");
    }

    #[test]
    fn only_a_recent_period_keeps_the_decision_order_where_values_are_planned() {
        let now = 10_000 * DAY;
        let sql = |from, to, planned, read| {
            let f = ConcernFilter {
                planned_for_values: planned,
                ..period(now, Some(from), to)
            };
            stream_conditions(Stream::Decided, ConcernScope::All, &f, read)
                .map(|w| w.where_clause())
                .unwrap_or_default()
        };
        let recent = sql(now - 90 * DAY, None, true, StreamRead::Page);
        assert!(recent.contains("+c.received_at >="), "{recent}");
        assert!(recent.contains("c.decided_at >="), "{recent}");
        // A count reads the whole period: from its own range (a generic
        // plan could not tell the decision range is short: 100 ms on L).
        let count = sql(now - 90 * DAY, None, true, StreamRead::Count);
        assert!(!count.contains("+c.received_at"), "{count}");
        let old = sql(
            now - 2000 * DAY,
            Some(now - 1900 * DAY),
            true,
            StreamRead::Page,
        );
        assert!(!old.contains("+c.received_at"), "{old}");
        assert!(old.contains("c.decided_at >="), "{old}");
        let sqlite = sql(now - 90 * DAY, None, false, StreamRead::Count);
        assert!(sqlite.contains("+c.received_at >="), "{sqlite}");
    }
}
