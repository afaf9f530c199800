//! The import forms' one reader: a multipart form with a CSRF token and one
//! file, read whole (the route's body limit bounds it).

use axum::extract::Multipart;

/// A file form as sent.
pub struct Upload {
    pub csrf: String,
    /// The file's name as the browser gave it (may be empty).
    pub name: String,
    pub file: Vec<u8>,
}

/// Reads the form; `None` when the body cannot be read as a form.
pub async fn read(mut form: Multipart) -> Option<Upload> {
    let mut up = Upload {
        csrf: String::new(),
        name: String::new(),
        file: Vec::new(),
    };
    while let Some(field) = form.next_field().await.ok()? {
        let field_name = field.name().unwrap_or_default().to_string();
        if field_name == "file" {
            up.name = field.file_name().unwrap_or_default().to_string();
        }
        let bytes = field.bytes().await.ok()?;
        match field_name.as_str() {
            "csrf" => up.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => up.file = bytes.to_vec(),
            _ => {}
        }
    }
    Some(up)
}
