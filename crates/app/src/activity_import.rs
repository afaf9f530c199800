//! Many activities at once from a CSV file, as Danish Excel saves it
//! (semicolons, UTF-8 with or without a BOM). All or nothing: every row is
//! checked first, and one error anywhere saves no row.

use serde::Serialize;
use utoipa::ToSchema;
use vink_domain::activity::{ActivityInput, ParticipantInput, TargetGroup};
use vink_domain::policy::{Action, Resource};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;

use crate::{App, AppError, Result};

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 5_000;

/// The columns before the participant counts, in the template's order.
const FIELDS: [&str; 8] = [
    "kind",
    "held_on",
    "status",
    "title",
    "focus_area",
    "prevention_level",
    "district",
    "agency",
];

/// The template's header: the fields, then one count column per target
/// group (`participants.<group>`).
pub fn columns() -> Vec<String> {
    FIELDS
        .iter()
        .map(|f| f.to_string())
        .chain(
            TargetGroup::ALL
                .iter()
                .map(|g| format!("participants.{}", g.code())),
        )
        .collect()
}

/// The downloadable template: the header and one example row, `;`-separated,
/// UTF-8 with a BOM so Excel reads the Danish letters right.
pub fn template() -> String {
    let mut example = vec![
        "presentation",
        "12.03.2026",
        "held",
        "Vidensoplæg for lærere",
        "front_line",
        "preventive",
        "Nørrebro",
        "vink",
    ];
    let counts = ["45", "", "", "", "", "", "", "", ""];
    example.extend(counts);
    format!(
        "\u{feff}{}\r\n{}\r\n",
        columns().join(";"),
        example.join(";")
    )
}

/// One problem in a file: its line (the header is line 1), its column, the
/// error code and an English message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub code: String,
    pub message: String,
}

/// What an import answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
}

/// A failed import: nothing was saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportErrors {
    pub errors: Vec<RowError>,
}

/// A file's text: UTF-8 (with or without a BOM), or else Windows-1252, the
/// encoding Danish Excel's plain "CSV (semikolonsepareret)" is saved in.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        // Latin-1 agrees with Windows-1252 on every letter but the few in
        // 0x80–0x9F, which a Danish activity list does not need.
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// Reads a file into one input per row, or the errors of the file's shape
/// (unknown or missing columns, unreadable lines, too many rows).
pub fn parse(text: &str) -> std::result::Result<Vec<(usize, ActivityInput)>, Vec<RowError>> {
    let known = columns();
    let (cells, mut errors) = crate::csv_file::read(
        text,
        &crate::csv_file::Columns {
            known: &known,
            required: &["kind", "held_on", "status", "title", "focus_area"],
            canonical: &|c| c.to_string(),
            expected: &known.join(", "),
            max_rows: MAX_ROWS,
        },
    )?;
    let err = crate::csv_file::err;
    let mut rows = Vec::new();
    for (line, cells) in cells {
        let get = |k: &str| cells.get(k).cloned();
        let mut participants = Vec::new();
        for g in TargetGroup::ALL {
            let column = format!("participants.{}", g.code());
            let Some(raw) = cells.get(column.as_str()) else {
                continue;
            };
            match raw.replace('.', "").parse::<i64>() {
                Ok(n) => participants.push(ParticipantInput {
                    target_group: Some(g.code().into()),
                    count: Some(n),
                }),
                Err(_) => errors.push(err(line, &column, "invalid", "not a whole number")),
            }
        }
        rows.push((
            line,
            ActivityInput {
                kind: get("kind"),
                held_on: get("held_on"),
                status: get("status"),
                title: get("title"),
                focus_area: get("focus_area"),
                prevention_level: get("prevention_level"),
                district: get("district"),
                agency: get("agency"),
                participants,
                organisations: Vec::new(),
                corps_members: Vec::new(),
            },
        ));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// A row's field errors under the file's column names.
fn row_errors(line: usize, input: &ActivityInput, errs: FieldErrors) -> Vec<RowError> {
    errs.0
        .into_iter()
        .map(|e| {
            let column = match e.field.strip_prefix("participants[") {
                Some(rest) => rest
                    .split_once(']')
                    .and_then(|(i, _)| i.parse::<usize>().ok())
                    .and_then(|i| input.participants.get(i))
                    .and_then(|p| p.target_group.clone())
                    .map(|g| format!("participants.{g}"))
                    .unwrap_or(e.field),
                None => e.field,
            };
            RowError {
                line,
                column,
                code: e.code.to_string(),
                message: e.message,
            }
        })
        .collect()
}

/// Imports a file: every row checked, then all saved in one transaction
/// with their facts, or none.
pub async fn import(
    app: &App,
    actor: &Actor,
    text: &str,
) -> Result<std::result::Result<ImportResult, ImportErrors>> {
    // Access first: a refused reader learns nothing about the file.
    app.require(actor, Action::ActivityManage, None).await?;
    let rows = match parse(text) {
        Ok(r) => r,
        Err(errors) => return Ok(Err(ImportErrors { errors })),
    };
    if rows.is_empty() {
        return Ok(Err(ImportErrors {
            errors: vec![RowError {
                line: 2,
                column: String::new(),
                code: "empty".into(),
                message: "the file holds no activities".into(),
            }],
        }));
    }
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::ActivityManage, &Resource::None, None)
        .await?;
    let today = app.today();
    let mut checked = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (line, input) in &rows {
        match crate::activity::checked(&mut tx, input, today).await {
            Ok(c) => checked.push(c),
            Err(AppError::Invalid(e)) => errors.extend(row_errors(*line, input, e)),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        // Dropping the transaction writes nothing.
        return Ok(Err(ImportErrors { errors }));
    }
    let n = checked.len();
    for c in checked {
        crate::activity::insert(&mut tx, actor, c, vink_domain::new_id()).await?;
    }
    tx.commit().await?;
    Ok(Ok(ImportResult { imported: n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_reads_back_as_one_row() {
        let rows = parse(&template()).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        let (line, a) = &rows[0];
        assert_eq!(*line, 2);
        assert_eq!(a.title.as_deref(), Some("Vidensoplæg for lærere"));
        assert_eq!(a.participants.len(), 1);
        assert_eq!(a.participants[0].count, Some(45));
    }

    #[test]
    fn a_windows_1252_file_reads_its_danish_letters() {
        assert_eq!(
            decode(b"Vidensopl\xe6g i N\xf8rrebro"),
            "Vidensoplæg i Nørrebro"
        );
        assert_eq!(decode("æøå".as_bytes()), "æøå");
    }

    #[test]
    fn shape_errors_name_line_and_column() {
        let e = parse("kind;held_on;colour\nworkshop;01.02.2026;red\n")
            .err()
            .unwrap_or_default();
        let cols: Vec<&str> = e.iter().map(|r| r.column.as_str()).collect();
        assert!(cols.contains(&"colour"));
        assert!(cols.contains(&"status"));
        let e = parse("kind;held_on;status;title;focus_area;participants.parents\nworkshop;01.02.2026;held;X;front_line;12a\n")
            .err()
            .unwrap_or_default();
        assert_eq!(
            (e[0].line, e[0].column.as_str()),
            (2, "participants.parents")
        );
        // Commas work too, and a thousands separator in a count.
        let ok = parse("kind,held_on,status,title,focus_area,participants.front_line_staff\nworkshop,01.02.2026,held,X,front_line,1.883\n")
            .unwrap_or_default();
        assert_eq!(ok[0].1.participants[0].count, Some(1883));
    }
}
