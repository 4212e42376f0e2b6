//! Part H (the audit-log trailer) of native entries.
//!
//! ModSecurity 2 writes `Name: value` lines (`Message:`, `Apache-Error:`, `Action: Intercepted
//! (phase N)`, `Stopwatch:`, `Producer:`, `Server:`, `Engine-Mode:` …); libmodsecurity 3 writes
//! bare `ModSecurity: Warning. …` lines and Coraza `[client "…"] Coraza: Warning. …` lines.
//! A line that starts neither way continues the previous one: ModSecurity copies raw newlines
//! of a message into the trailer (e.g. `JSON parser error: … premature EOF\n`).

use crate::bytes::{lossy, strip_cr, trim};
use crate::h_messages::{parse_alert_with, phase_in};
use crate::model::{AuditEvent, Detail};
use std::borrow::Cow;

/// Returns `true` for `Name: …` where Name is a header-like token.
fn is_named_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|byte| *byte == b':') else {
        return false;
    };
    let name = crate::bytes::slice(line, 0, colon);
    name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-' || *byte == b'_')
        && matches!(line.get(colon + 1), Some(b' ') | None)
}

/// Groups trailer lines into logical lines, joining continuation lines with `\n` (a line
/// without continuation is borrowed, not copied).
fn logical_lines(content: &[u8]) -> Vec<Cow<'_, [u8]>> {
    let mut lines: Vec<Cow<'_, [u8]>> = Vec::new();
    for line in crate::bytes::lines(content).map(strip_cr) {
        let starts_new = is_named_line(line) || line.starts_with(b"[client ");
        match lines.last_mut() {
            Some(previous) if !starts_new => {
                let joined = previous.to_mut();
                joined.push(b'\n');
                joined.extend_from_slice(line);
            }
            _ if !starts_new && line.is_empty() => {}
            _ => lines.push(Cow::Borrowed(line)),
        }
    }
    for line in &mut lines {
        let kept = crate::bytes::trim_end(line).len();
        match line {
            Cow::Borrowed(text) => *text = &text[..kept],
            Cow::Owned(text) => text.truncate(kept),
        }
    }
    lines
}

/// Normalises an engine mode: `ENABLED`, `DETECTION_ONLY`, `DISABLED`, else as written.
pub fn normalize_engine_mode(text: &str) -> String {
    let unquoted = text.trim().trim_matches('"');
    let squashed: String = unquoted.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    match squashed.as_str() {
        "enabled" | "on" => "ENABLED".to_string(),
        "detectiononly" => "DETECTION_ONLY".to_string(),
        "disabled" | "off" => "DISABLED".to_string(),
        _ => unquoted.to_string(),
    }
}

/// Splits `Producer: A; B; C.` into its components.
pub fn split_producer(text: &str) -> Vec<String> {
    let text = text.trim();
    let text = text.strip_suffix('.').unwrap_or(text);
    text.split("; ").map(str::trim).filter(|part| !part.is_empty()).map(str::to_string).collect()
}

/// Records an alert line; `grammar` is the part after any prefix, `original` the whole text kept.
fn push_alert(event: &mut AuditEvent, grammar: &[u8], original: &[u8], warnings: &mut Vec<String>, detail: Detail) {
    let parsed = parse_alert_with(grammar, detail);
    if parsed.truncated {
        warnings.push("a rule message ends inside a [name \"value\"] token (truncated)".to_string());
    }
    if event.host.is_empty()
        && let Some(hostname) = parsed.hostname.filter(|name| !name.is_empty())
    {
        event.host = hostname;
    }
    let mut message = parsed.message;
    if detail == Detail::Full {
        message.text = lossy(original);
    }
    event.messages.push(message);
}

