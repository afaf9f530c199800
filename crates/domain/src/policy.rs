//! The access policy: one pure function decides every access, and the scope
//! functions derived from the same rules filter lists in SQL, so a list never
//! shows a record that a direct read would refuse.

use uuid::Uuid;

use crate::user::{Actor, ActorKind, Role};

/// What an actor wants to do. Names are also the audit log's action codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ConcernCreate,
    /// A submission through the public form: creates, never reads back.
    ConcernReport,
    ConcernRead,
    ConcernList,
    ConcernTransition,
    ConcernPause,
    ConcernLinkPerson,
    ConcernDecide,
    MeetingCreate,
    MeetingRead,
    MeetingList,
    MeetingUpdate,
    AgendaAdd,
    RecommendationRecord,
    DashboardRead,
    AuditRead,
    UserManage,
    CourseCreate,
    CourseRead,
    CourseList,
    /// Lifecycle moves, consent, assignment: the coordinator's work.
    CourseUpdate,
    /// The personal plan's goals: the mentor's own work.
    CoursePlan,
    ContactLog,
    AssessmentRecord,
    CorpsRead,
    CorpsManage,
    FollowUpList,
    OutcomeRead,
}

impl Action {
    /// The audit log's code for the action.
    pub fn code(self) -> &'static str {
        match self {
            Action::ConcernCreate => "concern.create",
            Action::ConcernReport => "concern.report",
            Action::ConcernRead => "concern.read",
            Action::ConcernList => "concern.list",
            Action::ConcernTransition => "concern.transition",
            Action::ConcernPause => "concern.pause",
            Action::ConcernLinkPerson => "concern.link_person",
            Action::ConcernDecide => "concern.decide",
            Action::MeetingCreate => "meeting.create",
            Action::MeetingRead => "meeting.read",
            Action::MeetingList => "meeting.list",
            Action::MeetingUpdate => "meeting.update",
            Action::AgendaAdd => "meeting.agenda_add",
            Action::RecommendationRecord => "meeting.recommendation",
            Action::DashboardRead => "dashboard.read",
            Action::AuditRead => "audit.read",
            Action::UserManage => "user.manage",
            Action::CourseCreate => "course.create",
            Action::CourseRead => "course.read",
            Action::CourseList => "course.list",
            Action::CourseUpdate => "course.update",
            Action::CoursePlan => "course.plan",
            Action::ContactLog => "course.contact",
            Action::AssessmentRecord => "course.assessment",
            Action::CorpsRead => "corps.read",
            Action::CorpsManage => "corps.manage",
            Action::FollowUpList => "follow_up.list",
            Action::OutcomeRead => "report.outcomes",
        }
    }
}

/// The facts about the record that the decision depends on. The caller loads
/// them; the policy never does IO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// No particular record (create, list, dashboard).
    None,
    /// A concern, with the agencies attending meetings that have it on the agenda.
    Concern { agenda_agencies: &'a [Uuid] },
    /// A meeting, with its attending agencies.
    Meeting { attending: &'a [Uuid] },
    /// A course, with its responsible agency and the user account of the corps
    /// member assigned to it.
    Course {
        agency: Option<Uuid>,
        mentor_user: Option<Uuid>,
    },
}

/// Why access was refused; recorded in the audit log as the reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// The role never has this access.
    Role,
    /// The role may, but not for this record (not on an agenda of the actor's agency).
    NotInScope,
    /// A coordination-unit member without an agency sees nothing.
    NoAgency,
}

