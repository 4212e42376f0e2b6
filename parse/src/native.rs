//! Native (multi-part) audit-log entries: ModSecurity 2 (`--xxxxxxxx-A--`), libmodsecurity 3
//! (`---xxxxxxxx---A--`) and Coraza (`--xxxxxxxxxx-A--`).
//!
//! The boundary is taken from the first boundary line and only lines made of exactly that
//! boundary plus a part letter count, so bodies can hold anything. Lines are split on LF only
//! (CR bytes belong to the data), parts may come in any order, a missing Z is a warning.
//! A part's content runs from after its boundary line to the LF that precedes the next one.

use crate::bytes::{lines_with_offsets, lossy, parse_decimal, slice, strip_cr, trim};
use crate::model::{AuditEvent, Body, Detail, Format};
use crate::time::{parse_apache_time, parse_slashed_datetime_as_utc};
use crate::trailer::parse_trailer;

/// How the boundary token is framed by dashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoundaryStyle {
    /// `--token-X--` (ModSecurity 2, Coraza).
    SingleDash,
    /// `---token---X--` (libmodsecurity 3).
    TripleDash,
}

/// A boundary line: its framing, token and part letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundaryLine<'a> {
    style: BoundaryStyle,
    pub token: &'a [u8],
    pub letter: u8,
}

impl BoundaryLine<'_> {
    /// Returns `true` if `other` has the same framing and token (any letter).
    pub fn same_boundary(&self, other: &BoundaryLine<'_>) -> bool {
        self.style == other.style && self.token == other.token
    }
}

/// Recognises `--token-X--` / `---token---X--` (a trailing CR is tolerated).
pub fn parse_boundary_line(line: &[u8]) -> Option<BoundaryLine<'_>> {
    let line = strip_cr(line);
    let without_tail = line.strip_suffix(b"--")?;
    let (&letter, framed) = without_tail.split_last()?;
    if !letter.is_ascii_uppercase() {
        return None;
    }
    let (style, token) = if let Some(inner) = framed.strip_prefix(b"---").and_then(|rest| rest.strip_suffix(b"---")) {
        (BoundaryStyle::TripleDash, inner)
    } else {
        let inner = framed.strip_prefix(b"--")?.strip_suffix(b"-")?;
        (BoundaryStyle::SingleDash, inner)
    };
    if token.is_empty() || !token.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some(BoundaryLine { style, token, letter })
}

/// One part of a native entry.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    pub letter: u8,
    pub content: &'a [u8],
}

/// Splits `raw` into its parts. Returns `None` if no boundary line exists at all.
pub fn split_sections<'a>(raw: &'a [u8], warnings: &mut Vec<String>) -> Option<(BoundaryLine<'a>, Vec<Section<'a>>)> {
    let mut locked: Option<BoundaryLine<'a>> = None;
    let mut starts: Vec<(u8, usize, usize)> = Vec::new(); // letter, line start, content start
    let mut seen_content_before = false;
    for (offset, line) in lines_with_offsets(raw) {
        match (parse_boundary_line(line), &locked) {
            (Some(boundary), None) => {
                if seen_content_before {
                    warnings.push("entry does not start with a boundary line".to_string());
                }
                locked = Some(boundary);
                starts.push((boundary.letter, offset, offset + line.len() + 1));
            }
            (Some(boundary), Some(current)) if boundary.same_boundary(current) => {
                starts.push((boundary.letter, offset, offset + line.len() + 1));
            }
            _ => seen_content_before |= locked.is_none() && !trim(line).is_empty(),
        }
    }
    let boundary = locked?;
    let sections = starts
        .iter()
        .enumerate()
        .map(|(index, &(letter, _, content_start))| {
            let content_end = match starts.get(index + 1) {
                Some(&(_, next_line_start, _)) => next_line_start.saturating_sub(1).max(content_start),
                None => raw.len(),
            };
            Section { letter, content: slice(raw, content_start, content_end) }
        })
        .collect();
    Some((boundary, sections))
}

/// Decides which engine wrote the entry from the boundary shape and the H part.
fn detect_format(boundary: &BoundaryLine<'_>, sections: &[Section<'_>]) -> Format {
    if boundary.style == BoundaryStyle::TripleDash {
        return Format::ModSec3Native;
    }
    let trailer = sections.iter().find(|section| section.letter == b'H').map(|section| section.content);
    let has_line_starting = |prefix: &[u8]| trailer.is_some_and(|content| crate::bytes::lines(content).any(|line| line.starts_with(prefix)));
    let coraza_line = trailer.is_some_and(|content| crate::bytes::find(content, b"] Coraza: ").is_some());
    if coraza_line || (boundary.token.len() == 10 && !has_line_starting(b"Message: ")) {
        Format::CorazaNative
    } else if has_line_starting(b"ModSecurity: ") && !has_line_starting(b"Message: ") {
        Format::ModSec3Native
    } else {
        Format::ModSec2Native
    }
}

