//! Events: the batch write (dedupe, summary, raw, indexes, counters) and the reads.

use super::deferred::{DeferredIndex, INDEXED_THROUGH_KEY};
use super::derived::{Sign, write_derived};
use super::postings::{self, IndexKey};
use super::tables::*;
use super::{Store, StoreError};
use crate::facts::Fact;
use crate::filter::{EventFilter, IndexHint};
use app::model::EventSummary;
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};

/// Everything the writer needs to store one upload, prepared off the writer thread so the
/// one thread that serialises all writes only copies bytes into tables.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The summary; its `id` and `revision` are assigned by the writer.
    pub summary: EventSummary,
    /// `summary` as stored JSON, encoded with id 0 and revision 0.
    pub record: Vec<u8>,
    /// md5 of the upload's exact bytes (what ModSecurity's `X-Content-Hash` names).
    pub md5: [u8; 16],
    /// md5 of the entry without the whitespace around it: what makes two uploads the same
    /// entry (`DEDUPE`), whatever line ends a framing left after it (an import of a serial log,
    /// a concurrent file mlogc sent, a proxy's re-framing).
    pub content: [u8; 16],
    /// The original upload, zstd-compressed.
    pub raw_zstd: Vec<u8>,
    /// What the event is indexed under ([`postings::index_keys`]).
    pub index_keys: Vec<IndexKey>,
    /// What the dashboard counts of it ([`crate::facts::Fact`]; its id is set when stored).
    pub fact: Fact,
    /// The message of every rule that matched (labels of the dashboard's top rules; the summary
    /// keeps only the top rule's).
    pub rule_labels: Vec<(u32, String)>,
}

impl NewEvent {
    /// Encodes the record and the index keys of `summary`.
    pub fn new(summary: EventSummary, md5: [u8; 16], raw_zstd: Vec<u8>) -> NewEvent {
        let record = encode_summary(&summary);
        let index_keys = postings::index_keys(&summary);
        let fact = Fact::of(&summary);
        NewEvent { summary, record, md5, content: md5, raw_zstd, index_keys, fact, rule_labels: Vec::new() }
    }

    /// The same event with its content hash (see [`NewEvent::content`]; `new` takes the md5).
    pub fn with_content_hash(mut self, content: [u8; 16]) -> NewEvent {
        self.content = content;
        self
    }

    /// The same event with the messages of all its rules as labels.
    pub fn with_rule_labels(mut self, labels: Vec<(u32, String)>) -> NewEvent {
        self.rule_labels = labels;
        self
    }
}

/// What happened to one upload of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Stored as a new event with this id.
    Stored(u64),
    /// Same sensor, unique id and content as this stored event: nothing written.
    Duplicate(u64),
}

/// At most this many index or table rows are examined per list request; past it the page
/// ends early and `next_before` lets the caller continue.
pub const SCAN_BUDGET: usize = 200_000;

impl Store {
    /// The `indexed_through` watermark: every event id up to it has its derived rows written.
    pub fn index_watermark(&self) -> Result<u64, StoreError> {
        let transaction = self.database()?.begin_read()?;
        indexed_through(&transaction.open_table(META)?)
    }

