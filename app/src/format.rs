//! Human-readable numbers, times and bytes for the UI (pure, tested natively).

/// `93784` → `1d 2h 3m 4s`.
pub fn format_duration(total_seconds: u64) -> String {
    let (days, rest) = (total_seconds / 86_400, total_seconds % 86_400);
    let (hours, rest) = (rest / 3_600, rest % 3_600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    let parts = [(days, "d"), (hours, "h"), (minutes, "m")];
    let mut text: String = parts.iter().skip_while(|(value, _)| *value == 0).map(|(value, unit)| format!("{value}{unit} ")).collect();
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

/// The disk budget as configured: `20 GiB`, `1.5 GiB` (whole units without a decimal), or `none`.
pub fn format_budget(budget_bytes: Option<u64>) -> String {
    match budget_bytes {
        None | Some(0) => "none".to_owned(),
        Some(bytes) => {
            let text = format_bytes(bytes);
            text.replace(".0 ", " ")
        }
    }
}

/// Retention: `30 days`, `1 day`, or `forever`.
pub fn format_retention(retain_days: Option<u64>) -> String {
    match retain_days {
        None | Some(0) => "forever".to_owned(),
        Some(1) => "1 day".to_owned(),
        Some(days) => format!("{days} days"),
    }
}

/// The share of the budget the file takes: `12.5 %` (one decimal), `None` without a budget.
pub fn budget_share(file_bytes: u64, budget_bytes: Option<u64>) -> Option<String> {
    let budget = budget_bytes.filter(|budget| *budget > 0)?;
    Some(format!("{:.1} %", file_bytes as f64 * 100.0 / budget as f64))
}

/// How many days a budget lasts: `41 days`, `1 day`, `less than a day`, `over 10,000 days`.
pub fn format_days(days: f64) -> String {
    if !days.is_finite() || days >= 10_000.0 {
        "over 10,000 days".to_owned()
    } else if days < 1.0 {
        "less than a day".to_owned()
    } else {
        let whole = days.floor() as u64;
        if whole == 1 { "1 day".to_owned() } else { format!("{} days", format_count(whole)) }
    }
}

/// How long ago `micros` was, at `now_micros`: `14 min ago`, `3 d 4 h ago`, `just now`.
pub fn format_ago(micros: i64, now_micros: i64) -> String {
    let minutes = (now_micros.saturating_sub(micros).max(0) / 60_000_000) as u64;
    if minutes == 0 { "just now".to_owned() } else { format!("{} ago", format_minutes(minutes)) }
}

/// The dashboard's one-line storage summary: `Storage 1.2 GiB of 20.0 GiB · oldest kept 3 d ago
/// · ~41 days at current rate` (parts without data are left out).
pub fn storage_line(storage: &crate::model::StorageStatus, now_micros: i64) -> String {
    let mut parts = vec![match storage.budget_bytes {
        Some(budget) if budget > 0 => format!("Storage {} of {}", format_bytes(storage.file_bytes), format_budget(Some(budget))),
        _ => format!("Storage {} (no budget)", format_bytes(storage.file_bytes)),
    }];
    if let Some(oldest) = storage.oldest_received_at {
        parts.push(format!("oldest kept {}", format_ago(oldest, now_micros)));
    }
    if let Some(days) = storage.days_in_budget {
        let days = format_days(days);
        parts.push(if days.starts_with(|c: char| c.is_ascii_digit()) { format!("~{days} at current rate") } else { format!("{days} at current rate") });
    }
    parts.join(" · ")
}

/// A calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

/// The wall-clock reading of `micros` (µs since the Unix epoch) at `offset_minutes` east of UTC.
pub fn civil(micros: i64, offset_minutes: i32) -> Civil {
    let local = micros.div_euclid(1000) + i64::from(offset_minutes) * 60_000;
    let millis = local.rem_euclid(1000) as u32;
    let seconds = local.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400) as u32;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Civil { year, month, day, hour: of_day / 3600, minute: of_day / 60 % 60, second: of_day % 60, millis }
}

/// `14:32:07.412` (time of day with milliseconds).
pub fn format_time_ms(micros: i64, offset_minutes: i32) -> String {
    let c = civil(micros, offset_minutes);
    format!("{:02}:{:02}:{:02}.{:03}", c.hour, c.minute, c.second, c.millis)
}

/// `2026-11-25 14:32:07.412`.
pub fn format_datetime_ms(micros: i64, offset_minutes: i32) -> String {
    let c = civil(micros, offset_minutes);
    format!("{:04}-{:02}-{:02} {}", c.year, c.month, c.day, format_time_ms(micros, offset_minutes))
}

/// `+01:00`, `-05:30`, `+00:00`.
pub fn format_offset(offset_minutes: i32) -> String {
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let magnitude = offset_minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", magnitude / 60, magnitude % 60)
}

/// The event's own time, `2026-11-25 14:31:52.806 +01:00`, and the same instant in UTC,
/// `2026-11-25 13:31:52.806 UTC`. Without a zone in the entry, the first is UTC too.
pub fn format_event_time(micros: i64, offset_minutes: Option<i32>) -> (String, String) {
    let offset = offset_minutes.unwrap_or(0);
    let local = format!("{} {}", format_datetime_ms(micros, offset), format_offset(offset));
    let utc = format!("{} UTC", format_datetime_ms(micros, 0));
    (local, utc)
}

/// Whether bytes should open in the hex view: not UTF-8, or control characters other than
/// tab, newline and carriage return (NUL, ESC, DEL, …).
pub fn looks_binary(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Err(_) => true,
        Ok(text) => text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
    }
}

