//! Event filters of `/api/v1/events`, the live stream and `/api/v1/stats`, pure.
//!
//! Every filter is `name=value`; a leading `!` in the value inverts it (`sensor=!web-01`).
//! `ip` takes an address or a CIDR; `score` a CRS inbound anomaly score, an inclusive range
//! (`10-19`) or `none`; `from`/`to` take RFC 3339 or Unix seconds/ms/µs.

use app::model::{Action, EventSummary, Severity, TriageState};
use std::collections::HashMap;
use std::net::IpAddr;

/// One condition: a value and whether it is inverted.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition<T> {
    pub value: T,
    pub negated: bool,
}

impl<T> Condition<T> {
    pub(crate) fn test(&self, holds: bool) -> bool {
        holds != self.negated
    }
}

/// An IP network: 16 bytes (IPv4 mapped into IPv6) and a prefix length over those 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    pub address: [u8; 16],
    pub prefix: u8,
}

impl IpNetwork {
    /// Whether `address` lies in this network.
    pub fn contains(&self, address: &[u8; 16]) -> bool {
        let full_bytes = usize::from(self.prefix / 8);
        let rest_bits = self.prefix % 8;
        if self.address[..full_bytes] != address[..full_bytes] {
            return false;
        }
        if rest_bits == 0 {
            return true;
        }
        let mask = 0xffu8 << (8 - rest_bits);
        (self.address[full_bytes] & mask) == (address[full_bytes] & mask)
    }

    /// Whether the network is a single address.
    pub fn is_single(&self) -> bool {
        self.prefix == 128
    }
}

/// An IP address as the 16 bytes used for indexing and matching.
pub fn ip_key(address: IpAddr) -> [u8; 16] {
    match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// Parses what sensors write as a client address (`::1`, `[::1]`, `::ffff:1.2.3.4`, `1.2.3.4`).
pub fn parse_client_ip(text: &str) -> Option<[u8; 16]> {
    let trimmed = text.trim().trim_start_matches('[').trim_end_matches(']');
    trimmed.parse::<IpAddr>().ok().map(ip_key)
}

fn parse_network(text: &str) -> Option<IpNetwork> {
    let (address_text, prefix_text) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: IpAddr = address_text.trim().trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    let (max, offset) = if address.is_ipv4() { (32u8, 96u8) } else { (128u8, 0u8) };
    let prefix = match prefix_text {
        Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|prefix| *prefix <= max)?,
        None => max,
    };
    let mut network = IpNetwork { address: ip_key(address), prefix: prefix + offset };
    // Normalise host bits so equality and index use are predictable.
    let full_bytes = usize::from(network.prefix / 8);
    let rest_bits = network.prefix % 8;
    if full_bytes < 16 {
        if rest_bits > 0 {
            network.address[full_bytes] &= 0xffu8 << (8 - rest_bits);
            network.address[full_bytes + 1..].fill(0);
        } else {
            network.address[full_bytes..].fill(0);
        }
    }
    Some(network)
}

/// Which inbound anomaly scores a `score` filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreMatch {
    /// `low..=high` (`score=5` is `5..=5`).
    Range(u32, u32),
    /// Events that carried no score (`score=none`).
    Missing,
}

impl ScoreMatch {
    fn parse(text: &str) -> Option<ScoreMatch> {
        if text.eq_ignore_ascii_case("none") {
            return Some(ScoreMatch::Missing);
        }
        let (low, high) = match text.split_once('-') {
            Some((low, high)) => (low.trim().parse().ok()?, high.trim().parse().ok()?),
            None => {
                let score = text.parse().ok()?;
                (score, score)
            }
        };
        (low <= high).then_some(ScoreMatch::Range(low, high))
    }

    pub fn selects(self, score: Option<u32>) -> bool {
        match (self, score) {
            (ScoreMatch::Range(low, high), Some(score)) => (low..=high).contains(&score),
            (ScoreMatch::Missing, None) => true,
            _ => false,
        }
    }
}

