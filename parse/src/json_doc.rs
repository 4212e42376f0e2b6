//! A JSON document model that keeps object members in order *with duplicates* (ModSecurity
//! and libmodsecurity write repeated header names as repeated keys), plus tolerant loading:
//! invalid UTF-8 (raw bytes copied by yajl) is replaced lossily before parsing, with a warning.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value; objects are ordered `(key, value)` lists that may repeat keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum JsonValue {
    #[default]
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

static NULL: JsonValue = JsonValue::Null;

impl JsonValue {
    /// Returns the first member named `key` (objects only).
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(members) => members.iter().find(|(name, _)| name == key).map(|(_, value)| value),
            _ => None,
        }
    }

    /// Returns the member at `key`, or `Null`: convenient for chained look-ups.
    pub fn at(&self, key: &str) -> &JsonValue {
        self.get(key).unwrap_or(&NULL)
    }

    /// Returns `true` if the object has a member named `key`.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            JsonValue::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn as_array(&self) -> &[JsonValue] {
        match self {
            JsonValue::Array(items) => items,
            _ => &[],
        }
    }

    pub fn members(&self) -> &[(String, JsonValue)] {
        match self {
            JsonValue::Object(members) => members,
            _ => &[],
        }
    }

    /// Returns the value as text: strings as they are, numbers and booleans printed,
    /// `None` for null, arrays and objects.
    pub fn text(&self) -> Option<String> {
        match self {
            JsonValue::String(text) => Some(text.clone()),
            JsonValue::Number(number) => Some(number.to_string()),
            JsonValue::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// Returns the value as text, `""` when it has none.
    pub fn text_or_empty(&self) -> String {
        self.text().unwrap_or_default()
    }

    /// Returns an integer from a JSON integer or a string of digits (libmodsecurity writes
    /// numbers as strings).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            JsonValue::Number(number) => number.as_i64(),
            JsonValue::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// Like [`JsonValue::as_i64`] but converted to a smaller integer type when it fits.
    pub fn as_integer<T: TryFrom<i64>>(&self) -> Option<T> {
        self.as_i64().and_then(|value| T::try_from(value).ok())
    }
}

struct JsonValueVisitor;

impl<'de> Visitor<'de> for JsonValueVisitor {
    type Value = JsonValue;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<JsonValue, E> {
        Ok(JsonValue::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<JsonValue, E> {
        Ok(serde_json::Number::from_f64(value).map_or(JsonValue::Null, JsonValue::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<JsonValue, E> {
        Ok(JsonValue::String(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<JsonValue, E> {
        Ok(JsonValue::String(value))
    }

    fn visit_unit<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_none<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<JsonValue, D::Error> {
        JsonValue::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<JsonValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = sequence.next_element()? {
            items.push(item);
        }
        Ok(JsonValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, JsonValue>()? {
            members.push((key, value));
        }
        Ok(JsonValue::Object(members))
    }
}

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonValueVisitor)
    }
}

/// Parses the first JSON document in `raw`. Invalid UTF-8 is replaced by U+FFFD first (with a
/// warning); a syntax error returns `None` and a warning; anything after the document is
/// ignored with a warning.
pub fn load(raw: &[u8], warnings: &mut Vec<String>) -> Option<JsonValue> {
    let decoded = match std::str::from_utf8(raw) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            warnings.push("invalid UTF-8 in JSON replaced by U+FFFD".to_string());
            String::from_utf8_lossy(raw)
        }
    };
    let text = decoded.trim();
    let mut documents = serde_json::Deserializer::from_str(text).into_iter::<JsonValue>();
    match documents.next() {
        Some(Ok(value)) => {
            if documents.byte_offset() < text.len() {
                warnings.push("data after the first JSON document ignored".to_string());
            }
            Some(value)
        }
        Some(Err(error)) => {
            warnings.push(format!("JSON not parsed: {error}"));
            None
        }
        None => {
            warnings.push("empty JSON document".to_string());
            None
        }
    }
}

/// Returns the `(name, value)` pairs of a headers object, in order and with duplicates.
/// Array values (Coraza: `{"name": ["v1", "v2"]}`) give one pair per element.
pub fn header_pairs(headers: &JsonValue) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, value) in headers.members() {
        match value {
            JsonValue::Array(values) => {
                for item in values {
                    pairs.push((name.clone(), item.text_or_empty()));
                }
            }
            other => pairs.push((name.clone(), other.text_or_empty())),
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let mut warnings = Vec::new();
        let value = load(br#"{"h":{"Set-Cookie":"a=1","X":"y","Set-Cookie":"b=2"}}"#, &mut warnings).expect("parses");
        let pairs = header_pairs(value.at("h"));
        assert_eq!(
            pairs,
            vec![("Set-Cookie".to_string(), "a=1".to_string()), ("X".to_string(), "y".to_string()), ("Set-Cookie".to_string(), "b=2".to_string()),]
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut warnings = Vec::new();
        let value = load(b"{\"b\":\"p=\xff\xfe\xc3(\"}", &mut warnings).expect("parses");
        assert_eq!(value.at("b").as_str(), Some("p=\u{fffd}\u{fffd}\u{fffd}("));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn numbers_and_strings() {
        let mut warnings = Vec::new();
        let value = load(br#"{"ns":1795579134576367974,"v":1.1,"s":"17","neg":-1}"#, &mut warnings).expect("parses");
        assert_eq!(value.at("ns").as_i64(), Some(1_795_579_134_576_367_974));
        assert_eq!(value.at("v").text().as_deref(), Some("1.1"));
        assert_eq!(value.at("s").as_integer::<u16>(), Some(17));
        assert_eq!(value.at("neg").as_integer::<u8>(), None);
        assert!(load(b"{\"a\":", &mut warnings).is_none());
        assert_eq!(header_pairs(&JsonValue::Null), vec![]);
    }
}
