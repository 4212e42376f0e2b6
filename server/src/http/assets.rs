//! The embedded UI: Trunk's `dist` folder compiled into the binary (rust-embed, zstd).
//!
//! Invariant: `/api/*` and the ingest paths are routed before this fallback, so they never
//! turn into `index.html`; a path that looks like a file (its last segment has a dot) and is
//! not embedded is a 404, anything else is a client route and gets `index.html`.

use axum::body::Body;
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(rust_embed::Embed)]
#[cfg_attr(debug_assertions, folder = "../target/dist-dev/")]
#[cfg_attr(not(debug_assertions), folder = "../target/dist/")]
#[allow_missing = true]
#[compression = "zstd"]
struct Dist;

/// One file of the UI.
#[derive(Clone)]
pub struct AssetFile {
    pub bytes: Cow<'static, [u8]>,
    pub mime: String,
    /// The zstd-compressed bytes stored in the binary (release builds only).
    pub zstd: Option<&'static [u8]>,
}

type Lookup = Box<dyn Fn(&str) -> Option<AssetFile> + Send + Sync>;

/// The UI's files and the Content-Security-Policy derived from its `index.html`.
pub struct Assets {
    lookup: Lookup,
    content_security_policy: HeaderValue,
}

impl Assets {
    /// The files embedded at build time (debug builds read `target/dist-dev` at run time).
    pub fn embedded() -> Assets {
        Assets::with_lookup(Box::new(|path| {
            let zstd = <Dist as rust_embed::RustEmbed>::compressed(path).map(|file| file.data.compressed());
            <Dist as rust_embed::RustEmbed>::get(path).map(|file| AssetFile { mime: file.metadata.mimetype().to_owned(), bytes: file.data, zstd })
        }))
    }

    /// In-memory files, for tests that must not depend on a Trunk build.
    pub fn from_files(files: &[(&str, &'static [u8])]) -> Assets {
        let files: HashMap<String, AssetFile> = files
            .iter()
            .map(|(path, bytes)| {
                let mime = guess_mime(path).to_owned();
                ((*path).to_owned(), AssetFile { bytes: Cow::Borrowed(*bytes), mime, zstd: None })
            })
            .collect();
        Assets::with_lookup(Box::new(move |path| files.get(path).cloned()))
    }

    fn with_lookup(lookup: Lookup) -> Assets {
        let index = lookup("index.html").map(|file| file.bytes.into_owned()).unwrap_or_default();
        let policy = content_security_policy(&index);
        Assets { lookup, content_security_policy: HeaderValue::from_str(&policy).expect("policy is ASCII") }
    }

    /// The `Content-Security-Policy` header value for every response.
    pub fn content_security_policy(&self) -> &HeaderValue {
        &self.content_security_policy
    }

    /// Answers a request that no other route took.
    pub fn respond(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
        if method != Method::GET && method != Method::HEAD {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let path = uri.path().trim_start_matches('/');
        let last_segment = path.rsplit('/').next().unwrap_or_default();
        if !path.is_empty() && last_segment.contains('.') {
            return match (self.lookup)(path) {
                Some(file) => file_response(file, cache_policy(last_segment), headers),
                None => (StatusCode::NOT_FOUND, "not found").into_response(),
            };
        }
        match (self.lookup)("index.html") {
            Some(file) => file_response(file, "no-cache", headers),
            None => (StatusCode::SERVICE_UNAVAILABLE, "the web UI is not built into this binary: run `cargo xtask build`").into_response(),
        }
    }
}

fn file_response(file: AssetFile, cache_control: &'static str, request_headers: &HeaderMap) -> Response {
    let accepts_zstd = request_headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|name| name.trim().eq_ignore_ascii_case("zstd")));
    let mut response = match file.zstd {
        Some(compressed) if accepts_zstd => {
            let mut response = Response::new(Body::from(compressed));
            response.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static("zstd"));
            response
        }
        _ => Response::new(Body::from(file.bytes.into_owned())),
    };
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(&file.mime) {
        headers.insert(CONTENT_TYPE, mime);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Trunk names built files `name-<16 hex>.ext` (the wasm `name-<16 hex>_bg.wasm`): those
/// never change and are cached forever.
fn cache_policy(file_name: &str) -> &'static str {
    let stem = file_name.split('.').next().unwrap_or_default();
    let hashed = stem.split('-').skip(1).any(|segment| {
        let hash = segment.split('_').next().unwrap_or_default();
        hash.len() >= 8 && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
    });
    if hashed { "public, max-age=31536000, immutable" } else { "no-cache" }
}

fn guess_mime(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// A policy that runs only same-origin code: no inline script except the boot scripts of
/// `index.html` (allowed by their SHA-256), no `eval` except WebAssembly compilation.
pub fn content_security_policy(index_html: &[u8]) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|script| {
            let digest = Sha256::digest(script);
            format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The bodies of `<script>` elements without a `src` attribute.
fn inline_scripts(html: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = find(rest, b"<script")?;
            let after_name = &rest[start + b"<script".len()..];
            let tag_end = find(after_name, b">")?;
            let attributes = &after_name[..tag_end];
            let body_and_more = &after_name[tag_end + 1..];
            let close = find(body_and_more, b"</script>")?;
            rest = &body_and_more[close..];
            let has_src = attributes.windows(4).any(|window| window.eq_ignore_ascii_case(b"src="));
            if !has_src {
                return Some(&body_and_more[..close]);
            }
        }
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_hashes_only_inline_scripts() {
        let html = b"<html><script src=\"/a.js\"></script><SCRIPT type=\"module\">boot()</SCRIPT></html>";
        let scripts: Vec<&[u8]> = inline_scripts(html).collect();
        assert_eq!(scripts, vec![b"boot()".as_slice()]);
        let policy = content_security_policy(html);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"boot()"));
        assert!(policy.contains(&format!("'sha256-{expected}'")), "{policy}");
        assert!(policy.contains("'wasm-unsafe-eval'") && !policy.contains("'unsafe-eval'"));
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"));
    }

    #[test]
    fn hashed_names_are_immutable() {
        assert_eq!(cache_policy("frontend-6b1f0e2f9c3d4a5b.js"), "public, max-age=31536000, immutable");
        assert_eq!(cache_policy("frontend-6b1f0e2f9c3d4a5b_bg.wasm"), "public, max-age=31536000, immutable");
        assert_eq!(cache_policy("favicon.svg"), "no-cache");
        assert_eq!(cache_policy("my-app.js"), "no-cache");
    }
}
