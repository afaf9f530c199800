//! Reading a plan from a file: TOML or JSON in the format of
//! `docs/plan-format.md` (the fields of [`PlanInput`]). A syntax error names
//! its line and column; a content error names the field by its path
//! (`focus_areas[1].targets[0].metric`). All or nothing: a plan with any
//! error writes nothing.

use uuid::Uuid;
use vink_domain::plan::{PlanInput, check};
use vink_domain::policy::{Action, RecordRef, Resource, decide};
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

/// The line of a field named by its path (`focus_areas[1].targets[0].metric`)
/// in a TOML file; for a field that is missing, the line of the nearest
/// part that is there (its table).
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut here: &DeTable<'_> = root.get_ref();
    for seg in path.split('.') {
        let (key, index) = match seg.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        let Some((_, v)) = here.iter().find(|(k, _)| k.get_ref().as_ref() == key) else {
            break;
        };
        span = v.span();
        let mut value = v;
        if let Some(i) = index {
            match value.get_ref() {
                DeValue::Array(a) => match a.get(i) {
                    Some(item) => {
                        span = item.span();
                        value = item;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        match value.get_ref() {
            DeValue::Table(t) => here = t,
            _ => break,
        }
    }
    Some(text.get(..span.start)?.matches('\n').count() + 1)
}

/// A plan file's content errors with the line each is on (TOML files).
fn with_lines(name: &str, bytes: &[u8], mut errs: FieldErrors) -> FieldErrors {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return errs;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if name.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{') {
        return errs;
    }
    for e in &mut errs.0 {
        if let Some(line) = line_of(text, &e.field) {
            e.message = format!("line {line}: {}", e.message);
        }
    }
    errs
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
    let draft = check(&input).map_err(|e| AppError::Invalid(with_lines(name, bytes, e)))?;
    crate::plan::insert(&mut tx, &draft, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// A plan in the import format (TOML), to edit and import again: its
/// targets (one per plan year become one without a year), and, for a
/// reader of money, its grants with their lines. A closed plan is written
/// as adopted (closing is done in vink, not by a file).
pub async fn export(app: &App, actor: &Actor, id: Uuid) -> Result<String> {
    use vink_domain::funding::{AmountInput, PlanGrantInput, PlanLineInput};
    use vink_domain::money::Ore;
    use vink_domain::plan::{FocusAreaInput, InterventionInput, TargetInput};
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(
            tx,
            actor,
            Action::PlanRead,
            &Resource::None,
            Some(RecordRef::plan(id)),
        )
        .await?;
    let plan = vink_store::plan::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let areas = vink_store::plan::focus_areas(&mut tx, id).await?;
    let ivs = vink_store::plan::interventions(&mut tx, id).await?;
    let targets = vink_store::plan::targets(&mut tx, id).await?;
    let money = decide(actor, Action::FundingRead, &Resource::None).is_allowed();
    let mut grants = Vec::new();
    if money {
        for g in vink_store::funding::grants_of_plan(&mut tx, id).await? {
            let source = vink_store::funding::source(&mut tx, g.source_id)
                .await?
                .ok_or_else(|| AppError::Internal("grant without source".into()))?;
            let deadlines = vink_store::funding::deadlines(&mut tx, g.id).await?;
            let lines = vink_store::funding::lines_of_grant(&mut tx, g.id).await?;
            grants.push((g, source, deadlines, lines));
        }
    }
    tx.commit().await?;
    let year = |y: i32| i16::try_from(y).ok();
    let plan_years: Vec<i32> = (plan.from_year..=plan.to_year).collect();
    // The targets of one place, grouped by position: a target for every
    // plan year is written once, without a year.
    let targets_of = |area: Uuid, iv: Option<Uuid>| -> Vec<TargetInput> {
        let mine: Vec<&vink_store::plan::TargetRow> = targets
            .iter()
            .filter(|t| t.focus_area_id == area && t.intervention_id == iv)
            .collect();
        let mut positions: Vec<i32> = mine.iter().map(|t| t.position).collect();
        positions.dedup();
        let mut out = Vec::new();
        for p in positions {
            let rows: Vec<&&vink_store::plan::TargetRow> =
                mine.iter().filter(|t| t.position == p).collect();
            let years: Vec<i32> = rows.iter().map(|t| t.year).collect();
            let every = years == plan_years;
            for t in rows.iter().take(if every { 1 } else { rows.len() }) {
                let (at_least, percent) = match t.kind.as_str() {
                    "share" => (None, t.value),
                    "qualitative" => (None, None),
                    _ => (t.value, None),
                };
                out.push(TargetInput {
                    text: Some(t.text.clone()),
                    kind: Some(t.kind.clone()),
                    metric: t.metric.clone(),
                    denominator: t.denominator.clone(),
                    at_least,
                    percent,
                    year: if every { None } else { year(t.year) },
                });
            }
        }
        out
    };
    let position = |area: Option<Uuid>, iv: Option<Uuid>| -> (Option<usize>, Option<usize>) {
        let f = area.and_then(|a| areas.iter().position(|x| x.id == a));
        let i = iv.and_then(|i| {
            let of_area: Vec<&vink_store::plan::InterventionRow> = ivs
                .iter()
                .filter(|x| Some(x.focus_area_id) == area)
                .collect();
            of_area.iter().position(|x| x.id == i)
        });
        (f.map(|f| f + 1), i.map(|i| i + 1))
    };
    let kroner = |o: i64| Some(AmountInput::Kroner(Ore(o).danish()));
    let input = PlanInput {
        title: Some(plan.title.clone()),
        from_year: year(plan.from_year),
        to_year: year(plan.to_year),
        status: Some(if plan.status == "closed" {
            "adopted".into()
        } else {
            plan.status.clone()
        }),
        purposes: serde_json::from_str(&plan.purposes)
            .map_err(|e| AppError::Internal(format!("purposes: {e}")))?,
        focus_areas: areas
            .iter()
            .map(|a| FocusAreaInput {
                title: Some(a.title.clone()),
                level: Some(a.level.clone()),
                effect: a.effect.clone(),
                interventions: ivs
                    .iter()
                    .filter(|i| i.focus_area_id == a.id)
                    .map(|i| InterventionInput {
                        title: Some(i.title.clone()),
                        description: i.description.clone(),
                        target_group: i.target_group.clone(),
                        targets: targets_of(a.id, Some(i.id)),
                    })
                    .collect(),
                targets: targets_of(a.id, None),
            })
            .collect(),
        grants: grants
            .into_iter()
            .map(|(g, source, deadlines, lines)| PlanGrantInput {
                source: Some(source.name),
                source_kind: Some(source.kind),
                title: Some(g.title),
                total: kroner(g.total),
                usable_from: year(g.usable_from),
                usable_to: year(g.usable_to),
                conditions: g.conditions,
                report_deadlines: deadlines,
                lines: lines
                    .into_iter()
                    .map(|l| {
                        let (focus_area, intervention) =
                            position(l.focus_area_id, l.intervention_id);
                        PlanLineInput {
                            year: year(l.year),
                            amount: kroner(l.amount),
                            account: l.account,
                            note: l.note,
                            focus_area,
                            intervention,
                        }
                    })
                    .collect(),
            })
            .collect(),
    };
    toml::to_string(&input).map_err(|e| AppError::Internal(format!("plan file: {e}")))
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
    fn a_content_error_is_found_on_its_line() {
        let text = "title = \"x\"\nfrom_year = 2026\nto_year = 2026\n\n[[focus_areas]]\ntitle = \"a\"\nlevel = \"preventive\"\n\n  [[focus_areas.targets]]\n  text = \"t\"\n  kind = \"count\"\n  metric = \"activities.bowling\"\n  at_least = 3\n";
        assert_eq!(line_of(text, "focus_areas[0].targets[0].metric"), Some(12));
        assert_eq!(line_of(text, "from_year"), Some(2));
        // A missing field: the line of its table.
        assert_eq!(line_of(text, "focus_areas[0].effect"), Some(5));
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
