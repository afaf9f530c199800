//! Registering the unit's activities and the organisations it works with.
//! Each write appends the facts that change the key figures, in its own
//! transaction; no activity or organisation holds personal data.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::activity::{
    Activity, ActivityInput, ActivityKind, ActivityStatus, FocusArea, TargetGroup,
};
use vink_domain::course::PreventionLevel;
use vink_domain::organisation::{Organisation, OrganisationInput, PeriodInput, Span};
use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;
use vink_store::activity::{self as store, ActivityFilter, ActivityParts, ActivityRow};
use vink_store::organisation::{self as org_store, EngagementRow, OrganisationRow};
use vink_store::{Authorized, Locked, micros};

use crate::{App, AppError, Result, invalid};

/// An activity as read back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    pub kind: String,
    pub held_on: String,
    pub status: String,
    pub title: String,
    pub focus_area: String,
    pub prevention_level: Option<String>,
    pub district: Option<String>,
    /// The organising unit's agency code.
    pub agency: String,
    pub participants: Vec<ParticipantCount>,
    pub organisations: Vec<OrganisationRef>,
    /// Corps members who attended.
    pub corps_members: Vec<OrganisationRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantCount {
    pub target_group: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationRef {
    pub id: Uuid,
    pub name: String,
}

/// Checks an input against the domain rules and what it names (the agency,
/// the partner organisations) in `tx`; errors name the field.
/// A checked input: the activity, its agency, partners and attendees.
pub(crate) struct Checked {
    pub activity: Activity,
    pub agency: Uuid,
    pub organisations: Vec<Uuid>,
    pub corps_members: Vec<Uuid>,
}

pub(crate) async fn checked(
    tx: &mut Authorized,
    input: &ActivityInput,
    today: Date,
) -> Result<Checked> {
    let (activity, mut errs) = match Activity::validate(input, today) {
        Ok(a) => (Some(a), FieldErrors::new()),
        Err(e) => (None, e),
    };
    let code = input
        .agency
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("vink");
    let agency = vink_store::organisation::agency_by_code(tx, code).await?;
    if agency.is_none() {
        errs.add("agency", "unknown_code", "unknown agency");
    }
    let mut orgs = input.organisations.clone();
    orgs.sort();
    orgs.dedup();
    let found = org_store::existing_organisations(tx, &orgs).await?;
    for (i, o) in input.organisations.iter().enumerate() {
        if !found.contains(o) {
            errs.add(
                format!("organisations[{i}]"),
                "unknown",
                "no such organisation",
            );
        }
    }
    let mut corps = input.corps_members.clone();
    corps.sort();
    corps.dedup();
    for (i, m) in input.corps_members.iter().enumerate() {
        if vink_store::corps::member(tx, *m).await?.is_none() {
            errs.add(
                format!("corps_members[{i}]"),
                "unknown",
                "no such corps member",
            );
        }
    }
    errs.finish(())?;
    let activity = activity.ok_or_else(|| AppError::Internal("validated activity".into()))?;
    let agency = agency.ok_or_else(|| AppError::Internal("agency".into()))?;
    Ok(Checked {
        activity,
        agency: agency.id,
        organisations: orgs,
        corps_members: corps,
    })
}

fn parts(c: Checked) -> ActivityParts {
    ActivityParts {
        participants: c
            .activity
            .participants
            .iter()
            .map(|(g, n)| (g.code().to_string(), *n))
            .collect(),
        organisations: c.organisations,
        corps_members: c.corps_members,
    }
}

/// Writes a checked activity with its parts and the facts it counts.
pub(crate) async fn insert(tx: &mut Authorized, actor: &Actor, c: Checked, id: Uuid) -> Result<()> {
    let now = micros(tx.at());
    let a = c.activity.clone();
    let agency = c.agency;
    let row = ActivityRow {
        id,
        kind: a.kind.code().into(),
        held_on: a.held_on.to_string(),
        status: a.status.code().into(),
        title: a.title.clone(),
        focus_area: a.focus_area.code().into(),
        prevention_level: a.prevention_level.map(|p| p.code().into()),
        district: a.district.clone(),
        agency_id: agency,
        created_at: now,
        created_by: actor.user_id(),
        updated_at: now,
    };
    store::insert_activity(tx, &row, &parts(c)).await?;
    vink_store::fact::append(tx, &Activity::change(None, &a)).await?;
    Ok(())
}

/// Registers an activity; a held one counts from the same commit.
pub async fn create(app: &App, actor: &Actor, input: &ActivityInput) -> Result<Uuid> {
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::ActivityManage,
            &Resource::None,
            Some(RecordRef::activity(id)),
        )
        .await?;
    let c = checked(&mut tx, input, app.today()).await?;
    insert(&mut tx, actor, c, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces an activity (a correction, or planned → held → cancelled): the
/// figures change by the difference, appended as facts.
pub async fn update(app: &App, actor: &Actor, id: Uuid, input: &ActivityInput) -> Result<()> {
    let mut tx = app.db.begin().await?;
    let exists = tx.lock(Locked::Activity(id)).await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::ActivityManage,
            &Resource::None,
            Some(RecordRef::activity(id)),
        )
        .await?;
    if !exists {
        return Err(AppError::NotFound);
    }
    let (stored, stored_parts) = store::activity(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = domain_of(&stored, &stored_parts)?;
    let c = checked(&mut tx, input, app.today()).await?;
    let (a, agency) = (c.activity.clone(), c.agency);
    let row = ActivityRow {
        kind: a.kind.code().into(),
        held_on: a.held_on.to_string(),
        status: a.status.code().into(),
        title: a.title.clone(),
        focus_area: a.focus_area.code().into(),
        prevention_level: a.prevention_level.map(|p| p.code().into()),
        district: a.district.clone(),
        agency_id: agency,
        updated_at: micros(tx.at()),
        ..stored
    };
    store::update_activity(&mut tx, &row, &parts(c)).await?;
    vink_store::fact::append(&mut tx, &Activity::change(Some(&before), &a)).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored activity as the domain knows it (to count what it counted).
fn domain_of(r: &ActivityRow, p: &ActivityParts) -> Result<Activity> {
    let bad = |what: &str| AppError::Internal(format!("stored activity: {what}"));
    Ok(Activity {
        kind: ActivityKind::parse(&r.kind).ok_or_else(|| bad("kind"))?,
        held_on: r.held_on.parse().map_err(|_| bad("held_on"))?,
        status: ActivityStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
        title: r.title.clone(),
        focus_area: FocusArea::parse(&r.focus_area).ok_or_else(|| bad("focus_area"))?,
        prevention_level: r
            .prevention_level
            .as_deref()
            .and_then(PreventionLevel::parse),
        district: r.district.clone(),
        participants: p
            .participants
            .iter()
            .filter_map(|(g, n)| TargetGroup::parse(g).map(|g| (g, *n)))
            .collect(),
    })
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<ActivityView> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(
            tx,
            actor,
            Action::ActivityRead,
            &Resource::None,
            Some(RecordRef::activity(id)),
        )
        .await?;
    let (row, parts) = store::activity(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let names = org_store::organisation_names(&mut tx, &parts.organisations).await?;
    let mut corps = Vec::new();
    for m in &parts.corps_members {
        if let Some(member) = vink_store::corps::member(&mut tx, *m).await? {
            corps.push(OrganisationRef {
                id: member.id,
                name: member.name,
            });
        }
    }
    let agencies = vink_store::organisation::list_agencies(&mut tx).await?;
    tx.commit().await?;
    let agency = agencies
        .into_iter()
        .find(|a| a.id == row.agency_id)
        .map(|a| a.code)
        .unwrap_or_default();
    let mut participants: Vec<ParticipantCount> = parts
        .participants
        .into_iter()
        .map(|(target_group, count)| ParticipantCount {
            target_group,
            count,
        })
        .collect();
    participants.sort_by_key(|p| {
        TargetGroup::ALL
            .iter()
            .position(|g| g.code() == p.target_group)
    });
    Ok(ActivityView {
        id: row.id,
        kind: row.kind,
        held_on: row.held_on,
        status: row.status,
        title: row.title,
        focus_area: row.focus_area,
        prevention_level: row.prevention_level,
        district: row.district,
        agency,
        participants,
        organisations: names
            .into_iter()
            .map(|(id, name)| OrganisationRef { id, name })
            .collect(),
        corps_members: corps,
    })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Held on or after (`YYYY-MM-DD` or `dd.mm.åååå`).
    pub from: Option<String>,
    /// Held on or before.
    pub to: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
    /// The previous page's `next_after`.
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivitySummary {
    pub id: Uuid,
    pub kind: String,
    pub held_on: String,
    pub status: String,
    pub title: String,
    pub focus_area: String,
    pub district: Option<String>,
    pub participants: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityPage {
    pub items: Vec<ActivitySummary>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<String>,
}

/// Activities newest first, filtered, a page at a time (keyset on day and id).
pub async fn list(app: &App, actor: &Actor, q: &ActivityQuery) -> Result<ActivityPage> {
    let mut errs = FieldErrors::new();
    let limit = crate::page_limit(q.limit)?;
    let kind = crate::parse_code(
        &mut errs,
        "kind",
        q.kind.as_deref(),
        ActivityKind::parse,
        ActivityKind::codes,
        false,
    );
    let status = crate::parse_code(
        &mut errs,
        "status",
        q.status.as_deref(),
        ActivityStatus::parse,
        ActivityStatus::codes,
        false,
    );
    let rule = vink_domain::validation::DateRule::default();
    let from =
        vink_domain::validation::date_field(&mut errs, "from", q.from.as_deref(), rule, false);
    let to = vink_domain::validation::date_field(&mut errs, "to", q.to.as_deref(), rule, false);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errs.add("to", "out_of_range", "the period ends before it begins");
    }
    let after = match q.after.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(a) => {
            let parsed = a
                .split_once('.')
                .and_then(|(d, id)| Some((d.parse::<Date>().ok()?, id.parse::<Uuid>().ok()?)));
            if parsed.is_none() {
                errs.add("after", "invalid", "not a position from this list");
            }
            parsed
        }
    };
    errs.finish(())?;
    let filter = ActivityFilter {
        kind: kind.map(|k| k.code().to_string()),
        status: status.map(|s| s.code().to_string()),
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        after: after.map(|(d, id)| (d.to_string(), id)),
    };
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::ActivityRead, &Resource::None, None)
        .await?;
    let rows = store::list_activities(&mut tx, &filter, limit + 1).await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<ActivitySummary> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| ActivitySummary {
            id: r.id,
            kind: r.kind,
            held_on: r.held_on,
            status: r.status,
            title: r.title,
            focus_area: r.focus_area,
            district: r.district,
            participants: r.participants,
        })
        .collect();
    let next_after = if more {
        items.last().map(|i| format!("{}.{}", i.held_on, i.id))
    } else {
        None
    };
    Ok(ActivityPage { items, next_after })
}

/// An organisation as read back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub district: Option<String>,
    pub cvr: Option<String>,
}

pub async fn create_organisation(
    app: &App,
    actor: &Actor,
    input: &OrganisationInput,
) -> Result<Uuid> {
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::ActivityManage,
            &Resource::None,
            Some(RecordRef::organisation(id)),
        )
        .await?;
    let o = Organisation::validate(input).map_err(AppError::Invalid)?;
    let row = OrganisationRow {
        id,
        name: o.name,
        kind: o.kind.code().into(),
        district: o.district,
        cvr: o.cvr,
        created_at: micros(tx.at()),
    };
    org_store::insert_organisation(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationQuery {
    /// 1–500, default 100.
    pub limit: Option<i64>,
    /// The previous page's `next_after`.
    pub after: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationPage {
    pub items: Vec<OrganisationView>,
    pub next_after: Option<Uuid>,
}

/// Organisations by name, a page at a time.
pub async fn organisations(
    app: &App,
    actor: &Actor,
    q: &OrganisationQuery,
) -> Result<OrganisationPage> {
    let limit = crate::page_limit(q.limit)?;
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::ActivityRead, &Resource::None, None)
        .await?;
    let after = match q.after {
        None => None,
        Some(id) => {
            let names = org_store::organisation_names(&mut tx, &[id]).await?;
            let Some((_, name)) = names.into_iter().next() else {
                return Err(invalid("after", "invalid", "not a position from this list"));
            };
            Some((name, id))
        }
    };
    let rows = org_store::list_organisations(
        &mut tx,
        after.as_ref().map(|(n, i)| (n.as_str(), *i)),
        limit + 1,
    )
    .await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<OrganisationView> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| OrganisationView {
            id: r.id,
            name: r.name,
            kind: r.kind,
            district: r.district,
            cvr: r.cvr,
        })
        .collect();
    let next_after = if more {
        items.last().map(|i| i.id)
    } else {
        None
    };
    Ok(OrganisationPage { items, next_after })
}

/// The organisation locked for a change by `actor` (404 when there is none).
async fn change_organisation(app: &App, actor: &Actor, org: Uuid) -> Result<Authorized> {
    let mut tx = app.db.begin().await?;
    let exists = tx.lock(Locked::Organisation(org)).await?;
    let tx = app
        .authorize(
            tx,
            actor,
            Action::ActivityManage,
            &Resource::None,
            Some(RecordRef::organisation(org)),
        )
        .await?;
    if !exists {
        return Err(AppError::NotFound);
    }
    Ok(tx)
}

/// Sets an organisation's citizen-forum membership (replacing the one
/// recorded): the forum figures change by the difference.
pub async fn set_forum_membership(
    app: &App,
    actor: &Actor,
    org: Uuid,
    input: &PeriodInput,
) -> Result<()> {
    // Access first: a role that may not act hears 403, never a 422.
    let mut tx = change_organisation(app, actor, org).await?;
    let span = Span::validate(input).map_err(AppError::Invalid)?;
    let before = match org_store::forum_membership(&mut tx, org).await? {
        None => None,
        Some((from, to)) => {
            let bad = || AppError::Internal("stored membership".into());
            Some(Span {
                from: from.parse().map_err(|_| bad())?,
                to: to.map(|t| t.parse()).transpose().map_err(|_| bad())?,
            })
        }
    };
    let to = span.to.map(|t| t.to_string());
    org_store::set_forum_membership(&mut tx, org, &span.from.to_string(), to.as_deref()).await?;
    vink_store::fact::append(&mut tx, &Span::forum_change(before.as_ref(), &span)).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a capacity-building engagement with an institution.
pub async fn add_engagement(
    app: &App,
    actor: &Actor,
    org: Uuid,
    input: &PeriodInput,
) -> Result<Uuid> {
    let mut tx = change_organisation(app, actor, org).await?;
    let (span, mut errs) = match Span::validate(input) {
        Ok(s) => (Some(s), FieldErrors::new()),
        Err(e) => (None, e),
    };
    let note =
        vink_domain::validation::optional_text(&mut errs, "note", input.note.as_deref(), 500);
    errs.finish(())?;
    let span = span.ok_or_else(|| AppError::Internal("validated period".into()))?;
    let id = vink_domain::new_id();
    let row = EngagementRow {
        id,
        organisation_id: org,
        from_on: span.from.to_string(),
        to_on: span.to.map(|t| t.to_string()),
        note,
        created_at: micros(tx.at()),
    };
    org_store::insert_engagement(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(id)
}

/// An organisation with its forum membership and engagements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationDetail {
    pub organisation: OrganisationView,
    /// The citizen-forum membership, when it has one.
    pub forum: Option<MembershipView>,
    pub capacity_building: Vec<EngagementView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipView {
    pub from: String,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EngagementView {
    pub id: Uuid,
    pub from: String,
    pub to: Option<String>,
    pub note: Option<String>,
}

pub async fn organisation(app: &App, actor: &Actor, org: Uuid) -> Result<OrganisationDetail> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(
            tx,
            actor,
            Action::ActivityRead,
            &Resource::None,
            Some(RecordRef::organisation(org)),
        )
        .await?;
    let row = org_store::organisation(&mut tx, org)
        .await?
        .ok_or(AppError::NotFound)?;
    let forum = org_store::forum_membership(&mut tx, org).await?;
    let engagements = org_store::engagements(&mut tx, org).await?;
    tx.commit().await?;
    Ok(OrganisationDetail {
        organisation: OrganisationView {
            id: row.id,
            name: row.name,
            kind: row.kind,
            district: row.district,
            cvr: row.cvr,
        },
        forum: forum.map(|(from, to)| MembershipView { from, to }),
        capacity_building: engagements
            .into_iter()
            .map(|e| EngagementView {
                id: e.id,
                from: e.from_on,
                to: e.to_on,
                note: e.note,
            })
            .collect(),
    })
}
