//! The closed catalogue of key figures and the one function that answers
//! any of them for any period from the sums of anonymous facts
//! ([`crate::fact`]). The store hands in sums; nothing here reads a case.

use std::collections::HashMap;

use serde::Serialize;

use crate::activity::{ActivityKind, TargetGroup};
use crate::course::{CourseKind, FollowUpKind, Occupation, RiskJudgement};
use crate::fact::{Code, FactKind};
use crate::metrics::{Cell, PeriodRule, suppress_row};
use crate::report::{OutcomeShares, Share};
use crate::triage::Decision;

/// Where a fact's day lies against the period: before it, or in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Before,
    In,
}

/// Which fact kinds a period needs, and how: a range (`In` only) or the
/// whole history up to the period's end (`Before` and `In`), for figures of
/// things that run (a course started years ago may still run).
pub fn history_kinds() -> &'static [FactKind] {
    &[
        FactKind::CourseStarted,
        FactKind::CourseEnded,
        FactKind::ForumJoined,
        FactKind::ForumLeft,
    ]
}
pub fn range_kinds() -> &'static [FactKind] {
    &[
        FactKind::ConcernReceived,
        FactKind::ConcernDecided,
        FactKind::FollowUpAnswered,
        FactKind::ActivityHeld,
        FactKind::Participants,
    ]
}

/// Summed facts of one period: per `(kind, bucket)` the sums by code and
/// detail, and the distinct counts that sums cannot give (institutions in
/// capacity building, counted by the store over organisations, which hold
/// no personal data). Keyed by kind and bucket so a figure reads only its
/// own few entries.
///
/// Within a kind and bucket the sums are a short list keyed by catalogue
/// [`Code`]s (a few dozen at most: decisions by timeliness, activity kinds
/// by target group), searched in place: a ten-year report adds thousands of
/// rows and reads each month's figures, and string keys in hash maps made
/// string comparison the top of its profile.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    cells: [Vec<(Code, Code, i64)>; CELLS],
    institutions: Option<i64>,
}

/// One list of sums for each kind and bucket.
const CELLS: usize = FactKind::ALL.len() * 2;

fn cell(kind: FactKind, bucket: Bucket) -> usize {
    kind as usize * 2 + bucket as usize
}

/// A figure counted as distinct things rather than summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distinct {
    /// Institutions with a capacity-building engagement running in the period.
    CapacityBuildingInstitutions,
}

impl Sums {
    /// The sums of `period` over facts held in memory, bucketed as the
    /// store's statement buckets them: what a recount from the case tables
    /// (tests, benchmarks) compares with.
    pub fn of_facts<'a>(
        facts: impl IntoIterator<Item = &'a crate::fact::Fact>,
        period: &crate::metrics::Period,
    ) -> Sums {
        let mut s = Sums::default();
        for f in facts {
            let bucket = if f.day() < period.from {
                Bucket::Before
            } else if f.day() <= period.to {
                Bucket::In
            } else {
                continue;
            };
            if bucket == Bucket::Before && !history_kinds().contains(&f.kind()) {
                continue;
            }
            s.add(f.kind(), f.code_key(), f.detail_key(), bucket, f.n());
        }
        s
    }

    pub fn set_distinct(&mut self, d: Distinct, n: i64) {
        match d {
            Distinct::CapacityBuildingInstitutions => self.institutions = Some(n),
        }
    }

    fn distinct(&self, d: Distinct) -> i64 {
        match d {
            Distinct::CapacityBuildingInstitutions => self.institutions.unwrap_or(0),
        }
    }

    pub fn add(&mut self, kind: FactKind, code: Code, detail: Code, bucket: Bucket, n: i64) {
        let sums = &mut self.cells[cell(kind, bucket)];
        match sums.iter_mut().find(|(c, d, _)| *c == code && *d == detail) {
            Some((_, _, sum)) => *sum += n,
            None => sums.push((code, detail, n)),
        }
    }

    /// The sum over facts of a kind in a bucket, optionally of one code and
    /// one detail.
    fn sum(&self, kind: FactKind, bucket: Bucket, code: Option<Code>, detail: Option<Code>) -> i64 {
        self.cells[cell(kind, bucket)]
            .iter()
            .filter(|(c, d, _)| code.is_none_or(|x| x == *c) && detail.is_none_or(|x| x == *d))
            .map(|(_, _, n)| n)
            .sum()
    }
}

