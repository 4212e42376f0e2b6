//! Concurrent-index lines (mlogc's `X-ForensicLog-Summary`) and the `X-Content-Hash` header.
//!
//! ModSecurity 2: `host client ruser luser [time] "request" status bytes "-" "-" unique_id
//! "session" /path 0 size md5:hex` + `" "` or `" L"`. libmodsecurity 3 writes one user field
//! fewer, an unquoted referer, a quoted user agent, an absolute path and the size as a double;
//! the fields after the time line up the same way, so both are read by position after `[time]`.

use crate::bytes::{lossy, trim};
use crate::h_messages::unescape;
use crate::model::IndexLine;
use crate::time::parse_apache_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Bare,
    Quoted,
    Bracketed,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: TokenKind,
    /// The content without quotes or brackets, still escaped.
    content: &'a [u8],
}

/// Splits on spaces, keeping `[…]` and `"…"` (with `\"` escapes) together.
fn tokenize(line: &[u8]) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < line.len() {
        let Some(&first) = line.get(index) else { break };
        if first == b' ' {
            index += 1;
            continue;
        }
        let rest = line.get(index..).unwrap_or_default();
        let bare_end = memchr::memchr(b' ', rest).map_or(line.len(), |p| index + p);
        // only a `[` token looks for its `]` (searching from every token cost more than the rest)
        let bracket_end = if first == b'[' { memchr::memchr(b']', rest).map_or(line.len(), |p| index + p) } else { line.len() };
        // `[time]` ends with `] `; `[::1]:28081` (a v3 host) is a bare token.
        let closes_token = matches!(line.get(bracket_end + 1), Some(b' ') | None);
        let (kind, content_start, content_end, next) = match first {
            b'[' if closes_token => (TokenKind::Bracketed, index + 1, bracket_end, bracket_end + 1),
            b'"' => {
                let mut cursor = index + 1;
                while let Some(&byte) = line.get(cursor) {
                    match byte {
                        b'\\' => cursor += 2,
                        // libmodsecurity 3 writes the user agent unescaped: only a quote
                        // followed by a space (or the end) closes the field.
                        b'"' if matches!(line.get(cursor + 1), Some(b' ') | None) => break,
                        _ => cursor += 1,
                    }
                }
                let end = cursor.min(line.len());
                (TokenKind::Quoted, index + 1, end, end + 1)
            }
            _ => (TokenKind::Bare, index, bare_end, bare_end),
        };
        tokens.push(Token { kind, content: crate::bytes::slice(line, content_start, content_end) });
        index = next;
    }
    tokens
}

/// Returns lowercase hex if `text` (with or without `md5:`) is 32 hex digits.
fn md5_hex(text: &[u8]) -> Option<String> {
    let hex = if crate::bytes::starts_with_ignore_case(text, b"md5:") { crate::bytes::slice(text, 4, text.len()) } else { text };
    (hex.len() == 32 && hex.iter().all(u8::is_ascii_hexdigit)).then(|| lossy(hex).to_ascii_lowercase())
}

/// Parses the `X-Content-Hash` value: trims, takes the first token, strips `md5:`, lowercases.
/// Returns `None` unless that is 32 hex digits.
pub fn parse_content_hash(header: &[u8]) -> Option<String> {
    let first_token = trim(header).split(u8::is_ascii_whitespace).next()?;
    md5_hex(first_token)
}

