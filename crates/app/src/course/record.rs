//! The mentor's record: contacts, the personal plan's goals, and structured
//! assessments (with the 6- and 12-month follow-up answers).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vink_domain::course::*;
use vink_domain::fact::{Answer, Fact};
use vink_domain::policy::Action;
use vink_domain::user::Actor;
use vink_domain::validation::{FieldErrors, optional_text, required_text};
use vink_store::course::{self as store, AssessmentRow, ContactRow, GoalRow, RatingRow};
use vink_store::micros;

use super::{MAX_GOAL, MAX_NOTE, date_of, load, parse_date, status_of};
use crate::{App, AppError, Result, invalid, parse_code};

/// One entry of the contact log.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[schema(required = true)]
    pub on: Option<String>,
    /// Duration in minutes (1–1440).
    #[schema(required = true)]
    pub minutes: Option<i64>,
    /// `meeting`, `phone`, `online` or `with_family`.
    #[schema(required = true)]
    pub form: Option<String>,
    pub note: Option<String>,
}

pub async fn log_contact(app: &App, actor: &Actor, id: Uuid, input: &ContactInput) -> Result<Uuid> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let on = parse_date(&mut errs, "on", input.on.as_deref(), today, true);
    let form = parse_code(
        &mut errs,
        "form",
        input.form.as_deref(),
        ContactForm::parse,
        ContactForm::codes,
        true,
    );
    let note = optional_text(&mut errs, "note", input.note.as_deref(), MAX_NOTE);
    match input.minutes {
        None => errs.add("minutes", "required", "is required"),
        Some(m) if !(1..=1440).contains(&m) => {
            errs.add("minutes", "out_of_range", "must be between 1 and 1440")
        }
        Some(_) => {}
    }
    errs.finish(())?;
    let (Some(on), Some(form), Some(minutes)) = (on, form, input.minutes) else {
        return Err(AppError::Internal(
            "validated contact fields missing".into(),
        ));
    };
    let (mut tx, row) = load(app, actor, Action::ContactLog, id, false).await?;
    if matches!(
        status_of(&row)?,
        CourseStatus::Completed | CourseStatus::Discontinued
    ) {
        return Err(AppError::Conflict("the course has ended".into()));
    }
    let cid = vink_domain::new_id();
    store::insert_contact(
        &mut tx,
        id,
        &ContactRow {
            id: cid,
            on_date: on.to_string(),
            minutes,
            form: form.code().into(),
            note,
            created_by: actor.user_id(),
        },
        micros(app.now()),
    )
    .await?;
    tx.commit().await?;
    Ok(cid)
}

/// A goal of the personal plan.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    #[schema(required = true)]
    pub text: Option<String>,
}

