//! One-to-one programmes (courses): their lifecycle, the consent rule, the
//! mentor's structured record (goals, contacts, assessments) and the follow-up
//! dates that the unit's 6- and 12-month targets are measured on.

use jiff::ToSpan;
use jiff::civil::Date;
use thiserror::Error;

use crate::person::MinorStatus;
pub use crate::triage::ProgrammeKind as CourseKind;

crate::code_enum!(
    /// Where a course stands. `planned → active → completed | discontinued`; a
    /// planned course may also be discontinued before it starts.
    CourseStatus {
        Planned => "planned",
        Active => "active",
        Completed => "completed",
        Discontinued => "discontinued",
    }
);

crate::code_enum!(
    /// The prevention triangle's level the course works at.
    PreventionLevel {
        Preventive => "preventive",
        PreEmptive => "pre_emptive",
        Interventive => "interventive",
    }
);

crate::code_enum!(
    /// How a contact in the mentor's log took place.
    ContactForm {
        Meeting => "meeting",
        Phone => "phone",
        Online => "online",
        WithFamily => "with_family",
    }
);

crate::code_enum!(
    /// A goal of the personal plan.
    GoalStatus {
        Open => "open",
        Achieved => "achieved",
        Dropped => "dropped",
    }
);

crate::code_enum!(
    /// When an assessment was made.
    AssessmentPoint {
        Baseline => "baseline",
        Closure => "closure",
        SixMonths => "six_months",
        TwelveMonths => "twelve_months",
    }
);

crate::code_enum!(
    /// The areas every assessment covers, each rated by a professional.
    AssessmentArea {
        EducationEmployment => "education_employment",
        Housing => "housing",
        SocialNetwork => "social_network",
        Wellbeing => "wellbeing",
        ExtremistContact => "extremist_contact",
    }
);

crate::code_enum!(
    /// The professional's answer to "is the person in education or employment?",
    /// recorded at the 12-month follow-up (and at any assessment).
    Occupation {
        InEducation => "in_education",
        Employed => "employed",
        Neither => "neither",
        Unknown => "unknown",
    }
);

impl Occupation {
    pub fn in_education_or_employment(self) -> Option<bool> {
        match self {
            Occupation::InEducation | Occupation::Employed => Some(true),
            Occupation::Neither => Some(false),
            Occupation::Unknown => None,
        }
    }
}

crate::code_enum!(
    /// The professional's judgement at the 6-month follow-up. Recorded, never computed.
    RiskJudgement {
        NoLongerAtRisk => "no_longer_at_risk",
        StillAtRisk => "still_at_risk",
        Unknown => "unknown",
    }
);

/// The fixed rating scale of every assessment area (1 = very concerning, 5 = no
/// concern). A rating is one professional's judgement of one area; the areas are
/// never added up or turned into a score about the person.
pub const RATING_MIN: i16 = 1;
pub const RATING_MAX: i16 = 5;

pub fn valid_rating(r: i16) -> bool {
    (RATING_MIN..=RATING_MAX).contains(&r)
}

/// The follow-up offsets after a course ends (the plan's 6 and 12 months).
pub const DEFAULT_RISK_FOLLOW_UP_MONTHS: i32 = 6;
pub const DEFAULT_OCCUPATION_FOLLOW_UP_MONTHS: i32 = 12;

crate::code_enum!(
    /// The two follow-ups every completed course gets.
    FollowUpKind {
        Risk => "risk",
        Occupation => "occupation",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CourseError {
    #[error("a course cannot move from {from} to {to}")]
    InvalidTransition {
        from: CourseStatus,
        to: CourseStatus,
    },
    #[error("consent must be recorded before the course starts")]
    ConsentMissing,
    #[error(
        "the person may be a minor: a parent's or guardian's consent must be recorded before the course starts"
    )]
    GuardianConsentMissing,
    #[error(
        "the consent is dated after the course started: consent must be given on or before the start"
    )]
    ConsentAfterStart,
    #[error("consent cannot be removed by re-recording it; record a withdrawal instead")]
    ConsentRemoved,
    #[error("the date cannot lie in the future")]
    DateInFuture,
    #[error("the end date cannot lie before the start date")]
    EndBeforeStart,
    #[error(
        "record the closing assessment before completing the course, or give the reason it is skipped in the note"
    )]
    ClosureMissing,
}