/// A figure of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Concerns received in the period.
    ConcernsReceived,
    /// Of the concerns received in the period, those decided founded
    /// (local action or another authority).
    ConcernsFounded,
    /// Of the concerns received in the period, those decided to need local
    /// action: the 48-hour target's denominator.
    ConcernsNeedingLocalAction,
    /// Of those, decided within the triage deadline.
    ConcernsTriagedOnTime,
    /// Courses running on some day of the period.
    CoursesRunning,
    CoursesRunningOf(CourseKind),
    /// Courses that started in the period.
    CoursesStarted,
    /// Courses started before the period and still running in it.
    CoursesCarriedOver,
    CoursesCompleted,
    CoursesDiscontinued,
    /// Of the courses completed in the period, no longer at risk at the
    /// 6-month follow-up (a share; pending answers apart).
    NoLongerAtRisk,
    /// Of the courses completed in the period, in education or employment
    /// at the 12-month follow-up.
    InEducationOrEmployment,
    /// Held activities of a kind in the period.
    Activities(ActivityKind),
    /// Participants of a target group at held activities (of one kind, or
    /// of all).
    Participants(Option<ActivityKind>, TargetGroup),
    /// Participants of every target group at held activities of a kind
    /// (the 2014 plan's "10 presentations with at least 150 participants").
    ParticipantsAt(ActivityKind),
    /// Organisations in the citizen forum on the period's last day.
    ForumOrganisations,
    /// Citizen-forum meetings held in the period.
    ForumMeetings,
    /// Distinct institutions with capacity building running in the period.
    InstitutionsCapacityBuilding,
}

/// A count or a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Share,
}

impl Metric {
    /// The whole catalogue, in report order.
    pub fn all() -> Vec<Metric> {
        let mut v = vec![
            Metric::ConcernsReceived,
            Metric::ConcernsFounded,
            Metric::ConcernsNeedingLocalAction,
            Metric::ConcernsTriagedOnTime,
            Metric::CoursesRunning,
        ];
        v.extend(CourseKind::ALL.iter().map(|k| Metric::CoursesRunningOf(*k)));
        v.extend([
            Metric::CoursesStarted,
            Metric::CoursesCarriedOver,
            Metric::CoursesCompleted,
            Metric::CoursesDiscontinued,
            Metric::NoLongerAtRisk,
            Metric::InEducationOrEmployment,
        ]);
        v.extend([
            Metric::ForumOrganisations,
            Metric::ForumMeetings,
            Metric::InstitutionsCapacityBuilding,
        ]);
        v.extend(ActivityKind::ALL.iter().map(|k| Metric::Activities(*k)));
        v.extend(ActivityKind::ALL.iter().map(|k| Metric::ParticipantsAt(*k)));
        v.extend(
            TargetGroup::ALL
                .iter()
                .map(|g| Metric::Participants(None, *g)),
        );
        for k in ActivityKind::ALL {
            v.extend(
                TargetGroup::ALL
                    .iter()
                    .map(|g| Metric::Participants(Some(*k), *g)),
            );
        }
        v
    }

