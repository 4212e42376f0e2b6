//! Reads for the tuning assistant: every event a filter selects (exactly what
//! `/api/v1/events` lists, paged the same way, up to a budget) and the rules' messages.

use super::tables::*;
use super::{Store, StoreError};
use crate::filter::EventFilter;
use app::model::EventSummary;
use redb::ReadableDatabase;

/// Most events one tuning answer looks at; past it the answer says `complete: false`.
pub const TUNING_SCAN_BUDGET: usize = 500_000;

impl Store {
    /// Calls `visit` with each event `filter` selects, newest first, at most `budget` of them;
    /// returns whether every selected event was visited.
    pub fn for_each_selected(&self, filter: &EventFilter, budget: usize, visit: impl FnMut(&EventSummary)) -> Result<bool, StoreError> {
        self.for_each_selected_after(filter, 0, budget, visit)
    }

    /// [`Store::for_each_selected`] for the events that arrived after the id (µs) `after`.
    pub fn for_each_selected_after(&self, filter: &EventFilter, after: u64, budget: usize, mut visit: impl FnMut(&EventSummary)) -> Result<bool, StoreError> {
        let mut before = None;
        let mut visited = 0usize;
        loop {
            let (page, next) = self.list_events(filter, before, 1000)?;
            for summary in page.iter().filter(|summary| summary.id > after) {
                visit(summary);
            }
            visited += page.len();
            match next {
                None => return Ok(true),
                Some(next) if next <= after => return Ok(true),
                Some(_) if visited >= budget => return Ok(false),
                Some(next) => before = Some(next),
            }
        }
    }

    /// The newest message stored for each of `rules` (missing ones are left out).
    pub fn rule_messages(&self, rules: &[u32]) -> Result<Vec<(u32, String)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let messages = transaction.open_table(RULE_MESSAGES)?;
        let mut found = Vec::new();
        for rule in rules {
            if let Some(message) = messages.get(*rule)? {
                found.push((*rule, message.value().to_owned()));
            }
        }
        Ok(found)
    }
}
