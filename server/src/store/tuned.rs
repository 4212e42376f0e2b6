//! Tuning's reads from the fact blocks: every event of a window a filter selects, as a `Tuned`
//! view, without decoding a summary — except for blocks whose alerts are unknown (written
//! before schema 5's upgrade completed their summaries) and the events not flushed into a
//! block yet, which are read from `EVENTS`.

use super::events::{decode_or_skip, for_each_unindexed};
use super::facts::visit_blocks;
use super::stats::preserved_ids;
use super::tables::*;
use super::{Store, StoreError};
use crate::facts::FactQuery;
use crate::filter::EventFilter;
use crate::tuning::Tuned;
use crate::tuning::groups::GroupAccumulator;
use redb::{ReadableDatabase, ReadableTable};
use std::collections::HashMap;

impl Store {
    /// Adds the groups of the events of minutes `[from_minute, to_minute)` that `filter`
    /// selects (as [`Store::for_each_tuned`], counted per block first).
    pub fn group_tuned(&self, filter: &EventFilter, from_minute: u64, to_minute: u64, groups: &mut GroupAccumulator) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_read()?;
        let preserved = preserved_ids(&transaction, filter)?;
        let query = FactQuery { filter, from_minute, to_minute, bin_minutes: 1, preserved: preserved.as_ref() };
        let mut unknown = Vec::new();
        visit_blocks(&transaction, from_minute, to_minute, |block| block.group_into(&query, groups, &mut |id| unknown.push(id)))?;
        visit_summaries(&transaction, filter, &unknown, |event| groups.add(event))
    }

    /// Calls `visit` with each event of minutes `[from_minute, to_minute)` that `filter`
    /// selects (its `from`/`to` must be that window; `FactQuery::supports` it). Events from
    /// blocks have their minute as their time.
    pub fn for_each_tuned(&self, filter: &EventFilter, from_minute: u64, to_minute: u64, mut visit: impl FnMut(&Tuned)) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_read()?;
        let preserved = preserved_ids(&transaction, filter)?;
        let query = FactQuery { filter, from_minute, to_minute, bin_minutes: 1, preserved: preserved.as_ref() };
        // triage is not in the blocks: the states other than new, from their own table
        let mut states = HashMap::new();
        for entry in transaction.open_table(TRIAGED)?.iter()? {
            let (id, mark) = entry?;
            if let Some(state) = crate::triage::mark_state(mark.value()) {
                states.insert(id.value(), state);
            }
        }
        let mut unknown = Vec::new();
        visit_blocks(&transaction, from_minute, to_minute, |block| block.visit_tuned(&query, &states, &mut visit, &mut |id| unknown.push(id)))?;
        visit_summaries(&transaction, filter, &unknown, visit)
    }
}

/// What the blocks could not answer, from the summaries: the events `unknown` (rows of blocks
/// whose alerts are unknown, already filtered) and the unflushed tail that `filter` selects.
fn visit_summaries(transaction: &redb::ReadTransaction, filter: &EventFilter, unknown: &[u64], mut visit: impl FnMut(&Tuned)) -> Result<(), StoreError> {
    let events = transaction.open_table(EVENTS)?;
    for &id in unknown {
        if let Some(value) = events.get(id)?
            && let Some(summary) = decode_or_skip(id, value.value())
        {
            visit(&Tuned::of(&summary));
        }
    }
    for_each_unindexed(transaction, |summary| {
        if filter.matches(&summary) {
            visit(&Tuned::of(&summary));
        }
    })
}