/// Parses the request line into method, URI and protocol (protocol only if it says `HTTP/…`).
pub fn split_request_line(line: &str) -> (String, String, String) {
    let line = line.trim();
    let Some((method, rest)) = line.split_once(' ') else {
        return (line.to_string(), String::new(), String::new());
    };
    let rest = rest.trim();
    match rest.rsplit_once(' ') {
        Some((uri, protocol)) if protocol.starts_with("HTTP/") => (method.to_string(), uri.trim_end().to_string(), protocol.to_string()),
        _ if rest.starts_with("HTTP/") && !rest.contains(' ') => (method.to_string(), String::new(), rest.to_string()),
        _ => (method.to_string(), rest.to_string(), String::new()),
    }
}

/// Parses `Name: value` lines up to the first empty line; `keep` picks the headers kept by
/// name (every line is checked for its warning either way).
fn parse_header_lines<'a>(
    lines: impl Iterator<Item = &'a [u8]>,
    part: char,
    warnings: &mut Vec<String>,
    keep: impl Fn(&[u8]) -> bool,
) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for (number, line) in lines.enumerate() {
        let line = strip_cr(line);
        if line.is_empty() {
            break;
        }
        match memchr::memchr(b':', line) {
            Some(colon) => {
                let name = trim(slice(line, 0, colon));
                if !keep(name) {
                    continue;
                }
                let name = lossy(name);
                let value = slice(line, colon + 1, line.len());
                let value = value.strip_prefix(b" ").unwrap_or(value);
                headers.push((name, lossy(value)));
            }
            None => warnings.push(format!("part {part} line {} has no ':' and was skipped", number + 2)),
        }
    }
    headers
}

/// Part A: `[time] unique_id client_ip client_port server_ip server_port`.
fn parse_part_a(content: &[u8], format: Format, event: &mut AuditEvent, warnings: &mut Vec<String>) {
    let text = lossy(trim(content));
    let (time_text, rest) = match text.strip_prefix('[').and_then(|inner| inner.split_once(']')) {
        Some((time, rest)) => (time.to_string(), rest.trim_start().to_string()),
        None => {
            warnings.push("part A has no [time]".to_string());
            (String::new(), text.clone())
        }
    };
    if !time_text.is_empty() {
        event.time_text = time_text.clone();
        if format == Format::CorazaNative {
            event.time_us = parse_slashed_datetime_as_utc(&time_text);
            warnings.push("Coraza part A time has no zone, taken as UTC".to_string());
        } else if let Some(time) = parse_apache_time(&time_text, warnings) {
            event.time_us = Some(time.utc_us);
            event.utc_offset_minutes = time.offset_minutes;
        }
        if event.time_us.is_none() {
            warnings.push(format!("part A time {time_text:?} not understood"));
        }
    }
    let fields: Vec<&str> = rest.split(' ').collect();
    let field = |index: usize| fields.get(index).copied().unwrap_or_default();
    event.unique_id = field(0).to_string();
    event.client_ip = unbracket(field(1));
    event.client_port = parse_decimal(field(2).as_bytes());
    event.server_ip = unbracket(field(3));
    event.server_port = parse_decimal(field(4).as_bytes());
    if fields.len() < 5 {
        warnings.push(format!("part A has {} fields after the time, expected 5", fields.len()));
    }
}

/// Returns an IP address without surrounding `[` `]` (Coraza writes `[::1]`).
pub fn unbracket(address: &str) -> String {
    let address = address.trim();
    address.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).unwrap_or(address).to_string()
}

/// Returns a body part's bytes; v3 and Coraza append one LF of their own after the body.
fn body_of(content: &[u8], format: Format) -> Option<Body> {
    let content = match format {
        Format::ModSec3Native | Format::CorazaNative => content.strip_suffix(b"\n").unwrap_or(content),
        _ => content,
    };
    (!content.is_empty()).then(|| Body(content.to_vec()))
}

