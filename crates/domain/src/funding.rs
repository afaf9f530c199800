//! Money behind a plan: funding sources (municipal budget agreements, state
//! pool grants, ministry grants), grants with a total and the years they may
//! be used in, budget lines per grant and year (optionally per focus area or
//! intervention), and spending entries. All amounts are øre ([`Ore`]);
//! nothing here is about a person.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::{MoneyError, Ore};
use crate::validation::{
    DateRule, FieldErrors, date_field, optional_text, required_code, required_text,
};

crate::code_enum!(
    /// Where money comes from; the plan's tables group by it (Tabel 2: the
    /// municipal budget agreements; Tabel 3: the state pool).
    FundingKind {
        MunicipalBudget => "municipal_budget",
        StatePool => "state_pool",
        MinistryGrant => "ministry_grant",
        Other => "other",
    }
);

pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 4_000;
pub const MAX_VOUCHER: usize = 60;

/// A funding source as given ("Budget 2016", "Satspuljen").
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingSourceInput {
    pub name: Option<String>,
    /// `municipal_budget`, `state_pool`, `ministry_grant` or `other`.
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingSource {
    pub name: String,
    pub kind: FundingKind,
}

pub fn check_source(input: &FundingSourceInput) -> Result<FundingSource, FieldErrors> {
    let mut errs = FieldErrors::new();
    let name = required_text(&mut errs, "name", input.name.as_deref(), MAX_NAME);
    let kind = required_code(
        &mut errs,
        "kind",
        input.kind.as_deref(),
        FundingKind::parse,
        FundingKind::codes,
    );
    match (name, kind) {
        (Some(name), Some(kind)) if errs.is_empty() => Ok(FundingSource { name, kind }),
        _ => Err(errs),
    }
}

/// An amount as given: whole øre in the API (`250000000`), or kroner as
/// text in forms, files and imports (`"2.500.000"`, `"1.234,50"`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum AmountInput {
    Ore(i64),
    Kroner(String),
}

/// Reads an amount field, naming it on error.
pub fn amount(errs: &mut FieldErrors, field: &str, a: Option<&AmountInput>) -> Option<Ore> {
    let parsed = match a {
        None => Err(MoneyError::Empty),
        Some(AmountInput::Ore(o)) => Ok(Ore(*o)),
        Some(AmountInput::Kroner(s)) => Ore::parse(s),
    };
    match parsed {
        Ok(o) => Some(o),
        Err(e) => {
            let code = match e {
                MoneyError::Empty => "required",
                MoneyError::TooManyDecimals => "too_many_decimals",
                MoneyError::Malformed => "not_an_amount",
                MoneyError::TooLarge => "too_large_amount",
            };
            errs.add(field, code, e.to_string());
            None
        }
    }
}

/// A grant as given: a total usable over whole years.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// The funding source's id.
    pub source: Option<uuid::Uuid>,
    /// What the grant is for ("Udvikling af forebyggende indsats …").
    pub title: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub total: Option<AmountInput>,
    pub usable_from: Option<i16>,
    pub usable_to: Option<i16>,
    pub conditions: Option<String>,
    /// Days a report on the grant is due (`YYYY-MM-DD`).
    #[serde(default)]
    pub report_deadlines: Vec<String>,
    /// The plan the grant funds, if any.
    pub plan: Option<uuid::Uuid>,
    /// Split the total into yearly budget lines at once (the default).
    pub split: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub title: String,
    pub total: Ore,
    pub usable_from: i16,
    pub usable_to: i16,
    pub conditions: Option<String>,
    pub report_deadlines: Vec<Date>,
}

impl Grant {
    pub fn usable_in(&self, year: i16) -> bool {
        (self.usable_from..=self.usable_to).contains(&year)
    }
}

