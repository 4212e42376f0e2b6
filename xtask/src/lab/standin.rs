//! `lab stand-in`: a stand-in console for checking the lab (and the benchmark's load generator)
//! without wafscope.  Answers every request with one status (200 by default), keep-alive,
//! and appends one line per upload to `--out`: `<sensor> <unique id> <md5 ok|bad|none> <new|dup>`
//! (sensor = Basic user, or the last path segment for an unauthenticated POST).

use super::args::Args;
use super::index_line;
use super::json::Json;
use crate::bench::md5;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in remembers across connections (and restarts: `--out` is reloaded).
struct Record {
    out: Option<File>,
    seen: HashSet<(String, String)>,
}

/// Runs until killed.
pub fn run(args: &Args) -> Result<(), String> {
    let listen = args.value("--listen").unwrap_or("127.0.0.1:0");
    let status: u16 = args.number("--status", 200)?;
    let out_path = args.value("--out").map(PathBuf::from);
    let mut seen = HashSet::new();
    if let Some(path) = &out_path {
        for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
            let words: Vec<&str> = line.split(' ').collect();
            if words.len() >= 2 {
                seen.insert((words[0].to_owned(), words[1].to_owned()));
            }
        }
    }
    let out = match &out_path {
        Some(path) => Some(OpenOptions::new().create(true).append(true).open(path).map_err(|error| format!("{}: {error}", path.display()))?),
        None => None,
    };
    let record = Arc::new(Mutex::new(Record { out, seen }));
    let listener = TcpListener::bind(listen).map_err(|error| format!("binding {listen}: {error}"))?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    println!("lab stand-in listening on http://{addr}");
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let record = Arc::clone(&record);
        std::thread::spawn(move || {
            let _ = serve_connection(stream, status, &record);
        });
    }
    Ok(())
}

fn serve_connection(stream: TcpStream, status: u16, record: &Mutex<Record>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut line = Vec::new();
            reader.read_until(b'\n', &mut line)?;
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let header = |name: &str| headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
        if header("expect").is_some_and(|value| value.eq_ignore_ascii_case("100-continue")) {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let length: usize = header("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
        if length > 0 {
            remember(record, &path, header("authorization"), header("x-forensiclog-summary"), header("x-content-hash"), &body);
        }
        let close = header("connection").is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let reason = if status == 200 { "OK" } else { "Stand-in" };
        writer.write_all(format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n{}\r\n", if close { "Connection: close\r\n" } else { "" }).as_bytes())?;
        if close {
            return Ok(());
        }
    }
}

/// The Basic-auth user name.
fn basic_user(authorization: Option<&str>) -> Option<String> {
    let encoded = authorization?.strip_prefix("Basic ")?.trim();
    let decoded = decode_base64(encoded)?;
    let text = String::from_utf8_lossy(&decoded).into_owned();
    text.split_once(':').map(|(user, _)| user.to_owned())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|byte| *byte != b'=') {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

/// The unique id of an upload: from the index line, the v3 JSON, or the native part A.
fn unique_id(summary: Option<&str>, body: &[u8]) -> String {
    if let Some(line) = summary.and_then(|summary| index_line::parse(summary.as_bytes())) {
        return line.unique_id;
    }
    if let Ok(json) = Json::parse(String::from_utf8_lossy(body).trim())
        && let Some(id) = json.get("transaction").and_then(|tx| tx.get("unique_id")).and_then(Json::as_text)
    {
        return id.to_owned();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let part_a = text.lines().skip_while(|line| !(line.starts_with("--") && line.ends_with("-A--"))).nth(1);
    part_a.and_then(|line| line.split("] ").nth(1)).and_then(|rest| rest.split(' ').next()).unwrap_or("-").to_owned()
}

fn remember(record: &Mutex<Record>, path: &str, authorization: Option<&str>, summary: Option<&str>, hash: Option<&str>, body: &[u8]) {
    let sensor = basic_user(authorization).unwrap_or_else(|| path.rsplit('/').next().unwrap_or("-").to_owned());
    let id = unique_id(summary, body);
    let md5_state = match hash.and_then(|hash| hash.split_whitespace().next()).and_then(|hash| hash.strip_prefix("md5:")) {
        Some(expected) if expected.eq_ignore_ascii_case(&md5::hex(body)) => "ok",
        Some(_) => "bad",
        None => "none",
    };
    let Ok(mut record) = record.lock() else { return };
    let fresh = record.seen.insert((sensor.clone(), id.clone()));
    if let Some(out) = record.out.as_mut() {
        let _ = writeln!(out, "{sensor} {id} {md5_state} {}", if fresh { "new" } else { "dup" });
    }
}

/// The ids the stand-in stored for `sensor` (first deliveries only) and the number of repeats.
pub fn stored(out: &std::path::Path, sensor: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut repeats = 0;
    for line in std::fs::read_to_string(out).unwrap_or_default().lines() {
        let words: Vec<&str> = line.split(' ').collect();
        if words.len() >= 4 && words[0] == sensor {
            if words[3] == "new" {
                ids.push(words[1].to_owned());
            } else {
                repeats += 1;
            }
        }
    }
    (ids, repeats)
}

#[cfg(test)]
mod tests {
    use super::{basic_user, unique_id};

    #[test]
    fn ids_and_users() {
        assert_eq!(basic_user(Some("Basic c2Vuc29yMTpzM2NyZXQtcGFzcw==")).as_deref(), Some("sensor1"));
        let v3 = br#"{"transaction":{"client_ip":"::1","unique_id":"0123abcd","request":{}}}"#;
        assert_eq!(unique_id(None, v3), "0123abcd");
        let native = b"--1a2b3c4d-A--\n[25/Nov/2026:03:22:52.882222 +0000] awZUjJcoj9eS2jw-PvIXVwAAAAA ::1 40852 ::1 28480\n";
        assert_eq!(unique_id(None, native), "awZUjJcoj9eS2jw-PvIXVwAAAAA");
    }
}
