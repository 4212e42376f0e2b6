//! The real `wafscope serve` binary as a child process on 127.0.0.1 with an ephemeral port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `wafscope serve --listen 127.0.0.1:0 --data-dir DATA_DIR EXTRA…` and returns the
/// child with the address it printed. Its stderr goes to ours when `TEST_SERVER_LOG` is set.
pub fn spawn_serve(data_dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wafscope"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("TEST_SERVER_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some((_, url)) = line.split_once("listening on http://") {
            break url.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}
