//! Geometry and labels of the dashboard's charts (pure, tested natively): count axes with round
//! ticks, time axes with ticks on wall-clock boundaries of the browser's zone, bars placed on a
//! time scale or in categorical bands, stacks by action, and the buckets of the score histogram.
//!
//! Coordinates are SVG user units; counts grow upwards, so callers subtract from the plot's
//! bottom.

use crate::format::civil;
use crate::model::{Action, ActionCounts, TopEntry};

const MINUTE_US: i64 = 60_000_000;
const DAY_MINUTES: i64 = 24 * 60;

/// A count axis from 0 to `max` with ticks at round values (steps of 1, 2 or 5 × 10ⁿ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountAxis {
    pub max: u64,
    pub ticks: Vec<u64>,
}

impl CountAxis {
    /// The axis for counts up to `largest`, with at most `max_intervals` intervals between ticks.
    pub fn new(largest: u64, max_intervals: usize) -> CountAxis {
        let largest = largest.max(1);
        let intervals = max_intervals.max(1) as u64;
        let mut magnitude = 1u64;
        let step = loop {
            if let Some(step) = [1, 2, 5].into_iter().map(|m| m * magnitude).find(|step| largest.div_ceil(*step) <= intervals) {
                break step;
            }
            magnitude = magnitude.saturating_mul(10);
        };
        let max = largest.div_ceil(step) * step;
        CountAxis { max, ticks: (0..=max / step).map(|index| index * step).collect() }
    }

    /// How far above the axis `count` lies on an axis `length` long.
    pub fn scale(&self, count: u64, length: f64) -> f64 {
        count.min(self.max) as f64 / self.max as f64 * length
    }
}

/// A short count for axis ticks: `950`, `1.5k`, `12k`, `2.3M`.
pub fn count_label(count: u64) -> String {
    fn scaled(value: f64, unit: &str) -> String {
        let rounded = (value * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 || rounded >= 100.0 { format!("{rounded:.0}{unit}") } else { format!("{rounded:.1}{unit}") }
    }
    match count {
        0..1_000 => count.to_string(),
        1_000..1_000_000 => scaled(count as f64 / 1e3, "k"),
        _ => scaled(count as f64 / 1e6, "M"),
    }
}

/// A linear time scale from `from` to `to` (µs since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeScale {
    pub from: i64,
    pub to: i64,
}

impl TimeScale {
    /// The x of instant `at` on an axis `length` long (clamped to the window).
    pub fn x(&self, at: i64, length: f64) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        ((at - self.from) as f64 / span).clamp(0.0, 1.0) * length
    }
}

/// A labelled instant on a time axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeTick {
    pub at: i64,
    pub label: String,
}

/// Tick steps a time axis may use, in minutes.
const TICK_STEPS: [i64; 15] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, DAY_MINUTES, 2 * DAY_MINUTES, 7 * DAY_MINUTES, 14 * DAY_MINUTES];

