//! The follow-up worklist and the outcome figures the unit is steered by.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::policy::{Action, Resource, course_scope};
use vink_domain::report::{DEFAULT_TARGET_PERCENT, OutcomeShares};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;

use crate::{App, AppError, Result};

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// `overdue` (past due), `due` (due within 30 days, overdue included) or
    /// absent for every open follow-up.
    pub due: Option<String>,
    /// `risk` (6 months) or `occupation` (12 months); absent for both.
    pub kind: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<i64>,
    /// Continue after this item: the previous page's `next_after`
    /// (`due_on` and id of its last item).
    pub after: Option<String>,
    /// `asc` (earliest due first, the default) or `desc` (latest due first).
    pub order: Option<String>,
}

/// A page of the worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpPage {
    pub items: Vec<FollowUpItem>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpItem {
    pub id: Uuid,
    pub course_id: Uuid,
    /// `risk` (6 months) or `occupation` (12 months).
    pub kind: String,
    pub due_on: String,
    pub overdue: bool,
    pub course_kind: String,
    pub person_name: Option<String>,
    pub corps_member: Option<String>,
}

/// Open follow-ups in the actor's scope, earliest (or latest) due first, a
/// page at a time (keyset on due date and id: any depth at the same cost).
pub async fn worklist(app: &App, actor: &Actor, q: &FollowUpQuery) -> Result<FollowUpPage> {
    let today = app.today();
    let limit = crate::page_limit(q.limit)?;
    let mut errs = vink_domain::validation::FieldErrors::new();
    let kind = crate::parse_code(
        &mut errs,
        "kind",
        q.kind.as_deref(),
        vink_domain::course::FollowUpKind::parse,
        vink_domain::course::FollowUpKind::codes,
        false,
    );
    let order = crate::parse_order(&mut errs, q.order.as_deref(), vink_store::Order::Ascending);
    errs.finish(())?;
    let after = match q.after.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(a) => Some(
            a.split_once('.')
                .and_then(|(d, id)| Some((d.parse::<Date>().ok()?, id.parse::<Uuid>().ok()?)))
                .ok_or_else(|| {
                    crate::invalid("after", "invalid", "not a position from this list")
                })?,
        ),
    };
    let after_due = after.map(|(d, _)| d.to_string());
    let until = match q.due.as_deref().filter(|s| !s.is_empty()) {
        None => Date::MAX,
        Some("overdue") => today.yesterday().unwrap_or(today),
        Some("due") => today.checked_add(30.days()).unwrap_or(Date::MAX),
        Some(_) => {
            return Err(crate::invalid(
                "due",
                "unknown_code",
                "must be overdue or due",
            ));
        }
    };
    // One statement, planned once (`Db::begin_read_planned`): planned for
    // its values it took a millisecond to plan on M for about as long to
    // run, and PostgreSQL's own choice (`auto`) kept planning it so.
    let tx = app.db.begin_read_planned().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::FollowUpList, &Resource::None, None)
        .await?;
    let rows = vink_store::follow_up::open_follow_ups(
        &mut tx,
        course_scope(actor),
        (&until.to_string(), kind.map(|k| k.code())),
        (order, after_due.as_deref().zip(after.map(|(_, id)| id))),
        limit + 1,
    )
    .await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<FollowUpItem> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| FollowUpItem {
            overdue: r.due_on.as_str() < today.to_string().as_str(),
            id: r.id,
            course_id: r.course_id,
            kind: r.kind,
            due_on: r.due_on,
            course_kind: r.course_kind,
            person_name: r.person_name,
            corps_member: r.corps_member_name,
        })
        .collect();
    let next_after = if more {
        items.last().map(|i| format!("{}.{}", i.due_on, i.id))
    } else {
        None
    };
    Ok(FollowUpPage { items, next_after })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutcomeQuery {
    /// First day of the period (`YYYY-MM-DD`), default 1 January this year.
    pub from: Option<String>,
    /// Last day of the period, default today.
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindFigures {
    pub kind: String,
    /// Courses running at some point in the period.
    pub running: i64,
    /// Of those, started before the period (carried over).
    pub carried_over: i64,
    pub completed: i64,
    pub discontinued: i64,
}

/// Outcome figures for a period: numbers only, nothing about any person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeReport {
    pub from: String,
    pub to: String,
    /// Completed courses that ended in the period, and their follow-up shares.
    pub outcomes: OutcomeShares,
    /// Courses discontinued in the period: reported apart, not in the shares.
    pub discontinued: i64,
    pub by_kind: Vec<KindFigures>,
}

pub async fn outcomes(app: &App, actor: &Actor, q: &OutcomeQuery) -> Result<OutcomeReport> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let mut date = |field: &str, raw: Option<&str>, default: Date| {
        if raw.is_none_or(|r| r.trim().is_empty()) {
            return Some(default);
        }
        vink_domain::validation::date_field(
            &mut errs,
            field,
            raw,
            vink_domain::validation::DateRule::default(),
            false,
        )
    };
    let from = date(
        "from",
        q.from.as_deref(),
        Date::new(today.year(), 1, 1).unwrap_or(today),
    );
    let to = date("to", q.to.as_deref(), today);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errs.add("to", "out_of_range", "must not lie before from");
    }
    errs.finish(())?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::Internal("period".into()));
    };
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::OutcomeRead, &Resource::None, None)
        .await?;
    // From the anonymous facts, like every figure: the same before and after
    // personal data is deleted.
    let sums = vink_store::fact::sums(&mut tx, from, to).await?;
    tx.commit().await?;
    let kinds = vink_domain::key_figures::by_kind(&sums);
    Ok(OutcomeReport {
        from: from.to_string(),
        to: to.to_string(),
        outcomes: vink_domain::key_figures::outcomes(&sums, DEFAULT_TARGET_PERCENT),
        discontinued: kinds.iter().map(|k| k.discontinued).sum(),
        by_kind: kinds
            .into_iter()
            .map(|k| KindFigures {
                kind: k.kind.code().to_string(),
                running: k.running,
                carried_over: k.carried_over,
                completed: k.completed,
                discontinued: k.discontinued,
            })
            .collect(),
    })
}
