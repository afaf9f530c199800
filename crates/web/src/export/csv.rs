//! CSV for Danish Excel: `;` between cells, UTF-8 with a BOM, and a cell
//! that starts like a formula (`= + - @`) neutralised with a leading `'`.

use super::{Block, Doc};

/// A cell Excel will show as text, never evaluate.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn line(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            let c = neutralise(c);
            if c.contains([';', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The document's tables one after another, each row led by its section's
/// heading; charts give their numbers.
pub fn csv(doc: &Doc) -> String {
    let mut out = String::from("\u{feff}");
    let mut section = String::new();
    let push = |out: &mut String, cells: Vec<String>| {
        out.push_str(&line(&cells));
        out.push_str("\r\n");
    };
    push(&mut out, vec![doc.title.clone(), doc.subtitle.clone()]);
    for b in &doc.blocks {
        match b {
            Block::Heading(h) => section = h.clone(),
            Block::Table { head, rows } | Block::Chart { head, rows, .. } => {
                if let Block::Chart { title, .. } = b {
                    section = title.clone();
                }
                let mut h = vec![String::new()];
                h.extend(head.iter().cloned());
                push(&mut out, h);
                for r in rows {
                    let mut cells = vec![section.clone()];
                    cells.extend(r.iter().cloned());
                    push(&mut out, cells);
                }
            }
        }
    }
    if !doc.note.is_empty() {
        push(&mut out, vec![doc.note.clone()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_separators_quoted() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("<5"), "<5");
        assert_eq!(
            line(&["a;b".into(), "c\"d".into(), "+1".into()]),
            "\"a;b\";\"c\"\"d\";'+1"
        );
    }
}
