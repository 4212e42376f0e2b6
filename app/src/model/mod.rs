//! Wire types shared by the server's JSON API and the browser UI.
//!
//! Invariant: no Leptos, no server crates here; everything is plain serde so both sides
//! agree on the shape by construction.

use serde::{Deserialize, Serialize};
pub use wafscope_parse::{Action, AuditEvent, Format, RuleMessage, Severity};

mod triage;
mod tuning;
pub use triage::*;
pub use tuning::*;

/// Path prefix of the Leptos server functions (login, logout, later every UI mutation).
pub const SERVER_FN_PREFIX: &str = "/api/fn";

/// What a user or token may do; ordered `Viewer < Analyst < Admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads events, dashboards and sensor health.
    Viewer,
    /// Viewer plus triage (states, tags, notes, preservation) and exclusion drafts.
    Analyst,
    /// Everything, including users, tokens and sensors.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Analyst, Role::Admin];

    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == text).ok_or_else(|| format!("unknown role {text:?} (expected viewer, analyst or admin)"))
    }
}

/// `GET /api/v1/health`: liveness, no authentication, no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`, or `unavailable` (answered with 503) while storage cannot take uploads.
    pub status: String,
    pub version: String,
    /// Why not ok (a full disk, a failed write, a restarting writer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Since when (µs since the epoch) the problem lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// How often the writer thread was restarted after a crash since start.
    #[serde(default)]
    pub writer_restarts: u64,
}

/// The store's size, budget and retention, for the Status page and the dashboard's header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageStatus {
    /// Bytes of the database file.
    pub file_bytes: u64,
    /// The disk budget in bytes (`None`: no budget).
    pub budget_bytes: Option<u64>,
    /// Days events are kept after arrival (`None`: forever).
    pub retain_days: Option<u64>,
    pub events: u64,
    pub preserved: u64,
    /// Arrival (µs since the epoch) of the oldest event kept.
    pub oldest_received_at: Option<i64>,
    /// Bytes one event takes in the file, all its rows included.
    pub bytes_per_event: Option<u64>,
    /// Events that arrived in the last 24 hours.
    pub events_last_day: u64,
    /// At the last day's rate, how many days of events the budget holds (`None` without a
    /// budget or without traffic).
    pub days_in_budget: Option<f64>,
    /// What keeps storage from taking uploads now (the health endpoint's reason).
    pub problem: Option<String>,
}

/// `GET /api/v1/status`: what the Status page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub version: String,
    /// Seconds since `serve` started.
    pub uptime_seconds: u64,
    /// The data directory as configured.
    pub data_dir: String,
    /// Bytes used by every file in the data directory.
    pub data_dir_bytes: u64,
    /// The address `serve` listens on.
    pub listen: String,
    /// Whether the listener speaks TLS.
    pub tls: bool,
    #[serde(default)]
    pub storage: StorageStatus,
}

/// `GET /api/v1/session`: who the caller is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub username: String,
    pub role: Role,
}

/// What the login server function answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginOutcome {
    /// The session cookie is set.
    SignedIn(SessionInfo),
    /// Refused; the text says why (wrong credentials, too many attempts).
    Refused(String),
}

/// Body of every error answer of the JSON API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

