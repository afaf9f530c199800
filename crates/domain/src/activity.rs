//! The unit's preventive and pre-emptive work with groups: presentations,
//! theme days, dialogue activities, workshops, citizen-forum meetings,
//! capacity building. An activity records what was held and how many took
//! part per target group; it names no person of concern. Only held
//! activities count, and every change of one is counted as the difference
//! between its facts before and after.

use jiff::civil::Date;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::course::PreventionLevel;
use crate::fact::Fact;
use crate::validation::{
    DateRule, FieldErrors, date_field, optional_text, required_code, required_text,
};

crate::code_enum!(
    /// What kind of activity (glossary names).
    ActivityKind {
        Presentation => "presentation",
        ThemeDay => "theme_day",
        NetworkMeeting => "network_meeting",
        Dialogue => "dialogue",
        YouthDialogue => "youth_dialogue",
        Workshop => "workshop",
        CitizenForum => "citizen_forum",
        CapacityBuilding => "capacity_building",
        ParentCourse => "parent_course",
        Advisory => "advisory",
    }
);

crate::code_enum!(
    /// Who took part: a fixed list, so counts add up across activities.
    TargetGroup {
        FrontLineStaff => "front_line_staff",
        Parents => "parents",
        Pupils => "pupils",
        YoungPeople => "young_people",
        Citizens => "citizens",
        LocalProfessionals => "local_professionals",
        WomensNetworks => "womens_networks",
        Organisations => "organisations",
        Corps => "corps",
    }
);

crate::code_enum!(
    /// Only held activities count.
    ActivityStatus {
        Planned => "planned",
        Held => "held",
        Cancelled => "cancelled",
    }
);

crate::code_enum!(
    /// The unit's focus areas ("indsatsområder", as in the 2016-17 key
    /// figures).
    FocusArea {
        /// 1: individual programmes and the coordination of concerns.
        Individual => "individual",
        /// 2: advice and training of front-line staff.
        FrontLine => "front_line",
        /// 3: supporting work in civil society.
        CivilSociety => "civil_society",
    }
);

/// The most people one activity may count per target group: a typo guard
/// (a theme day of 100 000 is a slip of the finger).
pub const MAX_PARTICIPANTS: i64 = 20_000;
pub const MAX_TITLE: usize = 200;
pub const MAX_DISTRICT: usize = 80;

/// One target group's count as given.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    #[schema(required = true)]
    pub target_group: Option<String>,
    #[schema(required = true)]
    pub count: Option<i64>,
}

/// An activity as given by the API, the form or a CSV row.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    #[schema(required = true)]
    pub kind: Option<String>,
    /// The day it was (or will be) held (`YYYY-MM-DD` or `dd.mm.åååå`).
    #[schema(required = true)]
    pub held_on: Option<String>,
    /// `planned`, `held` or `cancelled`.
    #[schema(required = true)]
    pub status: Option<String>,
    #[schema(required = true)]
    pub title: Option<String>,
    /// `individual`, `front_line` or `civil_society`.
    #[schema(required = true)]
    pub focus_area: Option<String>,
    /// `preventive`, `pre_emptive` or `interventive`.
    pub prevention_level: Option<String>,
    pub district: Option<String>,
    /// The organising unit (an agency code); the unit itself when absent.
    pub agency: Option<String>,
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    /// Partner organisations by id.
    #[serde(default)]
    pub organisations: Vec<Uuid>,
    /// Corps members who attended, by id (theme days and network meetings
    /// only): their number is the corps count.
    #[serde(default)]
    pub corps_members: Vec<Uuid>,
}

/// A validated activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub kind: ActivityKind,
    pub held_on: Date,
    pub status: ActivityStatus,
    pub title: String,
    pub focus_area: FocusArea,
    pub prevention_level: Option<PreventionLevel>,
    pub district: Option<String>,
    /// Counts per target group, each group once, zeros left out.
    pub participants: Vec<(TargetGroup, i64)>,
}

