//! Retention's deletes: the oldest events that are not preserved go, with every row derived
//! from them (postings, counters and roll-ups, sensor activity and minutes, their dedupe
//! revision), in small transactions the writer thread interleaves with uploads; also the
//! usage figures the budget and the console read.

use super::deferred::DeferredIndex;
use super::derived::{Sign, write_derived};
use super::events::{decode_or_skip, encode_revisions, indexed_through, revisions, set_indexed_through};
use super::postings;
use super::tables::*;
use super::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

/// What one purge step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Events deleted.
    pub purged: u64,
    /// Whether no more candidates are below the bound (the purge can rest).
    pub exhausted: bool,
}

/// What one table holds and takes (`wafscope storage-report`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub name: String,
    pub entries: u64,
    /// Bytes of keys and values.
    pub stored_bytes: u64,
    /// B-tree overhead (branch pages, headers).
    pub metadata_bytes: u64,
    /// Allocated but unused within the table's pages.
    pub fragmented_bytes: u64,
}

/// The store's size and contents, for the budget and the Status page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageUsage {
    /// Bytes of the database file.
    pub file_bytes: u64,
    pub events: u64,
    pub preserved: u64,
    /// The oldest event kept: its id (µs of arrival).
    pub oldest_id: Option<u64>,
    pub newest_id: Option<u64>,
}

impl Store {
    /// Deletes at most `limit` of the oldest events with ids in `[*cursor, below)` that are
    /// not preserved, in one transaction; `*cursor` moves past what was examined (preserved
    /// events are stepped over). Rows of `deferred` are written first in the same transaction
    /// (only indexed events can be purged: their derived rows are known to be on disk).
    pub fn purge_oldest(&self, cursor: &mut u64, below: u64, limit: usize, deferred: &mut DeferredIndex, next_id: u64) -> Result<PurgeOutcome, StoreError> {
        let mut transaction = self.database()?.begin_write()?;
        // no fsync: a crash only undoes the purge (it runs again), and the next upload's durable
        // commit makes it durable
        // (if redb refuses, the purge is merely durable)
        let _ = transaction.set_durability(redb::Durability::None);
        let flushed = !deferred.is_empty();
        if flushed {
            write_derived(&transaction, deferred, Sign::Add)?;
            set_indexed_through(&transaction, next_id.saturating_sub(1))?;
        }
        let through = indexed_through(&transaction.open_table(META)?)?;
        let bound = below.min(through.saturating_add(1));
        let mut gone = DeferredIndex::default();
        let mut ids = Vec::new();
        let mut revisions_gone = Vec::new();
        let mut exhausted = true;
        if *cursor < bound {
            let events = transaction.open_table(EVENTS)?;
            let marks = transaction.open_table(PRESERVED)?;
            // preserved events are stepped over, but not without end in one transaction
            for (examined, entry) in events.range(*cursor..bound)?.enumerate() {
                let (key, value) = entry?;
                let id = key.value();
                if ids.len() >= limit || examined >= limit.saturating_mul(16) {
                    exhausted = false;
                    break;
                }
                *cursor = id + 1;
                if marks.get(id)?.is_some() {
                    continue;
                }
                ids.push(id);
                // an undecodable row goes too; what was derived from it cannot be known
                if let Some(summary) = decode_or_skip(id, value.value()) {
                    // (a purge takes facts out by id: the rest of the fact is not needed)
                    gone.add(&summary, &postings::index_keys(&summary), crate::facts::Fact::default());
                    revisions_gone.push((summary.sensor, summary.unique_id, id));
                }
            }
        }
        {
            let mut events = transaction.open_table(EVENTS)?;
            let mut raw = transaction.open_table(RAW)?;
            for &id in &ids {
                events.remove(id)?;
                raw.remove(id)?;
            }
            super::triage::forget(&transaction, &ids)?;
            let mut dedupe = transaction.open_table(DEDUPE)?;
            for (sensor, unique_id, id) in &revisions_gone {
                let key = (sensor.as_str(), unique_id.as_str());
                let Some(mut known) = dedupe.get(key)?.map(|value| revisions(value.value())) else { continue };
                known.retain(|(known_id, _)| known_id != id);
                if known.is_empty() {
                    dedupe.remove(key)?;
                } else {
                    dedupe.insert(key, encode_revisions(&known).as_slice())?;
                }
            }
        }
        write_derived(&transaction, &gone, Sign::Subtract)?;
        transaction.commit()?;
        if flushed {
            deferred.clear();
        }
        Ok(PurgeOutcome { purged: ids.len() as u64, exhausted })
    }

    /// Deletes the 409 records older than `before` (µs); returns how many.
    pub fn purge_rejections(&self, before: u64) -> Result<u64, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let removed = {
            let mut rejections = transaction.open_table(REJECTIONS)?;
            let old: Vec<u64> = rejections.range(..before)?.take(10_000).map(|entry| entry.map(|(key, _)| key.value())).collect::<Result<_, _>>()?;
            for id in &old {
                rejections.remove(*id)?;
            }
            old.len() as u64
        };
        transaction.commit()?;
        Ok(removed)
    }

    /// Every table's entries and bytes (walks every page: a diagnostic, not for hot paths).
    pub fn table_report(&self) -> Result<Vec<TableReport>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let mut report = Vec::new();
        for handle in transaction.list_tables()? {
            let table = transaction.open_untyped_table(handle)?;
            let stats = table.stats()?;
            report.push(TableReport {
                name: redb::TableHandle::name(&table).to_owned(),
                entries: table.len()?,
                stored_bytes: stats.stored_bytes(),
                metadata_bytes: stats.metadata_bytes(),
                fragmented_bytes: stats.fragmented_bytes(),
            });
        }
        report.sort_by_key(|table| std::cmp::Reverse(table.stored_bytes + table.metadata_bytes + table.fragmented_bytes));
        Ok(report)
    }

    /// Events, preserved events, the oldest and newest id, and the file's size.
    pub fn storage_usage(&self) -> Result<StorageUsage, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let events = transaction.open_table(EVENTS)?;
        let preserved = transaction.open_table(PRESERVED)?.len()?;
        let file_bytes = self.database_path().and_then(|path| std::fs::metadata(path).ok()).map(|meta| meta.len()).unwrap_or(0);
        Ok(StorageUsage {
            file_bytes,
            events: events.len()?,
            preserved,
            oldest_id: events.first()?.map(|(key, _)| key.value()),
            newest_id: events.last()?.map(|(key, _)| key.value()),
        })
    }
}
