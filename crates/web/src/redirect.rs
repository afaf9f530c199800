//! The one rule for following a `next` parameter: only a plain local path is
//! followed; anything doubtful (another host, a backslash, a scheme, control
//! or non-ASCII characters, an overlong value) falls back to the dashboard.
//! Never a 500: what comes back is always a valid `Location` value.

/// Where to go when `next` is missing or not safe.
pub const FALLBACK: &str = "/";

/// `raw` if it is a safe local path, else [`FALLBACK`].
pub fn safe_local_path(raw: Option<&str>) -> String {
    match raw {
        Some(p) if is_safe(p) => p.to_string(),
        _ => FALLBACK.to_string(),
    }
}

fn is_safe(p: &str) -> bool {
    let bytes = p.as_bytes();
    !p.is_empty()
        && p.len() <= 2_000
        && bytes[0] == b'/'
        // `//host` and `/\host` are other hosts to a browser.
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && p.chars().all(|c| c.is_ascii_graphic())
        && !p.contains('\\')
        && !p.starts_with("/login")
        && !p.starts_with("/logout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths_are_followed() {
        for ok in [
            "/concerns",
            "/concerns/01?page=2&status=received",
            "/courses/x#top",
        ] {
            assert_eq!(safe_local_path(Some(ok)), ok);
        }
        for bad in [
            "//evil.example/",
            "/\\evil.example/",
            "/\tevil.example/",
            "/\t/evil.example/",
            "/%09/evil.example/\u{0}",
            "/a\r\nSet-Cookie: x=y",
            "/a\u{0}",
            "https://evil.example/",
            "evil.example",
            "",
            "/login?next=//evil",
            "/ø",
            "/a b",
        ] {
            assert_eq!(safe_local_path(Some(bad)), FALLBACK, "{bad:?}");
        }
        assert_eq!(safe_local_path(None), FALLBACK);
        assert_eq!(safe_local_path(Some(&"/a".repeat(2_000))), FALLBACK);
    }
}
