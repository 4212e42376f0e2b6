//! Dashboard statistics (pure): the dimensions an event is counted under, and the accumulator
//! that turns fact blocks (`facts.rs`), or event summaries, into `/api/v1/stats` answers.
//!
//! Both sources go through [`StatsAccumulator`], so an answer computed from the fact blocks
//! and one computed by scanning summaries for the same events are equal by construction
//! (tested in `facts.rs` and `server/tests/stats.rs`).

pub use app::model::{ActionCounts, StatsAnswer, TimelineBin, TopEntry};
use app::model::{EventSummary, Severity};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What the top lists count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Dimension {
    Rule = 0,
    ClientIp = 1,
    Host = 2,
    /// The URI up to `?`, at most [`MAX_PATH_BYTES`].
    Path = 3,
    Sensor = 4,
    /// Decimal, or `none`.
    Status = 5,
    /// Lowercase label, or `none`.
    Severity = 6,
    /// Inbound anomaly score in decimal, or `none`.
    Score = 7,
}

impl Dimension {
    pub const ALL: [Dimension; 8] =
        [Dimension::Rule, Dimension::ClientIp, Dimension::Host, Dimension::Path, Dimension::Sensor, Dimension::Status, Dimension::Severity, Dimension::Score];
}

/// Longest path counted (longer ones are cut at a character boundary).
pub const MAX_PATH_BYTES: usize = 256;
/// Value of a dimension the event does not have.
pub const NONE: &str = "none";

/// The (dimension, value) pairs an event is counted under.
pub fn stat_keys(summary: &EventSummary) -> Vec<(u8, Vec<u8>)> {
    let mut keys = Vec::with_capacity(7 + summary.rule_ids.len());
    let mut push = |dimension: Dimension, value: String| {
        let key = (dimension as u8, value.into_bytes());
        if !keys.contains(&key) {
            keys.push(key);
        }
    };
    for rule in &summary.rule_ids {
        push(Dimension::Rule, rule.to_string());
    }
    push(Dimension::ClientIp, summary.client_ip.clone());
    push(Dimension::Host, summary.host.to_ascii_lowercase());
    push(Dimension::Path, path_of(&summary.uri).to_owned());
    push(Dimension::Sensor, summary.sensor.clone());
    push(Dimension::Status, status_value(summary.status));
    push(Dimension::Severity, severity_value(summary.max_severity));
    push(Dimension::Score, score_value(summary.anomaly_score));
    keys
}

/// How a status is counted: decimal, or `none`.
pub fn status_value(status: Option<u16>) -> String {
    status.map_or_else(|| NONE.to_owned(), |status| status.to_string())
}

/// How a severity is counted: its label, or `none`.
pub fn severity_value(severity: Option<Severity>) -> String {
    severity.map_or_else(|| NONE.to_owned(), |severity| severity.label().to_owned())
}

/// How an anomaly score is counted: decimal, or `none`.
pub fn score_value(score: Option<u32>) -> String {
    score.map_or_else(|| NONE.to_owned(), |score| score.to_string())
}

/// The dashboard's minute of an event: its own time, else when it was received.
pub fn minute_of(summary: &EventSummary) -> u64 {
    (summary.time.unwrap_or(summary.received_at).max(0) / 60_000_000) as u64
}

/// The URI up to `?`, at most [`MAX_PATH_BYTES`] (cut at a character boundary).
pub fn path_of(uri: &str) -> &str {
    let path = uri.split('?').next().unwrap_or_default();
    let mut end = path.len().min(MAX_PATH_BYTES);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

/// Counts by value of one dimension. Values of up to 15 bytes (IPv4 addresses, hosts, rule
/// ids, statuses, scores) are keyed by the value packed into a `u128`, longer ones by their
/// bytes: merging a block's dictionary into the answer is a hash lookup per distinct value, and
/// with heap keys most of a 24 h answer went into following and comparing them.
#[derive(Debug, Default)]
struct ValueCounts {
    short: FxHashMap<u128, ActionCounts>,
    long: FxHashMap<Vec<u8>, ActionCounts>,
}

/// Bytes 0..15 hold the value, byte 15 its length.
const SHORT_VALUE: usize = 15;

impl ValueCounts {
    fn add(&mut self, value: &[u8], counts: &ActionCounts) {
        if value.len() <= SHORT_VALUE {
            let mut key = [0u8; 16];
            key[..value.len()].copy_from_slice(value);
            key[SHORT_VALUE] = value.len() as u8;
            self.short.entry(u128::from_le_bytes(key)).or_default().add(counts);
            return;
        }
        // (look up before allocating: most values are known already)
        match self.long.get_mut(value) {
            Some(known) => known.add(counts),
            None => self.long.entry(value.to_vec()).or_default().add(counts),
        }
    }

    fn iter(&self) -> impl Iterator<Item = (Value<'_>, &ActionCounts)> {
        let short = self.short.iter().map(|(key, counts)| (Value::Short(key.to_le_bytes()), counts));
        short.chain(self.long.iter().map(|(value, counts)| (Value::Long(value), counts)))
    }
}

/// A counted value as [`ValueCounts`] keeps it.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Short([u8; 16]),
    Long(&'a [u8]),
}

impl Value<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Value::Short(key) => &key[..usize::from(key[SHORT_VALUE]).min(SHORT_VALUE)],
            Value::Long(value) => value,
        }
    }
}

