//! The rule-message grammar shared by ModSecurity 2 `Message:` lines (native and JSON),
//! libmodsecurity 3 native H lines and Coraza `error_message`s:
//!
//! `<action sentence> <rule message> [name "value"] [name "value"] …`
//!
//! e.g. `Access denied with code 403 (phase 2). Pattern match "attack" at ARGS:q. [file "…"]
//! [line "36"] [id "1001"] [msg "Test \"quoted\" msg"] [tag "t1"]`. Token values are unescaped
//! (`\"`, `\\`, `\xHH`, C and Go escapes) and decoded lossily; a token cut by ModSecurity's
//! 1023-byte limit is kept as far as it goes. Also here: the matched variable named in a
//! message text.

use crate::bytes::{find, find_from, lossy, trim};
use crate::model::{Detail, RuleMessage, Severity};
use std::borrow::Cow;

/// Metadata names that start the `[name "value"]` tail of a message.
const METADATA_NAMES: [&[u8]; 15] =
    [b"file", b"line", b"id", b"rev", b"msg", b"data", b"severity", b"ver", b"maturity", b"accuracy", b"tag", b"hostname", b"uri", b"unique_id", b"ref"];

/// Action sentences that open a message (`Warning.`, `Access denied …`, `Access allowed …`).
const ACTION_OPENERS: [&[u8]; 3] = [b"Warning.", b"Access ", b"Pausing "];

/// A message parsed from text, with the metadata the event (not the message) needs.
#[derive(Debug, Default)]
pub struct ParsedAlert {
    pub message: RuleMessage,
    /// The `[hostname "…"]` token (v3/Coraza H lines and Apache error-log copies).
    pub hostname: Option<String>,
    /// The last metadata token had no closing `"]` (the 1023-byte cut).
    pub truncated: bool,
}

/// Decodes ModSecurity/Go escapes: `\"`, `\\`, `\xHH`, `\n` & co., `\uXXXX`, `\UXXXXXXXX`.
/// Unknown escapes are kept verbatim. Returns raw bytes; decode them lossily.
pub fn unescape(value: &[u8]) -> Vec<u8> {
    let mut output = Vec::with_capacity(value.len());
    let mut index = 0;
    while let Some(&byte) = value.get(index) {
        if byte != b'\\' {
            output.push(byte);
            index += 1;
            continue;
        }
        let Some(&escaped) = value.get(index + 1) else {
            output.push(byte);
            break;
        };
        let simple = match escaped {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'\'' => Some(b'\''),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'b' => Some(0x08),
            b'v' => Some(0x0b),
            b'f' => Some(0x0c),
            b'a' => Some(0x07),
            _ => None,
        };
        if let Some(decoded) = simple {
            output.push(decoded);
            index += 2;
            continue;
        }
        let hex_width = match escaped {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => 0,
        };
        let hex_value = value
            .get(index + 2..index + 2 + hex_width)
            .filter(|_| hex_width > 0)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .filter(|digits| digits.bytes().all(|digit| digit.is_ascii_hexdigit()))
            .and_then(|digits| u32::from_str_radix(digits, 16).ok());
        match (escaped, hex_value) {
            (b'x', Some(code)) => output.push(u8::try_from(code).unwrap_or(b'?')),
            (_, Some(code)) => {
                let character = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buffer = [0; 4];
                output.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
            }
            (_, None) => {
                output.extend_from_slice(&[byte, escaped]);
                index += 2;
                continue;
            }
        }
        index += 2 + hex_width;
    }
    output
}

/// A token value unescaped and decoded lossily; most have no escape and are valid UTF-8, and
/// are borrowed as they are.
fn unescaped_text(value: &[u8]) -> Cow<'_, str> {
    if memchr::memchr(b'\\', value).is_none() {
        return match std::str::from_utf8(value) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(value),
        };
    }
    match String::from_utf8(unescape(value)) {
        Ok(text) => Cow::Owned(text),
        Err(error) => Cow::Owned(String::from_utf8_lossy(error.as_bytes()).into_owned()),
    }
}

/// Returns where the `[name "value"]` tail starts: the first ` [<known name> "` (or one at the
/// very start). Quotes inside the rule message are escaped (`\"`), so they never match.
fn metadata_start(text: &[u8]) -> Option<usize> {
    let is_token_start = |at: usize| {
        let Some(rest) = text.get(at + 1..) else {
            return false;
        };
        METADATA_NAMES.iter().any(|name| rest.starts_with(name) && rest.get(name.len()..name.len() + 2) == Some(&b" \""[..]))
    };
    if text.first() == Some(&b'[') && is_token_start(0) {
        return Some(0);
    }
    let mut from = 0;
    while let Some(position) = find_from(text, b" [", from) {
        if is_token_start(position + 1) {
            return Some(position);
        }
        from = position + 1;
    }
    None
}

