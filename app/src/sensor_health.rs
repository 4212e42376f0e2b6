//! How the dashboard's sensor strip reads `/api/v1/sensors`: which sensors come first, their
//! recent rate and "last seen" text. Pure, tested natively.

use crate::format::{SILENT_AFTER_MINUTES, format_minutes};
use crate::model::SensorHealth;

/// Most sensors the strip names; the rest are counted and linked to the Sensors page.
pub const STRIP_MAX: usize = 6;

/// Complete minutes the strip's rate is averaged over (the current minute is still filling).
pub const RATE_MINUTES: usize = 5;

/// Whether a sensor that has sent before has been quiet for long enough to need attention.
pub fn is_silent(sensor: &SensorHealth) -> bool {
    sensor.silent_minutes.is_some_and(|minutes| minutes >= SILENT_AFTER_MINUTES)
}

/// Sensors in strip order: silent ones first (they need attention), then those sending, then
/// those that never sent; by name within each group.
pub fn strip_order(sensors: &[SensorHealth]) -> Vec<&SensorHealth> {
    let rank = |sensor: &SensorHealth| match sensor.silent_minutes {
        None => 2,
        Some(_) if is_silent(sensor) => 0,
        Some(_) => 1,
    };
    let mut ordered: Vec<&SensorHealth> = sensors.iter().collect();
    ordered.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name)));
    ordered
}

/// Events per minute over the last [`RATE_MINUTES`] complete minutes of `per_minute` (oldest
/// first, the last entry being the current minute). A sensor that only started sending this
/// minute reads as this minute's count so far, not as 0.
pub fn recent_rate(per_minute: &[u64]) -> f64 {
    let Some((current, complete)) = per_minute.split_last() else { return 0.0 };
    let recent = &complete[complete.len().saturating_sub(RATE_MINUTES)..];
    let average = if recent.is_empty() { 0.0 } else { recent.iter().sum::<u64>() as f64 / recent.len() as f64 };
    if average == 0.0 { *current as f64 } else { average }
}

/// `12 ev/min`, `0.4 ev/min`.
pub fn rate_label(per_minute: f64) -> String {
    if per_minute >= 10.0 || per_minute == 0.0 { format!("{per_minute:.0} ev/min") } else { format!("{per_minute:.1} ev/min") }
}

/// `last 4 s ago`, `last 3 min ago` (as the silent state counts), `never sent` without an event.
pub fn last_seen_label(last_seen: Option<i64>, now_micros: i64) -> String {
    let seconds = match last_seen {
        None => return "never sent".to_owned(),
        Some(micros) => ((now_micros - micros).max(0) / 1_000_000) as u64,
    };
    if seconds < 60 { format!("last {seconds} s ago") } else { format!("last {} ago", format_minutes(seconds / 60)) }
}

/// How many sensors that sent before are silent now (the navigation's badge).
pub fn silent_count(sensors: &[SensorHealth]) -> usize {
    sensors.iter().filter(|sensor| is_silent(sensor)).count()
}

/// `(sending, total)`: how many sensors are sending now, of all.
pub fn reporting(sensors: &[SensorHealth]) -> (usize, usize) {
    (sensors.iter().filter(|sensor| sensor.silent_minutes.is_some() && !is_silent(sensor)).count(), sensors.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensor(name: &str, silent_minutes: Option<u64>) -> SensorHealth {
        SensorHealth {
            name: name.to_owned(),
            created_at: 0,
            last_seen: silent_minutes.map(|minutes| 1_000_000_000 - minutes as i64 * 60_000_000),
            silent_minutes,
            events_total: 0,
            events_per_minute: Vec::new(),
            rejected_uploads: 0,
            auth_failures: 0,
            parse_warnings: 0,
            clock_skew_seconds: None,
        }
    }

    #[test]
    fn silent_sensors_first_then_sending_then_never_sent() {
        let sensors =
            [sensor("web-02", Some(0)), sensor("new", None), sensor("web-01", Some(1)), sensor("shop", Some(14)), sensor("api", Some(SILENT_AFTER_MINUTES))];
        let names: Vec<&str> = strip_order(&sensors).into_iter().map(|sensor| sensor.name.as_str()).collect();
        assert_eq!(names, ["api", "shop", "web-01", "web-02", "new"]);
        assert_eq!(reporting(&sensors), (2, 5));
        assert_eq!(silent_count(&sensors), 2, "never sent is not silent");
    }

    #[test]
    fn rate_averages_complete_minutes() {
        let mut minutes = vec![0u64; 60];
        minutes[54..59].copy_from_slice(&[10, 12, 14, 10, 14]);
        minutes[59] = 500; // the current minute does not count
        assert_eq!(recent_rate(&minutes), 12.0);
        assert_eq!(recent_rate(&[7]), 7.0, "only the current minute");
        assert_eq!(recent_rate(&[0, 0, 0, 0, 0, 0, 3]), 3.0, "started this minute");
        assert_eq!(recent_rate(&[]), 0.0);
        assert_eq!(recent_rate(&[1, 0, 9]), 0.5, "fewer minutes than the average wants");
        assert_eq!(rate_label(12.0), "12 ev/min");
        assert_eq!(rate_label(0.4), "0.4 ev/min");
        assert_eq!(rate_label(0.0), "0 ev/min");
    }

    #[test]
    fn last_seen_reads_as_an_age() {
        assert_eq!(last_seen_label(Some(10_000_000), 14_000_000), "last 4 s ago");
        assert_eq!(last_seen_label(Some(0), 190_000_000), "last 3 min ago");
        assert_eq!(last_seen_label(Some(0), 8_000_000_000), "last 2 h 13 min ago");
        assert_eq!(last_seen_label(Some(20_000_000), 10_000_000), "last 0 s ago", "a clock ahead is not negative");
        assert_eq!(last_seen_label(None, 0), "never sent");
    }
}
