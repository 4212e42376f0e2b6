//! Writing the rows derived from events (postings, fact blocks, rule labels, sensor activity
//! and minutes): added behind the acknowledgement by the deferred flush, and taken away again
//! when retention purges the events. Rows that fall to zero are deleted, so a purged store
//! holds no dead rows.

use super::StoreError;
use super::deferred::DeferredIndex;
use super::facts::{append_facts, remove_facts};
use super::postings::{self, PostingsBatch};
use super::tables::*;
use redb::{ReadableTable, WriteTransaction};

/// Whether rows are added (ingest, re-index) or taken away (purge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    Add,
    Subtract,
}

/// Writes (or takes away) everything `derived` holds.
pub(super) fn write_derived(transaction: &WriteTransaction, derived: &DeferredIndex, sign: Sign) -> Result<(), StoreError> {
    match sign {
        Sign::Add => write_postings(transaction, &derived.postings)?,
        Sign::Subtract => remove_postings(transaction, &derived.postings)?,
    }
    match sign {
        Sign::Add => append_facts(transaction, &derived.facts)?,
        Sign::Subtract => {
            let ids: Vec<u64> = derived.facts.iter().map(|fact| fact.id).collect();
            remove_facts(transaction, &ids)?;
        }
    }
    if sign == Sign::Add && !derived.rule_messages.is_empty() {
        // labels are kept after a purge: they name rules, they count nothing
        let mut messages = transaction.open_table(RULE_MESSAGES)?;
        for (rule, message) in &derived.rule_messages {
            messages.insert(*rule, message.as_str())?;
        }
    }
    if !derived.sensors.is_empty() {
        let mut activities = transaction.open_table(SENSOR_ACTIVITY)?;
        for (sensor, delta) in &derived.sensors {
            let mut activity = match activities.get(sensor.as_str())? {
                Some(stored) => serde_json::from_slice(stored.value()).unwrap_or_default(),
                None => crate::stats::SensorActivity::default(),
            };
            match sign {
                Sign::Add => activity.merge(delta),
                Sign::Subtract => activity.unmerge(delta),
            }
            activities.insert(sensor.as_str(), serde_json::to_vec(&activity).expect("serialises").as_slice())?;
        }
        let mut minutes = transaction.open_table(SENSOR_MINUTES)?;
        for ((sensor, minute), delta) in &derived.sensor_minutes {
            let stored = minutes.get((sensor.as_str(), *minute))?.map(|value| value.value()).unwrap_or(0);
            let total = match sign {
                Sign::Add => stored + delta,
                Sign::Subtract => stored.saturating_sub(*delta),
            };
            if total > 0 {
                minutes.insert((sensor.as_str(), *minute), total)?;
            } else {
                minutes.remove((sensor.as_str(), *minute))?;
            }
        }
    }
    Ok(())
}

fn write_postings(transaction: &WriteTransaction, batch: &PostingsBatch) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut index = transaction.open_table(POSTINGS)?;
    for (field, value, first, rest) in batch.rows() {
        index.insert((field, value, first), rest.as_slice())?;
    }
    Ok(())
}

/// Takes the ids of `batch` out of the posting rows that hold them: a row left empty is
/// deleted, a row whose first id went is keyed by its new first id.
fn remove_postings(transaction: &WriteTransaction, batch: &PostingsBatch) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut index = transaction.open_table(POSTINGS)?;
    for (field, value, gone) in batch.lists() {
        let Some(&last_gone) = gone.last() else { continue };
        // rows whose first id is at most the newest id going; older rows first
        let mut changed: Vec<(u64, Vec<u64>)> = Vec::new();
        for row in index.range((field, value, 0u64)..=(field, value, last_gone))? {
            let (key, ids) = row?;
            let first = key.value().2;
            let ids = postings::decode_ids(first, ids.value());
            let kept: Vec<u64> = ids.iter().copied().filter(|id| gone.binary_search(id).is_err()).collect();
            if kept.len() != ids.len() {
                changed.push((first, kept));
            }
        }
        for (first, kept) in changed {
            index.remove((field, value, first))?;
            if let Some(&new_first) = kept.first() {
                index.insert((field, value, new_first), postings::encode_ids(&kept).as_slice())?;
            }
        }
    }
    Ok(())
}
