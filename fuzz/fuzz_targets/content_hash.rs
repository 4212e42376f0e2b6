//! Any `X-Content-Hash` value: parsed or refused, never a panic; a parsed one is 32
//! lowercase hex digits.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(hex) = wafscope_parse::parse_content_hash(data) {
        assert!(hex.len() == 32 && hex.bytes().all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase()), "{hex}");
    }
});