/// All filters of a query; `None` = not filtered on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub sensor: Option<Condition<String>>,
    pub host: Option<Condition<String>>,
    pub ip: Option<Condition<IpNetwork>>,
    pub rule: Option<Condition<u32>>,
    pub severity: Option<Condition<Severity>>,
    pub status: Option<Condition<u16>>,
    pub action: Option<Condition<Action>>,
    pub method: Option<Condition<String>>,
    /// Prefix of the URI's path.
    pub path: Option<Condition<String>>,
    pub score: Option<Condition<ScoreMatch>>,
    /// `preserved=yes` (kept by retention) or `no`.
    pub preserved: Option<bool>,
    /// Triage state (`state=false_positive`, `state=!new`).
    pub state: Option<Condition<TriageState>>,
    /// Has this tag (`tag=blog`, `tag=!blog`).
    pub tag: Option<Condition<String>>,
    /// Has an alert on this matched variable (`variable=ARGS:comment`, any case).
    pub variable: Option<Condition<String>>,
    /// Event time bounds in µs (inclusive from, exclusive to).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// A positive equality filter that a secondary index can answer.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexHint {
    Rule(u32),
    ClientIp([u8; 16]),
    Host(String),
    Status(u16),
    Sensor(String),
    Method(String),
    Severity(Severity),
    Action(Action),
    /// The preserved events (their own table).
    Preserved,
    /// The events with a state other than `new` or a tag (their own table).
    Triaged,
}

/// A filter value that does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bad filter {name}={value:?}: {expected}")]
pub struct FilterError {
    pub name: String,
    pub value: String,
    pub expected: &'static str,
}

/// Query parameters that are not filters.
pub const NON_FILTER_PARAMS: &[&str] = &["limit", "before"];

