//! Pure, tolerant parsers for ModSecurity-family audit-log entries.
//!
//! [`parse_entry`] detects the dialect of one entry and returns an [`AuditEvent`] plus warnings;
//! it never fails and never panics: malformed pieces become warnings, unknown input becomes a
//! mostly empty event of [`Format::Unknown`]. No IO, no async, no threads.
//!
//! Dialects: ModSecurity 2 native and JSON, libmodsecurity 3 JSON and native, Coraza json,
//! jsonlegacy, native and ocsf. Detection: the first non-whitespace byte `{` (or `[` for an
//! array-wrapped document) means JSON, told apart by its keys; `-` means native, told apart by
//! the boundary shape and the H lines.
//!
//! Also here: [`parse_index_line`] and [`parse_content_hash`] for mlogc's upload headers, and
//! [`split_entries`] to cut import files into entries.

mod anomaly;
mod bytes;
mod coraza;
mod coraza_ocsf;
mod h_messages;
mod index_line;
mod json_doc;
mod json_v2;
mod json_v3;
mod model;
mod native;
mod serial;
mod time;
mod trailer;

pub use index_line::{parse_content_hash, parse_index_line};
pub use model::{Action, AuditEvent, Body, Detail, Format, IndexLine, Parsed, RuleMessage, Severity};
pub use serial::split_entries;

use json_doc::JsonValue;

/// Parses one audit-log entry of any supported dialect.
pub fn parse_entry(raw: &[u8]) -> Parsed {
    parse_entry_with(raw, Detail::Full)
}

/// Parses what ingest keeps of an entry, at a fraction of [`parse_entry`]'s cost: the format,
/// part A, the request line, the `Host` header, the status, the trailer's interception,
/// phase and stopwatch, and of each message its action sentence, `disruptive`, rule id,
/// `msg` (or rule sentence), severity and the `anomaly-evaluation`/`event-correlation` tags;
/// hence host, action, anomaly scores, [`AuditEvent::rule_ids`], [`AuditEvent::max_severity`]
/// and [`AuditEvent::top_message`] equal the full parse's, and so do the warnings. Everything
/// else (other headers, bodies, other message fields, other trailers, part K) is left empty.
/// JSON dialects are parsed in full.
pub fn parse_entry_summary(raw: &[u8]) -> Parsed {
    parse_entry_with(raw, Detail::Summary)
}

fn parse_entry_with(raw: &[u8], detail: Detail) -> Parsed {
    let mut warnings = Vec::new();
    let parsed = match bytes::trim_start(raw).first() {
        Some(b'{' | b'[') => parse_json_entry(raw, &mut warnings),
        Some(b'-') => native::parse_native(raw, &mut warnings, detail),
        _ => None,
    };
    let mut event = parsed.unwrap_or_else(|| {
        warnings.push("not a recognised audit-log entry".to_string());
        AuditEvent::default()
    });
    finish(&mut event);
    Parsed { event, warnings }
}

/// Decides which JSON dialect `doc` is.
fn detect_json_format(doc: &JsonValue) -> Format {
    if coraza_ocsf::is_ocsf(doc) {
        return Format::CorazaOcsf;
    }
    let transaction = doc.at("transaction");
    if doc.has("audit_data") {
        let audit_data = doc.at("audit_data");
        let slashed_time = transaction.at("time").as_str().is_some_and(time::is_slashed_datetime);
        let go_stopwatch = audit_data.at("stopwatch").has("Combined");
        return if slashed_time || go_stopwatch { Format::CorazaJsonLegacy } else { Format::ModSec2Json };
    }
    if transaction.has("time_stamp") || (transaction.has("unique_id") && transaction.has("server_id")) {
        return Format::ModSec3Json;
    }
    if transaction.has("unix_timestamp") || transaction.has("is_interrupted") || doc.has("messages") {
        return Format::CorazaJson;
    }
    if transaction.has("transaction_id") {
        return Format::ModSec2Json;
    }
    Format::Unknown
}

fn parse_json_entry(raw: &[u8], warnings: &mut Vec<String>) -> Option<AuditEvent> {
    let doc = json_doc::load(raw, warnings)?;
    let doc = match doc {
        JsonValue::Array(items) => {
            if items.len() > 1 {
                warnings.push(format!("JSON array of {} documents: only the first is parsed", items.len()));
            }
            items.into_iter().next()?
        }
        other => other,
    };
    let event = match detect_json_format(&doc) {
        Format::ModSec2Json => json_v2::parse_modsec2_json(&doc, Format::ModSec2Json, warnings),
        Format::CorazaJsonLegacy => json_v2::parse_modsec2_json(&doc, Format::CorazaJsonLegacy, warnings),
        Format::ModSec3Json => json_v3::parse_modsec3_json(&doc, warnings),
        Format::CorazaJson => coraza::parse_coraza_json(&doc, warnings),
        Format::CorazaOcsf => coraza_ocsf::parse_coraza_ocsf(&doc, warnings),
        _ => return None,
    };
    Some(event)
}

/// Derives what every dialect computes the same way: host, interception from deny messages,
/// phase, anomaly scores and the action.
fn finish(event: &mut AuditEvent) {
    if let Some((_, host)) = event.request_headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("host")) {
        event.host = host.clone();
    }
    let deny_message = event.messages.iter().find(|message| message.disruptive);
    // v3 and Coraza native entries have no `Action:` line, and a truncated v2 entry may have
    // lost it: there a deny message is the interception.
    let no_action_line = match event.format {
        Format::ModSec3Native | Format::CorazaNative => true,
        Format::ModSec2Native => !event.parts.contains('Z'),
        _ => false,
    };
    if no_action_line && deny_message.is_some() {
        event.intercepted = true;
    }
    if event.intercepted && event.phase.is_none() {
        event.phase = deny_message.and_then(|message| h_messages::phase_in(&message.action_text));
    }
    for message in &event.messages {
        let (inbound, outbound) = anomaly::anomaly_scores(&message.message);
        event.inbound_score = event.inbound_score.max(inbound);
        event.outbound_score = event.outbound_score.max(outbound);
        if event.inbound_threshold.is_none() {
            event.inbound_threshold = anomaly::inbound_threshold(message);
        }
    }
    event.action = if event.intercepted {
        Action::Blocked
    } else if event.messages.is_empty() {
        Action::Passed
    } else {
        Action::Detected
    };
}
