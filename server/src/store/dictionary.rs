//! The zstd dictionary raw uploads are compressed with, trained once per data dir from its
//! own first uploads.
//!
//! Why: audit-log entries of one site repeat most of their bytes (headers, CRS messages,
//! section markers), but each is compressed alone (read back one at a time), and zstd alone
//! finds little to reuse within 5 KB: on the fixture corpus an entry took 27 % of its size
//! plainly and 9 % with a dictionary trained on other entries.
//!
//! Every zstd frame names the dictionary it needs (its id in the frame header), so frames
//! written before the dictionary existed, or by another dictionary, still decode: nothing is
//! rewritten, and a dictionary is never deleted.

use super::tables::{EVENTS, RAW, RAW_DICTIONARIES};
use super::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Events stored before a dictionary is trained from the newest of them.
pub const TRAIN_AFTER_EVENTS: u64 = 1000;
/// Largest dictionary trained (zstd's recommended size for small records).
const MAX_DICTIONARY_BYTES: usize = 64 * 1024;
/// Most sample bytes read for training.
const MAX_SAMPLE_BYTES: usize = 16 << 20;
/// How often the trainer looks whether enough events are stored.
const TRAINER_PERIOD: Duration = Duration::from_secs(2);

/// A trained dictionary: its zstd id and bytes.
#[derive(Debug)]
pub struct RawDictionary {
    pub id: u32,
    pub bytes: Vec<u8>,
}

/// The dictionaries a store has loaded: the one new uploads use, and every one frames named.
#[derive(Debug, Default)]
pub(super) struct Dictionaries {
    current: RwLock<Option<Arc<RawDictionary>>>,
    known: RwLock<HashMap<u32, Arc<RawDictionary>>>,
}

impl Store {
    /// The dictionary new uploads are compressed with (`None` until one is trained).
    pub fn raw_dictionary(&self) -> Option<Arc<RawDictionary>> {
        self.shared.dictionaries.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Loads the newest stored dictionary as the current one (at open).
    pub(super) fn load_raw_dictionary(&self) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_read()?;
        let table = transaction.open_table(RAW_DICTIONARIES)?;
        if let Some((id, bytes)) = table.last()? {
            let dictionary = Arc::new(RawDictionary { id: id.value(), bytes: bytes.value().to_vec() });
            self.shared.dictionaries.known.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(dictionary.id, dictionary.clone());
            *self.shared.dictionaries.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(dictionary);
        }
        Ok(())
    }

    /// Decompresses a stored raw upload, with the dictionary its frame names if any.
    pub(super) fn decompress_raw(&self, transaction: &redb::ReadTransaction, id: u64, bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt(format!("raw entry {id}: {detail}"));
        let Some(dictionary_id) = zstd::zstd_safe::get_dict_id_from_frame(bytes) else {
            return zstd::decode_all(bytes).map_err(|error| corrupt(error.to_string()));
        };
        let dictionary_id = dictionary_id.get();
        let known = self.shared.dictionaries.known.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&dictionary_id).cloned();
        let dictionary = match known {
            Some(dictionary) => dictionary,
            None => {
                let table = transaction.open_table(RAW_DICTIONARIES)?;
                let stored = table.get(dictionary_id)?.ok_or_else(|| corrupt(format!("its dictionary {dictionary_id} is not stored")))?;
                let dictionary = Arc::new(RawDictionary { id: dictionary_id, bytes: stored.value().to_vec() });
                self.shared.dictionaries.known.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(dictionary_id, dictionary.clone());
                dictionary
            }
        };
        let mut decoder = zstd::stream::read::Decoder::with_dictionary(bytes, &dictionary.bytes).map_err(|error| corrupt(error.to_string()))?;
        let mut output = Vec::new();
        std::io::Read::read_to_end(&mut decoder, &mut output).map_err(|error| corrupt(error.to_string()))?;
        Ok(output)
    }

    /// Trains a dictionary from the newest stored uploads once at least
    /// [`TRAIN_AFTER_EVENTS`] are stored and none exists; returns its id when it did. Reads in
    /// a read transaction and writes the dictionary in a tiny write transaction of its own
    /// (blocking the writer for that commit only); CPU for about a second.
    pub fn train_raw_dictionary(&self) -> Result<Option<u32>, StoreError> {
        if self.raw_dictionary().is_some() {
            return Ok(None);
        }
        let samples = {
            let transaction = self.database()?.begin_read()?;
            if transaction.open_table(EVENTS)?.len()? < TRAIN_AFTER_EVENTS {
                return Ok(None);
            }
            let raw = transaction.open_table(RAW)?;
            let mut samples = Vec::new();
            let mut total = 0usize;
            for entry in raw.iter()?.rev().take(TRAIN_AFTER_EVENTS as usize * 2) {
                let (id, bytes) = entry?;
                let Ok(sample) = self.decompress_raw(&transaction, id.value(), bytes.value()) else { continue };
                total += sample.len();
                samples.push(sample);
                if total >= MAX_SAMPLE_BYTES {
                    break;
                }
            }
            samples
        };
        let total: usize = samples.iter().map(Vec::len).sum();
        // zstd wants ten to a hundred times the dictionary's size in samples
        let size = MAX_DICTIONARY_BYTES.min(total / 20);
        if size < 4096 {
            return Ok(None);
        }
        let bytes = match zstd::dict::from_samples(&samples, size) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(%error, samples = samples.len(), "could not train a dictionary for raw uploads; compressing without one");
                return Ok(None);
            }
        };
        let Some(id) = zstd::zstd_safe::get_dict_id_from_dict(&bytes).map(|id| id.get()) else { return Ok(None) };
        let transaction = self.database()?.begin_write()?;
        transaction.open_table(RAW_DICTIONARIES)?.insert(id, bytes.as_slice())?;
        transaction.commit()?;
        let dictionary = Arc::new(RawDictionary { id, bytes });
        self.shared.dictionaries.known.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(id, dictionary.clone());
        *self.shared.dictionaries.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(dictionary);
        tracing::info!(dictionary = id, bytes = size, samples = samples.len(), "trained the dictionary new raw uploads are compressed with");
        Ok(Some(id))
    }
}