/// One `[name "value"]` token, value still escaped.
struct Token<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

/// Splits the metadata tail into tokens. Returns the tokens and whether the last one was cut.
fn metadata_tokens(tail: &[u8]) -> (Vec<Token<'_>>, bool) {
    // a CRS message has about 15 tokens
    let mut tokens = Vec::with_capacity(24);
    let mut index = 0;
    loop {
        while tail.get(index) == Some(&b' ') {
            index += 1;
        }
        if tail.get(index) != Some(&b'[') {
            return (tokens, false);
        }
        let name_start = index + 1;
        let name_end = tail
            .get(name_start..)
            .and_then(|rest| rest.iter().position(|byte| !(byte.is_ascii_alphanumeric() || *byte == b'_')))
            .map_or(tail.len(), |offset| name_start + offset);
        let name = crate::bytes::slice(tail, name_start, name_end);
        let after_name = tail.get(name_end..).unwrap_or_default();
        if let Some(quoted) = after_name.strip_prefix(b" \"") {
            let value_start = name_end + 2;
            match closing_quote(quoted) {
                Some(length) => {
                    tokens.push(Token { name, value: crate::bytes::slice(tail, value_start, value_start + length) });
                    index = value_start + length + 2;
                }
                None => {
                    tokens.push(Token { name, value: quoted });
                    return (tokens, true);
                }
            }
        } else if let Some(bare) = after_name.strip_prefix(b" ") {
            let Some(length) = bare.iter().position(|byte| *byte == b']') else {
                tokens.push(Token { name, value: bare });
                return (tokens, true);
            };
            tokens.push(Token { name, value: crate::bytes::slice(bare, 0, length) });
            index = name_end + 1 + length + 1;
        } else {
            return (tokens, !name.is_empty() && after_name.is_empty());
        }
    }
}

/// Returns the length of a quoted value: up to the first unescaped `"` followed by `]`.
fn closing_quote(value: &[u8]) -> Option<usize> {
    let mut index = 0;
    // jump from one backslash or quote to the next
    while let Some(offset) = memchr::memchr2(b'\\', b'"', value.get(index..)?) {
        index += offset;
        match value.get(index) {
            Some(b'\\') => index += 2,
            Some(b'"') if value.get(index + 1) == Some(&b']') => return Some(index),
            _ => index += 1,
        }
    }
    None
}

/// Splits the text before the metadata into the action sentence and the rule message.
fn split_action(head: &[u8]) -> (&[u8], &[u8]) {
    if !ACTION_OPENERS.iter().any(|opener| head.starts_with(opener)) {
        return (&[], head);
    }
    match find(head, b". ") {
        Some(position) => (crate::bytes::slice(head, 0, position + 1), trim(crate::bytes::slice(head, position + 2, head.len()))),
        None => (head, &[]),
    }
}

