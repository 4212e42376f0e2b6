//! Dashboard reads: `/api/v1/stats` from the fact blocks, or by scanning the events a filter
//! selects (the same scan `/api/v1/events` pages through), and sensor health.

use super::events::for_each_unindexed;
use super::facts::visit_blocks;
use super::tables::*;
use super::{Store, StoreError};
use crate::facts::FactQuery;
use crate::filter::EventFilter;
use crate::stats::{ActionCounts, SensorActivity, StatsAccumulator, StatsAnswer, minute_of, received_minute};
use app::model::SensorHealth;
use redb::{ReadableDatabase, ReadableTable};
use std::collections::{HashMap, HashSet};

/// Most matching events a scan counts; past it the answer says `complete: false`.
pub const SCAN_STATS_BUDGET: usize = 500_000;

impl Store {
    /// Statistics of the events `filter` selects with event time in `[from_minute,
    /// to_minute)` (its `from`/`to` must be that window; see `FactQuery::supports` for the
    /// filters), from the fact blocks of the window plus the events not flushed into them yet.
    pub fn fact_stats(&self, filter: &EventFilter, from_minute: u64, to_minute: u64, bin_minutes: u64, top: usize) -> Result<StatsAnswer, StoreError> {
        let mut accumulator = StatsAccumulator::default();
        // one snapshot for every table, so totals and top lists agree
        let transaction = self.database()?.begin_read()?;
        self.accumulate_facts(&transaction, filter, from_minute, to_minute, bin_minutes, &mut accumulator)?;
        label_top_rules(&transaction, &mut accumulator, top)?;
        Ok(accumulator.finish(from_minute, to_minute, bin_minutes, top, "facts", true))
    }

    fn accumulate_facts(
        &self,
        transaction: &redb::ReadTransaction,
        filter: &EventFilter,
        from_minute: u64,
        to_minute: u64,
        bin_minutes: u64,
        accumulator: &mut StatsAccumulator,
    ) -> Result<(), StoreError> {
        let preserved = preserved_ids(transaction, filter)?;
        let query = FactQuery { filter, from_minute, to_minute, bin_minutes, preserved: preserved.as_ref() };
        visit_blocks(transaction, from_minute, to_minute, |block| query.accumulate(block, accumulator))?;
        // plus the events not flushed into the blocks yet
        for_each_unindexed(transaction, |summary| {
            if filter.matches(&summary) {
                accumulator.add_event(&summary, minute_of(&summary));
            }
        })?;
        Ok(())
    }

    /// How many events each fact block holds, oldest block first.
    pub fn fact_block_sizes(&self) -> Result<Vec<u32>, StoreError> {
        super::facts::block_sizes(&self.database()?.begin_read()?)
    }