    pub fn code(self) -> String {
        match self {
            Metric::ConcernsReceived => "concerns_received".into(),
            Metric::ConcernsFounded => "concerns_founded".into(),
            Metric::ConcernsNeedingLocalAction => "concerns_needing_local_action".into(),
            Metric::ConcernsTriagedOnTime => "concerns_triaged_on_time".into(),
            Metric::CoursesRunning => "courses_running".into(),
            Metric::CoursesRunningOf(k) => format!("courses_running.{}", k.code()),
            Metric::CoursesStarted => "courses_started".into(),
            Metric::CoursesCarriedOver => "courses_carried_over".into(),
            Metric::CoursesCompleted => "courses_completed".into(),
            Metric::CoursesDiscontinued => "courses_discontinued".into(),
            Metric::NoLongerAtRisk => "no_longer_at_risk".into(),
            Metric::InEducationOrEmployment => "in_education_or_employment".into(),
            Metric::ForumOrganisations => "forum_organisations".into(),
            Metric::ForumMeetings => "forum_meetings".into(),
            Metric::InstitutionsCapacityBuilding => "institutions_capacity_building".into(),
            Metric::Activities(k) => format!("activities.{}", k.code()),
            Metric::Participants(None, g) => format!("participants.{}", g.code()),
            Metric::ParticipantsAt(k) => format!("participants.{}", k.code()),
            Metric::Participants(Some(k), g) => {
                format!("participants.{}.{}", k.code(), g.code())
            }
        }
    }

    pub fn parse(code: &str) -> Option<Metric> {
        static BY_CODE: std::sync::OnceLock<HashMap<String, Metric>> = std::sync::OnceLock::new();
        BY_CODE
            .get_or_init(|| Metric::all().into_iter().map(|m| (m.code(), m)).collect())
            .get(code)
            .copied()
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::NoLongerAtRisk | Metric::InEducationOrEmployment => Unit::Share,
            _ => Unit::Count,
        }
    }

    /// Whether the figure counts persons of concern (their concerns, their
    /// courses): only those fall under the small-number rule. Activities
    /// and their participants name nobody who is at risk.
    pub fn counts_persons(self) -> bool {
        !matches!(
            self,
            Metric::Activities(_)
                | Metric::Participants(..)
                | Metric::ParticipantsAt(_)
                | Metric::ForumOrganisations
                | Metric::ForumMeetings
                | Metric::InstitutionsCapacityBuilding
        )
    }

    /// How the figure relates its things to the period.
    pub fn rule(self) -> PeriodRule {
        match self {
            Metric::ConcernsReceived
            | Metric::ConcernsFounded
            | Metric::ConcernsNeedingLocalAction
            | Metric::ConcernsTriagedOnTime
            | Metric::CoursesStarted
            | Metric::Activities(_)
            | Metric::Participants(..)
            | Metric::ParticipantsAt(_)
            | Metric::ForumMeetings => PeriodRule::StartedIn,
            Metric::ForumOrganisations => PeriodRule::AtEnd,
            Metric::InstitutionsCapacityBuilding => PeriodRule::RunningDuring,
            Metric::CoursesRunning | Metric::CoursesRunningOf(_) => PeriodRule::RunningDuring,
            Metric::CoursesCarriedOver => PeriodRule::CarriedOver,
            Metric::CoursesCompleted | Metric::CoursesDiscontinued => PeriodRule::EndedIn,
            Metric::NoLongerAtRisk | Metric::InEducationOrEmployment => PeriodRule::Cohort,
        }
    }
}

/// A figure's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Count(i64),
    Share(Share),
}

