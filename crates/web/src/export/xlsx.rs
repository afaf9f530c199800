//! XLSX: the tables on one sheet, each chart's numbers on its own sheet
//! with a native Excel chart over them. Numbers are written as numbers,
//! hidden ones ("<5") as text.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, XlsxError};

use super::{Block, Doc};

fn write_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    v: &str,
) -> Result<(), XlsxError> {
    match v.trim().parse::<f64>() {
        Ok(n) => ws.write_number(row, col, n)?,
        Err(_) => ws.write_string(row, col, super::csv::neutralise(v))?,
    };
    Ok(())
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(s: &str, n: usize) -> String {
    let clean: String = s
        .chars()
        .filter(|c| !"[]:*?/\\'".contains(*c))
        .take(26)
        .collect();
    format!("{n} {clean}")
}

pub fn xlsx(doc: &Doc) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&doc.title, 1))?;
        ws.set_column_width(0, 70)?;
        ws.set_column_width(1, 16)?;
        ws.set_column_width(2, 16)?;
        ws.write_string_with_format(0, 0, &doc.title, &title)?;
        ws.write_string(1, 0, &doc.subtitle)?;
        let mut row = 3u32;
        for b in &doc.blocks {
            match b {
                Block::Heading(h) => {
                    ws.write_string_with_format(row, 0, h, &bold)?;
                    row += 1;
                }
                Block::Table { head, rows } => {
                    for (c, h) in head.iter().enumerate() {
                        ws.write_string_with_format(row, c as u16 + 1, h, &bold)?;
                    }
                    row += 1;
                    for r in rows {
                        for (c, v) in r.iter().enumerate() {
                            if c == 0 {
                                ws.write_string(row, 0, super::csv::neutralise(v))?;
                            } else {
                                write_cell(ws, row, c as u16, v)?;
                            }
                        }
                        row += 1;
                    }
                    row += 1;
                }
                Block::Chart { .. } => {}
            }
        }
        if !doc.note.is_empty() {
            ws.write_string(row, 0, &doc.note)?;
        }
    }
    let mut n = 2;
    for b in &doc.blocks {
        let Block::Chart {
            title: t,
            head,
            rows,
            ..
        } = b
        else {
            continue;
        };
        let name = sheet_name(t, n);
        n += 1;
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        ws.set_column_width(0, 24)?;
        ws.write_string_with_format(0, 0, t, &bold)?;
        for (c, h) in head.iter().enumerate() {
            ws.write_string_with_format(1, c as u16 + 1, h, &bold)?;
        }
        for (i, r) in rows.iter().enumerate() {
            let row = 2 + i as u32;
            ws.write_string(row, 0, super::csv::neutralise(&r[0]))?;
            for (c, v) in r.iter().enumerate().skip(1) {
                write_cell(ws, row, c as u16, v)?;
            }
        }
        // Excel refuses a chart without a series.
        if rows.is_empty() || head.is_empty() {
            continue;
        }
        let last = 1 + rows.len() as u32;
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name(t);
        for c in 0..head.len() {
            let col = c as u16 + 1;
            chart
                .add_series()
                .set_name((name.as_str(), 1, col))
                .set_categories((name.as_str(), 2, 0, last, 0))
                .set_values((name.as_str(), 2, col, last, col));
        }
        ws.insert_chart(1, head.len() as u16 + 2, &chart)?;
    }
    wb.save_to_buffer()
}
