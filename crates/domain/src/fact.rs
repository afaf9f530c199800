//! Anonymous facts: what every key figure counts. A use case appends them in
//! the same transaction as the event they count, and nothing else is ever
//! counted, so a figure is the same before and after personal data is
//! deleted. A fact holds a kind, a Copenhagen day, two glossary codes and a
//! count: never a person, a record id or free text. The constructors below
//! are the only way to make one, so a fact cannot carry anything else.

use jiff::civil::Date;

pub mod daily;

use crate::activity::{ActivityKind, TargetGroup};
use crate::course::{CourseKind, FollowUpKind};
use crate::triage::Decision;

crate::code_enum!(
    /// What happened. Each kind says which day it is filed under.
    FactKind {
        /// A concern was received; filed under the day of receipt.
        ConcernReceived => "concern_received",
        /// A concern was decided; filed under its day of *receipt* (figures
        /// count the decisions of the concerns received in a period), with
        /// the decision and whether it came within the triage deadline.
        ConcernDecided => "concern_decided",
        /// A course started; filed under its start day, by course kind.
        CourseStarted => "course_started",
        /// A started course ended; filed under its end day, by course kind,
        /// completed or discontinued.
        CourseEnded => "course_ended",
        /// A follow-up was answered; filed under the day its course *ended*
        /// (the cohort the outcome shares follow), by follow-up kind and answer.
        FollowUpAnswered => "follow_up_answered",
        /// An activity was held; filed under its day, by activity kind.
        ActivityHeld => "activity_held",
        /// People took part in a held activity; by activity kind and target
        /// group, the count in `n`.
        Participants => "participants",
        /// An organisation joined the citizen forum; filed under its first day.
        ForumJoined => "forum_joined",
        /// An organisation left the forum; filed under its first day outside.
        ForumLeft => "forum_left",
    }
);

/// Whether a decision came within the triage deadline.
pub const ON_TIME: &str = "on_time";
/// A decision after the triage deadline.
pub const LATE: &str = "late";

/// One fact row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    kind: FactKind,
    day: Date,
    code: Code,
    detail: Code,
    n: i64,
}

impl Fact {
    pub fn kind(&self) -> FactKind {
        self.kind
    }
    pub fn day(&self) -> Date {
        self.day
    }
    /// The first glossary code (decision, course kind, follow-up kind), or "".
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }
    /// The second glossary code (on time, completed, the answer), or "".
    pub fn detail(&self) -> &'static str {
        self.detail.as_str()
    }
    /// How many; 1 for an event.
    pub fn n(&self) -> i64 {
        self.n
    }
    /// [`Fact::code`] as the catalogue numbers it.
    pub fn code_key(&self) -> Code {
        self.code
    }
    /// [`Fact::detail`] as the catalogue numbers it.
    pub fn detail_key(&self) -> Code {
        self.detail
    }

    fn one(kind: FactKind, day: Date, code: Code, detail: Code) -> Fact {
        Fact {
            kind,
            day,
            code,
            detail,
            n: 1,
        }
    }

    pub fn concern_received(received_on: Date) -> Fact {
        Fact::one(
            FactKind::ConcernReceived,
            received_on,
            Code::NONE,
            Code::NONE,
        )
    }

    pub fn concern_decided(received_on: Date, decision: Decision, on_time: bool) -> Fact {
        let detail = if on_time { Code::ON_TIME } else { Code::LATE };
        Fact::one(
            FactKind::ConcernDecided,
            received_on,
            decision.into(),
            detail,
        )
    }

    pub fn course_started(kind: CourseKind, started_on: Date) -> Fact {
        Fact::one(FactKind::CourseStarted, started_on, kind.into(), Code::NONE)
    }

    /// `completed`: true for completed, false for discontinued. Only a course
    /// that started has an end fact (a planned course that is dropped never ran).
    pub fn course_ended(kind: CourseKind, ended_on: Date, completed: bool) -> Fact {
        let detail = if completed {
            Code::COMPLETED
        } else {
            Code::DISCONTINUED
        };
        Fact::one(FactKind::CourseEnded, ended_on, kind.into(), detail)
    }

    pub fn activity_held(kind: ActivityKind, held_on: Date) -> Fact {
        Fact::one(FactKind::ActivityHeld, held_on, kind.into(), Code::NONE)
    }

    pub fn participants(kind: ActivityKind, group: TargetGroup, held_on: Date, n: i64) -> Fact {
        Fact {
            kind: FactKind::Participants,
            day: held_on,
            code: kind.into(),
            detail: group.into(),
            n,
        }
    }

    pub fn forum_joined(from: Date) -> Fact {
        Fact::one(FactKind::ForumJoined, from, Code::NONE, Code::NONE)
    }

    /// `first_day_outside`: the day after the membership's last day.
    pub fn forum_left(first_day_outside: Date) -> Fact {
        Fact::one(
            FactKind::ForumLeft,
            first_day_outside,
            Code::NONE,
            Code::NONE,
        )
    }

    /// The same fact taken back: what a correction appends (facts are never
    /// changed or deleted).
    pub fn negated(&self) -> Fact {
        Fact {
            n: -self.n,
            ..self.clone()
        }
    }

    /// `answer` is the recorded code (a risk judgement or an occupation).
    pub fn follow_up_answered(kind: FollowUpKind, course_ended_on: Date, answer: Answer) -> Fact {
        Fact::one(
            FactKind::FollowUpAnswered,
            course_ended_on,
            kind.into(),
            answer.into(),
        )
    }
}

