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
        for entry in std::fs::read_dir(&current)
            .unwrap_or_else(|error| panic!("listing {}: {error}", current.display()))
        {
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
    let position = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("header end");
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
            .map(|(index, range)| Entry {
                label: format!("{dataset}#{index}"),
                bytes: file[range].to_vec(),
            })
            .collect();
    }
    let files = if dataset.starts_with("mlogc-captured") {
        files_with_suffix(&path, ".body")
    } else {
        files_under(&path)
    };
    files
        .into_iter()
        .map(|file| Entry {
            label: file.display().to_string(),
            bytes: read(&file),
        })
        .collect()
}

/// `corpus/corpus-stats.json`: one object per dataset.
pub fn corpus_stats() -> Vec<serde_json::Value> {
    let text = read(&fixtures().join("corpus/corpus-stats.json"));
    serde_json::from_slice(&text).expect("corpus-stats.json")
}

/// The stats object whose `path` is `dataset`.
pub fn stats_for(dataset: &str) -> serde_json::Value {
    corpus_stats()
        .into_iter()
        .find(|stats| stats["path"] == dataset)
        .unwrap_or_else(|| panic!("no stats for {dataset}"))
}
