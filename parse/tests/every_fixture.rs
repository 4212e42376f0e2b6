//! Every fixture entry parses into an event with its dialect, a unique id, a time and a client.

mod common;

use common::{DATASETS, dataset_entries, files_with_suffix, fixtures, http_body, read};
use wafscope_parse::{AuditEvent, Format, parse_entry};

/// 2026-11-25 03:22:00 and 03:35:00 UTC: the corpus was generated in between.
const CORPUS_START_US: i64 = 1_795_576_920_000_000;
const CORPUS_END_US: i64 = 1_795_577_700_000_000;

fn assert_basics(label: &str, event: &AuditEvent) {
    assert_ne!(event.format, Format::Unknown, "{label}");
    assert!(!event.unique_id.is_empty(), "{label}: unique_id");
    assert!(event.time_us.is_some(), "{label}: time_us");
    assert!(!event.time_text.is_empty(), "{label}: time_text");
    assert!(!event.client_ip.is_empty(), "{label}: client_ip");
    assert!(!event.method.is_empty(), "{label}: method");
    assert!(event.uri.starts_with('/'), "{label}: uri {:?}", event.uri);
    assert!(!event.parts.is_empty(), "{label}: parts");
}

fn expected_corpus_format(dataset: &str) -> Format {
    match dataset {
        "v3-json/storage" => Format::ModSec3Json,
        "native-serial.log" | "concurrent-native/storage" | "mlogc-captured" => Format::ModSec2Native,
        _ => Format::ModSec2Json,
    }
}

#[test]
fn every_corpus_entry_parses() {
    let mut total = 0;
    for dataset in DATASETS {
        let entries = dataset_entries(dataset);
        assert!(!entries.is_empty(), "{dataset}");
        for entry in &entries {
            let parsed = parse_entry(&entry.bytes);
            let event = &parsed.event;
            assert_basics(&entry.label, event);
            common::assert_summary_agrees(&entry.label, &entry.bytes);
            assert_eq!(event.format, expected_corpus_format(dataset), "{}", entry.label);
            let time_us = event.time_us.unwrap_or_default();
            assert!((CORPUS_START_US..CORPUS_END_US).contains(&time_us), "{}: {time_us}", entry.label);
            assert!(event.status.is_some(), "{}: status", entry.label);
            let host_header = event.request_headers.iter().find(|(name, _)| name == "Host");
            assert_eq!(event.host, host_header.map_or("", |(_, value)| value.as_str()), "{}", entry.label);
            assert!(event.producer.iter().any(|part| part.contains("ModSecurity")), "{}: {:?}", entry.label, event.producer);
            assert!(event.producer.iter().any(|part| part == "OWASP_CRS/3.3.4"), "{}: {:?}", entry.label, event.producer);
            assert_eq!(event.engine_mode.as_deref(), Some("ENABLED"), "{}", entry.label);
            assert!(event.request_headers.iter().any(|(name, _)| name == "X-Fixture-Case"), "{}", entry.label);
            // the corpus ran CRS's default inbound threshold: every scored entry shows it
            if event.messages.iter().any(|message| message.rule_id == Some(949110)) {
                assert_eq!(event.inbound_threshold, Some(5), "{}", entry.label);
            }
            // every rule alert names what matched (engine messages and a rule's execution
            // errors, which carry no severity, need not)
            for message in event.messages.iter().filter(|message| message.rule_id.is_some() && message.severity.is_some()) {
                assert!(
                    message.matched_var.as_deref().is_some_and(|variable| !variable.is_empty()),
                    "{}: rule {:?} names no variable",
                    entry.label,
                    message.rule_id
                );
            }
            if event.format == Format::ModSec2Native {
                assert!(parsed.warnings.iter().all(|warning| warning.contains("truncated")), "{}: {:?}", entry.label, parsed.warnings);
            }
        }
        total += entries.len();
    }
    assert_eq!(total, 94 + 94 + 98 + 14 + 94 + 94 + 94 + 94);
}

fn coraza_format(file_name: &str) -> Format {
    let prefixes = [
        ("jsonlegacy-", Format::CorazaJsonLegacy),
        ("json-", Format::CorazaJson),
        ("native-", Format::CorazaNative),
        ("ocsf-", Format::CorazaOcsf),
        ("https-json-", Format::CorazaJson),
        ("https-native-", Format::CorazaNative),
    ];
    prefixes.iter().find(|(prefix, _)| file_name.starts_with(prefix)).map(|(_, format)| *format).unwrap_or_else(|| panic!("unexpected fixture {file_name}"))
}

#[test]
fn every_coraza_sample_parses() {
    let directory = fixtures().join("coraza");
    let mut samples: Vec<(String, Vec<u8>)> = Vec::new();
    for path in files_with_suffix(&directory, ".log") {
        samples.push((path.file_name().unwrap().to_string_lossy().into_owned(), read(&path)));
    }
    for path in files_with_suffix(&directory, ".http") {
        samples.push((path.file_name().unwrap().to_string_lossy().into_owned(), http_body(&read(&path)).to_vec()));
    }
    assert_eq!(samples.len(), 33);
    for (name, bytes) in samples {
        let parsed = parse_entry(&bytes);
        assert_basics(&name, &parsed.event);
        common::assert_summary_agrees(&name, &bytes);
        assert_eq!(parsed.event.format, coraza_format(&name), "{name}");
        assert!(!parsed.event.client_ip.starts_with('['), "{name}: {}", parsed.event.client_ip);
    }
}

#[test]
fn every_protocol_sample_parses() {
    let directory = fixtures().join("protocol-samples");
    let mut count = 0;
    for path in files_with_suffix(&directory, ".auditlog") {
        let parsed = parse_entry(&read(&path));
        assert_basics(&path.display().to_string(), &parsed.event);
        common::assert_summary_agrees(&path.display().to_string(), &read(&path));
        assert_eq!(parsed.event.format, Format::ModSec2Native);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        count += 1;
    }
    for path in files_with_suffix(&directory, ".http") {
        let parsed = parse_entry(http_body(&read(&path)));
        assert_basics(&path.display().to_string(), &parsed.event);
        assert_eq!(parsed.event.format, Format::ModSec2Json);
        count += 1;
    }
    assert_eq!(count, 5);
}
