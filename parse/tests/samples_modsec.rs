//! Field-by-field checks of single real ModSecurity entries: the 2.9.7 protocol samples, the
//! libmodsecurity 3 corpus and the quirks CORPUS.md lists.

mod common;

use common::{dataset_entries, fixtures, http_body, read};
use wafscope_parse::{Action, Body, Format, Severity, parse_entry};

fn sample(name: &str) -> Vec<u8> {
    read(&fixtures().join("protocol-samples").join(name))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str()).collect()
}

#[test]
fn native_403_with_double_minus_zone() {
    let raw = sample("native-2.9.7-get-403.auditlog");
    let parsed = parse_entry(&raw);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let event = parsed.event;
    assert_eq!(event.time_text, "24/Nov/2026:21:35:07.552557 --0500");
    assert_eq!(event.utc_offset_minutes, Some(-300));
    // The Stopwatch request start is preferred over Part A (written at logging time).
    assert_eq!(event.time_us, Some(1_795_574_107_551_948));
    assert_eq!(event.unique_id, "awZJW8dT1qBBltRHCwVe1gAAAEA");
    assert_eq!((event.client_ip.as_str(), event.client_port), ("127.0.0.1", Some(59328)));
    assert_eq!((event.server_ip.as_str(), event.server_port), ("127.0.0.1", Some(18090)));
    assert_eq!((event.method.as_str(), event.uri.as_str(), event.protocol.as_str()), ("GET", "/?q=attack", "HTTP/1.1"));
    assert_eq!(event.host, "127.0.0.1:18090");
    assert_eq!(
        event.request_headers,
        vec![
            ("Host".to_string(), "127.0.0.1:18090".to_string()),
            ("User-Agent".to_string(), "curl/7.88.1".to_string()),
            ("Accept".to_string(), "*/*".to_string()),
        ]
    );
    assert_eq!((event.response_protocol.as_str(), event.status), ("HTTP/1.1", Some(403)));
    assert_eq!(header(&event.response_headers, "Content-Length"), vec!["239"]);
    let response_body = event.response_body.as_ref().expect("part E");
    assert!(response_body.0.starts_with(b"<!DOCTYPE HTML"));
    assert_eq!(response_body.0.len(), 239);
    assert_eq!(event.parts, "ABFEHKZ");
    assert!(event.intercepted);
    assert_eq!(event.phase, Some(2));
    assert_eq!(event.action, Action::Blocked);
    assert_eq!(event.engine_mode.as_deref(), Some("ENABLED"));
    assert_eq!(event.producer, vec!["ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/)", "TestRules/1.0"]);
    assert_eq!(event.server_software.as_deref(), Some("Apache/2.4.71 (Debian)"));
    assert_eq!(event.matched_rules.len(), 1);
    assert!(event.matched_rules[0].starts_with("SecRule \"ARGS\" \"@rx attack\""));
    // The Apache-Error copy is detail, not a second alert.
    assert_eq!(event.messages.len(), 1);
    assert_eq!(header(&event.extra_trailers, "Apache-Error").len(), 1);
    assert_eq!(header(&event.extra_trailers, "Stopwatch"), vec!["1795574107551948 631 (- - -)"]);
    let message = &event.messages[0];
    assert_eq!(message.rule_id, Some(1001));
    assert_eq!(message.message, "Test \"quoted\" msg");
    assert_eq!(message.data, "attack");
    assert_eq!(message.severity, Some(Severity::Critical));
    assert_eq!((message.file.as_str(), message.line), ("/etc/modsec/test.conf", Some(36)));
    assert_eq!((message.rev.as_str(), message.ver.as_str()), ("2", "v1"));
    assert_eq!((message.maturity, message.accuracy), (Some(9), Some(8)));
    assert_eq!(message.tags, vec!["t1", "t/2"]);
    assert_eq!(message.paranoia_level, None);
    assert_eq!(message.matched_var.as_deref(), Some("ARGS:q"));
    assert_eq!(message.action_text, "Access denied with code 403 (phase 2).");
    assert!(message.disruptive);
    assert!(message.text.starts_with("Access denied with code 403 (phase 2). Pattern match \"attack\" at ARGS:q. [file"));
    assert!(message.text.ends_with("[tag \"t1\"] [tag \"t/2\"]"));
    assert_eq!(event.rule_ids(), vec![1001]);
    assert_eq!(event.max_severity(), Some(Severity::Critical));
    assert_eq!(event.top_message().and_then(|top| top.rule_id), Some(1001));
}

#[test]
fn part_a_time_with_double_minus_zone_without_stopwatch() {
    let raw = sample("native-2.9.7-get-403.auditlog");
    let without_stopwatch: Vec<u8> = raw.split(|byte| *byte == b'\n').filter(|line| !line.starts_with(b"Stopwatch")).collect::<Vec<_>>().join(&b'\n');
    let event = parse_entry(&without_stopwatch).event;
    // 24/Nov/2026 21:35:07.552557 at -05:00 = 2026-11-25 02:35:07.552557 UTC; 02:35:07 = 1795574107 s.
    assert_eq!(event.time_us, Some(1_795_574_107_552_557));
    assert_eq!(event.utc_offset_minutes, Some(-300));
}

