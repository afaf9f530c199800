//! The vendored design system (dkfds 11.2: CSS, IBM Plex Sans, icons), htmx 2 and
//! our own small stylesheet and script, compiled into the binary: no CDN, no npm
//! at build time.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The regular IBM Plex Sans as TrueType: the font the PDF exports embed.
pub fn pdf_font() -> Option<Vec<u8>> {
    Assets::get("dkfds/fonts/IBMPlexSans/complete/ttf/IBMPlexSans-Regular.ttf")
        .map(|f| f.data.into_owned())
}

/// The version of the asset set: a digest of every file's SHA-256, so any
/// change to any file (a font included) changes every asset's address.
pub fn version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        use sha2::Digest;
        let mut names: Vec<_> = Assets::iter().collect();
        names.sort();
        let mut d = sha2::Sha256::new();
        for n in names {
            if let Some(f) = Assets::get(&n) {
                d.update(n.as_bytes());
                d.update(f.metadata.sha256_hash());
            }
        }
        hex::encode(d.finalize())[..12].to_string()
    })
}

/// The address of an asset for pages: `/assets/v-{version}/{path}`, cached
/// for a year; relative references inside CSS resolve under the same prefix.
pub fn url(path: &str) -> String {
    format!("/assets/v-{}/{path}", version())
}

pub async fn serve(Path(path): Path<String>) -> Response {
    // `v-{version}/…` is the current set (immutable); another version's
    // prefix or none still finds the file, but only for a short while.
    let (path, immutable) = match path.strip_prefix("v-").and_then(|p| p.split_once('/')) {
        Some((v, rest)) => (rest.to_string(), v == version()),
        None => (path, false),
    };
    match Assets::get(&path) {
        Some(file) => {
            let mut resp = file.data.into_owned().into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(if immutable {
                    "public, max-age=31536000, immutable"
                } else {
                    "public, max-age=300"
                }),
            );
            resp
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