/// One line of a hex dump: offset, up to 16 bytes in hex, the same bytes as ASCII
/// (non-printable bytes as `.`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexLine {
    pub offset: String,
    pub hex: String,
    pub ascii: String,
}

/// Bytes per hex-dump line.
pub const HEX_WIDTH: usize = 16;

/// A hex dump, 16 bytes a line; the hex column is padded so the ASCII column lines up.
pub fn hex_dump(bytes: &[u8]) -> Vec<HexLine> {
    let offset_width = if bytes.len() > 0xffff { 8 } else { 4 };
    bytes
        .chunks(HEX_WIDTH)
        .enumerate()
        .map(|(index, chunk)| {
            let mut hex = String::with_capacity(HEX_WIDTH * 3 + 1);
            for position in 0..HEX_WIDTH {
                if position > 0 {
                    hex.push(' ');
                }
                if position == HEX_WIDTH / 2 {
                    hex.push(' ');
                }
                match chunk.get(position) {
                    Some(byte) => hex.push_str(&format!("{byte:02x}")),
                    None => hex.push_str("  "),
                }
            }
            let ascii = chunk.iter().map(|&byte| if (0x20..0x7f).contains(&byte) { char::from(byte) } else { '.' }).collect();
            HexLine { offset: format!("{:0width$x}", index * HEX_WIDTH, width = offset_width), hex, ascii }
        })
        .collect()
}

/// `+N` for the rule ids beyond the first shown in a row, `None` for one or none.
pub fn more_rules(count: usize) -> Option<String> {
    (count > 1).then(|| format!("+{}", count - 1))
}

/// `38`, `4.2`, `0.3` events per second.
pub fn format_rate(per_second: f64) -> String {
    if !per_second.is_finite() || per_second <= 0.0 {
        "0".to_owned()
    } else if per_second >= 10.0 {
        format!("{per_second:.0}")
    } else {
        format!("{per_second:.1}")
    }
}

/// `34,218`.
pub fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
/// `blocked`, `detected`, `passed`.
pub fn action_label(action: wafscope_parse::Action) -> &'static str {
    match action {
        wafscope_parse::Action::Blocked => "blocked",
        wafscope_parse::Action::Detected => "detected",
        wafscope_parse::Action::Passed => "passed",
    }
}

/// The colour family of a severity: `critical` (red: emergency … error), `warning` (amber),
/// `notice` (slate: notice, info, debug).
pub fn severity_tone(severity: wafscope_parse::Severity) -> &'static str {
    use wafscope_parse::Severity::*;
    match severity {
        Emergency | Alert | Critical | Error => "critical",
        Warning => "warning",
        Notice | Info | Debug => "notice",
    }
}

/// Splits a URI into its path and `?query` (empty when there is none), for two-tone display.
pub fn split_uri(uri: &str) -> (&str, &str) {
    match uri.find('?') {
        Some(index) => uri.split_at(index),
        None => (uri, ""),
    }
}