/// Answers one metric from a period's sums.
pub fn evaluate(m: Metric, s: &Sums, target_percent: i64) -> Value {
    use Bucket::{Before, In};
    use FactKind::*;
    let started_to =
        |k: Option<Code>| s.sum(CourseStarted, Before, k, None) + s.sum(CourseStarted, In, k, None);
    let started_before = |k: Option<Code>| s.sum(CourseStarted, Before, k, None);
    let ended_before = |k: Option<Code>| s.sum(CourseEnded, Before, k, None);
    let decided =
        |d: Decision, detail: Option<Code>| s.sum(ConcernDecided, In, Some(d.into()), detail);
    match m {
        Metric::ConcernsReceived => Value::Count(s.sum(ConcernReceived, In, None, None)),
        Metric::ConcernsFounded => Value::Count(
            Decision::ALL
                .iter()
                .filter(|d| d.is_founded())
                .map(|d| decided(*d, None))
                .sum(),
        ),
        Metric::ConcernsNeedingLocalAction => {
            Value::Count(decided(Decision::FoundedLocalAction, None))
        }
        Metric::ConcernsTriagedOnTime => {
            Value::Count(decided(Decision::FoundedLocalAction, Some(Code::ON_TIME)))
        }
        // Running on some day = started by the end, less ended before the start.
        Metric::CoursesRunning => Value::Count(started_to(None) - ended_before(None)),
        Metric::CoursesRunningOf(k) => {
            Value::Count(started_to(Some(k.into())) - ended_before(Some(k.into())))
        }
        Metric::CoursesStarted => Value::Count(s.sum(CourseStarted, In, None, None)),
        Metric::CoursesCarriedOver => Value::Count(started_before(None) - ended_before(None)),
        Metric::CoursesCompleted => {
            Value::Count(s.sum(CourseEnded, In, None, Some(Code::COMPLETED)))
        }
        Metric::CoursesDiscontinued => {
            Value::Count(s.sum(CourseEnded, In, None, Some(Code::DISCONTINUED)))
        }
        Metric::NoLongerAtRisk => Value::Share(outcomes(s, target_percent).no_longer_at_risk),
        Metric::InEducationOrEmployment => {
            Value::Share(outcomes(s, target_percent).in_education_or_employment)
        }
        // Members on the last day = joined by then, less left by then.
        Metric::ForumOrganisations => Value::Count(
            s.sum(ForumJoined, Before, None, None) + s.sum(ForumJoined, In, None, None)
                - s.sum(ForumLeft, Before, None, None)
                - s.sum(ForumLeft, In, None, None),
        ),
        Metric::ForumMeetings => Value::Count(s.sum(
            ActivityHeld,
            In,
            Some(ActivityKind::CitizenForum.into()),
            None,
        )),
        Metric::InstitutionsCapacityBuilding => {
            Value::Count(s.distinct(Distinct::CapacityBuildingInstitutions))
        }
        Metric::Activities(k) => Value::Count(s.sum(ActivityHeld, In, Some(k.into()), None)),
        Metric::Participants(k, g) => {
            Value::Count(s.sum(Participants, In, k.map(Code::from), Some(g.into())))
        }
        Metric::ParticipantsAt(k) => Value::Count(s.sum(Participants, In, Some(k.into()), None)),
    }
}

/// Concerns received in the period and not decided yet: for a share over
/// the concerns needing local action, the ones that may still join it
/// (pending, never counted as failures).
pub fn undecided(s: &Sums) -> i64 {
    let received = s.sum(FactKind::ConcernReceived, Bucket::In, None, None);
    let decided = s.sum(FactKind::ConcernDecided, Bucket::In, None, None);
    (received - decided).max(0)
}

/// The outcome shares of the courses completed in the period, from facts.
pub fn outcomes(s: &Sums, target_percent: i64) -> OutcomeShares {
    use FactKind::{CourseEnded, FollowUpAnswered};
    let completed = s.sum(CourseEnded, Bucket::In, None, Some(Code::COMPLETED));
    let answers = |kind: FollowUpKind, detail: Code| {
        s.sum(
            FollowUpAnswered,
            Bucket::In,
            Some(kind.into()),
            Some(detail),
        )
    };
    let risk = |j: RiskJudgement| answers(FollowUpKind::Risk, j.into());
    let occ = |o: Occupation| answers(FollowUpKind::Occupation, o.into());
    let r_yes = risk(RiskJudgement::NoLongerAtRisk);
    let r_unknown = risk(RiskJudgement::Unknown);
    let r_known: i64 = RiskJudgement::ALL
        .iter()
        .filter(|j| **j != RiskJudgement::Unknown)
        .map(|j| risk(*j))
        .sum();
    let o_yes: i64 = Occupation::ALL
        .iter()
        .filter(|o| o.in_education_or_employment() == Some(true))
        .map(|o| occ(*o))
        .sum();
    let o_known: i64 = Occupation::ALL
        .iter()
        .filter(|o| o.in_education_or_employment().is_some())
        .map(|o| occ(*o))
        .sum();
    let o_unknown = occ(Occupation::Unknown);
    OutcomeShares {
        completed,
        no_longer_at_risk: Share::of(
            r_yes,
            r_known,
            completed - r_known - r_unknown,
            r_unknown,
            target_percent,
        ),
        in_education_or_employment: Share::of(
            o_yes,
            o_known,
            completed - o_known - o_unknown,
            o_unknown,
            target_percent,
        ),
    }
}

