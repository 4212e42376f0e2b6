//! One entry, one event: what mlogc delivered and what `wafscope import` reads from the same
//! audit log are the same event, in either order, and the stored bytes are the entry's own
//! (the md5 ModSecurity wrote for it still matches). Real binary, real sockets, every format
//! of the fixture corpus.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::binary::http;

/// The concurrent audit-log trees of the corpus (one entry per file, as mlogc uploads them).
const TREES: [&str; 5] = ["concurrent-json", "concurrent-json-k", "concurrent-json-pl2", "concurrent-native", "v3-json"];

fn wafscope(data_dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_wafscope")).args(args).arg("--data-dir").arg(data_dir).stdin(Stdio::null()).output().expect("run wafscope");
    assert!(output.status.success(), "wafscope {args:?}: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Adds sensor `name` and returns its mlogc password.
fn add_sensor(data_dir: &Path, name: &str) -> String {
    let printed = stdout(&wafscope(data_dir, &["sensor", "add", name]));
    let line = printed.lines().find(|line| line.starts_with("SensorPassword")).expect("the sensor's password is printed");
    line.trim_start_matches("SensorPassword").trim().trim_matches('"').to_owned()
}

fn viewer_token(data_dir: &Path) -> String {
    stdout(&wafscope(data_dir, &["token", "create", "test", "--role", "viewer"])).trim_end().lines().last().unwrap().to_owned()
}

/// Every entry file of a tree (not its index), sorted.
fn entry_files(tree: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { walk(&path, files) } else { files.push(path) }
        }
    }
    let mut files = Vec::new();
    walk(&support::uploads::corpus(tree).join("storage"), &mut files);
    files.sort();
    assert!(files.len() > 10, "{tree} has entries");
    files
}

/// PUTs `body` as mlogc does (Basic auth, `X-Content-Hash` with its trailing space).
fn mlogc_put(address: &str, sensor: &str, password: &str, body: &[u8]) -> u16 {
    let hash = format!("md5:{} ", md5_hex(body));
    let headers = [("Authorization", support::uploads::basic(sensor, password)), ("X-Content-Hash", hash)];
    http(address, "PUT", "/rpc/auditLogReceiver", &headers, body).0
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(bytes))
}

/// Uploads every entry file of `tree` as its sensor.
fn mlogc_put_tree(address: &str, tree: &str, password: &str) -> Vec<PathBuf> {
    let files = entry_files(tree);
    for file in &files {
        assert_eq!(mlogc_put(address, tree, password, &std::fs::read(file).unwrap()), 200, "{}", file.display());
    }
    files
}

/// Every event of `sensor` (id, md5) through the API.
fn events_of(address: &str, token: &str, sensor: &str) -> Vec<(u64, String)> {
    let authorization = [("Authorization", format!("Bearer {token}"))];
    let (status, body) = http(address, "GET", &format!("/api/v1/events?sensor={sensor}&limit=1000"), &authorization, b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(page["next_before"].is_null(), "one page holds them all");
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let id = event["id"].as_u64().unwrap();
            let (status, detail) = http(address, "GET", &format!("/api/v1/events/{id}"), &authorization, b"");
            assert_eq!(status, 200);
            let detail: serde_json::Value = serde_json::from_slice(&detail).unwrap();
            (id, detail["md5"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Each file is one stored event whose raw bytes are the file's own.
fn assert_stored_once(address: &str, token: &str, sensor: &str, files: &[PathBuf]) {
    let events = events_of(address, token, sensor);
    assert_eq!(events.len(), files.len(), "{sensor}: one event per entry file");
    let mut stored: Vec<String> = events.iter().map(|(_, md5)| md5.clone()).collect();
    let mut expected: Vec<String> = files.iter().map(|file| md5_hex(&std::fs::read(file).unwrap())).collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "{sensor}: the stored entries are the files, byte for byte");
    let authorization = [("Authorization", format!("Bearer {token}"))];
    let (id, md5) = &events[0];
    let (status, raw) = http(address, "GET", &format!("/api/v1/events/{id}/raw"), &authorization, b"");
    assert_eq!(status, 200);
    assert_eq!(&md5_hex(&raw), md5);
}

fn import(data_dir: &Path, path: &Path, sensor: &str) -> String {
    stdout(&wafscope(data_dir, &["import", path.to_str().unwrap(), "--sensor", sensor]))
}

#[test]
fn an_entry_uploaded_by_mlogc_and_then_imported_is_one_event() {
    let directory = tempfile::tempdir().unwrap();
    let passwords: Vec<String> = TREES.iter().map(|tree| add_sensor(directory.path(), tree)).collect();
    let token = viewer_token(directory.path());
    let serve = support::binary::spawn_serve(directory.path(), &[]);
    for (tree, password) in TREES.iter().zip(&passwords) {
        let files = mlogc_put_tree(&serve.address, tree, password);
        // through the running server's admin socket
        let imported = import(directory.path(), &support::uploads::corpus(tree), tree);
        assert!(imported.contains(&format!(": 0 new, {} already stored", files.len())), "{tree}: {imported}");
        assert_stored_once(&serve.address, &token, tree, &files);
    }
}

#[test]
fn an_entry_imported_and_then_uploaded_by_mlogc_is_one_event() {
    let directory = tempfile::tempdir().unwrap();
    let passwords: Vec<String> = TREES.iter().map(|tree| add_sensor(directory.path(), tree)).collect();
    let token = viewer_token(directory.path());
    for tree in TREES {
        // offline: the store opened by the import itself
        let imported = import(directory.path(), &support::uploads::corpus(tree), tree);
        assert!(imported.contains(&format!(": {} new, 0 already stored", entry_files(tree).len())), "{tree}: {imported}");
    }
    let serve = support::binary::spawn_serve(directory.path(), &[]);
    for (tree, password) in TREES.iter().zip(&passwords) {
        let files = mlogc_put_tree(&serve.address, tree, password);
        assert_stored_once(&serve.address, &token, tree, &files);
    }
}

#[test]
fn a_serial_log_entry_sent_again_with_other_framing_is_one_event() {
    let directory = tempfile::tempdir().unwrap();
    let password = add_sensor(directory.path(), "legacy");
    let token = viewer_token(directory.path());
    let serial = support::uploads::corpus("native-serial.log");
    let imported = import(directory.path(), &serial, "legacy");
    assert!(imported.contains("imported 94 entries from 1 files as sensor legacy: 94 new, 0 already stored"), "{imported}");
    let serve = support::binary::spawn_serve(directory.path(), &[]);
    let log = std::fs::read(&serial).unwrap();
    let entries = wafscope_parse::split_entries(&log);
    assert_eq!(entries.len(), 94);
    for (index, range) in entries.into_iter().enumerate() {
        // the entry as its own file would hold it, with other line ends after it
        let mut body = log[range].to_vec();
        body.extend_from_slice(if index % 2 == 0 { b"\n" } else { b"\r\n\r\n" });
        assert_eq!(mlogc_put(&serve.address, "legacy", &password, &body), 200);
    }
    assert_eq!(events_of(&serve.address, &token, "legacy").len(), 94, "every entry once");
}