/// Whole minutes as a short age: `14 min`, `2 h 5 min`, `3 d 4 h`.
pub fn format_minutes(minutes: u64) -> String {
    let (days, hours, rest) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{rest} min"),
        (0, _) if rest == 0 => format!("{hours} h"),
        (0, _) => format!("{hours} h {rest} min"),
        (_, 0) => format!("{days} d"),
        _ => format!("{days} d {hours} h"),
    }
}

/// Minutes without an event after which a sensor that has sent before counts as silent.
pub const SILENT_AFTER_MINUTES: u64 = 5;

/// How a sensor's state reads: `(label, tone)` with tone `ok`, `silent` or `never`.
pub fn sensor_state(silent_minutes: Option<u64>) -> (String, &'static str) {
    match silent_minutes {
        None => ("never sent".to_owned(), "never"),
        Some(minutes) if minutes >= SILENT_AFTER_MINUTES => (format!("silent {}", format_minutes(minutes)), "silent"),
        Some(_) => ("sending".to_owned(), "ok"),
    }
}

/// A clock skew in seconds as text (`+2.1 s`, `−3 min`, `+7 d 10 h`); small skews are `in sync`.
pub fn format_skew(seconds: f64) -> String {
    let magnitude = seconds.abs();
    let sign = if seconds < 0.0 { "−" } else { "+" };
    if magnitude < 1.0 {
        "in sync".to_owned()
    } else if magnitude < 120.0 {
        format!("{sign}{magnitude:.1} s")
    } else {
        format!("{sign}{}", format_minutes((magnitude / 60.0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_figures() {
        assert_eq!(format_budget(None), "none");
        assert_eq!(format_budget(Some(64 * 1024 * 1024)), "64 MiB");
        assert_eq!(format_budget(Some(1536 * 1024 * 1024)), "1.5 GiB");
        assert_eq!(format_budget(Some(0)), "none");
        assert_eq!(format_retention(Some(30)), "30 days");
        assert_eq!(format_retention(Some(1)), "1 day");
        assert_eq!(format_retention(None), "forever");
        assert_eq!(budget_share(512, Some(2048)).as_deref(), Some("25.0 %"));
        assert_eq!(budget_share(512, None), None);
        assert_eq!(budget_share(512, Some(0)), None);
        assert_eq!(format_days(41.7), "41 days");
        assert_eq!(format_days(1.2), "1 day");
        assert_eq!(format_days(0.3), "less than a day");
        assert_eq!(format_days(f64::INFINITY), "over 10,000 days");
        assert_eq!(format_days(2500.0), "2,500 days");
        let now = 1_795_576_972_882_185;
        assert_eq!(format_ago(now - 3 * 86_400_000_000, now), "3 d ago");
        assert_eq!(format_ago(now - 10_000_000, now), "just now");
        assert_eq!(format_ago(now + 10_000_000, now), "just now");
        let storage = crate::model::StorageStatus {
            file_bytes: 1288490189,
            budget_bytes: Some(20 * 1024 * 1024 * 1024),
            oldest_received_at: Some(now - 3 * 86_400_000_000),
            days_in_budget: Some(41.2),
            ..Default::default()
        };
        assert_eq!(storage_line(&storage, now), "Storage 1.2 GiB of 20 GiB · oldest kept 3 d ago · ~41 days at current rate");
        let bare = crate::model::StorageStatus { file_bytes: 2048, ..Default::default() };
        assert_eq!(storage_line(&bare, now), "Storage 2.0 KiB (no budget)");
        let tight = crate::model::StorageStatus { budget_bytes: Some(1 << 20), days_in_budget: Some(0.5), ..Default::default() };
        assert!(storage_line(&tight, now).ends_with("less than a day at current rate"));
    }

    #[test]
    fn civil_times_with_zones() {
        // 2026-11-25T03:22:52.882185Z
        let micros = 1_795_576_972_882_185;
        assert_eq!(format_datetime_ms(micros, 0), "2026-11-25 03:22:52.882");
        assert_eq!(format_time_ms(micros, 60), "04:22:52.882");
        assert_eq!(format_datetime_ms(micros, -240), "2026-11-24 23:22:52.882");
        assert_eq!(format_datetime_ms(0, 0), "1970-01-01 00:00:00.000");
        assert_eq!(format_datetime_ms(-1, 0), "1969-12-31 23:59:59.999");
        assert_eq!(format_datetime_ms(951_782_400_000_000, 0), "2000-02-29 00:00:00.000");
        assert_eq!(format_offset(60), "+01:00");
        assert_eq!(format_offset(-330), "-05:30");
        assert_eq!(format_offset(0), "+00:00");
        let (local, utc) = format_event_time(micros, Some(330));
        assert_eq!(local, "2026-11-25 08:52:52.882 +05:30");
        assert_eq!(utc, "2026-11-25 03:22:52.882 UTC");
        assert_eq!(format_event_time(micros, None).0, "2026-11-25 03:22:52.882 +00:00");
    }

    #[test]
    fn hex_dump_lines() {
        let lines = hex_dump(b"q=%27+OR+%271%27\x00\xff<script>");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].offset, "0000");
        assert_eq!(lines[0].hex, "71 3d 25 32 37 2b 4f 52  2b 25 32 37 31 25 32 37");
        assert_eq!(lines[0].ascii, "q=%27+OR+%271%27");
        assert_eq!(lines[1].offset, "0010");
        assert_eq!(lines[1].hex.len(), lines[0].hex.len(), "short lines are padded");
        assert!(lines[1].hex.starts_with("00 ff 3c 73"), "{}", lines[1].hex);
        assert_eq!(lines[1].ascii, "..<script>");
        assert!(hex_dump(b"").is_empty());
        assert_eq!(hex_dump(&vec![0u8; 0x10001])[0].offset, "00000000");
    }

    #[test]
    fn binary_detection() {
        assert!(!looks_binary(b"a=1&b=<script>alert(1)</script>\r\n\t"));
        assert!(!looks_binary("é{{7*7}}".as_bytes()));
        assert!(looks_binary(b"\xff\xfe"));
        assert!(looks_binary(b"PK\x03\x04"));
        assert!(looks_binary(b"\x1b[31m"));
        assert!(!looks_binary(b""));
    }

    #[test]
    fn labels() {
        assert_eq!(action_label(wafscope_parse::Action::Detected), "detected");
        assert_eq!(severity_tone(wafscope_parse::Severity::Error), "critical");
        assert_eq!(severity_tone(wafscope_parse::Severity::Warning), "warning");
        assert_eq!(severity_tone(wafscope_parse::Severity::Info), "notice");
        assert_eq!(split_uri("/search?q=<x>?"), ("/search", "?q=<x>?"));
        assert_eq!(split_uri("/"), ("/", ""));
    }

    #[test]
    fn small_numbers() {
        assert_eq!(more_rules(0), None);
        assert_eq!(more_rules(1), None);
        assert_eq!(more_rules(4).as_deref(), Some("+3"));
        assert_eq!(format_rate(38.4), "38");
        assert_eq!(format_rate(4.25), "4.2");
        assert_eq!(format_rate(0.0), "0");
        assert_eq!(format_rate(f64::NAN), "0");
        assert_eq!(format_count(34_218), "34,218");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000_000), "1,000,000");
    }

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

    #[test]
    fn sensor_states_and_skews_read_plainly() {
        assert_eq!(super::sensor_state(None), ("never sent".to_owned(), "never"));
        assert_eq!(super::sensor_state(Some(0)).1, "ok");
        assert_eq!(super::sensor_state(Some(super::SILENT_AFTER_MINUTES - 1)).1, "ok");
        let (label, tone) = super::sensor_state(Some(14));
        assert_eq!(tone, "silent");
        assert_eq!(label, "silent 14 min");
        assert_eq!(super::format_minutes(60), "1 h");
        assert_eq!(super::format_minutes(125), "2 h 5 min");
        assert_eq!(super::format_minutes(3 * 1440 + 4 * 60 + 59), "3 d 4 h");
        assert_eq!(super::format_minutes(2 * 1440), "2 d");
        assert_eq!(super::format_skew(0.2), "in sync");
        assert_eq!(super::format_skew(-2.5), "−2.5 s");
        assert_eq!(super::format_skew(7.0 * 86_400.0 + 10.0 * 3600.0 + 3000.0), "+7 d 10 h");
        assert_eq!(super::format_skew(-190.0), "−3 min");
    }
}
