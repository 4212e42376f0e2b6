//! Turning one upload into a [`NewEvent`]: parse, summarise, hash, compress. Blocking (CPU).

use crate::store::{NewEvent, RawDictionary};
use app::model::{Alert, EventSummary, Format, TriageState};
use md5::{Digest, Md5};
use wafscope_parse::{IndexLine, parse_content_hash, parse_entry_summary, parse_index_line};

/// Longest rule message kept as a dashboard label.
const MAX_LABEL_BYTES: usize = 512;
/// Longest matched-variable name kept with an alert.
const MAX_VARIABLE_BYTES: usize = 256;

/// zstd level for stored raw entries: fast, and audit logs compress well at low levels.
pub const RAW_ZSTD_LEVEL: i32 = 1;

/// Builds the event to store, compressed without a dictionary (see [`prepare_event_with`]).
pub fn prepare_event(sensor: &str, raw: &[u8], summary_header: Option<&[u8]>, content_hash: Option<&[u8]>, received_at: i64) -> NewEvent {
    prepare_event_with(None, sensor, raw, summary_header, content_hash, received_at)
}

/// Builds the event to store, its raw bytes compressed with `dictionary` (the store's,
/// `Store::raw_dictionary`). `summary_header` is mlogc's `X-ForensicLog-Summary` (the
/// concurrent index line) and `content_hash` its `X-Content-Hash`, when sent.
pub fn prepare_event_with(
    dictionary: Option<&RawDictionary>,
    sensor: &str,
    raw: &[u8],
    summary_header: Option<&[u8]>,
    content_hash: Option<&[u8]>,
    received_at: i64,
) -> NewEvent {
    let (md5, content) = hashes(raw);
    let md5_hex = hex::encode(md5);
    let hash_mismatch = content_hash.and_then(parse_content_hash).is_some_and(|declared| declared != md5_hex);
    let index: Option<IndexLine> = summary_header.and_then(parse_index_line);
    let parsed = parse_entry_summary(raw);
    let event = &parsed.event;
    let from_index = |pick: fn(&IndexLine) -> String| index.as_ref().map(pick).unwrap_or_default();
    let or_index = |value: &str, pick: fn(&IndexLine) -> String| if value.is_empty() { from_index(pick) } else { value.to_owned() };

    let unique_id = match (event.unique_id.as_str(), index.as_ref()) {
        (id, _) if !id.is_empty() => truncate(id, 128),
        (_, Some(line)) if !line.unique_id.is_empty() => truncate(&line.unique_id, 128),
        _ => format!("md5:{md5_hex}"),
    };
    let (index_method, index_uri) = index.as_ref().map(|line| split_request_line(&line.request_line)).unwrap_or_default();
    let top = event.top_message();
    let summary = EventSummary {
        id: 0,
        received_at,
        time: event.time_us.or_else(|| index.as_ref().and_then(|line| line.time_us)),
        sensor: sensor.to_owned(),
        unique_id,
        client_ip: or_index(&event.client_ip, |line| line.client_ip.clone()),
        host: or_index(&event.host, |line| line.host.clone()),
        method: if event.method.is_empty() { index_method } else { event.method.clone() },
        uri: if event.uri.is_empty() { index_uri } else { event.uri.clone() },
        status: event.status.or_else(|| index.as_ref().and_then(|line| line.status)),
        action: event.action,
        rule_ids: event.rule_ids(),
        max_severity: event.max_severity(),
        anomaly_score: event.inbound_score,
        top_rule: top.and_then(|message| message.rule_id),
        top_message: top.map(|message| message.message.clone()).filter(|text| !text.is_empty()),
        parse_ok: event.format != Format::Unknown,
        format: event.format,
        warning_count: parsed.warnings.len() as u32,
        hash_mismatch,
        revision: 0,
        preserved: false,
        alerts: alerts_of(event),
        inbound_threshold: event.inbound_threshold,
        state: TriageState::New,
        tags: Vec::new(),
        covered_by: None,
    };
    let raw_zstd = compress(raw, dictionary);
    let labels = event
        .messages
        .iter()
        .filter_map(|message| Some((message.rule_id?, truncate(&message.message, MAX_LABEL_BYTES))).filter(|(_, text)| !text.is_empty()))
        .collect();
    NewEvent::new(summary, md5, raw_zstd).with_content_hash(content).with_rule_labels(labels)
}

