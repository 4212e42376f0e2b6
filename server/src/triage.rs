//! Triage (pure): what a change does to an event, and the record of it.
//!
//! An event's state and tags live in its summary (lists, filters and the live stream read them
//! there); the note and the history have tables of their own (`store/triage.rs`).

use app::model::{EventSummary, MAX_TAGS, TriageChange, TriageRecord, TriageState};

/// What `change` does to `summary` given its current `note`: the summary's new state and tags
/// are set, and the record of what changed is returned (`None`: nothing would change, and
/// nothing is written).
pub fn apply(summary: &mut EventSummary, note: &str, change: &TriageChange, user: &str, at: i64, job: Option<u64>) -> Option<TriageRecord> {
    let mut record = TriageRecord { at, user: user.to_owned(), job, ..TriageRecord::default() };
    if let Some(state) = change.state
        && state != summary.state
    {
        record.state = Some((summary.state, state));
        summary.state = state;
    }
    for tag in &change.remove_tags {
        if let Some(position) = summary.tags.iter().position(|known| known == tag) {
            summary.tags.remove(position);
            record.removed_tags.push(tag.clone());
        }
    }
    for tag in &change.add_tags {
        if summary.tags.len() < MAX_TAGS && !summary.tags.contains(tag) && !change.remove_tags.contains(tag) {
            summary.tags.push(tag.clone());
            record.added_tags.push(tag.clone());
        }
    }
    summary.tags.sort();
    if let Some(new_note) = &change.note
        && new_note.trim() != note
    {
        record.note = Some(new_note.trim().to_owned());
    }
    let changed = record.state.is_some() || !record.added_tags.is_empty() || !record.removed_tags.is_empty() || record.note.is_some();
    changed.then_some(record)
}

/// Whether `summary` belongs in the triage table (a state other than `new`, or a tag).
pub fn is_triaged(summary: &EventSummary) -> bool {
    summary.state != TriageState::New || !summary.tags.is_empty()
}

/// The triage table's value: the state's code, then each tag ended by `\n`.
pub fn encode_mark(summary: &EventSummary) -> Vec<u8> {
    let mut bytes = vec![state_code(summary.state)];
    for tag in &summary.tags {
        bytes.extend_from_slice(tag.as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

fn state_code(state: TriageState) -> u8 {
    match state {
        TriageState::New => 0,
        TriageState::Reviewed => 1,
        TriageState::FalsePositive => 2,
        TriageState::Attack => 3,
    }
}

/// The state of a triage table value (`None`: damaged).
pub fn mark_state(bytes: &[u8]) -> Option<TriageState> {
    TriageState::ALL.into_iter().find(|state| Some(&state_code(*state)) == bytes.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(state: Option<TriageState>, add: &[&str], remove: &[&str], note: Option<&str>) -> TriageChange {
        TriageChange {
            state,
            add_tags: add.iter().map(|tag| tag.to_string()).collect(),
            remove_tags: remove.iter().map(|tag| tag.to_string()).collect(),
            note: note.map(str::to_owned),
            ids: Vec::new(),
        }
    }

    fn event() -> EventSummary {
        serde_json::from_str(r#"{"id":1,"received_at":1,"time":null,"sensor":"s","unique_id":"u","client_ip":"","host":"","method":"","uri":"","status":null,"action":"detected","rule_ids":[],"max_severity":null,"anomaly_score":null,"top_rule":null,"top_message":null,"parse_ok":true,"format":"mod_sec2_native","warning_count":0,"hash_mismatch":false,"revision":0}"#).unwrap()
    }

    #[test]
    fn a_change_records_exactly_what_changed() {
        let mut summary = event();
        let record = apply(&mut summary, "", &change(Some(TriageState::FalsePositive), &["blog", "crs"], &[], Some(" comment form ")), "ana", 7, None).unwrap();
        assert_eq!(record.state, Some((TriageState::New, TriageState::FalsePositive)));
        assert_eq!(record.added_tags, ["blog", "crs"]);
        assert_eq!(record.note.as_deref(), Some("comment form"));
        assert_eq!((record.at, record.user.as_str()), (7, "ana"));
        assert_eq!(summary.tags, ["blog", "crs"]);
        assert!(is_triaged(&summary));
        // the same again changes nothing
        assert_eq!(apply(&mut summary, "comment form", &change(Some(TriageState::FalsePositive), &["blog"], &[], Some("comment form")), "ana", 8, None), None);
        // removing a tag that is not there is no change; removing one that is, is
        assert_eq!(apply(&mut summary, "comment form", &change(None, &[], &["nope"], None), "ana", 9, None), None);
        let record = apply(&mut summary, "comment form", &change(Some(TriageState::New), &[], &["blog", "crs"], None), "bob", 10, Some(3)).unwrap();
        assert_eq!((record.state, record.removed_tags.len(), record.job), (Some((TriageState::FalsePositive, TriageState::New)), 2, Some(3)));
        assert!(!is_triaged(&summary));
    }

    #[test]
    fn tags_stay_sorted_unique_and_bounded() {
        let mut summary = event();
        let many: Vec<String> = (0..40).map(|n| format!("t{n:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        apply(&mut summary, "", &change(None, &many, &[], None), "ana", 1, None).unwrap();
        assert_eq!(summary.tags.len(), MAX_TAGS);
        assert!(summary.tags.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn marks_round_trip_the_state() {
        let mut summary = event();
        for state in TriageState::ALL {
            summary.state = state;
            summary.tags = vec!["a".into(), "b".into()];
            let mark = encode_mark(&summary);
            assert_eq!(mark_state(&mark), Some(state));
            assert!(mark.ends_with(b"a\nb\n"));
        }
        assert_eq!(mark_state(&[9]), None);
        assert_eq!(mark_state(&[]), None);
    }
}
