//! QR codes as inline SVG (one path, no script, no image request), for the
//! authenticator enrolment page.

use qrcodegen::{QrCode, QrCodeEcc};

/// The text as an SVG QR code with a four-module quiet zone, `size` pixels
/// square; none if the text is too long for a QR code.
pub fn svg(text: &str, size: u32) -> Option<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let n = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{size}" height="{size}" shape-rendering="crispEdges" aria-hidden="true" focusable="false"><rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_uri_becomes_one_square_svg() {
        let s = super::svg("otpauth://totp/vink:anna?secret=MZXW6YTBOI", 200).unwrap_or_default();
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains(r#"width="200""#) && s.contains("<path d=\"M"));
        assert!(!s.contains("<script"));
    }
}
