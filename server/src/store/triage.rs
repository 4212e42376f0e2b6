//! Triage in redb: the state and tags in the event's summary and in `TRIAGED`, the note in
//! `TRIAGE_NOTES`, every change in `TRIAGE_LOG` (what changed is decided by `crate::triage`).

use super::events::{decode_summary, encode_summary};
use super::tables::*;
use super::{Store, StoreError};
use crate::triage;
use app::model::{TriageChange, TriageDetail, TriageRecord};
use redb::{ReadableDatabase, ReadableTable};

/// Events changed by one transaction at most: a bulk change holds redb's one write transaction
/// for a few milliseconds at a time, so uploads commit in between.
pub const TRIAGE_CHUNK: usize = 256;

impl Store {
    /// Applies `change` to the events `ids` for `user` at `at` (µs), [`TRIAGE_CHUNK`] events per
    /// transaction; returns how many changed. Unknown ids (purged meanwhile) are skipped.
    pub fn apply_triage(&self, ids: &[u64], change: &TriageChange, user: &str, at: i64, job: Option<u64>) -> Result<u64, StoreError> {
        let mut changed = 0;
        for chunk in ids.chunks(TRIAGE_CHUNK) {
            let transaction = self.database()?.begin_write()?;
            {
                let mut events = transaction.open_table(EVENTS)?;
                let mut marks = transaction.open_table(TRIAGED)?;
                let mut notes = transaction.open_table(TRIAGE_NOTES)?;
                let mut log = transaction.open_table(TRIAGE_LOG)?;
                for &id in chunk {
                    let Some(stored) = events.get(id)?.map(|value| value.value().to_vec()) else { continue };
                    let mut summary = decode_summary(id, &stored)?;
                    let note = notes.get(id)?.map(|value| value.value().to_owned()).unwrap_or_default();
                    let Some(record) = triage::apply(&mut summary, &note, change, user, at, job) else { continue };
                    if record.state.is_some() || !record.added_tags.is_empty() || !record.removed_tags.is_empty() {
                        events.insert(id, encode_summary(&summary).as_slice())?;
                        if triage::is_triaged(&summary) {
                            marks.insert(id, triage::encode_mark(&summary).as_slice())?;
                        } else {
                            marks.remove(id)?;
                        }
                    }
                    match record.note.as_deref() {
                        Some("") => {
                            notes.remove(id)?;
                        }
                        Some(text) => {
                            notes.insert(id, text)?;
                        }
                        None => {}
                    }
                    let sequence = log.range((id, 0)..=(id, u32::MAX))?.next_back().transpose()?.map_or(0, |(key, _)| key.value().1 + 1);
                    log.insert((id, sequence), serde_json::to_vec(&record).expect("records serialise").as_slice())?;
                    changed += 1;
                }
            }
            transaction.commit()?;
        }
        Ok(changed)
    }

    /// The note and history of event `id` (empty for an event nobody triaged).
    pub fn triage_detail(&self, id: u64) -> Result<TriageDetail, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let note = transaction.open_table(TRIAGE_NOTES)?.get(id)?.map(|value| value.value().to_owned()).unwrap_or_default();
        let mut history = Vec::new();
        for entry in transaction.open_table(TRIAGE_LOG)?.range((id, 0)..=(id, u32::MAX))? {
            let (_, value) = entry?;
            match serde_json::from_slice::<TriageRecord>(value.value()) {
                Ok(record) => history.push(record),
                Err(error) => tracing::warn!(id, %error, "skipping an undecodable triage record"),
            }
        }
        Ok(TriageDetail { note, history })
    }
}

/// Deletes the triage rows of purged events (in the purge's transaction).
pub(super) fn forget(transaction: &redb::WriteTransaction, ids: &[u64]) -> Result<(), StoreError> {
    let mut marks = transaction.open_table(TRIAGED)?;
    let mut notes = transaction.open_table(TRIAGE_NOTES)?;
    let mut log = transaction.open_table(TRIAGE_LOG)?;
    for &id in ids {
        marks.remove(id)?;
        notes.remove(id)?;
        log.retain_in((id, 0)..=(id, u32::MAX), |_, _| false)?;
    }
    Ok(())
}