/// Parses a concurrent-index line. Returns `None` if it lacks `[time]` or the fields up to the
/// unique id; later fields that are missing or malformed come back empty or `None`.
pub fn parse_index_line(line: &[u8]) -> Option<IndexLine> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let tokens = tokenize(line);
    let time_index = tokens.iter().position(|token| token.kind == TokenKind::Bracketed)?;
    if time_index < 2 {
        return None;
    }
    let after = |offset: usize| tokens.get(time_index + offset);
    let text_at = |offset: usize| after(offset).map(|token| lossy(token.content)).unwrap_or_default();
    let unique_id = text_at(6);
    if unique_id.is_empty() {
        return None;
    }
    let time_text = text_at(0);
    let time_us = parse_apache_time(&time_text, &mut Vec::new()).map(|time| time.utc_us);
    let session = text_at(7);
    let md5_token = after(11);
    Some(IndexLine {
        host: lossy(tokens.first()?.content),
        client_ip: lossy(tokens.get(1)?.content),
        time_text,
        time_us,
        request_line: after(1).map(|token| lossy(&unescape(token.content))).unwrap_or_default(),
        status: crate::bytes::parse_integer_text(&text_at(2)),
        bytes_sent: crate::bytes::parse_integer_text(&text_at(3)),
        unique_id,
        session_id: if session == "-" { String::new() } else { session },
        path: text_at(8),
        offset: crate::bytes::parse_integer_text(&text_at(9)),
        size: crate::bytes::parse_integer_text(&text_at(10)),
        md5: md5_token.and_then(|token| md5_hex(token.content)).unwrap_or_default(),
        limited: tokens.get(time_index + 12).is_some_and(|token| token.content == b"L"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = br#"127.0.0.1 127.0.0.1 - - [24/Nov/2026:21:35:07.552606 --0500] "GET /?q=\"x\" HTTP/1.1" 403 239 "-" "-" awZJW8dT1qBBltRHCwVe1gAAAEA "-" /www-data/20261124/20261124-2135/20261124-213507-awZJW8dT1qBBltRHCwVe1gAAAEA 0 1872 md5:050C03851cac6d23ea8416ab2e8b7bc6 "#;

    #[test]
    fn v2_line() {
        let index = parse_index_line(LINE).expect("parses");
        assert_eq!(index.host, "127.0.0.1");
        assert_eq!(index.request_line, "GET /?q=\"x\" HTTP/1.1");
        assert_eq!(index.status, Some(403));
        assert_eq!(index.bytes_sent, Some(239));
        assert_eq!(index.unique_id, "awZJW8dT1qBBltRHCwVe1gAAAEA");
        assert_eq!(index.session_id, "");
        assert_eq!(index.offset, Some(0));
        assert_eq!(index.size, Some(1872));
        assert_eq!(index.md5, "050c03851cac6d23ea8416ab2e8b7bc6");
        assert_eq!(index.time_us, Some(1_795_574_107_552_606));
        assert!(!index.limited);
        let mut limited = LINE.to_vec();
        limited.extend_from_slice(b"L\n");
        assert!(parse_index_line(&limited).expect("parses").limited);
    }

    #[test]
    fn broken_lines() {
        assert!(parse_index_line(b"").is_none());
        let v3 = parse_index_line(b"[::1]:28081 ::1 - [25/Nov/2026:03:32:56 +0000] \"GET / HTTP/1.1\" 200 8 - \"UA\" 179557757616.221764 - /a/179557757616.221764 0 1022.000000 md5:16e53de30801f2c9c36f623d996dc990").expect("v3");
        assert_eq!((v3.host.as_str(), v3.client_ip.as_str(), v3.size), ("[::1]:28081", "::1", Some(1022)));
        let raw_quotes = parse_index_line(br#"h 127.0.0.1 - [t] "GET / HTTP/1.1" 403 146 - "() { :; }; /bin/bash -c "id"" 1797.71 - /a/1797.71 0 2289.000000 md5:d7397ee1eaa35cda87e6539970a9ee80"#).expect("v3");
        assert_eq!((raw_quotes.unique_id.as_str(), raw_quotes.size), ("1797.71", Some(2289)));
        assert!(parse_index_line(b"host [time").is_none());
        assert!(parse_index_line(b"a b - - [t] \"GET / HTTP/1.1\" 200").is_none());
        let cut = parse_index_line(b"a b - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" uid \"s").expect("parses");
        assert_eq!(cut.session_id, "s");
        assert_eq!(cut.size, None);
    }

    #[test]
    fn content_hash() {
        let expected = Some("2bb80a5f121a988430b6e1132edb8bf4".to_string());
        assert_eq!(parse_content_hash(b"md5:2bb80a5f121a988430b6e1132edb8bf4 "), expected);
        assert_eq!(parse_content_hash(b" MD5:2BB80A5F121A988430B6E1132EDB8BF4 L"), expected);
        assert_eq!(parse_content_hash(b"2bb80a5f121a988430b6e1132edb8bf4"), expected);
        assert_eq!(parse_content_hash(b"md5:2bb80a5f"), None);
        assert_eq!(parse_content_hash(b"md5:zzb80a5f121a988430b6e1132edb8bf4"), None);
        assert_eq!(parse_content_hash(b""), None);
    }
}
