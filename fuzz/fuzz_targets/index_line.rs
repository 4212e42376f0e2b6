//! Any line: the concurrent index line parser never panics, and what it returns is a
//! no longer, in characters, than the line.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(line) = wafscope_parse::parse_index_line(data) {
        // (invalid UTF-8 becomes U+FFFD: count characters, each comes from at least one byte)
        assert!(line.unique_id.chars().count() <= data.len());
    }
});