/// At most `max_ticks` ticks inside `[from, to]`, on whole multiples of a step in local time
/// (`offset_minutes` east of UTC): `10:00`, `10:30`, …; a tick at local midnight reads as its
/// date (`25 Nov`), and so do all ticks of steps of a day or more.
pub fn time_ticks(from: i64, to: i64, offset_minutes: i32, max_ticks: usize) -> Vec<TimeTick> {
    if to <= from {
        return Vec::new();
    }
    let offset = i64::from(offset_minutes);
    // Local minutes since the epoch of the first and last whole minute in the window.
    let first = from.div_euclid(MINUTE_US) + i64::from(from.rem_euclid(MINUTE_US) != 0) + offset;
    let last = to.div_euclid(MINUTE_US) + offset;
    let count = |step: i64| if last < first { 0 } else { last.div_euclid(step) - (first + step - 1).div_euclid(step) + 1 };
    let step = TICK_STEPS.into_iter().find(|step| count(*step) <= max_ticks.max(1) as i64).unwrap_or_else(|| {
        let days = ((last - first) / DAY_MINUTES / max_ticks.max(1) as i64 + 1).max(1);
        days * DAY_MINUTES
    });
    let mut ticks = Vec::new();
    let mut local = (first + step - 1).div_euclid(step) * step;
    while local <= last {
        let at = (local - offset) * MINUTE_US;
        let label = if step >= DAY_MINUTES || local.rem_euclid(DAY_MINUTES) == 0 { day_label(at, offset_minutes) } else { clock_label(at, offset_minutes) };
        ticks.push(TimeTick { at, label });
        local += step;
    }
    ticks
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `25 Nov`.
pub fn day_label(micros: i64, offset_minutes: i32) -> String {
    let c = civil(micros, offset_minutes);
    format!("{} {}", c.day, MONTHS[(c.month as usize).clamp(1, 12) - 1])
}

/// `09:45`.
pub fn clock_label(micros: i64, offset_minutes: i32) -> String {
    let c = civil(micros, offset_minutes);
    format!("{:02}:{:02}", c.hour, c.minute)
}

/// `25 Nov 09:45`.
pub fn day_clock_label(micros: i64, offset_minutes: i32) -> String {
    format!("{} {}", day_label(micros, offset_minutes), clock_label(micros, offset_minutes))
}

/// A span of time for a tooltip or a window: `25 Nov 09:45 – 10:00`, or with both dates when
/// it crosses midnight: `24 Nov 23:00 – 25 Nov 01:00`.
pub fn span_label(from: i64, to: i64, offset_minutes: i32) -> String {
    let end =
        if day_label(from, offset_minutes) == day_label(to, offset_minutes) { clock_label(to, offset_minutes) } else { day_clock_label(to, offset_minutes) };
    format!("{} – {end}", day_clock_label(from, offset_minutes))
}

/// A bin width: `1 min`, `10 min`, `1 h`, `12 h`, `1 d`.
pub fn bin_label(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// A bar between `x0` and `x1` with `gap` (a fraction of the slot) left free, centred, and no
/// wider than `max_width`; returns `(x, width)`, at least a hairline wide.
pub fn bar_span(x0: f64, x1: f64, gap: f64, max_width: f64) -> (f64, f64) {
    let slot = (x1 - x0).max(0.0);
    let width = (slot * (1.0 - gap.clamp(0.0, 1.0))).min(max_width).max(slot.min(0.5));
    (x0 + (slot - width) / 2.0, width)
}

/// The slots of `count` categorical bars across `length`: `(x, width)` of each slot.
pub fn bands(count: usize, length: f64) -> Vec<(f64, f64)> {
    if count == 0 {
        return Vec::new();
    }
    let slot = length / count as f64;
    (0..count).map(|index| (index as f64 * slot, slot)).collect()
}

/// One action's part of a stacked bar, in counts: it spans `start..start + count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub action: Action,
    pub start: u64,
    pub count: u64,
}

/// The actions of `counts` stacked bottom-up (blocked, detected, passed); empty parts left out.
pub fn stack(counts: &ActionCounts) -> Vec<Segment> {
    let mut start = 0;
    [(Action::Blocked, counts.blocked), (Action::Detected, counts.detected), (Action::Passed, counts.passed)]
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(action, count)| {
            let segment = Segment { action, start, count };
            start += count;
            segment
        })
        .collect()
}

/// `count` as a percentage of `largest` (0 when `largest` is 0), for bar widths.
pub fn percent(count: u64, largest: u64) -> f64 {
    if largest == 0 { 0.0 } else { count as f64 / largest as f64 * 100.0 }
}

/// `62.4 %` style share with one decimal, `<0.1 %` for tiny non-zero shares.
pub fn share_label(count: u64, total: u64) -> String {
    if total == 0 {
        return "0 %".to_owned();
    }
    let share = count as f64 / total as f64 * 100.0;
    if count > 0 && share < 0.1 { "<0.1 %".to_owned() } else { format!("{share:.1} %") }
}

/// One bar of the score histogram: scores `low..=high` (both `None` for events without a score).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreBucket {
    pub label: String,
    pub low: Option<u32>,
    pub high: Option<u32>,
    pub counts: ActionCounts,
}

