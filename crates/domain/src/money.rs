//! Money as whole øre: budgets, grants and spending add up exactly, with no
//! float anywhere between the finance system's figure and the plan's table.
//! One parser for every amount a person types or a file carries, and the
//! Danish formats the plans are written in (`1,8 mio. kr.`, `250.000 kr.`).

use serde::{Deserialize, Serialize};

/// An amount in øre (1 kr. = 100 øre). May be negative (a correction).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Ore(pub i64);

/// Why an amount was refused: the UI and API name it per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount is required")]
    Empty,
    #[error("an amount has at most two decimals (øre)")]
    TooManyDecimals,
    #[error("not an amount in kroner (e.g. 250.000 or 1.234,50)")]
    Malformed,
    #[error("the amount is too large")]
    TooLarge,
}

/// The largest amount accepted: 10 000 billion kr., far above any
/// municipal budget, well inside `i64` after sums.
const MAX_ORE: i64 = 1_000_000_000_000_000;

impl Ore {
    pub fn kroner(kr: i64) -> Ore {
        Ore(kr * 100)
    }

    /// Parses kroner as people and finance systems write them: Danish
    /// (`1.234.567,89`, `250.000`, `12,5`) or plain (`1234567.89`), with an
    /// optional sign, spaces and `kr.`. A comma is always the decimal mark;
    /// a dot is the decimal mark only when one is followed by one or two
    /// digits (`12.5`); dots between groups of three digits are thousands.
    pub fn parse(input: &str) -> Result<Ore, MoneyError> {
        let mut s: String = input
            .trim()
            .trim_end_matches("kr.")
            .trim_end_matches("kr")
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
            .collect();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let negative = s.starts_with('-');
        if negative || s.starts_with('+') {
            s.remove(0);
        }
        let (whole, fraction) = match s.split_once(',') {
            Some((w, f)) => (thousands(w)?, f.to_string()),
            None => match s.matches('.').count() {
                0 => (s.clone(), String::new()),
                1 => {
                    let (w, f) = s.split_once('.').ok_or(MoneyError::Malformed)?;
                    if f.len() == 3 {
                        (format!("{w}{f}"), String::new())
                    } else if f.len() > 3 {
                        return Err(MoneyError::TooManyDecimals);
                    } else {
                        (w.to_string(), f.to_string())
                    }
                }
                _ => (thousands(&s)?, String::new()),
            },
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed);
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed);
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let kr: i64 = whole.parse().map_err(|_| MoneyError::TooLarge)?;
        let ore: i64 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| MoneyError::Malformed)?;
        let total = kr
            .checked_mul(100)
            .and_then(|x| x.checked_add(ore))
            .filter(|x| *x <= MAX_ORE)
            .ok_or(MoneyError::TooLarge)?;
        Ok(Ore(if negative { -total } else { total }))
    }

    /// The exact Danish form: `250.000 kr.`, `1.234,50 kr.`, `-75 kr.`.
    pub fn danish(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (kr, ore) = (abs / 100, abs % 100);
        if ore == 0 {
            format!("{sign}{} kr.", grouped(kr))
        } else {
            format!("{sign}{},{ore:02} kr.", grouped(kr))
        }
    }

    /// The plans' short form: a million and more in millions with at most
    /// two decimals, trailing zeros dropped (`1,8 mio. kr.`, `9 mio. kr.`,
    /// `1,25 mio. kr.`; rounded half up past that), below a million exact.
    pub fn short(self) -> String {
        let abs = self.0.unsigned_abs();
        if abs < 100_000_000 {
            return self.danish();
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        // Hundredths of a million kroner = 10 000 kr. = 1 000 000 øre.
        let hundredths = (abs + 500_000) / 1_000_000;
        let (m, frac) = (hundredths / 100, hundredths % 100);
        let frac = match frac {
            0 => String::new(),
            f if f.is_multiple_of(10) => format!(",{}", f / 10),
            f => format!(",{f:02}"),
        };
        format!("{sign}{}{frac} mio. kr.", grouped(m))
    }

    /// `checked_add` for sums of many amounts.
    pub fn checked_add(self, other: Ore) -> Option<Ore> {
        self.0.checked_add(other.0).map(Ore)
    }
}

impl std::iter::Sum for Ore {
    fn sum<I: Iterator<Item = Ore>>(iter: I) -> Ore {
        Ore(iter.map(|o| o.0).sum())
    }
}

/// Digits with dots between groups of three, `1.234.567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// `1.234.567` → `1234567`, refusing groups that are not three digits.
fn thousands(s: &str) -> Result<String, MoneyError> {
    let mut groups = s.split('.');
    let first = groups.next().unwrap_or_default();
    if first.is_empty() || first.len() > 3 && s.contains('.') {
        return Err(MoneyError::Malformed);
    }
    let mut out = first.to_string();
    for g in groups {
        if g.len() != 3 {
            return Err(MoneyError::Malformed);
        }
        out.push_str(g);
    }
    Ok(out)
}