pub fn check_grant(input: &GrantInput) -> Result<Grant, FieldErrors> {
    let mut errs = FieldErrors::new();
    if input.source.is_none() {
        errs.add("source", "required", "is required");
    }
    let title = required_text(&mut errs, "title", input.title.as_deref(), MAX_NAME);
    let total = amount(&mut errs, "total", input.total.as_ref());
    if total.is_some_and(|t| t.0 < 0) {
        errs.add("total", "negative", "must not be negative");
    }
    let year = |errs: &mut FieldErrors, field: &str, y: Option<i16>| match y {
        Some(y) if (2000..=2100).contains(&y) => Some(y),
        Some(_) => {
            errs.add(field, "out_of_range", "must be a year from 2000 to 2100");
            None
        }
        None => {
            errs.add(field, "required", "is required");
            None
        }
    };
    let from = year(&mut errs, "usable_from", input.usable_from);
    let to = year(&mut errs, "usable_to", input.usable_to);
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || t - f >= 20)
    {
        errs.add(
            "usable_to",
            "out_of_range",
            "must be from usable_from to at most 19 years on",
        );
    }
    let conditions = optional_text(
        &mut errs,
        "conditions",
        input.conditions.as_deref(),
        MAX_TEXT,
    );
    let deadlines: Vec<Date> = input
        .report_deadlines
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            date_field(
                &mut errs,
                &format!("report_deadlines[{i}]"),
                Some(d),
                DateRule::default(),
                true,
            )
        })
        .collect();
    match (title, total, from, to) {
        (Some(title), Some(total), Some(usable_from), Some(usable_to)) if errs.is_empty() => {
            Ok(Grant {
                title,
                total,
                usable_from,
                usable_to,
                conditions,
                report_deadlines: deadlines,
            })
        }
        _ => Err(errs),
    }
}

/// A budget line as given: part of a grant for one year.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLineInput {
    pub year: Option<i16>,
    #[schema(value_type = Option<Object>)]
    pub amount: Option<AmountInput>,
    /// The finance system's account the spending is booked on; spending
    /// files name lines by it.
    pub account: Option<String>,
    pub note: Option<String>,
    /// The focus area of the grant's plan the money is for, if said.
    pub focus_area: Option<uuid::Uuid>,
    /// Or, narrower, one of its interventions.
    pub intervention: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub year: i16,
    pub amount: Ore,
    pub account: Option<String>,
    pub note: Option<String>,
    /// In a plan file: the focus area and intervention it is for, by
    /// position (from 0).
    pub place: Option<(usize, Option<usize>)>,
}

/// Checks a line against its grant: its year must lie in the grant's
/// usage period.
pub fn check_line(input: &BudgetLineInput, grant: &Grant) -> Result<BudgetLine, FieldErrors> {
    let mut errs = FieldErrors::new();
    let year = match input.year {
        None => {
            errs.add("year", "required", "is required");
            None
        }
        Some(y) if !grant.usable_in(y) => {
            errs.add(
                "year",
                "outside_usage_period",
                format!(
                    "lies outside the grant's usage period {}–{}",
                    grant.usable_from, grant.usable_to
                ),
            );
            None
        }
        Some(y) => Some(y),
    };
    let amount = amount(&mut errs, "amount", input.amount.as_ref());
    if amount.is_some_and(|a| a.0 < 0) {
        errs.add("amount", "negative", "must not be negative");
    }
    let account = optional_text(&mut errs, "account", input.account.as_deref(), MAX_VOUCHER);
    let note = optional_text(&mut errs, "note", input.note.as_deref(), MAX_TEXT);
    match (year, amount) {
        (Some(year), Some(amount)) if errs.is_empty() => Ok(BudgetLine {
            year,
            amount,
            account,
            note,
            place: None,
        }),
        _ => Err(errs),
    }
}

/// A spending entry as given (by hand or a row of the finance system's
/// file).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendingInput {
    /// The day it was booked.
    pub spent_on: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub amount: Option<AmountInput>,
    /// The voucher ("bilag") reference in the finance system.
    pub voucher: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spending {
    pub spent_on: Date,
    pub amount: Ore,
    pub voucher: Option<String>,
    pub note: Option<String>,
}

