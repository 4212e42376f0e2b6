//! The real `wafscope serve` binary as a child process on 127.0.0.1 with an ephemeral port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A child process killed (and reaped) when dropped, so a failing test leaves no server behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `wafscope serve` and the address it listens on; killed when dropped.
pub struct Served {
    pub child: KillOnDrop,
    pub address: String,
}

/// Starts `wafscope serve --listen 127.0.0.1:0 --data-dir DATA_DIR EXTRA…` and returns it
/// with the address (`host:port`, http or https) it printed. Its stderr goes to ours when `TEST_SERVER_LOG` is set.
pub fn spawn_serve(data_dir: &Path, extra: &[&str]) -> Served {
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
        if let Some((_, url)) = line.split_once("listening on ") {
            let url = url.split_whitespace().next().unwrap_or_default();
            break url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url).to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Served { child: KillOnDrop(child), address }
}

/// One HTTP/1.1 exchange on its own connection (30 s read timeout); returns the status and
/// the body (de-chunked).
pub fn http(address: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let Some(split) = answer.windows(4).position(|window| window == b"\r\n\r\n") else { return (0, Vec::new()) };
    let status = std::str::from_utf8(&answer[..split]).ok().and_then(|head| head.split(' ').nth(1)).and_then(|code| code.parse().ok()).unwrap_or(0);
    let content = answer.split_off(split + 4);
    if String::from_utf8_lossy(&answer).to_ascii_lowercase().contains("transfer-encoding: chunked") { (status, dechunk(&content)) } else { (status, content) }
}

fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = chunked.windows(2).position(|window| window == b"\r\n") {
        let size = std::str::from_utf8(&chunked[..line_end]).ok().and_then(|size| usize::from_str_radix(size.trim(), 16).ok()).unwrap_or(0);
        if size == 0 || chunked.len() < line_end + 4 + size {
            break;
        }
        body.extend_from_slice(&chunked[line_end + 2..line_end + 2 + size]);
        chunked = &chunked[line_end + 4 + size..];
    }
    body
}
