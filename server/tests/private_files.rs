//! Every file and directory wafscope creates in its data dir is its owner's only: the
//! database (raw requests with end users' cookies and passwords), the TLS key and certificate,
//! the admin socket and the first admin password. Checked on a real `serve` with a
//! self-signed certificate, while it runs (the socket exists only then).

mod support;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

/// (path, mode, kind) of everything below `dir`.
fn entries(dir: &Path, found: &mut Vec<(String, u32, &'static str)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let metadata = std::fs::symlink_metadata(entry.path()).unwrap();
        let kind = if metadata.is_dir() {
            "dir"
        } else if metadata.file_type().is_socket() {
            "socket"
        } else {
            "file"
        };
        found.push((entry.path().display().to_string(), metadata.permissions().mode() & 0o777, kind));
        if metadata.is_dir() {
            entries(&entry.path(), found);
        }
    }
}

#[test]
fn everything_in_the_data_dir_is_private_to_its_owner() {
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    // returns once it printed `listening on https://…`
    let _serve = support::binary::spawn_serve(&data_dir, &["--tls-self-signed"]);
    let mut found = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // the admin socket is bound right after the listener: wait for it
    while !found.iter().any(|(_, _, kind)| *kind == "socket") && std::time::Instant::now() < deadline {
        found.clear();
        entries(&data_dir, &mut found);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for wanted in ["wafscope.redb", "self-signed.key", "self-signed.crt", "initial-admin-password"] {
        assert!(found.iter().any(|(path, _, _)| path.ends_with(wanted)), "{wanted} in {found:?}");
    }
    assert!(found.iter().any(|(_, _, kind)| *kind == "socket"), "the admin socket: {found:?}");
    let data_dir_mode = std::fs::metadata(&data_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(data_dir_mode, 0o700);
    for (path, mode, kind) in &found {
        assert_eq!(mode & 0o077, 0, "{kind} {path} has mode {mode:o}: readable by others");
    }
}
