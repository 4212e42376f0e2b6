//! Derived data written behind the durable acknowledgement: index postings and minute
//! counters of committed events are kept in memory by the writer and flushed every
//! [`FLUSH_INTERVAL`] or [`FLUSH_EVENTS`] events, inside a write transaction that also
//! records the `indexed_through` watermark in `META`.
//!
//! Why: an upload's commit must be durable before mlogc hears 200, and redb writes every
//! dirty page of a commit with its own `pwrite`; the index rows of a batch are scattered over
//! the index (one per distinct value), so writing them with every small batch made commits
//! two to three times larger. Deferred, one flush writes one row per distinct value for
//! thousands of events.
//!
//! Nothing is lost: every event is in `EVENTS` (durable) before it is acknowledged. Readers
//! scan the events above the watermark directly (`Store::list_events`, `Store::minute_counts`),
//! and on start the writer re-indexes them from `EVENTS` (`Store::index_tail`).

use super::events::MinuteCounts;
use super::postings::{IndexKey, PostingsBatch};
use crate::stats::{received_minute, SensorActivity};
use app::model::EventSummary;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Longest time committed events wait for their index rows.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(500);
/// Most events waiting for their index rows.
pub const FLUSH_EVENTS: usize = 8192;

/// `META` key of the watermark: every event id ≤ it has its postings and counters written.
pub const INDEXED_THROUGH_KEY: &str = "indexed_through";

/// The postings and counters of committed events not yet written.
#[derive(Debug, Default)]
pub struct DeferredIndex {
    pub(super) postings: PostingsBatch,
    pub(super) minutes: BTreeMap<u64, MinuteCounts>,
    /// Dashboard counters: (minute, dimension, value) → counts.
    pub(super) stats: BTreeMap<(u64, u8, Vec<u8>), MinuteCounts>,
    /// The same within each scope (`stats::SCOPES`): (scope, scope value) → (minute, dimension,
    /// value) → counts.
    pub(super) scoped: BTreeMap<(u8, Vec<u8>), BTreeMap<(u64, u8, Vec<u8>), MinuteCounts>>,
    /// Newest message of each top rule.
    pub(super) rule_messages: BTreeMap<u32, String>,
    pub(super) sensors: BTreeMap<String, SensorActivity>,
    /// (sensor, minute of arrival) → events.
    pub(super) sensor_minutes: BTreeMap<(String, u64), u64>,
    pub(super) events: usize,
    oldest: Option<Instant>,
    limits: Limits,
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    interval: Duration,
    events: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { interval: FLUSH_INTERVAL, events: FLUSH_EVENTS }
    }
}

impl DeferredIndex {
    /// A buffer with other flush limits (tests: `events = 0` flushes with every batch).
    pub fn with_limits(interval: Duration, events: usize) -> DeferredIndex {
        DeferredIndex { limits: Limits { interval, events }, ..DeferredIndex::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// Whether the next transaction should flush, given `incoming` more events.
    pub fn is_due(&self, incoming: usize) -> bool {
        let total = self.events + incoming;
        total > 0 && (total >= self.limits.events || self.oldest.is_some_and(|oldest| oldest.elapsed() >= self.limits.interval))
    }

    /// How long until the buffer is due by age (`None` when empty).
    pub fn due_in(&self) -> Option<Duration> {
        self.oldest.map(|oldest| self.limits.interval.saturating_sub(oldest.elapsed()))
    }

    /// Adds one stored event (ids ascending).
    pub(super) fn add(&mut self, summary: &EventSummary, index_keys: &[IndexKey], stat_keys: Vec<(u8, Vec<u8>)>, minute: u64) {
        self.postings.add(index_keys, summary.id);
        let counts = MinuteCounts::of(summary.action);
        self.minutes.entry(minute).or_default().add(&counts);
        for (scope, scope_value) in stat_keys.iter().filter(|(dimension, _)| crate::stats::is_scope(*dimension)) {
            let rows = match self.scoped.get_mut(&(*scope, scope_value.clone())) {
                Some(rows) => rows,
                None => self.scoped.entry((*scope, scope_value.clone())).or_default(),
            };
            for (dimension, value) in &stat_keys {
                rows.entry((minute, *dimension, value.clone())).or_default().add(&counts);
            }
        }
        for (dimension, value) in stat_keys {
            self.stats.entry((minute, dimension, value)).or_default().add(&counts);
        }
        if let (Some(rule), Some(message)) = (summary.top_rule, summary.top_message.as_ref()) {
            self.rule_messages.insert(rule, message.clone());
        }
        match self.sensors.get_mut(&summary.sensor) {
            Some(activity) => activity.add(summary),
            None => {
                let mut activity = SensorActivity::default();
                activity.add(summary);
                self.sensors.insert(summary.sensor.clone(), activity);
            }
        }
        *self.sensor_minutes.entry((summary.sensor.clone(), received_minute(summary))).or_default() += 1;
        self.events += 1;
    }

    /// Adds the rows of a batch committed after everything already here.
    pub(super) fn absorb(&mut self, later: DeferredIndex) {
        if later.events == 0 {
            return;
        }
        self.postings.append(later.postings);
        for (minute, counts) in later.minutes {
            self.minutes.entry(minute).or_default().add(&counts);
        }
        for (key, counts) in later.stats {
            self.stats.entry(key).or_default().add(&counts);
        }
        for (scope, rows) in later.scoped {
            let known = self.scoped.entry(scope).or_default();
            for (key, counts) in rows {
                known.entry(key).or_default().add(&counts);
            }
        }
        self.rule_messages.extend(later.rule_messages);
        for (sensor, activity) in later.sensors {
            self.sensors.entry(sensor).or_default().merge(&activity);
        }
        for (key, count) in later.sensor_minutes {
            *self.sensor_minutes.entry(key).or_default() += count;
        }
        self.events += later.events;
        self.oldest.get_or_insert_with(Instant::now);
    }

    /// Empties the buffer after its rows were committed.
    pub(super) fn clear(&mut self) {
        *self = DeferredIndex { limits: self.limits, ..DeferredIndex::default() };
    }
}
