//! Dashboard reads: `/api/v1/stats` from the per-minute counters, or by scanning the events
//! a filter selects (the same scan `/api/v1/events` pages through).

use super::events::{decode_summary, indexed_through, minute_counts_in, minute_of};
use super::tables::*;
use super::{Store, StoreError};
use crate::filter::EventFilter;
use crate::stats::{stat_keys, ActionCounts, StatsAccumulator, StatsAnswer};
use redb::ReadableDatabase;

/// Most matching events a scan counts; past it the answer says `complete: false`.
pub const SCAN_STATS_BUDGET: usize = 500_000;

impl Store {
    /// Statistics of the events with event time in `[from_minute, to_minute)`, from the
    /// counters (plus the events not flushed into them yet).
    pub fn counter_stats(&self, from_minute: u64, to_minute: u64, bin_minutes: u64, top: usize) -> Result<StatsAnswer, StoreError> {
        let mut accumulator = StatsAccumulator::default();
        // one snapshot for every table, so totals and top lists agree
        let transaction = self.database().begin_read()?;
        for (minute, counts) in minute_counts_in(&transaction, from_minute, to_minute)? {
            accumulator.add_minute(minute, &counts);
        }
        let stats = transaction.open_table(STATS_PER_MINUTE)?;
        let empty: &[u8] = &[];
        for row in stats.range((from_minute, 0u8, empty)..(to_minute, 0u8, empty))? {
            let (key, counts) = row?;
            let (_, dimension, value) = key.value();
            accumulator.add_value(dimension, value.to_vec(), &ActionCounts::decode(counts.value()));
        }
        // events above the watermark are in `minute_counts` already, not yet in STATS
        let through = indexed_through(&transaction.open_table(META)?)?;
        let events = transaction.open_table(EVENTS)?;
        for entry in events.range(through.saturating_add(1)..)? {
            let (key, value) = entry?;
            let summary = decode_summary(key.value(), value.value())?;
            if (from_minute..to_minute).contains(&minute_of(&summary)) {
                let counts = ActionCounts::of(summary.action);
                for (dimension, value) in stat_keys(&summary) {
                    accumulator.add_value(dimension, value, &counts);
                }
                accumulator.add_rule_label(&summary);
            }
        }
        let messages = transaction.open_table(RULE_MESSAGES)?;
        for rule in accumulator.top_rules(top) {
            if let Some(message) = messages.get(rule)? {
                accumulator.set_rule_label(rule, message.value().to_owned());
            }
        }
        Ok(accumulator.finish(from_minute, to_minute, bin_minutes, top, "counters", true))
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
        Ok(accumulator.finish(from_minute, to_minute, bin_minutes, top, "scan", complete))
    }
}