/// Checks a spending entry. A correction may be negative; nothing is
/// refused for going beyond its line (that is shown, not prevented).
pub fn check_spending(input: &SpendingInput, today: Date) -> Result<Spending, FieldErrors> {
    let mut errs = FieldErrors::new();
    let spent_on = date_field(
        &mut errs,
        "spent_on",
        input.spent_on.as_deref(),
        DateRule {
            not_after: Some(today),
            not_before: None,
        },
        true,
    );
    let amount = amount(&mut errs, "amount", input.amount.as_ref());
    let voucher = optional_text(&mut errs, "voucher", input.voucher.as_deref(), MAX_VOUCHER);
    let note = optional_text(&mut errs, "note", input.note.as_deref(), MAX_TEXT);
    match (spent_on, amount) {
        (Some(spent_on), Some(amount)) if errs.is_empty() => Ok(Spending {
            spent_on,
            amount,
            voucher,
            note,
        }),
        _ => Err(errs),
    }
}

/// A line's money at a glance: budget, spent, what remains, and whether
/// spending went beyond it (allowed, but flagged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Balance {
    /// Øre.
    pub budget: i64,
    pub spent: i64,
    pub remaining: i64,
    pub over_budget: bool,
}

impl Balance {
    pub fn of(budget: Ore, spent: Ore) -> Balance {
        Balance {
            budget: budget.0,
            spent: spent.0,
            remaining: budget.0 - spent.0,
            over_budget: spent.0 > budget.0,
        }
    }
}

/// A grant in a plan file: its source by name (registered when new) and
/// its budget lines (the total split over its years when none are given).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanGrantInput {
    /// The funding source's name ("Budget 2016", "Satspuljen").
    pub source: Option<String>,
    /// `municipal_budget`, `state_pool`, `ministry_grant` or `other`.
    pub source_kind: Option<String>,
    pub title: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub total: Option<AmountInput>,
    pub usable_from: Option<i16>,
    pub usable_to: Option<i16>,
    pub conditions: Option<String>,
    #[serde(default)]
    pub report_deadlines: Vec<String>,
    #[serde(default)]
    pub lines: Vec<PlanLineInput>,
}

/// A budget line in a plan file: what it is for is named by position in
/// the file (`focus_area = 2`: the second focus area; `intervention = 1`:
/// its first intervention).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanLineInput {
    pub year: Option<i16>,
    #[schema(value_type = Option<Object>)]
    pub amount: Option<AmountInput>,
    pub account: Option<String>,
    pub note: Option<String>,
    pub focus_area: Option<usize>,
    pub intervention: Option<usize>,
}

/// A plan file's grant checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanGrant {
    pub source: FundingSource,
    pub grant: Grant,
    pub lines: Vec<BudgetLine>,
}

/// Moves a part's errors under its path (`grants[1].lines[0].year`).
fn under(errs: &mut FieldErrors, at: &str, part: FieldErrors) {
    for mut e in part.0 {
        e.field = format!("{at}.{}", e.field);
        errs.0.push(e);
    }
}

