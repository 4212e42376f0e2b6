//! Timestamps of the audit-log dialects, turned into µs since the Unix epoch (UTC).
//!
//! * ModSecurity 2 Part A / JSON `time` and index lines: `25/Nov/2026:10:11:12.123456 +0900`,
//!   with 0–6 fraction digits or none, a negative fraction from 2.9.4/2.9.5 on Windows, and the
//!   double-sign zones of negative offsets (`--0500`, `--03-30`).
//! * libmodsecurity 3 JSON `time_stamp`: `Tue Jun  6 11:24:03 2020`, local time without zone.
//! * Coraza `timestamp` / native Part A: `2026/11/25 12:58:55`, local time without zone.

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A wall-clock time with an optional UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZonedTime {
    /// µs since the Unix epoch, UTC (the offset already applied).
    pub utc_us: i64,
    /// The offset written with the time; `None` when the text had no zone.
    pub offset_minutes: Option<i32>,
}

/// Returns days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A calendar date and time of day, validated field by field.
struct CivilTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl CivilTime {
    fn to_epoch_us(&self) -> Option<i64> {
        let valid = (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && (0..=9999).contains(&self.year);
        if !valid {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let seconds = days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        Some(seconds * MICROS_PER_SECOND)
    }
}

fn month_from_name(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let lower = name.to_ascii_lowercase();
    MONTHS.iter().position(|month| *month == lower).and_then(|index| u32::try_from(index + 1).ok())
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    crate::bytes::parse_decimal(text.as_bytes())
}

/// Parses `HH:MM:SS`.
fn parse_clock(text: &str) -> Option<(u32, u32, u32)> {
    let mut fields = text.split(':');
    let hour = number(fields.next()?)?;
    let minute = number(fields.next()?)?;
    let second = number(fields.next()?)?;
    if fields.next().is_some() {
        return None;
    }
    Some((hour, minute, second))
}

/// Parses a fraction of a second (`123456`, `5`, ``) into µs; a negative or malformed one gives 0
/// and a warning (2.9.4/2.9.5 printed garbage like `.-123245` on 32-bit `long`).
fn parse_fraction_us(fraction: &str, warnings: &mut Vec<String>) -> i64 {
    if fraction.is_empty() {
        return 0;
    }
    if !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        warnings.push(format!("time fraction {fraction:?} ignored"));
        return 0;
    }
    let digits: String = fraction.chars().take(6).collect();
    let padded = format!("{digits:0<6}");
    number(&padded).unwrap_or(0)
}

/// Parses a ModSecurity zone: `+0900`, `-0500`, `--0500`, `--03-30`, `+09`, `Z`.
/// The sign is `-` when the field starts with `-`; the digits are then taken as absolute values.
fn parse_zone(zone: &str) -> Option<i32> {
    if zone.eq_ignore_ascii_case("z") || zone.eq_ignore_ascii_case("gmt") || zone.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let negative = zone.starts_with('-');
    let body = zone.trim_start_matches(['-', '+']);
    if body.is_empty() || zone.len() == body.len() {
        return None;
    }
    let (hours, minutes): (i32, i32) = if let Some((hours, minutes)) = body.split_once(['-', ':']) {
        (number(hours)?, number(minutes)?)
    } else {
        match body.len() {
            4 => (number(body.get(..2)?)?, number(body.get(2..)?)?),
            2 => (number(body)?, 0),
            _ => return None,
        }
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    let magnitude = hours * 60 + minutes;
    Some(if negative { -magnitude } else { magnitude })
}

/// Parses an Apache/ModSecurity 2 time: `[25/Nov/2026:10:11:12.123456 +0900]` (brackets optional).
pub fn parse_apache_time(text: &str, warnings: &mut Vec<String>) -> Option<ZonedTime> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']').trim();
    let (date_time, zone) = match text.split_once(' ') {
        Some((date_time, zone)) => (date_time, Some(zone.trim())),
        None => (text, None),
    };
    let mut date_parts = date_time.splitn(4, [':', '/']);
    let day = number(date_parts.next()?)?;
    let month = month_from_name(date_parts.next()?)?;
    let year = number(date_parts.next()?)?;
    let clock_and_fraction = date_parts.next()?;
    let (clock, fraction) = clock_and_fraction.split_once('.').unwrap_or((clock_and_fraction, ""));
    let (hour, minute, second) = parse_clock(clock)?;
    let civil = CivilTime { year, month, day, hour, minute, second };
    let local_us = civil.to_epoch_us()? + parse_fraction_us(fraction, warnings);
    let offset_minutes = match zone {
        Some(zone) => {
            let parsed = parse_zone(zone);
            if parsed.is_none() {
                warnings.push(format!("time zone {zone:?} not understood, taken as UTC"));
            }
            parsed
        }
        None => {
            warnings.push("time has no zone, taken as UTC".to_string());
            None
        }
    };
    let offset_us = i64::from(offset_minutes.unwrap_or(0)) * 60 * MICROS_PER_SECOND;
    Some(ZonedTime { utc_us: local_us - offset_us, offset_minutes })
}

