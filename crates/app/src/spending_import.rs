//! Spending entries from the finance system's export: a CSV file with the
//! columns `date;amount;account;voucher;note` (or the Danish
//! `dato;beløb;konto;bilag;tekst`). A row's account and year name its
//! budget line. All or nothing, errors by line and column.

use vink_domain::funding::{AmountInput, SpendingInput, check_spending};
use vink_domain::policy::{Action, Resource};
use vink_domain::user::Actor;

use crate::activity_import::{ImportErrors, ImportResult, RowError};
use crate::{App, Result};

pub const MAX_ROWS: usize = 20_000;

/// Each column's name, English first, then Danish.
const COLUMNS: [(&str, &str); 5] = [
    ("date", "dato"),
    ("amount", "beløb"),
    ("account", "konto"),
    ("voucher", "bilag"),
    ("note", "tekst"),
];

use crate::csv_file::err;

/// A row as read: (line, account, input).
type Row = (usize, String, SpendingInput);

/// Reads the file's rows, or the errors of its shape.
pub fn parse(text: &str) -> std::result::Result<Vec<Row>, Vec<RowError>> {
    let known: Vec<String> = COLUMNS.iter().map(|(en, _)| (*en).to_string()).collect();
    let canonical = |c: &str| {
        COLUMNS
            .iter()
            .find(|(en, da)| c == *en || c == *da)
            .map_or(c.to_string(), |(en, _)| (*en).to_string())
    };
    let (cells, errors) = crate::csv_file::read(
        text,
        &crate::csv_file::Columns {
            known: &known,
            required: &["date", "amount", "account"],
            canonical: &canonical,
            expected: "date, amount, account, voucher, note",
            max_rows: MAX_ROWS,
        },
    )?;
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(cells
        .into_iter()
        .map(|(line, cells)| {
            let get = |k: &str| cells.get(k).cloned();
            (
                line,
                get("account").unwrap_or_default(),
                SpendingInput {
                    spent_on: get("date"),
                    amount: get("amount").map(AmountInput::Kroner),
                    voucher: get("voucher"),
                    note: get("note"),
                },
            )
        })
        .collect())
}

/// Imports a finance export: every row checked and matched to its line,
/// then all booked in one transaction, or none.
pub async fn import(
    app: &App,
    actor: &Actor,
    text: &str,
) -> Result<std::result::Result<ImportResult, ImportErrors>> {
    app.require(actor, Action::FundingManage, None).await?;
    let rows = match parse(text) {
        Ok(r) if r.is_empty() => {
            return Ok(Err(ImportErrors {
                errors: vec![err(2, "", "empty", "the file holds no entries")],
            }));
        }
        Ok(r) => r,
        Err(errors) => return Ok(Err(ImportErrors { errors })),
    };
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::FundingManage, &Resource::None, None)
        .await?;
    let today = app.today();
    let mut checked = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (line, account, input) in &rows {
        let s = match check_spending(input, today) {
            Ok(s) => s,
            Err(e) => {
                errors.extend(e.0.into_iter().map(|f| {
                    let column = match f.field.as_str() {
                        "spent_on" => "date".to_string(),
                        other => other.to_string(),
                    };
                    err(*line, &column, f.code, f.message)
                }));
                continue;
            }
        };
        if account.is_empty() {
            errors.push(err(*line, "account", "required", "is required"));
            continue;
        }
        let lines =
            vink_store::funding::lines_by_account(&mut tx, account, i32::from(s.spent_on.year()))
                .await?;
        match lines.as_slice() {
            [one] => checked.push((*one, s)),
            [] => errors.push(err(
                *line,
                "account",
                "no_budget_line",
                format!(
                    "no budget line has account {account} in {}",
                    s.spent_on.year()
                ),
            )),
            _ => errors.push(err(
                *line,
                "account",
                "ambiguous_account",
                format!(
                    "several budget lines have account {account} in {}",
                    s.spent_on.year()
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(ImportErrors { errors }));
    }
    let n = checked.len();
    for (line, s) in checked {
        crate::funding::insert_spending(&mut tx, actor, line, &s, vink_domain::new_id()).await?;
    }
    tx.commit().await?;
    Ok(Ok(ImportResult { imported: n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_headers_and_amounts_read() {
        let rows = parse("Dato;Beløb;Konto;Bilag\n05.03.2018;12.500,50;4711;B-17\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, "4711");
        assert_eq!(
            rows[0].2.amount,
            Some(AmountInput::Kroner("12.500,50".into()))
        );
        let e = parse("date;sum\n").unwrap_err();
        assert_eq!(e[0].column, "sum");
    }
}
