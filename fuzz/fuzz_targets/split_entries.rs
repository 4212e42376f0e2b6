//! Any file: the entries are in bounds, in order, do not overlap, and none is empty.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut previous_end = 0;
    for range in wafscope_parse::split_entries(data) {
        assert!(range.start >= previous_end && range.start < range.end && range.end <= data.len(), "{range:?}");
        previous_end = range.end;
    }
});