impl ScoreBucket {
    /// The `score` filter that selects exactly this bucket's events: `5`, `10-19` or `none`.
    pub fn filter_value(&self) -> String {
        match (self.low, self.high) {
            (Some(low), Some(high)) if low == high => low.to_string(),
            (Some(low), Some(high)) => format!("{low}-{high}"),
            _ => "none".to_owned(),
        }
    }
}

/// Widths a score bucket may have when there are more distinct scores than bars.
const BUCKET_WIDTHS: [u32; 9] = [2, 5, 10, 20, 25, 50, 100, 250, 1000];

/// The histogram's bars from the answer's `scores` (score → counts): one bar per score when
/// there are at most `max_bars`, otherwise ranges of a round width (`10–19`); empty ranges are
/// left out, events without a score come last as `none`.
pub fn score_buckets(scores: &[TopEntry], max_bars: usize) -> Vec<ScoreBucket> {
    let mut numeric: Vec<(u32, ActionCounts)> = scores.iter().filter_map(|entry| entry.value.parse::<u32>().ok().map(|score| (score, entry.counts))).collect();
    numeric.sort_by_key(|(score, _)| *score);
    let mut merged: Vec<(u32, ActionCounts)> = Vec::new();
    for (score, counts) in numeric {
        match merged.last_mut() {
            Some((last, sum)) if *last == score => sum.add(&counts),
            _ => merged.push((score, counts)),
        }
    }
    let without: Option<ActionCounts> = scores.iter().filter(|entry| entry.value.parse::<u32>().is_err()).fold(None, |sum, entry| {
        let mut sum = sum.unwrap_or_default();
        sum.add(&entry.counts);
        Some(sum)
    });
    let room = max_bars.max(2) - usize::from(without.is_some());
    let mut buckets: Vec<ScoreBucket> = if merged.len() <= room {
        merged.into_iter().map(|(score, counts)| ScoreBucket { label: score.to_string(), low: Some(score), high: Some(score), counts }).collect()
    } else {
        let (lowest, highest) = (merged[0].0, merged[merged.len() - 1].0);
        let width = BUCKET_WIDTHS
            .into_iter()
            .find(|width| {
                let mut ranges: Vec<u32> = merged.iter().map(|(score, _)| score / width).collect();
                ranges.dedup();
                ranges.len() <= room
            })
            .unwrap_or_else(|| (highest - lowest) / room as u32 + 1);
        let mut buckets: Vec<ScoreBucket> = Vec::new();
        for (score, counts) in merged {
            let low = score / width * width;
            match buckets.last_mut() {
                Some(bucket) if bucket.low == Some(low) => bucket.counts.add(&counts),
                _ => {
                    let high = low.saturating_add(width - 1);
                    buckets.push(ScoreBucket { label: format!("{low}–{high}"), low: Some(low), high: Some(high), counts });
                }
            }
        }
        buckets
    };
    if let Some(counts) = without {
        buckets.push(ScoreBucket { label: "none".to_owned(), low: None, high: None, counts });
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_US: i64 = 60 * MINUTE_US;
    /// 2026-11-25T00:00:00Z.
    const NOV_25: i64 = 1_795_564_800_000_000;

    fn counts(blocked: u64, detected: u64, passed: u64) -> ActionCounts {
        ActionCounts { total: blocked + detected + passed, blocked, detected, passed }
    }

    #[test]
    fn count_axes_end_on_a_round_tick() {
        let axis = CountAxis::new(94, 5);
        assert_eq!(axis.max, 100);
        assert_eq!(axis.ticks, vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(CountAxis::new(3, 5).ticks, vec![0, 1, 2, 3]);
        assert_eq!(CountAxis::new(0, 5).ticks, vec![0, 1], "an empty chart still has an axis");
        assert_eq!(CountAxis::new(2_821, 6).ticks, vec![0, 500, 1000, 1500, 2000, 2500, 3000]);
        assert_eq!(CountAxis::new(10, 4).ticks, vec![0, 5, 10]);
        let axis = CountAxis::new(100, 5);
        assert_eq!(axis.max, 100);
        assert_eq!(axis.scale(50, 200.0), 100.0);
        assert_eq!(axis.scale(0, 200.0), 0.0);
        assert_eq!(axis.scale(500, 200.0), 200.0, "clamped");
        for largest in [1, 7, 99, 101, 999, 12_345, 987_654_321] {
            let axis = CountAxis::new(largest, 5);
            assert!(axis.max >= largest && axis.ticks.len() <= 6 && axis.ticks.last() == Some(&axis.max), "{largest}: {axis:?}");
        }
    }

    #[test]
    fn count_labels_are_short() {
        assert_eq!(count_label(0), "0");
        assert_eq!(count_label(950), "950");
        assert_eq!(count_label(1_000), "1k");
        assert_eq!(count_label(1_500), "1.5k");
        assert_eq!(count_label(12_000), "12k");
        assert_eq!(count_label(250_000), "250k");
        assert_eq!(count_label(2_300_000), "2.3M");
    }

    #[test]
    fn time_ticks_fall_on_local_wall_clock_boundaries() {
        // One hour from 03:00 UTC: every 10 minutes.
        let ticks = time_ticks(NOV_25 + 3 * HOUR_US, NOV_25 + 4 * HOUR_US, 0, 8);
        let labels: Vec<&str> = ticks.iter().map(|tick| tick.label.as_str()).collect();
        assert_eq!(labels, ["03:00", "03:10", "03:20", "03:30", "03:40", "03:50", "04:00"]);
        // The same window in UTC+05:30 is labelled in that zone, still on round local minutes.
        let ticks = time_ticks(NOV_25 + 3 * HOUR_US, NOV_25 + 4 * HOUR_US, 330, 8);
        assert_eq!(ticks[0].label, "08:30");
        assert_eq!(ticks[0].at, NOV_25 + 3 * HOUR_US);
        // 24 h from 16:05 local: every 3 h, on whole hours, midnight shows the date.
        let from = NOV_25 - 8 * HOUR_US + 5 * MINUTE_US;
        let ticks = time_ticks(from, from + 24 * HOUR_US, 0, 10);
        let labels: Vec<&str> = ticks.iter().map(|tick| tick.label.as_str()).collect();
        assert_eq!(labels, ["18:00", "21:00", "25 Nov", "03:00", "06:00", "09:00", "12:00", "15:00"]);
        assert!(ticks.iter().all(|tick| tick.at > from && tick.at <= from + 24 * HOUR_US));
        // 7 days: daily ticks at local midnight (UTC-05:00 here).
        let ticks = time_ticks(NOV_25, NOV_25 + 7 * 24 * HOUR_US, -300, 8);
        assert_eq!(ticks.len(), 7);
        assert_eq!(ticks[0].label, "25 Nov");
        assert_eq!(ticks[0].at, NOV_25 + 5 * HOUR_US);
        // 15 minutes: a few minute ticks; odd starts round up.
        let ticks = time_ticks(NOV_25 + 30 * 1_000_000, NOV_25 + 15 * MINUTE_US, 0, 6);
        assert_eq!(ticks.iter().map(|tick| tick.label.as_str()).collect::<Vec<_>>(), ["00:05", "00:10", "00:15"]);
        assert!(time_ticks(NOV_25, NOV_25, 0, 6).is_empty());
        // A year never makes more ticks than asked.
        assert!(time_ticks(NOV_25, NOV_25 + 366 * 24 * HOUR_US, 0, 8).len() <= 8);
    }

    #[test]
    fn spans_read_like_a_clock() {
        assert_eq!(span_label(NOV_25 + 11 * HOUR_US + 45 * MINUTE_US, NOV_25 + 12 * HOUR_US, 0), "25 Nov 11:45 – 12:00");
        assert_eq!(span_label(NOV_25 - HOUR_US, NOV_25 + HOUR_US, 0), "24 Nov 23:00 – 25 Nov 01:00");
        assert_eq!(span_label(NOV_25 - HOUR_US, NOV_25, 0), "24 Nov 23:00 – 25 Nov 00:00");
        assert_eq!(span_label(NOV_25, NOV_25 + 2 * 24 * HOUR_US, 60), "25 Nov 01:00 – 27 Nov 01:00");
        assert_eq!(day_clock_label(NOV_25, 60), "25 Nov 01:00");
        assert_eq!(bin_label(60), "1 min");
        assert_eq!(bin_label(600), "10 min");
        assert_eq!(bin_label(5400), "90 min");
        assert_eq!(bin_label(3600), "1 h");
        assert_eq!(bin_label(43_200), "12 h");
        assert_eq!(bin_label(86_400), "1 d");
    }

    #[test]
    fn time_scale_and_bars() {
        let scale = TimeScale { from: 0, to: 100 };
        assert_eq!(scale.x(50, 200.0), 100.0);
        assert_eq!(scale.x(-5, 200.0), 0.0);
        assert_eq!(scale.x(500, 200.0), 200.0);
        assert_eq!(bar_span(10.0, 20.0, 0.2, 100.0), (11.0, 8.0));
        assert_eq!(bar_span(0.0, 400.0, 0.2, 40.0), (180.0, 40.0), "one bin does not fill the chart");
        let (_, hairline) = bar_span(0.0, 0.6, 0.9, 40.0);
        assert!(hairline >= 0.5, "thin bins stay visible: {hairline}");
        assert_eq!(bands(4, 100.0), vec![(0.0, 25.0), (25.0, 25.0), (50.0, 25.0), (75.0, 25.0)]);
        assert!(bands(0, 100.0).is_empty());
    }

    #[test]
    fn stacks_go_blocked_detected_passed() {
        assert_eq!(
            stack(&counts(5, 0, 2)),
            vec![Segment { action: Action::Blocked, start: 0, count: 5 }, Segment { action: Action::Passed, start: 5, count: 2 }]
        );
        assert_eq!(stack(&counts(0, 3, 0)), vec![Segment { action: Action::Detected, start: 0, count: 3 }]);
        assert_eq!(
            stack(&counts(2, 3, 4)),
            vec![
                Segment { action: Action::Blocked, start: 0, count: 2 },
                Segment { action: Action::Detected, start: 2, count: 3 },
                Segment { action: Action::Passed, start: 5, count: 4 },
            ]
        );
        assert!(stack(&ActionCounts::default()).is_empty());
        assert_eq!(percent(25, 100), 25.0);
        assert_eq!(percent(1, 0), 0.0);
        assert_eq!(share_label(1, 3), "33.3 %");
        assert_eq!(share_label(1, 10_000), "<0.1 %");
        assert_eq!(share_label(0, 0), "0 %");
    }

    fn score(value: &str, total: u64) -> TopEntry {
        TopEntry { value: value.to_owned(), label: None, counts: counts(total, 0, 0) }
    }

    #[test]
    fn score_buckets_one_per_score_or_round_ranges() {
        let few = [score("0", 3), score("5", 4), score("10", 2), score("none", 7)];
        let buckets = score_buckets(&few, 12);
        assert_eq!(buckets.iter().map(|bucket| bucket.label.as_str()).collect::<Vec<_>>(), ["0", "5", "10", "none"]);
        assert_eq!(buckets[3].low, None);
        assert_eq!(buckets[3].counts.total, 7);
        assert_eq!(buckets.iter().map(ScoreBucket::filter_value).collect::<Vec<_>>(), ["0", "5", "10", "none"]);

        let many: Vec<TopEntry> = (0..40).map(|value| score(&value.to_string(), 1)).chain([score("none", 2)]).collect();
        let buckets = score_buckets(&many, 9);
        assert!(buckets.len() <= 9, "{buckets:?}");
        assert_eq!(buckets[0].label, "0–4");
        assert_eq!(buckets[0].filter_value(), "0-4");
        assert_eq!(buckets[0].counts.total, 5);
        assert_eq!(buckets.last().unwrap().label, "none");
        let counted: u64 = buckets.iter().map(|bucket| bucket.counts.total).sum();
        assert_eq!(counted, 42, "every event is in one bucket");

        let spread = [score("3", 1), score("250", 1), score("9000", 1)];
        let buckets = score_buckets(&spread, 2);
        assert!(buckets.len() <= 2, "{buckets:?}");
        assert_eq!(buckets.iter().map(|bucket| bucket.counts.total).sum::<u64>(), 3);
        assert!(score_buckets(&[], 10).is_empty());
    }
}
