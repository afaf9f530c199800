//! Triage: the concern's state machine (`received → screening → before_unit →
//! decided`) and the 48-hour triage clock with pauses.

use jiff::{SignedDuration, Timestamp};
use thiserror::Error;

crate::code_enum!(
    /// Where a concern stands in triage.
    Status {
        Received => "received",
        Screening => "screening",
        BeforeUnit => "before_unit",
        Decided => "decided",
    }
);

crate::code_enum!(
    /// The coordination unit's decision on a concern.
    Decision {
        FoundedLocalAction => "founded_local_action",
        FoundedOtherAuthority => "founded_other_authority",
        Unfounded => "unfounded",
        AdviceOnly => "advice_only",
        HandedToPolice => "handed_to_police",
    }
);

crate::code_enum!(
    /// The kind of one-to-one programme a founded decision intends; the course
    /// issue starts a course of this kind from the decision.
    ProgrammeKind {
        Mentor => "mentor",
        ParentCoaching => "parent_coaching",
        Resocialisation => "resocialisation",
        Exit => "exit",
        Returnee => "returnee",
        Prison => "prison",
        Advisory => "advisory",
    }
);

impl Decision {
    /// Founded decisions count in the unit's "founded" key figure.
    pub fn is_founded(self) -> bool {
        matches!(
            self,
            Decision::FoundedLocalAction | Decision::FoundedOtherAuthority
        )
    }
}

/// The longest reason accepted for a transition or a pause.
pub const MAX_REASON: usize = 2_000;

/// A requested move of a concern to another status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    pub to: Status,
    pub decision: Option<Decision>,
    pub programme_kind: Option<ProgrammeKind>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TriageError {
    /// The move is not an edge of the state machine (HTTP 409).
    #[error("a concern cannot move from {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    /// A decision must say which decision (HTTP 422).
    #[error("a decision is required when moving to decided")]
    DecisionRequired,
    #[error("a decision can only be given when moving to decided")]
    DecisionNotAllowed,
    /// Local action names the intended programme kind (HTTP 422).
    #[error("founded_local_action requires a programme_kind")]
    ProgrammeKindRequired,
    #[error("programme_kind is only given with founded_local_action")]
    ProgrammeKindNotAllowed,
    #[error("the triage clock is already paused")]
    AlreadyPaused,
    #[error("the triage clock is not paused")]
    NotPaused,
    #[error("the triage clock has stopped: the concern is decided")]
    ClockStopped,
    #[error("a reason is required")]
    ReasonRequired,
}

impl TriageError {
    /// Whether the error is a conflict with the record's state (409) rather than
    /// a problem with the request itself (422).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            TriageError::InvalidTransition { .. }
                | TriageError::AlreadyPaused
                | TriageError::NotPaused
                | TriageError::ClockStopped
        )
    }

    /// The request field the error belongs to, for per-field messages.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            TriageError::DecisionRequired | TriageError::DecisionNotAllowed => Some("decision"),
            TriageError::ProgrammeKindRequired | TriageError::ProgrammeKindNotAllowed => {
                Some("programme_kind")
            }
            TriageError::ReasonRequired => Some("reason"),
            _ => None,
        }
    }
}

/// Checks a transition against the state machine. Forward moves go one step at a
/// time; a concern in immediate danger may be handed to the police from any open
/// status. Nothing leaves `decided`.
pub fn check_transition(from: Status, req: &TransitionRequest) -> Result<(), TriageError> {
    use Status::*;
    let police = req.to == Decided && req.decision == Some(Decision::HandedToPolice);
    let edge = matches!(
        (from, req.to),
        (Received, Screening) | (Screening, BeforeUnit) | (BeforeUnit, Decided)
    ) || (police && from != Decided);
    if !edge {
        return Err(TriageError::InvalidTransition { from, to: req.to });
    }
    // Handing a person to the police is recorded with why, always.
    if police && req.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(TriageError::ReasonRequired);
    }
    match (req.to, req.decision) {
        (Decided, None) => return Err(TriageError::DecisionRequired),
        (Decided, _) => {}
        (_, Some(_)) => return Err(TriageError::DecisionNotAllowed),
        (_, None) => {}
    }
    match (req.decision, req.programme_kind) {
        (Some(Decision::FoundedLocalAction), None) => Err(TriageError::ProgrammeKindRequired),
        (Some(Decision::FoundedLocalAction), Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(TriageError::ProgrammeKindNotAllowed),
    }
}

/// The statuses a concern may move to next, for offering only valid actions.
pub fn next_statuses(from: Status) -> &'static [Status] {
    match from {
        Status::Received => &[Status::Screening],
        Status::Screening => &[Status::BeforeUnit],
        Status::BeforeUnit => &[Status::Decided],
        Status::Decided => &[],
    }
}