/// Courses of one kind in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindCounts {
    pub kind: CourseKind,
    /// Running on some day of the period.
    pub running: i64,
    /// Of those, started before it.
    pub carried_over: i64,
    pub completed: i64,
    pub discontinued: i64,
}

/// The course kinds that ran in the period, in code order.
pub fn by_kind(s: &Sums) -> Vec<KindCounts> {
    use Bucket::{Before, In};
    use FactKind::{CourseEnded, CourseStarted};
    let mut kinds: Vec<KindCounts> = CourseKind::ALL
        .iter()
        .map(|k| {
            let c = Some(Code::from(*k));
            let started_before = s.sum(CourseStarted, Before, c, None);
            let ended_before = s.sum(CourseEnded, Before, c, None);
            KindCounts {
                kind: *k,
                running: started_before + s.sum(CourseStarted, In, c, None) - ended_before,
                carried_over: started_before - ended_before,
                completed: s.sum(CourseEnded, In, c, Some(Code::COMPLETED)),
                discontinued: s.sum(CourseEnded, In, c, Some(Code::DISCONTINUED)),
            }
        })
        .filter(|k| k.running > 0)
        .collect();
    kinds.sort_by_key(|k| k.kind.code());
    kinds
}

/// One figure as published: hidden values are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub code: String,
    pub unit: Unit,
    /// The period rule (`started_in`, `running_during`, `carried_over`,
    /// `ended_in`, `cohort`).
    pub rule: String,
    /// The count, or a share's numerator; absent when suppressed.
    pub value: Option<i64>,
    /// Shares: the answers that count (yes or no).
    pub denominator: Option<i64>,
    /// Shares: completed courses whose answer is not recorded yet.
    pub pending: Option<i64>,
    /// Shares: answered "unknown", kept out of the denominator.
    pub unknown: Option<i64>,
    /// Shares: the percentage, rounded down; absent without answers or when
    /// suppressed.
    pub percent: Option<i64>,
    pub target_percent: Option<i64>,
    /// True when a small number (or its complement) is hidden: shown as "<5".
    pub suppressed: bool,
}

/// Every metric of the catalogue for one period's sums.
pub fn figures(s: &Sums, target_percent: i64) -> Vec<Figure> {
    Metric::all()
        .into_iter()
        .map(|m| {
            let mut f = Figure {
                code: m.code(),
                unit: m.unit(),
                rule: m.rule().code().to_string(),
                value: None,
                denominator: None,
                pending: None,
                unknown: None,
                percent: None,
                target_percent: None,
                suppressed: false,
            };
            match evaluate(m, s, target_percent) {
                Value::Count(n) => f.value = Some(n),
                Value::Share(sh) => {
                    f.value = Some(sh.numerator);
                    f.denominator = Some(sh.denominator);
                    f.pending = Some(sh.pending);
                    f.unknown = Some(sh.unknown);
                    f.percent = sh.percent;
                    f.target_percent = Some(sh.target_percent);
                }
            }
            f
        })
        .collect()
}

