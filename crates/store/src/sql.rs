//! SQL built for the filters actually given. A filter written as
//! `($1 IS NULL OR col = $1)` cannot be simplified by SQLite nor by a
//! PostgreSQL generic plan, so every list scanned its whole table; here a
//! condition is only in the text when its filter is set, with its parameter
//! numbered as it is added, and the policy scope becomes its own condition.

use sqlx::query::QueryAs;
use uuid::Uuid;
use vink_domain::policy::{ConcernScope, CourseScope};

/// `SELECT COUNT(*)` of `from` (a table and its alias) under `w`, stopped
/// after `cap` rows when one is given: a growing history (decided concerns,
/// ended courses) is counted only as far as a list needs, and the bounded
/// subquery (`page`) is what the plan test expects of it.
pub(crate) fn count_sql(from: &str, mut w: Conditions, cap: Option<i64>) -> (String, Conditions) {
    let sql = match cap {
        Some(cap) => {
            let l = w.param(Bind::I64(cap));
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {from}{} LIMIT {l}) page",
                w.where_clause()
            )
        }
        None => format!("SELECT COUNT(*) FROM {from}{}", w.where_clause()),
    };
    (sql, w)
}

/// Several scalar queries as one statement, `SELECT (q1), (q2), …`, their
/// parameters renumbered to follow each other: one round trip instead of
/// several (each is a thread hand-off on SQLite). The queries are this
/// crate's own text, where `$` only ever starts a placeholder.
pub(crate) fn scalars(parts: Vec<(String, Conditions)>) -> (String, Conditions) {
    let mut all = Conditions::default();
    let mut selects = Vec::with_capacity(parts.len());
    for (sql, w) in parts {
        let offset = all.binds.len();
        selects.push(format!("({})", shift_placeholders(&sql, offset)));
        all.binds.extend(w.binds);
    }
    (format!("SELECT {}", selects.join(", ")), all)
}

/// A row statement with scalar queries beside each of its rows, `SELECT
/// page.*, (q1) AS name1, … FROM (rows) page`, the parameters renumbered:
/// a page and its counts in one round trip. The scalars name no column of
/// the rows, so both databases evaluate each once per statement (an
/// `InitPlan` on PostgreSQL, a `ONCE` subquery on SQLite), not per row; a
/// statement that finds no row answers no scalars either.
pub(crate) fn with_scalars(
    rows: (String, Conditions),
    scalars: Vec<(String, Conditions)>,
    names: &[&str],
) -> (String, Conditions) {
    let (sql, mut all) = rows;
    let mut columns = Vec::with_capacity(scalars.len());
    for ((scalar, w), name) in scalars.into_iter().zip(names) {
        let offset = all.binds.len();
        columns.push(format!(
            "({}) AS {name}",
            shift_placeholders(&scalar, offset)
        ));
        all.binds.extend(w.binds);
    }
    (
        format!("SELECT page.*, {} FROM ({sql}) page", columns.join(", ")),
        all,
    )
}

/// Several row statements as one, `SELECT * FROM (a) u0 UNION ALL SELECT *
/// FROM (b) u1 …` (SQLite takes no parenthesised compound members), each
/// part's placeholders moved past the ones before it. Each part keeps its
/// own `ORDER BY` and `LIMIT` (and so its own index); the caller orders the
/// whole.
pub(crate) fn union_all(parts: Vec<(String, Conditions)>) -> (String, Conditions) {
    let mut all = Conditions::default();
    let mut selects = Vec::with_capacity(parts.len());
    for (sql, w) in parts {
        let offset = all.binds.len();
        let i = selects.len();
        selects.push(format!(
            "SELECT * FROM ({}) u{i}",
            shift_placeholders(&sql, offset)
        ));
        all.binds.extend(w.binds);
    }
    (selects.join(" UNION ALL "), all)
}

/// Like [`union_all`], each part's rows marked with the part's tag as the
/// first column, `part`, then the named `columns` (`SELECT CAST(0 AS
/// BIGINT) AS part, u0.a, u0.b FROM (q) u0 UNION ALL …`; parts may carry
/// more columns than are named): several lists read in one round trip and
/// told apart after.
pub(crate) fn tagged_union_all(
    parts: Vec<(usize, (String, Conditions))>,
    columns: &[&str],
) -> (String, Conditions) {
    let mut all = Conditions::default();
    let mut selects = Vec::with_capacity(parts.len());
    for (tag, (sql, w)) in parts {
        let offset = all.binds.len();
        let i = selects.len();
        let named: Vec<String> = columns.iter().map(|c| format!("u{i}.{c}")).collect();
        selects.push(format!(
            "SELECT CAST({tag} AS BIGINT) AS part, {} FROM ({}) u{i}",
            named.join(", "),
            shift_placeholders(&sql, offset)
        ));
        all.binds.extend(w.binds);
    }
    (selects.join(" UNION ALL "), all)
}