/// Returns the phase number written as `(phase N)`.
pub fn phase_in(text: &str) -> Option<u8> {
    let (_, rest) = text.split_once("(phase ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Finds the matched variable in a rule-message sentence or a match/data text.
pub fn matched_variable(rule_message: &str, data: &str) -> Option<String> {
    let clean = |variable: &str| {
        let variable = variable.trim().trim_end_matches('.');
        (!variable.is_empty()).then(|| variable.to_string())
    };
    // v3: `… against variable `ARGS:q' (Value: `…' )`
    if let Some((_, rest)) = rule_message.split_once("against variable `") {
        let end = rest.find("' (Value").or_else(|| rest.find('\'')).unwrap_or(rest.len());
        return clean(rest.get(..end).unwrap_or_default());
    }
    // v2: `Match of "…" against "REQUEST_HEADERS:Host" required.`
    if rule_message.starts_with("Match of ")
        && let Some(position) = rule_message.rfind("\" against \"")
    {
        let rest = rule_message.get(position + 11..).unwrap_or_default();
        let end = rest.find("\" required").unwrap_or(rest.len());
        return clean(rest.get(..end).unwrap_or_default());
    }
    // v2 `@validateByteRange`: `Found 1 byte(s) in ARGS:a outside range: 1-255.`
    if rule_message.starts_with("Found ")
        && let Some((_, rest)) = rule_message.split_once(" byte(s) in ")
        && let Some((variable, _)) = rest.rsplit_once(" outside range")
    {
        return clean(variable);
    }
    // v2: `Pattern match "…" at ARGS:q.` (the quote must not be escaped)
    let bytes = rule_message.as_bytes();
    let mut from = 0;
    while let Some(position) = find_from(bytes, b"\" at ", from) {
        let backslashes = crate::bytes::slice(bytes, 0, position).iter().rev().take_while(|b| **b == b'\\').count();
        if backslashes % 2 == 0 {
            return clean(rule_message.get(position + 5..).unwrap_or_default());
        }
        from = position + 1;
    }
    // v2: `Operator GE matched 5 at TX:anomaly_score.`, `… used at REQUEST_URI.`
    if let Some(position) = rule_message.rfind(" at ") {
        let rest = rule_message.get(position + 4..).unwrap_or_default();
        if rest.starts_with(|c: char| c.is_ascii_uppercase()) && !rest.contains(' ') {
            return clean(rest);
        }
    }
    // CRS logdata: `Matched Data: … found within ARGS:id: 1' OR …`
    if let Some((_, rest)) = data.split_once("found within ") {
        let end = rest.find(": ").unwrap_or(rest.len());
        return clean(rest.get(..end).unwrap_or_default());
    }
    None
}

/// The number an operator compared its variable with, as a rule sentence or v3 match text says:
/// v2 `Operator GE matched 5 at TX:anomaly_score.`, v3 ``Matched "Operator `Ge' with parameter
/// `5' against variable `TX:ANOMALY_SCORE' (Value: `10' )``.
pub fn compared_threshold(sentence: &str) -> Option<u32> {
    let number = |text: &str| {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        text.get(..digits).and_then(|digits| digits.parse().ok())
    };
    if let Some((_, rest)) = sentence.split_once("Operator GE matched ") {
        return number(rest);
    }
    if let Some((_, rest)) = sentence.split_once("Operator `Ge' with parameter `") {
        return number(rest);
    }
    None
}

/// Parses one message text (after any `Message: ` / `ModSecurity: ` / `Coraza: ` prefix).
/// `text` of the result is left empty: callers store the original line there.
pub fn parse_alert(text: &[u8]) -> ParsedAlert {
    parse_alert_with(text, Detail::Full)
}

/// [`parse_alert`] filling in what `detail` asks for: with [`Detail::Summary`] only the
/// action, rule id, `msg` (or rule sentence), severity, hostname and the tags that mark CRS
/// anomaly evaluation.
pub fn parse_alert_with(text: &[u8], detail: Detail) -> ParsedAlert {
    let full = detail == Detail::Full;
    let text = trim(text);
    let (head, tail) = match metadata_start(text) {
        Some(start) => (trim(crate::bytes::slice(text, 0, start)), crate::bytes::slice(text, start, text.len())),
        None => (text, &[][..]),
    };
    let (action, rule_sentence) = split_action(head);
    let (tokens, truncated) = metadata_tokens(tail);
    let mut parsed = ParsedAlert { truncated, ..ParsedAlert::default() };
    let message = &mut parsed.message;
    message.action_text = lossy(action);
    message.disruptive = action.starts_with(b"Access denied");
    let mut msg_token = None;
    let mut data_token = None;
    for token in &tokens {
        // a value is decoded only for the tokens kept (a summary keeps few)
        let text = || unescaped_text(token.value);
        match token.name {
            b"id" => message.rule_id = crate::bytes::parse_integer_text(&text()),
            b"msg" => msg_token = Some(text().into_owned()),
            b"severity" => message.severity = Severity::parse(&text()),
            b"hostname" => parsed.hostname = Some(text().into_owned()),
            b"tag" => {
                let tag = text();
                if full || crate::model::SUMMARY_TAGS.contains(&&*tag) {
                    message.tags.push(tag.into_owned());
                }
            }
            // a summary decodes `data` only for the matched variable (CRS's `found within …`)
            b"data" if !full => data_token = Some(token.value),
            _ if !full => {}
            b"data" => message.data = text().into_owned(),
            b"file" => message.file = text().into_owned(),
            b"line" => message.line = crate::bytes::parse_integer_text(&text()),
            b"rev" => message.rev = text().into_owned(),
            b"ver" => message.ver = text().into_owned(),
            b"maturity" => message.maturity = crate::bytes::parse_integer_text(&text()),
            b"accuracy" => message.accuracy = crate::bytes::parse_integer_text(&text()),
            _ => {}
        }
    }
    let rule_sentence = lossy(rule_sentence);
    message.threshold = compared_threshold(&rule_sentence);
    if full {
        message.paranoia_level = paranoia_level(&message.tags);
        message.matched_var = matched_variable(&rule_sentence, &message.data);
    } else {
        let data = data_token.map(unescaped_text).unwrap_or_default();
        message.matched_var = matched_variable(&rule_sentence, &data);
    }
    message.message = msg_token.unwrap_or(rule_sentence);
    parsed
}

/// Returns N from the first `paranoia-level/N` tag.
pub fn paranoia_level(tags: &[String]) -> Option<u8> {
    tags.iter().find_map(|tag| tag.strip_prefix("paranoia-level/")).and_then(|level| level.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: &str = r#"Access denied with code 403 (phase 2). Pattern match "attack" at ARGS:q. [file "/etc/modsec/test.conf"] [line "36"] [id "1001"] [rev "2"] [msg "Test \"quoted\" msg"] [data "attack"] [severity "CRITICAL"] [ver "v1"] [maturity "9"] [accuracy "8"] [tag "t1"] [tag "t/2"]"#;

    #[test]
    fn full_v2_message() {
        let parsed = parse_alert(DENY.as_bytes());
        let message = parsed.message;
        assert_eq!(message.rule_id, Some(1001));
        assert_eq!(message.message, "Test \"quoted\" msg");
        assert_eq!(message.action_text, "Access denied with code 403 (phase 2).");
        assert!(message.disruptive);
        assert_eq!(message.matched_var.as_deref(), Some("ARGS:q"));
        assert_eq!(message.file, "/etc/modsec/test.conf");
        assert_eq!(message.line, Some(36));
        assert_eq!(message.rev, "2");
        assert_eq!(message.ver, "v1");
        assert_eq!(message.data, "attack");
        assert_eq!(message.severity, Some(Severity::Critical));
        assert_eq!((message.maturity, message.accuracy), (Some(9), Some(8)));
        assert_eq!(message.tags, vec!["t1", "t/2"]);
        assert!(!parsed.truncated);
        assert_eq!(phase_in(&message.action_text), Some(2));
    }

    #[test]
    fn escapes_in_values() {
        assert_eq!(unescape(br#"a\"b\\c\x41\xe9\n\u00e9\q"#), b"a\"b\\cA\xe9\n\xc3\xa9\\q".to_vec());
        assert_eq!(unescape(b"end\\"), b"end\\".to_vec());
        assert_eq!(unescape(b"\\x4"), b"\\x4".to_vec());
        let parsed = parse_alert(br#"Warning. x [data "caf\xe9 \x22q\x22"] [msg "Blockierter Agent: \\\"B\xc3\xb6se\\\""]"#);
        assert_eq!(parsed.message.data, "caf\u{fffd} \"q\"");
        assert_eq!(parsed.message.message, "Blockierter Agent: \\\"B\u{f6}se\\\"");
    }

    #[test]
    fn truncated_last_token() {
        let parsed = parse_alert(br#"Warning. Pattern match "x" at ARGS:a. [id "942100"] [msg "SQL"] [tag "paranoia-level/1"] [tag "capec/1000/15"#);
        assert!(parsed.truncated);
        assert_eq!(parsed.message.rule_id, Some(942100));
        assert_eq!(parsed.message.tags, vec!["paranoia-level/1", "capec/1000/15"]);
        assert_eq!(parsed.message.paranoia_level, Some(1));
        let cut_in_name = parse_alert(br#"Warning. x [id "1"] [ta"#);
        assert_eq!(cut_in_name.message.rule_id, Some(1));
        assert!(cut_in_name.truncated);
    }

    #[test]
    fn message_without_metadata() {
        let parsed = parse_alert(b"JSON parser error: parse error: premature EOF\n");
        assert_eq!(parsed.message.rule_id, None);
        assert_eq!(parsed.message.action_text, "");
        assert_eq!(parsed.message.message, "JSON parser error: parse error: premature EOF");
    }

    #[test]
    fn escaped_quote_does_not_start_metadata() {
        let parsed = parse_alert(br#"Warning. Pattern match "a \" [id \"9\"] b" at ARGS:x. [id "5"]"#);
        assert_eq!(parsed.message.rule_id, Some(5));
        assert_eq!(parsed.message.matched_var.as_deref(), Some("ARGS:x"));
    }

    #[test]
    fn matched_variables() {
        let cases = [
            (r#"Pattern match "(?:x\" at y)" at REQUEST_HEADERS:User-Agent."#, "", Some("REQUEST_HEADERS:User-Agent")),
            ("Operator GE matched 5 at TX:anomaly_score.", "", Some("TX:anomaly_score")),
            (r#"Match of "rx ^OPTIONS$" against "REQUEST_METHOD" required."#, "", Some("REQUEST_METHOD")),
            ("Matched \"Operator `Rx' with parameter `^$' against variable `REQUEST_HEADERS:User-Agent' (Value: `' )", "", Some("REQUEST_HEADERS:User-Agent")),
            ("detected SQLi using libinjection with fingerprint 's&sos'", "Matched Data: s&sos found within ARGS:id: 1' OR '1'='1", Some("ARGS:id")),
            ("detected XSS using libinjection.", "", None),
        ];
        for (sentence, data, expected) in cases {
            assert_eq!(matched_variable(sentence, data).as_deref(), expected, "{sentence}");
        }
    }
}
