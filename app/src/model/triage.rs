//! Wire types of triage (an event's state, tags, note and history; bulk changes) and of saved
//! views.

use serde::{Deserialize, Serialize};

/// What an analyst decided about an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageState {
    /// Nobody has looked at it yet.
    #[default]
    New,
    Reviewed,
    /// A legitimate request the WAF took for an attack.
    FalsePositive,
    /// A real attack.
    Attack,
}

impl TriageState {
    pub const ALL: [TriageState; 4] = [TriageState::New, TriageState::Reviewed, TriageState::FalsePositive, TriageState::Attack];

    /// The name in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TriageState::New => "new",
            TriageState::Reviewed => "reviewed",
            TriageState::FalsePositive => "false_positive",
            TriageState::Attack => "attack",
        }
    }

    /// The words the console shows.
    pub fn label(self) -> &'static str {
        match self {
            TriageState::New => "new",
            TriageState::Reviewed => "reviewed",
            TriageState::FalsePositive => "false positive",
            TriageState::Attack => "attack",
        }
    }

    /// Reads `new`, `reviewed`, `false_positive` (also `false-positive`, `false positive`,
    /// `fp`) or `attack`, in any case.
    pub fn parse(text: &str) -> Option<TriageState> {
        let text = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match text.as_str() {
            "fp" => Some(TriageState::FalsePositive),
            _ => TriageState::ALL.into_iter().find(|state| state.as_str() == text),
        }
    }

    pub fn is_new(&self) -> bool {
        *self == TriageState::New
    }
}

/// Longest tag, in bytes.
pub const MAX_TAG_BYTES: usize = 64;
/// Most tags on one event.
pub const MAX_TAGS: usize = 32;
/// Longest note, in bytes.
pub const MAX_NOTE_BYTES: usize = 4096;

/// Whether `tag` may be a tag: 1 to [`MAX_TAG_BYTES`] of letters, digits and `-_.:/@+`, so a
/// tag is one word in a URL, a filter and a list row.
pub fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= MAX_TAG_BYTES && tag.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_.:/@+".contains(&byte))
}

/// A triage change (`POST /api/v1/events/{id}/triage`, `POST /api/v1/triage` for a selection
/// or a filter). Absent parts stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriageChange {
    pub state: Option<TriageState>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    /// The new note (`""` clears it).
    pub note: Option<String>,
    /// For `POST /api/v1/triage`: these events (else the query's filter selects them).
    pub ids: Vec<u64>,
}

impl TriageChange {
    /// What is wrong with the change, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.state.is_none() && self.add_tags.is_empty() && self.remove_tags.is_empty() && self.note.is_none() {
            return Some("nothing to change: give a state, tags to add or remove, or a note".into());
        }
        if let Some(tag) = self.add_tags.iter().chain(&self.remove_tags).find(|tag| !is_valid_tag(tag)) {
            return Some(format!("bad tag {tag:?}: 1 to {MAX_TAG_BYTES} letters, digits or -_.:/@+"));
        }
        if self.add_tags.len() > MAX_TAGS {
            return Some(format!("at most {MAX_TAGS} tags"));
        }
        if self.note.as_ref().is_some_and(|note| note.len() > MAX_NOTE_BYTES) {
            return Some(format!("the note is longer than {MAX_NOTE_BYTES} bytes"));
        }
        None
    }
}

/// One change in an event's triage history, as it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriageRecord {
    /// When, µs since the Unix epoch.
    pub at: i64,
    pub user: String,
    /// The state before and after, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<(TriageState, TriageState)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added_tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed_tags: Vec<String>,
    /// The note was changed (to this text; `""`: removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Made by a bulk change (job id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<u64>,
}

/// The Event page's triage section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriageDetail {
    pub note: String,
    /// Oldest first.
    pub history: Vec<TriageRecord>,
}

/// Answer of a triage change of one event or a list of ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageOutcome {
    /// Events that changed.
    pub changed: u64,
    /// Events that were asked for (unknown ids are skipped).
    pub selected: u64,
}

/// A bulk change over every event of a filter, running in the background
/// (`GET /api/v1/triage/jobs/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriageJob {
    pub id: u64,
    pub user: String,
    /// The filter, as the query string it was given with.
    pub filter: String,
    /// Events the filter selected so far.
    pub selected: u64,
    /// Of those, events that changed.
    pub changed: u64,
    /// The job has stopped (see `complete` and `error`).
    pub done: bool,
    /// Every event the filter selected when the job started was reached.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// A saved filter (`/api/v1/views`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: u64,
    pub name: String,
    /// Who saved it.
    pub owner: String,
    /// The Events page's query string (`sensor=web-01&rule=942100`), as the UI writes it.
    pub query: String,
    /// Every user sees it (only an admin shares a view).
    pub shared: bool,
    pub created_at: i64,
}

/// Body of `POST /api/v1/views` and `PUT /api/v1/views/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewRequest {
    pub name: String,
    pub query: String,
    pub shared: bool,
}

/// Longest view name, in bytes.
pub const MAX_VIEW_NAME_BYTES: usize = 80;
/// Longest saved query, in bytes.
pub const MAX_VIEW_QUERY_BYTES: usize = 2048;

impl ViewRequest {
    pub fn problem(&self) -> Option<String> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > MAX_VIEW_NAME_BYTES || self.name.chars().any(char::is_control) {
            return Some(format!("a view needs a name of 1 to {MAX_VIEW_NAME_BYTES} bytes without control characters"));
        }
        if self.query.len() > MAX_VIEW_QUERY_BYTES || self.query.chars().any(|c| c.is_control() || c == ' ' || c == '#') {
            return Some(format!("the query must be a URL query string of at most {MAX_VIEW_QUERY_BYTES} bytes"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_and_round_trip() {
        for state in TriageState::ALL {
            assert_eq!(TriageState::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("\"{}\"", state.as_str()));
        }
        assert_eq!(TriageState::parse("False Positive"), Some(TriageState::FalsePositive));
        assert_eq!(TriageState::parse("fp"), Some(TriageState::FalsePositive));
        assert_eq!(TriageState::parse("maybe"), None);
    }

    #[test]
    fn tags_and_changes_are_checked() {
        assert!(is_valid_tag("crs:942100") && is_valid_tag("team/web") && is_valid_tag("a"));
        assert!(!is_valid_tag("") && !is_valid_tag("two words") && !is_valid_tag("<b>") && !is_valid_tag(&"x".repeat(65)));
        assert!(TriageChange::default().problem().is_some());
        let change = TriageChange { add_tags: vec!["ok".into()], ..TriageChange::default() };
        assert_eq!(change.problem(), None);
        let change = TriageChange { add_tags: vec!["not ok".into()], ..TriageChange::default() };
        assert!(change.problem().unwrap().contains("bad tag"));
        let change = TriageChange { note: Some("n".repeat(MAX_NOTE_BYTES + 1)), ..TriageChange::default() };
        assert!(change.problem().is_some());
    }

    #[test]
    fn views_are_checked() {
        let view = |name: &str, query: &str| ViewRequest { name: name.into(), query: query.into(), shared: false };
        assert_eq!(view("SQLi on web-01", "sensor=web-01&rule=942100").problem(), None);
        assert!(view("", "a=b").problem().is_some());
        assert!(view("x", "a=b c").problem().is_some());
        assert!(view("x\n", "a=b").problem().is_some());
    }
}
