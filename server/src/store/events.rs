//! Events: the batch write (dedupe, summary, raw, indexes, counters) and the reads.

use super::tables::*;
use super::{Store, StoreError};
use crate::filter::{action_code, EventFilter, IndexHint};
use app::model::{Action, EventSummary};
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

/// Everything the writer needs to store one upload (prepared off the writer thread).
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The summary; its `id` and `revision` are assigned by the writer.
    pub summary: EventSummary,
    pub md5: [u8; 16],
    /// The original upload, zstd-compressed.
    pub raw_zstd: Vec<u8>,
    /// Client IP as 16 bytes, when it parsed.
    pub client_ip_key: Option<[u8; 16]>,
}

/// What happened to one upload of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Stored as a new event with this id.
    Stored(u64),
    /// Same sensor, unique id and md5 as this stored event: nothing written.
    Duplicate(u64),
}

/// Counts of one minute: total, blocked, detected, passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCounts {
    pub total: u64,
    pub blocked: u64,
    pub detected: u64,
    pub passed: u64,
}

impl MinuteCounts {
    fn decode(bytes: &[u8]) -> MinuteCounts {
        let field = |index: usize| {
            bytes.get(index * 8..index * 8 + 8).and_then(|slice| slice.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0)
        };
        MinuteCounts { total: field(0), blocked: field(1), detected: field(2), passed: field(3) }
    }

    fn encode(&self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (index, value) in [self.total, self.blocked, self.detected, self.passed].into_iter().enumerate() {
            bytes[index * 8..index * 8 + 8].copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }
}

/// At most this many index or table rows are examined per list request; past it the page
/// ends early and `next_before` lets the caller continue.
pub const SCAN_BUDGET: usize = 200_000;

impl Store {
    /// The largest event id stored (0 when empty): the writer continues after it.
    pub fn last_event_id(&self) -> Result<u64, StoreError> {
        let transaction = self.database().begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        Ok(events.last()?.map(|(key, _)| key.value()).unwrap_or(0))
    }

