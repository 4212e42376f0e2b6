//! The Dashboard's URLs (pure, tested natively): which window a dashboard filter shows, its
//! `/api/v1/stats` request, the Events link behind every row, bar and bin, and the custom
//! range inputs. Links are built with [`crate::filters`], so they only ever point at our own
//! `/events` route and every value from an event is percent-encoded.

use crate::filters::{Condition, Field, Filter, Preset, TimeRange, with_query};
use crate::format::civil;
use crate::model::{StatsAnswer, TopEntry};

/// The window when the URL names none.
pub const DEFAULT_PRESET: Preset = Preset::Hours24;
/// Entries per top list.
pub const TOP: usize = 10;

/// Rows asked for beyond [`TOP`], so the rule list still fills with the scoring rules hidden
/// (CRS 3 fires 4 of them, CRS 4 up to about 8; with more in the top rows the list is shorter).
const SCORING_SPARE: usize = 10;

/// Whether a rule id is one of CRS's scoring rules: 949 (inbound blocking evaluation), 959
/// (outbound) and 980 (correlation). Nearly every blocked event matches them; they say that a
/// threshold was crossed, not what attacked, so the rule list can hide them.
pub fn is_scoring_rule(id: &str) -> bool {
    id.parse::<u32>().is_ok_and(|id| matches!(id / 1000, 949 | 959 | 980))
}

const MINUTE_US: i64 = 60_000_000;

/// The filter as the dashboard shows it: without a time range, the last [`DEFAULT_PRESET`].
pub fn shown(filter: &Filter) -> Filter {
    match filter.range {
        TimeRange::All => filter.with_range(TimeRange::Last(DEFAULT_PRESET)),
        _ => filter.clone(),
    }
}

/// Whether the window moves with the clock (a preset), so live updates apply.
pub fn is_relative(filter: &Filter) -> bool {
    matches!(shown(filter).range, TimeRange::Last(_))
}

/// The preset shown as selected, if the window is one.
pub fn preset(filter: &Filter) -> Option<Preset> {
    match shown(filter).range {
        TimeRange::Last(preset) => Some(preset),
        _ => None,
    }
}

/// The text of a preset's button: `15 min`, `1 h`, `24 h`, `7 d`.
pub fn preset_button_label(preset: Preset) -> &'static str {
    match preset {
        Preset::Minutes15 => "15 min",
        Preset::Hour1 => "1 h",
        Preset::Hours24 => "24 h",
        Preset::Days7 => "7 d",
    }
}

/// `top=20&<filters>&from=<unix s>[&to=…]`: the stats request, presets resolved at `now_seconds`.
pub fn stats_query(filter: &Filter, now_seconds: i64) -> String {
    let query = shown(filter).api_query(now_seconds, true);
    let top = TOP + SCORING_SPARE;
    if query.is_empty() { format!("top={top}") } else { format!("top={top}&{query}") }
}

/// `/events?<the dashboard's filters and window>`.
pub fn events_href(filter: &Filter) -> String {
    with_query("/events", &shown(filter).url_query())
}

/// The Events page of the dashboard's view narrowed by `condition`.
pub fn events_href_with(filter: &Filter, condition: Condition) -> String {
    events_href(&filter.with(condition))
}

/// The Events page of the dashboard's filters within `[start, end)` (a timeline bin).
pub fn bin_href(filter: &Filter, start: i64, end: i64) -> String {
    let range = TimeRange::Between { from: Some(rfc3339_utc(start)), to: Some(rfc3339_utc(end)) };
    with_query("/events", &filter.with_range(range).url_query())
}

/// The end of the timeline bin starting at `start` (the last bin may be cut by the window).
pub fn bin_end(answer: &StatsAnswer, start: i64) -> i64 {
    let width = i64::try_from(answer.bin_seconds.max(60)).unwrap_or(i64::MAX / 1_000_000) * 1_000_000;
    start.saturating_add(width).min(answer.to)
}

