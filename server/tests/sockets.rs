//! The real binary over real sockets: slow clients are cut off, big mlogc headers pass,
//! a stalled upload body does not pin the server.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    // declared first: the server is killed before its data dir is removed
    served: support::binary::Served,
    data: tempfile::TempDir,
}

fn start(extra: &[&str]) -> Server {
    let data = tempfile::tempdir().unwrap();
    let served = support::binary::spawn_serve(data.path(), extra);
    Server { served, data }
}

/// Reads until EOF or `limit`; returns what was read and whether the peer closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut buffer) {
            Ok(0) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(count) => received.extend_from_slice(&buffer[..count]),
            Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), false)
}

#[test]
fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let server = start(&["--client-timeout", "1"]);
    let mut stalled = TcpStream::connect(&server.served.address).unwrap();
    stalled.write_all(b"PUT /rpc/auditLogReceiver HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut stalled, Duration::from_secs(10));
    assert!(closed, "the stalled connection was not closed");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    let mut healthy = TcpStream::connect(&server.served.address).unwrap();
    healthy.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let (answer, _) = read_until_closed(&mut healthy, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_stalled_upload_body_is_dropped_and_large_headers_pass() {
    let server = start(&["--client-timeout", "1"]);
    // 16 KiB of headers (mlogc's summary header alone can be ~4 KB): accepted, then 401.
    let big = "x".repeat(16 * 1024);
    let mut large = TcpStream::connect(&server.served.address).unwrap();
    write!(large, "PUT /rpc/auditLogReceiver HTTP/1.1\r\nHost: x\r\nX-ForensicLog-Summary: {big}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let (answer, _) = read_until_closed(&mut large, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 401"), "{}", &answer[..answer.len().min(200)]);

    // A real sensor (added through the running server's admin socket) that stalls mid-body.
    let mut add = Command::new(env!("CARGO_BIN_EXE_wafscope"))
        .args(["sensor", "add", "sensor1", "--password-stdin", "--data-dir"])
        .arg(server.data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"sensor-password\n").unwrap();
    assert!(add.wait().unwrap().success());
    let mut stalled = TcpStream::connect(&server.served.address).unwrap();
    stalled
        .write_all(
            b"PUT /rpc/auditLogReceiver HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2Vuc29yMTpzZW5zb3ItcGFzc3dvcmQ=\r\nContent-Length: 1000\r\n\r\n--abc",
        )
        .unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stalled, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 503"), "a stalled body is not stored and not acknowledged: {answer}");
    assert!(closed && started.elapsed() < Duration::from_secs(5), "closed={closed} after {:?}", started.elapsed());
}
