//! `parse_index_line`, `parse_content_hash` and `split_entries` on real files.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{dataset_entries, files_under, files_with_suffix, fixtures, read};
use wafscope_parse::{parse_content_hash, parse_entry, parse_index_line, split_entries};

#[test]
fn protocol_sample_index_lines() {
    let text = read(&fixtures().join("protocol-samples/index-lines-2.9.7.txt"));
    let lines: Vec<_> = text.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()).map(|line| parse_index_line(line).expect("index line")).collect();
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    assert_eq!((first.host.as_str(), first.client_ip.as_str()), ("127.0.0.1", "127.0.0.1"));
    assert_eq!(first.time_text, "24/Nov/2026:21:35:07.552606 --0500");
    assert_eq!(first.time_us, Some(1_795_574_107_552_606));
    assert_eq!(first.request_line, "GET /?q=attack HTTP/1.1");
    assert_eq!((first.status, first.bytes_sent), (Some(403), Some(239)));
    assert_eq!(first.session_id, "");
    assert_eq!(first.path, "/www-data/20261124/20261124-2135/20261124-213507-awZJW8dT1qBBltRHCwVe1gAAAEA");
    assert_eq!(first.md5, "050c03851cac6d23ea8416ab2e8b7bc6");
    assert!(lines.iter().all(|line| !line.limited && line.offset == Some(0)));
    assert_eq!((lines[2].host.as_str(), lines[2].client_ip.as_str()), ("::1", "::1"));

    let mut matched = 0;
    for path in files_with_suffix(&fixtures().join("protocol-samples"), ".auditlog") {
        let bytes = read(&path);
        let event = parse_entry(&bytes).event;
        let line = lines.iter().find(|line| line.unique_id == event.unique_id).expect("index line for sample");
        assert!(line.path.ends_with(&event.unique_id));
        assert_eq!(line.size, Some(bytes.len() as u64), "{}", path.display());
        assert_eq!(line.status, event.status);
        assert_eq!(line.request_line, format!("{} {} {}", event.method, event.uri, event.protocol));
        matched += 1;
    }
    assert_eq!(matched, 3);
}

#[test]
fn content_hash_from_real_headers() {
    let http = read(&fixtures().join("protocol-samples/mlogc-2.9.7-put-json-entry.http"));
    let head = String::from_utf8_lossy(&http[..http.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]).into_owned();
    let value = head.lines().find_map(|line| line.strip_prefix("X-Content-Hash: ")).expect("X-Content-Hash");
    assert!(value.ends_with(' '), "mlogc leaves a trailing space");
    let hex = value.trim().strip_prefix("md5:").expect("md5: prefix");
    assert!(hex.len() == 32 && hex.bytes().all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase()));
    let expected = Some(hex.to_string());
    assert_eq!(parse_content_hash(value.as_bytes()), expected);
    assert_eq!(parse_content_hash(value.to_ascii_uppercase().as_bytes()), expected);
    let limited = format!("{} L", value.trim_end());
    assert_eq!(parse_content_hash(limited.as_bytes()), expected);
    let summary = head.lines().find_map(|line| line.strip_prefix("X-ForensicLog-Summary: ")).expect("summary");
    let index = parse_index_line(summary.as_bytes()).expect("summary parses");
    assert_eq!(Some(index.md5), expected);
    assert_eq!(index.size, Some((http.len() - head.len() - 4) as u64));
    let limited_summary = format!("{}L", summary);
    assert!(parse_index_line(limited_summary.as_bytes()).expect("parses").limited);
}

#[test]
fn serial_log_splits_into_its_94_entries() {
    let file = read(&fixtures().join("corpus/native-serial.log"));
    let ranges = split_entries(&file);
    assert_eq!(ranges.len(), 94);
    let manifest: BTreeMap<String, String> = String::from_utf8(read(&fixtures().join("corpus/_meta/serial-native/traffic-manifest.jsonl")))
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("manifest line"))
        .filter_map(|entry| Some((entry["unique_id"].as_str()?.to_string(), entry["case"].as_str()?.to_string())))
        .collect();
    let mut unique_ids = BTreeSet::new();
    let mut boundaries = BTreeSet::new();
    for range in &ranges {
        let entry = &file[range.clone()];
        assert!(entry.starts_with(b"--") && entry.ends_with(b"-Z--\n"));
        boundaries.insert(entry[2..10].to_vec());
        let event = parse_entry(entry).event;
        let case = event.request_headers.iter().find(|(name, _)| name == "X-Fixture-Case").map(|(_, value)| value.as_str());
        assert_eq!(manifest.get(&event.unique_id).map(String::as_str), case, "{}", event.unique_id);
        unique_ids.insert(event.unique_id);
    }
    assert_eq!(unique_ids.len(), 94);
    assert_eq!(boundaries.len(), 48, "CORPUS.md: 94 events share 48 boundaries");
    // Nothing is lost between entries but the blank separator lines.
    let covered: usize = ranges.iter().map(|range| range.len()).sum();
    assert_eq!(file.len() - covered, 94);
}

#[test]
fn concatenated_concurrent_files_split_back_into_the_files() {
    let files: Vec<Vec<u8>> = files_under(&fixtures().join("corpus/concurrent-native/storage")).iter().map(|path| read(path)).collect();
    let concatenated = files.concat();
    let ranges = split_entries(&concatenated);
    assert_eq!(ranges.len(), files.len());
    for (range, file) in ranges.iter().zip(&files) {
        assert_eq!(&concatenated[range.clone()], file.as_slice());
    }
}

#[test]
fn json_lines_split_into_one_entry_per_file() {
    let entries = dataset_entries("concurrent-json/storage");
    let json_lines = entries.iter().map(|entry| entry.bytes.as_slice()).collect::<Vec<_>>().concat();
    let ranges = split_entries(&json_lines);
    assert_eq!(ranges.len(), entries.len());
    for (range, entry) in ranges.iter().zip(&entries) {
        assert_eq!(&json_lines[range.clone()], entry.bytes.as_slice(), "every byte of the entry file, its last LF included");
        assert_eq!(parse_entry(&json_lines[range.clone()]).event.format, wafscope_parse::Format::ModSec2Json);
    }
}

#[test]
fn coraza_serial_files_split() {
    let natives: Vec<Vec<u8>> = files_with_suffix(&fixtures().join("coraza"), ".log")
        .into_iter()
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("native-"))
        .map(|path| read(&path))
        .collect();
    assert_eq!(natives.len(), 8);
    let serial = natives.concat();
    let ranges = split_entries(&serial);
    assert_eq!(ranges.len(), 8);
    for (range, file) in ranges.iter().zip(&natives) {
        let through_z_line = &file[..file.trim_ascii_end().len() + 1];
        assert_eq!(&serial[range.clone()], through_z_line, "ends with the Z line");
        let parsed = parse_entry(&serial[range.clone()]);
        assert_eq!(parsed.event.format, wafscope_parse::Format::CorazaNative);
    }
    let single = read(&fixtures().join("protocol-samples/native-2.9.7-get-403.auditlog"));
    assert_eq!(split_entries(&single), vec![0..single.len()]);
}
