//! Saved views in redb (`VIEWS`), and the `META` counters that number views and exclusions
//! (ids are never given twice, also after a delete).

use super::tables::*;
use super::{Store, StoreError};
use app::model::{SavedView, ViewRequest};
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};

const NEXT_VIEW_KEY: &str = "next_view_id";

/// The next value of the `META` counter `key` (starting at `first`), counted up.
pub(super) fn take_counter(transaction: &WriteTransaction, key: &str, first: u64) -> Result<u64, StoreError> {
    let mut meta = transaction.open_table(META)?;
    let next = match meta.get(key)? {
        Some(value) => value.value().try_into().map(u64::from_le_bytes).map_err(|_| StoreError::Corrupt(format!("{key} is not 8 bytes")))?,
        None => first,
    }
    .max(first);
    meta.insert(key, next.saturating_add(1).to_le_bytes().as_slice())?;
    Ok(next)
}

/// The value [`take_counter`] would take next.
pub(super) fn peek_counter(meta: &impl ReadableTable<&'static str, &'static [u8]>, key: &str, first: u64) -> Result<u64, StoreError> {
    Ok(match meta.get(key)? {
        Some(value) => value.value().try_into().map(u64::from_le_bytes).map_err(|_| StoreError::Corrupt(format!("{key} is not 8 bytes")))?,
        None => first,
    }
    .max(first))
}

fn decode(bytes: &[u8]) -> Result<SavedView, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(format!("saved view: {error}")))
}

impl Store {
    /// The views `user` sees: their own and the shared ones, by name.
    pub fn list_views(&self, user: &str) -> Result<Vec<SavedView>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let mut views = Vec::new();
        for entry in transaction.open_table(VIEWS)?.iter()? {
            let view = decode(entry?.1.value())?;
            if view.shared || view.owner == user {
                views.push(view);
            }
        }
        views.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(views)
    }

    pub fn get_view(&self, id: u64) -> Result<Option<SavedView>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        transaction.open_table(VIEWS)?.get(id)?.map(|value| decode(value.value())).transpose()
    }

    /// Saves a new view of `owner` (the caller checked who may share).
    pub fn create_view(&self, owner: &str, request: &ViewRequest, now: i64) -> Result<SavedView, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let id = take_counter(&transaction, NEXT_VIEW_KEY, 1)?;
        let view = SavedView {
            id,
            name: request.name.trim().to_owned(),
            owner: owner.to_owned(),
            query: request.query.clone(),
            shared: request.shared,
            created_at: now,
        };
        transaction.open_table(VIEWS)?.insert(id, serde_json::to_vec(&view).expect("views serialise").as_slice())?;
        transaction.commit()?;
        Ok(view)
    }

    /// Replaces the name, query and sharing of view `id`; `None` when there is none.
    pub fn update_view(&self, id: u64, request: &ViewRequest) -> Result<Option<SavedView>, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let updated = {
            let mut views = transaction.open_table(VIEWS)?;
            let Some(mut view) = views.get(id)?.map(|value| decode(value.value())).transpose()? else { return Ok(None) };
            view.name = request.name.trim().to_owned();
            view.query = request.query.clone();
            view.shared = request.shared;
            views.insert(id, serde_json::to_vec(&view).expect("views serialise").as_slice())?;
            view
        };
        transaction.commit()?;
        Ok(Some(updated))
    }

    /// Deletes view `id`; whether there was one.
    pub fn delete_view(&self, id: u64) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let removed = transaction.open_table(VIEWS)?.remove(id)?.is_some();
        transaction.commit()?;
        Ok(removed)
    }
}