/// The alerts of a parsed entry as its summary keeps them.
fn alerts_of(event: &wafscope_parse::AuditEvent) -> Vec<Alert> {
    event
        .messages
        .iter()
        .filter_map(|message| {
            let variable = message.matched_var.as_deref().map_or_else(String::new, |variable| truncate(variable, MAX_VARIABLE_BYTES));
            Some(Alert { rule_id: message.rule_id?, variable, severity: message.severity })
        })
        .collect()
}

/// The alerts and inbound threshold of the raw entry `raw`, as ingest keeps them (schema 5's
/// upgrade of older summaries, `store::backfill`).
pub fn alerts_of_raw(raw: &[u8]) -> (Vec<Alert>, Option<u32>) {
    let parsed = parse_entry_summary(raw);
    (alerts_of(&parsed.event), parsed.event.inbound_threshold)
}

/// The md5 of `raw` and of `raw` without surrounding ASCII whitespace (see
/// `NewEvent::content`), in one pass over the bytes when nothing leads the entry (always, for
/// what ModSecurity writes): the hasher's state after the entry is cloned before the trailing
/// line ends go in.
pub fn hashes(raw: &[u8]) -> ([u8; 16], [u8; 16]) {
    let lead = raw.len() - raw.trim_ascii_start().len();
    let content = raw.trim_ascii();
    if lead > 0 {
        return (Md5::digest(raw).into(), Md5::digest(content).into());
    }
    let mut hasher = Md5::new();
    hasher.update(content);
    if content.len() == raw.len() {
        let md5: [u8; 16] = hasher.finalize().into();
        return (md5, md5);
    }
    let content_md5: [u8; 16] = hasher.clone().finalize().into();
    hasher.update(&raw[content.len()..]);
    (hasher.finalize().into(), content_md5)
}

/// zstd with one reusable context per thread (creating a context per upload was a measurable
/// share of ingest CPU), holding the dictionary it was made with.
fn compress(raw: &[u8], dictionary: Option<&RawDictionary>) -> Vec<u8> {
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<(u32, zstd::bulk::Compressor<'static>)>> = const { std::cell::RefCell::new(None) };
    }
    let id = dictionary.map_or(0, |dictionary| dictionary.id);
    COMPRESSOR
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(known, _)| *known != id) {
                let made = match dictionary {
                    Some(dictionary) => zstd::bulk::Compressor::with_dictionary(RAW_ZSTD_LEVEL, &dictionary.bytes),
                    None => zstd::bulk::Compressor::new(RAW_ZSTD_LEVEL),
                };
                *slot = made.ok().map(|compressor| (id, compressor));
            }
            slot.as_mut().and_then(|(_, compressor)| compressor.compress(raw).ok())
        })
        .unwrap_or_else(|| zstd::bulk::compress(raw, RAW_ZSTD_LEVEL).unwrap_or_else(|_| raw.to_vec()))
}

fn split_request_line(line: &str) -> (String, String) {
    let mut words = line.split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let uri = words.next().unwrap_or_default().to_owned();
    (method, uri)
}

fn truncate(text: &str, max_bytes: usize) -> String {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::hashes;
    use md5::{Digest, Md5};

    fn md5(bytes: &[u8]) -> [u8; 16] {
        Md5::digest(bytes).into()
    }

    #[test]
    fn the_content_hash_ignores_the_whitespace_around_an_entry_and_the_md5_keeps_every_byte() {
        let entry = b"--a1-A--\n[t] 1\n--a1-Z--";
        for framed in
            [&b"--a1-A--\n[t] 1\n--a1-Z--"[..], b"--a1-A--\n[t] 1\n--a1-Z--\n", b"--a1-A--\n[t] 1\n--a1-Z--\r\n\r\n", b"\n --a1-A--\n[t] 1\n--a1-Z--\n"]
        {
            let (exact, content) = hashes(framed);
            assert_eq!(exact, md5(framed));
            assert_eq!(content, md5(entry), "{framed:?}");
        }
        assert_ne!(hashes(b"--a1-A--\n[t] 2\n--a1-Z--\n").1, md5(entry), "other content is another entry");
        assert_eq!(hashes(b" \n"), (md5(b" \n"), md5(b"")));
    }
}
