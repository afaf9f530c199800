//! A concern (bekymringshenvendelse): what arrives, from whom, about whom, and
//! how raw input from a form or the API becomes a valid new concern.

use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};
use serde::Deserialize;
use uuid::Uuid;

use crate::person::Birth;
use crate::validation::{FieldErrors, optional_text, required_code, required_text};

crate::code_enum!(
    /// How the concern reached the unit.
    Channel {
        Hotline => "hotline",
        NationalHotline => "national_hotline",
        Email => "email",
        Web => "web",
        InPerson => "in_person",
        Letter => "letter",
    }
);

crate::code_enum!(
    /// Who raised the concern; `anonymous` carries no contact at all.
    ReporterKind {
        Professional => "professional",
        Relative => "relative",
        Citizen => "citizen",
        Anonymous => "anonymous",
    }
);

/// Limits on free text. Generous for the description, tight for identifiers.
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_NAME: usize = 200;
pub const MAX_SHORT: usize = 200;
pub const MAX_DISTRICT: usize = 100;
pub const MAX_PERSONS: usize = 10;
/// A received-at time may lie this far in the future (clock skew between devices).
pub const FUTURE_SLACK: SignedDuration = SignedDuration::from_mins(5);

/// When a decision taken at `now` is dated: never before the receipt it
/// decides (a receipt may lie up to [`FUTURE_SLACK`] ahead of the clock).
/// The decided list bounds its walk by this order (a concern received in a
/// period was decided after the period began), and the database holds every
/// row to it, with `FUTURE_SLACK` of room for rows decided before this rule.
pub fn decision_instant(received_at: Timestamp, now: Timestamp) -> Timestamp {
    now.max(received_at)
}