/// Splits a grant over the years it may be used: whole kroner in equal
/// parts, and what does not divide (kroner and øre) on the first year, so
/// the lines always add up to the total and an uneven grant is front-loaded
/// the way a unit spends a new grant. Editable afterwards line by line.
pub fn split_over_years(total: Ore, years: std::ops::RangeInclusive<i16>) -> Vec<(i16, Ore)> {
    let n = i64::from((years.end() - years.start() + 1).max(0));
    if n == 0 {
        return Vec::new();
    }
    let kr = total.0.div_euclid(100);
    let each = kr.div_euclid(n) * 100;
    let first = total.0 - each * (n - 1);
    years
        .enumerate()
        .map(|(i, y)| (y, Ore(if i == 0 { first } else { each })))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_ways_amounts_are_written() {
        for (s, ore) in [
            ("250.000", 25_000_000),
            ("250000", 25_000_000),
            ("1.800.000 kr.", 180_000_000),
            ("1.234,50", 123_450),
            ("1234,5", 123_450),
            ("1234.5", 123_450),
            ("1234.56", 123_456),
            ("0,01", 1),
            ("-75", -7_500),
            ("  12 500 kr", 1_250_000),
            ("1.500", 150_000),
        ] {
            assert_eq!(Ore::parse(s), Ok(Ore(ore)), "{s}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(Ore::parse(""), Err(MoneyError::Empty));
        assert_eq!(Ore::parse("kr."), Err(MoneyError::Empty));
        assert_eq!(Ore::parse("1,234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Ore::parse("1.2345"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Ore::parse("12.34.56"), Err(MoneyError::Malformed));
        assert_eq!(Ore::parse("1.00,5,5"), Err(MoneyError::Malformed));
        assert_eq!(Ore::parse("abc"), Err(MoneyError::Malformed));
        assert_eq!(Ore::parse("1e6"), Err(MoneyError::Malformed));
        assert_eq!(
            Ore::parse("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn formats_as_the_plans_do() {
        assert_eq!(Ore::kroner(250_000).danish(), "250.000 kr.");
        assert_eq!(Ore(123_450).danish(), "1.234,50 kr.");
        assert_eq!(Ore(-7_500).danish(), "-75 kr.");
        assert_eq!(Ore(5).danish(), "0,05 kr.");
        assert_eq!(Ore::kroner(1_800_000).short(), "1,8 mio. kr.");
        assert_eq!(Ore::kroner(9_000_000).short(), "9 mio. kr.");
        assert_eq!(Ore::kroner(1_250_000).short(), "1,25 mio. kr.");
        assert_eq!(Ore::kroner(1_234_567).short(), "1,23 mio. kr.");
        assert_eq!(Ore::kroner(1_235_000).short(), "1,24 mio. kr.");
        assert_eq!(Ore::kroner(400_000).short(), "400.000 kr.");
        assert_eq!(Ore::kroner(12_000_000_000).short(), "12.000 mio. kr.");
    }

    #[test]
    fn a_grant_splits_into_years_that_add_up() {
        // 0.3 mio. usable 2017-20 (Tabel 3's footnote).
        let lines = split_over_years(Ore::kroner(300_000), 2017..=2020);
        assert_eq!(
            lines,
            vec![
                (2017, Ore::kroner(75_000)),
                (2018, Ore::kroner(75_000)),
                (2019, Ore::kroner(75_000)),
                (2020, Ore::kroner(75_000)),
            ]
        );
        // 100 kr. and 1 øre over three years: 33 kr. each, the rest first.
        let lines = split_over_years(Ore(10_001), 2018..=2020);
        assert_eq!(
            lines,
            vec![(2018, Ore(3_401)), (2019, Ore(3_300)), (2020, Ore(3_300))]
        );
        assert_eq!(
            split_over_years(Ore(10_001), 2019..=2019),
            vec![(2019, Ore(10_001))]
        );
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_gives_the_amount_back(ore in -MAX_ORE..MAX_ORE) {
            let text = Ore(ore).danish();
            prop_assert_eq!(Ore::parse(&text), Ok(Ore(ore)));
        }

        #[test]
        fn a_split_always_adds_up(ore in 0i64..MAX_ORE, first in 2000i16..2040, len in 0i16..8) {
            let lines = split_over_years(Ore(ore), first..=first + len);
            prop_assert_eq!(lines.len() as i16, len + 1);
            prop_assert_eq!(lines.iter().map(|l| l.1).sum::<Ore>(), Ore(ore));
            prop_assert!(lines.iter().all(|l| l.1.0 >= 0));
        }
    }
}