/// `$3` → `$(3 + offset)` throughout.
pub(crate) fn shift_placeholders(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '$' {
            out.push(ch);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&format!("${}", n + offset)),
            Err(_) => {
                out.push('$');
                out.push_str(&digits);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_shift_and_nothing_else_changes() {
        assert_eq!(
            super::shift_placeholders("a = $1 AND b < $12 OR c = '$'", 3),
            "a = $4 AND b < $15 OR c = '$'"
        );
    }
}

/// Which way a list walks its index. Every sortable list offers exactly its
/// index's order and the same index read backwards, so a user's choice of
/// order never makes the database sort a table.
/// Newest first is the default of most lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    Ascending,
    #[default]
    Descending,
}

impl Order {
    /// The address and API code: `asc` or `desc`.
    pub fn parse(s: &str) -> Option<Order> {
        match s {
            "asc" => Some(Order::Ascending),
            "desc" => Some(Order::Descending),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Order::Ascending => "asc",
            Order::Descending => "desc",
        }
    }
    pub fn codes() -> String {
        "asc, desc".into()
    }
    /// `ASC` or `DESC`.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Order::Ascending => "ASC",
            Order::Descending => "DESC",
        }
    }
    /// `a DESC, b DESC` for the columns of an index walked this way.
    pub(crate) fn by(self, columns: &[&str]) -> String {
        columns
            .iter()
            .map(|c| format!("{c} {}", self.sql()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A parameter value.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    I64(i64),
    Text(String),
    Uuid(Uuid),
    OptText(Option<String>),
    OptUuid(Option<Uuid>),
    OptI64(Option<i64>),
    Bool(bool),
}

/// Conditions and their parameters, numbered `$1…` in the order added.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    parts: Vec<String>,
    pub binds: Vec<Bind>,
}

impl Conditions {
    /// Adds a parameter and returns its placeholder.
    pub fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    pub fn push(&mut self, condition: String) {
        self.parts.push(condition);
    }

    /// `WHERE a AND b …`, or nothing.
    pub fn where_clause(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.parts.join(" AND "))
        }
    }

    /// The concern scope as a condition on concerns aliased `c`: nothing for
    /// everything, the agenda of the agency's meetings, or nothing at all.
    pub fn concern_scope(&mut self, scope: ConcernScope, alias: &str) {
        match scope {
            ConcernScope::All => {}
            ConcernScope::OnAgendaOfAgency(a) => {
                // A probe per row while the list walks its index in order: a
                // page stops after its rows are found. (Starting from the
                // agency's agendas instead would sort tens of thousands of
                // concerns for an agency that attends every meeting.)
                let p = self.param(Bind::Uuid(a));
                self.push(format!(
                    "EXISTS (SELECT 1 FROM agenda_items ai JOIN meeting_agencies ma ON ma.meeting_id = ai.meeting_id
                             WHERE ai.concern_id = {alias}.id AND ma.agency_id = {p})"
                ));
            }
            ConcernScope::Nothing => self.push("1 = 0".into()),
        }
    }

    /// The meeting scope on meetings aliased `m`: those the agency attends.
    pub fn meeting_scope(&mut self, scope: ConcernScope, alias: &str) {
        match scope {
            ConcernScope::All => {}
            ConcernScope::OnAgendaOfAgency(a) => {
                let p = self.param(Bind::Uuid(a));
                self.push(format!(
                    "EXISTS (SELECT 1 FROM meeting_agencies ma WHERE ma.meeting_id = {alias}.id AND ma.agency_id = {p})"
                ));
            }
            ConcernScope::Nothing => self.push("1 = 0".into()),
        }
    }

    /// The course scope on courses aliased `c`: all, the agency's, or those
    /// assigned to the corps member with this log-in.
    pub fn course_scope(&mut self, scope: CourseScope, alias: &str) {
        match scope {
            CourseScope::All => {}
            CourseScope::Agency(a) => {
                let p = self.param(Bind::Uuid(a));
                self.push(format!("{alias}.agency_id = {p}"));
            }
            CourseScope::Mentor(u) => {
                let p = self.param(Bind::Uuid(u));
                self.push(format!(
                    "{alias}.corps_member_id IN (SELECT cm.id FROM corps_members cm WHERE cm.user_id = {p})"
                ));
            }
            CourseScope::Nothing => self.push("1 = 0".into()),
        }
    }
}

/// Binds each value in order: one match for both kinds of query (sqlx's
/// `Query` and `QueryAs` share `bind` by name, not by a trait).
macro_rules! bind_each {
    ($q:ident, $binds:expr) => {
        for b in $binds {
            $q = match b {
                Bind::I64(v) => $q.bind(*v),
                Bind::Text(v) => $q.bind(v.clone()),
                Bind::Uuid(v) => $q.bind(*v),
                Bind::OptText(v) => $q.bind(v.clone()),
                Bind::OptUuid(v) => $q.bind(*v),
                Bind::OptI64(v) => $q.bind(*v),
                Bind::Bool(v) => $q.bind(*v),
            };
        }
    };
}

/// Binds every parameter, in order, to a query on either backend.
pub(crate) fn bind_all<'q, DB, O>(
    mut q: QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    binds: &[Bind],
) -> QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Uuid: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Uuid>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    bind_each!(q, binds);
    q
}

/// [`bind_all`] for a statement that returns no rows.
pub(crate) fn bind_query<'q, DB>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Uuid: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Uuid>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    bind_each!(q, binds);
    q
}