/// Hides small numbers for readers without case access: every count from 1
/// to 4; a part whose complement in its whole is that small (so the two
/// shown figures cannot give it away); among the course kinds, which add up
/// to the running total, a partner for a lone hidden cell; and a share whose
/// cells (yes, no, unknown, pending) hold a small number, with its
/// percentage.
pub fn suppress(figures: &mut [Figure]) {
    let value = |fs: &[Figure], code: &str| {
        fs.iter()
            .find(|f| f.code == code)
            .and_then(|f| f.value)
            .unwrap_or(0)
    };
    let small = |n: i64| n > 0 && n < crate::metrics::SMALL;
    // Parts whose complement is published implicitly: (part, whole).
    let pairs = [
        ("concerns_founded", "concerns_received"),
        ("concerns_triaged_on_time", "concerns_needing_local_action"),
        ("concerns_needing_local_action", "concerns_received"),
        ("courses_carried_over", "courses_running"),
    ];
    let mut hide: Vec<String> = Vec::new();
    for (part, whole) in pairs {
        if small(value(figures, whole) - value(figures, part)) {
            hide.push(part.into());
        }
    }
    let kinds: Vec<String> = CourseKind::ALL
        .iter()
        .map(|k| Metric::CoursesRunningOf(*k).code())
        .collect();
    let row: Vec<i64> = kinds.iter().map(|k| value(figures, k)).collect();
    for (code, cell) in kinds.iter().zip(suppress_row(&row)) {
        if cell == Cell::Hidden {
            hide.push(code.clone());
        }
    }
    for f in figures.iter_mut() {
        if !Metric::parse(&f.code).is_some_and(Metric::counts_persons) {
            continue;
        }
        match f.unit {
            Unit::Count => {
                if f.value.is_some_and(small) || hide.contains(&f.code) {
                    f.value = None;
                    f.suppressed = true;
                }
            }
            Unit::Share => {
                let (yes, known) = (f.value.unwrap_or(0), f.denominator.unwrap_or(0));
                let cells = [
                    yes,
                    known - yes,
                    f.unknown.unwrap_or(0),
                    f.pending.unwrap_or(0),
                ];
                if suppress_row(&cells).contains(&Cell::Hidden) {
                    f.value = None;
                    f.denominator = None;
                    f.pending = None;
                    f.unknown = None;
                    f.percent = None;
                    f.suppressed = true;
                }
            }
        }
    }
}

