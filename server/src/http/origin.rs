//! CSRF defence: a state-changing request to the console's API (any method but GET, HEAD and
//! OPTIONS under `/api/`, ingest excepted) must come from the console's own origin.
//!
//! Why not `SameSite=Strict` alone: "site" ignores ports and subdomains, so a page on another
//! port of the same host, or on a sibling subdomain, is same-site and its requests carry the
//! session cookie. The browser's `Origin` header names the page that sent a request and a page
//! cannot forge it: it must name the host (and port) the request was sent to, i.e. its `Host`.
//! Without `Origin` (older browsers on some same-origin requests), `Sec-Fetch-Site` must say
//! `same-origin` (or `none`: typed by the user). A request with neither comes from no browser
//! (a script with a bearer token, curl) and carries no ambient credentials of a victim.
//! Ingest is exempt: sensors are not browsers, and their credentials are not cookies.

use super::errors::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses cross-origin state-changing API requests with 403.
pub async fn same_origin_only(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_state_changing_api(request.method(), request.uri().path(), &state.config.ingest_paths) && !same_origin(request.headers()) {
        tracing::warn!(method = %request.method(), path = %super::loggable_path(request.uri().path()), "cross-origin request refused");
        return ApiError::CrossOrigin.into_response();
    }
    next.run(request).await
}

/// Whether the request changes state through the console's API (and is not an ingest upload).
pub fn is_state_changing_api(method: &Method, path: &str, ingest_paths: &[String]) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || !path.starts_with("/api/") {
        return false;
    }
    // (every upload passes here: no allocation)
    let v3_ingest = path.strip_prefix(crate::ingest::V3_PATH).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    !v3_ingest && !ingest_paths.iter().any(|extra| extra == path)
}

/// Whether the browser says the request comes from the origin it was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(origin) = headers.get(ORIGIN) {
        let (Ok(origin), Some(host)) = (origin.to_str(), headers.get(HOST).and_then(|host| host.to_str().ok())) else { return false };
        return origin_authority(origin).is_some_and(|origin| origin == host_authority(host));
    }
    match headers.get("sec-fetch-site").map(|site| site.as_bytes()) {
        Some(site) => site.eq_ignore_ascii_case(b"same-origin") || site.eq_ignore_ascii_case(b"none"),
        None => true,
    }
}

/// (lowercase host, port unless the scheme's default) of `scheme://host[:port]`; `None` for
/// `null` and anything else that is not an origin.
fn origin_authority(origin: &str) -> Option<(String, Option<u16>)> {
    let (scheme, rest) = origin.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port) = split_port(rest)?;
    Some((host, port.filter(|port| *port != default)))
}

/// (lowercase host, port unless 80 or 443) of a `Host` header: browsers leave the default port
/// of the scheme they used out of both headers, and a proxy in front may change the scheme.
fn host_authority(host: &str) -> (String, Option<u16>) {
    split_port(host.trim()).map_or_else(|| (host.trim().to_ascii_lowercase(), None), |(host, port)| (host, port.filter(|port| !matches!(port, 80 | 443))))
}

/// `host[:port]` (IPv6 in brackets) into its lowercase host and its port.
fn split_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = match authority.rfind(':') {
        Some(colon) if !authority[colon..].contains(']') => (&authority[..colon], Some(authority[colon + 1..].parse::<u16>().ok()?)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_console_own_origin_passes() {
        for (origin, host) in [
            ("http://127.0.0.1:8886", "127.0.0.1:8886"),
            ("https://Console.Example", "console.example"),
            ("https://console.example:443", "console.example"),
            ("http://[::1]:8886", "[::1]:8886"),
            // a TLS-terminating proxy that passes the Host on
            ("https://console.example", "console.example:80"),
        ] {
            assert!(same_origin(&headers(&[("origin", origin), ("host", host)])), "{origin} for {host}");
        }
    }

    #[test]
    fn other_origins_are_refused_even_on_the_same_host() {
        for (origin, host) in [
            ("http://127.0.0.1:9999", "127.0.0.1:8886"),
            ("http://127.0.0.1", "127.0.0.1:8886"),
            ("https://evil.example", "console.example"),
            ("https://sub.console.example", "console.example"),
            ("null", "console.example"),
            ("http://console.example@evil.example", "console.example"),
            ("file://", "console.example"),
        ] {
            assert!(!same_origin(&headers(&[("origin", origin), ("host", host)])), "{origin} for {host}");
        }
        assert!(!same_origin(&headers(&[("origin", "http://127.0.0.1:8886")])), "no Host to compare with");
    }

    #[test]
    fn without_origin_fetch_metadata_decides_and_without_either_it_is_no_browser() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&headers(&[("sec-fetch-site", "none")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&HeaderMap::new()));
    }

    #[test]
    fn only_state_changing_api_requests_are_checked_and_ingest_never() {
        let extra = vec!["/collect".to_owned()];
        assert!(is_state_changing_api(&Method::POST, "/api/fn/sensor_remove", &extra));
        assert!(is_state_changing_api(&Method::DELETE, "/api/v1/events/1/preserve", &extra));
        assert!(!is_state_changing_api(&Method::GET, "/api/v1/events", &extra));
        for ingest in ["/rpc/auditLogReceiver", "/api/v1/ingest", "/api/v1/ingest/secret", "/collect"] {
            assert!(!is_state_changing_api(&Method::PUT, ingest, &extra) && !is_state_changing_api(&Method::POST, ingest, &extra), "{ingest}");
        }
    }
}
