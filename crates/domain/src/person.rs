//! A person of concern: identity fields that may each be unknown, and the rules
//! derived from them (minor status, exact-match suggestions).

use jiff::civil::Date;
use serde::Serialize;

use crate::validation::FieldErrors;

/// What is known of a birth: often only a year, sometimes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Birth {
    Unknown,
    Year(i16),
    Date(Date),
}

impl Birth {
    /// Parses `YYYY-MM-DD` or `YYYY`; blank means unknown. The date must lie in
    /// the past relative to `today` and after 1900.
    pub fn parse(errs: &mut FieldErrors, field: &str, raw: Option<&str>, today: Date) -> Birth {
        let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Birth::Unknown;
        };
        let parsed = if s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()) {
            s.parse::<i16>().ok().map(Birth::Year)
        } else {
            crate::validation::parse_date(s).map(Birth::Date)
        };
        match parsed {
            None => {
                errs.add(
                    field,
                    "invalid_date",
                    "must be a date (YYYY-MM-DD) or a year (YYYY)",
                );
                Birth::Unknown
            }
            Some(b) => {
                let (year, date) = match b {
                    Birth::Year(y) => (y, None),
                    Birth::Date(d) => (d.year(), Some(d)),
                    Birth::Unknown => return b,
                };
                if year < 1900 || year > today.year() || date.is_some_and(|d| d > today) {
                    errs.add(field, "out_of_range", "must be between 1900 and today");
                    Birth::Unknown
                } else {
                    b
                }
            }
        }
    }

    /// The stored form: `YYYY-MM-DD`, `YYYY` or `None`.
    pub fn to_storage(self) -> Option<String> {
        match self {
            Birth::Unknown => None,
            Birth::Year(y) => Some(format!("{y:04}")),
            Birth::Date(d) => Some(d.to_string()),
        }
    }

    /// Reads the stored form back; anything unreadable counts as unknown.
    pub fn from_storage(s: Option<&str>) -> Birth {
        match s {
            None => Birth::Unknown,
            Some(s) if s.len() == 4 => s.parse().map(Birth::Year).unwrap_or(Birth::Unknown),
            Some(s) => s.parse().map(Birth::Date).unwrap_or(Birth::Unknown),
        }
    }
}

crate::code_enum!(
    /// Whether the person was under 18 on a given day. With only a birth year the
    /// answer can be `possibly`: the year of the 18th birthday is ambiguous.
    MinorStatus {
        Minor => "minor",
        Adult => "adult",
        Possibly => "possibly",
        Unknown => "unknown",
    }
);

/// Minor status on `on` (normally the day the concern was received), derived
/// from the birth so it is never entered by hand and never inconsistent.
pub fn minor_status(birth: Birth, on: Date) -> MinorStatus {
    match birth {
        Birth::Unknown => MinorStatus::Unknown,
        Birth::Date(d) => {
            let mut age = on.year() - d.year();
            if (on.month(), on.day()) < (d.month(), d.day()) {
                age -= 1;
            }
            if age < 18 {
                MinorStatus::Minor
            } else {
                MinorStatus::Adult
            }
        }
        Birth::Year(y) => {
            let diff = on.year() - y;
            if diff < 18 {
                MinorStatus::Minor
            } else if diff == 18 {
                MinorStatus::Possibly
            } else {
                MinorStatus::Adult
            }
        }
    }
}

/// The key under which two person records count as an exact match: the name
/// with case and spacing folded, and a full birth date. Without both there is no
/// key, so nothing is suggested on a guess.
pub fn match_key(name: Option<&str>, birth: Birth) -> Option<String> {
    let name = name?;
    let Birth::Date(d) = birth else { return None };
    let folded: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    if folded.is_empty() {
        return None;
    }
    Some(format!("{}|{}", folded.join(" "), d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn parse(s: &str) -> (Birth, FieldErrors) {
        let mut e = FieldErrors::new();
        let b = Birth::parse(&mut e, "birth", Some(s), date(2026, 11, 24));
        (b, e)
    }

    #[test]
    fn birth_parsing() {
        assert_eq!(parse("2009").0, Birth::Year(2009));
        assert_eq!(parse("2009-02-28").0, Birth::Date(date(2009, 2, 28)));
        assert_eq!(parse("").0, Birth::Unknown);
        assert_eq!(
            parse("2009-02-30").1.get("birth").map(|e| e.code),
            Some("invalid_date")
        );
        assert_eq!(
            parse("2027").1.get("birth").map(|e| e.code),
            Some("out_of_range")
        );
        assert_eq!(
            parse("1850").1.get("birth").map(|e| e.code),
            Some("out_of_range")
        );
        assert_eq!(
            parse("soon").1.get("birth").map(|e| e.code),
            Some("invalid_date")
        );
    }

    #[test]
    fn minor_on_the_day_before_the_18th_birthday() {
        let b = Birth::Date(date(2008, 11, 25));
        assert_eq!(minor_status(b, date(2026, 11, 24)), MinorStatus::Minor);
        assert_eq!(minor_status(b, date(2026, 11, 25)), MinorStatus::Adult);
        assert_eq!(
            minor_status(Birth::Year(2008), date(2026, 1, 1)),
            MinorStatus::Possibly
        );
        assert_eq!(
            minor_status(Birth::Year(2009), date(2026, 1, 1)),
            MinorStatus::Minor
        );
        assert_eq!(
            minor_status(Birth::Unknown, date(2026, 1, 1)),
            MinorStatus::Unknown
        );
    }

    #[test]
    fn leap_day_birthday() {
        // Born 29 February: 18 on 1 March in a non-leap year.
        let b = Birth::Date(date(2008, 2, 29));
        assert_eq!(minor_status(b, date(2026, 2, 28)), MinorStatus::Minor);
        assert_eq!(minor_status(b, date(2026, 3, 1)), MinorStatus::Adult);
    }

    #[test]
    fn match_key_folds_case_and_space_only() {
        let b = Birth::Date(date(2005, 5, 1));
        assert_eq!(
            match_key(Some(" Ali  Hansen "), b),
            match_key(Some("ali hansen"), b)
        );
        assert_ne!(
            match_key(Some("Ali Hansen"), b),
            match_key(Some("Ali Hanson"), b)
        );
        assert_eq!(match_key(Some("Ali Hansen"), Birth::Year(2005)), None);
        assert_eq!(match_key(None, b), None);
    }

    proptest! {
        #[test]
        fn storage_round_trip(y in 1900i16..2026, m in 1i8..=12, d in 1i8..=28) {
            for b in [Birth::Year(y), Birth::Date(date(y, m, d)), Birth::Unknown] {
                prop_assert_eq!(Birth::from_storage(b.to_storage().as_deref()), b);
            }
        }

        #[test]
        fn minor_status_is_monotone_in_time(y in 1950i16..2026, m in 1i8..=12, d in 1i8..=28, days in 0i32..40000) {
            // Once adult, always adult.
            let birth = Birth::Date(date(y, m, d));
            let start = date(y, m, d);
            let Ok(a) = start.checked_add(jiff::Span::new().days(days)) else { return Ok(()) };
            let Ok(b) = a.checked_add(jiff::Span::new().days(1)) else { return Ok(()) };
            if minor_status(birth, a) == MinorStatus::Adult {
                prop_assert_eq!(minor_status(birth, b), MinorStatus::Adult);
            }
        }
    }
}
