//! The annual action plan ("handleplan"): its purposes, focus areas with
//! their prevention level and intended effect, interventions, and annual
//! targets. A quantitative target names a metric of the key-figure
//! catalogue, so its actual value is counted from facts and nobody types
//! one; a qualitative target is assessed by a person with a note. Nothing in
//! a plan is about a person.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::course::PreventionLevel;
use crate::key_figures::{Metric, Unit};
use crate::validation::{FieldErrors, optional_text, required_code, required_text};

crate::code_enum!(
    /// Where a plan is in its life: drafted, adopted by the committee, or
    /// closed with its figures frozen.
    PlanStatus {
        Draft => "draft",
        Adopted => "adopted",
        Closed => "closed",
    }
);

impl PlanStatus {
    /// A draft is adopted, an adopted plan is closed; nothing goes back (a
    /// closed plan's figures are frozen).
    pub fn can_move_to(self, to: PlanStatus) -> bool {
        matches!(
            (self, to),
            (PlanStatus::Draft, PlanStatus::Adopted) | (PlanStatus::Adopted, PlanStatus::Closed)
        )
    }
}

crate::code_enum!(
    /// What a target asks for.
    TargetKind {
        /// At least so many of a counted metric in the year.
        Count => "count",
        /// At least so many distinct things (institutions, organisations).
        Distinct => "distinct",
        /// At least a percentage: a share metric, or a numerator over a
        /// denominator.
        Share => "share",
        /// Assessed by a person with a note and evidence.
        Qualitative => "qualitative",
    }
);

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 4_000;
/// A plan runs one or more whole years, at most this many.
pub const MAX_YEARS: i16 = 10;
/// Plans, focus areas and targets are written by hand: generous bounds
/// that still stop a runaway file.
pub const MAX_ITEMS: usize = 200;

/// What a share target divides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ratio {
    /// A share metric that carries its own denominator and pending cases
    /// (the outcome shares).
    Of(Metric),
    /// One count over another (cases triaged on time over cases needing
    /// local action).
    Over {
        numerator: Metric,
        denominator: Metric,
    },
}

/// A target's goal, checked against the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Count { metric: Metric, at_least: i64 },
    Distinct { metric: Metric, at_least: i64 },
    Share { ratio: Ratio, percent: i64 },
    Qualitative,
}

impl Goal {
    pub fn kind(&self) -> TargetKind {
        match self {
            Goal::Count { .. } => TargetKind::Count,
            Goal::Distinct { .. } => TargetKind::Distinct,
            Goal::Share { .. } => TargetKind::Share,
            Goal::Qualitative => TargetKind::Qualitative,
        }
    }

    /// The metric a target follows (the numerator of a share), if any.
    pub fn metric(&self) -> Option<Metric> {
        match *self {
            Goal::Count { metric, .. } | Goal::Distinct { metric, .. } => Some(metric),
            Goal::Share {
                ratio: Ratio::Of(m),
                ..
            } => Some(m),
            Goal::Share {
                ratio: Ratio::Over { numerator, .. },
                ..
            } => Some(numerator),
            Goal::Qualitative => None,
        }
    }

    pub fn denominator(&self) -> Option<Metric> {
        match *self {
            Goal::Share {
                ratio: Ratio::Over { denominator, .. },
                ..
            } => Some(denominator),
            _ => None,
        }
    }

    /// The number asked for: a count or a percentage.
    pub fn value(&self) -> Option<i64> {
        match *self {
            Goal::Count { at_least, .. } | Goal::Distinct { at_least, .. } => Some(at_least),
            Goal::Share { percent, .. } => Some(percent),
            Goal::Qualitative => None,
        }
    }
}

/// Metrics that count distinct things rather than events.
fn is_distinct(m: Metric) -> bool {
    matches!(
        m,
        Metric::InstitutionsCapacityBuilding | Metric::ForumOrganisations
    )
}

/// A target as given in a form, the API or an import file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// The target as the plan words it ("10 målrettede dialogaktiviteter").
    pub text: Option<String>,
    /// `count`, `distinct`, `share` or `qualitative`.
    pub kind: Option<String>,
    /// A metric code of the key-figure catalogue (the numerator of a share).
    pub metric: Option<String>,
    /// For a share of two counts: the denominator's metric code.
    pub denominator: Option<String>,
    /// For count and distinct targets: at least this many.
    pub at_least: Option<i64>,
    /// For share targets: at least this percentage (1–100).
    pub percent: Option<i64>,
    /// The year the target is for; absent, one target for every year of
    /// the plan.
    pub year: Option<i16>,
}

