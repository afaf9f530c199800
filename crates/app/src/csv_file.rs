//! The one reader of the CSV files people upload (activities, spending): as
//! Danish Excel saves them (`;`, or `,`; a BOM or none), the header naming
//! the columns. Each importer turns the cells into its inputs.

use std::collections::HashMap;

use crate::activity_import::RowError;

/// A readable row: its line in the file (the header is line 1) and its
/// non-empty cells by column name.
pub type Row = (usize, HashMap<String, String>);

/// What a file's columns may be.
pub struct Columns<'a> {
    /// Every known column (after `canonical`).
    pub known: &'a [String],
    /// The columns a file must have.
    pub required: &'a [&'a str],
    /// A header cell's column name (lower-cased and trimmed already): for
    /// other names of the same column.
    pub canonical: &'a dyn Fn(&str) -> String,
    /// The known columns as an error message names them.
    pub expected: &'a str,
    pub max_rows: usize,
}

pub fn err(line: usize, column: &str, code: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.into(),
        code: code.into(),
        message: message.into(),
    }
}

/// Reads a file: the readable rows, and the errors found so far (an
/// unreadable line). A wrong header or too many rows is the only error.
pub fn read(text: &str, c: &Columns<'_>) -> Result<(Vec<Row>, Vec<RowError>), Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|x| (c.canonical)(&x.trim().to_lowercase()))
            .collect(),
        Err(e) => return Err(vec![err(1, "", "unreadable", e.to_string())]),
    };
    let mut errors = Vec::new();
    for h in &header {
        if !c.known.contains(h) {
            errors.push(err(
                1,
                h,
                "unknown_column",
                format!("unknown column; expected {}", c.expected),
            ));
        }
    }
    for required in c.required {
        if !header.iter().any(|h| h == required) {
            errors.push(err(1, required, "missing_column", "the column is required"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if rows.len() >= c.max_rows {
            return Err(vec![err(
                line,
                "",
                "too_many_rows",
                format!("at most {} rows a file", c.max_rows),
            )]);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(line, "", "unreadable", e.to_string()));
                continue;
            }
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let cells = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        rows.push((line, cells));
    }
    Ok((rows, errors))
}