impl DenyReason {
    pub fn code(self) -> &'static str {
        match self {
            DenyReason::Role => "role_not_permitted",
            DenyReason::NotInScope => "not_in_scope",
            DenyReason::NoAgency => "no_agency",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allow,
    Deny(DenyReason),
}

impl Access {
    pub fn is_allowed(self) -> bool {
        self == Access::Allow
    }
}

fn in_scope(agency: Option<Uuid>, agencies: &[Uuid]) -> Access {
    match agency {
        None => Access::Deny(DenyReason::NoAgency),
        Some(a) if agencies.contains(&a) => Access::Allow,
        Some(_) => Access::Deny(DenyReason::NotInScope),
    }
}

/// Decides one access. Everything not granted here is denied.
pub fn decide(actor: &Actor, action: Action, resource: &Resource<'_>) -> Access {
    use Action::*;
    let (role, agency) = match actor.kind {
        ActorKind::Public => {
            return if action == ConcernReport {
                Access::Allow
            } else {
                Access::Deny(DenyReason::Role)
            };
        }
        // The command line and jobs write (users, demo data) but read no case content.
        ActorKind::System => {
            return match action {
                ConcernCreate | ConcernTransition | ConcernPause | ConcernDecide
                | MeetingCreate | MeetingUpdate | AgendaAdd | RecommendationRecord | UserManage => {
                    Access::Allow
                }
                _ => Access::Deny(DenyReason::Role),
            };
        }
        ActorKind::User {
            role, agency_id, ..
        } => (role, agency_id),
    };
    match role {
        Role::Secretariat => match action {
            AuditRead | UserManage | ConcernReport => Access::Deny(DenyReason::Role),
            _ => Access::Allow,
        },
        Role::CoordinationUnit => match (action, resource) {
            (
                ConcernList | MeetingList | DashboardRead | CourseList | FollowUpList | CorpsRead
                | OutcomeRead,
                _,
            ) => Access::Allow,
            (
                CourseRead,
                Resource::Course {
                    agency: course_agency,
                    ..
                },
            ) => in_scope(agency, course_agency.as_slice()),
            (ConcernRead | ConcernDecide, Resource::Concern { agenda_agencies }) => {
                in_scope(agency, agenda_agencies)
            }
            (MeetingRead | RecommendationRecord, Resource::Meeting { attending }) => {
                in_scope(agency, attending)
            }
            _ => Access::Deny(DenyReason::Role),
        },
        Role::Auditor => match action {
            AuditRead => Access::Allow,
            _ => Access::Deny(DenyReason::Role),
        },
        Role::Admin => match action {
            UserManage => Access::Allow,
            _ => Access::Deny(DenyReason::Role),
        },
        Role::Mentor => match (action, resource) {
            (CourseList | FollowUpList, _) => Access::Allow,
            (
                CourseRead | CoursePlan | ContactLog | AssessmentRecord,
                Resource::Course { mentor_user, .. },
            ) => {
                if mentor_user.is_some() && *mentor_user == actor.user_id() {
                    Access::Allow
                } else {
                    Access::Deny(DenyReason::NotInScope)
                }
            }
            _ => Access::Deny(DenyReason::Role),
        },
        Role::Analyst => match action {
            OutcomeRead => Access::Allow,
            _ => Access::Deny(DenyReason::Role),
        },
    }
}

/// Which courses a list may contain, matching [`decide`] for `CourseRead`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseScope {
    All,
    /// The courses an agency is responsible for.
    Agency(Uuid),
    /// The courses assigned to the corps member with this user account.
    Mentor(Uuid),
    Nothing,
}

pub fn course_scope(actor: &Actor) -> CourseScope {
    match (actor.role(), actor.agency_id(), actor.user_id()) {
        (Some(Role::Secretariat), _, _) => CourseScope::All,
        (Some(Role::CoordinationUnit), Some(a), _) => CourseScope::Agency(a),
        (Some(Role::Mentor), _, Some(u)) => CourseScope::Mentor(u),
        _ => CourseScope::Nothing,
    }
}

/// Which concerns a list may contain, as a filter the store turns into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcernScope {
    All,
    /// Only concerns on the agenda of a meeting this agency attends.
    OnAgendaOfAgency(Uuid),
    Nothing,
}

/// The list filter that matches [`decide`] for `ConcernRead`.
pub fn concern_scope(actor: &Actor) -> ConcernScope {
    match (actor.role(), actor.agency_id()) {
        (Some(Role::Secretariat), _) => ConcernScope::All,
        (Some(Role::CoordinationUnit), Some(a)) => ConcernScope::OnAgendaOfAgency(a),
        _ => ConcernScope::Nothing,
    }
}