#[test]
fn native_multipart_keeps_binary_body_bytes() {
    let raw = sample("native-2.9.7-multipart-binary.auditlog");
    let parsed = parse_entry(&raw);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let event = parsed.event;
    let start = raw.windows(15).position(|window| window == b"--ecf24215-C--\n").expect("C") + 15;
    let end = raw.windows(16).position(|window| window == b"\n--ecf24215-I--\n").expect("I");
    let expected = &raw[start..end];
    let body = event.request_body.as_ref().expect("part C");
    assert_eq!(body.0, expected);
    assert_eq!(body.0.len(), 311);
    assert_eq!(header(&event.request_headers, "Content-Length"), vec!["311"]);
    for byte in [0x00, 0xff, 0xfe, b'\r'] {
        assert!(body.0.contains(&byte), "body lacks {byte:#x}");
    }
    assert!(body.0.ends_with(b"--------------------------5f5817776c1d755f--\r\n"));
    assert_eq!(event.parts, "ABCIFEHJKZ");
    assert_eq!(event.messages[0].matched_var.as_deref(), Some("ARGS:x"));
    assert_eq!(event.time_us, Some(1_795_574_107_592_359));
    // The body survives a serde round trip as base64.
    let json = serde_json::to_string(&event).expect("serialize");
    let back: wafscope_parse::AuditEvent = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, event);
}

#[test]
fn native_ipv6_warning_with_chain() {
    let event = parse_entry(&sample("native-2.9.7-ipv6-chain-200.auditlog")).event;
    assert_eq!((event.client_ip.as_str(), event.client_port), ("::1", Some(46570)));
    assert_eq!((event.server_ip.as_str(), event.server_port), ("::1", Some(18090)));
    assert_eq!(event.host, "[::1]:18090");
    assert_eq!(event.status, Some(200));
    assert!(!event.intercepted);
    assert_eq!(event.phase, None);
    assert_eq!(event.action, Action::Detected);
    let message = &event.messages[0];
    assert_eq!((message.rule_id, message.message.as_str()), (Some(1002), "scanner seen"));
    assert_eq!(message.action_text, "Warning.");
    assert!(!message.disruptive);
    assert_eq!(message.matched_var.as_deref(), Some("REQUEST_METHOD"));
    assert_eq!(message.severity, None);
    assert_eq!(event.matched_rules.len(), 2);
    assert!(event.matched_rules[1].starts_with("SecRule \"REQUEST_METHOD\""));
    assert_eq!(event.response_body, Some(Body(b"hello world\n".to_vec())));
}

#[test]
fn json_entry_uploaded_by_mlogc() {
    let raw = read(&fixtures().join("protocol-samples/mlogc-2.9.7-put-json-entry.http"));
    let parsed = parse_entry(http_body(&raw));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let event = parsed.event;
    assert_eq!(event.format, Format::ModSec2Json);
    assert_eq!(event.time_text, "25/Nov/2026:11:35:30.605846 +0900");
    assert_eq!(event.utc_offset_minutes, Some(540));
    assert_eq!(event.time_us, Some(1_795_574_130_605_846));
    assert_eq!(event.unique_id, "awZJcjoJvmlyIhKftN0y-wAAAEA");
    assert_eq!((event.method.as_str(), event.uri.as_str()), ("POST", "/?q=attack"));
    assert_eq!(event.status, Some(403));
    assert!(event.intercepted);
    assert_eq!(event.phase, Some(2));
    assert_eq!(event.rule_ids(), vec![1001]);
    assert_eq!(event.messages[0].message, "Test \"quoted\" msg");
    assert_eq!(event.messages[0].matched_var.as_deref(), Some("ARGS:q"));
    assert_eq!(event.producer, vec!["ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/)", "TestRules/1.0"]);
    assert_eq!(event.matched_rules.len(), 1);
    assert_eq!(header(&event.extra_trailers, "Apache-Error").len(), 1);
    assert!(event.request_body.is_some());
}

#[test]
fn json_entry_with_invalid_utf8_still_parses() {
    let raw = read(&fixtures().join("protocol-samples/mlogc-2.9.7-put-json-entry-invalid-utf8.http"));
    let parsed = parse_entry(http_body(&raw));
    assert_eq!(parsed.warnings, vec!["invalid UTF-8 in JSON replaced by U+FFFD"]);
    let event = parsed.event;
    assert_eq!(header(&event.request_headers, "X-Bad"), vec!["caf\u{fffd}"]);
    let body = event.request_body.clone().expect("body").0;
    assert!(body.starts_with("p=\u{fffd}".as_bytes()) && body.ends_with(b"(&q=attack"));
    assert_eq!(event.rule_ids(), vec![1001]);
}

