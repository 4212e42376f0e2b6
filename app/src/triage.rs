//! The Event page's triage form (pure, tested natively): tags as typed, the change between
//! what an event has and what the form holds, and history lines in words.

use crate::model::{TriageChange, TriageRecord, TriageState};

/// The tags typed as words (spaces or commas between them).
pub fn typed_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = text.split([' ', ',']).filter(|word| !word.is_empty()).map(str::to_owned).collect();
    tags.sort();
    tags.dedup();
    tags
}

/// The change from (`state`, `tags`, `note`) to what the form holds (`None`: no change).
pub fn change_between(current: (TriageState, &[String], &str), wanted: (TriageState, &[String], &str)) -> Option<TriageChange> {
    let add_tags: Vec<String> = wanted.1.iter().filter(|tag| !current.1.contains(tag)).cloned().collect();
    let remove_tags: Vec<String> = current.1.iter().filter(|tag| !wanted.1.contains(tag)).cloned().collect();
    let change = TriageChange {
        state: (wanted.0 != current.0).then_some(wanted.0),
        add_tags,
        remove_tags,
        note: (wanted.2.trim() != current.2).then(|| wanted.2.trim().to_owned()),
        ids: Vec::new(),
    };
    (change.state.is_some() || !change.add_tags.is_empty() || !change.remove_tags.is_empty() || change.note.is_some()).then_some(change)
}

/// One history line in words.
pub fn record_words(record: &TriageRecord) -> String {
    let mut parts = Vec::new();
    if let Some((from, to)) = record.state {
        parts.push(format!("{} → {}", from.label(), to.label()));
    }
    if !record.added_tags.is_empty() {
        parts.push(format!("+{}", record.added_tags.join(" +")));
    }
    if !record.removed_tags.is_empty() {
        parts.push(format!("−{}", record.removed_tags.join(" −")));
    }
    match record.note.as_deref() {
        Some("") => parts.push("note removed".to_owned()),
        Some(_) => parts.push("note changed".to_owned()),
        None => {}
    }
    let mut words = parts.join(", ");
    if let Some(job) = record.job {
        words.push_str(&format!(" (bulk change {job})"));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_smallest_change() {
        assert_eq!(typed_tags(" blog, ticket:17 blog "), ["blog", "ticket:17"]);
        let current = (TriageState::New, &["old".to_owned()][..], "");
        let wanted_tags = ["blog".to_owned()];
        let change = change_between(current, (TriageState::FalsePositive, &wanted_tags, " form ")).unwrap();
        assert_eq!(
            (change.state, change.add_tags, change.remove_tags, change.note),
            (Some(TriageState::FalsePositive), vec!["blog".to_owned()], vec!["old".to_owned()], Some("form".to_owned()))
        );
        assert_eq!(change_between(current, (TriageState::New, &["old".to_owned()], "  ")), None);
    }

    #[test]
    fn history_in_words() {
        let record = TriageRecord {
            state: Some((TriageState::New, TriageState::Attack)),
            added_tags: vec!["a".into(), "b".into()],
            removed_tags: vec!["c".into()],
            note: Some(String::new()),
            job: Some(4),
            ..TriageRecord::default()
        };
        assert_eq!(record_words(&record), "new → attack, +a +b, −c, note removed (bulk change 4)");
    }
}