/// The fixed codes, first in the catalogue (see the constants on [`Code`]).
const FIXED: [&str; 5] = ["", ON_TIME, LATE, "completed", "discontinued"];

/// Every code a fact constructor can put in `code` or `detail`.
fn catalogue_codes() -> impl Iterator<Item = &'static str> {
    use crate::course::{Occupation, RiskJudgement};
    FIXED
        .into_iter()
        .chain(Decision::ALL.iter().map(|d| d.code()))
        .chain(CourseKind::ALL.iter().map(|k| k.code()))
        .chain(FollowUpKind::ALL.iter().map(|k| k.code()))
        .chain(RiskJudgement::ALL.iter().map(|r| r.code()))
        .chain(Occupation::ALL.iter().map(|o| o.code()))
        .chain(ActivityKind::ALL.iter().map(|k| k.code()))
        .chain(TargetGroup::ALL.iter().map(|g| g.code()))
}

/// A code of the fact catalogue (a fact's `code` or `detail`) by its place
/// in it. The key figures' sums are keyed by these: adding a summed row or
/// reading a sum compares a byte, where string keys cost a ten-year
/// report's series a tenth of its time in string comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(u8);

impl Code {
    /// No code (`""`).
    pub const NONE: Code = Code(0);
    pub const ON_TIME: Code = Code(1);
    pub const LATE: Code = Code(2);
    pub const COMPLETED: Code = Code(3);
    pub const DISCONTINUED: Code = Code(4);

    /// A code read back from a summed row. `None` for a code no constructor
    /// makes (a corrupt row).
    pub fn of(s: &str) -> Option<Code> {
        catalogue().index.get(s).copied()
    }

    /// The glossary code.
    pub fn as_str(self) -> &'static str {
        catalogue()
            .codes
            .get(usize::from(self.0))
            .copied()
            .unwrap_or_default()
    }
}

/// The catalogue's codes in order (each once: a code two vocabularies
/// share, such as `unknown`, is one code), and each vocabulary's values
/// by declaration order.
struct Catalogue {
    codes: Vec<&'static str>,
    index: rustc_hash::FxHashMap<&'static str, Code>,
    decision: Vec<Code>,
    course_kind: Vec<Code>,
    follow_up_kind: Vec<Code>,
    risk: Vec<Code>,
    occupation: Vec<Code>,
    activity_kind: Vec<Code>,
    target_group: Vec<Code>,
}

fn catalogue() -> &'static Catalogue {
    use crate::course::{Occupation, RiskJudgement};
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut codes = Vec::new();
        let mut index = rustc_hash::FxHashMap::default();
        for c in catalogue_codes() {
            index.entry(c).or_insert_with(|| {
                codes.push(c);
                // Far fewer than 256 codes: a test holds it.
                Code(u8::try_from(codes.len() - 1).unwrap_or(u8::MAX))
            });
        }
        let of = |c: &str| index.get(c).copied().unwrap_or(Code::NONE);
        Catalogue {
            decision: Decision::ALL.iter().map(|x| of(x.code())).collect(),
            course_kind: CourseKind::ALL.iter().map(|x| of(x.code())).collect(),
            follow_up_kind: FollowUpKind::ALL.iter().map(|x| of(x.code())).collect(),
            risk: RiskJudgement::ALL.iter().map(|x| of(x.code())).collect(),
            occupation: Occupation::ALL.iter().map(|x| of(x.code())).collect(),
            activity_kind: ActivityKind::ALL.iter().map(|x| of(x.code())).collect(),
            target_group: TargetGroup::ALL.iter().map(|x| of(x.code())).collect(),
            codes,
            index,
        }
    })
}

