//! How far a plan's target is reached: the actual value (always from the
//! metric catalogue), a status, and for counts a forecast for the year's
//! end with its method, so a reader can judge the forecast and not just
//! trust it. Pure arithmetic on figures the store has counted.

use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::metrics::PeriodRule;
use crate::report::Share;

crate::code_enum!(
    /// Where a target stands.
    TargetStatus {
        /// Reached (a count already at its goal; a share at its goal with
        /// nothing pending; a year over and the goal reached).
        Met => "met",
        /// Not reached yet, but the forecast or the answers so far reach it.
        OnTrack => "on_track",
        /// Not reached, and the forecast or the answers so far fall short
        /// while the year or the follow-ups are still open.
        AtRisk => "at_risk",
        /// The year is over and the goal was not reached.
        NotMet => "not_met",
        /// Nothing to judge yet: a year not begun, a cohort whose
        /// follow-ups are not due, a qualitative target not assessed.
        NotYetMeasurable => "not_yet_measurable",
    }
);

/// A year of a target seen from `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearView {
    pub first: Date,
    pub last: Date,
    pub today: Date,
}

impl YearView {
    /// The calendar year `year` as seen on `today`.
    pub fn of(year: i16, today: Date) -> Option<YearView> {
        Some(YearView {
            first: Date::new(year, 1, 1).ok()?,
            last: Date::new(year, 12, 31).ok()?,
            today,
        })
    }

    pub fn started(&self) -> bool {
        self.today >= self.first
    }

    pub fn over(&self) -> bool {
        self.today > self.last
    }

    /// The last day counted so far: today within the year, its last day
    /// once it is over.
    pub fn to_date(&self) -> Date {
        self.today.min(self.last)
    }

    /// Days of the year gone, today included (1 on 1 January).
    pub fn days_gone(&self) -> i64 {
        i64::from(self.to_date().day_of_year())
    }

    pub fn days(&self) -> i64 {
        i64::from(self.last.day_of_year())
    }
}

/// An earlier year of the same metric: its value by the same day of the
/// year, and its whole-year value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastYear {
    pub year: i16,
    pub to_date: i64,
    pub total: i64,
}

/// How a forecast was made, for the words beside the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ForecastMethod {
    /// The year-to-date value scaled by the share of the year's total that
    /// earlier years had reached by the same day (`reached_percent`), or,
    /// when they had reached nothing by then, plus what they added after it
    /// on average.
    Seasonal {
        years: Vec<i16>,
        reached_percent: i64,
    },
    /// No earlier year with any value: the year-to-date value at the same
    /// pace for the rest of the year.
    RunRate { days_gone: i64, days: i64 },
    /// A figure that is a state, not a sum (members at the year's end): the
    /// value now is the best estimate.
    Current,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Forecast {
    pub value: i64,
    #[serde(flatten)]
    pub method: ForecastMethod,
}

/// Half-up division of non-negative numbers.
fn div_round(a: i128, b: i128) -> i64 {
    i64::try_from((2 * a + b) / (2 * b)).unwrap_or(i64::MAX)
}

/// The year-end forecast of a count from its value so far. Additive counts
/// (things that happen in the period) follow the earlier years' seasonal
/// profile, or the run rate without history; running counts (courses,
/// institutions engaged) only grow as the year goes, so they are scaled by
/// the profile when there is one and otherwise kept as they are; a state at
/// the end is kept as it is.
pub fn forecast(rule: PeriodRule, ytd: i64, year: &YearView, history: &[PastYear]) -> Forecast {
    let useful: Vec<&PastYear> = history.iter().filter(|h| h.total > 0).collect();
    let current = Forecast {
        value: ytd,
        method: ForecastMethod::Current,
    };
    if year.over() || matches!(rule, PeriodRule::AtEnd | PeriodRule::Cohort) {
        return current;
    }
    if !useful.is_empty() {
        let to_date: i128 = useful.iter().map(|h| i128::from(h.to_date)).sum();
        let total: i128 = useful.iter().map(|h| i128::from(h.total)).sum();
        let years = useful.iter().map(|h| h.year).collect();
        let value = if to_date > 0 {
            div_round(i128::from(ytd) * total, to_date)
        } else {
            ytd + div_round(total, useful.len() as i128)
        };
        return Forecast {
            value: value.max(ytd),
            method: ForecastMethod::Seasonal {
                years,
                reached_percent: div_round(to_date * 100, total),
            },
        };
    }
    match rule {
        PeriodRule::StartedIn | PeriodRule::EndedIn => Forecast {
            value: div_round(
                i128::from(ytd) * i128::from(year.days()),
                i128::from(year.days_gone().max(1)),
            ),
            method: ForecastMethod::RunRate {
                days_gone: year.days_gone(),
                days: year.days(),
            },
        },
        _ => current,
    }
}

/// The status of an "at least" count for a year.
pub fn count_status(at_least: i64, actual: i64, year: &YearView, forecast: i64) -> TargetStatus {
    if !year.started() {
        TargetStatus::NotYetMeasurable
    } else if actual >= at_least {
        TargetStatus::Met
    } else if year.over() {
        TargetStatus::NotMet
    } else if forecast >= at_least {
        TargetStatus::OnTrack
    } else {
        TargetStatus::AtRisk
    }
}

/// Whether `numerator / denominator` reaches `percent`, exactly (70.0 %
/// against 70 % is met; no rounding decides a target).
pub fn reaches(numerator: i64, denominator: i64, percent: i64) -> bool {
    denominator > 0 && i128::from(numerator) * 100 >= i128::from(percent) * i128::from(denominator)
}

