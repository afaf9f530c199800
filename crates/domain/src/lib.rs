//! Pure rules of `vink`: types, validation, the triage state machine and clock,
//! the access policy and the audit chain. No IO, no async, no SQL, so every rule
//! here is unit- and property-tested in milliseconds.

pub mod activity;
pub mod attainment;
pub mod audit;
pub mod concern;
pub mod course;
pub mod fact;
pub mod funding;
pub mod key_figures;
pub mod metrics;
pub mod money;
pub mod organisation;
pub mod person;
pub mod plan;
pub mod policy;
pub mod report;
pub mod retention;
pub mod search;
pub mod second_factor;
pub mod series;
pub mod sso;
pub mod triage;
pub mod user;
pub mod validation;

pub use jiff::Timestamp;
pub use uuid::Uuid;

/// Generates the time-ordered ids used for every record, so that indexes stay
/// append-friendly and ids can be made by the application before the insert.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Declares a string-coded enum once: its wire/database code, parsing and the list
/// of all codes, so API, database and UI keys always use the same glossary names.
#[macro_export]
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order (used for form choices and docs).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The glossary code used in the API, the database and UI keys.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a glossary code; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }

            /// Comma-separated list of the codes, for error messages.
            pub fn codes() -> String {
                let all: &[&str] = &[$($code),+];
                all.join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
