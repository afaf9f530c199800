//! Reports as files: CSV that opens right in Danish Excel, XLSX with a
//! native chart, and a tidy A4 PDF with the charts and the font embedded.
//! Every export is built from a [`Doc`], the same headings, tables and
//! charts the page shows (already translated and suppressed), so a file
//! never says more than the page.

mod csv;
mod pdf;
mod xlsx;

pub use csv::csv;
pub use pdf::pdf;
pub use xlsx::xlsx;

/// A report as blocks in reading order.
pub struct Doc {
    pub title: String,
    /// The period and what it is compared with.
    pub subtitle: String,
    /// A closing line (the small-number rule, the date of printing).
    pub note: String,
    pub blocks: Vec<Block>,
}

pub enum Block {
    Heading(String),
    /// A table: column heads, rows of cells; the first cell of a row is its
    /// label.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A chart: its title, its SVG, and the numbers behind it for XLSX
    /// (a native Excel chart from the first series).
    Chart {
        title: String,
        svg: String,
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    /// `csv`, `xlsx` or `pdf`; anything else is no file format.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Why a file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("pdf: {0}")]
    Pdf(String),
}

/// Renders `doc` as `format` off the async workers (PDF and XLSX are CPU
/// work), answering the bytes.
pub async fn render(doc: Doc, format: Format) -> Result<Vec<u8>, ExportError> {
    tokio::task::spawn_blocking(move || match format {
        Format::Csv => Ok(csv(&doc).into_bytes()),
        Format::Xlsx => xlsx(&doc).map_err(ExportError::from),
        Format::Pdf => pdf(&doc),
    })
    .await
    .map_err(|e| ExportError::Pdf(format!("export task: {e}")))?
}

/// A file download response for `format`.
pub fn response(name: &str, format: Format, bytes: Vec<u8>) -> axum::response::Response {
    crate::download::file(
        &format!("{name}.{}", format.extension()),
        format.content_type(),
        bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        Doc {
            title: "Nøgletal".into(),
            subtitle: "Perioden 01.06.2026 – 15.06.2026".into(),
            note: "Udskrevet.".into(),
            blocks: vec![
                Block::Heading("Indsatsområde 1".into()),
                Block::Table {
                    head: vec!["Nu".into(), "Før".into()],
                    rows: vec![vec!["Henvendelser".into(), "2".into(), "<5".into()]],
                },
                Block::Chart {
                    title: "Pr. måned".into(),
                    svg: crate::chart::bars(
                        "c",
                        "Pr. måned",
                        "Søjler",
                        &["jun. 26".to_string()],
                        &[crate::chart::Line {
                            name: "Modtaget",
                            values: &[Some(2)],
                        }],
                        false,
                        "",
                    ),
                    head: vec!["Modtaget".into()],
                    rows: vec![vec!["jun. 26".into(), "2".into()]],
                },
            ],
        }
    }

    #[test]
    fn every_format_renders() {
        assert!(csv(&doc()).contains("Henvendelser;2;<5"));
        let x = xlsx(&doc()).unwrap_or_else(|e| panic!("{e}"));
        assert!(x.starts_with(b"PK"));
        let p = pdf(&doc()).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.starts_with(b"%PDF"));
    }
}
