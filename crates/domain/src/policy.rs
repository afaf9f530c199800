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
    /// Joins two person records (and what hangs on them) by a person's choice.
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
    /// The key-figure report (counts only, small numbers hidden from readers
    /// without case access).
    KeyFigureRead,
    /// The activity register and the organisations (no personal data).
    ActivityRead,
    /// Registering activities, organisations and the citizen forum.
    ActivityManage,
    /// Action plans, their targets and attainment (no personal data).
    PlanRead,
    /// Writing plans and targets, assessing qualitative targets.
    PlanManage,
    /// Funding sources, grants, budgets and spending (no personal data).
    FundingRead,
    /// Writing grants, budget lines and spending.
    FundingManage,
    /// The search box: results are filtered by the concern and course scopes.
    Search,
    /// A log-in attempt (by the public, before anyone is known) or its success.
    Login,
    Logout,
    /// The reminder job creating notifications and e-mails.
    ReminderRun,
    /// Loading the fictitious demo data set.
    DemoLoad,
    /// Taking or restoring a backup: a copy of everything, by the command
    /// line only.
    Backup,
    /// A user's own second factor: enrolling it, and each code given at
    /// log-in (right or wrong).
    SecondFactor,
    /// A user proving again who they are (password or code) before exports
    /// with personal data and user administration.
    Reauthenticate,
    /// An administrator removing a user's second factor (lost phone): the
    /// user enrols anew at their next log-in.
    SecondFactorReset,
    /// Re-encrypting every sealed value under a new field key: by the
    /// command line only.
    KeyRotate,
    /// Deleting a case whose retention period has run out (the retention
    /// job or `vink retention run`): one row per deleted concern.
    RetentionRun,
}

impl Action {
    /// Every action, for tests that walk the whole policy.
    pub const ALL: &'static [Action] = &[
        Action::ConcernCreate,
        Action::ConcernReport,
        Action::ConcernRead,
        Action::ConcernList,
        Action::ConcernTransition,
        Action::ConcernPause,
        Action::ConcernLinkPerson,
        Action::ConcernDecide,
        Action::MeetingCreate,
        Action::MeetingRead,
        Action::MeetingList,
        Action::MeetingUpdate,
        Action::AgendaAdd,
        Action::RecommendationRecord,
        Action::DashboardRead,
        Action::AuditRead,
        Action::UserManage,
        Action::CourseCreate,
        Action::CourseRead,
        Action::CourseList,
        Action::CourseUpdate,
        Action::CoursePlan,
        Action::ContactLog,
        Action::AssessmentRecord,
        Action::CorpsRead,
        Action::CorpsManage,
        Action::FollowUpList,
        Action::OutcomeRead,
        Action::KeyFigureRead,
        Action::ActivityRead,
        Action::ActivityManage,
        Action::PlanRead,
        Action::PlanManage,
        Action::FundingRead,
        Action::FundingManage,
        Action::Search,
        Action::Login,
        Action::Logout,
        Action::ReminderRun,
        Action::DemoLoad,
        Action::Backup,
        Action::SecondFactor,
        Action::Reauthenticate,
        Action::SecondFactorReset,
        Action::KeyRotate,
        Action::RetentionRun,
    ];

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
            Action::KeyFigureRead => "report.key_figures",
            Action::ActivityRead => "activity.read",
            Action::ActivityManage => "activity.manage",
            Action::PlanRead => "plan.read",
            Action::PlanManage => "plan.manage",
            Action::FundingRead => "funding.read",
            Action::FundingManage => "funding.manage",
            Action::Search => "search.run",
            Action::Login => "auth.login",
            Action::Logout => "auth.logout",
            Action::ReminderRun => "reminder.run",
            Action::DemoLoad => "demo.load",
            Action::Backup => "backup.run",
            Action::SecondFactor => "auth.second_factor",
            Action::Reauthenticate => "auth.reauthenticate",
            Action::SecondFactorReset => "user.second_factor_reset",
            Action::KeyRotate => "key.rotate",
            Action::RetentionRun => "retention.delete",
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

/// The record an access is about, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef {
    pub kind: &'static str,
    pub id: Uuid,
}

