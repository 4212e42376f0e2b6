//! Schema 5's one-time upgrade: summaries written before it have no alerts (rule, matched
//! variable, severity) and no inbound threshold, which tuning needs. A thread of `serve` reads
//! those events' raw entries again, oldest first, and rewrites their summaries, a chunk per
//! transaction, while the console runs; `alerts_backfilled_through` in `META` says how far it
//! got (`u64::MAX`: done; a fresh database starts done), so a restart continues where it
//! stopped. Events stored meanwhile have their alerts already.

use super::events::{decode_summary, encode_summary};
use super::tables::*;
use super::{Store, StoreError};
use app::model::Alert;
use redb::{ReadableDatabase, ReadableTable};
use std::sync::Arc;

pub(super) const BACKFILLED_KEY: &str = "alerts_backfilled_through";
/// Events re-read per transaction.
const CHUNK: usize = 256;

/// What the upgrade derives from a raw entry: its alerts and inbound threshold.
pub type Derive = fn(&[u8]) -> (Vec<Alert>, Option<u32>);

impl Store {
    /// How far the upgrade got (`None`: done).
    pub fn alerts_backfilled_through(&self) -> Result<Option<u64>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let meta = transaction.open_table(META)?;
        let through = match meta.get(BACKFILLED_KEY)? {
            Some(value) => value.value().try_into().map(u64::from_le_bytes).map_err(|_| StoreError::Corrupt(format!("{BACKFILLED_KEY} is not 8 bytes")))?,
            None => u64::MAX,
        };
        Ok((through != u64::MAX).then_some(through))
    }

    /// One step of the upgrade: up to [`CHUNK`] events after the mark; returns how many
    /// summaries were rewritten, or `None` once there is nothing left.
    pub fn backfill_alerts_step(&self, derive: Derive) -> Result<Option<usize>, StoreError> {
        let Some(through) = self.alerts_backfilled_through()? else { return Ok(None) };
        // read and parse outside the write transaction (the writer waits on it)
        let (derived, last) = {
            let transaction = self.database()?.begin_read()?;
            let events = transaction.open_table(EVENTS)?;
            let raw_table = transaction.open_table(RAW)?;
            let mut derived = Vec::new();
            let mut seen = 0;
            let mut last = None;
            for entry in events.range(through.saturating_add(1)..)?.take(CHUNK) {
                let (key, value) = entry?;
                let id = key.value();
                (seen, last) = (seen + 1, Some(id));
                let Ok(summary) = decode_summary(id, value.value()) else { continue };
                if summary.rule_ids.is_empty() || !summary.alerts.is_empty() {
                    continue;
                }
                let Some(compressed) = raw_table.get(id)? else { continue };
                match self.decompress_raw(&transaction, id, compressed.value()) {
                    Ok(raw) => derived.push((id, derive(&raw))),
                    Err(error) => tracing::warn!(id, %error, "upgrade: a raw entry does not decompress; its alerts stay unknown"),
                }
            }
            (derived, last.filter(|_| seen == CHUNK))
        };
        let transaction = self.database()?.begin_write()?;
        let mut rewritten = 0;
        {
            let mut events = transaction.open_table(EVENTS)?;
            for (id, (alerts, threshold)) in derived {
                // the summary as it is now (a triage change may have come in between)
                let Some(stored) = events.get(id)?.map(|value| value.value().to_vec()) else { continue };
                let Ok(mut summary) = decode_summary(id, &stored) else { continue };
                if !summary.alerts.is_empty() {
                    continue;
                }
                (summary.alerts, summary.inbound_threshold) = (alerts, threshold);
                events.insert(id, encode_summary(&summary).as_slice())?;
                rewritten += 1;
            }
        }
        transaction.open_table(META)?.insert(BACKFILLED_KEY, last.unwrap_or(u64::MAX).to_le_bytes().as_slice())?;
        transaction.commit()?;
        Ok(Some(rewritten))
    }
}

