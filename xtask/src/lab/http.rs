//! A minimal HTTP/1.1 client over `std::net::TcpStream`: URL splitting, one-shot requests,
//! reading responses framed by Content-Length, chunked encoding or EOF (keep-alive capable),
//! and Base64 for Basic auth.  Plain http only; https goes through curl.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The parts of an `http(s)://authority/path` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// `host:port` as written (the Host header), e.g. `127.0.0.1:8080` or `[::1]:80`
    pub authority: String,
    /// path and query, at least `/`
    pub path: String,
}

impl Url {
    pub fn parse(url: &str) -> Result<Url, String> {
        let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err(format!("not an http(s) URL: {url}"));
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(format!("no host in {url}"));
        }
        let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) && !authority.ends_with(']');
        let authority = if has_port { authority.to_owned() } else { format!("{authority}:{}", if https { 443 } else { 80 }) };
        Ok(Url { https, authority, path: path.to_owned() })
    }

    /// `scheme://authority` without the path.
    pub fn base(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.authority)
    }

    /// Connects with `timeout` for connect, read and write.
    pub fn connect(&self, timeout: Duration) -> Result<TcpStream, String> {
        let addrs: Vec<_> = self.authority.to_socket_addrs().map_err(|error| format!("{}: {error}", self.authority))?.collect();
        let mut last = format!("{}: no address", self.authority);
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    let _ = stream.set_read_timeout(Some(timeout));
                    let _ = stream.set_write_timeout(Some(timeout));
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(error) => last = format!("connecting to {addr}: {error}"),
            }
        }
        Err(last)
    }
}

/// A response: status, reason, headers in order (values as bytes), body.
#[derive(Debug, Default)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header `name` (case-insensitive), lossily as text, trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| String::from_utf8_lossy(value).trim().to_owned())
    }

    /// Whether the body is sent in chunks.
    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding").is_some_and(|value| value.to_ascii_lowercase().contains("chunked"))
    }

    /// Whether the server will close the connection after this response.
    pub fn closes(&self) -> bool {
        self.header("connection").is_some_and(|value| value.eq_ignore_ascii_case("close"))
    }
}

fn read_line<R: BufRead>(reader: &mut R, limit: usize) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    reader.by_ref().take(limit as u64).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    while line.last().is_some_and(|byte| *byte == b'\n' || *byte == b'\r') {
        line.pop();
    }
    Ok(line)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads one response (skipping `100 Continue`); `head_request`: no body follows.
pub fn read_response<R: BufRead>(reader: &mut R, head_request: bool) -> io::Result<Response> {
    let mut response = read_head(reader)?;
    if head_request || response.status == 204 || response.status == 304 {
        return Ok(response);
    }
    if response.is_chunked() {
        response.body = read_chunked(reader)?;
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
        response.body = vec![0; length];
        reader.read_exact(&mut response.body)?;
    } else {
        reader.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

/// Reads the status line and headers of one response (skipping `100 Continue`), not its body.
pub fn read_head<R: BufRead>(reader: &mut R) -> io::Result<Response> {
    loop {
        let status_line = read_line(reader, 8192)?;
        let text = String::from_utf8_lossy(&status_line).into_owned();
        let mut words = text.splitn(3, ' ');
        let version = words.next().unwrap_or("");
        if !version.starts_with("HTTP/") {
            return Err(invalid(format!("not an HTTP status line: {text:?}")));
        }
        let status: u16 = words.next().and_then(|code| code.parse().ok()).ok_or_else(|| invalid(format!("bad status line {text:?}")))?;
        let reason = words.next().unwrap_or("").to_owned();
        let mut headers = Vec::new();
        loop {
            let line = read_line(reader, 65536)?;
            if line.is_empty() {
                break;
            }
            if let Some(colon) = line.iter().position(|byte| *byte == b':') {
                let name = String::from_utf8_lossy(&line[..colon]).trim().to_owned();
                let value = line[colon + 1..].trim_ascii().to_vec();
                headers.push((name, value));
            }
        }
        if (100..200).contains(&status) {
            continue;
        }
        return Ok(Response { status, reason, headers, body: Vec::new() });
    }
}

fn read_chunked<R: BufRead>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = read_chunk(reader)? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The next chunk of a chunked body; `None` after the last one (and its trailers).
pub fn read_chunk<R: BufRead>(reader: &mut R) -> io::Result<Option<Vec<u8>>> {
    let line = read_line(reader, 1024)?;
    let size_text = String::from_utf8_lossy(&line);
    let size_text = size_text.split(';').next().unwrap_or("").trim();
    let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
    if size == 0 {
        // trailers up to the empty line
        while !read_line(reader, 65536)?.is_empty() {}
        return Ok(None);
    }
    let mut chunk = vec![0; size];
    reader.read_exact(&mut chunk)?;
    read_line(reader, 16).or_else(|error| if error.kind() == io::ErrorKind::UnexpectedEof { Ok(Vec::new()) } else { Err(error) })?;
    Ok(Some(chunk))
}

/// One request on a new connection (`Connection: close`); plain http only.
pub fn request(url: &Url, method: &str, headers: &[(&str, &str)], body: &[u8], timeout: Duration) -> Result<Response, String> {
    if url.https {
        return Err(format!("{}: https is not supported by the built-in client", url.base()));
    }
    let mut stream = url.connect(timeout)?;
    let mut head = format!("{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", url.path, url.authority);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let what = format!("{method} {}{}", url.base(), url.path);
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).map_err(|error| format!("{what}: {error}"))?;
    read_response(&mut BufReader::new(stream), method == "HEAD").map_err(|error| format!("{what}: {error}"))
}

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * index)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Url, base64, read_response};

    #[test]
    fn urls() {
        let url = Url::parse("http://127.0.0.1:8080/rpc/auditLogReceiver?x=1").unwrap();
        assert_eq!((url.https, url.authority.as_str(), url.path.as_str()), (false, "127.0.0.1:8080", "/rpc/auditLogReceiver?x=1"));
        assert_eq!(Url::parse("https://[::1]:9/").unwrap().authority, "[::1]:9");
        assert_eq!(Url::parse("https://example.test").unwrap().authority, "example.test:443");
        assert_eq!(Url::parse("http://[::1]").unwrap().authority, "[::1]:80");
        assert!(Url::parse("ftp://x").is_err());
    }

    #[test]
    fn responses() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Unique-ID: abc\r\n\r\n\
                    3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nnoHTTP/1.0 200 OK\r\n\r\nrest";
        let mut reader = &raw[..];
        let first = read_response(&mut reader, false).unwrap();
        assert_eq!((first.status, first.body.as_slice(), first.header("x-unique-id").as_deref()), (200, &b"abcde"[..], Some("abc")));
        let second = read_response(&mut reader, false).unwrap();
        assert_eq!((second.status, second.reason.as_str(), second.body.as_slice()), (403, "Forbidden", &b"no"[..]));
        let third = read_response(&mut reader, false).unwrap();
        assert_eq!(third.body, b"rest");
    }

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"sensor1:s3cret-pass"), "c2Vuc29yMTpzM2NyZXQtcGFzcw==");
    }
}