#[test]
fn duplicate_json_header_keys_are_kept() {
    let raw = read(&fixtures().join("protocol-samples/mlogc-2.9.7-put-json-entry.http"));
    let body = String::from_utf8(http_body(&raw).to_vec()).expect("utf-8");
    let with_duplicates = body.replacen(
        "\"response\":{\"protocol\":\"HTTP/1.1\",\"status\":403,\"headers\":{",
        "\"response\":{\"protocol\":\"HTTP/1.1\",\"status\":403,\"headers\":{\"Set-Cookie\":\"a=1\",\"Set-Cookie\":\"b=2\",",
        1,
    );
    assert_ne!(with_duplicates, body);
    let event = parse_entry(with_duplicates.as_bytes()).event;
    assert_eq!(header(&event.response_headers, "Set-Cookie"), vec!["a=1", "b=2"]);
    assert_eq!(event.response_headers[0].0, "Set-Cookie");
}

#[test]
fn non_utf8_corpus_files_parse_with_messages() {
    let entries = dataset_entries("concurrent-json/storage");
    let non_utf8: Vec<_> = entries.iter().filter(|entry| std::str::from_utf8(&entry.bytes).is_err()).collect();
    assert_eq!(non_utf8.len(), 3);
    let mut cases = Vec::new();
    for entry in non_utf8 {
        let parsed = parse_entry(&entry.bytes);
        assert!(parsed.warnings.iter().any(|warning| warning.contains("invalid UTF-8")), "{}", entry.label);
        let event = parsed.event;
        assert_eq!(event.format, Format::ModSec2Json);
        let case = header(&event.request_headers, "X-Fixture-Case")[0].to_string();
        match case.as_str() {
            // Forced into the audit log without any alert.
            "proto-non-utf8-header" => {
                assert!(event.messages.is_empty());
                assert!(header(&event.request_headers, "User-Agent")[0].contains('\u{fffd}'));
            }
            _ => {
                assert_eq!(event.rule_ids(), vec![942100, 949110, 980130], "{case}");
                assert_eq!(event.status, Some(403));
                assert!(event.messages[0].data.contains('\u{fffd}') || event.uri.contains('\u{fffd}') || event.request_body.is_some());
            }
        }
        cases.push(case);
    }
    cases.sort();
    assert_eq!(cases, vec!["proto-non-utf8-body", "proto-non-utf8-header", "proto-raw-non-utf8-query"]);
}

#[test]
fn v3_message_details() {
    let entries = dataset_entries("v3-json/storage");
    let event = entries
        .iter()
        .map(|entry| parse_entry(&entry.bytes).event)
        .find(|event| header(&event.request_headers, "X-Fixture-Case") == vec!["warn-empty-ua"])
        .expect("warn-empty-ua");
    assert_eq!(event.time_text, "Wed Nov 25 03:32:57 2026");
    assert_eq!(event.time_us, Some(1_795_577_577_000_000));
    assert_eq!(event.utc_offset_minutes, None);
    assert_eq!(event.protocol, "HTTP/1.1");
    assert_eq!(event.producer, vec!["ModSecurity v3.0.9 (Linux)", "ModSecurity-nginx v1.0.3", "OWASP_CRS/3.3.4"]);
    assert_eq!(event.server_software.as_deref(), Some("nginx"));
    assert_eq!(event.action, Action::Detected);
    let message = &event.messages[0];
    assert_eq!(message.rule_id, Some(920330));
    assert_eq!(message.message, "Empty User Agent Header");
    assert_eq!(message.severity, Some(Severity::Notice));
    assert_eq!(message.line, Some(651));
    assert_eq!(message.paranoia_level, Some(1));
    assert_eq!(message.matched_var.as_deref(), Some("REQUEST_HEADERS:User-Agent"));
    assert!(message.text.starts_with("Matched \"Operator `Rx' with parameter `^$'"));
}

#[test]
fn top_message_skips_anomaly_evaluation() {
    let entries = dataset_entries("native-serial.log");
    let event =
        entries.iter().map(|entry| parse_entry(&entry.bytes).event).find(|event| event.rule_ids() == vec![942100, 949110, 980130]).expect("an SQLi block");
    let top = event.top_message().expect("top");
    assert_eq!(top.rule_id, Some(942100));
    assert_eq!(top.matched_var.as_deref(), Some("ARGS:id"));
    assert_eq!(top.paranoia_level, Some(1));
    assert_eq!(event.inbound_score, Some(5));
    assert_eq!(event.max_severity(), Some(Severity::Critical));
}

#[test]
fn truncated_native_entry_keeps_what_it_has() {
    let raw = sample("native-2.9.7-get-403.auditlog");
    let cut = raw.windows(8).position(|window| window == b"\nApache-").expect("Apache-Error line");
    let parsed = parse_entry(&raw[..cut]);
    assert!(parsed.warnings.iter().any(|warning| warning.contains("part Z is missing")));
    let event = parsed.event;
    assert_eq!(event.parts, "ABFEH");
    assert_eq!(event.rule_ids(), vec![1001]);
    // The Action: line was cut off; the deny message still tells.
    assert!(event.intercepted);
    assert_eq!(event.phase, Some(2));
    // So was Stopwatch: the time falls back to Part A.
    assert_eq!(event.time_us, Some(1_795_574_107_552_557));
}