/// The default triage deadline after receipt, from the plan's 48-hour target.
pub const DEFAULT_TRIAGE_HOURS: i64 = 48;

/// The triage clock: a deadline that moves later by every paused interval, and
/// stops at the decision. Stored as three instants so that lists can be sorted
/// and filtered by deadline in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriageClock {
    /// The deadline with all completed pauses added.
    pub deadline: Timestamp,
    /// Set while the clock is paused.
    pub paused_at: Option<Timestamp>,
    /// Set when the concern was decided.
    pub stopped_at: Option<Timestamp>,
}

/// What a person sees of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// Time left (negative when overdue).
    Running(SignedDuration),
    /// Time left, frozen at the moment of pausing.
    Paused(SignedDuration),
    /// Decided, with the margin to the deadline (negative: decided late).
    Stopped(SignedDuration),
}

impl TriageClock {
    pub fn start(received_at: Timestamp, allowed: SignedDuration) -> Self {
        TriageClock {
            deadline: received_at + allowed,
            paused_at: None,
            stopped_at: None,
        }
    }

    pub fn state(&self, now: Timestamp) -> ClockState {
        if let Some(s) = self.stopped_at {
            ClockState::Stopped(self.deadline.duration_since(s))
        } else if let Some(p) = self.paused_at {
            ClockState::Paused(self.deadline.duration_since(p))
        } else {
            ClockState::Running(self.deadline.duration_since(now))
        }
    }

    /// Whether the decision came by the (pause-adjusted) deadline; `None`
    /// while undecided. What the 48-hour target counts.
    pub fn decided_on_time(&self) -> Option<bool> {
        self.stopped_at.map(|s| s <= self.deadline)
    }

    /// Time left: frozen while paused, the margin once stopped.
    pub fn time_left(&self, now: Timestamp) -> SignedDuration {
        match self.state(now) {
            ClockState::Running(d) | ClockState::Paused(d) | ClockState::Stopped(d) => d,
        }
    }