/// One stored event as lists show it (`/api/v1/events`, the live stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Time-ordered id (microseconds of arrival, made unique); newest = largest.
    pub id: u64,
    /// When wafscope stored it, µs since the Unix epoch.
    pub received_at: i64,
    /// When the WAF saw the request, µs since the Unix epoch, if the entry said.
    pub time: Option<i64>,
    pub sensor: String,
    pub unique_id: String,
    pub client_ip: String,
    pub host: String,
    pub method: String,
    pub uri: String,
    pub status: Option<u16>,
    pub action: Action,
    /// Ids of the rule messages (alerts), first seen first.
    pub rule_ids: Vec<u32>,
    pub max_severity: Option<Severity>,
    /// CRS inbound anomaly score, if the entry carried one.
    pub anomaly_score: Option<u32>,
    /// The most telling rule message for a list row.
    pub top_rule: Option<u32>,
    pub top_message: Option<String>,
    /// Whether the entry was recognised as an audit-log format.
    pub parse_ok: bool,
    /// The detected format (`mod_sec2_native`, `coraza_json`, …).
    pub format: Format,
    /// Parser warnings (0 = clean).
    pub warning_count: u32,
    /// The upload's `X-Content-Hash` did not match its body.
    pub hash_mismatch: bool,
    /// 0 for the first upload of a unique id; n for the n-th upload with different content.
    pub revision: u32,
    /// Marked by an analyst: retention keeps it (the disk budget still counts it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub preserved: bool,
    /// Every rule alert (rule, the variable it matched, severity), in the entry's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
    /// The inbound anomaly threshold CRS judged the event with, when the entry shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_threshold: Option<u32>,
    /// Triage: what an analyst decided (`new` until someone does).
    #[serde(default, skip_serializing_if = "TriageState::is_new")]
    pub state: TriageState,
    /// Triage: free tags, sorted, each at most once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The approved exclusion that removes every alert of the event but CRS's scoring ones,
    /// when it has no state of its own: it reads `false positive (exclusion N)`. Worked out
    /// when the event is read, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<u64>,
}

impl EventSummary {
    /// The triage state as the console shows it: the analyst's, else `false positive
    /// (exclusion N)` for an event an approved exclusion covers.
    pub fn state_label(&self) -> String {
        match (self.state, self.covered_by) {
            (TriageState::New, Some(exclusion)) => format!("false positive (exclusion {exclusion})"),
            (state, _) => state.label().to_owned(),
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Answer of `POST`/`DELETE /api/v1/events/{id}/preserve` and `/api/v1/preserve?<filters>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreserveOutcome {
    /// Events whose mark changed.
    pub changed: u64,
    /// Whether they are now preserved (`false`: released).
    pub preserved: bool,
    /// Whether every selected event was reached (a filter marks at most 100 000 at once).
    pub complete: bool,
}

/// `GET /api/v1/events`: a page of summaries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub events: Vec<EventSummary>,
    /// Pass as `before=` for the next (older) page; `null` when there is none.
    pub next_before: Option<u64>,
}

/// `event: stats` of the live stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveStats {
    /// Events stored per second, averaged over the last ten seconds.
    pub events_per_second: f64,
    /// Events stored since the server started.
    pub published_since_start: u64,
}

/// Counts by action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCounts {
    pub total: u64,
    pub blocked: u64,
    pub detected: u64,
    pub passed: u64,
}

impl ActionCounts {
    pub fn count(&mut self, action: Action) {
        self.add(&ActionCounts::of(action));
    }

    pub fn of(action: Action) -> ActionCounts {
        let mut counts = ActionCounts { total: 1, ..ActionCounts::default() };
        match action {
            Action::Blocked => counts.blocked = 1,
            Action::Detected => counts.detected = 1,
            Action::Passed => counts.passed = 1,
        }
        counts
    }

    pub fn add(&mut self, other: &ActionCounts) {
        self.total += other.total;
        self.blocked += other.blocked;
        self.detected += other.detected;
        self.passed += other.passed;
    }

    /// Takes `other` away again (events purged), never below zero.
    pub fn subtract(&mut self, other: &ActionCounts) {
        self.total = self.total.saturating_sub(other.total);
        self.blocked = self.blocked.saturating_sub(other.blocked);
        self.detected = self.detected.saturating_sub(other.detected);
        self.passed = self.passed.saturating_sub(other.passed);
    }
}
/// One bar of a top list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopEntry {
    pub value: String,
    /// For rules: the message of the rule's most recent event seen by this answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(flatten)]
    pub counts: ActionCounts,
}

/// One bin of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineBin {
    /// Start of the bin, µs since the epoch.
    pub start: i64,
    #[serde(flatten)]
    pub counts: ActionCounts,
}

/// `GET /api/v1/stats` (built by the server's `stats::StatsAccumulator`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsAnswer {
    /// The window counted, µs (minute-aligned: counters are per minute).
    pub from: i64,
    pub to: i64,
    pub bin_seconds: u64,
    pub totals: ActionCounts,
    pub timeline: Vec<TimelineBin>,
    pub rules: Vec<TopEntry>,
    pub client_ips: Vec<TopEntry>,
    pub hosts: Vec<TopEntry>,
    pub paths: Vec<TopEntry>,
    pub sensors: Vec<TopEntry>,
    pub statuses: Vec<TopEntry>,
    pub severities: Vec<TopEntry>,
    /// Anomaly score → counts, ascending by score (`none` last).
    pub scores: Vec<TopEntry>,
    /// `counters` (per-minute counters) or `scan` (summaries of matching events).
    pub source: String,
    /// False when a scan stopped at its budget: the numbers are then a lower bound.
    pub complete: bool,
}

/// One sensor's health in `GET /api/v1/sensors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorHealth {
    pub name: String,
    /// Unix seconds.
    pub created_at: u64,
    /// When wafscope last stored an event from it, µs since the epoch.
    pub last_seen: Option<i64>,
    /// Whole minutes since `last_seen` (None: never sent anything).
    pub silent_minutes: Option<u64>,
    pub events_total: u64,
    /// Events stored per minute over the last 60 minutes, oldest first.
    pub events_per_minute: Vec<u64>,
    /// Uploads answered 409 (over the size cap).
    pub rejected_uploads: u64,
    /// Uploads refused with 401 for this sensor name since the server started.
    pub auth_failures: u64,
    /// Stored events whose entry had parse warnings.
    pub parse_warnings: u64,
    /// Receive time minus event time of its newest event, seconds (positive: the sensor's
    /// clock is behind, or delivery is late).
    pub clock_skew_seconds: Option<f64>,
}

/// `GET /api/v1/sensors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorList {
    pub sensors: Vec<SensorHealth>,
}

/// A sensor's new secrets as the `sensor_add` and `sensor_rotate` server functions answer
/// them: shown to the admin once, never stored in clear text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorCredentials {
    pub name: String,
    /// The password for mlogc's Basic auth (`SensorPassword`).
    pub password: String,
    /// The `ConsoleURI`, `SensorUsername` and `SensorPassword` lines for mlogc.conf.
    pub mlogc_fragment: String,
    /// Where libmodsecurity 3 and Coraza post (`SecAuditLog <url>`); its last segment is a secret.
    pub ingest_url: String,
}

impl std::fmt::Debug for SensorCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SensorCredentials").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Why a sensor server function changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorRefusal {
    /// No valid session: sign in again.
    NotSignedIn,
    /// The caller is signed in with this role, and only admins manage sensors.
    NotAdmin(Role),
    /// The request itself was refused: invalid name, unknown or duplicate sensor.
    Rejected(String),
}

