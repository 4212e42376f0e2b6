//! Datasets that recorded the same requests in different dialects agree on everything that
//! does not depend on the run (ids, times, ports): requests join on `X-Fixture-Case`.

mod common;

use std::collections::BTreeMap;

use common::dataset_entries;
use wafscope_parse::{AuditEvent, parse_entry};

fn by_case(dataset: &str) -> BTreeMap<String, AuditEvent> {
    let mut events = BTreeMap::new();
    for entry in dataset_entries(dataset) {
        let event = parse_entry(&entry.bytes).event;
        let case = event.request_headers.iter().find(|(name, _)| name == "X-Fixture-Case").map(|(_, value)| value.clone()).expect("X-Fixture-Case");
        assert!(events.insert(case.clone(), event).is_none(), "{dataset}: case {case} twice");
    }
    events
}

/// What a ModSecurity 2 event says independently of run and dialect.
fn v2_signature(event: &AuditEvent) -> String {
    let messages: Vec<String> = event
        .messages
        .iter()
        .map(|message| {
            format!(
                "{:?}|{}|{}|{:?}|{:?}|{}|{:?}|{:?}|{}",
                message.rule_id,
                message.message,
                message.data,
                message.severity,
                message.matched_var,
                message.action_text,
                message.tags,
                message.paranoia_level,
                message.disruptive
            )
        })
        .collect();
    // Values like Last-Modified, ETag and X-Unique-ID change from run to run.
    let response_headers: Vec<&String> = event.response_headers.iter().map(|(name, _)| name).collect();
    format!(
        "{} {} {} {:?} {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}\nmessages: {messages:#?}\nrequest headers: {:?}\nresponse headers: {response_headers:?}",
        event.method,
        event.uri,
        event.protocol,
        event.status,
        event.client_ip,
        event.action,
        event.host,
        event.phase,
        event.inbound_score,
        event.outbound_score,
        event.engine_mode,
        event.producer,
        event.server_software,
        event.rule_ids(),
        event.max_severity(),
        event.top_message().map(|top| top.rule_id),
        event.request_headers,
    )
}

fn assert_same_traffic(left: &str, right: &str, expected_cases: usize) {
    let left_events = by_case(left);
    let right_events = by_case(right);
    assert_eq!(left_events.keys().collect::<Vec<_>>(), right_events.keys().collect::<Vec<_>>(), "{left} vs {right}");
    assert_eq!(left_events.len(), expected_cases);
    for (case, left_event) in &left_events {
        let right_event = &right_events[case];
        let (left_signature, right_signature) = (v2_signature(left_event), v2_signature(right_event));
        for (left_line, right_line) in left_signature.lines().zip(right_signature.lines()) {
            assert_eq!(left_line, right_line, "{case}: {left} vs {right}");
        }
        assert_eq!(left_signature, right_signature, "{case}: {left} vs {right}");
        let utf8_body = |event: &AuditEvent| event.request_body.as_ref().filter(|body| std::str::from_utf8(&body.0).is_ok()).cloned();
        if let (Some(left_body), Some(right_body)) = (utf8_body(left_event), utf8_body(right_event)) {
            // yajl stops JSON strings at a NUL byte; the native body keeps everything.
            if !left_body.0.contains(&0) && !right_body.0.contains(&0) {
                assert_eq!(left_body, right_body, "{case}: request body");
            }
        }
        assert_eq!(left_event.request_body.is_some(), right_event.request_body.is_some(), "{case}: request body present");
        assert_ne!(left_event.unique_id, "");
    }
}

#[test]
fn concurrent_native_and_json_agree() {
    assert_same_traffic("concurrent-native/storage", "concurrent-json/storage", 94);
}

#[test]
fn serial_and_concurrent_native_agree() {
    assert_same_traffic("native-serial.log", "concurrent-native/storage", 94);
}

#[test]
fn mlogc_native_and_json_uploads_agree() {
    assert_same_traffic("mlogc-captured", "mlogc-captured-json", 94);
}

#[test]
fn v3_and_v2_see_the_same_requests() {
    let v2_events = by_case("concurrent-json/storage");
    let v3_events = by_case("v3-json/storage");
    let mut compared = 0;
    for (case, v3_event) in &v3_events {
        let Some(v2_event) = v2_events.get(case) else {
            continue;
        };
        assert_eq!((&v3_event.method, &v3_event.uri), (&v2_event.method, &v2_event.uri), "{case}");
        assert_eq!(v3_event.client_ip, v2_event.client_ip, "{case}");
        if v2_event.rule_ids().contains(&949110) {
            assert!(v3_event.rule_ids().contains(&949110), "{case}");
            // libmodsecurity scores some requests differently (e.g. lfi-backslash-path 10 vs 5).
            assert!(v3_event.inbound_score >= Some(5), "{case}");
            assert!(v3_event.intercepted && v2_event.intercepted, "{case}");
        }
        compared += 1;
    }
    assert!(compared >= 80, "only {compared} common cases");
}