/// Adds up fact blocks or events of one window.
#[derive(Debug, Default)]
pub struct StatsAccumulator {
    totals: ActionCounts,
    minutes: BTreeMap<u64, ActionCounts>,
    /// per dimension (by its code): value → counts
    values: [ValueCounts; Dimension::ALL.len()],
    rule_labels: HashMap<u32, (u64, String)>,
}

impl StatsAccumulator {
    /// One event (the scan path).
    pub fn add_event(&mut self, summary: &EventSummary, minute: u64) {
        let counts = ActionCounts::of(summary.action);
        self.add_minute(minute, &counts);
        for (dimension, value) in stat_keys(summary) {
            self.add_value(dimension, &value, &counts);
        }
        self.add_rule_label(summary);
    }

    /// The action counts of one minute.
    pub fn add_minute(&mut self, minute: u64, counts: &ActionCounts) {
        self.totals.add(counts);
        self.minutes.entry(minute).or_default().add(counts);
    }

    /// The counts of one value.
    pub fn add_value(&mut self, dimension: u8, value: &[u8], counts: &ActionCounts) {
        // (look up before allocating: most rows of a long window repeat a known value)
        if let Some(values) = self.values.get_mut(usize::from(dimension)) {
            values.add(value, counts);
        }
    }

    /// Remembers the newest message of each rule (top rule of the event only).
    pub fn add_rule_label(&mut self, summary: &EventSummary) {
        if let (Some(rule), Some(message)) = (summary.top_rule, summary.top_message.as_ref()) {
            let entry = self.rule_labels.entry(rule).or_insert((0, String::new()));
            if summary.id >= entry.0 {
                *entry = (summary.id, message.clone());
            }
        }
    }

    /// A rule's message from the store (the fact path; newer than any seen here).
    pub fn set_rule_label(&mut self, rule: u32, message: String) {
        self.rule_labels.insert(rule, (u64::MAX, message));
    }

    /// The action counts of each minute added so far.
    pub fn minutes(&self) -> &BTreeMap<u64, ActionCounts> {
        &self.minutes
    }

    /// The rule ids of the top list.
    pub fn top_rules(&self, top: usize) -> Vec<u32> {
        self.top(Dimension::Rule, top).into_iter().filter_map(|entry| entry.value.parse().ok()).collect()
    }