/// The status of a share target. Pending answers are never failures: while
/// any are outstanding (or the year runs), a share below its goal is at
/// risk, not missed; a share with nothing answered yet is not measurable.
pub fn share_status(share: &Share, percent: i64, year: &YearView) -> TargetStatus {
    if !year.started() || share.denominator == 0 {
        return TargetStatus::NotYetMeasurable;
    }
    let open = share.pending > 0 || !year.over();
    match (reaches(share.numerator, share.denominator, percent), open) {
        (true, false) => TargetStatus::Met,
        (true, true) => TargetStatus::OnTrack,
        (false, true) => TargetStatus::AtRisk,
        (false, false) => TargetStatus::NotMet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn view(today: Date) -> YearView {
        YearView::of(2018, today).unwrap()
    }

    #[test]
    fn a_count_met_exactly_is_met_the_day_it_is_reached() {
        let y = view(day(2018, 6, 30));
        assert_eq!(count_status(10, 10, &y, 10), TargetStatus::Met);
        assert_eq!(count_status(10, 9, &y, 18), TargetStatus::OnTrack);
        assert_eq!(count_status(10, 9, &y, 9), TargetStatus::AtRisk);
        let over = view(day(2019, 1, 1));
        assert_eq!(count_status(10, 9, &over, 9), TargetStatus::NotMet);
        assert_eq!(count_status(10, 10, &over, 10), TargetStatus::Met);
        let early = view(day(2017, 12, 31));
        assert_eq!(
            count_status(10, 0, &early, 0),
            TargetStatus::NotYetMeasurable
        );
    }

    fn share(numerator: i64, denominator: i64, pending: i64) -> Share {
        Share::of(numerator, denominator, pending, 0, 70)
    }

    #[test]
    fn a_share_of_exactly_seventy_percent_meets_seventy() {
        let over = view(day(2019, 3, 1));
        assert_eq!(share_status(&share(7, 10, 0), 70, &over), TargetStatus::Met);
        assert_eq!(
            share_status(&share(69, 100, 0), 70, &over),
            TargetStatus::NotMet
        );
        // 2/3 = 66.67 %: not 70 %, whatever the rounding.
        assert_eq!(
            share_status(&share(2, 3, 0), 67, &over),
            TargetStatus::NotMet
        );
        assert_eq!(share_status(&share(2, 3, 0), 66, &over), TargetStatus::Met);
    }

    #[test]
    fn pending_follow_ups_are_never_a_failure() {
        let over = view(day(2019, 3, 1));
        // A cohort with nothing answered yet: not measurable.
        assert_eq!(
            share_status(&share(0, 0, 4), 70, &over),
            TargetStatus::NotYetMeasurable
        );
        // Below the goal with answers outstanding: at risk, not missed.
        assert_eq!(
            share_status(&share(1, 2, 3), 70, &over),
            TargetStatus::AtRisk
        );
        assert_eq!(
            share_status(&share(2, 2, 3), 70, &over),
            TargetStatus::OnTrack
        );
    }

    #[test]
    fn the_seasonal_forecast_on_a_hand_built_history() {
        // 30 June 2018 (day 181 of 365). Earlier years had reached 4 of 12
        // (2016) and 6 of 12 (2017) by 30 June: 10 of 24, 41.67 %. With 5
        // so far, the year ends at 5 × 24 / 10 = 12.
        let y = view(day(2018, 6, 30));
        let history = [
            PastYear {
                year: 2016,
                to_date: 4,
                total: 12,
            },
            PastYear {
                year: 2017,
                to_date: 6,
                total: 12,
            },
        ];
        let f = forecast(PeriodRule::StartedIn, 5, &y, &history);
        assert_eq!(f.value, 12);
        assert_eq!(
            f.method,
            ForecastMethod::Seasonal {
                years: vec![2016, 2017],
                reached_percent: 42
            }
        );
        // Earlier years with nothing by this day but 8 and 10 after it: the
        // 2 so far plus 9 on average.
        let late = [
            PastYear {
                year: 2016,
                to_date: 0,
                total: 8,
            },
            PastYear {
                year: 2017,
                to_date: 0,
                total: 10,
            },
        ];
        assert_eq!(forecast(PeriodRule::StartedIn, 2, &y, &late).value, 11);
        // A year with nothing at all says nothing: left out.
        let empty = [PastYear {
            year: 2017,
            to_date: 0,
            total: 0,
        }];
        let f = forecast(PeriodRule::StartedIn, 5, &y, &empty);
        // Run rate: 5 in 181 days → 5 × 365 / 181 = 10.08 → 10.
        assert_eq!(f.value, 10);
        assert_eq!(
            f.method,
            ForecastMethod::RunRate {
                days_gone: 181,
                days: 365
            }
        );
    }

    #[test]
    fn states_and_finished_years_are_not_extrapolated() {
        let y = view(day(2018, 6, 30));
        let f = forecast(PeriodRule::AtEnd, 20, &y, &[]);
        assert_eq!((f.value, f.method), (20, ForecastMethod::Current));
        let f = forecast(PeriodRule::RunningDuring, 3, &y, &[]);
        assert_eq!(f.value, 3);
        let over = view(day(2019, 2, 1));
        let f = forecast(PeriodRule::StartedIn, 7, &over, &[]);
        assert_eq!((f.value, f.method), (7, ForecastMethod::Current));
        // 1 January: one day gone.
        let first = view(day(2018, 1, 1));
        assert_eq!(forecast(PeriodRule::StartedIn, 1, &first, &[]).value, 365);
    }
}
