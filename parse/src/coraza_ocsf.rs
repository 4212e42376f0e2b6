//! Coraza `ocsf` entries: an OCSF 1.2 "Web Resources Activity" record (`class_uid` 6001).
//!
//! `time` is epoch nanoseconds, `timezone_offset` seconds; each rule match is an `enrichments`
//! item whose `data` is the rule metadata as a JSON string; `action` `Denied` = interrupted.

use crate::coraza::apply_rule_metadata;
use crate::json_doc::{JsonValue, load};
use crate::json_v2::parts_from;
use crate::model::{AuditEvent, Format, RuleMessage};
use crate::native::unbracket;

/// Returns `true` if `doc` looks like an OCSF record.
pub fn is_ocsf(doc: &JsonValue) -> bool {
    doc.has("class_uid") && (doc.has("http_request") || doc.has("activity_id"))
}

fn parse_enrichment(enrichment: &JsonValue, event: &mut AuditEvent, warnings: &mut Vec<String>) -> RuleMessage {
    let mut message = RuleMessage { message: enrichment.at("name").text_or_empty(), data: enrichment.at("value").text_or_empty(), ..RuleMessage::default() };
    if let Some(metadata_text) = enrichment.at("data").as_str()
        && let Some(metadata) = load(metadata_text.as_bytes(), warnings)
    {
        apply_rule_metadata(&mut message, &metadata);
        if let Some(raw_rule) = metadata.at("raw").as_str().filter(|raw| !raw.is_empty()) {
            event.matched_rules.push(raw_rule.to_string());
        }
    }
    message.text = message.message.clone();
    message
}

/// Parses a Coraza OCSF record.
pub fn parse_coraza_ocsf(doc: &JsonValue, warnings: &mut Vec<String>) -> AuditEvent {
    let mut event = AuditEvent { format: Format::CorazaOcsf, ..AuditEvent::default() };
    let time = doc.at("time");
    event.time_text = time.text_or_empty();
    event.time_us = time.as_i64().map(|nanoseconds| nanoseconds.div_euclid(1000));
    event.utc_offset_minutes = doc.at("timezone_offset").as_integer::<i32>().map(|seconds| seconds / 60);

    let request = doc.at("http_request");
    event.unique_id = request.at("uid").text_or_empty();
    event.method = request.at("http_method").text_or_empty();
    event.uri = request.at("url").at("url_string").text_or_empty();
    event.protocol = request.at("version").text_or_empty();
    event.request_headers =
        request.at("http_headers").as_array().iter().map(|header| (header.at("name").text_or_empty(), header.at("value").text_or_empty())).collect();
    let source = doc.at("src_endpoint");
    event.client_ip = unbracket(&source.at("ip").text_or_empty());
    event.client_port = source.at("port").as_integer().filter(|port| *port != 0);
    let destination = doc.at("dst_endpoint");
    event.server_ip = unbracket(&destination.at("ip").text_or_empty());
    event.server_port = destination.at("port").as_integer().filter(|port| *port != 0);

    let response = doc.at("http_response");
    event.status = response.at("code").as_integer().filter(|status| *status != 0);
    event.intercepted = doc.at("action").as_str() == Some("Denied");
    if let Some(server_id) = doc.at("observables").as_array().iter().find(|observable| observable.at("name").as_str() == Some("ServerID")) {
        event.host = server_id.at("value").text_or_empty();
    }
    if let Some(vendor) = doc.at("metadata").at("product").at("vendor_name").as_str() {
        event.producer.push(vendor.to_string());
    }
    for enrichment in doc.at("enrichments").as_array() {
        let message = parse_enrichment(enrichment, &mut event, warnings);
        event.messages.push(message);
    }
    event.parts =
        parts_from(&[('A', true), ('B', !event.request_headers.is_empty()), ('F', event.status.is_some()), ('H', !event.messages.is_empty()), ('Z', true)]);
    event
}
