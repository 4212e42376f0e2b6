//! Event filters as the UI holds them, and their two spellings: the page URL (`/events?…`,
//! bookmarkable) and the API query (`/api/v1/events?…`, `/api/v1/live?…`). Pure, tested natively.
//!
//! One condition per field (the API takes one value per name); a leading `!` inverts it.
//! The time range is a preset (`range=15m`, resolved to `from=<unix seconds>` when a request is
//! made) or explicit `from`/`to` values passed through as written.

/// A filterable field of an event, in the order chips are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Sensor,
    Host,
    Ip,
    Rule,
    Severity,
    Status,
    Action,
    Method,
    Path,
    /// CRS inbound anomaly score: `5`, an inclusive range `10-19`, or `none`.
    Score,
    /// Marked by an analyst so retention keeps it: `yes` or `no`.
    Preserved,
    /// Triage state: `new`, `reviewed`, `false_positive`, `attack`.
    State,
    /// A triage tag.
    Tag,
    /// An alert's matched variable, e.g. `ARGS:comment`.
    Variable,
}

impl Field {
    /// Every field, in chip order.
    pub const ALL: [Field; 14] = [
        Field::Sensor,
        Field::Host,
        Field::Ip,
        Field::Rule,
        Field::Severity,
        Field::Status,
        Field::Action,
        Field::Method,
        Field::Path,
        Field::Score,
        Field::Preserved,
        Field::State,
        Field::Tag,
        Field::Variable,
    ];

    /// The query-parameter name (also the chip prefix).
    pub fn name(self) -> &'static str {
        match self {
            Field::Sensor => "sensor",
            Field::Host => "host",
            Field::Ip => "ip",
            Field::Rule => "rule",
            Field::Severity => "severity",
            Field::Status => "status",
            Field::Action => "action",
            Field::Method => "method",
            Field::Path => "path",
            Field::Score => "score",
            Field::Preserved => "preserved",
            Field::State => "state",
            Field::Tag => "tag",
            Field::Variable => "variable",
        }
    }

    /// Looks a field up by its query-parameter name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    /// Checks a value the way the server will, so typos are caught before a request.
    pub fn check(self, value: &str) -> Result<(), String> {
        let ok = match self {
            Field::Rule => value.parse::<u32>().is_ok(),
            Field::Status => value.parse::<u16>().is_ok(),
            Field::Action => matches!(value.to_ascii_lowercase().as_str(), "blocked" | "detected" | "passed"),
            Field::Severity => wafscope_parse::Severity::parse(value).is_some(),
            Field::Ip => looks_like_network(value),
            Field::Score => looks_like_score(value),
            Field::Preserved => matches!(value.to_ascii_lowercase().as_str(), "yes" | "no"),
            Field::State => crate::model::TriageState::parse(value).is_some(),
            Field::Tag => crate::model::is_valid_tag(value),
            Field::Sensor | Field::Host | Field::Method | Field::Path | Field::Variable => true,
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                Field::Rule => "rule: expects a numeric rule id, e.g. rule:942100".to_owned(),
                Field::Status => "status: expects an HTTP status code, e.g. status:403".to_owned(),
                Field::Action => "action: expects blocked, detected or passed".to_owned(),
                Field::Severity => "severity: expects emergency … debug (or 0-7)".to_owned(),
                Field::Ip => "ip: expects an address or CIDR, e.g. ip:10.0.0.0/8".to_owned(),
                Field::Score => "score: expects an anomaly score, a range or none, e.g. score:10-19".to_owned(),
                Field::Preserved => "preserved: expects yes or no".to_owned(),
                Field::State => "state: expects new, reviewed, false_positive or attack".to_owned(),
                Field::Tag => "tag: expects one word of letters, digits and -_.:/@+".to_owned(),
                _ => unreachable!("text fields accept anything"),
            })
        }
    }
}

/// `N`, `low-high` (low ≤ high) or `none`, as the server's `score` filter takes them.
fn looks_like_score(value: &str) -> bool {
    if value.eq_ignore_ascii_case("none") {
        return true;
    }
    match value.split_once('-') {
        Some((low, high)) => matches!((low.trim().parse::<u32>(), high.trim().parse::<u32>()), (Ok(low), Ok(high)) if low <= high),
        None => value.parse::<u32>().is_ok(),
    }
}

fn looks_like_network(value: &str) -> bool {
    let (address, prefix) = match value.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (value, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let Ok(address) = address.parse::<std::net::IpAddr>() else { return false };
    let max = if address.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|prefix| prefix.parse::<u8>().is_ok_and(|prefix| prefix <= max))
}