pub async fn add_goal(app: &App, actor: &Actor, id: Uuid, input: &GoalInput) -> Result<Uuid> {
    let mut errs = FieldErrors::new();
    let text = required_text(&mut errs, "text", input.text.as_deref(), MAX_GOAL);
    let text = errs
        .finish(text)?
        .ok_or_else(|| AppError::Internal("text".into()))?;
    let (mut tx, _row) = load(app, actor, Action::CoursePlan, id, false).await?;
    let position = i64::try_from(store::goals(&mut tx, id).await?.len()).unwrap_or(0);
    let gid = vink_domain::new_id();
    store::insert_goal(
        &mut tx,
        id,
        &GoalRow {
            id: gid,
            position,
            text,
            status: GoalStatus::Open.code().into(),
            updated_at: micros(app.now()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(gid)
}

pub async fn set_goal_status(
    app: &App,
    actor: &Actor,
    id: Uuid,
    goal_id: Uuid,
    status: &str,
) -> Result<()> {
    let mut errs = FieldErrors::new();
    let status = parse_code(
        &mut errs,
        "status",
        Some(status),
        GoalStatus::parse,
        GoalStatus::codes,
        true,
    );
    let status = errs
        .finish(status)?
        .ok_or_else(|| AppError::Internal("status".into()))?;
    let (mut tx, _row) = load(app, actor, Action::CoursePlan, id, false).await?;
    if !store::set_goal_status(&mut tx, id, goal_id, status.code(), micros(app.now())).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// One area's rating.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    #[schema(required = true)]
    pub area: Option<String>,
    /// 1 (very concerning) to 5 (no concern).
    #[schema(required = true)]
    pub rating: Option<i16>,
    pub comment: Option<String>,
}

/// A structured assessment: every area rated, and at the follow-ups the answer
/// the targets count.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `baseline`, `closure`, `six_months` or `twelve_months`.
    #[schema(required = true)]
    pub point: Option<String>,
    #[schema(required = true)]
    pub on: Option<String>,
    /// Education or employment status (required at `twelve_months`).
    pub occupation: Option<String>,
    /// Risk judgement (required at `six_months`).
    pub risk: Option<String>,
    #[serde(default)]
    #[schema(required = true)]
    pub ratings: Vec<RatingInput>,
}

pub async fn record_assessment(
    app: &App,
    actor: &Actor,
    id: Uuid,
    input: &AssessmentInput,
) -> Result<Uuid> {
    let today = app.today();
    let mut errs = FieldErrors::new();
    let point = parse_code(
        &mut errs,
        "point",
        input.point.as_deref(),
        AssessmentPoint::parse,
        AssessmentPoint::codes,
        true,
    );
    let on = parse_date(&mut errs, "on", input.on.as_deref(), today, true);
    let occupation = parse_code(
        &mut errs,
        "occupation",
        input.occupation.as_deref(),
        Occupation::parse,
        Occupation::codes,
        point == Some(AssessmentPoint::TwelveMonths),
    );
    let risk = parse_code(
        &mut errs,
        "risk",
        input.risk.as_deref(),
        RiskJudgement::parse,
        RiskJudgement::codes,
        point == Some(AssessmentPoint::SixMonths),
    );
    let mut ratings = Vec::new();
    for (i, r) in input.ratings.iter().enumerate() {
        let area = parse_code(
            &mut errs,
            &format!("ratings[{i}].area"),
            r.area.as_deref(),
            AssessmentArea::parse,
            AssessmentArea::codes,
            true,
        );
        let comment = optional_text(
            &mut errs,
            &format!("ratings[{i}].comment"),
            r.comment.as_deref(),
            MAX_NOTE,
        );
        match r.rating {
            Some(v) if valid_rating(v) => {}
            Some(_) => errs.add(
                format!("ratings[{i}].rating"),
                "out_of_range",
                format!("must be between {RATING_MIN} and {RATING_MAX}"),
            ),
            None => errs.add(format!("ratings[{i}].rating"), "required", "is required"),
        }
        if let (Some(area), Some(v)) = (area, r.rating) {
            if ratings.iter().any(|x: &RatingRow| x.area == area.code()) {
                errs.add(
                    format!("ratings[{i}].area"),
                    "duplicate",
                    "each area is rated once",
                );
            }
            ratings.push(RatingRow {
                assessment_id: Uuid::nil(),
                area: area.code().into(),
                rating: i64::from(v),
                comment,
            });
        }
    }
    for area in AssessmentArea::ALL {
        if !input
            .ratings
            .iter()
            .any(|r| r.area.as_deref() == Some(area.code()))
        {
            errs.add(
                "ratings",
                "required",
                format!("every area is rated; missing {}", area.code()),
            );
        }
    }
    errs.finish(())?;
    let (Some(point), Some(on)) = (point, on) else {
        return Err(AppError::Internal(
            "validated assessment fields missing".into(),
        ));
    };
    let (mut tx, row) = load(app, actor, Action::AssessmentRecord, id, false).await?;
    let follow_up = match point {
        AssessmentPoint::SixMonths => Some(FollowUpKind::Risk),
        AssessmentPoint::TwelveMonths => Some(FollowUpKind::Occupation),
        _ => None,
    };
    if follow_up.is_some() && status_of(&row)? != CourseStatus::Completed {
        return Err(AppError::Conflict(
            "follow-ups are recorded on completed courses".into(),
        ));
    }
    if let Some(kind) = follow_up {
        let due = vink_store::follow_up::of_course(&mut tx, id)
            .await?
            .into_iter()
            .find(|(k, _, _)| k == kind.code())
            .and_then(|(_, due, _)| due.parse::<Date>().ok());
        if let Some(due) = due
            && !follow_up_answerable(due, on, app.config.follow_up_tolerance_days)
        {
            return Err(invalid(
                "on",
                "too_early",
                &format!(
                    "this follow-up is due on {due}; an answer is accepted from {} days before",
                    app.config.follow_up_tolerance_days
                ),
            ));
        }
    }
    let aid = vink_domain::new_id();
    let now = micros(app.now());
    store::insert_assessment(
        &mut tx,
        id,
        &AssessmentRow {
            id: aid,
            point: point.code().into(),
            on_date: on.to_string(),
            occupation: occupation.map(|o| o.code().into()),
            risk: risk.map(|r| r.code().into()),
        },
        &ratings,
        now,
        actor.user_id(),
    )
    .await?;
    if let Some(kind) = follow_up
        && !vink_store::follow_up::record(&mut tx, id, kind.code(), aid, now).await?
    {
        return Err(AppError::Conflict(
            "this follow-up is already recorded".into(),
        ));
    }
    let answer = match follow_up {
        Some(FollowUpKind::Risk) => risk.map(Answer::Risk),
        Some(FollowUpKind::Occupation) => occupation.map(Answer::Occupation),
        None => None,
    };
    if let (Some(kind), Some(answer), Some(ended)) = (follow_up, answer, date_of(&row.ended_on)) {
        vink_store::fact::append(&mut tx, &[Fact::follow_up_answered(kind, ended, answer)]).await?;
    }
    tx.commit_noting(Some(point.code().into())).await?;
    Ok(aid)
}