/// Starts the thread that trains the dictionary once enough events are stored (`serve`). It
/// holds the store only while it looks, so it never keeps the database open at shutdown.
pub fn spawn_trainer(store: &Store) {
    let weak = Arc::downgrade(&store.shared);
    let spawned = std::thread::Builder::new().name("wafscope-dictionary".to_owned()).spawn(move || {
        loop {
            std::thread::sleep(TRAINER_PERIOD);
            let Some(shared) = weak.upgrade() else { return };
            let store = Store { shared };
            if store.raw_dictionary().is_some() {
                return;
            }
            if let Err(error) = store.train_raw_dictionary() {
                tracing::warn!(%error, "training the raw dictionary failed; trying again later");
            }
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start the dictionary trainer; raw uploads are compressed without one");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{prepare_event, prepare_event_with};
    use crate::store::DeferredIndex;

    /// The corpus's native entries, numbered so every one is a new event.
    fn entries() -> Vec<Vec<u8>> {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus");
        let mut paths: Vec<_> =
            walk(std::path::Path::new(directory)).into_iter().filter(|path| path.extension().is_some_and(|extension| extension == "body")).collect();
        paths.sort();
        assert!(paths.len() > 50, "the corpus has mlogc bodies");
        paths.iter().map(|path| std::fs::read(path).unwrap()).collect()
    }

    fn walk(directory: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn a_dictionary_is_trained_once_used_for_new_uploads_and_every_frame_still_decodes() {
        let directory = tempfile::tempdir().unwrap();
        let bodies = entries();
        let store = Store::open(directory.path()).unwrap();
        let mut next_id = 1;
        let mut deferred = DeferredIndex::default();
        let mut written: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut write = |store: &Store, body: Vec<u8>, dictionary: Option<&RawDictionary>, number: u64| {
            let mut body = body;
            // (a distinct unique id per copy: the corpus is reused)
            body.extend_from_slice(format!("\n--copy {number}--\n").as_bytes());
            let mut batch = vec![prepare_event_with(dictionary, "s", &body, None, None, number as i64)];
            let outcome = store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
            let crate::store::WriteOutcome::Stored(id) = outcome[0] else { panic!("{outcome:?}") };
            written.push((id, body));
            batch[0].raw_zstd.len()
        };
        for number in 0..TRAIN_AFTER_EVENTS - 1 {
            write(&store, bodies[number as usize % bodies.len()].clone(), None, number);
        }
        assert_eq!(store.train_raw_dictionary().unwrap(), None, "not before enough events are stored");
        write(&store, bodies[0].clone(), None, TRAIN_AFTER_EVENTS);
        let id = store.train_raw_dictionary().unwrap().expect("trained");
        assert_eq!(store.train_raw_dictionary().unwrap(), None, "once");
        let dictionary = store.raw_dictionary().unwrap();
        assert_eq!(dictionary.id, id);
        let (mut plain, mut with) = (0usize, 0usize);
        for (number, body) in bodies.iter().enumerate().take(40) {
            plain += prepare_event("s", body, None, None, 1).raw_zstd.len();
            with += write(&store, body.clone(), Some(&dictionary), 10_000 + number as u64);
        }
        assert!(with * 2 < plain, "the dictionary halves the stored bytes at least: {with} vs {plain}");
        for (event, body) in &written {
            assert_eq!(store.get_raw(*event).unwrap().as_deref(), Some(body.as_slice()), "byte-exact, with and without the dictionary");
        }
        drop(store);
        let store = Store::open(directory.path()).unwrap();
        assert_eq!(store.raw_dictionary().map(|dictionary| dictionary.id), Some(id), "loaded at open");
        let (event, body) = written.last().unwrap();
        assert_eq!(store.get_raw(*event).unwrap().as_deref(), Some(body.as_slice()));
    }
}