/// `field:value`, inverted when `negated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub value: String,
    pub negated: bool,
}

impl Condition {
    pub fn new(field: Field, value: impl Into<String>) -> Condition {
        Condition { field, value: value.into(), negated: false }
    }

    /// The chip text: `sensor:web-01`, `!ip:10.0.0.0/8`.
    pub fn chip_text(&self) -> String {
        format!("{}{}:{}", if self.negated { "!" } else { "" }, self.field.name(), self.value)
    }

    /// The query value: `web-01` or `!10.0.0.0/8`.
    pub fn query_value(&self) -> String {
        format!("{}{}", if self.negated { "!" } else { "" }, self.value)
    }

    /// Parses what a user types into the filter bar: `ip:10.0.0.0/8`, `!rule:942100`,
    /// `rule:!942100`, `status: 403`.
    pub fn parse_input(text: &str) -> Result<Condition, String> {
        let text = text.trim();
        let (mut negated, rest) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let Some((name, value)) = rest.split_once(':') else {
            return Err(format!("write field:value, e.g. ip:10.0.0.0/8 (fields: {})", field_names()));
        };
        let field = Field::from_name(name.trim().to_ascii_lowercase().as_str())
            .ok_or_else(|| format!("unknown field {:?}; use one of {}", name.trim(), field_names()))?;
        let mut value = value.trim();
        if let Some(rest) = value.strip_prefix('!') {
            negated = !negated;
            value = rest.trim();
        }
        if value.is_empty() {
            return Err(format!("{}: needs a value", field.name()));
        }
        field.check(value)?;
        Ok(Condition { field, value: value.to_owned(), negated })
    }
}

fn field_names() -> String {
    Field::ALL.map(Field::name).join(", ")
}

/// A relative time range, resolved against the clock when a request is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Minutes15,
    Hour1,
    Hours24,
    Days7,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Minutes15, Preset::Hour1, Preset::Hours24, Preset::Days7];

    /// The URL spelling (`range=15m`).
    pub fn key(self) -> &'static str {
        match self {
            Preset::Minutes15 => "15m",
            Preset::Hour1 => "1h",
            Preset::Hours24 => "24h",
            Preset::Days7 => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Minutes15 => "Last 15 min",
            Preset::Hour1 => "Last 1 h",
            Preset::Hours24 => "Last 24 h",
            Preset::Days7 => "Last 7 d",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Preset::Minutes15 => 15 * 60,
            Preset::Hour1 => 3600,
            Preset::Hours24 => 86_400,
            Preset::Days7 => 7 * 86_400,
        }
    }

    pub fn from_key(key: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.key() == key)
    }
}

/// Which events by time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimeRange {
    /// No time bound.
    #[default]
    All,
    /// The last N minutes/hours/days before the request.
    Last(Preset),
    /// Explicit bounds as written in the URL (RFC 3339 or Unix seconds; the server checks them).
    Between { from: Option<String>, to: Option<String> },
}

/// Everything the filter bar holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// At most one per field, sorted by field.
    pub conditions: Vec<Condition>,
    pub range: TimeRange,
}

