//! The parsers return on any input: arbitrary bytes, and real entries cut short or with bytes
//! flipped. Each result also survives a serde round trip.

mod common;

use std::sync::OnceLock;

use common::{assert_summary_agrees, dataset_entries, files_with_suffix, fixtures, http_body, read};
use proptest::prelude::*;
use proptest::sample::Index;
use wafscope_parse::{Parsed, parse_content_hash, parse_entry, parse_index_line, split_entries};

fn exercise(bytes: &[u8]) {
    let parsed = parse_entry(bytes);
    let json = serde_json::to_string(&parsed).expect("serializes");
    let back: Parsed = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, parsed);
    assert_summary_agrees("input", bytes);
    for range in split_entries(bytes) {
        assert!(range.start <= range.end && range.end <= bytes.len());
        let _ = parse_entry(&bytes[range]);
    }
    let _ = parse_index_line(bytes);
    let _ = parse_content_hash(bytes);
}

/// A few real entries of every dialect, read once.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for path in files_with_suffix(&fixtures().join("protocol-samples"), ".auditlog") {
        seeds.push(read(&path));
    }
    for path in files_with_suffix(&fixtures().join("protocol-samples"), ".http") {
        seeds.push(http_body(&read(&path)).to_vec());
    }
    for path in files_with_suffix(&fixtures().join("coraza"), ".log") {
        seeds.push(read(&path));
    }
    for dataset in ["v3-json/storage", "native-serial.log"] {
        seeds.extend(dataset_entries(dataset).into_iter().take(12).map(|entry| entry.bytes));
    }
    seeds.push(read(&fixtures().join("protocol-samples/index-lines-2.9.7.txt")));
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_native_or_json_start(
        start in prop::sample::select(vec![&b"--abcdef12-A--\n"[..], b"---Bo5kPrA4---A--\n", b"--RxuADesKRg-A--\n", b"{\"transaction\":", b"[{", b"--abcdef12-H--\nMessage: "]),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        exercise(&[start, tail.as_slice()].concat());
    }

    #[test]
    fn native_shaped_text(lines in proptest::collection::vec(
        prop_oneof![
            Just("--abcdef12-A--".to_string()),
            Just("--abcdef12-B--".to_string()),
            Just("--abcdef12-H--".to_string()),
            Just("--abcdef12-Z--".to_string()),
            Just("[25/Nov/2026:03:22:29.557828 --03-30] id 1.2.3.4 1 ::1 2".to_string()),
            "Message: [a-zA-Z .]{0,20}( \\[(id|msg|tag|data) \"[^\"]{0,10}\"?\\]?){0,4}",
            "[A-Za-z-]{1,12}: [ -~]{0,30}",
            "[ -~]{0,40}",
        ],
        0..40,
    )) {
        exercise(lines.join("\n").as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn truncated_fixture_entries(seed in any::<Index>(), cut in any::<Index>()) {
        let entry = seed.get(seeds());
        let length = cut.index(entry.len() + 1);
        exercise(&entry[..length]);
    }

    #[test]
    fn fixture_entries_with_flipped_bytes(
        seed in any::<Index>(),
        flips in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..16),
    ) {
        let mut entry = seed.get(seeds()).clone();
        for (position, byte) in flips {
            let index = position.index(entry.len());
            entry[index] = byte;
        }
        exercise(&entry);
    }
}

#[test]
fn pathological_inputs_return() {
    exercise(&vec![b'['; 100_000]);
    exercise(&[b"{\"a\":".as_slice(), &vec![b'{'; 50_000]].concat());
    exercise(&b"--abcdef12-A--\n".repeat(5_000));
    exercise(&[b"--abcdef12-H--\nMessage: x".as_slice(), &b" [id \"".repeat(20_000)].concat());
    exercise(&b"\n".repeat(100_000));
    exercise(&[b"--abcdef12-A--\n[".as_slice(), &vec![0xff; 10_000]].concat());
}