/// Raw input as it comes from the staff form or the API: every field is text so
/// that each bad value becomes a per-field error instead of a parse failure.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernDraft {
    #[schema(required = true)]
    pub channel: Option<String>,
    /// RFC 3339 instant, or a local `YYYY-MM-DDTHH:MM` read as Copenhagen time.
    pub received_at: Option<String>,
    #[serde(default)]
    #[schema(required = true)]
    pub reporter: ReporterDraft,
    #[serde(default)]
    pub persons: Vec<PersonDraft>,
    #[schema(required = true)]
    pub description: Option<String>,
    #[serde(default)]
    pub immediate_danger: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterDraft {
    #[schema(required = true)]
    pub kind: Option<String>,
    pub organisation: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonDraft {
    /// Link to an existing person record instead of creating a new one.
    pub person_id: Option<Uuid>,
    pub name: Option<String>,
    /// `YYYY-MM-DD` or `YYYY`; blank when unknown.
    pub birth: Option<String>,
    pub district: Option<String>,
}

/// A validated concern, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConcern {
    pub channel: Channel,
    pub received_at: Timestamp,
    pub reporter: Reporter,
    pub persons: Vec<NewPerson>,
    pub description: String,
    pub immediate_danger: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    pub kind: ReporterKind,
    pub organisation: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson {
    pub existing: Option<Uuid>,
    pub name: Option<String>,
    pub birth: Birth,
    pub district: Option<String>,
}

/// The time zone the unit works in: local times typed by staff are read in it.
pub fn local_tz() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

/// Parses an instant given either as RFC 3339 or as a local date-time (the
/// `datetime-local` form input), which is interpreted in Copenhagen time.
pub fn parse_instant(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    dt.to_zoned_datetime(local_tz()).ok().map(|z| z.timestamp())
}

/// The calendar day of an instant in Copenhagen, for age and year rules.
pub fn local_date(t: Timestamp) -> Date {
    t.to_zoned_datetime(local_tz()).date()
}

impl ConcernDraft {
    /// Validates the draft against `now`. The channel is forced to `web` for
    /// public reports by the caller, not trusted from input.
    pub fn validate(&self, now: Timestamp) -> Result<NewConcern, FieldErrors> {
        let mut errs = FieldErrors::new();
        let channel = required_code(
            &mut errs,
            "channel",
            self.channel.as_deref(),
            Channel::parse,
            Channel::codes,
        );
        let received_at = match self.received_at.as_deref().map(str::trim) {
            None | Some("") => Some(now),
            Some(s) => match parse_instant(s) {
                None => {
                    errs.add(
                        "received_at",
                        "invalid_date",
                        "must be a date and time (RFC 3339)",
                    );
                    None
                }
                Some(t) if t > now + FUTURE_SLACK => {
                    errs.add("received_at", "in_future", "cannot lie in the future");
                    None
                }
                Some(t) if t.as_second() < 946_684_800 => {
                    errs.add("received_at", "out_of_range", "must be after the year 2000");
                    None
                }
                Some(t) => Some(t),
            },
        };
        let reporter = self.reporter.validate(&mut errs);
        let today = local_date(now);
        if self.persons.is_empty() {
            errs.add(
                "persons",
                "required",
                "at least one person of concern is required",
            );
        }
        if self.persons.len() > MAX_PERSONS {
            errs.add(
                "persons",
                "too_many",
                format!("at most {MAX_PERSONS} persons"),
            );
        }
        let persons: Vec<NewPerson> = self
            .persons
            .iter()
            .take(MAX_PERSONS)
            .enumerate()
            .map(|(i, p)| p.validate(&mut errs, i, today))
            .collect();
        let description = required_text(
            &mut errs,
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION,
        );
        match (channel, received_at, reporter, description) {
            (Some(channel), Some(received_at), Some(reporter), Some(description)) => {
                errs.finish(NewConcern {
                    channel,
                    received_at,
                    reporter,
                    persons,
                    description,
                    immediate_danger: self.immediate_danger,
                })
            }
            _ => Err(errs),
        }
    }
}

impl ReporterDraft {
    fn validate(&self, errs: &mut FieldErrors) -> Option<Reporter> {
        let kind = required_code(
            errs,
            "reporter.kind",
            self.kind.as_deref(),
            ReporterKind::parse,
            ReporterKind::codes,
        );
        let organisation = optional_text(
            errs,
            "reporter.organisation",
            self.organisation.as_deref(),
            MAX_SHORT,
        );
        let name = optional_text(errs, "reporter.name", self.name.as_deref(), MAX_NAME);
        let contact = optional_text(errs, "reporter.contact", self.contact.as_deref(), MAX_SHORT);
        let kind = kind?;
        if kind == ReporterKind::Anonymous && (name.is_some() || contact.is_some()) {
            errs.add(
                "reporter.kind",
                "anonymous_with_identity",
                "an anonymous reporter cannot have a name or contact",
            );
            return None;
        }
        Some(Reporter {
            kind,
            organisation,
            name,
            contact,
        })
    }
}

impl PersonDraft {
    fn validate(&self, errs: &mut FieldErrors, i: usize, today: Date) -> NewPerson {
        let f = |n: &str| format!("persons[{i}].{n}");
        NewPerson {
            existing: self.person_id,
            name: optional_text(errs, &f("name"), self.name.as_deref(), MAX_NAME),
            birth: Birth::parse(errs, &f("birth"), self.birth.as_deref(), today),
            district: optional_text(errs, &f("district"), self.district.as_deref(), MAX_DISTRICT),
        }
    }
}

/// Formats a human-facing case number: year of receipt and a per-year sequence.
pub fn case_number(year: i16, seq: i64) -> String {
    format!("K-{year}-{seq:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-24T10:00:00Z".parse().unwrap_or_default()
    }

    fn good() -> ConcernDraft {
        ConcernDraft {
            channel: Some("hotline".into()),
            received_at: Some("2026-11-24T08:00:00Z".into()),
            reporter: ReporterDraft {
                kind: Some("professional".into()),
                organisation: Some("Skole".into()),
                ..Default::default()
            },
            persons: vec![PersonDraft {
                name: Some("Test Testesen".into()),
                birth: Some("2010".into()),
                ..Default::default()
            }],
            description: Some("Beskrivelse".into()),
            immediate_danger: false,
        }
    }

    #[test]
    fn a_decision_is_never_dated_before_its_receipt() {
        // A receipt entered a few minutes ahead of the clock, decided at once.
        let ahead = now() + SignedDuration::from_mins(4);
        assert_eq!(decision_instant(ahead, now()), ahead);
        let earlier = now() - SignedDuration::from_hours(30);
        assert_eq!(decision_instant(earlier, now()), now());
    }

    #[test]
    fn valid_draft() {
        let c = good().validate(now());
        assert!(c.is_ok(), "{c:?}");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = good();
        d.channel = Some("pigeon".into());
        d.received_at = Some("2027-01-01T00:00:00Z".into());
        d.description = Some("  ".into());
        d.persons[0].birth = Some("31-12-2010".into());
        d.reporter.kind = Some("anonymous".into());
        d.reporter.contact = Some("1234".into());
        let e = d.validate(now()).err().unwrap_or_default();
        assert_eq!(e.get("channel").map(|x| x.code), Some("unknown_value"));
        assert_eq!(e.get("received_at").map(|x| x.code), Some("in_future"));
        assert_eq!(e.get("description").map(|x| x.code), Some("required"));
        assert_eq!(
            e.get("persons[0].birth").map(|x| x.code),
            Some("invalid_date")
        );
        assert_eq!(
            e.get("reporter.kind").map(|x| x.code),
            Some("anonymous_with_identity")
        );
    }

    #[test]
    fn no_persons_is_an_error_but_unknown_fields_are_allowed() {
        let mut d = good();
        d.persons = vec![PersonDraft::default()];
        assert!(d.validate(now()).is_ok());
        d.persons.clear();
        assert!(d.validate(now()).is_err());
    }

    #[test]
    fn local_time_is_copenhagen() {
        let t = parse_instant("2026-07-01T12:00").unwrap_or_default();
        assert_eq!(t.to_string(), "2026-07-01T10:00:00Z");
        let t = parse_instant("2026-01-01T12:00").unwrap_or_default();
        assert_eq!(t.to_string(), "2026-01-01T11:00:00Z");
    }

    #[test]
    fn case_numbers() {
        assert_eq!(case_number(2026, 42), "K-2026-0042");
    }
}
