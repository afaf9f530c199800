//! Reading a plan from a file: TOML or JSON in the format of
//! `docs/plan-format.md` (the fields of [`PlanInput`]). A syntax error names
//! its line and column; a content error names the field by its path
//! (`focus_areas[1].targets[0].metric`). All or nothing: a plan with any
//! error writes nothing.

use uuid::Uuid;
use vink_domain::plan::{PlanInput, check};
use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::user::Actor;
use vink_domain::validation::FieldErrors;

use crate::{App, AppError, Result};

/// The largest plan file accepted (a plan is a few pages of text).
pub const MAX_BYTES: usize = 1024 * 1024;

/// The two plans of the seeds, shipped as examples and loaded by `--demo`.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("vink-2014.toml", include_str!("../plans/vink-2014.toml")),
    (
        "vink-2018-19.toml",
        include_str!("../plans/vink-2018-19.toml"),
    ),
];

fn file_error(code: &'static str, message: String) -> AppError {
    let mut e = FieldErrors::new();
    e.add("file", code, message);
    AppError::Invalid(e)
}

/// Parses a plan file: JSON when `name` ends in `.json` or the text starts
/// with `{`, TOML otherwise.
pub fn parse(name: &str, bytes: &[u8]) -> Result<PlanInput> {
    if bytes.len() > MAX_BYTES {
        return Err(file_error(
            "too_large",
            format!("a plan file is at most {MAX_BYTES} bytes"),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        file_error(
            "encoding",
            format!("not UTF-8 text (byte {})", e.valid_up_to()),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let json = name.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{');
    if json {
        serde_json::from_str(text).map_err(|e| {
            file_error(
                "syntax",
                format!("line {}, column {}: {e}", e.line(), e.column()),
            )
        })
    } else {
        toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            file_error("syntax", format!("{at}{}", e.message()))
        })
    }
}

/// Imports a plan file as one new plan.
pub async fn import(app: &App, actor: &Actor, name: &str, bytes: &[u8]) -> Result<Uuid> {
    let input = parse(name, bytes)?;
    let id = vink_domain::new_id();
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::PlanManage,
            &Resource::None,
            Some(RecordRef::plan(id)),
        )
        .await?;
    let draft = check(&input).map_err(AppError::Invalid)?;
    crate::plan::insert(&mut tx, &draft, id).await?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: AppError) -> Vec<(String, &'static str, String)> {
        match e {
            AppError::Invalid(f) => {
                f.0.into_iter()
                    .map(|e| (e.field, e.code, e.message))
                    .collect()
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn both_seed_plans_parse_and_check() {
        for (name, text) in EXAMPLES {
            let input = parse(name, text.as_bytes()).unwrap();
            let d = check(&input).unwrap();
            assert!(d.targets().count() >= 7, "{name}");
        }
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let e = parse("p.toml", b"title = \"x\"\nfrom_year = 20 18\n").unwrap_err();
        let f = fields(e);
        assert_eq!(f[0].0, "file");
        assert!(f[0].2.starts_with("line 2,"), "{}", f[0].2);
        let e = parse("p.json", b"{\"title\": \"x\",\n \"from_year\": }").unwrap_err();
        assert!(fields(e)[0].2.starts_with("line 2,"));
        let e = parse("p.toml", b"title = \"x\"\nbudget = 3\n").unwrap_err();
        assert!(fields(e)[0].2.contains("unknown field"));
    }
}