/// Parses a native entry (as much as `detail` asks for). `raw` must contain at least one
/// boundary line, else `None`.
pub fn parse_native(raw: &[u8], warnings: &mut Vec<String>, detail: Detail) -> Option<AuditEvent> {
    let full = detail == Detail::Full;
    let (boundary, sections) = split_sections(raw, warnings)?;
    let format = detect_format(&boundary, &sections);
    let mut event = AuditEvent { format, ..AuditEvent::default() };
    let mut stopwatch_start_us = None;
    let mut seen_letters: Vec<u8> = Vec::new();
    for section in &sections {
        if seen_letters.contains(&section.letter) {
            warnings.push(format!("part {} appears more than once", char::from(section.letter)));
        }
        seen_letters.push(section.letter);
        event.parts.push(char::from(section.letter));
        let content = section.content;
        match section.letter {
            b'A' => parse_part_a(content, format, &mut event, warnings),
            b'B' => {
                let mut lines = crate::bytes::lines(content).skip_while(|line| strip_cr(line).is_empty());
                let request_line = lossy(strip_cr(lines.next().unwrap_or_default()));
                (event.method, event.uri, event.protocol) = split_request_line(&request_line);
                event.request_headers = parse_header_lines(lines, 'B', warnings, |name| full || name.eq_ignore_ascii_case(b"host"));
            }
            b'C' if full => event.request_body = body_of(content, format),
            b'I' if full && event.request_body.is_none() => event.request_body = body_of(content, format),
            b'F' => {
                let mut lines = crate::bytes::lines(content).skip_while(|line| strip_cr(line).is_empty());
                let status_line = lossy(strip_cr(lines.next().unwrap_or_default()));
                let mut fields = status_line.split_whitespace();
                event.response_protocol = fields.next().unwrap_or_default().to_string();
                event.status = fields.next().and_then(|code| parse_decimal(code.as_bytes())).filter(|code| *code != 0);
                event.response_headers = parse_header_lines(lines, 'F', warnings, |_| full);
            }
            b'E' if full => event.response_body = body_of(content, format),
            b'H' => stopwatch_start_us = parse_trailer(content, &mut event, warnings, detail),
            b'K' if full => event.matched_rules.extend(crate::bytes::lines(content).map(strip_cr).filter(|line| !trim(line).is_empty()).map(lossy)),
            _ => {}
        }
    }
    if !seen_letters.contains(&b'A') {
        warnings.push("part A is missing".to_string());
    }
    if !seen_letters.contains(&b'Z') {
        warnings.push("part Z is missing (entry truncated?)".to_string());
    }
    if let Some(start_us) = stopwatch_start_us {
        event.time_us = Some(start_us);
    }
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_shapes() {
        let v2 = parse_boundary_line(b"--74042858-A--").expect("v2");
        assert_eq!((v2.token, v2.letter), (&b"74042858"[..], b'A'));
        let v3 = parse_boundary_line(b"---Bo5kPrA4---Z--\r").expect("v3");
        assert_eq!((v3.token, v3.letter), (&b"Bo5kPrA4"[..], b'Z'));
        assert!(!v2.same_boundary(&v3));
        assert!(parse_boundary_line(b"--RxuADesKRg-H--").is_some());
        for not_boundary in [&b"--74042858-a--"[..], b"--7404 858-A--", b"----A--", b"-74042858-A--", b"--x-A-", b""] {
            assert!(parse_boundary_line(not_boundary).is_none(), "{not_boundary:?}");
        }
    }

    #[test]
    fn request_lines() {
        let split = |line: &str| split_request_line(line);
        assert_eq!(split("GET /a?b=c HTTP/1.1"), ("GET".into(), "/a?b=c".into(), "HTTP/1.1".into()));
        assert_eq!(split("GET /products?x=1 "), ("GET".into(), "/products?x=1".into(), String::new()));
        assert_eq!(split("GET /a b HTTP/1.0"), ("GET".into(), "/a b".into(), "HTTP/1.0".into()));
        assert_eq!(split("GET"), ("GET".into(), String::new(), String::new()));
    }

    #[test]
    fn v3_native_entry() {
        let raw = concat!(
            "---Bo5kPrA4---A--\n",
            "[25/Nov/2026:03:32:56 +0000] 179557757645.188297 127.0.0.1 39522 127.0.0.1 28081\n",
            "---Bo5kPrA4---B--\n",
            "GET /?q=attack HTTP/1.1\n",
            "Host: www.example.test\n",
            "\n",
            "---Bo5kPrA4---C--\n",
            "a=1\n",
            "\n",
            "---Bo5kPrA4---F--\n",
            "HTTP/1.1 403\n",
            "Server: nginx\n",
            "\n",
            "---Bo5kPrA4---H--\n",
            "ModSecurity: Access denied with code 403 (phase 2). Matched \"Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: `5' ) [file \"/crs/REQUEST-949-BLOCKING-EVALUATION.conf\"] [line \"81\"] [id \"949110\"] [rev \"\"] [msg \"Inbound Anomaly Score Exceeded (Total Score: 5)\"] [data \"\"] [severity \"2\"] [ver \"OWASP_CRS/3.3.4\"] [maturity \"0\"] [accuracy \"0\"] [tag \"attack-generic\"] [hostname \"127.0.0.1\"] [uri \"/\"] [unique_id \"179557757645.188297\"] [ref \"\"]\n",
            "\n",
            "---Bo5kPrA4---Z--\n",
            "\n"
        );
        let crate::Parsed { event, warnings } = crate::parse_entry(raw.as_bytes());
        assert_eq!(event.format, Format::ModSec3Native);
        assert_eq!(event.parts, "ABCFHZ");
        assert_eq!(event.unique_id, "179557757645.188297");
        assert_eq!(event.time_us, Some(1_795_577_576_000_000));
        assert_eq!(event.request_body, Some(Body(b"a=1".to_vec())));
        assert_eq!(event.status, Some(403));
        assert_eq!(event.messages.len(), 1);
        let message = &event.messages[0];
        assert_eq!(message.rule_id, Some(949110));
        assert!(message.disruptive);
        assert_eq!(message.matched_var.as_deref(), Some("TX:ANOMALY_SCORE"));
        assert!(message.text.starts_with("ModSecurity: Access denied"));
        assert!(event.intercepted);
        assert_eq!(event.phase, Some(2));
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
