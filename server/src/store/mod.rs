//! Storage: **the only module that imports redb.**
//!
//! One `redb::Database` per data directory, opened once by [`Store::open`] and shared as an
//! `Arc`. Every method is synchronous and may block on disk: async callers go through
//! `tokio::task::spawn_blocking` (see `crate::state::AppState::blocking`), never call these
//! on the runtime directly.

pub mod accounts;
mod answers;
pub mod backfill;
pub mod budget;
pub mod deferred;
mod derived;
pub mod dictionary;
pub mod events;
pub mod exclusions;
mod facts;
pub mod health;
mod migrate;
pub mod postings;
mod preserve;
mod purge;
mod queue;
mod record;
mod retention;
pub mod scan;
pub mod sensors;
mod stats;
mod tables;
pub mod triage;
mod tuned;
mod views;
pub mod writer;

use redb::{ReadableDatabase, ReadableTable};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use accounts::{AccountError, SessionRecord, TokenRecord, UserRecord};
pub use answers::WriteError;
pub use deferred::{DeferredIndex, FlushLimits};
pub use dictionary::RawDictionary;
pub use events::{NewEvent, WriteOutcome};
pub use health::{StoreHealth, StoreProblem};
pub use purge::{PurgeOutcome, StorageUsage, TableReport};
pub use sensors::{Rejection, SensorRecord};
pub use writer::{Pending, Retention, Writer, WriterOptions};

/// Page cache of a store opened by the CLI's short-lived commands (`serve` takes `--cache-mb`).
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// `META` key of retention's bytes-per-event measurement (f64 LE).
const BYTES_PER_EVENT_KEY: &str = "bytes_per_event";

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "wafscope.redb";

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data dir {0} is in use by another wafscope process (stop it, or use its admin socket)")]
    Locked(PathBuf),
    #[error("cannot create data dir {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("database {path} was written by a newer wafscope (schema {found}, this build knows {known})")]
    SchemaTooNew { path: PathBuf, found: u64, known: u64 },
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// The database is closed while the writer reopens it after an I/O failure.
    #[error("the database is being reopened after a storage failure")]
    Reopening,
    #[error(transparent)]
    Redb(#[from] redb::Error),
}

impl StoreError {
    /// Whether redb stopped trusting its file (an I/O error, or any operation after one):
    /// only closing and reopening the database recovers from that.
    pub fn needs_reopen(&self) -> bool {
        matches!(self, StoreError::Redb(redb::Error::Io(_) | redb::Error::PreviousIo | redb::Error::DatabaseClosed))
    }

    /// Whether the failure was the filesystem running out of space (or quota).
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Redb(redb::Error::Io(error)) => {
                error.kind() == std::io::ErrorKind::StorageFull
                    || error.kind() == std::io::ErrorKind::QuotaExceeded
                    || matches!(error.raw_os_error(), Some(28 | 122))
            }
            _ => false,
        }
    }
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self { StoreError::Redb(error.into()) }
        }
    )*};
}
from_redb!(redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

/// Progress of redb's check after an unclean stop (minutes for a large file): logged every
/// tenth, so a slow start says why.
fn log_repair(session: &mut redb::RepairSession) {
    static LAST_TENTH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);
    let tenth = (session.progress() * 10.0) as u64;
    if LAST_TENTH.swap(tenth, std::sync::atomic::Ordering::Relaxed) != tenth {
        tracing::warn!(percent = tenth * 10, "the database was not closed cleanly; repairing it before serving");
    }
}

/// A handle to the data directory's database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

