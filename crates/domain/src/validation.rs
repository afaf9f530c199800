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
    // Browsers send a textarea's line breaks as CR LF; keep one form.
    let normalised;
    let v = if v.contains('\r') {
        normalised = v.replace("\r\n", "\n");
        normalised.as_str()
    } else {
        v
    };
    if has_control(v) {
        errs.add(
            field,
            "control_character",
            "must not contain control characters (only tab and line breaks)",
        );
        return None;
    }
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

/// Whether text holds a control character other than tab and newline. A NUL
/// byte is stored by SQLite but refused by PostgreSQL, so both refuse it here.
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\t' && c != '\n')
}

/// Parses a calendar day as people type it: ISO `2009-04-05`, or the Danish
/// `05.04.2009` and `5/4-2009`. The one date parser for every input.
pub fn parse_date(s: &str) -> Option<jiff::civil::Date> {
    let s = s.trim();
    if let Ok(d) = s.parse::<jiff::civil::Date>()
        && s.len() == 10
    {
        return Some(d);
    }
    let (day, month, year) = if let Some((d, rest)) = s.split_once('.') {
        let (m, y) = rest.split_once('.')?;
        (d, m, y)
    } else if let Some((d, rest)) = s.split_once('/') {
        let (m, y) = rest.split_once('-')?;
        (d, m, y)
    } else {
        return None;
    };
    let num = |t: &str, max_len: usize| -> Option<i16> {
        (!t.is_empty() && t.len() <= max_len && t.chars().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    if year.len() != 4 {
        return None;
    }
    let (d, m, y) = (num(day, 2)?, num(month, 2)?, num(year, 4)?);
    jiff::civil::Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// The bounds a date field accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct DateRule {
    /// Latest accepted day (today, for things that happened).
    pub not_after: Option<jiff::civil::Date>,
    /// Earliest accepted day.
    pub not_before: Option<jiff::civil::Date>,
}

/// Reads a date field with [`parse_date`], checking the bounds and naming the
/// field in every error. Blank is absent (an error only when `required`).
pub fn date_field(
    errs: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    rule: DateRule,
    required: bool,
) -> Option<jiff::civil::Date> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        if required {
            errs.add(field, "required", "is required");
        }
        return None;
    };
    let Some(d) = parse_date(s).filter(|d| (2000..=2100).contains(&d.year())) else {
        errs.add(
            field,
            "invalid_date",
            "must be a date (YYYY-MM-DD or DD.MM.YYYY) between 2000 and 2100",
        );
        return None;
    };
    if rule.not_after.is_some_and(|max| d > max) {
        errs.add(field, "in_future", "cannot lie in the future");
        return None;
    }
    if rule.not_before.is_some_and(|min| d < min) {
        errs.add(field, "out_of_range", "lies too early");
        return None;
    }
    Some(d)
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
    fn control_characters_are_refused_but_line_breaks_kept() {
        let mut e = FieldErrors::new();
        assert_eq!(optional_text(&mut e, "f", Some("a\0b"), 10), None);
        assert_eq!(e.get("f").map(|x| x.code), Some("control_character"));
        let mut e = FieldErrors::new();
        assert_eq!(optional_text(&mut e, "f", Some("a\u{1b}[2J"), 10), None);
        assert!(!e.is_empty());
        let mut e = FieldErrors::new();
        assert_eq!(
            optional_text(&mut e, "f", Some("a\r\nb\tc"), 10),
            Some("a\nb\tc".into())
        );
        assert!(e.is_empty());
        assert_eq!(optional_text(&mut e, "f", Some("a\rb"), 10), None);
    }

    #[test]
    fn dates_in_iso_and_danish_forms() {
        let d = jiff::civil::date(2009, 4, 5);
        for s in [
            "2009-04-05",
            "05.04.2009",
            "5.4.2009",
            "5/4-2009",
            " 05/04-2009 ",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        for s in [
            "31-12-2010",
            "2009-4-5",
            "32.01.2009",
            "5/4-09",
            "05.04.09",
            "x",
            "",
            "2009-02-29",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        let mut e = FieldErrors::new();
        let rule = DateRule {
            not_after: Some(jiff::civil::date(2026, 1, 1)),
            not_before: None,
        };
        assert_eq!(
            date_field(&mut e, "on", Some("02.01.2026"), rule, true),
            None
        );
        assert_eq!(e.get("on").map(|x| x.code), Some("in_future"));
        let mut e = FieldErrors::new();
        assert_eq!(date_field(&mut e, "on", None, rule, true), None);
        assert_eq!(e.get("on").map(|x| x.code), Some("required"));
    }

    #[test]
    fn blank_required_is_an_error() {
        let mut e = FieldErrors::new();
        assert_eq!(required_text(&mut e, "d", Some("   "), 10), None);
        assert_eq!(e.get("d").map(|x| x.code), Some("required"));
    }
}

/// The most rows one page may hold.
pub const MAX_PER_PAGE: i64 = 100;

/// How deep a page number may reach, in rows. A page by number skips the
/// rows before it, and skipping costs a step per row at any index; past
/// the first pages a list is walked by cursor (`next_cursor`, `before`),
/// which costs the same at any depth, or narrowed by its filters. Ten
/// thousand rows is 400 pages of 25, a hundred of 100: more than anyone
/// pages through by hand, and cheap to skip.
pub const MAX_PAGED_ROWS: i64 = 10_000;

/// A list's page as asked for: its number (counted on from the first page
/// when walking by cursor) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageWindow {
    pub page: i64,
    pub per_page: i64,
}

impl PageWindow {
    /// The rows a page by number skips.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// Reads `page` and `per_page` for every paged list, with one rule: a
/// page by number starts within the first [`MAX_PAGED_ROWS`] rows. With a
/// cursor the number is only the caller's count, echoed back, and any
/// depth is fine. Errors name the field and, for a page too deep, how to
/// go on.
pub fn page_window(
    errs: &mut FieldErrors,
    page: Option<i64>,
    per_page: Option<i64>,
    default_per_page: i64,
    by_cursor: bool,
) -> PageWindow {
    let per_page = per_page.unwrap_or(default_per_page);
    let size_ok = (1..=MAX_PER_PAGE).contains(&per_page);
    if !size_ok {
        errs.add(
            "per_page",
            "out_of_range",
            format!("must be between 1 and {MAX_PER_PAGE}"),
        );
    }
    let page = page.unwrap_or(1);
    if by_cursor {
        return PageWindow {
            page: page.max(1),
            per_page,
        };
    }
    let deepest = if size_ok {
        (MAX_PAGED_ROWS - 1) / per_page + 1
    } else {
        1
    };
    if page < 1 {
        errs.add("page", "out_of_range", "must be 1 or more");
    } else if size_ok && page > deepest {
        errs.add(
            "page",
            "too_deep",
            format!(
                "page numbers reach the first {MAX_PAGED_ROWS} rows (page {deepest} at \
                 {per_page} a page); go on with the previous page's next_cursor, or narrow \
                 the list with its filters"
            ),
        );
    }
    PageWindow { page, per_page }
}

#[cfg(test)]
mod page_window_tests {
    use super::*;

    fn window(
        page: Option<i64>,
        per_page: Option<i64>,
        by_cursor: bool,
    ) -> Result<PageWindow, FieldErrors> {
        let mut errs = FieldErrors::new();
        let w = page_window(&mut errs, page, per_page, 25, by_cursor);
        errs.finish(w)
    }

    #[test]
    fn a_page_by_number_starts_within_the_first_rows() {
        assert_eq!(
            window(None, None, false),
            Ok(PageWindow {
                page: 1,
                per_page: 25
            })
        );
        // Page 400 of 25 starts at row 9 976; page 401 at row 10 001.
        assert_eq!(
            window(Some(400), None, false).map(|w| w.offset()),
            Ok(9_975)
        );
        let too_deep = window(Some(401), None, false).unwrap_err();
        assert_eq!(too_deep.0[0].field, "page");
        assert_eq!(too_deep.0[0].code, "too_deep");
        assert!(
            too_deep.0[0].message.contains("page 400 at 25"),
            "{too_deep}"
        );
        assert!(window(Some(100), Some(100), false).is_ok());
        assert!(window(Some(101), Some(100), false).is_err());
        assert!(window(Some(10_000), Some(1), false).is_ok());
        assert!(window(Some(10_001), Some(1), false).is_err());
    }

    #[test]
    fn a_cursor_walks_on_at_any_depth_and_bad_values_name_their_field() {
        assert_eq!(
            window(Some(4_000), None, true),
            Ok(PageWindow {
                page: 4_000,
                per_page: 25
            })
        );
        assert_eq!(window(Some(0), None, true).map(|w| w.page), Ok(1));
        let fields = |r: Result<PageWindow, FieldErrors>| -> Vec<String> {
            r.unwrap_err().0.into_iter().map(|e| e.field).collect()
        };
        assert_eq!(fields(window(Some(0), None, false)), ["page"]);
        assert_eq!(fields(window(None, Some(0), false)), ["per_page"]);
        assert_eq!(fields(window(None, Some(101), true)), ["per_page"]);
        assert_eq!(
            fields(window(Some(-3), Some(500), false)),
            ["per_page", "page"]
        );
    }
}
