//! The stored form of an event's summary (the `EVENTS` values): a type of its own, not the
//! API's `EventSummary`, so the wire type can change without making stored events unreadable.
//! Every field has a default: a field added later reads as its default from older rows, and a
//! field removed from the API stays readable here until a migration drops it. The JSON names
//! are those rows were written with (schema 4).

use app::model::{Action, Alert, EventSummary, Format, Severity, TriageState};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct StoredSummary<'a> {
    /// Written as 0 (the key is the id); read back from the key.
    id: u64,
    received_at: i64,
    time: Option<i64>,
    sensor: Cow<'a, str>,
    unique_id: Cow<'a, str>,
    client_ip: Cow<'a, str>,
    host: Cow<'a, str>,
    method: Cow<'a, str>,
    uri: Cow<'a, str>,
    status: Option<u16>,
    action: Action,
    rule_ids: Cow<'a, [u32]>,
    max_severity: Option<Severity>,
    anomaly_score: Option<u32>,
    top_rule: Option<u32>,
    top_message: Option<Cow<'a, str>>,
    parse_ok: bool,
    format: Format,
    warning_count: u32,
    hash_mismatch: bool,
    revision: u32,
    #[serde(skip_serializing_if = "is_false")]
    preserved: bool,
    /// `[rule id, variable, severity]` per alert (schema 5).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    alerts: Vec<(u32, Cow<'a, str>, Option<Severity>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inbound_threshold: Option<u32>,
    #[serde(skip_serializing_if = "TriageState::is_new")]
    state: TriageState,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: Cow<'a, [String]>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The stored bytes of `summary`.
pub(super) fn encode(summary: &EventSummary) -> Vec<u8> {
    let stored = StoredSummary {
        id: summary.id,
        received_at: summary.received_at,
        time: summary.time,
        sensor: Cow::Borrowed(&summary.sensor),
        unique_id: Cow::Borrowed(&summary.unique_id),
        client_ip: Cow::Borrowed(&summary.client_ip),
        host: Cow::Borrowed(&summary.host),
        method: Cow::Borrowed(&summary.method),
        uri: Cow::Borrowed(&summary.uri),
        status: summary.status,
        action: summary.action,
        rule_ids: Cow::Borrowed(&summary.rule_ids),
        max_severity: summary.max_severity,
        anomaly_score: summary.anomaly_score,
        top_rule: summary.top_rule,
        top_message: summary.top_message.as_deref().map(Cow::Borrowed),
        parse_ok: summary.parse_ok,
        format: summary.format,
        warning_count: summary.warning_count,
        hash_mismatch: summary.hash_mismatch,
        revision: summary.revision,
        preserved: summary.preserved,
        alerts: summary.alerts.iter().map(|alert| (alert.rule_id, Cow::Borrowed(alert.variable.as_str()), alert.severity)).collect(),
        inbound_threshold: summary.inbound_threshold,
        state: summary.state,
        tags: Cow::Borrowed(&summary.tags),
    };
    serde_json::to_vec(&stored).expect("summaries serialise")
}

/// The summary stored as `bytes` under key `id`.
pub(super) fn decode(id: u64, bytes: &[u8]) -> Result<EventSummary, serde_json::Error> {
    let stored: StoredSummary<'static> = serde_json::from_slice(bytes)?;
    Ok(EventSummary {
        id,
        received_at: stored.received_at,
        time: stored.time,
        sensor: stored.sensor.into_owned(),
        unique_id: stored.unique_id.into_owned(),
        client_ip: stored.client_ip.into_owned(),
        host: stored.host.into_owned(),
        method: stored.method.into_owned(),
        uri: stored.uri.into_owned(),
        status: stored.status,
        action: stored.action,
        rule_ids: stored.rule_ids.into_owned(),
        max_severity: stored.max_severity,
        anomaly_score: stored.anomaly_score,
        top_rule: stored.top_rule,
        top_message: stored.top_message.map(Cow::into_owned),
        parse_ok: stored.parse_ok,
        format: stored.format,
        warning_count: stored.warning_count,
        hash_mismatch: stored.hash_mismatch,
        revision: stored.revision,
        preserved: stored.preserved,
        alerts: stored.alerts.into_iter().map(|(rule_id, variable, severity)| Alert { rule_id, variable: variable.into_owned(), severity }).collect(),
        inbound_threshold: stored.inbound_threshold,
        state: stored.state,
        tags: stored.tags.into_owned(),
        covered_by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as schema 4 wrote it (serde of the API type at the time).
    const ROW: &str = r#"{"id":0,"received_at":1795574107000000,"time":1795574107552557,"sensor":"web-01","unique_id":"u","client_ip":"10.1.2.3","host":"shop.example.com","method":"GET","uri":"/search?q=1","status":403,"action":"blocked","rule_ids":[942100,949110],"max_severity":"critical","anomaly_score":5,"top_rule":942100,"top_message":"SQL Injection","parse_ok":true,"format":"mod_sec2_native","warning_count":0,"hash_mismatch":false,"revision":0}"#;

    #[test]
    fn rows_written_before_read_back_and_round_trip() {
        let summary = decode(7, ROW.as_bytes()).unwrap();
        assert_eq!((summary.id, summary.sensor.as_str(), summary.rule_ids.as_slice(), summary.status), (7, "web-01", &[942100, 949110][..], Some(403)));
        assert!(!summary.preserved && summary.alerts.is_empty() && summary.state == TriageState::New && summary.tags.is_empty());
        let again = decode(7, &encode(&summary)).unwrap();
        assert_eq!(again, summary);
    }

    #[test]
    fn alerts_and_triage_round_trip() {
        let mut summary = decode(7, ROW.as_bytes()).unwrap();
        summary.alerts = vec![
            Alert { rule_id: 942100, variable: "ARGS:comment".into(), severity: Some(Severity::Critical) },
            Alert { rule_id: 949110, variable: "TX:anomaly_score".into(), severity: None },
        ];
        summary.inbound_threshold = Some(5);
        summary.state = TriageState::FalsePositive;
        summary.tags = vec!["blog".into(), "ticket:17".into()];
        let bytes = encode(&summary);
        assert!(String::from_utf8_lossy(&bytes).contains(r#""alerts":[[942100,"ARGS:comment","critical"],[949110,"TX:anomaly_score",null]]"#));
        assert_eq!(decode(7, &bytes).unwrap(), summary);
    }

    #[test]
    fn a_row_missing_later_fields_reads_with_their_defaults() {
        let summary = decode(9, br#"{"received_at":5,"sensor":"s","unique_id":"u"}"#).unwrap();
        assert_eq!((summary.id, summary.received_at, summary.sensor.as_str(), summary.revision, summary.preserved), (9, 5, "s", 0, false));
        assert!(summary.rule_ids.is_empty() && summary.top_message.is_none());
    }
}