/// The filter a click on `value` of a `field` list adds, or `None` when the events API cannot
/// select it (`none` for a missing status or severity, an empty host, an unparsable address).
pub fn condition_for(field: Field, value: &str) -> Option<Condition> {
    let trimmed = value.trim();
    (!trimmed.is_empty() && trimmed == value && field.check(value).is_ok()).then(|| Condition::new(field, value))
}

/// One of the dashboard's top lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopList {
    Rules,
    ClientIps,
    Paths,
    Hosts,
    Sensors,
    Statuses,
    Severities,
}

impl TopList {
    /// In the order the page shows them.
    pub const ALL: [TopList; 7] =
        [TopList::Rules, TopList::ClientIps, TopList::Paths, TopList::Hosts, TopList::Sensors, TopList::Statuses, TopList::Severities];

    /// The Events filter a row of this list adds.
    pub fn field(self) -> Field {
        match self {
            TopList::Rules => Field::Rule,
            TopList::ClientIps => Field::Ip,
            TopList::Paths => Field::Path,
            TopList::Hosts => Field::Host,
            TopList::Sensors => Field::Sensor,
            TopList::Statuses => Field::Status,
            TopList::Severities => Field::Severity,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TopList::Rules => "Top rules",
            TopList::ClientIps => "Top client IPs",
            TopList::Paths => "Top paths",
            TopList::Hosts => "Top hosts",
            TopList::Sensors => "Sensors",
            TopList::Statuses => "Status codes",
            TopList::Severities => "Severities",
        }
    }

    /// A stable name for test ids and CSS: `rules`, `client-ips`, …
    pub fn key(self) -> &'static str {
        match self {
            TopList::Rules => "rules",
            TopList::ClientIps => "client-ips",
            TopList::Paths => "paths",
            TopList::Hosts => "hosts",
            TopList::Sensors => "sensors",
            TopList::Statuses => "statuses",
            TopList::Severities => "severities",
        }
    }

    /// The rows the list shows: the first [`TOP`], for rules without the scoring rules when
    /// `hide_scoring`.
    pub fn shown(self, answer: &StatsAnswer, hide_scoring: bool) -> Vec<TopEntry> {
        let hide = hide_scoring && self == TopList::Rules;
        self.entries(answer).iter().filter(|entry| !(hide && is_scoring_rule(&entry.value))).take(TOP).cloned().collect()
    }

    pub fn entries(self, answer: &StatsAnswer) -> &[TopEntry] {
        match self {
            TopList::Rules => &answer.rules,
            TopList::ClientIps => &answer.client_ips,
            TopList::Paths => &answer.paths,
            TopList::Hosts => &answer.hosts,
            TopList::Sensors => &answer.sensors,
            TopList::Statuses => &answer.statuses,
            TopList::Severities => &answer.severities,
        }
    }
}

/// Shortest time between two refreshes caused by new events, in ms.
pub const LIVE_REFRESH_MS: f64 = 3_000.0;
/// A relative window moves with the clock: it is asked again at least this often, in ms.
pub const SLIDE_REFRESH_MS: f64 = 60_000.0;

/// When a relative dashboard asks for its numbers again, driven by the live stream's
/// `event: stats` (once a second): after the server's count of stored events changed since the
/// shown answer was requested, at most every [`LIVE_REFRESH_MS`], never while a request is
/// running, and every [`SLIDE_REFRESH_MS`] anyway.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveRefresh {
    /// The stream's latest `published_since_start`.
    published: Option<u64>,
    /// Its value when the shown answer was requested.
    published_at_request: Option<u64>,
    requested_at_ms: Option<f64>,
    in_flight: bool,
}

impl LiveRefresh {
    /// A request for the numbers starts (the page's first one included).
    pub fn started(&mut self, now_ms: f64) {
        self.in_flight = true;
        self.requested_at_ms = Some(now_ms);
        self.published_at_request = self.published;
    }

    /// The request answered (or failed).
    pub fn finished(&mut self) {
        self.in_flight = false;
    }

    /// A stats message of the stream; returns whether to ask again now.
    pub fn on_stats(&mut self, published: u64, now_ms: f64) -> bool {
        // The first reading after a request: the answer counted what was stored before it.
        self.published_at_request.get_or_insert(published);
        self.published = Some(published);
        self.due(now_ms)
    }

