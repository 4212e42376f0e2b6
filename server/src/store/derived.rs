//! Writing the rows derived from events (postings, minute counters, dashboard counters and
//! their roll-ups, rule labels, sensor activity and minutes): added behind the acknowledgement
//! by the deferred flush, and taken away again when retention purges the events.
//! Counter rows that fall to zero are deleted, so a purged store holds no dead counters.

use super::deferred::DeferredIndex;
use super::events::MinuteCounts;
use super::postings::{self, PostingsBatch};
use super::tables::*;
use super::StoreError;
use redb::{ReadableTable, WriteTransaction};
use std::collections::BTreeMap;

/// Whether rows are added (ingest, re-index) or taken away (purge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    Add,
    Subtract,
}

/// `stored` changed by `delta`; `None` when nothing is left (the row is deleted).
fn apply_counts(stored: Option<MinuteCounts>, delta: &MinuteCounts, sign: Sign) -> Option<MinuteCounts> {
    let mut total = stored.unwrap_or_default();
    match sign {
        Sign::Add => total.add(delta),
        Sign::Subtract => total.subtract(delta),
    }
    (total.total > 0).then_some(total)
}

/// Writes (or takes away) everything `derived` holds.
pub(super) fn write_derived(transaction: &WriteTransaction, derived: &DeferredIndex, sign: Sign) -> Result<(), StoreError> {
    match sign {
        Sign::Add => write_postings(transaction, &derived.postings)?,
        Sign::Subtract => remove_postings(transaction, &derived.postings)?,
    }
    apply_minute_counts(transaction, &derived.minutes, sign)?;
    if !derived.stats.is_empty() {
        for tier in crate::stats::TIERS {
            // the minute rows rolled up into this tier's buckets
            let mut rolled: BTreeMap<(u64, u8, &[u8]), MinuteCounts> = BTreeMap::new();
            for ((minute, dimension, value), delta) in &derived.stats {
                rolled.entry((minute / tier * tier, *dimension, value.as_slice())).or_default().add(delta);
            }
            apply_stats(transaction, tier, &rolled, sign)?;
            let mut table = transaction.open_table(scoped_stats_table(tier))?;
            for ((scope, scope_value), rows) in &derived.scoped {
                let mut rolled: BTreeMap<(u64, u8, &[u8]), MinuteCounts> = BTreeMap::new();
                for ((minute, dimension, value), delta) in rows {
                    rolled.entry((minute / tier * tier, *dimension, value.as_slice())).or_default().add(delta);
                }
                for ((bucket, dimension, value), delta) in rolled {
                    let key = (*scope, scope_value.as_slice(), bucket, dimension, value);
                    let stored = table.get(key)?.map(|stored| crate::stats::decode_counts(stored.value()));
                    match apply_counts(stored, &delta, sign) {
                        Some(total) => table.insert(key, crate::stats::encode_counts(&total).as_slice())?,
                        None => table.remove(key)?,
                    };
                }
            }
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

/// Adds (or takes away) `rows` to the counters of `tier` (see `stats::TIERS`).
fn apply_stats(transaction: &WriteTransaction, tier: u64, rows: &BTreeMap<(u64, u8, &[u8]), MinuteCounts>, sign: Sign) -> Result<(), StoreError> {
    let mut stats = transaction.open_table(stats_table(tier))?;
    for (key, delta) in rows {
        let stored = stats.get(*key)?.map(|stored| crate::stats::decode_counts(stored.value()));
        match apply_counts(stored, delta, sign) {
            Some(total) => stats.insert(*key, crate::stats::encode_counts(&total).as_slice())?,
            None => stats.remove(*key)?,
        };
    }
    Ok(())
}

fn apply_minute_counts(transaction: &WriteTransaction, minutes: &BTreeMap<u64, MinuteCounts>, sign: Sign) -> Result<(), StoreError> {
    if minutes.is_empty() {
        return Ok(());
    }
    let mut counts = transaction.open_table(COUNTS_PER_MINUTE)?;
    for (minute, delta) in minutes {
        let stored = counts.get(*minute)?.map(|value| crate::stats::decode_counts(value.value()));
        match apply_counts(stored, delta, sign) {
            Some(total) => counts.insert(*minute, crate::stats::encode_counts(&total).as_slice())?,
            None => counts.remove(*minute)?,
        };
    }
    Ok(())
}
