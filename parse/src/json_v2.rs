//! ModSecurity 2 JSON entries (`SecAuditLogFormat JSON`) and Coraza's `jsonlegacy`, which
//! copies their shape: `transaction` / `request` / `response` / `audit_data` / `matched_rules`.
//!
//! Differences handled: v2 `request.body` is an array of chunks, `audit_data.messages` are
//! `Message:` texts without the prefix, `producer` is a string or an array. Coraza's legacy
//! `time` is `2006/01/02 15:04:05` local time, its request line lacks the protocol and its
//! `messages` hold only the rules' `msg` texts (no ids).

use crate::h_messages::parse_alert;
use crate::json_doc::{JsonValue, header_pairs};
use crate::model::{AuditEvent, Body, Format, RuleMessage};
use crate::native::{split_request_line, unbracket};
use crate::time::{parse_apache_time, parse_slashed_datetime_as_utc};
use crate::trailer::{normalize_engine_mode, split_producer};

/// Returns the body of a JSON `body` member: a string, or an array of string chunks (joined).
pub fn body_from_json(value: &JsonValue) -> Option<Body> {
    let bytes: Vec<u8> = match value {
        JsonValue::String(text) => text.as_bytes().to_vec(),
        JsonValue::Array(chunks) => chunks.iter().filter_map(JsonValue::as_str).flat_map(|chunk| chunk.as_bytes().iter().copied()).collect(),
        _ => Vec::new(),
    };
    (!bytes.is_empty()).then_some(Body(bytes))
}

/// Returns the strings of a value that is either a string or an array of strings.
pub fn string_list(value: &JsonValue) -> Vec<String> {
    match value {
        JsonValue::String(text) => vec![text.clone()],
        JsonValue::Array(items) => items.iter().filter_map(JsonValue::text).collect(),
        _ => Vec::new(),
    }
}

/// Builds the parts string from `(letter, present)` pairs in ModSecurity's writing order.
pub fn parts_from(letters: &[(char, bool)]) -> String {
    letters.iter().filter(|(_, present)| *present).map(|(letter, _)| *letter).collect()
}

fn set_time(event: &mut AuditEvent, transaction: &JsonValue, format: Format, warnings: &mut Vec<String>) {
    let Some(time_text) = transaction.at("time").as_str() else {
        warnings.push("transaction.time is missing".to_string());
        return;
    };
    event.time_text = time_text.to_string();
    if format == Format::CorazaJsonLegacy {
        event.time_us = parse_slashed_datetime_as_utc(time_text);
        warnings.push("jsonlegacy time has no zone, taken as UTC".to_string());
    } else if let Some(time) = parse_apache_time(time_text, warnings) {
        event.time_us = Some(time.utc_us);
        event.utc_offset_minutes = time.offset_minutes;
    }
    if event.time_us.is_none() {
        warnings.push(format!("transaction.time {time_text:?} not understood"));
    }
}

fn parse_messages(audit_data: &JsonValue, format: Format, event: &mut AuditEvent, warnings: &mut Vec<String>) {
    for text in audit_data.at("messages").as_array().iter().filter_map(JsonValue::as_str) {
        if format == Format::CorazaJsonLegacy {
            event.messages.push(RuleMessage { message: text.to_string(), text: text.to_string(), ..RuleMessage::default() });
            continue;
        }
        let parsed = parse_alert(text.as_bytes());
        if parsed.truncated {
            warnings.push("a rule message ends inside a [name \"value\"] token (truncated)".to_string());
        }
        let mut message = parsed.message;
        message.text = text.to_string();
        event.messages.push(message);
    }
}

fn parse_audit_data(audit_data: &JsonValue, format: Format, event: &mut AuditEvent, warnings: &mut Vec<String>) {
    parse_messages(audit_data, format, event, warnings);
    for text in string_list(audit_data.at("error_messages")) {
        event.extra_trailers.push(("Apache-Error".to_string(), text));
    }
    let action = audit_data.at("action");
    event.intercepted = action.at("intercepted").as_bool().unwrap_or(false);
    event.phase = action.at("phase").as_integer();
    if let Some(handler) = audit_data.at("handler").as_str().filter(|handler| !handler.is_empty()) {
        event.extra_trailers.push(("Apache-Handler".to_string(), handler.to_string()));
    }
    let stopwatch: Vec<String> = audit_data.at("stopwatch").members().iter().map(|(name, value)| format!("{name}={}", value.text_or_empty())).collect();
    if !stopwatch.is_empty() {
        event.extra_trailers.push(("Stopwatch2".to_string(), stopwatch.join(", ")));
    }
    event.producer = match audit_data.at("producer") {
        JsonValue::String(text) => split_producer(text),
        other => string_list(other),
    };
    event.server_software = audit_data.at("server").as_str().filter(|server| !server.is_empty()).map(str::to_string);
    event.engine_mode = audit_data.at("engine_mode").as_str().map(normalize_engine_mode);
    if let Some(sensor) = audit_data.at("sensor_id").text() {
        event.extra_trailers.push(("Sensor-Id".to_string(), sensor));
    }
}

/// Parses a ModSecurity 2 JSON or Coraza jsonlegacy document.
pub fn parse_modsec2_json(doc: &JsonValue, format: Format, warnings: &mut Vec<String>) -> AuditEvent {
    let mut event = AuditEvent { format, ..AuditEvent::default() };
    let transaction = doc.at("transaction");
    set_time(&mut event, transaction, format, warnings);
    event.unique_id = transaction.at("transaction_id").text_or_empty();
    event.client_ip = unbracket(&transaction.at("remote_address").text_or_empty());
    event.client_port = transaction.at("remote_port").as_integer().filter(|port| *port != 0);
    event.server_ip = unbracket(&transaction.at("local_address").text_or_empty());
    event.server_port = transaction.at("local_port").as_integer().filter(|port| *port != 0);

    let request = doc.at("request");
    let request_line = request.at("request_line").text_or_empty();
    (event.method, event.uri, event.protocol) = split_request_line(&request_line);
    event.request_headers = header_pairs(request.at("headers"));
    event.request_body = body_from_json(request.at("body")).or_else(|| body_from_json(request.at("fake_body")));

    let response = doc.at("response");
    event.response_protocol = response.at("protocol").text_or_empty();
    event.status = response.at("status").as_integer().filter(|status| *status != 0);
    event.response_headers = header_pairs(response.at("headers"));
    event.response_body = body_from_json(response.at("body"));

    let audit_data = doc.at("audit_data");
    parse_audit_data(audit_data, format, &mut event, warnings);

    for group in doc.at("matched_rules").as_array() {
        for rule in group.at("rules").as_array() {
            if let Some(unparsed) = rule.at("unparsed").as_str() {
                event.matched_rules.push(unparsed.to_string());
            }
        }
    }
    event.parts = parts_from(&[
        ('A', doc.has("transaction")),
        ('B', request.has("request_line") || request.has("headers")),
        ('C', request.has("body")),
        ('I', request.has("fake_body")),
        ('F', response.has("status") || response.has("headers")),
        ('E', response.has("body")),
        ('H', !audit_data.members().is_empty()),
        ('J', doc.has("uploads")),
        ('K', doc.has("matched_rules")),
        ('Z', true),
    ]);
    event
}
