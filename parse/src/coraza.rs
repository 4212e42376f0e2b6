//! Coraza `json` entries: `{"transaction":{timestamp, unix_timestamp (ns), id, client_ip, …,
//! request, response, producer, highest_severity, is_interrupted}, "messages":[…]}`.
//!
//! Header values are arrays (one pair per value), severities are ints (`-1` = none),
//! `messages[].data` may be `null` (then the `error_message` line is parsed instead), and
//! files re-serialized by other tools (sorted keys, wrapped in an array) are accepted.

use crate::h_messages::{matched_variable, paranoia_level, parse_alert};
use crate::json_doc::{JsonValue, header_pairs};
use crate::json_v2::{body_from_json, parts_from, string_list};
use crate::model::{AuditEvent, Format, RuleMessage, Severity};
use crate::native::unbracket;
use crate::time::parse_slashed_datetime_as_utc;
use crate::trailer::normalize_engine_mode;

/// Fills `message` from a Coraza rule-metadata object (`messages[].data`, OCSF enrichments).
pub fn apply_rule_metadata(message: &mut RuleMessage, metadata: &JsonValue) {
    if metadata.members().is_empty() {
        return;
    }
    let text = |key: &str| metadata.at(key).text_or_empty();
    if let Some(id) = metadata.at("id").as_integer() {
        message.rule_id = Some(id);
    }
    let msg = text("msg");
    if !msg.is_empty() {
        message.message = msg;
    }
    message.data = text("data");
    message.file = text("file");
    message.line = metadata.at("line").as_integer().or(message.line);
    message.rev = text("rev");
    message.ver = text("ver");
    message.severity = metadata.at("severity").as_i64().and_then(Severity::from_number);
    message.maturity = metadata.at("maturity").as_integer();
    message.accuracy = metadata.at("accuracy").as_integer();
    let tags = string_list(metadata.at("tags"));
    if !tags.is_empty() {
        message.tags = tags;
    }
    message.paranoia_level = paranoia_level(&message.tags);
    if message.matched_var.is_none() {
        message.matched_var = matched_variable("", &message.data);
    }
}

/// Parses a Coraza `error_message` line (`[client "…"] Coraza: Warning. …`).
pub fn parse_error_line(line: &str) -> RuleMessage {
    let grammar = line.split_once("] Coraza: ").map_or(line, |(_, rest)| rest);
    let mut message = parse_alert(grammar.as_bytes()).message;
    message.text = line.to_string();
    message
}

fn parse_message(entry: &JsonValue, event: &mut AuditEvent) -> RuleMessage {
    let error_line = entry.at("error_message").text_or_empty();
    let mut message = if error_line.is_empty() { RuleMessage::default() } else { parse_error_line(&error_line) };
    let summary = entry.at("message").text_or_empty();
    if !summary.is_empty() {
        message.message = summary;
    }
    let metadata = entry.at("data");
    apply_rule_metadata(&mut message, metadata);
    if let Some(raw_rule) = metadata.at("raw").as_str().filter(|raw| !raw.is_empty()) {
        event.matched_rules.push(raw_rule.to_string());
    }
    if message.text.is_empty() {
        message.text = message.message.clone();
    }
    message
}

/// Parses a Coraza `json` document.
pub fn parse_coraza_json(doc: &JsonValue, warnings: &mut Vec<String>) -> AuditEvent {
    let mut event = AuditEvent { format: Format::CorazaJson, ..AuditEvent::default() };
    let transaction = doc.at("transaction");
    event.time_text = transaction.at("timestamp").text_or_empty();
    event.time_us = match transaction.at("unix_timestamp").as_i64() {
        Some(nanoseconds) => Some(nanoseconds.div_euclid(1000)),
        None => {
            warnings.push("unix_timestamp missing, timestamp taken as UTC".to_string());
            parse_slashed_datetime_as_utc(&event.time_text)
        }
    };
    event.unique_id = transaction.at("id").text_or_empty();
    event.client_ip = unbracket(&transaction.at("client_ip").text_or_empty());
    event.client_port = transaction.at("client_port").as_integer().filter(|port| *port != 0);
    event.server_ip = unbracket(&transaction.at("host_ip").text_or_empty());
    event.server_port = transaction.at("host_port").as_integer().filter(|port| *port != 0);
    event.host = transaction.at("server_id").text_or_empty();

    let request = transaction.at("request");
    event.method = request.at("method").text_or_empty();
    event.uri = request.at("uri").text_or_empty();
    event.protocol = request.at("protocol").text_or_empty();
    event.request_headers = header_pairs(request.at("headers"));
    event.request_body = body_from_json(request.at("body"));

    let response = transaction.at("response");
    event.response_protocol = response.at("protocol").text_or_empty();
    event.status = response.at("status").as_integer().filter(|status| *status != 0);
    event.response_headers = header_pairs(response.at("headers"));
    event.response_body = body_from_json(response.at("body"));

    let producer = transaction.at("producer");
    for key in ["connector", "version"] {
        if let Some(name) = producer.at(key).as_str().filter(|name| !name.is_empty()) {
            event.producer.push(name.to_string());
        }
    }
    event.producer.extend(string_list(producer.at("rulesets")));
    event.server_software = producer.at("server").as_str().filter(|server| !server.is_empty()).map(str::to_string);
    event.engine_mode = producer.at("rule_engine").as_str().map(normalize_engine_mode);
    if let Some(stopwatch) = producer.at("stopwatch").as_str().filter(|text| !text.is_empty()) {
        event.extra_trailers.push(("Stopwatch".to_string(), stopwatch.to_string()));
    }
    event.intercepted = transaction.at("is_interrupted").as_bool().unwrap_or(false);

    let messages = if doc.has("messages") { doc.at("messages") } else { transaction.at("messages") };
    for entry in messages.as_array() {
        let message = parse_message(entry, &mut event);
        event.messages.push(message);
    }
    event.parts = parts_from(&[
        ('A', true),
        ('B', !event.request_headers.is_empty()),
        ('C', event.request_body.is_some()),
        ('F', event.status.is_some() || !event.response_headers.is_empty()),
        ('E', event.response_body.is_some()),
        ('H', !messages.as_array().is_empty() || transaction.has("producer")),
        ('Z', true),
    ]);
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_line_grammar() {
        let message = parse_error_line(
            r#"[client "[::1]"] Coraza: Access denied (phase 2). Inbound Anomaly Score Exceeded (Total Score: 25) [file "@owasp_crs/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "7663"] [id "949110"] [rev ""] [msg "Inbound Anomaly Score Exceeded (Total Score: 25)"] [data ""] [severity "unknown"] [ver "OWASP_CRS/4.25.0"] [maturity "0"] [accuracy "0"] [tag "anomaly-evaluation"] [tag "OWASP_CRS"] [hostname ""] [uri "/comment"] [unique_id "MbUetDzoztEABtrEnAV"]"#,
        );
        assert_eq!(message.rule_id, Some(949110));
        assert_eq!(message.action_text, "Access denied (phase 2).");
        assert!(message.disruptive);
        assert_eq!(message.severity, None);
        assert_eq!(message.line, Some(7663));
        assert_eq!(message.tags, vec!["anomaly-evaluation", "OWASP_CRS"]);
    }
}
