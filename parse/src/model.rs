//! The parsed shape of one audit-log entry: [`AuditEvent`] and the types it is made of.
//!
//! Everything here is plain serde data shared with the server and the UI.
//! Field names are snake_case and most fields default, so records stored by an older
//! version still deserialize.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The audit-log dialect an entry was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    ModSec2Native,
    ModSec2Json,
    ModSec3Json,
    ModSec3Native,
    CorazaJson,
    CorazaJsonLegacy,
    CorazaNative,
    /// Coraza's `SecAuditLogFormat ocsf` (OCSF 1.2 "Web Resources Activity").
    CorazaOcsf,
    #[default]
    Unknown,
}

/// Syslog-style rule severity; `Emergency` is the most severe.
///
/// The ordering follows importance: `Emergency > Alert > … > Debug`, so `max()` over
/// messages yields the most severe one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Severity {
    const ALL: [Severity; 8] =
        [Severity::Emergency, Severity::Alert, Severity::Critical, Severity::Error, Severity::Warning, Severity::Notice, Severity::Info, Severity::Debug];

    /// Returns the syslog number (0 = emergency … 7 = debug).
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Returns the lowercase name, e.g. `"critical"`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Emergency => "emergency",
            Severity::Alert => "alert",
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
            Severity::Info => "info",
            Severity::Debug => "debug",
        }
    }

    /// Returns the severity for a syslog number 0–7.
    pub fn from_number(number: i64) -> Option<Severity> {
        usize::try_from(number).ok().and_then(|index| Severity::ALL.get(index).copied())
    }

    /// Parses a severity written as a name in any case (`CRITICAL`, `critical`, also the
    /// short `emerg`/`crit`/`err`/`warn`) or as a number 0–7.
    /// Returns `None` for anything else, e.g. Coraza's `unknown` or `-1`.
    pub fn parse(text: &str) -> Option<Severity> {
        let text = text.trim();
        if let Ok(number) = text.parse::<i64>() {
            return Severity::from_number(number);
        }
        match text.to_ascii_lowercase().as_str() {
            "emergency" | "emerg" => Some(Severity::Emergency),
            "alert" => Some(Severity::Alert),
            "critical" | "crit" => Some(Severity::Critical),
            "error" | "err" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "notice" => Some(Severity::Notice),
            "info" => Some(Severity::Info),
            "debug" => Some(Severity::Debug),
            _ => None,
        }
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.as_u8().cmp(&self.as_u8())
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What the WAF did with the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The WAF intercepted the transaction.
    Blocked,
    /// Rules produced messages but the transaction was not intercepted.
    Detected,
    /// No rule messages and no interception.
    #[default]
    Passed,
}

/// Raw body bytes, exactly as received; serialized as a standard-alphabet base64 string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Body(pub Vec<u8>);

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let encoded = String::deserialize(deserializer)?;
        BASE64.decode(encoded.as_bytes()).map(Body).map_err(serde::de::Error::custom)
    }
}

/// One rule alert (a `Message:` line, a JSON message, a v3/Coraza H line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RuleMessage {
    pub rule_id: Option<u32>,
    /// The rule's `msg`, unescaped; for messages without one, the text after the action sentence.
    pub message: String,
    pub data: String,
    pub severity: Option<Severity>,
    pub tags: Vec<String>,
    pub file: String,
    pub line: Option<u32>,
    pub rev: String,
    pub ver: String,
    pub maturity: Option<u8>,
    pub accuracy: Option<u8>,
    /// From a `paranoia-level/N` tag.
    pub paranoia_level: Option<u8>,
    /// The variable that matched, e.g. `ARGS:q` or `REQUEST_HEADERS:User-Agent`.
    pub matched_var: Option<String>,
    /// The number the rule compared a variable with when it says so (`Operator GE matched 5 at
    /// TX:anomaly_score.`, v3 ``Operator `Ge' with parameter `5' against variable …``): for
    /// CRS's blocking evaluation, the anomaly threshold the event was judged with.
    pub threshold: Option<u32>,
    /// The first sentence, e.g. `Warning.` or `Access denied with code 403 (phase 2).`.
    pub action_text: String,
    /// The message reports a deny (`Access denied …`; for v3 JSON the rule judged to have
    /// blocked, see `json_v3`).
    pub disruptive: bool,
    /// The message as written, lossy UTF-8: a v2 `Message:` line without its trailer name or a
    /// v2 JSON message string; a whole v3/Coraza H line; Coraza `error_message`; v3 JSON
    /// `details.match`; for Coraza jsonlegacy and OCSF the rule `msg`.
    pub text: String,
}

