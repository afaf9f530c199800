//! The mentor and parent-coach corps: profiles, training, and the fit list used
//! when assigning a course (the coordinator chooses; the list only orders).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::policy::{Action, Resource};
use vink_domain::user::Actor;
use vink_domain::validation::{FieldErrors, optional_text, required_text};
use vink_store::corps::{self as store, CorpsMemberRow, MemberLoadRow, TrainingRow};
use vink_store::micros;

use crate::{App, AppError, Result};
use vink_domain::policy::RecordRef;

fn record(id: Uuid) -> Option<RecordRef> {
    Some(RecordRef::corps_member(id))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorpsMemberInput {
    #[schema(required = true)]
    pub name: Option<String>,
    /// `mentor` or `parent_coach`.
    #[schema(required = true)]
    pub kind: Option<String>,
    /// User name of the member's log-in (role mentor), if any.
    pub username: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Course kinds the member is suited for (`mentor`, `exit`, …).
    #[serde(default)]
    pub specialties: Vec<String>,
    #[serde(default)]
    pub districts: Vec<String>,
    #[schema(required = true)]
    pub max_caseload: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorpsMemberView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub has_login: bool,
    pub languages: Vec<String>,
    pub specialties: Vec<String>,
    pub districts: Vec<String>,
    pub max_caseload: i64,
    pub caseload: i64,
    pub free_capacity: i64,
    pub active: bool,
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn view(m: MemberLoadRow) -> CorpsMemberView {
    CorpsMemberView {
        free_capacity: (m.max_caseload - m.caseload).max(0),
        id: m.id,
        name: m.name,
        kind: m.kind,
        has_login: m.user_id.is_some(),
        languages: split(&m.languages),
        specialties: split(&m.specialties),
        districts: split(&m.districts),
        max_caseload: m.max_caseload,
        caseload: m.caseload,
        active: m.active,
    }
}

fn join(items: &[String]) -> String {
    items
        .iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty() && !s.contains(','))
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn create(app: &App, actor: &Actor, input: &CorpsMemberInput) -> Result<Uuid> {
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::CorpsManage, &Resource::None, record(id))
        .await?;
    let mut errs = FieldErrors::new();
    let name = required_text(&mut errs, "name", input.name.as_deref(), 200);
    let kind = match input.kind.as_deref() {
        Some(k @ ("mentor" | "parent_coach")) => Some(k.to_string()),
        Some(_) => {
            errs.add("kind", "unknown_code", "must be mentor or parent_coach");
            None
        }
        None => {
            errs.add("kind", "required", "is required");
            None
        }
    };
    let max = match input.max_caseload {
        Some(m) if (1..=50).contains(&m) => m,
        Some(_) => {
            errs.add("max_caseload", "out_of_range", "must be between 1 and 50");
            0
        }
        None => {
            errs.add("max_caseload", "required", "is required");
            0
        }
    };
    let username = optional_text(&mut errs, "username", input.username.as_deref(), 64);
    let user_id = match username {
        None => None,
        Some(u) => match vink_store::user::user_by_name(&mut tx, &u.to_lowercase()).await? {
            Some(row) if row.role == "mentor" => Some(row.id),
            Some(_) => {
                errs.add(
                    "username",
                    "invalid",
                    "the log-in must have the role mentor",
                );
                None
            }
            None => {
                errs.add("username", "unknown", "no such user");
                None
            }
        },
    };
    let (name, kind) = match errs.finish((name, kind))? {
        (Some(n), Some(k)) => (n, k),
        _ => return Err(AppError::Internal("corps member fields".into())),
    };
    let created_at = micros(tx.at());
    store::insert_member(
        &mut tx,
        &CorpsMemberRow {
            id,
            user_id,
            name,
            kind,
            languages: join(&input.languages),
            specialties: join(&input.specialties),
            districts: join(&input.districts),
            max_caseload: max,
            active: true,
            created_at,
        },
    )
    .await?;
    tx.commit_noting(Some("created".into())).await?;
    Ok(id)
}

/// The corps, optionally ordered by fit for a course: matching specialty,
/// language and district first, free capacity next. Only an ordering: the
/// coordinator chooses.
pub async fn list(
    app: &App,
    actor: &Actor,
    fit: Option<(&str, Option<&str>, Option<&str>)>,
) -> Result<Vec<CorpsMemberView>> {
    // Staff names: audited like any other read.
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::CorpsRead, &Resource::None, None)
        .await?;
    let rows = store::members(&mut tx).await?;
    tx.commit().await?;
    Ok(order_by_fit(rows, fit))
}

