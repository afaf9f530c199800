//! Key figures for the unit's targets, as pure arithmetic over facts the store
//! hands in. Each share keeps its numerator and denominator; follow-ups not yet
//! recorded and answers of "unknown" are counted apart, never as failures.

use serde::Serialize;

use crate::course::{Occupation, RiskJudgement};

/// The plan's target for both outcome shares.
pub const DEFAULT_TARGET_PERCENT: i64 = 70;

/// One completed course's follow-up answers; `None` while pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletedCourse {
    pub risk: Option<RiskJudgement>,
    pub occupation: Option<Occupation>,
}

/// A share with everything needed to check it by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Share {
    /// Courses whose answer meets the target's definition.
    pub numerator: i64,
    /// Courses with a known answer (yes or no).
    pub denominator: i64,
    /// Follow-ups not recorded yet: not in the denominator.
    pub pending: i64,
    /// Recorded as "unknown" (e.g. contact lost): not in the denominator.
    pub unknown: i64,
    /// The numerator as a percentage of the denominator, rounded down; absent
    /// when nothing has been answered.
    pub percent: Option<i64>,
    pub target_percent: i64,
}

impl Share {
    /// A share from its counts; the percentage is rounded down.
    pub fn of(numerator: i64, denominator: i64, pending: i64, unknown: i64, target: i64) -> Self {
        Share {
            numerator,
            denominator,
            pending,
            unknown,
            percent: (denominator > 0).then(|| numerator * 100 / denominator),
            target_percent: target,
        }
    }
}

/// The outcome figures of a set of completed courses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutcomeShares {
    pub completed: i64,
    /// No longer at risk 6 months after the end.
    pub no_longer_at_risk: Share,
    /// In education or employment within 12 months of the end.
    pub in_education_or_employment: Share,
}

pub fn outcome_shares(courses: &[CompletedCourse], target_percent: i64) -> OutcomeShares {
    let (mut r_yes, mut r_known, mut r_pending, mut r_unknown) = (0, 0, 0, 0);
    let (mut o_yes, mut o_known, mut o_pending, mut o_unknown) = (0, 0, 0, 0);
    for c in courses {
        match c.risk {
            None => r_pending += 1,
            Some(RiskJudgement::Unknown) => r_unknown += 1,
            Some(j) => {
                r_known += 1;
                if j == RiskJudgement::NoLongerAtRisk {
                    r_yes += 1;
                }
            }
        }
        match c.occupation.map(Occupation::in_education_or_employment) {
            None => o_pending += 1,
            Some(None) => o_unknown += 1,
            Some(Some(yes)) => {
                o_known += 1;
                if yes {
                    o_yes += 1;
                }
            }
        }
    }
    OutcomeShares {
        completed: i64::try_from(courses.len()).unwrap_or(i64::MAX),
        no_longer_at_risk: Share::of(r_yes, r_known, r_pending, r_unknown, target_percent),
        in_education_or_employment: Share::of(o_yes, o_known, o_pending, o_unknown, target_percent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RiskJudgement::*;

    #[test]
    fn pending_and_unknown_are_apart() {
        let c = |risk, occupation| CompletedCourse { risk, occupation };
        let set = [
            c(Some(NoLongerAtRisk), Some(Occupation::Employed)),
            c(Some(NoLongerAtRisk), Some(Occupation::Neither)),
            c(Some(StillAtRisk), Some(Occupation::InEducation)),
            c(Some(Unknown), Some(Occupation::Unknown)),
            c(None, None),
        ];
        let s = outcome_shares(&set, 70);
        assert_eq!(s.completed, 5);
        assert_eq!(
            s.no_longer_at_risk,
            Share {
                numerator: 2,
                denominator: 3,
                pending: 1,
                unknown: 1,
                percent: Some(66),
                target_percent: 70
            }
        );
        assert_eq!(
            (
                s.in_education_or_employment.numerator,
                s.in_education_or_employment.denominator
            ),
            (2, 3)
        );
        assert_eq!(outcome_shares(&[], 70).no_longer_at_risk.percent, None);
    }
}