impl RecordRef {
    pub fn concern(id: Uuid) -> Self {
        RecordRef {
            kind: "concern",
            id,
        }
    }
    pub fn meeting(id: Uuid) -> Self {
        RecordRef {
            kind: "meeting",
            id,
        }
    }
    pub fn course(id: Uuid) -> Self {
        RecordRef { kind: "course", id }
    }
    pub fn corps_member(id: Uuid) -> Self {
        RecordRef {
            kind: "corps_member",
            id,
        }
    }
    pub fn user(id: Uuid) -> Self {
        RecordRef { kind: "user", id }
    }
    pub fn activity(id: Uuid) -> Self {
        RecordRef {
            kind: "activity",
            id,
        }
    }
    pub fn organisation(id: Uuid) -> Self {
        RecordRef {
            kind: "organisation",
            id,
        }
    }
    pub fn plan(id: Uuid) -> Self {
        RecordRef { kind: "plan", id }
    }
    pub fn grant(id: Uuid) -> Self {
        RecordRef { kind: "grant", id }
    }
    /// A person as the subject of an audit report about them.
    pub fn person(id: Uuid) -> Self {
        RecordRef { kind: "person", id }
    }
}

/// Permission for one action on (at most) one record, by one actor. Only
/// [`authorize`] makes one, it cannot be copied, and the store's writes of
/// personal data need it (wrapped with a transaction): no decision, no write.
#[derive(Debug)]
pub struct Grant {
    actor: Actor,
    action: Action,
    record: Option<RecordRef>,
}

impl Grant {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    pub fn action(&self) -> Action {
        self.action
    }
    pub fn record(&self) -> Option<RecordRef> {
        self.record
    }
}

/// Decides one access and, when allowed, hands out the [`Grant`] for it.
pub fn authorize(
    actor: &Actor,
    action: Action,
    resource: &Resource<'_>,
    record: Option<RecordRef>,
) -> Result<Grant, DenyReason> {
    match decide(actor, action, resource) {
        Access::Allow => Ok(Grant {
            actor: actor.clone(),
            action,
            record,
        }),
        Access::Deny(reason) => Err(reason),
    }
}

fn in_scope(agency: Option<Uuid>, agencies: &[Uuid]) -> Access {
    match agency {
        None => Access::Deny(DenyReason::NoAgency),
        Some(a) if agencies.contains(&a) => Access::Allow,
        Some(_) => Access::Deny(DenyReason::NotInScope),
    }
}

const ALLOW: Access = Access::Allow;
const ROLE: Access = Access::Deny(DenyReason::Role);