    /// Events per minute of event time in `[from_minute, to_minute)`, by action.
    pub fn minute_counts(&self, from_minute: u64, to_minute: u64) -> Result<Vec<(u64, ActionCounts)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let mut accumulator = StatsAccumulator::default();
        let window = EventFilter {
            from: Some(i64::try_from(from_minute.saturating_mul(60_000_000)).unwrap_or(i64::MAX)),
            to: Some(i64::try_from(to_minute.saturating_mul(60_000_000)).unwrap_or(i64::MAX)),
            ..EventFilter::default()
        };
        self.accumulate_facts(&transaction, &window, from_minute, to_minute, 1, &mut accumulator)?;
        Ok(accumulator.minutes().iter().map(|(minute, counts)| (*minute, *counts)).collect())
    }

    /// Statistics of the events `filter` selects (its `from`/`to` should be the window), by
    /// paging through them exactly as `/api/v1/events` does.
    pub fn scan_stats(&self, filter: &EventFilter, from_minute: u64, to_minute: u64, bin_minutes: u64, top: usize) -> Result<StatsAnswer, StoreError> {
        let mut accumulator = StatsAccumulator::default();
        let mut counted = 0usize;
        let mut before = None;
        let complete = loop {
            let (page, next_before) = self.list_events(filter, before, 1000)?;
            for summary in &page {
                accumulator.add_event(summary, minute_of(summary));
            }
            counted += page.len();
            match next_before {
                None => break true,
                Some(_) if counted >= SCAN_STATS_BUDGET => break false,
                Some(next) => before = Some(next),
            }
        };
        label_top_rules(&self.database()?.begin_read()?, &mut accumulator, top)?;
        Ok(accumulator.finish(from_minute, to_minute, bin_minutes, top, "scan", complete))
    }

    /// Events that arrived in minutes `from_minute..` (from the sensors' per-minute counts,
    /// flushed and not).
    pub fn arrivals_since(&self, from_minute: u64) -> Result<u64, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let activities = transaction.open_table(SENSOR_ACTIVITY)?;
        let minutes = transaction.open_table(SENSOR_MINUTES)?;
        let mut total = 0;
        for entry in activities.iter()? {
            let (sensor, _) = entry?;
            for row in minutes.range((sensor.value(), from_minute)..=(sensor.value(), u64::MAX))? {
                total += row?.1.value();
            }
        }
        for_each_unindexed(&transaction, |summary| {
            if received_minute(&summary) >= from_minute {
                total += 1;
            }
        })?;
        Ok(total)
    }

    /// Health of every sensor at `now` (µs): activity from `SENSOR_ACTIVITY` and
    /// `SENSOR_MINUTES` plus the events not flushed into them yet, and the recorded 409s.
    /// `auth_failures` are the server's in-memory counts by (name, record `created_at`).
    /// What happened before a sensor's record was created is not its own (a removed sensor's,
    /// re-added under its name) and is left out.
    pub fn sensor_health(&self, now: i64, auth_failures: &HashMap<(String, u64), u64>) -> Result<Vec<SensorHealth>, StoreError> {
        const MINUTES: u64 = 60;
        let now_minute = (now.max(0) / 60_000_000) as u64;
        let first_minute = now_minute.saturating_add(1).saturating_sub(MINUTES);
        let transaction = self.database()?.begin_read()?;
        let sensors = self.list_sensors()?;
        // µs since which each sensor's record exists
        let since: HashMap<&str, i64> = sensors.iter().map(|(name, record)| (name.as_str(), record.created_at as i64 * 1_000_000)).collect();
        let mut activity: HashMap<String, SensorActivity> = HashMap::new();
        let mut per_minute: HashMap<String, Vec<u64>> = HashMap::new();
        let activities = transaction.open_table(SENSOR_ACTIVITY)?;
        let minutes = transaction.open_table(SENSOR_MINUTES)?;
        for (name, _) in &sensors {
            let since = since[name.as_str()];
            if let Some(stored) = activities.get(name.as_str())? {
                let stored: SensorActivity =
                    serde_json::from_slice(stored.value()).map_err(|error| StoreError::Corrupt(format!("sensor activity: {error}")))?;
                // (an aggregate: it is the record's own only if it went on after its creation)
                if stored.last_seen.is_some_and(|last| last >= since) {
                    activity.insert(name.clone(), stored);
                }
            }
            let mut counts = vec![0u64; MINUTES as usize];
            let from = first_minute.max((since.max(0) / 60_000_000) as u64);
            for row in minutes.range((name.as_str(), from)..=(name.as_str(), now_minute))? {
                let (key, count) = row?;
                counts[(key.value().1 - first_minute) as usize] += count.value();
            }
            per_minute.insert(name.clone(), counts);
        }
        for_each_unindexed(&transaction, |summary| {
            if since.get(summary.sensor.as_str()).is_none_or(|since| summary.received_at < *since) {
                return;
            }
            activity.entry(summary.sensor.clone()).or_default().add(&summary);
            let minute = received_minute(&summary);
            if let Some(counts) = per_minute.get_mut(&summary.sensor).filter(|_| (first_minute..=now_minute).contains(&minute)) {
                counts[(minute - first_minute) as usize] += 1;
            }
        })?;
        let mut rejected: HashMap<String, u64> = HashMap::new();
        for rejection in self.list_rejections(usize::MAX)? {
            if since.get(rejection.sensor.as_str()).is_some_and(|since| rejection.at >= *since) {
                *rejected.entry(rejection.sensor).or_default() += 1;
            }
        }
        Ok(sensors
            .iter()
            .map(|(name, record)| {
                let seen = activity.get(name).copied().unwrap_or_default();
                let mut events_per_minute = per_minute.remove(name).unwrap_or_default();
                if seen.last_seen.is_none() {
                    // minutes are coarse: the creation minute may hold the removed one's events
                    events_per_minute.fill(0);
                }
                SensorHealth {
                    created_at: record.created_at,
                    last_seen: seen.last_seen,
                    silent_minutes: seen.last_seen.map(|last| ((now - last).max(0) / 60_000_000) as u64),
                    events_total: seen.events,
                    events_per_minute,
                    rejected_uploads: rejected.get(name).copied().unwrap_or(0),
                    auth_failures: auth_failures.get(&(name.clone(), record.created_at)).copied().unwrap_or(0),
                    parse_warnings: seen.warnings,
                    clock_skew_seconds: seen.last_skew.map(|skew| skew as f64 / 1e6),
                    name: name.clone(),
                }
            })
            .collect())
    }
}

/// The preserved ids when `filter` filters on `preserved` (blocks do not hold the mark).
pub(super) fn preserved_ids(transaction: &redb::ReadTransaction, filter: &EventFilter) -> Result<Option<HashSet<u64>>, StoreError> {
    if filter.preserved.is_none() {
        return Ok(None);
    }
    let mut ids = HashSet::new();
    for entry in transaction.open_table(PRESERVED)?.iter()? {
        ids.insert(entry?.0.value());
    }
    Ok(Some(ids))
}

/// Labels the top rules with the newest message stored for them: `RULE_MESSAGES` holds every
/// rule's as of the last flush; the events not flushed yet (counted in the answer already) are
/// newer, and their summaries hold their top rule's message, which wins.
fn label_top_rules(transaction: &redb::ReadTransaction, accumulator: &mut StatsAccumulator, top: usize) -> Result<(), StoreError> {
    let rules = accumulator.top_rules(top);
    let mut newest: HashMap<u32, String> = HashMap::new();
    for_each_unindexed(transaction, |summary| {
        if let (Some(rule), Some(message)) = (summary.top_rule, summary.top_message)
            && rules.contains(&rule)
        {
            // the tail is visited oldest first: the last one is the newest
            newest.insert(rule, message);
        }
    })?;
    let messages = transaction.open_table(RULE_MESSAGES)?;
    for rule in rules {
        let label = match newest.remove(&rule) {
            Some(message) => Some(message),
            None => messages.get(rule)?.map(|message| message.value().to_owned()),
        };
        if let Some(label) = label {
            accumulator.set_rule_label(rule, label);
        }
    }
    Ok(())
}
