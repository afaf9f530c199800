//! File downloads: the one place that sets their type and name.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV download that opens right in Danish Excel (the text is expected to
/// carry its UTF-8 BOM).
pub fn csv_file(name: &str, body: String) -> Response {
    file(name, "text/csv; charset=utf-8", body.into_bytes())
}

/// A file of any type, offered for download under `name`.
pub fn file(name: &str, content_type: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