/// The parsed form of one audit-log entry. See the crate docs for what each format supplies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AuditEvent {
    pub format: Format,
    pub unique_id: String,
    /// Canonical instant in µs since the Unix epoch (UTC).
    pub time_us: Option<i64>,
    /// The entry's time exactly as written.
    pub time_text: String,
    /// The UTC offset written in `time_text`, when it had one.
    pub utc_offset_minutes: Option<i32>,
    pub client_ip: String,
    pub client_port: Option<u16>,
    pub server_ip: String,
    pub server_port: Option<u16>,
    pub host: String,
    pub method: String,
    pub uri: String,
    pub protocol: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Body>,
    pub response_protocol: String,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<Body>,
    pub messages: Vec<RuleMessage>,
    pub intercepted: bool,
    pub phase: Option<u8>,
    pub action: Action,
    pub inbound_score: Option<u32>,
    /// The inbound anomaly threshold CRS compared the score with, when a message shows it
    /// (the blocking evaluation's operator parameter; CRS 4's `threshold=` in 980170).
    pub inbound_threshold: Option<u32>,
    pub outbound_score: Option<u32>,
    /// `ENABLED`, `DETECTION_ONLY` or `DISABLED` (other spellings kept as written).
    pub engine_mode: Option<String>,
    pub producer: Vec<String>,
    pub server_software: Option<String>,
    /// Part K / `matched_rules` / Coraza rule text: detail only, never counted as alerts.
    pub matched_rules: Vec<String>,
    /// Trailer lines kept as detail (`Apache-Handler`, `Stopwatch2`, `Apache-Error`, …).
    pub extra_trailers: Vec<(String, String)>,
    /// Part letters present, in the order seen (JSON: derived from the keys present).
    pub parts: String,
}

/// Rule ids of CRS anomaly-score evaluation and correlation rules, which summarise other alerts.
/// The tags a summary parse keeps: those [`AuditEvent::top_message`] looks at.
pub(crate) const SUMMARY_TAGS: [&str; 2] = ["anomaly-evaluation", "event-correlation"];

fn is_anomaly_evaluation(message: &RuleMessage) -> bool {
    let by_id = message.rule_id.is_some_and(|id| matches!(id, 949_000..=949_999 | 959_000..=959_999 | 980_000..=980_999));
    by_id || message.tags.iter().any(|tag| SUMMARY_TAGS.contains(&tag.as_str()))
}

impl AuditEvent {
    /// Returns the ids of the rule messages, in first-seen order, without duplicates.
    pub fn rule_ids(&self) -> Vec<u32> {
        let mut ids = Vec::new();
        for id in self.messages.iter().filter_map(|message| message.rule_id) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// Returns the most severe message severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.messages.iter().filter_map(|message| message.severity).max()
    }

    /// Returns the message that best describes the event in a list row: the first of the most
    /// severe messages that is not a CRS anomaly evaluation/correlation, else the first message.
    pub fn top_message(&self) -> Option<&RuleMessage> {
        let mut best: Option<&RuleMessage> = None;
        for candidate in self.messages.iter().filter(|m| !is_anomaly_evaluation(m)) {
            let better = match best {
                None => true,
                Some(current) => candidate.severity.is_some() && candidate.severity > current.severity,
            };
            if better {
                best = Some(candidate);
            }
        }
        best.or_else(|| self.messages.first())
    }
}

/// How much of an entry a parse fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything: headers, bodies, every message field (the event page).
    #[default]
    Full,
    /// What an event list row and the counters need (ingest); see [`crate::parse_entry_summary`].
    Summary,
}

/// The result of parsing one entry: the event plus everything that looked wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Parsed {
    pub event: AuditEvent,
    pub warnings: Vec<String>,
}

/// One concurrent-index line (mlogc's `X-ForensicLog-Summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct IndexLine {
    pub host: String,
    pub client_ip: String,
    pub time_text: String,
    pub time_us: Option<i64>,
    /// The request line, unescaped.
    pub request_line: String,
    pub status: Option<u16>,
    pub bytes_sent: Option<u64>,
    pub unique_id: String,
    /// `""` when the line says `"-"`.
    pub session_id: String,
    pub path: String,
    pub offset: Option<u64>,
    pub size: Option<u64>,
    /// Lowercase hex without `md5:`; `""` if absent or malformed.
    pub md5: String,
    /// The line ended with ` L` (fields were shortened).
    pub limited: bool,
}