impl Filter {
    /// Reads a filter from decoded query pairs (URL or API spelling); unknown names are ignored,
    /// so other page state can share the query string.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Filter {
        let mut filter = Filter::default();
        let (mut from, mut to) = (None, None);
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name {
                "range" => {
                    if let Some(preset) = Preset::from_key(value) {
                        filter.range = TimeRange::Last(preset);
                    }
                }
                "from" => from = Some(value.to_owned()),
                "to" => to = Some(value.to_owned()),
                _ => {
                    if let Some(field) = Field::from_name(name) {
                        let (negated, value) = match value.strip_prefix('!') {
                            Some(rest) => (true, rest.trim()),
                            None => (false, value),
                        };
                        if !value.is_empty() {
                            filter = filter.with(Condition { field, value: value.to_owned(), negated });
                        }
                    }
                }
            }
        }
        if (from.is_some() || to.is_some()) && filter.range == TimeRange::All {
            filter.range = TimeRange::Between { from, to };
        }
        filter
    }

    /// The filter with `condition` added, replacing any condition on the same field.
    pub fn with(&self, condition: Condition) -> Filter {
        let mut next = self.clone();
        next.conditions.retain(|existing| existing.field != condition.field);
        next.conditions.push(condition);
        next.conditions.sort_by_key(|condition| condition.field);
        next
    }

    /// The filter without the condition on `field`.
    pub fn without(&self, field: Field) -> Filter {
        let mut next = self.clone();
        next.conditions.retain(|existing| existing.field != field);
        next
    }

    /// The filter with the condition on `field` inverted.
    pub fn inverted(&self, field: Field) -> Filter {
        let mut next = self.clone();
        for condition in next.conditions.iter_mut().filter(|condition| condition.field == field) {
            condition.negated = !condition.negated;
        }
        next
    }

    pub fn with_range(&self, range: TimeRange) -> Filter {
        Filter { conditions: self.conditions.clone(), range }
    }

    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.range == TimeRange::All
    }

    fn condition_pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.conditions.iter().map(|condition| (condition.field.name().to_owned(), condition.query_value()))
    }

    /// The page-URL spelling: fields, then `range` or `from`/`to`.
    pub fn url_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = self.condition_pairs().collect();
        match &self.range {
            TimeRange::All => {}
            TimeRange::Last(preset) => pairs.push(("range".to_owned(), preset.key().to_owned())),
            TimeRange::Between { from, to } => {
                pairs.extend(from.iter().map(|from| ("from".to_owned(), from.clone())));
                pairs.extend(to.iter().map(|to| ("to".to_owned(), to.clone())));
            }
        }
        pairs
    }

    /// `sensor=web-01&ip=%2110.0.0.0%2F8&range=15m`, or `""`.
    pub fn url_query(&self) -> String {
        encode_query(&self.url_pairs())
    }

    /// The API spelling: presets become `from=<unix seconds>` relative to `now_seconds`.
    /// With `with_time = false` (the live stream) the time range is left out.
    pub fn api_pairs(&self, now_seconds: i64, with_time: bool) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = self.condition_pairs().collect();
        if with_time {
            match &self.range {
                TimeRange::All => {}
                TimeRange::Last(preset) => pairs.push(("from".to_owned(), (now_seconds - preset.seconds()).to_string())),
                TimeRange::Between { from, to } => {
                    pairs.extend(from.iter().map(|from| ("from".to_owned(), from.clone())));
                    pairs.extend(to.iter().map(|to| ("to".to_owned(), to.clone())));
                }
            }
        }
        pairs
    }

    pub fn api_query(&self, now_seconds: i64, with_time: bool) -> String {
        encode_query(&self.api_pairs(now_seconds, with_time))
    }
}

/// `path` plus `?query` when the query is not empty.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

