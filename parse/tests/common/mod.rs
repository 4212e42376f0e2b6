//! Fixture access shared by the integration tests: paths, dataset iteration, ground truth.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use wafscope_parse::split_entries;

/// The repository's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// Every regular file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap_or_else(|error| panic!("listing {}: {error}", current.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The files of `dir` (not recursive) whose name ends with `suffix`, sorted.
pub fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("listing {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

/// The body of a raw HTTP request: the bytes after the first CRLFCRLF.
pub fn http_body(raw: &[u8]) -> &[u8] {
    let position = raw.windows(4).position(|window| window == b"\r\n\r\n").expect("header end");
    &raw[position + 4..]
}

/// One audit entry of the corpus with a label saying where it came from.
pub struct Entry {
    pub label: String,
    pub bytes: Vec<u8>,
}

/// The dataset names of `corpus/corpus-stats.json` (its `path` values).
pub const DATASETS: [&str; 8] = [
    "native-serial.log",
    "concurrent-json/storage",
    "concurrent-json-pl2/storage",
    "concurrent-json-k/storage",
    "concurrent-native/storage",
    "mlogc-captured",
    "mlogc-captured-json",
    "v3-json/storage",
];

/// The entries of one corpus dataset: split serial log, storage files or captured bodies.
pub fn dataset_entries(dataset: &str) -> Vec<Entry> {
    let path = fixtures().join("corpus").join(dataset);
    if dataset.ends_with(".log") {
        let file = read(&path);
        return split_entries(&file)
            .into_iter()
            .enumerate()
            .map(|(index, range)| Entry { label: format!("{dataset}#{index}"), bytes: file[range].to_vec() })
            .collect();
    }
    let files = if dataset.starts_with("mlogc-captured") { files_with_suffix(&path, ".body") } else { files_under(&path) };
    files.into_iter().map(|file| Entry { label: file.display().to_string(), bytes: read(&file) }).collect()
}

/// `corpus/corpus-stats.json`: one object per dataset.
pub fn corpus_stats() -> Vec<serde_json::Value> {
    let text = read(&fixtures().join("corpus/corpus-stats.json"));
    serde_json::from_slice(&text).expect("corpus-stats.json")
}

/// The stats object whose `path` is `dataset`.
pub fn stats_for(dataset: &str) -> serde_json::Value {
    corpus_stats().into_iter().find(|stats| stats["path"] == dataset).unwrap_or_else(|| panic!("no stats for {dataset}"))
}

/// What [`wafscope_parse::parse_entry_summary`] promises to fill in as the full parse does:
/// asserts the two parses of `raw` agree on it (and that the summary holds no more).
#[allow(dead_code)]
pub fn assert_summary_agrees(label: &str, raw: &[u8]) {
    use wafscope_parse::{parse_entry, parse_entry_summary};
    let full = parse_entry(raw);
    let summary = parse_entry_summary(raw);
    let (a, b) = (&full.event, &summary.event);
    assert_eq!(full.warnings, summary.warnings, "{label}: warnings");
    let view = |event: &wafscope_parse::AuditEvent| {
        (
            (event.format, event.unique_id.clone(), event.time_us, event.client_ip.clone(), event.client_port, event.server_ip.clone()),
            (event.host.clone(), event.method.clone(), event.uri.clone(), event.status, event.action, event.intercepted, event.phase),
            (event.inbound_score, event.inbound_threshold, event.outbound_score, event.rule_ids(), event.max_severity(), event.parts.clone()),
            event.top_message().map(|message| (message.rule_id, message.message.clone(), message.severity)),
            event
                .messages
                .iter()
                .map(|message| (message.rule_id, message.message.clone(), message.severity, message.disruptive, message.matched_var.clone(), message.threshold))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(view(a), view(b), "{label}: summary fields");
    if matches!(a.format, wafscope_parse::Format::ModSec2Native | wafscope_parse::Format::ModSec3Native | wafscope_parse::Format::CorazaNative) {
        assert!(b.request_body.is_none() && b.response_body.is_none() && b.response_headers.is_empty(), "{label}: a summary holds no bodies");
    }
}
