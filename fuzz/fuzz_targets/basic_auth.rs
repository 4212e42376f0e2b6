//! Any `Authorization` header value: Basic credentials are decoded or refused, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(value) = http::HeaderValue::from_bytes(data) else { return };
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, value);
    if let Some((user, password)) = server::ingest::basic_credentials(&headers) {
        // decoded from base64: fewer characters than the header (invalid UTF-8 becomes U+FFFD)
        assert!(user.chars().count() + password.chars().count() < data.len());
    }
});
