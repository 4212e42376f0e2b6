//! Any bytes: the full parse and the summary parse never panic, and agree on what the
//! summary keeps.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let full = wafscope_parse::parse_entry(data);
    let summary = wafscope_parse::parse_entry_summary(data);
    assert_eq!(full.event.format, summary.event.format);
    assert_eq!(full.event.unique_id, summary.event.unique_id);
    assert_eq!(full.event.rule_ids(), summary.event.rule_ids());
});