    fn due(&self, now_ms: f64) -> bool {
        let Some(requested_at) = self.requested_at_ms else { return false };
        if self.in_flight {
            return false;
        }
        let since = now_ms - requested_at;
        // `!=`, not `>`: a restarted server counts from 0 again.
        let changed = self.published.is_some() && self.published != self.published_at_request;
        (changed && since >= LIVE_REFRESH_MS) || since >= SLIDE_REFRESH_MS
    }
}

/// `2026-11-25T03:00:00Z` (whole seconds; the dashboard's instants are whole minutes).
pub fn rfc3339_utc(micros: i64) -> String {
    let c = civil(micros, 0);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// `2026-11-25T04:00`, the value of a `datetime-local` input showing `micros` at the offset.
pub fn datetime_local_value(micros: i64, offset_minutes: i32) -> String {
    let c = civil(micros, offset_minutes);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    era * 146_097 + year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year - 719_468
}

/// Reads a `datetime-local` value (`2026-11-25T04:00`, seconds optional) as local time;
/// `offset_at(instant)` is the zone's offset east of UTC in minutes at a UTC instant (µs), so
/// daylight-saving changes are honoured. Returns µs since the epoch.
pub fn parse_datetime_local(text: &str, offset_at: impl Fn(i64) -> i32) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.splitn(3, ':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let second: f64 = time_parts.next().map_or(Ok(0.0), str::parse).ok()?;
    let valid = (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0.0..60.0).contains(&second);
    if !valid || civil(days_from_civil(year, month, day) * 86_400_000_000, 0).day != day {
        return None;
    }
    let naive = (days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60) * 1_000_000 + (second * 1e6).round() as i64;
    let guess = naive - i64::from(offset_at(naive)) * MINUTE_US;
    Some(naive - i64::from(offset_at(guess)) * MINUTE_US)
}

/// The custom range from the two inputs, as `from`/`to` in RFC 3339 UTC for the URL.
pub fn custom_range(from_text: &str, to_text: &str, offset_at: impl Fn(i64) -> i32 + Copy) -> Result<TimeRange, String> {
    let from = parse_datetime_local(from_text, offset_at).ok_or("from: pick a date and time")?;
    let to = parse_datetime_local(to_text, offset_at).ok_or("to: pick a date and time")?;
    if from >= to {
        return Err("from must be before to".to_owned());
    }
    Ok(TimeRange::Between { from: Some(rfc3339_utc(from)), to: Some(rfc3339_utc(to)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::parse_query;

    /// 2026-11-25T03:00:00Z.
    const NOV_25_3H: i64 = 1_795_575_600_000_000;

    fn url(query: &str) -> Filter {
        let pairs = parse_query(query);
        Filter::from_pairs(pairs.iter().map(|(name, value)| (name.as_str(), value.as_str())))
    }

    #[test]
    fn no_range_means_the_last_24_hours() {
        let filter = url("host=shop");
        assert_eq!(shown(&filter).range, TimeRange::Last(Preset::Hours24));
        assert!(is_relative(&filter));
        assert_eq!(preset(&filter), Some(Preset::Hours24));
        assert_eq!(stats_query(&filter, 1_000_000), "top=20&host=shop&from=913600");
        assert_eq!(stats_query(&url(""), 1_000_000), "top=20&from=913600");
        let fixed = url("from=2026-11-25T03:00:00Z&to=2026-11-25T04:00:00Z");
        assert!(!is_relative(&fixed));
        assert_eq!(preset(&fixed), None);
        assert_eq!(stats_query(&fixed, 1_000_000), "top=20&from=2026-11-25T03%3A00%3A00Z&to=2026-11-25T04%3A00%3A00Z");
        assert_eq!(stats_query(&url("range=15m"), 1_000_000), "top=20&from=999100");
        assert_eq!(Preset::ALL.map(preset_button_label), ["15 min", "1 h", "24 h", "7 d"]);
    }

    #[test]
    fn rows_link_to_events_with_the_dashboard_filters() {
        let filter = url("sensor=web-01&range=7d");
        let rule = condition_for(Field::Rule, "942100").unwrap();
        assert_eq!(events_href_with(&filter, rule), "/events?sensor=web-01&rule=942100&range=7d");
        assert_eq!(events_href(&url("")), "/events?range=24h", "the events page gets the window the dashboard showed");
        // Values from events are encoded, never markup or a foreign URL.
        let path = condition_for(Field::Path, "/a b?<script>alert(1)</script>").unwrap();
        assert_eq!(events_href_with(&url("range=1h"), path), "/events?path=%2Fa%20b%3F%3Cscript%3Ealert%281%29%3C%2Fscript%3E&range=1h");
        let host = condition_for(Field::Host, "javascript:alert(1)").unwrap();
        assert!(events_href_with(&filter, host).starts_with("/events?sensor=web-01&host=javascript%3Aalert%281%29"));
        // A row replaces the dashboard's own condition on the same field.
        let other = condition_for(Field::Sensor, "web-02").unwrap();
        assert_eq!(events_href_with(&filter, other), "/events?sensor=web-02&range=7d");
    }

    #[test]
    fn values_events_cannot_select_have_no_link() {
        assert!(condition_for(Field::Status, "none").is_none());
        assert!(condition_for(Field::Severity, "none").is_none());
        assert!(condition_for(Field::Severity, "critical").is_some());
        assert!(condition_for(Field::Status, "403").is_some());
        assert!(condition_for(Field::Host, "").is_none());
        assert!(condition_for(Field::Ip, "not-an-address").is_none());
        assert!(condition_for(Field::Ip, "2001:db8::7").is_some());
        assert!(condition_for(Field::Path, " /padded").is_none(), "the URL filter trims, so it would select another path");
    }

    fn empty_answer() -> StatsAnswer {
        StatsAnswer {
            from: 0,
            to: 0,
            bin_seconds: 60,
            totals: Default::default(),
            timeline: Vec::new(),
            rules: Vec::new(),
            client_ips: Vec::new(),
            hosts: Vec::new(),
            paths: Vec::new(),
            sensors: Vec::new(),
            statuses: Vec::new(),
            severities: Vec::new(),
            scores: Vec::new(),
            source: "facts".into(),
            complete: true,
        }
    }

    #[test]
    fn bins_link_to_their_window() {
        let filter = url("rule=942100&range=24h");
        assert_eq!(bin_href(&filter, NOV_25_3H, NOV_25_3H + 10 * MINUTE_US), "/events?rule=942100&from=2026-11-25T03%3A00%3A00Z&to=2026-11-25T03%3A10%3A00Z");
        let answer = StatsAnswer { from: NOV_25_3H, to: NOV_25_3H + 25 * MINUTE_US, bin_seconds: 600, ..empty_answer() };
        assert_eq!(bin_end(&answer, NOV_25_3H), NOV_25_3H + 10 * MINUTE_US);
        assert_eq!(bin_end(&answer, NOV_25_3H + 20 * MINUTE_US), NOV_25_3H + 25 * MINUTE_US, "the last bin ends with the window");
        assert_eq!(TopList::Rules.entries(&answer).len(), 0);
        assert_eq!(TopList::ALL.map(TopList::field).len(), 7);
    }

    #[test]
    fn scoring_rules_can_be_hidden_and_lists_keep_their_length() {
        let entry = |value: &str, total: u64| TopEntry {
            value: value.to_owned(),
            label: None,
            counts: crate::model::ActionCounts { total, blocked: total, detected: 0, passed: 0 },
        };
        let ids = [
            "949110", "980130", "942100", "959100", "980140", "949111", "959101", "980170", "941100", "930120", "932160", "920350", "913100", "920440",
            "941160", "942430", "921110",
        ];
        let rules: Vec<TopEntry> = ids.iter().enumerate().map(|(rank, id)| entry(id, 100 - rank as u64)).collect();
        let answer = StatsAnswer { rules: rules.clone(), paths: rules, ..empty_answer() };
        let shown = |list: TopList, hide| list.shown(&answer, hide).into_iter().map(|entry| entry.value).collect::<Vec<_>>();
        assert_eq!(shown(TopList::Rules, false), ids[..TOP]);
        let hidden = shown(TopList::Rules, true);
        assert_eq!(hidden, ["942100", "941100", "930120", "932160", "920350", "913100", "920440", "941160", "942430", "921110"]);
        assert_eq!(shown(TopList::Paths, true).len(), TOP, "only the rule list hides anything");
        assert!(["949110", "959100", "980130", "980140", "980170"].iter().all(|id| is_scoring_rule(id)));
        assert!(!is_scoring_rule("942100") && !is_scoring_rule("none") && !is_scoring_rule("9491100"));
    }

    #[test]
    fn live_refreshes_follow_new_events_throttled() {
        let mut live = LiveRefresh::default();
        assert!(!live.on_stats(10, 0.0), "nothing asked yet: the page makes the first request");
        live.started(0.0);
        assert!(!live.on_stats(10, 1_000.0), "in flight");
        live.finished();
        assert!(!live.on_stats(10, 2_000.0), "no new events");
        assert!(!live.on_stats(12, 2_500.0), "new events, but too soon");
        assert!(live.on_stats(12, 3_000.0), "new events, throttle passed");
        live.started(3_000.0);
        live.finished();
        assert!(!live.on_stats(12, 9_000.0), "the new answer counted them");
        assert!(!live.on_stats(12, 62_000.0), "not yet a minute");
        assert!(live.on_stats(12, 63_000.0), "the window slides: ask every minute anyway");
        live.started(63_000.0);
        live.finished();
        assert!(live.on_stats(3, 66_000.0), "a restarted server counts from 0 again");

        // Events stored while a request runs are not lost.
        let mut live = LiveRefresh::default();
        live.on_stats(5, 0.0);
        live.started(0.0);
        assert!(!live.on_stats(6, 4_000.0), "in flight");
        live.finished();
        assert!(live.on_stats(6, 5_000.0), "6 > 5 seen when the request started");

        // The stream opened after the first request: its first reading is the baseline.
        let mut live = LiveRefresh::default();
        live.started(0.0);
        live.finished();
        assert!(!live.on_stats(40, 5_000.0));
        assert!(live.on_stats(41, 6_000.0));
    }

    #[test]
    fn custom_ranges_from_local_inputs() {
        assert_eq!(rfc3339_utc(NOV_25_3H), "2026-11-25T03:00:00Z");
        assert_eq!(datetime_local_value(NOV_25_3H, 60), "2026-11-25T04:00");
        assert_eq!(parse_datetime_local("2026-11-25T04:00", |_| 60), Some(NOV_25_3H));
        assert_eq!(parse_datetime_local("2026-11-25T03:00:30", |_| 0), Some(NOV_25_3H + 30_000_000));
        assert_eq!(parse_datetime_local("2026-11-24T22:00", |_| -300), Some(NOV_25_3H));
        assert_eq!(parse_datetime_local("2026-02-30T03:00", |_| 0), None);
        assert_eq!(parse_datetime_local("", |_| 0), None);
        assert_eq!(parse_datetime_local("2026-11-25", |_| 0), None);
        // A zone whose offset changes at 03:00 UTC: the offset of the resulting instant is used.
        let dst = |instant: i64| if instant >= NOV_25_3H { 120 } else { 60 };
        assert_eq!(parse_datetime_local("2026-11-25T05:00", dst), Some(NOV_25_3H));
        for minutes in [0, 60, 330, -300] {
            let text = datetime_local_value(NOV_25_3H, minutes);
            assert_eq!(parse_datetime_local(&text, |_| minutes), Some(NOV_25_3H), "{text} at {minutes}");
        }
        assert_eq!(
            custom_range("2026-11-25T04:00", "2026-11-25T05:00", |_| 60),
            Ok(TimeRange::Between { from: Some("2026-11-25T03:00:00Z".into()), to: Some("2026-11-25T04:00:00Z".into()) })
        );
        assert!(custom_range("2026-11-25T05:00", "2026-11-25T05:00", |_| 0).unwrap_err().contains("before"));
        assert!(custom_range("", "2026-11-25T05:00", |_| 0).is_err());
    }
}