impl EventFilter {
    /// Reads the filters from query parameters; unknown names are errors.
    pub fn from_params(params: &HashMap<String, String>) -> Result<EventFilter, FilterError> {
        let mut filter = EventFilter::default();
        for (name, raw) in params {
            if NON_FILTER_PARAMS.contains(&name.as_str()) || raw.is_empty() {
                continue;
            }
            let (negated, value) = match raw.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, raw.trim()),
            };
            let error = |expected| FilterError { name: name.clone(), value: raw.clone(), expected };
            match name.as_str() {
                "sensor" => filter.sensor = Some(Condition { value: value.to_owned(), negated }),
                "host" => filter.host = Some(Condition { value: value.to_ascii_lowercase(), negated }),
                "method" => filter.method = Some(Condition { value: value.to_ascii_uppercase(), negated }),
                "path" => filter.path = Some(Condition { value: value.to_owned(), negated }),
                "ip" => {
                    let network = parse_network(value).ok_or_else(|| error("an IP address or CIDR like 10.0.0.0/8"))?;
                    filter.ip = Some(Condition { value: network, negated });
                }
                "rule" => {
                    let rule = value.parse().map_err(|_| error("a numeric rule id"))?;
                    filter.rule = Some(Condition { value: rule, negated });
                }
                "status" => {
                    let status = value.parse().map_err(|_| error("an HTTP status code"))?;
                    filter.status = Some(Condition { value: status, negated });
                }
                "severity" => {
                    let severity = Severity::parse(value).ok_or_else(|| error("emergency … debug, or 0-7"))?;
                    filter.severity = Some(Condition { value: severity, negated });
                }
                "score" => {
                    let score = ScoreMatch::parse(value).ok_or_else(|| error("an anomaly score, a range like 10-19, or none"))?;
                    filter.score = Some(Condition { value: score, negated });
                }
                "preserved" => {
                    let yes = match value.to_ascii_lowercase().as_str() {
                        "yes" | "true" | "1" => true,
                        "no" | "false" | "0" => false,
                        _ => return Err(error("yes or no")),
                    };
                    filter.preserved = Some(yes != negated);
                }
                "state" => {
                    let state = TriageState::parse(value).ok_or_else(|| error("new, reviewed, false_positive or attack"))?;
                    filter.state = Some(Condition { value: state, negated });
                }
                "variable" => filter.variable = Some(Condition { value: value.to_owned(), negated }),
                "tag" => {
                    if !app::model::is_valid_tag(value) {
                        return Err(error("a tag (letters, digits and -_.:/@+)"));
                    }
                    filter.tag = Some(Condition { value: value.to_owned(), negated });
                }
                "action" => {
                    let action = match value.to_ascii_lowercase().as_str() {
                        "blocked" => Action::Blocked,
                        "detected" => Action::Detected,
                        "passed" => Action::Passed,
                        _ => return Err(error("blocked, detected or passed")),
                    };
                    filter.action = Some(Condition { value: action, negated });
                }
                "from" | "to" => {
                    if negated {
                        return Err(error("a time (cannot be inverted)"));
                    }
                    let micros = parse_time(value).ok_or_else(|| error("RFC 3339 or Unix seconds/ms/µs"))?;
                    if name == "from" { filter.from = Some(micros) } else { filter.to = Some(micros) }
                }
                _ => {
                    return Err(FilterError {
                        name: name.clone(),
                        value: raw.clone(),
                        expected: "one of sensor, host, ip, rule, severity, status, action, method, path, score, preserved, state, tag, variable, from, to, limit, before",
                    });
                }
            }
        }
        Ok(filter)
    }

    /// Whether `event` passes every filter.
    pub fn matches(&self, event: &EventSummary) -> bool {
        if let Some(condition) = &self.sensor
            && !condition.test(event.sensor == condition.value)
        {
            return false;
        }
        if let Some(condition) = &self.host
            && !condition.test(event.host.eq_ignore_ascii_case(&condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.method
            && !condition.test(event.method.eq_ignore_ascii_case(&condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.path
            && !condition.test(event.uri.starts_with(&condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.ip {
            let inside = parse_client_ip(&event.client_ip).is_some_and(|address| condition.value.contains(&address));
            if !condition.test(inside) {
                return false;
            }
        }
        if let Some(condition) = &self.rule
            && !condition.test(event.rule_ids.contains(&condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.severity
            && !condition.test(event.max_severity == Some(condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.status
            && !condition.test(event.status == Some(condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.action
            && !condition.test(event.action == condition.value)
        {
            return false;
        }
        if let Some(condition) = &self.score
            && !condition.test(condition.value.selects(event.anomaly_score))
        {
            return false;
        }
        if self.preserved.is_some_and(|preserved| preserved != event.preserved) {
            return false;
        }
        if let Some(condition) = &self.state
            && !condition.test(event.state == condition.value)
        {
            return false;
        }
        if let Some(condition) = &self.tag
            && !condition.test(event.tags.contains(&condition.value))
        {
            return false;
        }
        if let Some(condition) = &self.variable
            && !condition.test(event.alerts.iter().any(|alert| alert.variable.eq_ignore_ascii_case(&condition.value)))
        {
            return false;
        }
        let time = event.time.unwrap_or(event.received_at);
        if self.from.is_some_and(|from| time < from) || self.to.is_some_and(|to| time >= to) {
            return false;
        }
        true
    }

    /// The most selective positive filter an index can serve, if any.
    pub fn index_hint(&self) -> Option<IndexHint> {
        let positive = |negated: bool| !negated;
        if self.preserved == Some(true) {
            return Some(IndexHint::Preserved);
        }
        // only triaged events have a state other than new or a tag
        let triaged_state = self.state.as_ref().is_some_and(|c| (c.value == TriageState::New) == c.negated);
        if triaged_state || self.tag.as_ref().is_some_and(|c| positive(c.negated)) {
            return Some(IndexHint::Triaged);
        }
        if let Some(condition) = self.rule.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Rule(condition.value));
        }
        if let Some(condition) = self.ip.as_ref().filter(|c| positive(c.negated) && c.value.is_single()) {
            return Some(IndexHint::ClientIp(condition.value.address));
        }
        if let Some(condition) = self.host.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Host(condition.value.clone()));
        }
        if let Some(condition) = self.status.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Status(condition.value));
        }
        if let Some(condition) = self.sensor.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Sensor(condition.value.clone()));
        }
        if let Some(condition) = self.method.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Method(condition.value.clone()));
        }
        if let Some(condition) = self.severity.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Severity(condition.value));
        }
        if let Some(condition) = self.action.as_ref().filter(|c| positive(c.negated)) {
            return Some(IndexHint::Action(condition.value));
        }
        None
    }
}

/// Index byte for an action.
pub fn action_code(action: Action) -> u8 {
    match action {
        Action::Blocked => 0,
        Action::Detected => 1,
        Action::Passed => 2,
    }
}