    /// The largest event id stored (0 when empty): the writer continues after it.
    pub fn last_event_id(&self) -> Result<u64, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        Ok(events.last()?.map(|(key, _)| key.value()).unwrap_or(0))
    }

    /// Writes a batch in ONE durable transaction; `next_id` is advanced for each stored event,
    /// whose `summary.id` and `summary.revision` are set. The batch's index postings and facts
    /// join `deferred`: the writer flushes them ([`Store::flush_index`]) after answering.
    pub fn write_events(&self, batch: &mut [NewEvent], next_id: &mut u64, deferred: &mut DeferredIndex) -> Result<Vec<WriteOutcome>, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut added = DeferredIndex::default();
        {
            let mut dedupe = transaction.open_table(DEDUPE)?;
            let mut events = transaction.open_table(EVENTS)?;
            let mut raw = transaction.open_table(RAW)?;
            for event in batch.iter_mut() {
                let outcome = write_one(&mut dedupe, &mut events, &mut raw, event, next_id)?;
                if let WriteOutcome::Stored(id) = outcome {
                    added.add(&event.summary, &event.index_keys, std::mem::take(&mut event.fact));
                    added.rule_messages.extend(std::mem::take(&mut event.rule_labels));
                    debug_assert_eq!(event.summary.id, id);
                }
                outcomes.push(outcome);
            }
        }
        transaction.commit()?;
        // the derived rows wait: the writer answers these uploads first, then flushes when due
        deferred.absorb(added);
        Ok(outcomes)
    }

    /// Writes what `deferred` holds with the `indexed_through` watermark (the writer calls this
    /// when it is due, after answering the uploads of the batch). Without fsync: the rows can be
    /// derived again from `EVENTS`, and a crash before the next durable commit takes the
    /// watermark back with them.
    pub fn flush_index(&self, deferred: &mut DeferredIndex, next_id: u64) -> Result<(), StoreError> {
        if deferred.is_empty() {
            return Ok(());
        }
        let mut transaction = self.database()?.begin_write()?;
        // (if redb refuses, the flush is merely durable)
        let _ = transaction.set_durability(redb::Durability::None);
        write_derived(&transaction, deferred, Sign::Add)?;
        set_indexed_through(&transaction, next_id.saturating_sub(1))?;
        transaction.commit()?;
        deferred.clear();
        Ok(())
    }

    /// Indexes the events above the watermark (left by a crash or a kill between a commit and
    /// its index flush, or every event after a schema upgrade); returns how many. Runs before
    /// the writer accepts uploads, in transactions of [`REINDEX_CHUNK`] events that each move
    /// the watermark, so a long re-index keeps its memory bounded and survives being stopped.
    pub fn index_tail(&self) -> Result<u64, StoreError> {
        let mut total = 0u64;
        loop {
            let transaction = self.database()?.begin_write()?;
            let through = indexed_through(&transaction.open_table(META)?)?;
            let indexed = index_events_after(&transaction, through, REINDEX_CHUNK)?;
            transaction.commit()?;
            total += indexed;
            if indexed < REINDEX_CHUNK as u64 {
                return Ok(total);
            }
            if total.is_multiple_of(REINDEX_CHUNK as u64 * 25) {
                tracing::info!(events = total, "re-indexing stored events");
            }
        }
    }

    /// One event's summary.
    pub fn get_event(&self, id: u64) -> Result<Option<EventSummary>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        events.get(id)?.map(|value| decode_summary(id, value.value())).transpose()
    }

    /// The original bytes of an event (decompressed).
    pub fn get_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let raw = transaction.open_table(RAW)?;
        let Some(value) = raw.get(id)? else { return Ok(None) };
        self.decompress_raw(&transaction, id, value.value()).map(Some)
    }

    /// Newest-first page of events passing `filter`, strictly older than `before`.
    pub fn list_events(&self, filter: &EventFilter, before: Option<u64>, limit: usize) -> Result<(Vec<EventSummary>, Option<u64>), StoreError> {
        let transaction = self.database()?.begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        let upper = before.unwrap_or(u64::MAX);
        let mut page = Vec::new();
        let mut examined = 0usize;
        let mut last_examined = None;
        let mut visit = |id: u64| -> Result<bool, StoreError> {
            examined += 1;
            last_examined = Some(id);
            if let Some(value) = events.get(id)?
                && let Some(summary) = decode_or_skip(id, value.value())
                && filter.matches(&summary)
            {
                page.push(summary);
            }
            Ok(page.len() < limit && examined < SCAN_BUDGET)
        };
        match filter.index_hint() {
            Some(IndexHint::Preserved) => visit_marked(&transaction.open_table(PRESERVED)?, upper, &mut visit)?,
            Some(IndexHint::Triaged) => visit_marked(&transaction.open_table(TRIAGED)?, upper, &mut visit)?,
            Some(hint) => {
                // events above the watermark have no index rows yet: scan them first
                let through = indexed_through(&transaction.open_table(META)?)?;
                let mut more = true;
                for entry in events.range(through.saturating_add(1)..upper)?.rev() {
                    let (key, _) = entry?;
                    if !visit(key.value())? {
                        more = false;
                        break;
                    }
                }
                let bound = upper.min(through.saturating_add(1));
                let (field, value) = postings::hint_key(&hint).expect("postings answer every other hint");
                let index = transaction.open_table(POSTINGS)?;
                'rows: for row in index.range((field, value.as_slice(), 0u64)..(field, value.as_slice(), bound))?.rev() {
                    if !more {
                        break;
                    }
                    let (key, ids) = row?;
                    for id in postings::decode_ids(key.value().2, ids.value()).into_iter().rev() {
                        if id < bound && !visit(id)? {
                            break 'rows;
                        }
                    }
                }
            }
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
    /// (the live stream's replay for `Last-Event-ID`), examining at most `scan_budget` rows:
    /// a stale id with a filter that matches nothing must not read the whole store. The flag
    /// says whether the scan reached the newest event (else the caller should resync).
    pub fn events_after(&self, filter: &EventFilter, after: u64, limit: usize, scan_budget: usize) -> Result<(Vec<EventSummary>, bool), StoreError> {
        let transaction = self.database()?.begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        let mut found = Vec::new();
        for (examined, entry) in events.range(after.saturating_add(1)..)?.enumerate() {
            if examined >= scan_budget {
                return Ok((found, false));
            }
            let (key, value) = entry?;
            let Some(summary) = decode_or_skip(key.value(), value.value()) else { continue };
            if filter.matches(&summary) {
                found.push(summary);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok((found, true))
    }
}

type BytesTable<'txn, K> = redb::Table<'txn, K, &'static [u8]>;

fn write_one(
    dedupe: &mut BytesTable<'_, (&'static str, &'static str)>,
    events: &mut BytesTable<'_, u64>,
    raw: &mut BytesTable<'_, u64>,
    event: &mut NewEvent,
    next_id: &mut u64,
) -> Result<WriteOutcome, StoreError> {
    let summary = &mut event.summary;
    let key = (summary.sensor.as_str(), summary.unique_id.as_str());
    let mut known = match dedupe.get(key)? {
        Some(value) => revisions(value.value()),
        None => Vec::new(),
    };
    // (rows written before content hashes hold the exact md5)
    if let Some((id, _)) = known.iter().find(|(_, stored)| *stored == event.content || *stored == event.md5) {
        return Ok(WriteOutcome::Duplicate(*id));
    }
    let id = (*next_id).max(summary.received_at.max(0) as u64);
    *next_id = id + 1;
    let revision = known.len() as u32;
    summary.id = id;
    summary.revision = revision;
    known.push((id, event.content));
    dedupe.insert(key, encode_revisions(&known).as_slice())?;
    if revision == 0 {
        events.insert(id, event.record.as_slice())?;
    } else {
        // rare: a resend with other content; the record must carry its revision
        events.insert(id, encode_summary(summary).as_slice())?;
    }
    raw.insert(id, event.raw_zstd.as_slice())?;
    Ok(WriteOutcome::Stored(id))
}

/// Calls `visit` with every event above the watermark (committed, not yet in the derived
/// tables), oldest first: what readers of postings and counters must add themselves.
pub(super) fn for_each_unindexed(transaction: &redb::ReadTransaction, mut visit: impl FnMut(EventSummary)) -> Result<(), StoreError> {
    let through = indexed_through(&transaction.open_table(META)?)?;
    let events = transaction.open_table(EVENTS)?;
    for entry in events.range(through.saturating_add(1)..)? {
        let (key, value) = entry?;
        if let Some(summary) = decode_or_skip(key.value(), value.value()) {
            visit(summary);
        }
    }
    Ok(())
}

/// Visits the ids of a table of marked events (`PRESERVED`, `TRIAGED`) below `upper`, newest
/// first, while `visit` wants more.
fn visit_marked<V: redb::Value + 'static>(
    marks: &impl ReadableTable<u64, V>,
    upper: u64,
    visit: &mut impl FnMut(u64) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    for entry in marks.range(..upper)?.rev() {
        if !visit(entry?.0.value())? {
            break;
        }
    }
    Ok(())
}

/// The `indexed_through` watermark (0 when absent: nothing stored yet).
pub(super) fn indexed_through(meta: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<u64, StoreError> {
    match meta.get(INDEXED_THROUGH_KEY)? {
        Some(value) => value.value().try_into().map(u64::from_le_bytes).map_err(|_| StoreError::Corrupt("indexed_through is not 8 bytes".to_owned())),
        None => Ok(0),
    }
}

pub(super) fn set_indexed_through(transaction: &WriteTransaction, id: u64) -> Result<(), StoreError> {
    transaction.open_table(META)?.insert(INDEXED_THROUGH_KEY, id.to_le_bytes().as_slice())?;
    Ok(())
}

/// Events indexed per transaction by [`Store::index_tail`].
pub const REINDEX_CHUNK: usize = 8192;

/// Writes postings and counters for at most `limit` events with ids above `after`, in chunks
/// like large write batches, and moves the watermark to the last one; returns how many.
pub(super) fn index_events_after(transaction: &WriteTransaction, after: u64, limit: usize) -> Result<u64, StoreError> {
    const CHUNK: usize = 4096;
    let mut indexed = 0u64;
    let mut last = after;
    let mut chunk = DeferredIndex::default();
    {
        let events = transaction.open_table(EVENTS)?;
        for entry in events.range(after.saturating_add(1)..)?.take(limit) {
            let (key, value) = entry?;
            last = key.value();
            // counted even when it does not decode, so the caller's chunking ends at the end
            indexed += 1;
            let Some(summary) = decode_or_skip(key.value(), value.value()) else { continue };
            chunk.add(&summary, &postings::index_keys(&summary), Fact::of(&summary));
            if chunk.events == CHUNK {
                write_derived(transaction, &chunk, Sign::Add)?;
                chunk.clear();
            }
        }
    }
    write_derived(transaction, &chunk, Sign::Add)?;
    if last != after {
        set_indexed_through(transaction, last)?;
    }
    Ok(indexed)
}

/// The stored form of a `DEDUPE` value: `id (8 bytes LE) + md5 (16 bytes)` per revision.
pub(super) fn encode_revisions(known: &[(u64, [u8; 16])]) -> Vec<u8> {
    let mut encoded = Vec::with_capacity(known.len() * 24);
    for (id, md5) in known {
        encoded.extend_from_slice(&id.to_le_bytes());
        encoded.extend_from_slice(md5);
    }
    encoded
}

pub(super) fn revisions(bytes: &[u8]) -> Vec<(u64, [u8; 16])> {
    bytes
        .chunks_exact(24)
        .map(|chunk| {
            let id = u64::from_le_bytes(chunk[..8].try_into().expect("8 bytes"));
            let md5: [u8; 16] = chunk[8..].try_into().expect("16 bytes");
            (id, md5)
        })
        .collect()
}

/// The stored form of a summary. Its `id` is whatever it was when encoded (0 before the
/// writer assigns one): the table key is the id, and [`decode_summary`] takes it from there.
pub(super) fn encode_summary(summary: &EventSummary) -> Vec<u8> {
    super::record::encode(summary)
}

/// The summary, or `None` (with a warning) when the row does not decode: one bad row must
/// not fail every page or answer that contains it; reading that event alone answers an error.
pub(super) fn decode_or_skip(id: u64, bytes: &[u8]) -> Option<EventSummary> {
    match decode_summary(id, bytes) {
        Ok(summary) => Some(summary),
        Err(error) => {
            tracing::warn!(%error, "skipping an event whose stored summary does not decode");
            None
        }
    }
}

pub(super) fn decode_summary(id: u64, bytes: &[u8]) -> Result<EventSummary, StoreError> {
    super::record::decode(id, bytes).map_err(|error| StoreError::Corrupt(format!("event summary {id}: {error}")))
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
            NewEvent::new(self.summary, self.md5, self.raw_zstd)
        }
    }

    #[test]
    fn batches_dedupe_within_and_across_commits_and_ids_grow() {
        let store = Store::in_memory().unwrap();
        let mut next_id = 1;
        let mut deferred = DeferredIndex::default();
        let outcomes = store
            .write_events(&mut [event("s", "a", b"one", 10), event("s", "a", b"one", 11), event("s", "b", b"two", 5)], &mut next_id, &mut deferred)
            .unwrap();
        let WriteOutcome::Stored(first) = outcomes[0] else { panic!("{outcomes:?}") };
        assert_eq!(outcomes[1], WriteOutcome::Duplicate(first), "same key and md5 in one batch");
        let WriteOutcome::Stored(second) = outcomes[2] else { panic!("{outcomes:?}") };
        assert!(second > first, "ids grow even when the clock goes back");
        let again = store.write_events(&mut [event("s", "a", b"one", 20), event("other", "a", b"one", 21)], &mut next_id, &mut deferred).unwrap();
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
        let outcome = store.write_events(&mut [event("s", "x", b"payload", 2_000)], &mut next_id, &mut DeferredIndex::default()).unwrap();
        assert_eq!(outcome, vec![WriteOutcome::Duplicate(first_id)]);
        let counts = store.minute_counts(0, u64::MAX).unwrap();
        assert_eq!(counts.iter().map(|(_, counts)| counts.total).sum::<u64>(), 1);
    }

    #[test]
    fn every_index_answers_what_a_full_scan_answers() {
        use std::collections::HashMap;
        let store = Store::in_memory().unwrap();
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/mlogc-captured");
        let mut bodies: Vec<_> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "body"))
            .collect();
        bodies.sort();
        let mut next_id = 1;
        // flushed every third batch of 7: older events come from postings, the newest from
        // the unindexed tail, and a list crosses the watermark
        let mut deferred = DeferredIndex::with_limits(std::time::Duration::from_secs(3600), 20);
        // several small batches, so values spread over many posting rows
        for (number, chunk) in bodies.chunks(7).enumerate() {
            let mut batch: Vec<_> = chunk
                .iter()
                .map(|path| crate::ingest::prepare_event(if number % 2 == 0 { "even" } else { "odd" }, &std::fs::read(path).unwrap(), None, None, 1))
                .collect();
            store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
            // as the writer does after answering
            if deferred.is_due(0) {
                store.flush_index(&mut deferred, next_id).unwrap();
            }
        }
        assert!(!deferred.is_empty(), "the newest events are not indexed yet");
        assert!(indexed_through(&store.database().unwrap().begin_read().unwrap().open_table(META).unwrap()).unwrap() > 0, "the older ones are");
        let (all, _) = store.list_events(&EventFilter::default(), None, 10_000).unwrap();
        assert_eq!(all.len(), bodies.len());
        let first = &all[all.len() / 2];
        let queries = [
            ("sensor", first.sensor.clone()),
            ("rule", first.rule_ids[0].to_string()),
            ("ip", first.client_ip.clone()),
            ("host", first.host.to_ascii_uppercase()),
            ("status", first.status.unwrap().to_string()),
            ("action", "blocked".to_owned()),
            ("severity", "critical".to_owned()),
            ("method", "post".to_owned()),
            ("rule", "!949110".to_owned()),
        ];
        for (name, value) in queries {
            let filter = EventFilter::from_params(&HashMap::from([(name.to_owned(), value.clone())])).unwrap();
            let expected: Vec<u64> = all.iter().filter(|summary| filter.matches(summary)).map(|summary| summary.id).collect();
            assert!(!expected.is_empty(), "{name}={value} matches fixture events");
            let (page, _) = store.list_events(&filter, None, 10_000).unwrap();
            assert_eq!(page.iter().map(|summary| summary.id).collect::<Vec<_>>(), expected, "{name}={value}");
            // and paging with `before` through the index gives the same ids, 3 at a time
            let mut paged = Vec::new();
            let mut before = None;
            loop {
                let (page, next) = store.list_events(&filter, before, 3).unwrap();
                paged.extend(page.iter().map(|summary| summary.id));
                match next {
                    Some(next) => before = Some(next),
                    None => break,
                }
            }
            assert_eq!(paged, expected, "{name}={value} paged");
        }
    }

    #[test]
    fn an_undecodable_row_is_skipped_in_lists_and_counts_and_fails_only_its_own_read() {
        let store = Store::in_memory().unwrap();
        let mut next_id = 1;
        let mut deferred = DeferredIndex::default();
        let batch: Vec<_> = (0..3).map(|n| event("s", &format!("u{n}"), b"body", 10 + n)).collect();
        let outcomes = store.write_events(&mut batch.clone(), &mut next_id, &mut deferred).unwrap();
        let ids: Vec<u64> = outcomes
            .iter()
            .map(|outcome| match outcome {
                WriteOutcome::Stored(id) => *id,
                other => panic!("{other:?}"),
            })
            .collect();
        // the middle row's summary is overwritten with bytes that are not a summary
        let transaction = store.database().unwrap().begin_write().unwrap();
        transaction.open_table(EVENTS).unwrap().insert(ids[1], b"\xff not json".as_slice()).unwrap();
        transaction.commit().unwrap();
        let (page, _) = store.list_events(&EventFilter::default(), None, 10).unwrap();
        assert_eq!(page.iter().map(|summary| summary.id).collect::<Vec<_>>(), vec![ids[2], ids[0]], "the page still lists the others");
        let (after, complete) = store.events_after(&EventFilter::default(), 0, 10, 100).unwrap();
        assert_eq!((after.len(), complete), (2, true));
        assert_eq!(store.minute_counts(0, u64::MAX).unwrap().iter().map(|(_, counts)| counts.total).sum::<u64>(), 2, "unindexed tail counts skip it");
        assert!(matches!(store.get_event(ids[1]), Err(StoreError::Corrupt(_))), "reading that one event fails");
        store.flush_index(&mut deferred, next_id).unwrap();
        assert_eq!(store.index_tail().unwrap(), 0);
    }

    #[test]
    fn a_replay_from_a_stale_id_stops_at_its_scan_budget() {
        let store = Store::in_memory().unwrap();
        let mut next_id = 1;
        let mut batch: Vec<_> = (0..30).map(|n| event("s", &format!("u{n}"), b"body", 10 + n)).collect();
        store.write_events(&mut batch, &mut next_id, &mut DeferredIndex::default()).unwrap();
        let nothing = EventFilter::from_params(&std::collections::HashMap::from([("sensor".to_owned(), "nobody".to_owned())])).unwrap();
        assert_eq!(store.events_after(&nothing, 0, 10, 10).unwrap(), (Vec::new(), false), "stopped after 10 rows, not complete");
        assert_eq!(store.events_after(&nothing, 0, 10, 100).unwrap(), (Vec::new(), true));
        let (some, complete) = store.events_after(&EventFilter::default(), 0, 5, 10).unwrap();
        assert_eq!((some.len(), complete), (5, true), "the limit reached within the budget is complete");
    }

    #[test]
    fn the_data_dir_is_created_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let data_dir = parent.path().join("new").join("data");
        let _store = Store::open(&data_dir).unwrap();
        assert_eq!(std::fs::metadata(&data_dir).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn events_committed_but_not_indexed_before_a_kill_are_indexed_on_the_next_start() {
        use std::collections::HashMap;
        let directory = tempfile::tempdir().unwrap();
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/protocol-samples/native-2.9.7-get-403.auditlog")).unwrap();
        let stored = {
            let store = Store::open(directory.path()).unwrap();
            let mut next_id = 1;
            let mut deferred = DeferredIndex::default();
            let mut batch = vec![crate::ingest::prepare_event("s", &body, None, None, 5)];
            let outcome = store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
            assert!(!deferred.is_empty(), "not due yet: the index rows are only in memory");
            // dropped without a flush, as by kill -9
            outcome
        };
        let WriteOutcome::Stored(id) = stored[0] else { panic!("{stored:?}") };
        let store = Store::open(directory.path()).unwrap();
        let summary = store.get_event(id).unwrap().unwrap();
        let by_rule = EventFilter::from_params(&HashMap::from([("rule".to_owned(), summary.rule_ids[0].to_string())])).unwrap();
        let ids = |store: &Store| store.list_events(&by_rule, None, 10).unwrap().0.iter().map(|summary| summary.id).collect::<Vec<_>>();
        assert_eq!(ids(&store), vec![id], "found through the unindexed tail");
        assert_eq!(store.minute_counts(0, u64::MAX).unwrap().iter().map(|(_, counts)| counts.total).sum::<u64>(), 1);
        let _writer = Writer::start(store.clone(), 4, Box::new(|_| {})).unwrap();
        assert_eq!(store.index_tail().unwrap(), 0, "the writer's start indexed it");
        assert_eq!(ids(&store), vec![id], "found through the index");
        assert_eq!(store.minute_counts(0, u64::MAX).unwrap().iter().map(|(_, counts)| counts.total).sum::<u64>(), 1, "counted once");
    }
}
