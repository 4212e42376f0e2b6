//! Every redb table of wafscope, in one place. Names carry a version suffix: changing a
//! key or value type means a new name and an explicit migration in `migrate.rs`.

use redb::TableDefinition;

/// Schema metadata: `"schema_version"` → u64 (little endian bytes).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta_v1");

/// Console users: username → JSON [`UserRecord`](super::accounts::UserRecord).
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users_v1");

/// API tokens: token name → JSON [`TokenRecord`](super::accounts::TokenRecord).
pub const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens_v1");

/// Token lookup: SHA-256 of the secret → token name.
pub const TOKENS_BY_HASH: TableDefinition<&[u8], &str> = TableDefinition::new("tokens_by_hash_v1");

/// Browser sessions: SHA-256 of the cookie secret → JSON [`SessionRecord`](super::accounts::SessionRecord).
pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions_v1");

/// Stored events: id → JSON `EventSummary` (what lists need; small). The JSON's `id` is
/// not authoritative (summaries are encoded before the writer assigns ids): the key is the id.
pub const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events_v1");

/// The original upload of each event, zstd-compressed: id → bytes. Read only for detail/raw.
pub const RAW: TableDefinition<u64, &[u8]> = TableDefinition::new("raw_v1");

/// zstd dictionaries of [`RAW`] (`dictionary.rs`): zstd dictionary id → dictionary. Never
/// deleted: every frame compressed with one names it.
pub const RAW_DICTIONARIES: TableDefinition<u32, &[u8]> = TableDefinition::new("raw_dictionaries_v1");

/// Events an analyst preserved: id → (). Retention skips them; `preserved=yes` lists them.
pub const PRESERVED: TableDefinition<u64, ()> = TableDefinition::new("preserved_v1");

/// Events with a triage state other than `new` or a tag: id → state code (`triage.rs`)
/// followed by the tags, each ended by `\n`. `state=`/`tag=` lists scan it; the purge
/// deletes with the event.
pub const TRIAGED: TableDefinition<u64, &[u8]> = TableDefinition::new("triaged_v1");

/// An event's triage note: id → text.
pub const TRIAGE_NOTES: TableDefinition<u64, &str> = TableDefinition::new("triage_notes_v1");

/// An event's triage history: (id, sequence) → JSON `app::model::TriageRecord`.
pub const TRIAGE_LOG: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("triage_log_v1");

/// Saved views: view id → JSON `app::model::SavedView`.
pub const VIEWS: TableDefinition<u64, &[u8]> = TableDefinition::new("views_v1");

/// Exclusions (drafts saved by analysts, approved by admins): id → JSON `app::model::Exclusion`.
pub const EXCLUSIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("exclusions_v1");

/// Idempotency: (sensor, unique id) → revisions as repeated `id (8 bytes LE) + content hash
/// (16 bytes)`: the md5 of the entry without surrounding whitespace (`NewEvent::content`;
/// rows written before it hold the md5 of the exact upload, which also matches).
pub const DEDUPE: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("dedupe_v1");

/// The secondary index: (field, value, first id) → the later ids of that write batch with
/// that value, as delta varints (see `postings.rs`). Newest first = reverse range scan.
pub const POSTINGS: TableDefinition<(u8, &[u8], u64), &[u8]> = TableDefinition::new("postings_v1");

/// Schema 1's per-field indexes `(key, id) → ()`, replaced by [`POSTINGS`] in schema 2; kept
/// only so the migration can delete them.
pub mod schema1 {
    use redb::TableDefinition;
    pub const BY_SENSOR: TableDefinition<(&str, u64), ()> = TableDefinition::new("by_sensor_v1");
    pub const BY_RULE: TableDefinition<(u32, u64), ()> = TableDefinition::new("by_rule_v1");
    pub const BY_CLIENT_IP: TableDefinition<(&[u8], u64), ()> = TableDefinition::new("by_client_ip_v1");
    pub const BY_HOST: TableDefinition<(&str, u64), ()> = TableDefinition::new("by_host_v1");
    pub const BY_STATUS: TableDefinition<(u16, u64), ()> = TableDefinition::new("by_status_v1");
    pub const BY_ACTION: TableDefinition<(u8, u64), ()> = TableDefinition::new("by_action_v1");
    pub const BY_TIME: TableDefinition<(i64, u64), ()> = TableDefinition::new("by_time_v1");
}

/// The dashboard's facts (`crate::facts`): first event id of a block → the encoded block of
/// up to `facts::BLOCK_EVENTS` events, ids ascending; blocks never overlap.
pub const FACTS: TableDefinition<u64, &[u8]> = TableDefinition::new("facts_v1");

/// Per block of [`FACTS`], same key: its `facts::Span` (last id, event-time minutes, events),
/// read to pick a window's blocks without decoding them.
pub const FACT_SPANS: TableDefinition<u64, &[u8]> = TableDefinition::new("fact_spans_v1");

/// Schema 2 and 3's dashboard counters, replaced by [`FACTS`] in schema 4; kept only so the
/// migration can delete them.
pub mod schema3 {
    use redb::TableDefinition;
    pub type Counters = TableDefinition<'static, (u64, u8, &'static [u8]), &'static [u8]>;
    pub type ScopedCounters = TableDefinition<'static, (u8, &'static [u8], u64, u8, &'static [u8]), &'static [u8]>;
    pub const COUNTS_PER_MINUTE: TableDefinition<u64, &[u8]> = TableDefinition::new("counts_per_minute_v1");
    pub const STATS: [Counters; 3] =
        [TableDefinition::new("stats_per_minute_v1"), TableDefinition::new("stats_per_hour_v1"), TableDefinition::new("stats_per_day_v1")];
    pub const SCOPED_STATS: [ScopedCounters; 3] =
        [TableDefinition::new("scoped_stats_per_minute_v1"), TableDefinition::new("scoped_stats_per_hour_v1"), TableDefinition::new("scoped_stats_per_day_v1")];
}

/// The newest message seen for each rule id (labels of the dashboard's top rules).
pub const RULE_MESSAGES: TableDefinition<u32, &str> = TableDefinition::new("rule_messages_v1");

/// Per sensor: JSON `stats::SensorActivity` (events, warnings, last seen, clock skew).
pub const SENSOR_ACTIVITY: TableDefinition<&str, &[u8]> = TableDefinition::new("sensor_activity_v1");

/// Events stored per sensor and minute of arrival: (sensor, minute) → u64 LE.
pub const SENSOR_MINUTES: TableDefinition<(&str, u64), u64> = TableDefinition::new("sensor_minutes_v1");

/// Uploads refused with 409 (over the size cap): id → JSON `Rejection`.
pub const REJECTIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("rejections_v1");

/// Sensors: name → JSON `SensorRecord`.
pub const SENSORS: TableDefinition<&str, &[u8]> = TableDefinition::new("sensors_v1");

/// v3/Coraza ingest URLs: SHA-256 of the URL secret → sensor name.
pub const SENSORS_BY_URL_SECRET: TableDefinition<&[u8], &str> = TableDefinition::new("sensors_by_url_secret_v1");