/// Runs the upgrade on a thread of its own until done (or the store is closed).
pub fn spawn(store: &Store, derive: Derive) {
    match store.alerts_backfilled_through() {
        Ok(None) => return,
        Ok(Some(_)) => tracing::info!("upgrade: reading the alerts of events stored before schema 5 again, in the background"),
        Err(error) => return tracing::warn!(%error, "upgrade: cannot read its progress"),
    }
    let weak = Arc::downgrade(&store.shared);
    let spawned = std::thread::Builder::new().name("wafscope-upgrade".to_owned()).spawn(move || {
        let mut total = 0usize;
        loop {
            let Some(shared) = weak.upgrade() else { return };
            let store = Store { shared };
            match store.backfill_alerts_step(derive) {
                Ok(Some(rewritten)) => total += rewritten,
                Ok(None) => return tracing::info!(events = total, "upgrade: every event's alerts are known"),
                Err(error) => {
                    tracing::warn!(%error, "upgrade: a step failed; trying again in 10 s");
                    drop(store);
                    std::thread::sleep(std::time::Duration::from_secs(10));
                    continue;
                }
            }
            drop(store);
            // leave the writer most of the time
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start the upgrade thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DeferredIndex;
    use crate::store::migrate::VERSION_KEY;

    #[test]
    fn schema_4_summaries_get_their_alerts_from_the_raw_entries() {
        let directory = tempfile::tempdir().unwrap();
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/mlogc-captured");
        let mut bodies: Vec<_> =
            std::fs::read_dir(corpus).unwrap().map(|entry| entry.unwrap().path()).filter(|path| path.extension().is_some_and(|e| e == "body")).collect();
        bodies.sort();
        let (ids, expected) = {
            let store = Store::open(directory.path()).unwrap();
            assert_eq!(store.alerts_backfilled_through().unwrap(), None, "a fresh database needs no upgrade");
            let mut batch: Vec<_> = bodies
                .iter()
                .enumerate()
                .map(|(n, path)| crate::ingest::prepare_event("old", &std::fs::read(path).unwrap(), None, None, 1_000 + n as i64))
                .collect();
            let (mut next_id, mut deferred) = (1, DeferredIndex::default());
            store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
            store.flush_index(&mut deferred, next_id).unwrap();
            let ids: Vec<u64> = batch.iter().map(|event| event.summary.id).collect();
            let expected: Vec<_> = ids.iter().map(|id| store.get_event(*id).unwrap().unwrap()).collect();
            assert!(expected.iter().filter(|summary| !summary.alerts.is_empty()).count() > 50);
            // what schema 4 wrote: no alerts, no threshold; and one triaged meanwhile
            let transaction = store.database().unwrap().begin_write().unwrap();
            {
                let mut events = transaction.open_table(EVENTS).unwrap();
                for summary in &expected {
                    let mut old = summary.clone();
                    (old.alerts, old.inbound_threshold) = (Vec::new(), None);
                    events.insert(old.id, encode_summary(&old).as_slice()).unwrap();
                }
                let mut meta = transaction.open_table(META).unwrap();
                meta.insert(VERSION_KEY, 4u64.to_le_bytes().as_slice()).unwrap();
                meta.remove(BACKFILLED_KEY).unwrap();
            }
            transaction.commit().unwrap();
            (ids, expected)
        };
        let store = Store::open(directory.path()).unwrap();
        assert_eq!(store.alerts_backfilled_through().unwrap(), Some(0), "the upgrade starts from the oldest");
        let change = app::model::TriageChange { state: Some(app::model::TriageState::Reviewed), ..Default::default() };
        store.apply_triage(&ids[..1], &change, "ana", 5, None).unwrap();
        let mut steps = 0;
        while store.backfill_alerts_step(crate::ingest::alerts_of_raw).unwrap().is_some() {
            steps += 1;
            assert!(steps < 100);
        }
        assert_eq!(store.alerts_backfilled_through().unwrap(), None);
        for (id, before) in ids.iter().zip(&expected) {
            let now = store.get_event(*id).unwrap().unwrap();
            assert_eq!((&now.alerts, now.inbound_threshold), (&before.alerts, before.inbound_threshold), "event {id}");
        }
        assert_eq!(store.get_event(ids[0]).unwrap().unwrap().state, app::model::TriageState::Reviewed, "a triage change made meanwhile stays");
    }
}