/// Parses C `asctime`/`%c` text (`Wed Nov 25 03:32:57 2026`, `Tue Jun  6 11:24:03 2020`) as UTC.
pub fn parse_asctime_as_utc(text: &str) -> Option<i64> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, month, day, clock, year] = fields.as_slice() else {
        return None;
    };
    let (hour, minute, second) = parse_clock(clock)?;
    CivilTime { year: number(year)?, month: month_from_name(month)?, day: number(day)?, hour, minute, second }.to_epoch_us()
}

/// Parses Coraza's `2026/11/25 12:58:55` (optionally in brackets) as UTC.
pub fn parse_slashed_datetime_as_utc(text: &str) -> Option<i64> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    let (date, clock) = text.trim().split_once(' ')?;
    let mut date_parts = date.split('/');
    let year = number(date_parts.next()?)?;
    let month = number(date_parts.next()?)?;
    let day = number(date_parts.next()?)?;
    if date_parts.next().is_some() {
        return None;
    }
    let (clock, fraction) = clock.trim().split_once('.').unwrap_or((clock.trim(), ""));
    let (hour, minute, second) = parse_clock(clock)?;
    let whole = CivilTime { year, month, day, hour, minute, second }.to_epoch_us()?;
    Some(whole + parse_fraction_us(fraction, &mut Vec::new()))
}

/// Returns `true` if `text` looks like Coraza's `YYYY/MM/DD HH:MM:SS`.
pub fn is_slashed_datetime(text: &str) -> bool {
    parse_slashed_datetime_as_utc(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apache(text: &str) -> (ZonedTime, Vec<String>) {
        let mut warnings = Vec::new();
        let time = parse_apache_time(text, &mut warnings).expect("parses");
        (time, warnings)
    }

    #[test]
    fn epoch_arithmetic() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn utc_with_micros() {
        let (time, warnings) = apache("[25/Nov/2026:03:22:29.557828 +0000]");
        // 2026-11-25T03:22:29Z = 1795576949
        assert_eq!(time.utc_us, 1_795_576_949_557_828);
        assert_eq!(time.offset_minutes, Some(0));
        assert!(warnings.is_empty());
    }

    #[test]
    fn double_minus_zone() {
        // 21:35:07 at -05:00 is 02:35:07 UTC the next day (1795574107).
        let (time, _) = apache("24/Nov/2026:21:35:07.552557 --0500");
        assert_eq!(time.utc_us, 1_795_574_107_552_557);
        assert_eq!(time.offset_minutes, Some(-300));
    }

    #[test]
    fn double_minus_zone_with_minutes() {
        let (time, _) = apache("24/Nov/2026:22:35:07 --03-30");
        assert_eq!(time.offset_minutes, Some(-210));
        // 22:35:07 at -03:30 is 02:05:07 UTC the next day.
        assert_eq!(time.utc_us, (1_795_574_107 - 30 * 60) * MICROS_PER_SECOND);
    }

    #[test]
    fn positive_zone_and_no_fraction() {
        let (time, warnings) = apache("25/Nov/2026:11:35:07 +0900");
        assert_eq!(time.utc_us, 1_795_574_107 * MICROS_PER_SECOND);
        assert_eq!(time.offset_minutes, Some(540));
        assert!(warnings.is_empty());
    }

    #[test]
    fn short_and_negative_fractions() {
        let (time, _) = apache("01/Jan/1970:00:00:01.5 +0000");
        assert_eq!(time.utc_us, 1_500_000);
        let (time, warnings) = apache("01/Jan/1970:00:00:01.-123245 +0000");
        assert_eq!(time.utc_us, 1_000_000);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn bad_times() {
        let mut warnings = Vec::new();
        assert!(parse_apache_time("32/Nov/2026:00:00:00 +0000", &mut warnings).is_none());
        assert!(parse_apache_time("25/Foo/2026:00:00:00 +0000", &mut warnings).is_none());
        assert!(parse_apache_time("", &mut warnings).is_none());
        let time = parse_apache_time("25/Nov/2026:00:00:00 +9x", &mut warnings).expect("parses");
        assert_eq!(time.offset_minutes, None);
    }

    #[test]
    fn asctime_and_slashed() {
        assert_eq!(parse_asctime_as_utc("Wed Nov 25 03:32:57 2026"), Some(1_795_577_577 * MICROS_PER_SECOND));
        assert_eq!(parse_asctime_as_utc("Tue Jun  6 11:24:03 2023"), Some(1_686_050_643 * MICROS_PER_SECOND));
        assert_eq!(parse_slashed_datetime_as_utc("[2026/11/25 12:58:55]"), Some(1_795_611_535 * MICROS_PER_SECOND));
        assert!(!is_slashed_datetime("25/Nov/2026:03:22:29 +0000"));
    }
}