/// Which meetings a list may contain: the same shape as the concern scope, by
/// attendance instead of agenda.
pub fn meeting_scope(actor: &Actor) -> ConcernScope {
    concern_scope(actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn user(role: Role, agency: Option<Uuid>) -> Actor {
        Actor::user(Uuid::from_u128(1), role, agency)
    }

    #[test]
    fn secretariat_reads_concerns_others_do_not() {
        let r = Resource::Concern {
            agenda_agencies: &[],
        };
        assert!(decide(&user(Role::Secretariat, None), Action::ConcernRead, &r).is_allowed());
        for role in [Role::Mentor, Role::Analyst, Role::Admin, Role::Auditor] {
            assert_eq!(
                decide(&user(role, None), Action::ConcernRead, &r),
                Access::Deny(DenyReason::Role),
                "{role}"
            );
        }
        assert_eq!(
            decide(&Actor::public(), Action::ConcernRead, &r),
            Access::Deny(DenyReason::Role)
        );
        assert!(decide(&Actor::public(), Action::ConcernReport, &Resource::None).is_allowed());
    }

    #[test]
    fn coordination_unit_reads_only_its_agenda() {
        let (a, b) = (Uuid::from_u128(10), Uuid::from_u128(11));
        let member = user(Role::CoordinationUnit, Some(a));
        let on = [b, a];
        let off = [b];
        assert!(
            decide(
                &member,
                Action::ConcernRead,
                &Resource::Concern {
                    agenda_agencies: &on
                }
            )
            .is_allowed()
        );
        assert_eq!(
            decide(
                &member,
                Action::ConcernRead,
                &Resource::Concern {
                    agenda_agencies: &off
                }
            ),
            Access::Deny(DenyReason::NotInScope)
        );
        assert_eq!(
            decide(
                &user(Role::CoordinationUnit, None),
                Action::ConcernRead,
                &Resource::Concern {
                    agenda_agencies: &on
                }
            ),
            Access::Deny(DenyReason::NoAgency)
        );
        assert_eq!(
            decide(&member, Action::ConcernCreate, &Resource::None),
            Access::Deny(DenyReason::Role)
        );
        assert_eq!(
            decide(
                &member,
                Action::ConcernTransition,
                &Resource::Concern {
                    agenda_agencies: &on
                }
            ),
            Access::Deny(DenyReason::Role)
        );
    }

    #[test]
    fn only_auditors_read_the_audit_log() {
        for role in Role::ALL {
            let ok = decide(&user(*role, None), Action::AuditRead, &Resource::None).is_allowed();
            assert_eq!(ok, *role == Role::Auditor, "{role}");
        }
    }

    #[test]
    fn mentors_see_only_their_own_courses_and_analysts_only_figures() {
        let me = Uuid::from_u128(1);
        let mentor = user(Role::Mentor, None);
        let mine = Resource::Course {
            agency: None,
            mentor_user: Some(me),
        };
        let theirs = Resource::Course {
            agency: None,
            mentor_user: Some(Uuid::from_u128(2)),
        };
        let nobody = Resource::Course {
            agency: None,
            mentor_user: None,
        };
        for a in [
            Action::CourseRead,
            Action::ContactLog,
            Action::AssessmentRecord,
            Action::CoursePlan,
        ] {
            assert!(decide(&mentor, a, &mine).is_allowed());
            assert_eq!(
                decide(&mentor, a, &theirs),
                Access::Deny(DenyReason::NotInScope)
            );
            assert_eq!(
                decide(&mentor, a, &nobody),
                Access::Deny(DenyReason::NotInScope)
            );
        }
        assert_eq!(
            decide(&mentor, Action::CourseUpdate, &mine),
            Access::Deny(DenyReason::Role)
        );
        assert_eq!(
            decide(
                &mentor,
                Action::ConcernRead,
                &Resource::Concern {
                    agenda_agencies: &[]
                }
            ),
            Access::Deny(DenyReason::Role)
        );
        let analyst = user(Role::Analyst, None);
        assert!(decide(&analyst, Action::OutcomeRead, &Resource::None).is_allowed());
        assert!(!decide(&analyst, Action::CourseRead, &mine).is_allowed());
        let cu = user(Role::CoordinationUnit, Some(Uuid::from_u128(9)));
        assert!(
            decide(
                &cu,
                Action::CourseRead,
                &Resource::Course {
                    agency: Some(Uuid::from_u128(9)),
                    mentor_user: None
                }
            )
            .is_allowed()
        );
        assert!(
            !decide(
                &cu,
                Action::CourseRead,
                &Resource::Course {
                    agency: Some(Uuid::from_u128(8)),
                    mentor_user: None
                }
            )
            .is_allowed()
        );
        assert!(
            !decide(
                &cu,
                Action::CourseUpdate,
                &Resource::Course {
                    agency: Some(Uuid::from_u128(9)),
                    mentor_user: None
                }
            )
            .is_allowed()
        );
    }

    proptest! {
        /// The course list scope and the single-course decision agree.
        #[test]
        fn course_scope_agrees_with_decide(role in 0usize..6, has_agency: bool, same_agency: bool, is_mentor: bool) {
            let me = Uuid::from_u128(1);
            let agency = Uuid::from_u128(7);
            let actor = Actor::user(me, Role::ALL[role], has_agency.then_some(agency));
            let course_agency = if same_agency { agency } else { Uuid::from_u128(8) };
            let mentor_user = if is_mentor { me } else { Uuid::from_u128(3) };
            let r = Resource::Course { agency: Some(course_agency), mentor_user: Some(mentor_user) };
            let allowed = decide(&actor, Action::CourseRead, &r).is_allowed();
            let listed = match course_scope(&actor) {
                CourseScope::All => true,
                CourseScope::Agency(a) => a == course_agency,
                CourseScope::Mentor(u) => u == mentor_user,
                CourseScope::Nothing => false,
            };
            prop_assert_eq!(allowed, listed);
        }

        /// The list scope and the single-record decision agree for every role and agenda.
        #[test]
        fn scope_agrees_with_decide(role in 0usize..6, has_agency: bool, on_agenda: bool) {
            let agency = Uuid::from_u128(7);
            let actor = user(Role::ALL[role], has_agency.then_some(agency));
            let agencies = if on_agenda { vec![agency] } else { vec![Uuid::from_u128(8)] };
            let allowed = decide(&actor, Action::ConcernRead, &Resource::Concern { agenda_agencies: &agencies }).is_allowed();
            let listed = match concern_scope(&actor) {
                ConcernScope::All => true,
                ConcernScope::OnAgendaOfAgency(a) => agencies.contains(&a),
                ConcernScope::Nothing => false,
            };
            prop_assert_eq!(allowed, listed);
        }
    }
}