/// Checks a plan file's grant; errors are named under `at`.
pub fn check_plan_grant(
    errs: &mut FieldErrors,
    at: &str,
    input: &PlanGrantInput,
) -> Option<PlanGrant> {
    let before = errs.0.len();
    let source = check_source(&FundingSourceInput {
        name: input.source.clone(),
        kind: input.source_kind.clone(),
    })
    .map_err(|mut e| {
        for x in &mut e.0 {
            if x.field == "name" {
                x.field = "source".into();
            } else if x.field == "kind" {
                x.field = "source_kind".into();
            }
        }
        under(errs, at, e)
    })
    .ok();
    let grant = check_grant(&GrantInput {
        source: Some(uuid::Uuid::nil()),
        title: input.title.clone(),
        total: input.total.clone(),
        usable_from: input.usable_from,
        usable_to: input.usable_to,
        conditions: input.conditions.clone(),
        report_deadlines: input.report_deadlines.clone(),
        plan: None,
        split: None,
    })
    .map_err(|e| under(errs, at, e))
    .ok();
    let grant = grant?;
    let lines = if input.lines.is_empty() {
        crate::money::split_over_years(grant.total, grant.usable_from..=grant.usable_to)
            .into_iter()
            .map(|(year, amount)| BudgetLine {
                year,
                amount,
                account: None,
                note: None,
                place: None,
            })
            .collect()
    } else {
        let mut lines = Vec::new();
        for (i, l) in input.lines.iter().enumerate() {
            let at = format!("{at}.lines[{i}]");
            let line = BudgetLineInput {
                year: l.year,
                amount: l.amount.clone(),
                account: l.account.clone(),
                note: l.note.clone(),
                focus_area: None,
                intervention: None,
            };
            let place = match (l.focus_area, l.intervention) {
                (None, None) => None,
                (Some(f), iv) if f >= 1 && iv.is_none_or(|i| i >= 1) => {
                    Some((f - 1, iv.map(|i| i - 1)))
                }
                (None, Some(_)) => {
                    errs.add(
                        format!("{at}.focus_area"),
                        "required",
                        "an intervention is named within its focus area",
                    );
                    None
                }
                _ => {
                    errs.add(
                        format!("{at}.focus_area"),
                        "out_of_range",
                        "positions count from 1",
                    );
                    None
                }
            };
            if let Ok(mut b) = check_line(&line, &grant).map_err(|e| under(errs, &at, e)) {
                b.place = place;
                lines.push(b);
            }
        }
        lines
    };
    if errs.0.len() > before {
        return None;
    }
    Some(PlanGrant {
        source: source?,
        grant,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        check_grant(&GrantInput {
            source: Some(uuid::Uuid::nil()),
            title: Some("Udvikling af forebyggende indsats i udsatte boligområder".into()),
            total: Some(AmountInput::Kroner("300.000".into())),
            usable_from: Some(2017),
            usable_to: Some(2020),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_line_outside_the_grants_years_is_refused() {
        let g = grant();
        assert_eq!(g.total, Ore::kroner(300_000));
        let e = check_line(
            &BudgetLineInput {
                year: Some(2021),
                amount: Some(AmountInput::Ore(100)),
                ..Default::default()
            },
            &g,
        )
        .unwrap_err();
        assert_eq!(e.0[0].field, "year");
        assert_eq!(e.0[0].code, "outside_usage_period");
        assert!(
            check_line(
                &BudgetLineInput {
                    year: Some(2020),
                    amount: Some(AmountInput::Kroner("75.000".into())),
                    ..Default::default()
                },
                &g
            )
            .is_ok()
        );
    }

    #[test]
    fn amounts_with_more_than_two_decimals_are_refused_by_field() {
        let e = check_spending(
            &SpendingInput {
                spent_on: Some("2018-03-01".into()),
                amount: Some(AmountInput::Kroner("1.234,567".into())),
                ..Default::default()
            },
            Date::new(2018, 12, 31).unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            (e.0[0].field.as_str(), e.0[0].code),
            ("amount", "too_many_decimals")
        );
    }

    #[test]
    fn a_plan_files_grant_is_split_when_it_names_no_lines() {
        let mut errs = FieldErrors::new();
        let g = check_plan_grant(
            &mut errs,
            "grants[0]",
            &PlanGrantInput {
                source: Some("Satspuljen".into()),
                source_kind: Some("state_pool".into()),
                title: Some("National hotline".into()),
                total: Some(AmountInput::Kroner("100.001".into())),
                usable_from: Some(2018),
                usable_to: Some(2019),
                ..Default::default()
            },
        )
        .unwrap();
        let amounts: Vec<(i16, Ore)> = g.lines.iter().map(|l| (l.year, l.amount)).collect();
        assert_eq!(
            amounts,
            vec![(2018, Ore::kroner(50_001)), (2019, Ore::kroner(50_000))]
        );
        let bad = check_plan_grant(
            &mut errs,
            "grants[1]",
            &PlanGrantInput {
                source: Some("Budget 2016".into()),
                source_kind: Some("budget".into()),
                title: Some("Budget 2016".into()),
                total: Some(AmountInput::Kroner("6.700.000".into())),
                usable_from: Some(2018),
                usable_to: Some(2019),
                lines: vec![PlanLineInput {
                    year: Some(2020),
                    amount: Some(AmountInput::Kroner("3,7".into())),
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        assert!(bad.is_none());
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["grants[1].source_kind", "grants[1].lines[0].year"]);
    }

    #[test]
    fn spending_beyond_a_line_is_flagged_not_refused() {
        let b = Balance::of(Ore::kroner(100), Ore::kroner(120));
        assert!(b.over_budget);
        assert_eq!(b.remaining, -2_000);
        assert!(!Balance::of(Ore::kroner(100), Ore::kroner(100)).over_budget);
    }
}