/// A target checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDraft {
    pub text: String,
    pub goal: Goal,
    pub years: Vec<i16>,
}

/// An intervention ("indsats") as given.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionInput {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Who it is for, in the plan's words.
    pub target_group: Option<String>,
    #[serde(default)]
    pub targets: Vec<TargetInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterventionDraft {
    pub title: String,
    pub description: Option<String>,
    pub target_group: Option<String>,
    pub targets: Vec<TargetDraft>,
}

/// A focus area ("indsatsområde") as given.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FocusAreaInput {
    pub title: Option<String>,
    /// `preventive`, `pre_emptive` or `interventive`.
    pub level: Option<String>,
    /// The intended effect ("Fremme af medborgerskab blandt københavnere").
    pub effect: Option<String>,
    #[serde(default)]
    pub interventions: Vec<InterventionInput>,
    /// Targets of the focus area as a whole.
    #[serde(default)]
    pub targets: Vec<TargetInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusAreaDraft {
    pub title: String,
    pub level: PreventionLevel,
    pub effect: Option<String>,
    pub interventions: Vec<InterventionDraft>,
    pub targets: Vec<TargetDraft>,
}

/// A plan as given: the form, `POST /api/v1/plans` and the import file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub title: Option<String>,
    pub from_year: Option<i16>,
    pub to_year: Option<i16>,
    /// `draft` (the default), `adopted` or `closed`.
    pub status: Option<String>,
    /// The plan's purposes, one paragraph each.
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub focus_areas: Vec<FocusAreaInput>,
    /// The grants that fund the plan, with their budget lines.
    #[serde(default)]
    pub grants: Vec<crate::funding::PlanGrantInput>,
}

/// A plan checked, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDraft {
    pub title: String,
    pub from_year: i16,
    pub to_year: i16,
    pub status: PlanStatus,
    pub purposes: Vec<String>,
    pub focus_areas: Vec<FocusAreaDraft>,
    pub grants: Vec<crate::funding::PlanGrant>,
}

impl PlanDraft {
    pub fn years(&self) -> std::ops::RangeInclusive<i16> {
        self.from_year..=self.to_year
    }

    /// Every target with its place: (focus area, intervention) indices.
    pub fn targets(&self) -> impl Iterator<Item = (usize, Option<usize>, &TargetDraft)> {
        self.focus_areas.iter().enumerate().flat_map(|(f, area)| {
            area.targets.iter().map(move |t| (f, None, t)).chain(
                area.interventions
                    .iter()
                    .enumerate()
                    .flat_map(move |(i, iv)| iv.targets.iter().map(move |t| (f, Some(i), t))),
            )
        })
    }
}

/// Checks a whole plan, naming every bad field by its path
/// (`focus_areas[1].targets[0].metric`).
pub fn check(input: &PlanInput) -> Result<PlanDraft, FieldErrors> {
    let mut errs = FieldErrors::new();
    let title = required_text(&mut errs, "title", input.title.as_deref(), MAX_TITLE);
    let from = year(&mut errs, "from_year", input.from_year);
    let to = year(&mut errs, "to_year", input.to_year);
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || t - f >= MAX_YEARS)
    {
        errs.add(
            "to_year",
            "out_of_range",
            format!(
                "must be from from_year to at most {} years on",
                MAX_YEARS - 1
            ),
        );
    }
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => Some(PlanStatus::Draft),
        Some(s) => required_code(
            &mut errs,
            "status",
            Some(s),
            PlanStatus::parse,
            PlanStatus::codes,
        ),
    };
    if status == Some(PlanStatus::Closed) {
        errs.add(
            "status",
            "closed_by_closing",
            "a plan is written as draft or adopted; closing it freezes its figures",
        );
    }
    let purposes: Vec<String> = input
        .purposes
        .iter()
        .enumerate()
        .filter_map(|(i, p)| optional_text(&mut errs, &format!("purposes[{i}]"), Some(p), MAX_TEXT))
        .collect();
    if input.focus_areas.len() > MAX_ITEMS {
        errs.add("focus_areas", "too_many", format!("at most {MAX_ITEMS}"));
    }
    let years = match (from, to) {
        (Some(f), Some(t)) if f <= t => Some(f..=t),
        _ => None,
    };
    let mut focus_areas = Vec::new();
    for (i, fa) in input.focus_areas.iter().enumerate() {
        let at = format!("focus_areas[{i}]");
        if let Some(d) = focus_area(&mut errs, &at, fa, years.clone()) {
            focus_areas.push(d);
        }
    }
    if input.grants.len() > MAX_ITEMS {
        errs.add("grants", "too_many", format!("at most {MAX_ITEMS}"));
    }
    let grants: Vec<crate::funding::PlanGrant> = input
        .grants
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            crate::funding::check_plan_grant(&mut errs, &format!("grants[{i}]"), g)
        })
        .collect();
    let draft = match (title, from, to, status) {
        (Some(title), Some(from_year), Some(to_year), Some(status)) => Some(PlanDraft {
            title,
            from_year,
            to_year,
            status,
            purposes,
            focus_areas,
            grants,
        }),
        _ => None,
    };
    match draft {
        Some(d) if errs.is_empty() => Ok(d),
        _ => Err(errs),
    }
}