impl std::fmt::Display for SensorRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SensorRefusal::NotSignedIn => f.write_str("your session has ended; sign in again"),
            SensorRefusal::NotAdmin(role) => write!(f, "only admins manage sensors (you are signed in as {role})"),
            SensorRefusal::Rejected(reason) => f.write_str(reason),
        }
    }
}

/// What `sensor_add` and `sensor_rotate` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorCredentialsOutcome {
    /// Done: the new secrets (for a rotation the old ones stopped working).
    Issued(SensorCredentials),
    Refused(SensorRefusal),
}

/// What `sensor_remove` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorRemovalOutcome {
    /// The sensor's credentials are gone (its uploads are refused); its stored events stay.
    Removed(String),
    Refused(SensorRefusal),
}

/// `GET /api/v1/events/{id}`: everything about one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub summary: EventSummary,
    /// The entry as parsed now (from the stored raw bytes).
    pub event: AuditEvent,
    pub warnings: Vec<String>,
    /// Size of the original upload in bytes.
    pub raw_size: u64,
    /// Hex MD5 of the original upload.
    pub md5: String,
    /// The note and who changed what, when.
    #[serde(default)]
    pub triage: TriageDetail,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_round_trip() {
        assert!(Role::Viewer < Role::Analyst && Role::Analyst < Role::Admin);
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
