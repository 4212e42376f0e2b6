//! Human-readable numbers for the UI (pure, tested natively).

/// `93784` → `1d 2h 3m 4s`.
pub fn format_duration(total_seconds: u64) -> String {
    let (days, rest) = (total_seconds / 86_400, total_seconds % 86_400);
    let (hours, rest) = (rest / 3_600, rest % 3_600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    let parts = [(days, "d"), (hours, "h"), (minutes, "m")];
    let mut text: String = parts
        .iter()
        .skip_while(|(value, _)| *value == 0)
        .map(|(value, unit)| format!("{value}{unit} "))
        .collect();
    text.push_str(&format!("{seconds}s"));
    text
}

/// Bytes in binary units with one decimal: `1536` → `1.5 KiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(61), "1m 1s");
        assert_eq!(format_duration(93_784), "1d 2h 3m 4s");
        assert_eq!(format_duration(86_400), "1d 0h 0m 0s");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