fn year(errs: &mut FieldErrors, field: &str, y: Option<i16>) -> Option<i16> {
    match y {
        None => {
            errs.add(field, "required", "is required");
            None
        }
        Some(y) if !(2000..=2100).contains(&y) => {
            errs.add(field, "out_of_range", "must be a year from 2000 to 2100");
            None
        }
        Some(y) => Some(y),
    }
}

fn focus_area(
    errs: &mut FieldErrors,
    at: &str,
    fa: &FocusAreaInput,
    years: Option<std::ops::RangeInclusive<i16>>,
) -> Option<FocusAreaDraft> {
    let title = required_text(errs, &format!("{at}.title"), fa.title.as_deref(), MAX_TITLE);
    let level = required_code(
        errs,
        &format!("{at}.level"),
        fa.level.as_deref(),
        PreventionLevel::parse,
        PreventionLevel::codes,
    );
    let effect = optional_text(
        errs,
        &format!("{at}.effect"),
        fa.effect.as_deref(),
        MAX_TEXT,
    );
    let own = targets(errs, at, &fa.targets, years.clone());
    let mut interventions = Vec::new();
    for (j, iv) in fa.interventions.iter().enumerate() {
        let at = format!("{at}.interventions[{j}]");
        let title = required_text(errs, &format!("{at}.title"), iv.title.as_deref(), MAX_TITLE);
        let description = optional_text(
            errs,
            &format!("{at}.description"),
            iv.description.as_deref(),
            MAX_TEXT,
        );
        let target_group = optional_text(
            errs,
            &format!("{at}.target_group"),
            iv.target_group.as_deref(),
            MAX_TITLE,
        );
        let targets = targets(errs, &at, &iv.targets, years.clone());
        if let Some(title) = title {
            interventions.push(InterventionDraft {
                title,
                description,
                target_group,
                targets,
            });
        }
    }
    Some(FocusAreaDraft {
        title: title?,
        level: level?,
        effect,
        interventions,
        targets: own,
    })
}

fn targets(
    errs: &mut FieldErrors,
    at: &str,
    inputs: &[TargetInput],
    years: Option<std::ops::RangeInclusive<i16>>,
) -> Vec<TargetDraft> {
    if inputs.len() > MAX_ITEMS {
        errs.add(
            format!("{at}.targets"),
            "too_many",
            format!("at most {MAX_ITEMS}"),
        );
        return Vec::new();
    }
    inputs
        .iter()
        .enumerate()
        .filter_map(|(k, t)| target(errs, &format!("{at}.targets[{k}]"), t, years.clone()))
        .collect()
}