/// Parses the trailer into `event`. Returns the request start in µs from `Stopwatch:`.
pub fn parse_trailer(content: &[u8], event: &mut AuditEvent, warnings: &mut Vec<String>, detail: Detail) -> Option<i64> {
    let mut stopwatch_start_us = None;
    for line in logical_lines(content) {
        if let Some(alert) = line.strip_prefix(b"Message: ") {
            push_alert(event, alert, alert, warnings, detail);
            continue;
        }
        if let Some(alert) = line.strip_prefix(b"ModSecurity: ") {
            push_alert(event, alert, &line, warnings, detail);
            continue;
        }
        if line.starts_with(b"[client ") {
            match crate::bytes::find(&line, b"] Coraza: ") {
                Some(position) => push_alert(event, crate::bytes::slice(&line, position + 10, line.len()), &line, warnings, detail),
                None if detail == Detail::Full => event.extra_trailers.push((String::new(), lossy(&line))),
                None => {}
            }
            continue;
        }
        let text = lossy(&line);
        let Some((name, value)) = text.split_once(':') else {
            warnings.push("part H starts with a line that is not a trailer".to_string());
            if detail == Detail::Full {
                event.extra_trailers.push((String::new(), text));
            }
            continue;
        };
        let value = value.strip_prefix(' ').unwrap_or(value);
        if matches!(name, "Stopwatch" | "Stopwatch2") && stopwatch_start_us.is_none() {
            stopwatch_start_us = value.split_whitespace().next().and_then(|start| start.parse().ok());
        }
        match name {
            "Action" if value.starts_with("Intercepted") => {
                event.intercepted = true;
                event.phase = phase_in(value);
            }
            _ if detail == Detail::Summary => {}
            "Producer" => event.producer = split_producer(value),
            "Server" => event.server_software = Some(value.to_string()),
            "Engine-Mode" => event.engine_mode = Some(normalize_engine_mode(value)),
            _ => event.extra_trailers.push((name.to_string(), value.to_string())),
        }
    }
    if trim(content).is_empty() {
        return None;
    }
    stopwatch_start_us
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join_the_message() {
        let content = b"Message: JSON parser error: parse error: premature EOF\n\nMessage: second\nrest of second\nApache-Handler: cgi-script\n";
        let lines = logical_lines(content);
        assert_eq!(lines[0], b"Message: JSON parser error: parse error: premature EOF".to_vec());
        assert_eq!(lines[1], b"Message: second\nrest of second".to_vec());
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn trailer_fields() {
        let content = b"Message: Warning. Operator GE matched 5 at TX:anomaly_score. [id \"980130\"]\nAction: Intercepted (phase 4)\nStopwatch: 1795576949554359 3499 (- - -)\nProducer: ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/); OWASP_CRS/3.3.4.\nServer: Apache\nEngine-Mode: \"DETECTION_ONLY\"\n";
        let mut event = AuditEvent::default();
        let mut warnings = Vec::new();
        let start = parse_trailer(content, &mut event, &mut warnings, Detail::Full);
        assert_eq!(start, Some(1_795_576_949_554_359));
        assert!(event.intercepted);
        assert_eq!(event.phase, Some(4));
        assert_eq!(event.producer, vec!["ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/)", "OWASP_CRS/3.3.4"]);
        assert_eq!(event.server_software.as_deref(), Some("Apache"));
        assert_eq!(event.engine_mode.as_deref(), Some("DETECTION_ONLY"));
        assert_eq!(event.extra_trailers, vec![("Stopwatch".to_string(), "1795576949554359 3499 (- - -)".to_string())]);
        assert_eq!(event.messages[0].rule_id, Some(980130));
        assert!(warnings.is_empty());
    }

    #[test]
    fn engine_modes() {
        assert_eq!(normalize_engine_mode("Enabled"), "ENABLED");
        assert_eq!(normalize_engine_mode("On"), "ENABLED");
        assert_eq!(normalize_engine_mode("DetectionOnly"), "DETECTION_ONLY");
        assert_eq!(normalize_engine_mode("\"DETECTION_ONLY\""), "DETECTION_ONLY");
        assert_eq!(normalize_engine_mode("Weird"), "Weird");
    }
}