/// Decides one access. Every (role, action) pair is named below with no
/// wildcard, so a new action does not compile until someone decides who may do
/// it; and whatever is not granted is denied.
pub fn decide(actor: &Actor, action: Action, resource: &Resource<'_>) -> Access {
    use Action::*;
    let (role, agency) = match actor.kind {
        ActorKind::Public => return public(action),
        ActorKind::System => return system(action),
        ActorKind::User {
            role, agency_id, ..
        } => (role, agency_id),
    };
    match role {
        Role::Secretariat => match action {
            SecondFactor | Reauthenticate => ALLOW,
            SecondFactorReset | KeyRotate | RetentionRun => ROLE,
            ConcernCreate | ConcernRead | ConcernList | ConcernTransition | ConcernPause
            | ConcernLinkPerson | ConcernDecide | MeetingCreate | MeetingRead | MeetingList
            | MeetingUpdate | AgendaAdd | RecommendationRecord | DashboardRead | CourseCreate
            | CourseRead | CourseList | CourseUpdate | CoursePlan | ContactLog
            | AssessmentRecord | CorpsRead | CorpsManage | FollowUpList | OutcomeRead
            | KeyFigureRead | ActivityRead | ActivityManage | PlanRead | PlanManage
            | FundingRead | FundingManage | Search | Login | Logout => ALLOW,
            ConcernReport | AuditRead | UserManage | ReminderRun | DemoLoad | Backup => ROLE,
        },
        Role::CoordinationUnit => match action {
            SecondFactor | Reauthenticate => ALLOW,
            SecondFactorReset | KeyRotate | RetentionRun => ROLE,
            ConcernList | MeetingList | DashboardRead | CourseList | FollowUpList | CorpsRead
            | OutcomeRead | KeyFigureRead | ActivityRead | PlanRead | Search | Login | Logout => {
                ALLOW
            }
            CourseRead => match resource {
                Resource::Course {
                    agency: course_agency,
                    ..
                } => in_scope(agency, course_agency.as_slice()),
                _ => ROLE,
            },
            ConcernRead | ConcernDecide => match resource {
                Resource::Concern { agenda_agencies } => in_scope(agency, agenda_agencies),
                _ => ROLE,
            },
            MeetingRead | RecommendationRecord => match resource {
                Resource::Meeting { attending } => in_scope(agency, attending),
                _ => ROLE,
            },
            ConcernCreate | ConcernReport | ConcernTransition | ConcernPause
            | ConcernLinkPerson | MeetingCreate | MeetingUpdate | AgendaAdd | AuditRead
            | UserManage | CourseCreate | CourseUpdate | CoursePlan | ContactLog
            | AssessmentRecord | CorpsManage | ActivityManage | PlanManage | FundingRead
            | FundingManage | ReminderRun | DemoLoad | Backup => ROLE,
        },
        Role::Auditor => match action {
            SecondFactor | Reauthenticate => ALLOW,
            SecondFactorReset | KeyRotate | RetentionRun => ROLE,
            AuditRead | Login | Logout => ALLOW,
            ConcernCreate | ConcernReport | ConcernRead | ConcernList | ConcernTransition
            | ConcernPause | ConcernLinkPerson | ConcernDecide | MeetingCreate | MeetingRead
            | MeetingList | MeetingUpdate | AgendaAdd | RecommendationRecord | DashboardRead
            | UserManage | CourseCreate | CourseRead | CourseList | CourseUpdate | CoursePlan
            | ContactLog | AssessmentRecord | CorpsRead | CorpsManage | FollowUpList
            | OutcomeRead | KeyFigureRead | ActivityRead | ActivityManage | PlanRead
            | PlanManage | FundingRead | FundingManage | Search | ReminderRun | DemoLoad
            | Backup => ROLE,
        },
        Role::Admin => match action {
            SecondFactor | Reauthenticate | SecondFactorReset => ALLOW,
            KeyRotate | RetentionRun => ROLE,
            UserManage | Login | Logout => ALLOW,
            ConcernCreate | ConcernReport | ConcernRead | ConcernList | ConcernTransition
            | ConcernPause | ConcernLinkPerson | ConcernDecide | MeetingCreate | MeetingRead
            | MeetingList | MeetingUpdate | AgendaAdd | RecommendationRecord | DashboardRead
            | AuditRead | CourseCreate | CourseRead | CourseList | CourseUpdate | CoursePlan
            | ContactLog | AssessmentRecord | CorpsRead | CorpsManage | FollowUpList
            | OutcomeRead | KeyFigureRead | ActivityRead | ActivityManage | PlanRead
            | PlanManage | FundingRead | FundingManage | Search | ReminderRun | DemoLoad
            | Backup => ROLE,
        },
        Role::Mentor => match action {
            SecondFactor | Reauthenticate => ALLOW,
            SecondFactorReset | KeyRotate | RetentionRun => ROLE,
            CourseList | FollowUpList | Search | Login | Logout => ALLOW,
            CourseRead | CoursePlan | ContactLog | AssessmentRecord => match resource {
                Resource::Course { mentor_user, .. } => {
                    if mentor_user.is_some() && *mentor_user == actor.user_id() {
                        ALLOW
                    } else {
                        Access::Deny(DenyReason::NotInScope)
                    }
                }
                _ => ROLE,
            },
            ConcernCreate | ConcernReport | ConcernRead | ConcernList | ConcernTransition
            | ConcernPause | ConcernLinkPerson | ConcernDecide | MeetingCreate | MeetingRead
            | MeetingList | MeetingUpdate | AgendaAdd | RecommendationRecord | DashboardRead
            | AuditRead | UserManage | CourseCreate | CourseUpdate | CorpsRead | CorpsManage
            | OutcomeRead | KeyFigureRead | ActivityRead | ActivityManage | PlanRead
            | PlanManage | FundingRead | FundingManage | ReminderRun | DemoLoad | Backup => ROLE,
        },
        Role::Analyst => match action {
            SecondFactor | Reauthenticate => ALLOW,
            SecondFactorReset | KeyRotate | RetentionRun => ROLE,
            OutcomeRead | KeyFigureRead | ActivityRead | PlanRead | FundingRead | Login
            | Logout => ALLOW,
            ConcernCreate | ConcernReport | ConcernRead | ConcernList | ConcernTransition
            | ConcernPause | ConcernLinkPerson | ConcernDecide | MeetingCreate | MeetingRead
            | MeetingList | MeetingUpdate | AgendaAdd | RecommendationRecord | DashboardRead
            | AuditRead | UserManage | CourseCreate | CourseRead | CourseList | CourseUpdate
            | CoursePlan | ContactLog | AssessmentRecord | CorpsRead | CorpsManage
            | FollowUpList | ActivityManage | PlanManage | FundingManage | Search | ReminderRun
            | DemoLoad | Backup => ROLE,
        },
    }
}