/// Checks one target against the catalogue and the plan's years.
pub fn target(
    errs: &mut FieldErrors,
    at: &str,
    t: &TargetInput,
    years: Option<std::ops::RangeInclusive<i16>>,
) -> Option<TargetDraft> {
    let field = |f: &str| format!("{at}.{f}");
    let before = errs.0.len();
    let text = required_text(errs, &field("text"), t.text.as_deref(), MAX_TEXT);
    let kind = required_code(
        errs,
        &field("kind"),
        t.kind.as_deref(),
        TargetKind::parse,
        TargetKind::codes,
    );
    let metric = |errs: &mut FieldErrors, name: &str, code: Option<&str>| -> Option<Metric> {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => {
                errs.add(field(name), "required", "is required");
                None
            }
            Some(c) => {
                let m = Metric::parse(c);
                if m.is_none() {
                    errs.add(
                        field(name),
                        "unknown_metric",
                        format!("{c} is not a metric of the key-figure catalogue"),
                    );
                }
                m
            }
        }
    };
    let at_least = |errs: &mut FieldErrors| match t.at_least {
        None => {
            errs.add(field("at_least"), "required", "is required");
            None
        }
        Some(n) if !(1..=10_000_000).contains(&n) => {
            errs.add(
                field("at_least"),
                "out_of_range",
                "must be from 1 to 10 000 000",
            );
            None
        }
        Some(n) => Some(n),
    };
    let goal = match kind? {
        TargetKind::Count => {
            let m = metric(errs, "metric", t.metric.as_deref());
            let n = at_least(errs);
            if let Some(m) = m
                && (m.unit() != Unit::Count || is_distinct(m))
            {
                errs.add(
                    field("metric"),
                    "wrong_kind",
                    "a count target needs a counted metric (distinct things: kind distinct; shares: kind share)",
                );
            }
            Some(Goal::Count {
                metric: m?,
                at_least: n?,
            })
        }
        TargetKind::Distinct => {
            let m = metric(errs, "metric", t.metric.as_deref());
            let n = at_least(errs);
            if let Some(m) = m
                && !is_distinct(m)
            {
                errs.add(
                    field("metric"),
                    "wrong_kind",
                    "a distinct target needs institutions_capacity_building or forum_organisations",
                );
            }
            Some(Goal::Distinct {
                metric: m?,
                at_least: n?,
            })
        }
        TargetKind::Share => {
            let m = metric(errs, "metric", t.metric.as_deref());
            let percent = match t.percent {
                None => {
                    errs.add(field("percent"), "required", "is required");
                    None
                }
                Some(p) if !(1..=100).contains(&p) => {
                    errs.add(field("percent"), "out_of_range", "must be from 1 to 100");
                    None
                }
                Some(p) => Some(p),
            };
            let ratio = match m {
                Some(m) if m.unit() == Unit::Share => {
                    if t.denominator.is_some() {
                        errs.add(
                            field("denominator"),
                            "not_applicable",
                            "a share metric carries its own denominator",
                        );
                    }
                    Some(Ratio::Of(m))
                }
                Some(numerator) => {
                    if t.denominator.is_none() {
                        errs.add(
                            field("denominator"),
                            "required",
                            "a share of a counted metric needs a denominator metric",
                        );
                    }
                    let d = t
                        .denominator
                        .as_deref()
                        .and_then(|d| metric(errs, "denominator", Some(d)));
                    if let Some(d) = d
                        && d.unit() != Unit::Count
                    {
                        errs.add(
                            field("denominator"),
                            "wrong_kind",
                            "must be a counted metric",
                        );
                    }
                    d.map(|denominator| Ratio::Over {
                        numerator,
                        denominator,
                    })
                }
                None => None,
            };
            Some(Goal::Share {
                ratio: ratio?,
                percent: percent?,
            })
        }
        TargetKind::Qualitative => {
            for (name, given) in [
                ("metric", t.metric.is_some()),
                ("denominator", t.denominator.is_some()),
                ("at_least", t.at_least.is_some()),
                ("percent", t.percent.is_some()),
            ] {
                if given {
                    errs.add(
                        field(name),
                        "not_applicable",
                        "a qualitative target is assessed by a person, not counted",
                    );
                }
            }
            Some(Goal::Qualitative)
        }
    };
    let years: Vec<i16> = match (t.year, years) {
        (Some(y), Some(r)) if r.contains(&y) => vec![y],
        (Some(_), Some(_)) => {
            errs.add(field("year"), "out_of_range", "must be a year of the plan");
            return None;
        }
        (None, Some(r)) => r.collect(),
        (_, None) => return None,
    };
    if errs.0.len() > before {
        return None;
    }
    Some(TargetDraft {
        text: text?,
        goal: goal?,
        years,
    })
}

/// A person's assessment of a qualitative target, as given.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `met`, `on_track`, `at_risk` or `not_met`.
    pub status: Option<String>,
    /// Why: what was seen, by whom (professionals, not persons of concern).
    pub note: Option<String>,
    /// Where the evidence is: a report, minutes, a journal reference.
    pub evidence: Option<String>,
}

/// An assessment checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: crate::attainment::TargetStatus,
    pub note: String,
    pub evidence: Option<String>,
}

