//! The real binary on a real full filesystem (a small tmpfs this test mounts; it needs root,
//! as `cargo xtask test` has): uploads that cannot be stored get 503, never 200; health
//! answers 503 with the reason; once space is freed ingest resumes without a restart, and
//! every upload acknowledged before, during and after is stored exactly once.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::binary::Served;

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"]).arg(path).status();
        assert!(
            status.is_ok_and(|status| status.success()),
            "this test mounts a small tmpfs to fill it and needs root (CAP_SYS_ADMIN), as `cargo xtask test` runs"
        );
        Tmpfs(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn wafscope(data_dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_wafscope")).args(args).arg("--data-dir").arg(data_dir).output().unwrap();
    assert!(output.status.success(), "wafscope {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn start(data_dir: &Path) -> Served {
    support::binary::spawn_serve(data_dir, &["--max-disk", "0", "--retain-days", "0", "--cache-mb", "16"])
}

/// One HTTP/1.1 exchange; returns the status and the body as text.
fn http(address: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let (status, body) = support::binary::http(address, method, path, headers, body);
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn fixture() -> (Vec<u8>, String) {
    let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/protocol-samples/native-2.9.7-get-403.auditlog")).unwrap();
    let parsed = wafscope_parse::parse_entry(&body);
    let unique_id = parsed.event.unique_id.clone();
    assert!(!unique_id.is_empty());
    (body, unique_id)
}

/// Uploads the fixture under a fresh unique id (same length, so the entry stays well formed).
fn upload(address: &str, authorization: &str, number: usize) -> (u16, String) {
    let (body, original) = fixture();
    let unique_id = format!("{:0>width$}", format!("full{number}"), width = original.len());
    let text = String::from_utf8_lossy(&body).replace(&original, &unique_id);
    let headers = [("Authorization", authorization.to_owned())];
    let (status, _) = http(address, "PUT", "/rpc/auditLogReceiver", &headers, text.as_bytes());
    (status, unique_id)
}

fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0xa5u8; 64 * 1024];
    loop {
        if file.write_all(&chunk).is_err() {
            break;
        }
    }
    let small = [0u8; 512];
    while file.write_all(&small).is_ok() {}
    let _ = file.sync_all();
}

fn wait_for_health(address: &str, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (found, body) = http(address, "GET", "/api/v1/health", &[], b"");
        if found == status {
            return body;
        }
        assert!(Instant::now() < deadline, "health stayed {found}: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_full_disk_refuses_uploads_with_503_and_ingest_resumes_when_space_is_freed() {
    let root = tempfile::tempdir().unwrap();
    let mount = root.path().join("small");
    let _tmpfs = Tmpfs::mount(&mount, "24m");
    let data_dir = mount.join("data");
    let server = start(&data_dir);
    let added = wafscope(&data_dir, &["sensor", "add", "web-01"]);
    let password = added.lines().find_map(|line| line.strip_prefix("SensorPassword \"")).unwrap().trim_end_matches('"').to_owned();
    let authorization = format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("web-01:{password}")));
    let token = wafscope(&data_dir, &["token", "create", "reader", "--role", "viewer"]).lines().last().unwrap().to_owned();

    let mut acknowledged = Vec::new();
    for number in 0..30 {
        let (status, unique_id) = upload(&server.address, &authorization, number);
        assert_eq!(status, 200);
        acknowledged.push(unique_id);
    }

    let filler = mount.join("filler");
    fill(&filler);
    let mut refused = 0;
    let mut number = 30;
    while refused < 5 && number < 20_000 {
        let (status, unique_id) = upload(&server.address, &authorization, number);
        match status {
            200 => acknowledged.push(unique_id),
            503 => refused += 1,
            other => panic!("an upload on a full disk got {other}: only 200 (stored) or 503 (retry later) are allowed"),
        }
        number += 1;
    }
    assert_eq!(refused, 5, "uploads on a full disk were refused");
    let health = wait_for_health(&server.address, 503);
    assert!(health.contains("full"), "health names the reason: {health}");

    std::fs::remove_file(&filler).unwrap();
    let health = wait_for_health(&server.address, 200);
    assert!(health.contains("\"ok\""), "{health}");
    for _ in 0..30 {
        let (status, unique_id) = upload(&server.address, &authorization, number);
        assert_eq!(status, 200, "ingest resumed without a restart");
        acknowledged.push(unique_id);
        number += 1;
    }

    let mut stored = Vec::new();
    let mut before = String::new();
    loop {
        let (status, body) = http(&server.address, "GET", &format!("/api/v1/events?limit=1000{before}"), &[("Authorization", format!("Bearer {token}"))], b"");
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        stored.extend(page["events"].as_array().unwrap().iter().map(|event| event["unique_id"].as_str().unwrap().to_owned()));
        match page["next_before"].as_u64() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    stored.sort();
    acknowledged.sort();
    assert_eq!(stored, acknowledged, "every acknowledged upload is stored exactly once ({} acknowledged, {refused} refused)", acknowledged.len());
    drop(server);
}