/// The corps as views, optionally ordered by fit for a course (kind,
/// language, district) with free capacity first. An ordering of staff for the
/// coordinator's choice, never a decision about anyone.
pub(crate) fn order_by_fit(
    rows: Vec<MemberLoadRow>,
    fit: Option<(&str, Option<&str>, Option<&str>)>,
) -> Vec<CorpsMemberView> {
    let mut members: Vec<CorpsMemberView> = rows.into_iter().map(view).collect();
    if let Some((kind, language, district)) = fit {
        let matches = |m: &CorpsMemberView| {
            let has = |list: &[String], v: Option<&str>| {
                v.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
            };
            u8::from(m.specialties.iter().any(|s| s == kind))
                + u8::from(has(&m.languages, language))
                + u8::from(has(&m.districts, district))
        };
        members.retain(|m| m.active);
        members.sort_by_key(|m| {
            (
                std::cmp::Reverse(u8::from(m.free_capacity > 0)),
                std::cmp::Reverse(matches(m)),
                std::cmp::Reverse(m.free_capacity),
            )
        });
    }
    members
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingView {
    pub kind: String,
    pub title: String,
    pub on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub course_id: Uuid,
    pub kind: String,
    pub status: String,
    pub started_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorpsProfile {
    pub member: CorpsMemberView,
    pub training: Vec<TrainingView>,
    /// Theme days and network meetings attended (held activities).
    pub attended: Vec<AttendedView>,
    /// Current courses (kind and status only: no names on a staff profile).
    pub assignments: Vec<AssignmentView>,
}

/// A theme day or network meeting a member attended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendedView {
    pub activity_id: Uuid,
    pub kind: String,
    pub held_on: String,
    pub title: String,
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<CorpsProfile> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::CorpsRead, &Resource::None, record(id))
        .await?;
    let m = store::member(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let training = store::trainings(&mut tx, id)
        .await?
        .into_iter()
        .map(|t| TrainingView {
            kind: t.kind,
            title: t.title,
            on: t.on_date,
        })
        .collect();
    let assignments = store::assignments(&mut tx, id)
        .await?
        .into_iter()
        .map(|a| AssignmentView {
            course_id: a.course_id,
            kind: a.kind,
            status: a.status,
            started_on: a.started_on,
        })
        .collect();
    let attended = vink_store::activity::attended(&mut tx, id)
        .await?
        .into_iter()
        .map(|a| AttendedView {
            activity_id: a.id,
            kind: a.kind,
            held_on: a.held_on,
            title: a.title,
        })
        .collect();
    tx.commit().await?;
    Ok(CorpsProfile {
        member: view(m),
        training,
        attended,
        assignments,
    })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    /// `training` (theme days and network meetings are activities).
    #[schema(required = true)]
    pub kind: Option<String>,
    #[schema(required = true)]
    pub title: Option<String>,
    #[schema(required = true)]
    pub on: Option<String>,
}

pub async fn add_training(app: &App, actor: &Actor, id: Uuid, input: &TrainingInput) -> Result<()> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::CorpsManage, &Resource::None, record(id))
        .await?;
    let mut errs = FieldErrors::new();
    let title = required_text(&mut errs, "title", input.title.as_deref(), 200);
    let kind = match input.kind.as_deref() {
        // Theme days and network meetings are activities, with their
        // attendees linked (see `activity`); training is the rest.
        Some(k @ "training") => Some(k.to_string()),
        _ => {
            errs.add(
                "kind",
                "unknown_code",
                "must be training (theme days are registered as activities)",
            );
            None
        }
    };
    let on = vink_domain::validation::date_field(
        &mut errs,
        "on",
        input.on.as_deref(),
        vink_domain::validation::DateRule::default(),
        true,
    );
    let (title, kind, on) = match errs.finish((title, kind, on))? {
        (Some(t), Some(k), Some(o)) => (t, k, o),
        _ => return Err(AppError::Internal("training fields".into())),
    };
    if store::member(&mut tx, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let at = micros(tx.at());
    store::insert_training(
        &mut tx,
        id,
        &TrainingRow {
            id: vink_domain::new_id(),
            kind,
            title,
            on_date: on.to_string(),
        },
        at,
    )
    .await?;
    tx.commit_noting(Some("training".into())).await?;
    Ok(())
}