/// Checks an assessment: a judgement (not "not yet measurable": that is
/// the absence of one) and a note saying why.
pub fn check_assessment(input: &AssessmentInput) -> Result<Assessment, FieldErrors> {
    use crate::attainment::TargetStatus;
    let mut errs = FieldErrors::new();
    let status = required_code(
        &mut errs,
        "status",
        input.status.as_deref(),
        |s| TargetStatus::parse(s).filter(|s| *s != TargetStatus::NotYetMeasurable),
        || "met, on_track, at_risk, not_met".to_string(),
    );
    let note = required_text(&mut errs, "note", input.note.as_deref(), MAX_TEXT);
    let evidence = optional_text(&mut errs, "evidence", input.evidence.as_deref(), MAX_TEXT);
    match (status, note) {
        (Some(status), Some(note)) if errs.is_empty() => Ok(Assessment {
            status,
            note,
            evidence,
        }),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: &str, metric: Option<&str>) -> TargetInput {
        TargetInput {
            text: Some("mål".into()),
            kind: Some(kind.into()),
            metric: metric.map(Into::into),
            ..Default::default()
        }
    }

    fn plan(targets: Vec<TargetInput>) -> PlanInput {
        PlanInput {
            title: Some("Handleplan".into()),
            from_year: Some(2018),
            to_year: Some(2019),
            focus_areas: vec![FocusAreaInput {
                title: Some("Forebyggende".into()),
                level: Some("preventive".into()),
                targets,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn fields(e: FieldErrors) -> Vec<(String, &'static str)> {
        e.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_target_without_a_year_is_one_per_plan_year() {
        let d = check(&plan(vec![TargetInput {
            at_least: Some(10),
            ..t("count", Some("activities.dialogue"))
        }]))
        .unwrap();
        let (_, _, target) = d.targets().next().unwrap();
        assert_eq!(target.years, vec![2018, 2019]);
        assert_eq!(
            target.goal,
            Goal::Count {
                metric: Metric::parse("activities.dialogue").unwrap(),
                at_least: 10
            }
        );
    }

    #[test]
    fn bad_targets_are_named_by_their_path() {
        let e = check(&plan(vec![
            TargetInput {
                at_least: Some(10),
                ..t("count", Some("activities.bowling"))
            },
            TargetInput {
                percent: Some(100),
                ..t("share", Some("concerns_triaged_on_time"))
            },
            TargetInput {
                percent: Some(70),
                year: Some(2020),
                ..t("share", Some("no_longer_at_risk"))
            },
            TargetInput {
                at_least: Some(5),
                ..t("count", Some("institutions_capacity_building"))
            },
            TargetInput {
                at_least: Some(3),
                ..t("qualitative", None)
            },
            TargetInput {
                percent: Some(170),
                ..t("share", Some("no_longer_at_risk"))
            },
        ]))
        .unwrap_err();
        assert_eq!(
            fields(e),
            vec![
                (
                    "focus_areas[0].targets[0].metric".to_string(),
                    "unknown_metric"
                ),
                ("focus_areas[0].targets[1].denominator".into(), "required"),
                ("focus_areas[0].targets[2].year".into(), "out_of_range"),
                ("focus_areas[0].targets[3].metric".into(), "wrong_kind"),
                (
                    "focus_areas[0].targets[4].at_least".into(),
                    "not_applicable"
                ),
                ("focus_areas[0].targets[5].percent".into(), "out_of_range"),
            ]
        );
    }

    #[test]
    fn a_share_of_two_counts_and_a_share_metric() {
        let d = check(&plan(vec![
            TargetInput {
                percent: Some(100),
                denominator: Some("concerns_needing_local_action".into()),
                ..t("share", Some("concerns_triaged_on_time"))
            },
            TargetInput {
                percent: Some(70),
                year: Some(2019),
                ..t("share", Some("in_education_or_employment"))
            },
        ]))
        .unwrap();
        let goals: Vec<Goal> = d.targets().map(|(_, _, t)| t.goal).collect();
        assert!(matches!(
            goals[0],
            Goal::Share {
                ratio: Ratio::Over { .. },
                percent: 100
            }
        ));
        assert!(matches!(
            goals[1],
            Goal::Share {
                ratio: Ratio::Of(Metric::InEducationOrEmployment),
                percent: 70
            }
        ));
    }

    #[test]
    fn an_assessment_is_a_judgement_with_a_reason() {
        let ok = check_assessment(&AssessmentInput {
            status: Some("met".into()),
            note: Some("SSP har brugt tre oplæg".into()),
            evidence: None,
        })
        .unwrap();
        assert_eq!(ok.status, crate::attainment::TargetStatus::Met);
        let e = check_assessment(&AssessmentInput {
            status: Some("not_yet_measurable".into()),
            note: Some(" ".into()),
            evidence: None,
        })
        .unwrap_err();
        assert_eq!(
            fields(e),
            vec![
                ("status".to_string(), "unknown_value"),
                ("note".into(), "required")
            ]
        );
    }

    #[test]
    fn plan_years_and_status_are_checked() {
        let mut p = plan(vec![]);
        p.to_year = Some(2017);
        p.status = Some("finished".into());
        let e = fields(check(&p).unwrap_err());
        assert_eq!(
            e,
            vec![
                ("to_year".to_string(), "out_of_range"),
                ("status".into(), "unknown_value")
            ]
        );
    }
}
