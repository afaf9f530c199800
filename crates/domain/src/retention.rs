//! Deletion on schedule: a concern the coordination unit found needed no
//! action (unfounded, or advice only) must not live forever. Once its
//! decision is older than the retention period the municipality sets, the
//! case goes: its description, reporter, history, agenda items, and the
//! persons no other case or course still concerns. The facts the key
//! figures count were written anonymously when the events happened, so
//! every report reads the same afterwards.
//!
//! Concerns that led to action (a course, another authority, the police)
//! are kept: their retention follows the course's and the other
//! authority's rules, which are not decided here yet.

use jiff::{Timestamp, ToSpan};

use crate::concern::local_tz;
use crate::triage::Decision;

/// Months from the decision to deletion, unless configured.
pub const DEFAULT_UNFOUNDED_MONTHS: i32 = 12;

/// The decisions after which a concern is deleted at the end of the period.
pub const DELETED_DECISIONS: &[Decision] = &[Decision::Unfounded, Decision::AdviceOnly];

/// The longest period that can be set (ten years).
pub const MAX_MONTHS: i32 = 120;

/// Concerns decided before this instant are due: `months` calendar months
/// before `now`, in Copenhagen (so a decision on 31 March is due on the
/// last day of the month, twelve months on, not earlier).
pub fn cutoff(now: Timestamp, months: i32) -> Option<Timestamp> {
    if !(1..=MAX_MONTHS).contains(&months) {
        return None;
    }
    now.to_zoned_datetime(local_tz())
        .checked_sub(months.months())
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_calendar_months_back_in_copenhagen() {
        let now: Timestamp = "2027-03-31T10:00:00Z".parse().unwrap();
        assert_eq!(
            cutoff(now, 12),
            Some("2026-03-31T10:00:00Z".parse().unwrap())
        );
        // 31 March minus one month is the last of February.
        assert_eq!(
            cutoff(now, 1),
            Some("2027-02-28T11:00:00Z".parse().unwrap()),
            "summer time begins in between: the same local hour"
        );
    }

    #[test]
    fn periods_outside_the_range_give_none() {
        let now = Timestamp::UNIX_EPOCH;
        assert_eq!(cutoff(now, 0), None);
        assert_eq!(cutoff(now, MAX_MONTHS + 1), None);
        assert!(cutoff(now, MAX_MONTHS).is_some());
    }

    #[test]
    fn only_decisions_without_action_are_deleted() {
        for d in Decision::ALL {
            assert_eq!(
                DELETED_DECISIONS.contains(d),
                matches!(d, Decision::Unfounded | Decision::AdviceOnly),
                "{d}"
            );
        }
    }
}
