//! Per-field validation errors, shared by the web form and the JSON API so that
//! both report the same field names and codes.

use serde::Serialize;

/// One problem with one input field. `code` is stable and translated by the UI;
/// `message` is the English text the API returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// All problems found in one submission; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first error for a field, for showing beside it in a form.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// Turns the collected errors into a result, so validators end with `errs.finish(value)`.
    pub fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Trims optional free text and treats blank as absent, checking a length limit
/// counted in characters (not bytes: Danish letters are two bytes).
pub fn optional_text(
    errs: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max_chars {
        errs.add(
            field,
            "too_long",
            format!("must be at most {max_chars} characters"),
        );
        return None;
    }
    Some(v.to_string())
}

/// Like [`optional_text`] but the value must be present.
pub fn required_text(
    errs: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    let present = value.map(str::trim).is_some_and(|v| !v.is_empty());
    if !present {
        errs.add(field, "required", "is required");
        return None;
    }
    optional_text(errs, field, value, max_chars)
}

/// Parses a glossary code for an enum field, naming the allowed codes on failure.
pub fn required_code<T>(
    errs: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    codes: impl Fn() -> String,
) -> Option<T> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => {
            errs.add(field, "required", "is required");
            None
        }
        Some(v) => match parse(v) {
            Some(t) => Some(t),
            None => {
                errs.add(
                    field,
                    "unknown_value",
                    format!("unknown value; expected one of: {}", codes()),
                );
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters() {
        let mut e = FieldErrors::new();
        assert_eq!(
            optional_text(&mut e, "f", Some(" æøå "), 3),
            Some("æøå".into())
        );
        assert!(e.is_empty());
        assert_eq!(optional_text(&mut e, "f", Some("æøåx"), 3), None);
        assert_eq!(e.get("f").map(|x| x.code), Some("too_long"));
    }

    #[test]
    fn blank_required_is_an_error() {
        let mut e = FieldErrors::new();
        assert_eq!(required_text(&mut e, "d", Some("   "), 10), None);
        assert_eq!(e.get("d").map(|x| x.code), Some("required"));
    }
}