    /// Overdue: still open and past the (pause-adjusted) deadline.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.stopped_at.is_none() && self.time_left(now).is_negative()
    }

    /// Open, not overdue, and with at most `within` left.
    pub fn is_due_within(&self, now: Timestamp, within: SignedDuration) -> bool {
        let left = self.time_left(now);
        self.stopped_at.is_none() && !left.is_negative() && left <= within
    }

    pub fn pause(&mut self, now: Timestamp) -> Result<(), TriageError> {
        if self.stopped_at.is_some() {
            return Err(TriageError::ClockStopped);
        }
        if self.paused_at.is_some() {
            return Err(TriageError::AlreadyPaused);
        }
        self.paused_at = Some(now);
        Ok(())
    }

    /// Resumes, moving the deadline later by the paused interval.
    pub fn resume(&mut self, now: Timestamp) -> Result<SignedDuration, TriageError> {
        if self.stopped_at.is_some() {
            return Err(TriageError::ClockStopped);
        }
        let p = self.paused_at.ok_or(TriageError::NotPaused)?;
        let paused = now.duration_since(p).max(SignedDuration::ZERO);
        self.deadline += paused;
        self.paused_at = None;
        Ok(paused)
    }

    /// Stops at the decision; a paused clock is resumed first so the paused
    /// interval is not counted against the unit.
    pub fn stop(&mut self, now: Timestamp) {
        if self.stopped_at.is_some() {
            return;
        }
        if self.paused_at.is_some() {
            let _ = self.resume(now);
        }
        self.stopped_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(
        to: Status,
        decision: Option<Decision>,
        kind: Option<ProgrammeKind>,
    ) -> TransitionRequest {
        TransitionRequest {
            to,
            decision,
            programme_kind: kind,
            reason: None,
        }
    }

    #[test]
    fn forward_edges_only() {
        use Status::*;
        assert!(check_transition(Received, &req(Screening, None, None)).is_ok());
        assert!(check_transition(Screening, &req(BeforeUnit, None, None)).is_ok());
        assert!(
            check_transition(BeforeUnit, &req(Decided, Some(Decision::Unfounded), None)).is_ok()
        );
        for (from, to) in [
            (Received, BeforeUnit),
            (Screening, Received),
            (Decided, Screening),
            (Received, Received),
        ] {
            assert_eq!(
                check_transition(from, &req(to, None, None)),
                Err(TriageError::InvalidTransition { from, to })
            );
        }
        assert!(matches!(
            check_transition(Screening, &req(Decided, Some(Decision::Unfounded), None)),
            Err(TriageError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn police_handover_from_any_open_status_with_a_note() {
        use Status::*;
        let police = |reason: Option<&str>| TransitionRequest {
            reason: reason.map(String::from),
            ..req(Decided, Some(Decision::HandedToPolice), None)
        };
        for from in [Received, Screening, BeforeUnit] {
            assert!(check_transition(from, &police(Some("Akut fare (fiktivt)"))).is_ok());
            assert_eq!(
                check_transition(from, &police(None)),
                Err(TriageError::ReasonRequired)
            );
            assert_eq!(
                check_transition(from, &police(Some("  "))),
                Err(TriageError::ReasonRequired)
            );
        }
        assert!(check_transition(Decided, &police(Some("x"))).is_err());
    }

    #[test]
    fn decision_fields() {
        use Status::*;
        assert_eq!(
            check_transition(BeforeUnit, &req(Decided, None, None)),
            Err(TriageError::DecisionRequired)
        );
        assert_eq!(
            check_transition(
                BeforeUnit,
                &req(Decided, Some(Decision::FoundedLocalAction), None)
            ),
            Err(TriageError::ProgrammeKindRequired)
        );
        assert!(
            check_transition(
                BeforeUnit,
                &req(
                    Decided,
                    Some(Decision::FoundedLocalAction),
                    Some(ProgrammeKind::Mentor)
                )
            )
            .is_ok()
        );
        assert_eq!(
            check_transition(
                BeforeUnit,
                &req(
                    Decided,
                    Some(Decision::AdviceOnly),
                    Some(ProgrammeKind::Mentor)
                )
            ),
            Err(TriageError::ProgrammeKindNotAllowed)
        );
        assert_eq!(
            check_transition(Received, &req(Screening, Some(Decision::AdviceOnly), None)),
            Err(TriageError::DecisionNotAllowed)
        );
    }

    fn t(h: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_hours(h)
    }

    #[test]
    fn clock_with_a_pause() {
        let mut c = TriageClock::start(t(0), SignedDuration::from_hours(48));
        assert_eq!(c.time_left(t(10)), SignedDuration::from_hours(38));
        c.pause(t(10)).ok();
        assert_eq!(c.pause(t(11)), Err(TriageError::AlreadyPaused));
        assert_eq!(c.time_left(t(100)), SignedDuration::from_hours(38));
        assert!(!c.is_overdue(t(100)));
        assert_eq!(c.resume(t(30)), Ok(SignedDuration::from_hours(20)));
        assert_eq!(c.deadline, t(68));
        assert_eq!(c.resume(t(31)), Err(TriageError::NotPaused));
        assert!(c.is_due_within(t(60), SignedDuration::from_hours(12)));
        assert!(c.is_overdue(t(69)));
        c.stop(t(70));
        assert!(!c.is_overdue(t(1000)));
        assert_eq!(
            c.state(t(1000)),
            ClockState::Stopped(SignedDuration::from_hours(-2))
        );
        assert_eq!(c.pause(t(71)), Err(TriageError::ClockStopped));
    }

    #[test]
    fn stopping_while_paused_does_not_count_the_pause() {
        let mut c = TriageClock::start(t(0), SignedDuration::from_hours(48));
        c.pause(t(40)).ok();
        c.stop(t(100));
        assert_eq!(
            c.state(t(200)),
            ClockState::Stopped(SignedDuration::from_hours(8))
        );
    }

    proptest! {
        /// Whatever the pauses, the time counted against the deadline is the time
        /// not paused: deadline − received = allowed + total paused.
        #[test]
        fn paused_time_is_never_counted(gaps in proptest::collection::vec((0i64..100, 0i64..100), 0..8), allowed in 1i64..200) {
            let mut c = TriageClock::start(t(0), SignedDuration::from_hours(allowed));
            let mut now = 0;
            let mut paused_total = 0;
            for (run, pause) in gaps {
                now += run;
                c.pause(t(now)).ok();
                now += pause;
                paused_total += pause;
                prop_assert!(c.resume(t(now)).is_ok());
            }
            prop_assert_eq!(c.deadline, t(allowed + paused_total));
            prop_assert_eq!(c.time_left(t(now)), SignedDuration::from_hours(allowed + paused_total - now));
            prop_assert_eq!(c.is_overdue(t(now)), now > allowed + paused_total);
        }

        /// While paused, time left does not change.
        #[test]
        fn time_left_frozen_while_paused(p in 0i64..500, later in 0i64..500) {
            let mut c = TriageClock::start(t(0), SignedDuration::from_hours(48));
            c.pause(t(p)).ok();
            prop_assert_eq!(c.time_left(t(p)), c.time_left(t(p + later)));
        }

        /// Every status other than a listed next one (and the police hand-over) is refused.
        #[test]
        fn only_listed_edges_pass(from in 0usize..4, to in 0usize..4) {
            let (from, to) = (Status::ALL[from], Status::ALL[to]);
            let r = req(to, (to == Status::Decided).then_some(Decision::Unfounded), None);
            prop_assert_eq!(check_transition(from, &r).is_ok(), next_statuses(from).contains(&to));
        }
    }
}