/// A vocabulary's value as its catalogue code, without hashing its text:
/// the value's place in its vocabulary (`ALL` is in declaration order).
macro_rules! coded {
    ($($t:ty => $field:ident),+ $(,)?) => {
        $(impl From<$t> for Code {
            fn from(x: $t) -> Code {
                catalogue().$field.get(x as usize).copied().unwrap_or(Code::NONE)
            }
        })+
    };
}
coded!(
    Decision => decision,
    CourseKind => course_kind,
    FollowUpKind => follow_up_kind,
    crate::course::RiskJudgement => risk,
    crate::course::Occupation => occupation,
    ActivityKind => activity_kind,
    TargetGroup => target_group,
);

/// A follow-up's recorded answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Risk(crate::course::RiskJudgement),
    Occupation(crate::course::Occupation),
}

impl From<Answer> for Code {
    fn from(a: Answer) -> Code {
        match a {
            Answer::Risk(r) => r.into(),
            Answer::Occupation(o) => o.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::{Occupation, RiskJudgement};

    #[test]
    fn every_code_a_constructor_makes_reads_back_from_the_catalogue() {
        let day = Date::constant(2026, 3, 1);
        let mut facts = vec![
            Fact::concern_received(day),
            Fact::forum_joined(day),
            Fact::forum_left(day),
        ];
        for d in Decision::ALL {
            facts.push(Fact::concern_decided(day, *d, true));
            facts.push(Fact::concern_decided(day, *d, false));
        }
        for k in CourseKind::ALL {
            facts.push(Fact::course_started(*k, day));
            facts.push(Fact::course_ended(*k, day, true));
            facts.push(Fact::course_ended(*k, day, false));
        }
        for r in RiskJudgement::ALL {
            facts.push(Fact::follow_up_answered(
                FollowUpKind::Risk,
                day,
                Answer::Risk(*r),
            ));
        }
        for o in Occupation::ALL {
            let a = Answer::Occupation(*o);
            facts.push(Fact::follow_up_answered(FollowUpKind::Occupation, day, a));
        }
        for k in ActivityKind::ALL {
            facts.push(Fact::activity_held(*k, day));
            for g in TargetGroup::ALL {
                facts.push(Fact::participants(*k, *g, day, 3));
            }
        }
        for f in &facts {
            for c in [f.code(), f.detail()] {
                let code = Code::of(c).unwrap();
                assert_eq!(code.as_str(), c);
            }
        }
        assert_eq!(Code::of("founded_local_action "), None);
        assert_eq!(Code::of("Mentor"), None);
    }

    #[test]
    fn every_value_is_its_own_code_and_the_fixed_codes_keep_their_places() {
        use crate::course::{Occupation, RiskJudgement};
        for (c, s) in [
            (Code::NONE, ""),
            (Code::ON_TIME, ON_TIME),
            (Code::LATE, LATE),
            (Code::COMPLETED, "completed"),
            (Code::DISCONTINUED, "discontinued"),
        ] {
            assert_eq!(c.as_str(), s);
            assert_eq!(Code::of(s), Some(c));
        }
        let all: Vec<(Code, &str)> = Decision::ALL
            .iter()
            .map(|x| (Code::from(*x), x.code()))
            .chain(CourseKind::ALL.iter().map(|x| (Code::from(*x), x.code())))
            .chain(FollowUpKind::ALL.iter().map(|x| (Code::from(*x), x.code())))
            .chain(
                RiskJudgement::ALL
                    .iter()
                    .map(|x| (Code::from(*x), x.code())),
            )
            .chain(Occupation::ALL.iter().map(|x| (Code::from(*x), x.code())))
            .chain(ActivityKind::ALL.iter().map(|x| (Code::from(*x), x.code())))
            .chain(TargetGroup::ALL.iter().map(|x| (Code::from(*x), x.code())))
            .collect();
        for (c, s) in &all {
            assert_eq!(c.as_str(), *s);
            assert_eq!(Code::of(s), Some(*c));
        }
        // One code a text, fewer than a byte can number.
        assert!(catalogue().codes.len() < 255);
        assert_eq!(RiskJudgement::Unknown.code(), Occupation::Unknown.code());
        assert_eq!(
            Code::from(RiskJudgement::Unknown),
            Code::from(Occupation::Unknown)
        );
    }
}
