//! libmodsecurity 3 JSON entries: `{"transaction":{client_ip, time_stamp, server_id, …,
//! request, response, producer, messages}}` with every `details` value a string.
//!
//! The format has no interception flag. Rule: an event is intercepted when the engine was not
//! in detection-only mode, the response status is an error (≥ 400) and a message comes from a
//! rule that denies: a CRS blocking evaluation (949xxx inbound, 959xxx outbound; the other CRS
//! rules only add to anomaly scores) or a rule outside CRS (no `OWASP_CRS` version or tag, such
//! as local deny rules and body-parser checks). That message is marked disruptive. In the
//! corpus this gives the 65 + 6 CRS blocks (403), 3 body-parser denies (400) and 1 local deny
//! (406), and leaves the application's own 401/500 and all 200 warnings alone.

use crate::h_messages::{compared_threshold, matched_variable, paranoia_level};
use crate::json_doc::{JsonValue, header_pairs};
use crate::json_v2::{body_from_json, parts_from};
use crate::model::{AuditEvent, Format, RuleMessage, Severity};
use crate::native::unbracket;
use crate::time::parse_asctime_as_utc;
use crate::trailer::normalize_engine_mode;

fn parse_message(entry: &JsonValue) -> RuleMessage {
    let details = entry.at("details");
    let text = |key: &str| details.at(key).text_or_empty();
    let match_text = text("match");
    let data = text("data");
    let tags: Vec<String> = details.at("tags").as_array().iter().filter_map(JsonValue::text).collect();
    RuleMessage {
        rule_id: details.at("ruleId").as_integer(),
        message: entry.at("message").text_or_empty(),
        severity: details.at("severity").text().as_deref().and_then(Severity::parse),
        file: text("file"),
        line: details.at("lineNumber").as_integer(),
        rev: text("rev"),
        ver: text("ver"),
        maturity: details.at("maturity").as_integer(),
        accuracy: details.at("accuracy").as_integer(),
        paranoia_level: paranoia_level(&tags),
        matched_var: matched_variable(&match_text, &data),
        threshold: compared_threshold(&match_text),
        tags,
        data,
        action_text: String::new(),
        disruptive: false,
        text: match_text,
    }
}

fn is_crs_rule(message: &RuleMessage) -> bool {
    message.ver.starts_with("OWASP_CRS") || message.tags.iter().any(|tag| tag == "OWASP_CRS")
}

/// Returns the phase a denying rule ran in, when it is a CRS blocking evaluation.
fn blocking_rule_phase(message: &RuleMessage) -> Option<u8> {
    match message.rule_id? {
        949_000..=949_999 if is_crs_rule(message) => Some(2),
        959_000..=959_999 if is_crs_rule(message) => Some(4),
        _ => None,
    }
}

/// Applies the interception rule described in the module docs.
fn derive_interception(event: &mut AuditEvent) {
    let detection_only = event.engine_mode.as_deref() == Some("DETECTION_ONLY");
    let error_status = event.status.is_some_and(|status| status >= 400);
    if detection_only || !error_status {
        return;
    }
    let denying = event.messages.iter().position(|message| blocking_rule_phase(message).is_some() || (message.rule_id.is_some() && !is_crs_rule(message)));
    if let Some(index) = denying {
        if let Some(message) = event.messages.get_mut(index) {
            message.disruptive = true;
            event.phase = blocking_rule_phase(message);
        }
        event.intercepted = true;
    }
}

/// Turns `1.1`, `"1.1"`, `2.0` or `"HTTP/2"` into `HTTP/…`.
fn protocol_from_version(version: &JsonValue) -> String {
    match version.text() {
        Some(text) if text.is_empty() => String::new(),
        Some(text) if text.starts_with("HTTP/") => text,
        Some(text) => format!("HTTP/{text}"),
        None => String::new(),
    }
}

/// Parses a libmodsecurity 3 JSON document.
pub fn parse_modsec3_json(doc: &JsonValue, warnings: &mut Vec<String>) -> AuditEvent {
    let mut event = AuditEvent { format: Format::ModSec3Json, ..AuditEvent::default() };
    let transaction = doc.at("transaction");
    event.time_text = transaction.at("time_stamp").text_or_empty();
    event.time_us = parse_asctime_as_utc(&event.time_text);
    if event.time_us.is_some() {
        warnings.push("time_stamp has no zone, taken as UTC".to_string());
    } else {
        warnings.push(format!("time_stamp {:?} not understood", event.time_text));
    }
    event.unique_id = transaction.at("unique_id").text_or_empty();
    event.client_ip = unbracket(&transaction.at("client_ip").text_or_empty());
    event.client_port = transaction.at("client_port").as_integer().filter(|port| *port != 0);
    event.server_ip = unbracket(&transaction.at("host_ip").text_or_empty());
    event.server_port = transaction.at("host_port").as_integer().filter(|port| *port != 0);

    let request = transaction.at("request");
    event.method = request.at("method").text_or_empty();
    event.uri = request.at("uri").text_or_empty();
    event.protocol = protocol_from_version(request.at("http_version"));
    event.request_headers = header_pairs(request.at("headers"));
    event.request_body = body_from_json(request.at("body"));

    let response = transaction.at("response");
    event.status = response.at("http_code").as_integer().filter(|status| *status != 0);
    event.response_headers = header_pairs(response.at("headers"));
    event.response_body = body_from_json(response.at("body"));

    let producer = transaction.at("producer");
    for key in ["modsecurity", "connector"] {
        if let Some(name) = producer.at(key).as_str().filter(|name| !name.is_empty()) {
            event.producer.push(name.to_string());
        }
    }
    // libmodsecurity 3.0.x leaves a stray quote on components: `OWASP_CRS/3.3.4"`.
    for component in producer.at("components").as_array().iter().filter_map(JsonValue::as_str) {
        event.producer.push(component.trim_end_matches('"').to_string());
    }
    event.engine_mode = producer.at("secrules_engine").as_str().map(normalize_engine_mode);
    event.server_software = event.response_headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("server")).map(|(_, value)| value.clone());

    event.messages = transaction.at("messages").as_array().iter().map(parse_message).collect();
    derive_interception(&mut event);
    event.parts = parts_from(&[
        ('A', true),
        ('B', request.has("headers")),
        ('C', request.has("body")),
        ('F', response.has("headers") || response.has("http_code")),
        ('E', response.has("body")),
        ('H', transaction.has("producer") || transaction.has("messages")),
        ('Z', true),
    ]);
    event
}
