//! The `wafscope` binary's admin and import commands on a real data dir.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn wafscope(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wafscope"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wafscope");
    if let Some(text) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn fixtures(path: &str) -> String {
    format!("{}/../fixtures/corpus/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn import_is_idempotent_across_formats_and_skips_index_files() {
    let directory = tempfile::tempdir().unwrap();
    let serial = fixtures("native-serial.log");
    let first = wafscope(directory.path(), &["import", &serial, "--sensor", "legacy"], None);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("imported 94 entries from 1 files as sensor legacy: 94 new, 0 already stored"), "{}", text(&first));
    let again = wafscope(directory.path(), &["import", &serial, "--sensor", "legacy"], None);
    assert!(text(&again).contains("0 new, 94 already stored"), "{}", text(&again));

    let concurrent = fixtures("concurrent-json");
    let tree = wafscope(directory.path(), &["import", &concurrent, "--sensor", "json"], None);
    assert!(text(&tree).contains("imported 94 entries from 94 files as sensor json: 94 new, 0 already stored (1 index files skipped)"), "{}", text(&tree));

    let missing = wafscope(directory.path(), &["import", "/nonexistent/file.log", "--sensor", "x"], None);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("/nonexistent/file.log"), "{}", text(&missing));
}

#[test]
fn users_tokens_and_sensors_from_the_command_line() {
    let directory = tempfile::tempdir().unwrap();
    let added = wafscope(directory.path(), &["user", "add", "ops", "--role", "analyst", "--password-stdin"], Some("a-good-password\n"));
    assert!(added.status.success(), "{}", text(&added));
    let weak = wafscope(directory.path(), &["user", "add", "weak", "--role", "viewer", "--password-stdin"], Some("short\n"));
    assert!(!weak.status.success());
    assert!(text(&weak).contains("at least 8 characters"));
    let bad_role = wafscope(directory.path(), &["user", "add", "x", "--role", "root"], None);
    assert!(!bad_role.status.success());
    let listed = wafscope(directory.path(), &["user", "list"], None);
    assert!(text(&listed).contains("ops"));

    let token = wafscope(directory.path(), &["token", "create", "ci", "--role", "viewer"], None);
    let stdout = String::from_utf8(token.stdout.clone()).unwrap();
    assert!(stdout.trim_end().lines().last().unwrap().starts_with("wfs_"), "{stdout}");

    let sensor = wafscope(directory.path(), &["sensor", "add", "web-01", "--url", "https://console.example:8886"], None);
    let stdout = String::from_utf8(sensor.stdout.clone()).unwrap();
    assert!(stdout.contains("ConsoleURI \"https://console.example:8886/rpc/auditLogReceiver\""), "{stdout}");
    assert!(stdout.contains("SensorUsername \"web-01\""), "{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("v3/Coraza URL: https://console.example:8886/api/v1/ingest/"), "{stdout}");
    let listed = wafscope(directory.path(), &["sensor", "list"], None);
    assert!(text(&listed).contains("web-01"));
    let removed = wafscope(directory.path(), &["sensor", "remove", "web-01"], None);
    assert!(removed.status.success());
    let again = wafscope(directory.path(), &["sensor", "remove", "web-01"], None);
    assert!(!again.status.success());
    assert!(text(&again).contains("no sensor called"));
}

#[test]
fn help_documents_every_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_wafscope")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for option in
        ["--listen", "--data-dir", "--config", "--max-upload-bytes", "--ingest-path", "--tls-cert", "--tls-key", "--tls-self-signed", "WAFSCOPE_LISTEN"]
    {
        assert!(help.contains(option), "{option} missing from serve --help");
    }
}
