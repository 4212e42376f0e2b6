//! Field-by-field checks of the Coraza samples (v3.7.0 scenarios, public entries).

mod common;

use common::{fixtures, read};
use wafscope_parse::{Action, Format, Severity, parse_entry};

fn coraza(name: &str) -> Vec<u8> {
    read(&fixtures().join("coraza").join(name))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str()).collect()
}

#[test]
fn coraza_json_scenario_1() {
    let parsed = parse_entry(&coraza("json-gen-coraza370-1.log"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let event = parsed.event;
    assert_eq!(event.time_us, Some(1_795_579_134_576_367)); // unix_timestamp ns / 1000
    assert_eq!(event.time_text, "2026/11/25 12:58:54");
    assert_eq!(event.unique_id, "jYOHutScBoLvBFFdjmS");
    assert_eq!(event.status, None); // Coraza logged status 0: the middleware answered itself
    assert!(event.intercepted);
    assert_eq!(event.phase, Some(2));
    assert_eq!(event.rule_ids(), vec![920350, 942100, 949110]);
    assert_eq!(event.inbound_score, Some(8));
    assert_eq!(event.engine_mode.as_deref(), Some("ENABLED"));
    assert_eq!(event.producer, vec!["OWASP_CRS/4.25.0"]);
    let [host_rule, sqli, evaluation] = &event.messages[..] else { panic!("3 messages") };
    assert_eq!(host_rule.severity, Some(Severity::Warning));
    assert_eq!(sqli.severity, Some(Severity::Critical));
    assert_eq!(sqli.matched_var.as_deref(), Some("ARGS:id"));
    assert_eq!(evaluation.severity, None); // -1
    assert!(evaluation.disruptive && !sqli.disruptive);
    assert_eq!(evaluation.action_text, "Access denied (phase 2).");
    assert_eq!(event.top_message().and_then(|top| top.rule_id), Some(942100));
    assert_eq!(event.matched_rules.len(), 3);
}

#[test]
fn coraza_custom_rule_in_every_format() {
    for name in ["json-gen-coraza370-8.log", "native-gen-coraza370-8.log"] {
        let event = parse_entry(&coraza(name)).event;
        assert_eq!(event.status, None, "{name}");
        assert!(event.intercepted, "{name}");
        assert_eq!(event.phase, Some(1), "{name}");
        let message = &event.messages[0];
        assert_eq!(message.rule_id, Some(100001), "{name}");
        assert_eq!(message.message, "Blockierter Agent: \\\"Bösewicht\\\" (悪意)", "{name}");
        assert_eq!(message.data, "UA=Bösewicht/1.0 \"quoted\" \\ back", "{name}");
        assert_eq!(message.severity, Some(Severity::Critical), "{name}");
        assert_eq!((message.rev.as_str(), message.ver.as_str()), ("2", "site-rules/1.1"), "{name}");
        assert_eq!((message.maturity, message.accuracy), (Some(9), Some(0)), "{name}");
        assert_eq!((message.file.as_str(), message.line), ("", Some(9336)), "{name}");
        assert_eq!(message.tags, vec!["custom/ua", "attack-bot"], "{name}");
        assert_eq!(event.uri, "/api/v1/items?lang=日本", "{name}");
    }
    let legacy = parse_entry(&coraza("jsonlegacy-gen-coraza370-8.log")).event;
    assert_eq!(legacy.messages.len(), 1);
    assert_eq!(legacy.messages[0].message, "Blockierter Agent: \\\"Bösewicht\\\" (悪意)");
    assert_eq!(legacy.messages[0].rule_id, None);
    assert_eq!(legacy.protocol, "");
    assert_eq!(legacy.method, "GET");
}

#[test]
fn coraza_ipv6_brackets_are_removed() {
    for name in ["json-gen-coraza370-2.log", "jsonlegacy-gen-coraza370-2.log", "native-gen-coraza370-2.log"] {
        let event = parse_entry(&coraza(name)).event;
        assert_eq!(event.client_ip, "::1", "{name}");
        assert_eq!(event.rule_ids().len(), if name.starts_with("jsonlegacy") { 0 } else { 6 }, "{name}");
        assert_eq!(event.inbound_score, Some(25), "{name}");
    }
}

#[test]
fn coraza_native_multipart_body_and_parts() {
    let parsed = parse_entry(&coraza("native-gen-coraza370-3.log"));
    assert_eq!(parsed.warnings, vec!["Coraza part A time has no zone, taken as UTC"]);
    let event = parsed.event;
    assert_eq!(event.parts, "ABCEFHJKZ");
    let body = event.request_body.clone().expect("C").0;
    assert_eq!(body.len(), 523);
    assert!(body.starts_with(b"--------------------------c30f31f5eafdc0e8\r\n"));
    assert!(body.ends_with(b"--\r\n"));
    assert_eq!(header(&event.request_headers, "content-length"), vec!["523"]);
    assert_eq!(event.time_us, Some(1_795_611_538_000_000));
    assert_eq!(event.time_text, "2026/11/25 12:58:58");
    assert_eq!(event.rule_ids(), vec![933110, 949110]);
    assert_eq!(event.matched_rules.len(), 2);
}

#[test]
fn coraza_headers_repeat_or_join() {
    let json = parse_entry(&coraza("json-gen-coraza370-4.log")).event;
    assert_eq!(header(&json.response_headers, "set-cookie"), vec!["sid=a1b2c3; Path=/; HttpOnly", "lang=de; Path=/"]);
    assert_eq!(json.action, Action::Passed);
    let legacy = parse_entry(&coraza("jsonlegacy-gen-coraza370-4.log")).event;
    assert_eq!(header(&legacy.response_headers, "set-cookie"), vec!["sid=a1b2c3; Path=/; HttpOnly, lang=de; Path=/"]);
    assert_eq!(legacy.status, Some(200));
}

#[test]
fn coraza_detection_only_is_not_blocked() {
    for name in ["json-gen-coraza370-6.log", "native-gen-coraza370-6.log"] {
        let event = parse_entry(&coraza(name)).event;
        assert!(!event.intercepted, "{name}");
        assert_eq!(event.action, Action::Detected, "{name}");
        assert_eq!(event.status, Some(200), "{name}");
        assert!(event.messages.iter().all(|message| !message.disruptive), "{name}");
    }
    let json = parse_entry(&coraza("json-gen-coraza370-6.log")).event;
    assert_eq!(json.engine_mode.as_deref(), Some("DETECTION_ONLY"));
}

#[test]
fn coraza_messages_without_data_use_the_error_line() {
    let event = parse_entry(&coraza("json-gen-coraza370-7.log")).event;
    assert_eq!(event.rule_ids(), vec![920350, 942100, 949110]);
    assert_eq!(event.messages[0].message, "Host header is a numeric IP address");
    assert_eq!(event.messages[0].severity, Some(Severity::Warning));
    assert_eq!(event.messages[1].data, "Matched Data: s&sos found within ARGS:id: 1' OR '1'='1");
}

#[test]
fn coraza_ocsf_record() {
    let event = parse_entry(&coraza("ocsf-gen-coraza370-1.log")).event;
    assert_eq!(event.format, Format::CorazaOcsf);
    assert_eq!(event.time_us, Some(1_795_579_135_578_719));
    assert_eq!(event.utc_offset_minutes, Some(540));
    assert_eq!(event.unique_id, "viCyUPElqmOZEAKkokl");
    assert_eq!((event.client_ip.as_str(), event.client_port), ("127.0.0.1", Some(45706)));
    assert!(event.intercepted);
    assert_eq!(event.rule_ids(), vec![920350, 942100, 949110]);
    assert_eq!(event.inbound_score, Some(8));
}

#[test]
fn coraza_reserialized_and_interrupted_without_messages() {
    let event = parse_entry(&coraza("json-coraza-log-som-2.log")).event;
    assert_eq!(event.format, Format::CorazaJson);
    assert!(event.intercepted && event.messages.is_empty());
    assert_eq!(event.action, Action::Blocked);
    assert_eq!(event.uri, "/test");
    let wrapped = format!("[{}]", String::from_utf8(coraza("json-coraza-log-som-4.log")).expect("utf-8"));
    let parsed = parse_entry(wrapped.as_bytes());
    assert_eq!(parsed.event.format, Format::CorazaJson);
    assert_eq!(parsed.event.status, Some(302));
    assert!(parsed.warnings.is_empty());
}
