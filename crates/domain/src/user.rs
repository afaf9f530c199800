//! Who acts: roles and the actor every use case is called with.

use uuid::Uuid;

crate::code_enum!(
    /// The roles of `domain.md`; each maps to one column of the access policy.
    Role {
        Secretariat => "secretariat",
        CoordinationUnit => "coordination_unit",
        Mentor => "mentor",
        Analyst => "analyst",
        Admin => "admin",
        Auditor => "auditor",
    }
);

/// The authenticated person (or the public form) on whose behalf a use case runs.
/// Carried into the policy and into every audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The address the request came from (through trusted proxies), for the
    /// audit log. Not part of any access decision.
    pub client: Option<std::net::IpAddr>,
}

/// Staff users act with a role; the public form and system jobs have no role and
/// are limited to what the policy grants them explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    User {
        user_id: Uuid,
        role: Role,
        agency_id: Option<Uuid>,
    },
    /// An anonymous submission through the public report form.
    Public,
    /// The command line or a background job (migrations, demo data).
    System,
}

impl Actor {
    pub fn user(user_id: Uuid, role: Role, agency_id: Option<Uuid>) -> Self {
        Actor {
            kind: ActorKind::User {
                user_id,
                role,
                agency_id,
            },
            client: None,
        }
    }

    pub fn public() -> Self {
        Actor {
            kind: ActorKind::Public,
            client: None,
        }
    }

    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            client: None,
        }
    }

    /// The same actor, coming from `client`.
    pub fn from_client(mut self, client: Option<std::net::IpAddr>) -> Self {
        self.client = client;
        self
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match self.kind {
            ActorKind::User { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self.kind {
            ActorKind::User { role, .. } => Some(role),
            _ => None,
        }
    }

    pub fn agency_id(&self) -> Option<Uuid> {
        match self.kind {
            ActorKind::User { agency_id, .. } => agency_id,
            _ => None,
        }
    }

    /// What the audit log records as the actor's kind: a role code, `public` or `system`.
    pub fn label(&self) -> &'static str {
        match self.kind {
            ActorKind::User { role, .. } => role.code(),
            ActorKind::Public => "public",
            ActorKind::System => "system",
        }
    }
}

/// Usernames are log-in handles, not personal descriptions: a short, plain form.
pub fn valid_username(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A minimum that stops trivial passwords without pretending to measure strength.
pub const MIN_PASSWORD_LEN: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(*r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn usernames() {
        assert!(valid_username("sek.anna"));
        assert!(!valid_username("a"));
        assert!(!valid_username("has space"));
        assert!(!valid_username("ø"));
    }
}