/// The public form may report a concern and try to log in; nothing else.
fn public(action: Action) -> Access {
    use Action::*;
    match action {
        ConcernReport | Login => ALLOW,
        SecondFactor | Reauthenticate | SecondFactorReset | KeyRotate | RetentionRun => ROLE,
        ConcernCreate | ConcernRead | ConcernList | ConcernTransition | ConcernPause
        | ConcernLinkPerson | ConcernDecide | MeetingCreate | MeetingRead | MeetingList
        | MeetingUpdate | AgendaAdd | RecommendationRecord | DashboardRead | AuditRead
        | UserManage | CourseCreate | CourseRead | CourseList | CourseUpdate | CoursePlan
        | ContactLog | AssessmentRecord | CorpsRead | CorpsManage | FollowUpList | OutcomeRead
        | KeyFigureRead | ActivityRead | ActivityManage | PlanRead | PlanManage | FundingRead
        | FundingManage | Search | Logout | ReminderRun | DemoLoad | Backup => ROLE,
    }
}

/// The command line and jobs write (users, demo data, reminders) but read no
/// case content.
fn system(action: Action) -> Access {
    use Action::*;
    match action {
        SecondFactorReset | KeyRotate | RetentionRun => ALLOW,
        SecondFactor | Reauthenticate => ROLE,
        ConcernCreate | ConcernTransition | ConcernPause | ConcernDecide | MeetingCreate
        | MeetingUpdate | AgendaAdd | RecommendationRecord | UserManage | ReminderRun
        | DemoLoad | ActivityManage | PlanManage | FundingManage | Backup => ALLOW,
        ConcernReport | ConcernRead | ConcernList | ConcernLinkPerson | MeetingRead
        | MeetingList | DashboardRead | AuditRead | CourseCreate | CourseRead | CourseList
        | CourseUpdate | CoursePlan | ContactLog | AssessmentRecord | CorpsRead | CorpsManage
        | FollowUpList | OutcomeRead | KeyFigureRead | ActivityRead | PlanRead | FundingRead
        | Search | Login | Logout => ROLE,
    }
}

/// Whether a reader sees counts below the small-number limit
/// ([`crate::metrics::SMALL`]): only the secretariat, who reads every case
/// anyway. Everyone else gets "<5" and complementary suppression.
pub fn sees_small_numbers(actor: &Actor) -> bool {
    actor.role() == Some(Role::Secretariat)
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
    fn every_action_has_one_code_and_grants_carry_what_was_asked() {
        let codes: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.code()).collect();
        assert_eq!(codes.len(), Action::ALL.len());
        let sek = user(Role::Secretariat, None);
        let g = authorize(
            &sek,
            Action::ConcernRead,
            &Resource::None,
            Some(RecordRef::concern(Uuid::from_u128(5))),
        )
        .unwrap();
        assert_eq!(g.action(), Action::ConcernRead);
        assert_eq!(g.record().map(|r| r.id), Some(Uuid::from_u128(5)));
        assert_eq!(
            authorize(&sek, Action::AuditRead, &Resource::None, None).err(),
            Some(DenyReason::Role)
        );
    }

    #[test]
    fn the_secretariat_is_granted_only_what_is_named() {
        let sek = user(Role::Secretariat, None);
        for a in [
            Action::AuditRead,
            Action::UserManage,
            Action::ConcernReport,
            Action::ReminderRun,
            Action::DemoLoad,
        ] {
            assert_eq!(
                decide(&sek, a, &Resource::None),
                Access::Deny(DenyReason::Role),
                "{a:?}"
            );
        }
        // The public and system actors: only what is named.
        for a in Action::ALL {
            let public_ok = decide(&Actor::public(), *a, &Resource::None).is_allowed();
            assert_eq!(
                public_ok,
                matches!(a, Action::ConcernReport | Action::Login),
                "{a:?}"
            );
            let system_ok = decide(&Actor::system(), *a, &Resource::None).is_allowed();
            assert!(
                !system_ok
                    || !matches!(
                        a,
                        Action::ConcernRead | Action::CourseRead | Action::AuditRead
                    ),
                "{a:?}"
            );
        }
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