/// Joins pairs into a query string, percent-encoding names and values.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(name, value)| format!("{}={}", encode_component(name), encode_component(value))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes everything but RFC 3986 unreserved characters (like `encodeURIComponent`,
/// stricter: `!*'()` are encoded too).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Splits and decodes a query string (`+` is a space; bad escapes stay as written).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3])
                    .ok()
                    .filter(|hex| hex.bytes().all(|byte| byte.is_ascii_hexdigit()))
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Filter {
        let decoded = parse_query(query);
        Filter::from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    #[test]
    fn url_round_trip() {
        let filter = Filter::default()
            .with(Condition::new(Field::Sensor, "web-01"))
            .with(Condition { field: Field::Ip, value: "10.0.0.0/8".into(), negated: true })
            .with(Condition::new(Field::Path, "/a b&c=d?<script>"))
            .with(Condition::new(Field::Rule, "942100"))
            .with_range(TimeRange::Last(Preset::Hour1));
        let query = filter.url_query();
        assert_eq!(query, "sensor=web-01&ip=%2110.0.0.0%2F8&rule=942100&path=%2Fa%20b%26c%3Dd%3F%3Cscript%3E&range=1h");
        assert_eq!(pairs(&query), filter);
        let explicit = Filter::default().with_range(TimeRange::Between { from: Some("2026-11-25T03:00:00Z".into()), to: None });
        assert_eq!(explicit.url_query(), "from=2026-11-25T03%3A00%3A00Z");
        assert_eq!(pairs(&explicit.url_query()), explicit);
        assert_eq!(pairs(""), Filter::default());
        assert_eq!(Filter::default().url_query(), "");
    }

    #[test]
    fn reads_urls_written_by_hand() {
        let filter = pairs("?rule=942100&ip=!10.0.0.0/8&cursor=3&host=&range=bogus&status=%21403");
        assert_eq!(
            filter.conditions,
            vec![
                Condition { field: Field::Ip, value: "10.0.0.0/8".into(), negated: true },
                Condition::new(Field::Rule, "942100"),
                Condition { field: Field::Status, value: "403".into(), negated: true },
            ]
        );
        assert_eq!(filter.range, TimeRange::All);
        assert_eq!(pairs("a=%zz&b=%"), Filter::default());
        assert_eq!(parse_query("a=%zz&b=%&c=x+y%2"), vec![("a".into(), "%zz".into()), ("b".into(), "%".into()), ("c".into(), "x y%2".into())]);
    }

    #[test]
    fn one_condition_per_field_and_edits() {
        let filter = Filter::default().with(Condition::new(Field::Rule, "1")).with(Condition::new(Field::Rule, "2"));
        assert_eq!(filter.conditions, vec![Condition::new(Field::Rule, "2")]);
        let inverted = filter.inverted(Field::Rule);
        assert_eq!(inverted.conditions[0].chip_text(), "!rule:2");
        assert_eq!(inverted.inverted(Field::Rule), filter);
        assert!(filter.without(Field::Rule).is_empty());
    }

    #[test]
    fn api_spelling_resolves_presets() {
        let filter = Filter::default().with(Condition::new(Field::Host, "shop")).with_range(TimeRange::Last(Preset::Minutes15));
        assert_eq!(filter.api_query(1_000_000, true), "host=shop&from=999100");
        assert_eq!(filter.api_query(1_000_000, false), "host=shop");
        assert_eq!(filter.url_query(), "host=shop&range=15m");
    }

    #[test]
    fn typed_input() {
        assert_eq!(Condition::parse_input(" ip:10.0.0.0/8 ").unwrap().chip_text(), "ip:10.0.0.0/8");
        assert_eq!(Condition::parse_input("!rule:942100").unwrap().chip_text(), "!rule:942100");
        assert_eq!(Condition::parse_input("rule:!942100").unwrap().chip_text(), "!rule:942100");
        assert_eq!(Condition::parse_input("Status: 403").unwrap().chip_text(), "status:403");
        assert_eq!(Condition::parse_input("ip:2001:db8::/32").unwrap().value, "2001:db8::/32");
        assert_eq!(Condition::parse_input("path:/a:b").unwrap().value, "/a:b");
        assert!(Condition::parse_input("rule:abc").unwrap_err().contains("numeric"));
        assert!(Condition::parse_input("ip:10.0.0.0/33").is_err());
        assert!(Condition::parse_input("colour:red").unwrap_err().contains("unknown field"));
        assert!(Condition::parse_input("942100").unwrap_err().contains("field:value"));
        assert!(Condition::parse_input("host:").is_err());
        assert!(Condition::parse_input("severity:CRITICAL").is_ok());
        assert!(Condition::parse_input("action:denied").is_err());
        assert_eq!(Condition::parse_input("score:10-19").unwrap().chip_text(), "score:10-19");
        assert!(Condition::parse_input("score:none").is_ok());
        assert!(Condition::parse_input("!score:5").is_ok());
        assert_eq!(Condition::parse_input("score:19-10").unwrap_err(), "score: expects an anomaly score, a range or none, e.g. score:10-19");
        assert!(Condition::parse_input("score:high").is_err());
    }

    #[test]
    fn preserved_filter() {
        assert_eq!(Condition::parse_input("preserved:yes").unwrap().chip_text(), "preserved:yes");
        assert_eq!(Condition::parse_input("!preserved:yes").unwrap().query_value(), "!yes");
        assert!(Condition::parse_input("Preserved: NO").is_ok());
        assert_eq!(Condition::parse_input("preserved:maybe").unwrap_err(), "preserved: expects yes or no");
        let filter = pairs("preserved=yes&rule=942100");
        assert_eq!(filter.conditions, vec![Condition::new(Field::Rule, "942100"), Condition::new(Field::Preserved, "yes")]);
        assert_eq!(filter.api_query(0, true), "rule=942100&preserved=yes");
        assert_eq!(pairs("preserved=%21no").conditions[0].chip_text(), "!preserved:no");
    }

    #[test]
    fn encoding_matches_encode_uri_component_for_payloads() {
        assert_eq!(encode_component("javascript:alert(1)"), "javascript%3Aalert%281%29");
        assert_eq!(encode_component("é"), "%C3%A9");
        assert_eq!(with_query("/events", ""), "/events");
        assert_eq!(with_query("/events", "a=b"), "/events?a=b");
    }
}
