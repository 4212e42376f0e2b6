//! Derived data written behind the durable acknowledgement: index postings and fact blocks
//! of committed events are kept in memory by the writer and flushed every
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

use super::postings::{IndexKey, PostingsBatch};
use crate::facts::Fact;
use crate::stats::{SensorActivity, received_minute};
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
    /// The dashboard's facts, ids ascending.
    pub(super) facts: Vec<Fact>,
    /// Newest message of each top rule.
    pub(super) rule_messages: BTreeMap<u32, String>,
    pub(super) sensors: BTreeMap<String, SensorActivity>,
    /// (sensor, minute of arrival) → events.
    pub(super) sensor_minutes: BTreeMap<(String, u64), u64>,
    pub(super) events: usize,
    oldest: Option<Instant>,
    limits: FlushLimits,
}

/// When the writer flushes the buffer: after `interval`, or once `events` are waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushLimits {
    pub interval: Duration,
    pub events: usize,
}

impl Default for FlushLimits {
    fn default() -> FlushLimits {
        FlushLimits { interval: FLUSH_INTERVAL, events: FLUSH_EVENTS }
    }
}

impl FlushLimits {
    /// Only when asked (`Writer::flush_index`), at a stop, or past a day or a million events:
    /// tests that read the unflushed tail on purpose.
    pub const ON_REQUEST: FlushLimits = FlushLimits { interval: Duration::from_secs(86_400), events: 1 << 20 };
}

impl DeferredIndex {
    /// A buffer with other flush limits (tests: `events = 0` flushes with every batch).
    pub fn with_limits(interval: Duration, events: usize) -> DeferredIndex {
        DeferredIndex::flushed_at(FlushLimits { interval, events })
    }

    /// An empty buffer flushed at `limits`.
    pub fn flushed_at(limits: FlushLimits) -> DeferredIndex {
        DeferredIndex { limits, ..DeferredIndex::default() }
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
    /// `fact` is the event's (its id is set here).
    pub(super) fn add(&mut self, summary: &EventSummary, index_keys: &[IndexKey], mut fact: Fact) {
        self.postings.add(index_keys, summary.id);
        fact.id = summary.id;
        self.facts.push(fact);
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
        self.facts.extend(later.facts);
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