#[cfg(test)]
impl Sums {
    /// [`Sums::add`] by the codes' text.
    fn add_text(&mut self, kind: FactKind, code: &str, detail: &str, bucket: Bucket, n: i64) {
        let of = |c: &str| Code::of(c).unwrap_or_else(|| panic!("not a catalogue code: {c}"));
        self.add(kind, of(code), of(detail), bucket, n);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn undecided_concerns_are_received_less_decided() {
        let mut s = Sums::default();
        s.add_text(FactKind::ConcernReceived, "", "", Bucket::In, 5);
        s.add_text(
            FactKind::ConcernDecided,
            "unfounded",
            "on_time",
            Bucket::In,
            2,
        );
        s.add_text(
            FactKind::ConcernDecided,
            "founded_local_action",
            "late",
            Bucket::In,
            1,
        );
        // Decided before the period: not this period's.
        s.add_text(
            FactKind::ConcernDecided,
            "unfounded",
            "on_time",
            Bucket::Before,
            4,
        );
        assert_eq!(undecided(&s), 2);
    }

    use super::*;
    use crate::fact::ON_TIME;

    #[test]
    fn every_code_parses_back_and_codes_are_unique() {
        let all = Metric::all();
        for m in &all {
            assert_eq!(Metric::parse(&m.code()), Some(*m));
        }
        let mut codes: Vec<String> = all.iter().map(|m| m.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn running_and_carried_over_come_from_history() {
        let mut s = Sums::default();
        // Two mentor courses started before the period, one of which ended
        // before it; one exit course started in it.
        s.add_text(FactKind::CourseStarted, "mentor", "", Bucket::Before, 2);
        s.add_text(
            FactKind::CourseEnded,
            "mentor",
            "completed",
            Bucket::Before,
            1,
        );
        s.add_text(FactKind::CourseStarted, "exit", "", Bucket::In, 1);
        let count = |m| match evaluate(m, &s, 70) {
            Value::Count(n) => n,
            Value::Share(_) => -1,
        };
        assert_eq!(count(Metric::CoursesRunning), 2);
        assert_eq!(count(Metric::CoursesCarriedOver), 1);
        assert_eq!(count(Metric::CoursesRunningOf(CourseKind::Mentor)), 1);
        assert_eq!(count(Metric::CoursesRunningOf(CourseKind::Exit)), 1);
        assert_eq!(count(Metric::CoursesStarted), 1);
        assert_eq!(count(Metric::CoursesCompleted), 0);
    }

    /// A concern is filed under its Copenhagen day: 00:30 on the 1st is the
    /// previous day in UTC, and the summer-time changes move midnight.
    #[test]
    fn facts_fall_on_copenhagen_days_across_midnight_and_summer_time() {
        use crate::concern::local_date;
        use crate::fact::Fact;
        let day = |utc: &str| {
            let t: jiff::Timestamp = utc.parse().unwrap_or_default();
            Fact::concern_received(local_date(t)).day().to_string()
        };
        // Winter (+1): 00:30 on 1 March is 23:30 on 28 February in UTC.
        assert_eq!(day("2026-02-28T23:30:00Z"), "2026-03-01");
        assert_eq!(day("2026-02-28T22:59:59Z"), "2026-02-28");
        // Summer (+2): 00:30 on 1 June is 22:30 on 31 May in UTC.
        assert_eq!(day("2026-05-31T22:30:00Z"), "2026-06-01");
        assert_eq!(day("2026-05-31T21:59:59Z"), "2026-05-31");
        // The night summer time begins (29 March 2026, 02:00 → 03:00) and
        // ends (25 October, 03:00 → 02:00): midnight is 23:00 and 22:00 UTC.
        assert_eq!(day("2026-03-28T23:00:00Z"), "2026-03-29");
        assert_eq!(day("2026-03-29T21:59:59Z"), "2026-03-29");
        assert_eq!(day("2026-03-29T22:00:00Z"), "2026-03-30");
        assert_eq!(day("2026-10-24T22:00:00Z"), "2026-10-25");
        assert_eq!(day("2026-10-25T22:59:59Z"), "2026-10-25");
        assert_eq!(day("2026-10-25T23:00:00Z"), "2026-10-26");
    }

    /// A course starting on the period's last day runs in it and is not
    /// carried over; one ending on its first day ran in it, ended in it.
    #[test]
    fn courses_on_the_edges_of_a_period() {
        use crate::fact::Fact;
        use crate::metrics::Period;
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap_or_default();
        let p = Period {
            from: d("2026-06-01"),
            to: d("2026-06-30"),
        };
        let facts = [
            Fact::course_started(CourseKind::Mentor, d("2026-06-30")),
            Fact::course_started(CourseKind::Exit, d("2026-03-01")),
            Fact::course_ended(CourseKind::Exit, d("2026-06-01"), true),
            Fact::course_started(CourseKind::Exit, d("2026-07-01")),
        ];
        let s = Sums::of_facts(&facts, &p);
        let count = |m| match evaluate(m, &s, 70) {
            Value::Count(n) => n,
            Value::Share(_) => -1,
        };
        assert_eq!(count(Metric::CoursesRunning), 2);
        assert_eq!(count(Metric::CoursesRunningOf(CourseKind::Mentor)), 1);
        assert_eq!(count(Metric::CoursesCarriedOver), 1);
        assert_eq!(count(Metric::CoursesStarted), 1);
        assert_eq!(count(Metric::CoursesCompleted), 1);
    }

    #[test]
    fn small_numbers_and_their_complements_are_hidden() {
        let mut s = Sums::default();
        s.add_text(FactKind::ConcernReceived, "", "", Bucket::In, 40);
        s.add_text(
            FactKind::ConcernDecided,
            "founded_local_action",
            ON_TIME,
            Bucket::In,
            37,
        );
        let mut f = figures(&s, 70);
        suppress(&mut f);
        let get = |c: &str| f.iter().find(|x| x.code == c).cloned();
        let founded = get("concerns_founded");
        // 37 founded of 40 received: the 3 unfounded would show; founded hides.
        assert_eq!(founded.map(|x| (x.value, x.suppressed)), Some((None, true)));
        assert_eq!(get("concerns_received").and_then(|x| x.value), Some(40));
        // Zero is shown.
        assert_eq!(get("courses_running").and_then(|x| x.value), Some(0));
    }

    proptest::proptest! {
        /// The fact arithmetic (prefix sums split at the period's start)
        /// counts exactly what the period rules say, for any courses and any
        /// period.
        #[test]
        fn fact_sums_count_what_the_period_rules_say(
            courses in proptest::collection::vec((0i32..900, proptest::option::of(0i32..400)), 0..30),
            ps in 0i32..1200, plen in 0i32..400,
        ) {
            use crate::fact::Fact;
            use crate::metrics::Period;
            let base = jiff::civil::date(2024, 1, 1);
            let at = |n: i32| base.checked_add(jiff::Span::new().days(n)).unwrap_or(base);
            let p = Period { from: at(ps), to: at(ps + plen) };
            let mut all = Vec::new();
            let mut expect = [0i64; 4];
            for (start, len) in &courses {
                let (st, end) = (at(*start), len.map(|l| at(start + l)));
                let mut facts = vec![Fact::course_started(CourseKind::Mentor, st)];
                if let Some(e) = end {
                    facts.push(Fact::course_ended(CourseKind::Mentor, e, true));
                }
                all.extend(facts);
                for (i, rule) in [PeriodRule::RunningDuring, PeriodRule::CarriedOver, PeriodRule::StartedIn, PeriodRule::EndedIn].iter().enumerate() {
                    if rule.counts(&p, st, end) {
                        expect[i] += 1;
                    }
                }
            }
            let s = Sums::of_facts(&all, &p);
            let count = |m| match evaluate(m, &s, 70) { Value::Count(n) => n, Value::Share(_) => -1 };
            proptest::prop_assert_eq!(
                [count(Metric::CoursesRunning), count(Metric::CoursesCarriedOver), count(Metric::CoursesStarted), count(Metric::CoursesCompleted)],
                expect
            );
        }

        /// Forum members at the end of a period, from joined and left facts,
        /// are exactly the memberships the at-end rule counts.
        #[test]
        fn forum_members_at_the_end_follow_the_at_end_rule(
            spans in proptest::collection::vec((0i32..900, proptest::option::of(0i32..400)), 0..30),
            ps in 0i32..1200, plen in 0i32..400,
        ) {
            use crate::metrics::Period;
            use crate::organisation::Span;
            let base = jiff::civil::date(2024, 1, 1);
            let at = |n: i32| base.checked_add(jiff::Span::new().days(n)).unwrap_or(base);
            let p = Period { from: at(ps), to: at(ps + plen) };
            let mut all = Vec::new();
            let mut expect = 0;
            for (start, len) in &spans {
                let span = Span { from: at(*start), to: len.map(|l| at(start + l)) };
                all.extend(span.forum_facts());
                if PeriodRule::AtEnd.counts(&p, span.from, span.to) {
                    expect += 1;
                }
            }
            let s = Sums::of_facts(&all, &p);
            proptest::prop_assert_eq!(evaluate(Metric::ForumOrganisations, &s, 70), Value::Count(expect));
        }
    }
}