    fn top(&self, dimension: Dimension, top: usize) -> Vec<TopEntry> {
        let entry =
            |(value, counts): (Value<'_>, &ActionCounts)| TopEntry { value: String::from_utf8_lossy(value.bytes()).into_owned(), label: None, counts: *counts };
        let mut values: Vec<(Value<'_>, &ActionCounts)> = self.values[dimension as usize].iter().collect();
        if dimension == Dimension::Score {
            let mut entries: Vec<TopEntry> = values.into_iter().map(entry).collect();
            entries.sort_by_key(|entry| entry.value.parse::<u64>().unwrap_or(u64::MAX));
            return entries;
        }
        // most counted first, ties by value (values are UTF-8: byte order is text order); only
        // the top ones become strings
        let order = |a: &(Value<'_>, &ActionCounts), b: &(Value<'_>, &ActionCounts)| b.1.total.cmp(&a.1.total).then_with(|| a.0.bytes().cmp(b.0.bytes()));
        if values.len() > top && top > 0 {
            values.select_nth_unstable_by(top - 1, order);
            values.truncate(top);
        }
        values.sort_by(order);
        values.truncate(top);
        values.into_iter().map(entry).collect()
    }

    /// The answer for `[from_minute, to_minute)` with bins of `bin_minutes`.
    pub fn finish(self, from_minute: u64, to_minute: u64, bin_minutes: u64, top: usize, source: &'static str, complete: bool) -> StatsAnswer {
        let bin_minutes = bin_minutes.max(1);
        let mut timeline = Vec::new();
        let mut start = from_minute;
        let mut minutes = self.minutes.range(from_minute..to_minute).peekable();
        while start < to_minute {
            let end = start.saturating_add(bin_minutes).min(to_minute);
            let mut counts = ActionCounts::default();
            while let Some((_, minute_counts)) = minutes.next_if(|(minute, _)| **minute < end) {
                counts.add(minute_counts);
            }
            timeline.push(TimelineBin { start: minute_start(start), counts });
            start = end;
        }
        let mut rules = self.top(Dimension::Rule, top);
        for entry in &mut rules {
            entry.label = entry.value.parse::<u32>().ok().and_then(|rule| self.rule_labels.get(&rule)).map(|(_, label)| label.clone());
        }
        StatsAnswer {
            from: minute_start(from_minute),
            to: minute_start(to_minute),
            bin_seconds: bin_minutes * 60,
            totals: self.totals,
            timeline,
            rules,
            client_ips: self.top(Dimension::ClientIp, top),
            hosts: self.top(Dimension::Host, top),
            paths: self.top(Dimension::Path, top),
            sensors: self.top(Dimension::Sensor, top),
            statuses: self.top(Dimension::Status, top),
            severities: self.top(Dimension::Severity, top),
            scores: self.top(Dimension::Score, usize::MAX),
            source: source.to_owned(),
            complete,
        }
    }
}

fn minute_start(minute: u64) -> i64 {
    i64::try_from(minute).unwrap_or(i64::MAX / 60_000_000).saturating_mul(60_000_000)
}

/// What a sensor's stored events add up to (`SENSOR_ACTIVITY`, merged at each flush).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SensorActivity {
    pub events: u64,
    pub warnings: u64,
    /// Largest `received_at` (µs) and the skew of that event (received − event time, µs).
    pub last_seen: Option<i64>,
    pub last_skew: Option<i64>,
}

impl SensorActivity {
    pub fn add(&mut self, summary: &EventSummary) {
        self.events += 1;
        self.warnings += u64::from(summary.warning_count > 0);
        if self.last_seen.is_none_or(|seen| summary.received_at >= seen) {
            self.last_seen = Some(summary.received_at);
            self.last_skew = summary.time.map(|time| summary.received_at - time);
        }
    }

    /// Takes purged events away (last seen and skew stay: they describe the sensor).
    pub fn unmerge(&mut self, gone: &SensorActivity) {
        self.events = self.events.saturating_sub(gone.events);
        self.warnings = self.warnings.saturating_sub(gone.warnings);
    }

    pub fn merge(&mut self, later: &SensorActivity) {
        self.events += later.events;
        self.warnings += later.warnings;
        if later.last_seen.is_some() && later.last_seen >= self.last_seen {
            self.last_seen = later.last_seen;
            self.last_skew = later.last_skew;
        }
    }
}

/// Minute of `received_at` (the sensors' activity is by arrival, the dashboard by event time).
pub fn received_minute(summary: &EventSummary) -> u64 {
    (summary.received_at.max(0) / 60_000_000) as u64
}

/// Bin width for a window of `minutes`: at most about 200 bins, in steps an axis can label.
pub fn bin_minutes_for(minutes: u64) -> u64 {
    const STEPS: [u64; 10] = [1, 5, 10, 15, 30, 60, 180, 360, 720, 1440];
    STEPS.into_iter().find(|step| minutes.div_ceil(*step) <= 200).unwrap_or(minutes.div_ceil(200).max(1440))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_values_are_counted_apart_and_read_back() {
        let mut counts = ValueCounts::default();
        let one = ActionCounts::of(app::model::Action::Blocked);
        let values: [&[u8]; 6] = [b"", b"a", b"a\0", b"203.0.113.255", b"123456789012345", b"1234567890123456"];
        for (times, value) in values.iter().enumerate() {
            for _ in 0..=times {
                counts.add(value, &one);
            }
        }
        let mut read: Vec<(Vec<u8>, u64)> = counts.iter().map(|(value, counted)| (value.bytes().to_vec(), counted.total)).collect();
        read.sort();
        let mut expected: Vec<(Vec<u8>, u64)> = values.iter().enumerate().map(|(times, value)| (value.to_vec(), times as u64 + 1)).collect();
        expected.sort();
        assert_eq!(read, expected);
        assert_eq!((counts.short.len(), counts.long.len()), (5, 1));
    }

    #[test]
    fn bins_stay_readable() {
        assert_eq!(bin_minutes_for(15), 1);
        assert_eq!(bin_minutes_for(60), 1);
        assert_eq!(bin_minutes_for(24 * 60), 10);
        assert_eq!(bin_minutes_for(7 * 24 * 60), 60);
        assert_eq!(bin_minutes_for(90 * 24 * 60), 720);
    }

    #[test]
    fn paths_drop_the_query_and_are_cut_at_a_character() {
        assert_eq!(path_of("/a/b?x=<script>"), "/a/b");
        let long = format!("/{}", "é".repeat(200));
        assert!(path_of(&long).len() <= MAX_PATH_BYTES && long.starts_with(path_of(&long)));
    }
}