    /// Writes a batch in ONE durable transaction; `next_id` is advanced for each stored event.
    pub fn write_events(&self, batch: Vec<NewEvent>, next_id: &mut u64) -> Result<Vec<WriteOutcome>, StoreError> {
        let transaction = self.database().begin_write()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        {
            let mut tables = WriteTables::open(&transaction)?;
            for event in batch {
                outcomes.push(write_one(&mut tables, event, next_id)?);
            }
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    /// One event's summary.
    pub fn get_event(&self, id: u64) -> Result<Option<EventSummary>, StoreError> {
        let transaction = self.database().begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        events.get(id)?.map(|value| decode_summary(value.value())).transpose()
    }

    /// The original bytes of an event (decompressed).
    pub fn get_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let transaction = self.database().begin_read()?;
        let raw = transaction.open_table(RAW)?;
        let Some(value) = raw.get(id)? else { return Ok(None) };
        zstd::decode_all(value.value())
            .map(Some)
            .map_err(|error| StoreError::Corrupt(format!("raw entry {id}: {error}")))
    }

    /// The md5 recorded for an event at ingest.
    pub fn get_md5(&self, summary: &EventSummary) -> Result<Option<[u8; 16]>, StoreError> {
        let transaction = self.database().begin_read()?;
        let dedupe = transaction.open_table(DEDUPE)?;
        let Some(value) = dedupe.get((summary.sensor.as_str(), summary.unique_id.as_str()))? else { return Ok(None) };
        Ok(revisions(value.value()).into_iter().find(|(id, _)| *id == summary.id).map(|(_, md5)| md5))
    }

    /// Newest-first page of events passing `filter`, strictly older than `before`.
    pub fn list_events(&self, filter: &EventFilter, before: Option<u64>, limit: usize) -> Result<(Vec<EventSummary>, Option<u64>), StoreError> {
        let transaction = self.database().begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        let upper = before.unwrap_or(u64::MAX);
        let mut page = Vec::new();
        let mut examined = 0usize;
        let mut last_examined = None;
        let mut visit = |id: u64| -> Result<bool, StoreError> {
            examined += 1;
            last_examined = Some(id);
            if let Some(value) = events.get(id)? {
                let summary = decode_summary(value.value())?;
                if filter.matches(&summary) {
                    page.push(summary);
                }
            }
            Ok(page.len() < limit && examined < SCAN_BUDGET)
        };
        macro_rules! scan_index {
            ($table:expr, $key:expr) => {{
                let index = transaction.open_table($table)?;
                for entry in index.range(($key, 0u64)..($key, upper))?.rev() {
                    let (key, _) = entry?;
                    if !visit(key.value().1)? {
                        break;
                    }
                }
            }};
        }
        match filter.index_hint() {
            Some(IndexHint::Rule(rule)) => scan_index!(BY_RULE, rule),
            Some(IndexHint::ClientIp(address)) => scan_index!(BY_CLIENT_IP, address.as_slice()),
            Some(IndexHint::Host(host)) => scan_index!(BY_HOST, host.as_str()),
            Some(IndexHint::Status(status)) => scan_index!(BY_STATUS, status),
            Some(IndexHint::Sensor(sensor)) => scan_index!(BY_SENSOR, sensor.as_str()),
            Some(IndexHint::Action(action)) => scan_index!(BY_ACTION, action_code(action)),
            None => {
                for entry in events.range(..upper)?.rev() {
                    let (key, _) = entry?;
                    if !visit(key.value())? {
                        break;
                    }
                }
            }
        }
        let exhausted_budget = examined >= SCAN_BUDGET && page.len() < limit;
        let next_before = if page.len() >= limit {
            page.last().map(|summary| summary.id)
        } else if exhausted_budget {
            last_examined
        } else {
            None
        };
        Ok((page, next_before))
    }

    /// Events passing `filter` with ids above `after`, oldest first, at most `limit`
    /// (the live stream's replay for `Last-Event-ID`).
    pub fn events_after(&self, filter: &EventFilter, after: u64, limit: usize) -> Result<Vec<EventSummary>, StoreError> {
        let transaction = self.database().begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        let mut found = Vec::new();
        for entry in events.range(after.saturating_add(1)..)? {
            let (_, value) = entry?;
            let summary = decode_summary(value.value())?;
            if filter.matches(&summary) {
                found.push(summary);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Per-minute counters in `[from_minute, to_minute)`.
    pub fn minute_counts(&self, from_minute: u64, to_minute: u64) -> Result<Vec<(u64, MinuteCounts)>, StoreError> {
        let transaction = self.database().begin_read()?;
        let counts = transaction.open_table(COUNTS_PER_MINUTE)?;
        let mut listed = Vec::new();
        for entry in counts.range(from_minute..to_minute)? {
            let (minute, value) = entry?;
            listed.push((minute.value(), MinuteCounts::decode(value.value())));
        }
        Ok(listed)
    }
}

/// Every table a write touches, opened once per transaction.
struct WriteTables<'txn> {
    dedupe: redb::Table<'txn, (&'static str, &'static str), &'static [u8]>,
    events: redb::Table<'txn, u64, &'static [u8]>,
    raw: redb::Table<'txn, u64, &'static [u8]>,
    by_sensor: redb::Table<'txn, (&'static str, u64), ()>,
    by_rule: redb::Table<'txn, (u32, u64), ()>,
    by_client_ip: redb::Table<'txn, (&'static [u8], u64), ()>,
    by_host: redb::Table<'txn, (&'static str, u64), ()>,
    by_status: redb::Table<'txn, (u16, u64), ()>,
    by_action: redb::Table<'txn, (u8, u64), ()>,
    by_time: redb::Table<'txn, (i64, u64), ()>,
    counts: redb::Table<'txn, u64, &'static [u8]>,
}

impl<'txn> WriteTables<'txn> {
    fn open(transaction: &'txn WriteTransaction) -> Result<WriteTables<'txn>, StoreError> {
        Ok(WriteTables {
            dedupe: transaction.open_table(DEDUPE)?,
            events: transaction.open_table(EVENTS)?,
            raw: transaction.open_table(RAW)?,
            by_sensor: transaction.open_table(BY_SENSOR)?,
            by_rule: transaction.open_table(BY_RULE)?,
            by_client_ip: transaction.open_table(BY_CLIENT_IP)?,
            by_host: transaction.open_table(BY_HOST)?,
            by_status: transaction.open_table(BY_STATUS)?,
            by_action: transaction.open_table(BY_ACTION)?,
            by_time: transaction.open_table(BY_TIME)?,
            counts: transaction.open_table(COUNTS_PER_MINUTE)?,
        })
    }
}

fn write_one(tables: &mut WriteTables<'_>, event: NewEvent, next_id: &mut u64) -> Result<WriteOutcome, StoreError> {
    let NewEvent { mut summary, md5, raw_zstd, client_ip_key } = event;
    let key = (summary.sensor.as_str(), summary.unique_id.as_str());
    let mut known = match tables.dedupe.get(key)? {
        Some(value) => revisions(value.value()),
        None => Vec::new(),
    };
    if let Some((id, _)) = known.iter().find(|(_, stored_md5)| *stored_md5 == md5) {
        return Ok(WriteOutcome::Duplicate(*id));
    }
    let id = (*next_id).max(summary.received_at.max(0) as u64);
    *next_id = id + 1;
    summary.id = id;
    summary.revision = known.len() as u32;
    known.push((id, md5));
    let mut encoded = Vec::with_capacity(known.len() * 24);
    for (known_id, known_md5) in &known {
        encoded.extend_from_slice(&known_id.to_le_bytes());
        encoded.extend_from_slice(known_md5);
    }
    tables.dedupe.insert(key, encoded.as_slice())?;

    let record = serde_json::to_vec(&summary).expect("summaries serialise");
    tables.events.insert(id, record.as_slice())?;
    tables.raw.insert(id, raw_zstd.as_slice())?;
    tables.by_sensor.insert((summary.sensor.as_str(), id), ())?;
    for rule in &summary.rule_ids {
        tables.by_rule.insert((*rule, id), ())?;
    }
    if let Some(address) = client_ip_key {
        tables.by_client_ip.insert((address.as_slice(), id), ())?;
    }
    let host = summary.host.to_ascii_lowercase();
    tables.by_host.insert((host.as_str(), id), ())?;
    tables.by_status.insert((summary.status.unwrap_or(0), id), ())?;
    tables.by_action.insert((action_code(summary.action), id), ())?;
    let time = summary.time.unwrap_or(summary.received_at);
    tables.by_time.insert((time, id), ())?;

    let minute = (time.max(0) / 60_000_000) as u64;
    let mut counts = tables.counts.get(minute)?.map(|value| MinuteCounts::decode(value.value())).unwrap_or_default();
    counts.total += 1;
    match summary.action {
        Action::Blocked => counts.blocked += 1,
        Action::Detected => counts.detected += 1,
        Action::Passed => counts.passed += 1,
    }
    tables.counts.insert(minute, counts.encode().as_slice())?;
    Ok(WriteOutcome::Stored(id))
}

fn revisions(bytes: &[u8]) -> Vec<(u64, [u8; 16])> {
    bytes
        .chunks_exact(24)
        .map(|chunk| {
            let id = u64::from_le_bytes(chunk[..8].try_into().expect("8 bytes"));
            let md5: [u8; 16] = chunk[8..].try_into().expect("16 bytes");
            (id, md5)
        })
        .collect()
}

fn decode_summary(bytes: &[u8]) -> Result<EventSummary, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(format!("event summary: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Writer;

    fn event(sensor: &str, unique_id: &str, body: &[u8], received_at: i64) -> NewEvent {
        crate::ingest::prepare_event(sensor, body, None, None, received_at).with_unique_id(unique_id)
    }

    impl NewEvent {
        fn with_unique_id(mut self, unique_id: &str) -> NewEvent {
            self.summary.unique_id = unique_id.to_owned();
            self
        }
    }

    #[test]
    fn batches_dedupe_within_and_across_commits_and_ids_grow() {
        let store = Store::in_memory().unwrap();
        let mut next_id = 1;
        let outcomes = store
            .write_events(vec![event("s", "a", b"one", 10), event("s", "a", b"one", 11), event("s", "b", b"two", 5)], &mut next_id)
            .unwrap();
        let WriteOutcome::Stored(first) = outcomes[0] else { panic!("{outcomes:?}") };
        assert_eq!(outcomes[1], WriteOutcome::Duplicate(first), "same key and md5 in one batch");
        let WriteOutcome::Stored(second) = outcomes[2] else { panic!("{outcomes:?}") };
        assert!(second > first, "ids grow even when the clock goes back");
        let again = store.write_events(vec![event("s", "a", b"one", 20), event("other", "a", b"one", 21)], &mut next_id).unwrap();
        assert_eq!(again[0], WriteOutcome::Duplicate(first));
        assert!(matches!(again[1], WriteOutcome::Stored(_)), "unique ids are per sensor");
        let (page, next) = store.list_events(&EventFilter::default(), None, 10).unwrap();
        assert_eq!((page.len(), next), (3, None));
        assert_eq!(store.get_raw(first).unwrap().unwrap(), b"one");
    }

    #[test]
    fn committed_events_survive_a_reopen_and_stay_deduplicated() {
        let directory = tempfile::tempdir().unwrap();
        let first_id = {
            let store = Store::open(directory.path()).unwrap();
            let writer = Writer::start(store.clone(), 8, Box::new(|_| {})).unwrap();
            let outcome = writer.submit_blocking(event("s", "x", b"payload", 1_000)).unwrap().wait().unwrap();
            let WriteOutcome::Stored(id) = outcome else { panic!("{outcome:?}") };
            id
        };
        // The writer thread ends with its channel; wait until the file lock is released.
        let store = loop {
            match Store::open(directory.path()) {
                Ok(store) => break store,
                Err(StoreError::Locked(_)) => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(error) => panic!("{error}"),
            }
        };
        assert_eq!(store.get_event(first_id).unwrap().unwrap().unique_id, "x");
        let mut next_id = store.last_event_id().unwrap() + 1;
        let outcome = store.write_events(vec![event("s", "x", b"payload", 2_000)], &mut next_id).unwrap();
        assert_eq!(outcome, vec![WriteOutcome::Duplicate(first_id)]);
        let counts = store.minute_counts(0, u64::MAX).unwrap();
        assert_eq!(counts.iter().map(|(_, counts)| counts.total).sum::<u64>(), 1);
    }
}