impl Activity {
    /// Checks an input; errors name the field (`participants[2].count`).
    /// A held activity cannot lie after `today`.
    pub fn validate(input: &ActivityInput, today: Date) -> Result<Activity, FieldErrors> {
        let mut errs = FieldErrors::new();
        let kind = required_code(
            &mut errs,
            "kind",
            input.kind.as_deref(),
            ActivityKind::parse,
            ActivityKind::codes,
        );
        let status = required_code(
            &mut errs,
            "status",
            input.status.as_deref(),
            ActivityStatus::parse,
            ActivityStatus::codes,
        );
        let rule = DateRule {
            not_after: (status == Some(ActivityStatus::Held)).then_some(today),
            not_before: None,
        };
        let held_on = date_field(&mut errs, "held_on", input.held_on.as_deref(), rule, true);
        let title = required_text(&mut errs, "title", input.title.as_deref(), MAX_TITLE);
        let focus_area = required_code(
            &mut errs,
            "focus_area",
            input.focus_area.as_deref(),
            FocusArea::parse,
            FocusArea::codes,
        );
        let prevention_level = match input.prevention_level.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => {
                let v = PreventionLevel::parse(p);
                if v.is_none() {
                    errs.add(
                        "prevention_level",
                        "unknown_value",
                        format!(
                            "unknown value; expected one of: {}",
                            PreventionLevel::codes()
                        ),
                    );
                }
                v
            }
        };
        let district = optional_text(
            &mut errs,
            "district",
            input.district.as_deref(),
            MAX_DISTRICT,
        );
        let mut participants: Vec<(TargetGroup, i64)> = Vec::new();
        for (i, p) in input.participants.iter().enumerate() {
            let group = required_code(
                &mut errs,
                &format!("participants[{i}].target_group"),
                p.target_group.as_deref(),
                TargetGroup::parse,
                TargetGroup::codes,
            );
            let field = format!("participants[{i}].count");
            let count = match p.count {
                None => {
                    errs.add(field, "required", "is required");
                    None
                }
                Some(n) if n < 0 => {
                    errs.add(field, "negative", "cannot be negative");
                    None
                }
                Some(n) if n > MAX_PARTICIPANTS => {
                    errs.add(field, "out_of_range", format!("at most {MAX_PARTICIPANTS}"));
                    None
                }
                Some(n) => Some(n),
            };
            if let Some(g) = group {
                if participants.iter().any(|(x, _)| *x == g) {
                    errs.add(
                        format!("participants[{i}].target_group"),
                        "duplicate",
                        "each target group once",
                    );
                } else if let Some(n) = count.filter(|n| *n > 0) {
                    participants.push((g, n));
                }
            }
        }
        // Attendees named: they are the corps count, and only a theme day or
        // a network meeting has them.
        let mut attendees = input.corps_members.clone();
        attendees.sort();
        attendees.dedup();
        if !attendees.is_empty() {
            if !matches!(
                kind,
                Some(ActivityKind::ThemeDay | ActivityKind::NetworkMeeting)
            ) {
                errs.add(
                    "corps_members",
                    "not_allowed",
                    "only theme days and network meetings have corps attendees",
                );
            }
            let n = i64::try_from(attendees.len()).unwrap_or(i64::MAX);
            match participants
                .iter_mut()
                .find(|(g, _)| *g == TargetGroup::Corps)
            {
                Some((_, c)) if *c != n => {
                    let i = input
                        .participants
                        .iter()
                        .position(|p| p.target_group.as_deref() == Some("corps"))
                        .unwrap_or(0);
                    errs.add(
                        format!("participants[{i}].count"),
                        "corps_count_mismatch",
                        format!("the corps count follows the {n} attendees named"),
                    );
                }
                Some(_) => {}
                None => participants.push((TargetGroup::Corps, n)),
            }
        }
        participants.sort_by_key(|(g, _)| TargetGroup::ALL.iter().position(|x| x == g));
        let (Some(kind), Some(held_on), Some(status), Some(title), Some(focus_area)) =
            (kind, held_on, status, title, focus_area)
        else {
            return Err(errs);
        };
        errs.finish(Activity {
            kind,
            held_on,
            status,
            title,
            focus_area,
            prevention_level,
            district,
            participants,
        })
    }

    /// What the activity counts: nothing unless held; then the activity and
    /// its participants per target group, on the day it was held.
    pub fn facts(&self) -> Vec<Fact> {
        if self.status != ActivityStatus::Held {
            return Vec::new();
        }
        let mut f = vec![Fact::activity_held(self.kind, self.held_on)];
        f.extend(
            self.participants
                .iter()
                .map(|(g, n)| Fact::participants(self.kind, *g, self.held_on, *n)),
        );
        f
    }

    /// The facts that turn `before`'s count into `after`'s: the old ones
    /// taken back, the new ones added (both empty when nothing counted changes).
    pub fn change(before: Option<&Activity>, after: &Activity) -> Vec<Fact> {
        let old = before.map(Activity::facts).unwrap_or_default();
        let new = after.facts();
        if old == new {
            return Vec::new();
        }
        old.iter().map(Fact::negated).chain(new).collect()
    }

    /// The participants summed over every target group.
    pub fn total_participants(&self) -> i64 {
        self.participants.iter().map(|(_, n)| n).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ActivityInput {
        ActivityInput {
            kind: Some("workshop".into()),
            held_on: Some("12.03.2026".into()),
            status: Some("held".into()),
            title: Some("Workshop om online propaganda".into()),
            focus_area: Some("civil_society".into()),
            participants: vec![
                ParticipantInput {
                    target_group: Some("young_people".into()),
                    count: Some(24),
                },
                ParticipantInput {
                    target_group: Some("parents".into()),
                    count: Some(0),
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_held_activity_counts_itself_and_its_participants() {
        let a = Activity::validate(&input(), jiff::civil::date(2026, 12, 1));
        let a = a.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.participants, vec![(TargetGroup::YoungPeople, 24)]);
        let f = a.facts();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].n(), 24);
        // Cancelling takes both back.
        let cancelled = Activity {
            status: ActivityStatus::Cancelled,
            ..a.clone()
        };
        let change = Activity::change(Some(&a), &cancelled);
        assert_eq!(change.iter().map(Fact::n).sum::<i64>(), -25);
        assert!(Activity::change(Some(&a), &a).is_empty());
    }

    #[test]
    fn bad_input_names_each_field() {
        let mut i = input();
        i.kind = Some("party".into());
        i.held_on = Some("2026-12-24".into());
        i.participants.push(ParticipantInput {
            target_group: Some("young_people".into()),
            count: Some(-3),
        });
        i.participants.push(ParticipantInput {
            target_group: Some("voters".into()),
            count: Some(3),
        });
        let e = Activity::validate(&i, jiff::civil::date(2026, 12, 1))
            .err()
            .unwrap_or_default();
        let fields: Vec<(&str, &str)> = e.0.iter().map(|x| (x.field.as_str(), x.code)).collect();
        assert!(fields.contains(&("kind", "unknown_value")), "{fields:?}");
        assert!(fields.contains(&("held_on", "in_future")), "{fields:?}");
        assert!(
            fields.contains(&("participants[2].count", "negative")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("participants[3].target_group", "unknown_value")),
            "{fields:?}"
        );
        // A planned activity may lie ahead.
        let mut p = input();
        p.status = Some("planned".into());
        p.held_on = Some("2027-01-10".into());
        assert!(Activity::validate(&p, jiff::civil::date(2026, 12, 1)).is_ok());
    }
}