/// RFC 3339 (`2026-11-25T10:00:00Z`, `…+09:00`, fractions) or a Unix number: seconds below
/// 10^11, milliseconds below 10^14, else microseconds. Returns µs since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(number) = text.parse::<i64>() {
        let magnitude = number.unsigned_abs();
        return Some(if magnitude < 100_000_000_000 {
            number.checked_mul(1_000_000)?
        } else if magnitude < 100_000_000_000_000 {
            number.checked_mul(1_000)?
        } else {
            number
        });
    }
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let slice = bytes.get(range)?;
        if slice.iter().all(u8::is_ascii_digit) { std::str::from_utf8(slice).ok()?.parse().ok() } else { None }
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') || !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut index = 19;
    let mut micros = 0i64;
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        let start = index;
        while bytes.get(index).is_some_and(u8::is_ascii_digit) {
            index += 1;
        }
        let fraction = std::str::from_utf8(&bytes[start..index]).ok()?;
        let padded: String = fraction.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros = padded.parse().ok()?;
    }
    let offset_seconds = match bytes.get(index) {
        Some(b'Z' | b'z') if index + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) if index + 6 == bytes.len() && bytes[index + 3] == b':' => {
            let hours = digits(index + 1..index + 3)?;
            let minutes = digits(index + 4..index + 6)?;
            let magnitude = hours * 3600 + minutes * 60;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn summary() -> EventSummary {
        EventSummary {
            id: 1,
            received_at: 1_795_574_107_000_000,
            time: Some(1_795_574_107_552_557),
            sensor: "web-01".into(),
            unique_id: "u".into(),
            client_ip: "10.1.2.3".into(),
            host: "Shop.Example.com".into(),
            method: "GET".into(),
            uri: "/search?q=1".into(),
            status: Some(403),
            action: Action::Blocked,
            rule_ids: vec![942100, 949110],
            max_severity: Some(Severity::Critical),
            anomaly_score: Some(5),
            top_rule: Some(942100),
            top_message: None,
            parse_ok: true,
            format: app::model::Format::ModSec2Native,
            warning_count: 0,
            hash_mismatch: false,
            revision: 0,
            preserved: false,
            alerts: Vec::new(),
            inbound_threshold: None,
            state: Default::default(),
            tags: Vec::new(),
            covered_by: None,
        }
    }

    #[test]
    fn filters_match_and_invert() {
        let event = summary();
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[("sensor", "web-01")], true),
            (&[("sensor", "!web-01")], false),
            (&[("host", "shop.example.com")], true),
            (&[("ip", "10.0.0.0/8")], true),
            (&[("ip", "!10.0.0.0/8")], false),
            (&[("ip", "10.1.2.3")], true),
            (&[("ip", "192.168.0.0/16")], false),
            (&[("ip", "::ffff:10.1.2.3")], true),
            (&[("rule", "942100")], true),
            (&[("rule", "!942100")], false),
            (&[("rule", "941100")], false),
            (&[("severity", "critical")], true),
            (&[("severity", "warning")], false),
            (&[("status", "403")], true),
            (&[("action", "blocked")], true),
            (&[("action", "!blocked")], false),
            (&[("method", "get")], true),
            (&[("path", "/search")], true),
            (&[("path", "/admin")], false),
            (&[("from", "2026-11-25T02:35:07Z"), ("to", "2026-11-25T02:35:08Z")], true),
            (&[("from", "2026-11-25T02:35:08Z")], false),
            (&[("sensor", "web-01"), ("rule", "942100"), ("ip", "!192.0.2.0/24")], true),
            (&[("score", "5")], true),
            (&[("score", "4")], false),
            (&[("score", "5-9")], true),
            (&[("score", "0-4")], false),
            (&[("score", "6-9")], false),
            (&[("score", "!0-4")], true),
            (&[("score", "none")], false),
            (&[("score", "!none")], true),
        ];
        for (pairs, expected) in cases {
            let filter = EventFilter::from_params(&params(pairs)).unwrap();
            assert_eq!(filter.matches(&event), *expected, "{pairs:?}");
        }
    }

    #[test]
    fn triage_filters() {
        let triaged = EventSummary { state: TriageState::FalsePositive, tags: vec!["blog".into(), "ticket:7".into()], ..summary() };
        let untouched = summary();
        let filter = |pairs: &[(&str, &str)]| EventFilter::from_params(&params(pairs)).unwrap();
        // (filter, passes the triaged event, passes the untouched one)
        type Case<'a> = (&'a [(&'a str, &'a str)], bool, bool);
        let cases: &[Case] = &[
            (&[("state", "false_positive")], true, false),
            (&[("state", "false-positive")], true, false),
            (&[("state", "!new")], true, false),
            (&[("state", "new")], false, true),
            (&[("state", "!attack")], true, true),
            (&[("tag", "blog")], true, false),
            (&[("tag", "!blog")], false, true),
            (&[("tag", "ticket:7"), ("state", "fp")], true, false),
        ];
        for (pairs, on_triaged, on_untouched) in cases {
            assert_eq!((filter(pairs).matches(&triaged), filter(pairs).matches(&untouched)), (*on_triaged, *on_untouched), "{pairs:?}");
        }
        // the triage table answers exactly the filters that only triaged events pass
        assert_eq!(filter(&[("state", "attack")]).index_hint(), Some(IndexHint::Triaged));
        assert_eq!(filter(&[("state", "!new")]).index_hint(), Some(IndexHint::Triaged));
        assert_eq!(filter(&[("tag", "blog")]).index_hint(), Some(IndexHint::Triaged));
        assert_eq!(filter(&[("state", "new")]).index_hint(), None);
        assert_eq!(filter(&[("state", "!attack")]).index_hint(), None);
        assert_eq!(filter(&[("tag", "!blog")]).index_hint(), None);
        assert!(EventFilter::from_params(&params(&[("state", "maybe")])).is_err());
        assert!(EventFilter::from_params(&params(&[("tag", "<b>")])).is_err());
    }

    #[test]
    fn variable_filter_looks_at_every_alert() {
        let alerts = vec![
            app::model::Alert { rule_id: 942100, variable: "ARGS:comment".into(), severity: None },
            app::model::Alert { rule_id: 949110, variable: "TX:anomaly_score".into(), severity: None },
        ];
        let event = EventSummary { alerts, ..summary() };
        let filter = |value: &str| EventFilter::from_params(&params(&[("variable", value)])).unwrap();
        assert!(filter("ARGS:comment").matches(&event) && filter("args:COMMENT").matches(&event) && filter("TX:anomaly_score").matches(&event));
        assert!(!filter("ARGS:q").matches(&event) && filter("!ARGS:q").matches(&event) && !filter("!ARGS:comment").matches(&event));
    }

    #[test]
    fn score_none_selects_events_without_a_score() {
        let unscored = EventSummary { anomaly_score: None, ..summary() };
        let filter = |value: &str| EventFilter::from_params(&params(&[("score", value)])).unwrap();
        assert!(filter("none").matches(&unscored));
        assert!(filter("NONE").matches(&unscored));
        assert!(!filter("0-1000").matches(&unscored), "no score is not a score of 0");
        assert!(filter("!0-1000").matches(&unscored));
    }

    #[test]
    fn ipv6_networks() {
        let network = parse_network("2001:db8::/32").unwrap();
        assert!(network.contains(&parse_client_ip("2001:db8::7").unwrap()));
        assert!(!network.contains(&parse_client_ip("2001:db9::7").unwrap()));
        assert!(!network.contains(&parse_client_ip("10.0.0.1").unwrap()));
        assert!(parse_network("10.0.0.0/33").is_none());
        assert_eq!(parse_network("10.1.2.3/8").unwrap(), parse_network("10.0.0.0/8").unwrap());
    }

    #[test]
    fn bad_values_are_errors_naming_the_filter() {
        for (name, value) in
            [("ip", "nope"), ("rule", "abc"), ("status", "x"), ("action", "maybe"), ("bogus", "1"), ("from", "!1"), ("score", "9-5"), ("score", "high")]
        {
            let error = EventFilter::from_params(&params(&[(name, value)])).unwrap_err();
            assert_eq!(error.name, name);
        }
    }

    #[test]
    fn index_hint_prefers_selective_positive_filters() {
        let filter = EventFilter::from_params(&params(&[("sensor", "a"), ("rule", "!1"), ("status", "403")])).unwrap();
        assert_eq!(filter.index_hint(), Some(IndexHint::Status(403)));
        let filter = EventFilter::from_params(&params(&[("ip", "10.0.0.0/8")])).unwrap();
        assert_eq!(filter.index_hint(), None, "CIDR ranges are post-filtered");
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2026-11-25T09:00:00+09:00"), parse_time("2026-11-25T00:00:00Z"));
        assert_eq!(parse_time("2026-11-25T00:00:00.5Z").unwrap() % 1_000_000, 500_000);
        assert_eq!(parse_time("1795574107"), Some(1_795_574_107_000_000));
        assert_eq!(parse_time("1795574107000"), Some(1_795_574_107_000_000));
        assert_eq!(parse_time("1795574107000000"), Some(1_795_574_107_000_000));
        assert_eq!(parse_time("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
