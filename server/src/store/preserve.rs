//! Preserved events: an analyst keeps an event (or every event of a filter) out of
//! retention's reach. The flag lives in the event's summary (lists show it, filters test it)
//! and in `PRESERVED` (the purge skips those ids without decoding; `preserved=yes` lists it).

use super::events::{decode_summary, encode_summary};
use super::tables::*;
use super::{Store, StoreError};
use crate::filter::EventFilter;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

/// Events marked by one transaction at most.
const CHUNK: usize = 1024;

/// At most this many events are marked by one filter request.
pub const MAX_PRESERVE_MATCHING: usize = 100_000;

impl Store {
    /// Marks (or releases) the events `ids`; returns how many changed. Unknown ids are skipped.
    pub fn set_preserved(&self, ids: &[u64], preserved: bool) -> Result<u64, StoreError> {
        let mut changed = 0;
        for chunk in ids.chunks(CHUNK) {
            let transaction = self.database()?.begin_write()?;
            {
                let mut events = transaction.open_table(EVENTS)?;
                let mut marks = transaction.open_table(PRESERVED)?;
                for &id in chunk {
                    let Some(stored) = events.get(id)?.map(|value| value.value().to_vec()) else { continue };
                    let mut summary = decode_summary(id, &stored)?;
                    if summary.preserved == preserved {
                        continue;
                    }
                    summary.preserved = preserved;
                    events.insert(id, encode_summary(&summary).as_slice())?;
                    if preserved {
                        marks.insert(id, ())?;
                    } else {
                        marks.remove(id)?;
                    }
                    changed += 1;
                }
            }
            transaction.commit()?;
        }
        if changed > 0 {
            self.bump_preserve_generation();
        }
        Ok(changed)
    }

    /// Marks (or releases) every event `filter` selects, newest first, at most
    /// [`MAX_PRESERVE_MATCHING`]; returns how many changed and whether every match was reached.
    pub fn set_preserved_matching(&self, filter: &EventFilter, preserved: bool) -> Result<(u64, bool), StoreError> {
        let mut ids = Vec::new();
        let mut before = None;
        loop {
            let (page, next) = self.list_events(filter, before, 1000)?;
            ids.extend(page.iter().filter(|summary| summary.preserved != preserved).map(|summary| summary.id));
            match next {
                Some(next) if ids.len() < MAX_PRESERVE_MATCHING => before = Some(next),
                Some(_) => {
                    ids.truncate(MAX_PRESERVE_MATCHING);
                    return Ok((self.set_preserved(&ids, preserved)?, false));
                }
                None => return Ok((self.set_preserved(&ids, preserved)?, true)),
            }
        }
    }

    /// How many events are preserved.
    pub fn preserved_count(&self) -> Result<u64, StoreError> {
        let transaction = self.database()?.begin_read()?;
        Ok(transaction.open_table(PRESERVED)?.len()?)
    }
}