impl CourseError {
    /// A conflict with the course's state (409) rather than a bad request (422).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            CourseError::InvalidTransition { .. }
                | CourseError::ConsentMissing
                | CourseError::GuardianConsentMissing
                | CourseError::ConsentAfterStart
                | CourseError::ConsentRemoved
        )
    }

    pub fn field(&self) -> &'static str {
        match self {
            CourseError::ConsentMissing
            | CourseError::GuardianConsentMissing
            | CourseError::ConsentAfterStart
            | CourseError::ConsentRemoved => "consent",
            CourseError::DateInFuture | CourseError::EndBeforeStart => "on",
            CourseError::InvalidTransition { .. } => "to",
            CourseError::ClosureMissing => "note",
        }
    }
}

/// A course is completed with its closing assessment on record, or with the
/// reason it was skipped: the 6- and 12-month follow-ups compare against it.
pub fn check_completion(has_closure: bool, note: Option<&str>) -> Result<(), CourseError> {
    if has_closure || note.is_some_and(|n| !n.trim().is_empty()) {
        Ok(())
    } else {
        Err(CourseError::ClosureMissing)
    }
}

/// What the consent rule needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentFacts {
    /// The day the person consented, if they have.
    pub person_consent: Option<Date>,
    /// The day a parent or guardian consented, if one has.
    pub guardian_consent: Option<Date>,
    /// The person's minor status on the start date.
    pub minor: MinorStatus,
}

/// Checks a lifecycle move. Starting needs the person's consent, and a
/// guardian's as well unless the person is known to be an adult. `on` is the
/// day the move takes effect; it may not lie in the future, nor an end before
/// the start.
pub fn check_course_transition(
    from: CourseStatus,
    to: CourseStatus,
    consent: ConsentFacts,
    started_on: Option<Date>,
    on: Date,
    today: Date,
) -> Result<(), CourseError> {
    use CourseStatus::*;
    let edge = matches!(
        (from, to),
        (Planned, Active) | (Planned, Discontinued) | (Active, Completed) | (Active, Discontinued)
    );
    if !edge {
        return Err(CourseError::InvalidTransition { from, to });
    }
    if on > today {
        return Err(CourseError::DateInFuture);
    }
    if let Some(s) = started_on
        && on < s
    {
        return Err(CourseError::EndBeforeStart);
    }
    if to == Active {
        check_consent_covers(consent, on)?;
    }
    Ok(())
}