struct Shared {
    /// The open database; `None` while [`Store::reopen`] replaces it. Every operation clones
    /// the `Arc` for its duration, so a reopen waits only for operations already running.
    database: std::sync::RwLock<Option<Arc<redb::Database>>>,
    /// `None` for the in-memory store, which cannot be reopened.
    path: Option<PathBuf>,
    cache_bytes: usize,
    data_dir: PathBuf,
    /// Bumped by every change of sensor credentials in this process, so in-memory caches of
    /// verified credentials know when to look again.
    sensor_generation: std::sync::atomic::AtomicU64,
    /// Bumped whenever events are preserved or released (the purge's cursor starts over).
    preserve_generation: std::sync::atomic::AtomicU64,
    /// `f64` bits of retention's latest bytes-per-event measurement (0: none yet).
    bytes_per_event: std::sync::atomic::AtomicU64,
    health: StoreHealth,
    dictionaries: dictionary::Dictionaries,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`. Fails with
    /// [`StoreError::Locked`] when another process has it open.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(data_dir, DEFAULT_CACHE_BYTES)
    }

    /// [`Store::open`] with `cache_bytes` of page cache (`serve --cache-mb`).
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Store, StoreError> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        let database = open_database(&path, cache_bytes).map_err(|error| match error {
            OpenError::Locked => StoreError::Locked(data_dir.to_owned()),
            OpenError::Store(error) => error,
        })?;
        Ok(Store::from_parts(database, Some(path), cache_bytes, data_dir.to_owned()))
    }

    /// An in-memory store for tests: nothing touches the disk.
    pub fn in_memory() -> Result<Store, StoreError> {
        let database = redb::Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        migrate::ensure_schema(&database, Path::new(":memory:"))?;
        Ok(Store::from_parts(database, None, 0, PathBuf::from(":memory:")))
    }

    fn from_parts(database: redb::Database, path: Option<PathBuf>, cache_bytes: usize, data_dir: PathBuf) -> Store {
        let store = Store {
            shared: Arc::new(Shared {
                database: std::sync::RwLock::new(Some(Arc::new(database))),
                path,
                cache_bytes,
                data_dir,
                sensor_generation: Default::default(),
                preserve_generation: Default::default(),
                bytes_per_event: Default::default(),
                health: StoreHealth::default(),
                dictionaries: Default::default(),
            }),
        };
        if let Err(error) = store.load_raw_dictionary() {
            tracing::warn!(%error, "could not load the raw dictionary; new uploads are compressed without one");
        }
        store
    }

    /// Closes the database and opens it again: after an I/O failure (a full disk) redb refuses
    /// every operation until then. Waits for operations still running on the old handle (at
    /// most `patience`); readers meanwhile get [`StoreError::Reopening`]. On failure the store
    /// stays closed and the call can be repeated.
    pub fn reopen(&self, patience: std::time::Duration) -> Result<(), StoreError> {
        let Some(path) = self.shared.path.clone() else { return Ok(()) };
        let old = self.shared.database.write().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(old) = old {
            let weak = Arc::downgrade(&old);
            drop(old);
            let deadline = std::time::Instant::now() + patience;
            while weak.strong_count() > 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        let deadline = std::time::Instant::now() + patience;
        loop {
            match open_database(&path, self.shared.cache_bytes) {
                Ok(database) => {
                    *self.shared.database.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::new(database));
                    tracing::info!(path = %path.display(), "database reopened");
                    return Ok(());
                }
                // an operation of the old handle is still finishing (a write transaction)
                Err(OpenError::Locked) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(OpenError::Locked) => return Err(StoreError::Reopening),
                Err(OpenError::Store(error)) => return Err(error),
            }
        }
    }

    /// A real durable write of a few hundred KiB (then deleted): whether storage takes writes.
    pub fn probe(&self) -> Result<(), StoreError> {
        const PROBE_KEY: &str = "probe";
        let filler = vec![0x5a_u8; 256 * 1024];
        let transaction = self.database()?.begin_write()?;
        transaction.open_table(tables::META)?.insert(PROBE_KEY, filler.as_slice())?;
        transaction.commit()?;
        let transaction = self.database()?.begin_write()?;
        transaction.open_table(tables::META)?.remove(PROBE_KEY)?;
        transaction.commit()?;
        Ok(())
    }

    /// The default disk budget of this data dir: `compute()` (from the free space) the first
    /// time, remembered in `META` afterwards, so it does not shrink as the disk fills.
    pub fn default_disk_budget(&self, compute: impl FnOnce() -> u64) -> Result<u64, StoreError> {
        const KEY: &str = "default_disk_budget";
        let stored = {
            let transaction = self.database()?.begin_read()?;
            let meta = transaction.open_table(tables::META)?;
            meta.get(KEY)?.and_then(|value| <[u8; 8]>::try_from(value.value()).ok()).map(u64::from_le_bytes)
        };
        if let Some(budget) = stored {
            return Ok(budget);
        }
        let transaction = self.database()?.begin_write()?;
        let budget = {
            let mut meta = transaction.open_table(tables::META)?;
            let stored = meta.get(KEY)?.and_then(|value| <[u8; 8]>::try_from(value.value()).ok()).map(u64::from_le_bytes);
            match stored {
                Some(budget) => budget,
                None => {
                    let budget = compute();
                    meta.insert(KEY, budget.to_le_bytes().as_slice())?;
                    budget
                }
            }
        };
        transaction.commit()?;
        Ok(budget)
    }

    /// Retention's bytes-per-event measurement kept in `META` by an earlier run.
    pub fn kept_bytes_per_event(&self) -> Result<Option<f64>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let meta = transaction.open_table(tables::META)?;
        Ok(meta.get(BYTES_PER_EVENT_KEY)?.and_then(|value| <[u8; 8]>::try_from(value.value()).ok()).map(f64::from_le_bytes))
    }

    pub fn keep_bytes_per_event(&self, bytes: f64) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_write()?;
        transaction.open_table(tables::META)?.insert(BYTES_PER_EVENT_KEY, bytes.to_le_bytes().as_slice())?;
        transaction.commit()?;
        Ok(())
    }

    /// The bytes an event takes in the file, as retention last measured it.
    pub fn measured_bytes_per_event(&self) -> Option<f64> {
        let bits = self.shared.bytes_per_event.load(std::sync::atomic::Ordering::Relaxed);
        (bits != 0).then(|| f64::from_bits(bits))
    }

    fn note_bytes_per_event(&self, bytes: f64) {
        self.shared.bytes_per_event.store(bytes.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }

    /// What is wrong with the store now, if anything (for `/api/v1/health`).
    pub fn health(&self) -> &StoreHealth {
        &self.shared.health
    }

    /// The database file (`None` for the in-memory store).
    pub fn database_path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.shared.data_dir
    }

    /// Whether no user exists yet (a fresh data dir).
    pub fn is_fresh(&self) -> Result<bool, StoreError> {
        Ok(self.list_users()?.is_empty())
    }

    /// The current sensor-credentials generation (see the field's doc).
    pub fn sensor_generation(&self) -> u64 {
        self.shared.sensor_generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump_sensor_generation(&self) {
        self.shared.sensor_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Changes whenever events are preserved or released.
    pub fn preserve_generation(&self) -> u64 {
        self.shared.preserve_generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump_preserve_generation(&self) {
        self.shared.preserve_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The open database, for the duration of one operation.
    fn database(&self) -> Result<Arc<redb::Database>, StoreError> {
        self.shared.database.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone().ok_or(StoreError::Reopening)
    }
}

/// `wafscope compact`: rewrites the database of `data_dir` (with `serve` stopped) so the
/// space retention freed goes back to the filesystem; returns the file size before and after.
pub fn compact(data_dir: &Path) -> Result<(u64, u64), StoreError> {
    let path = data_dir.join(DATABASE_FILE);
    let size = || std::fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
    let before = size();
    let mut database = open_database(&path, DEFAULT_CACHE_BYTES).map_err(|error| match error {
        OpenError::Locked => StoreError::Locked(data_dir.to_owned()),
        OpenError::Store(error) => error,
    })?;
    database.compact().map_err(|error| StoreError::Redb(error.into()))?;
    drop(database);
    Ok((before, size()))
}

enum OpenError {
    Locked,
    Store(StoreError),
}

fn open_database(path: &Path, cache_bytes: usize) -> Result<redb::Database, OpenError> {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(cache_bytes).set_repair_callback(log_repair);
    // the file is made owner-only before redb writes a byte into it
    crate::private::create_empty_file(path).map_err(|error| OpenError::Store(StoreError::Redb(redb::Error::Io(error))))?;
    let database = match builder.create(path) {
        Ok(database) => database,
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(OpenError::Locked),
        Err(error) => return Err(OpenError::Store(error.into())),
    };
    migrate::ensure_schema(&database, path).map_err(OpenError::Store)?;
    Ok(database)
}

/// Creates `path` (and missing parents) readable by its owner only: it holds raw requests with
/// end users' cookies and passwords. An existing directory keeps its mode.
fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    crate::private::create_dir(path).map_err(|source| StoreError::CreateDir { path: path.to_owned(), source })
}