/// Whether the recorded consent covers a course that starts (or started) on
/// `start`: the person's consent, and a guardian's unless the person is known
/// to be an adult, each given on or before that day.
pub fn check_consent_covers(consent: ConsentFacts, start: Date) -> Result<(), CourseError> {
    match consent.person_consent {
        None => return Err(CourseError::ConsentMissing),
        Some(d) if d > start => return Err(CourseError::ConsentAfterStart),
        Some(_) => {}
    }
    if consent.minor != MinorStatus::Adult {
        match consent.guardian_consent {
            None => return Err(CourseError::GuardianConsentMissing),
            Some(d) if d > start => return Err(CourseError::ConsentAfterStart),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks a re-recording of consent. On a running course the consent must
/// still cover its start, and nothing already given may silently disappear
/// (withdrawal is its own, recorded step); a planned course may be corrected freely.
pub fn check_consent_change(
    status: CourseStatus,
    started_on: Option<Date>,
    before: ConsentFacts,
    after: ConsentFacts,
) -> Result<(), CourseError> {
    if status != CourseStatus::Active {
        return Ok(());
    }
    if (before.person_consent.is_some() && after.person_consent.is_none())
        || (before.guardian_consent.is_some() && after.guardian_consent.is_none())
    {
        return Err(CourseError::ConsentRemoved);
    }
    match started_on {
        Some(start) => check_consent_covers(after, start),
        None => Ok(()),
    }
}

crate::code_enum!(
    /// Who withdraws consent to a course.
    ConsentParty {
        Person => "person",
        Guardian => "guardian",
    }
);

/// What a withdrawal of consent does to a course: a running course cannot
/// go on (it is discontinued on the day of withdrawal); a planned one keeps its
/// status but cannot start until consent is recorded again.
pub fn status_after_withdrawal(status: CourseStatus) -> Result<CourseStatus, CourseError> {
    match status {
        CourseStatus::Active => Ok(CourseStatus::Discontinued),
        CourseStatus::Planned => Ok(CourseStatus::Planned),
        s => Err(CourseError::InvalidTransition {
            from: s,
            to: CourseStatus::Discontinued,
        }),
    }
}

/// Whether a follow-up answer may be recorded on `on`: from the due date less
/// a tolerance, so an answer given on the day a course ended cannot count as
/// the 6- or 12-month follow-up.
pub fn follow_up_answerable(due_on: Date, on: Date, tolerance_days: i32) -> bool {
    match due_on.checked_sub(jiff::Span::new().days(tolerance_days)) {
        Ok(earliest) => on >= earliest,
        Err(_) => true,
    }
}

/// The statuses a course may move to next.
pub fn next_course_statuses(from: CourseStatus) -> &'static [CourseStatus] {
    match from {
        CourseStatus::Planned => &[CourseStatus::Active, CourseStatus::Discontinued],
        CourseStatus::Active => &[CourseStatus::Completed, CourseStatus::Discontinued],
        _ => &[],
    }
}

/// The day a follow-up is due: `months` after the end. A day that does not exist
/// in the target month falls on that month's last day (31 Aug + 6 months is 28 or
/// 29 Feb).
pub fn follow_up_due(ended_on: Date, months: i32) -> Option<Date> {
    ended_on.checked_add(months.months()).ok()
}

/// Whether a course counts as carried over into `year`: it started in an earlier
/// year and was still running when `year` began.
pub fn carried_over_into(year: i16, started_on: Option<Date>, ended_on: Option<Date>) -> bool {
    match started_on {
        Some(s) if s.year() < year => ended_on.is_none_or(|e| e.year() >= year),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_needs_the_closing_assessment_or_a_reason() {
        assert!(check_completion(true, None).is_ok());
        assert!(check_completion(false, Some("Flyttet fra kommunen")).is_ok());
        assert_eq!(
            check_completion(false, None),
            Err(CourseError::ClosureMissing)
        );
        assert_eq!(
            check_completion(false, Some("  ")),
            Err(CourseError::ClosureMissing)
        );
        assert_eq!(CourseError::ClosureMissing.field(), "note");
        assert!(!CourseError::ClosureMissing.is_conflict());
    }
    use jiff::civil::date;
    use proptest::prelude::*;

    const ADULT: ConsentFacts = ConsentFacts {
        person_consent: Some(date(2026, 2, 1)),
        guardian_consent: None,
        minor: MinorStatus::Adult,
    };

    fn go(from: CourseStatus, to: CourseStatus, c: ConsentFacts) -> Result<(), CourseError> {
        check_course_transition(from, to, c, None, date(2026, 3, 1), date(2026, 3, 2))
    }

    #[test]
    fn lifecycle_edges() {
        use CourseStatus::*;
        for from in CourseStatus::ALL {
            for to in CourseStatus::ALL {
                let ok = go(*from, *to, ADULT).is_ok();
                assert_eq!(
                    ok,
                    next_course_statuses(*from).contains(to),
                    "{from} → {to}"
                );
            }
        }
        assert!(go(Completed, Active, ADULT).unwrap_err().is_conflict());
    }

    #[test]
    fn consent_before_start_and_guardian_for_minors() {
        use CourseStatus::*;
        let none = ConsentFacts {
            person_consent: None,
            ..ADULT
        };
        assert_eq!(go(Planned, Active, none), Err(CourseError::ConsentMissing));
        for minor in [
            MinorStatus::Minor,
            MinorStatus::Possibly,
            MinorStatus::Unknown,
        ] {
            let c = ConsentFacts { minor, ..ADULT };
            assert_eq!(
                go(Planned, Active, c),
                Err(CourseError::GuardianConsentMissing),
                "{minor}"
            );
            assert!(
                go(
                    Planned,
                    Active,
                    ConsentFacts {
                        guardian_consent: Some(date(2026, 2, 2)),
                        ..c
                    }
                )
                .is_ok()
            );
        }
        // Discontinuing a planned course needs no consent.
        assert!(go(Planned, Discontinued, none).is_ok());
    }

    #[test]
    fn consent_must_be_dated_on_or_before_the_start() {
        use CourseStatus::*;
        // `go` starts on 2026-03-01.
        let late = ConsentFacts {
            person_consent: Some(date(2026, 3, 31)),
            ..ADULT
        };
        assert_eq!(
            go(Planned, Active, late),
            Err(CourseError::ConsentAfterStart)
        );
        let same_day = ConsentFacts {
            person_consent: Some(date(2026, 3, 1)),
            ..ADULT
        };
        assert!(go(Planned, Active, same_day).is_ok());
        let minor_late_guardian = ConsentFacts {
            minor: MinorStatus::Minor,
            guardian_consent: Some(date(2026, 3, 2)),
            ..ADULT
        };
        assert_eq!(
            go(Planned, Active, minor_late_guardian),
            Err(CourseError::ConsentAfterStart)
        );
    }

    #[test]
    fn re_recording_never_drops_consent_on_a_running_course() {
        let minor = ConsentFacts {
            minor: MinorStatus::Minor,
            guardian_consent: Some(date(2026, 2, 1)),
            ..ADULT
        };
        let dropped = ConsentFacts {
            guardian_consent: None,
            ..minor
        };
        let start = Some(date(2026, 3, 1));
        assert_eq!(
            check_consent_change(CourseStatus::Active, start, minor, dropped),
            Err(CourseError::ConsentRemoved)
        );
        assert!(check_consent_change(CourseStatus::Planned, None, minor, dropped).is_ok());
        let later = ConsentFacts {
            person_consent: Some(date(2026, 4, 1)),
            ..minor
        };
        assert_eq!(
            check_consent_change(CourseStatus::Active, start, minor, later),
            Err(CourseError::ConsentAfterStart)
        );
        assert_eq!(
            status_after_withdrawal(CourseStatus::Active),
            Ok(CourseStatus::Discontinued)
        );
        assert_eq!(
            status_after_withdrawal(CourseStatus::Planned),
            Ok(CourseStatus::Planned)
        );
        assert!(status_after_withdrawal(CourseStatus::Completed).is_err());
    }

    #[test]
    fn follow_up_answers_only_near_their_due_date() {
        let due = date(2026, 9, 30);
        assert!(!follow_up_answerable(due, date(2026, 3, 31), 30));
        assert!(!follow_up_answerable(due, date(2026, 8, 30), 30));
        assert!(follow_up_answerable(due, date(2026, 8, 31), 30));
        assert!(follow_up_answerable(due, date(2026, 12, 1), 30));
    }

    #[test]
    fn dates_must_be_past_and_in_order() {
        use CourseStatus::*;
        let today = date(2026, 3, 2);
        assert_eq!(
            check_course_transition(Active, Completed, ADULT, None, date(2026, 3, 3), today),
            Err(CourseError::DateInFuture)
        );
        assert_eq!(
            check_course_transition(
                Active,
                Completed,
                ADULT,
                Some(date(2026, 2, 1)),
                date(2026, 1, 31),
                today
            ),
            Err(CourseError::EndBeforeStart)
        );
    }

    #[test]
    fn follow_ups_fall_on_month_ends_when_needed() {
        assert_eq!(follow_up_due(date(2026, 8, 31), 6), Some(date(2027, 2, 28)));
        assert_eq!(follow_up_due(date(2027, 8, 31), 6), Some(date(2028, 2, 29)));
        assert_eq!(
            follow_up_due(date(2028, 2, 29), 12),
            Some(date(2029, 2, 28))
        );
        assert_eq!(
            follow_up_due(date(2026, 1, 15), 12),
            Some(date(2027, 1, 15))
        );
    }

    #[test]
    fn carried_over_means_started_earlier_and_running_into_the_year() {
        assert!(carried_over_into(2026, Some(date(2025, 11, 1)), None));
        assert!(carried_over_into(
            2026,
            Some(date(2025, 11, 1)),
            Some(date(2026, 2, 1))
        ));
        assert!(!carried_over_into(
            2026,
            Some(date(2025, 11, 1)),
            Some(date(2025, 12, 31))
        ));
        assert!(!carried_over_into(2026, Some(date(2026, 1, 1)), None));
        assert!(!carried_over_into(2026, None, None));
    }

    #[test]
    fn ratings_are_on_the_fixed_scale() {
        assert!(valid_rating(1) && valid_rating(5));
        assert!(!valid_rating(0) && !valid_rating(6));
    }

    proptest! {
        /// Over every day of several years, incl. leap years and month ends: the
        /// due date is exactly `months` calendar months later, on the same day or
        /// the month's last day when that day does not exist.
        #[test]
        fn follow_up_dates(day in 0i64..(366 * 8), months in prop::sample::select(vec![6, 12])) {
            let end = date(2024, 1, 1).checked_add(day.days()).unwrap();
            let due = follow_up_due(end, months).unwrap();
            let month_index = |d: Date| i32::from(d.year()) * 12 + i32::from(d.month());
            prop_assert_eq!(month_index(due) - month_index(end), months);
            prop_assert!(due > end);
            if due.day() != end.day() {
                prop_assert!(due.day() < end.day());
                prop_assert_eq!(due, due.last_of_month());
            }
        }
    }
}
