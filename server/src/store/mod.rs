//! Storage: **the only module that imports redb.**
//!
//! One `redb::Database` per data directory, opened once by [`Store::open`] and shared as an
//! `Arc`. Every method is synchronous and may block on disk: async callers go through
//! `tokio::task::spawn_blocking` (see `crate::state::AppState::blocking`), never call these
//! on the runtime directly.

pub mod accounts;
pub mod deferred;
pub mod events;
mod migrate;
pub mod postings;
pub mod sensors;
mod stats;
mod tables;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use accounts::{AccountError, SessionRecord, TokenRecord, UserRecord};
pub use deferred::DeferredIndex;
pub use events::{MinuteCounts, NewEvent, WriteOutcome};
pub use sensors::{Rejection, SensorRecord};
pub use writer::{Pending, WriteError, Writer};

/// Page cache of a store opened by the CLI's short-lived commands (`serve` takes `--cache-mb`).
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

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
    #[error(transparent)]
    Redb(#[from] redb::Error),
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self { StoreError::Redb(error.into()) }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

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
    database: Arc<redb::Database>,
    data_dir: PathBuf,
    /// Bumped by every change of sensor credentials in this process, so in-memory caches of
    /// verified credentials know when to look again.
    sensor_generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`. Fails with
    /// [`StoreError::Locked`] when another process has it open.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(data_dir, DEFAULT_CACHE_BYTES)
    }

    /// [`Store::open`] with `cache_bytes` of page cache (`serve --cache-mb`).
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::CreateDir { path: data_dir.to_owned(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut builder = redb::Builder::new();
        builder.set_cache_size(cache_bytes).set_repair_callback(log_repair);
        let database = match builder.create(&path) {
            Ok(database) => database,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked(data_dir.to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        let store = Store { database: Arc::new(database), data_dir: data_dir.to_owned(), sensor_generation: Default::default() };
        migrate::ensure_schema(&store.database, &path)?;
        Ok(store)
    }

    /// An in-memory store for tests: nothing touches the disk.
    pub fn in_memory() -> Result<Store, StoreError> {
        let database = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())?;
        let store = Store { database: Arc::new(database), data_dir: PathBuf::from(":memory:"), sensor_generation: Default::default() };
        migrate::ensure_schema(&store.database, Path::new(":memory:"))?;
        Ok(store)
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Whether no user exists yet (a fresh data dir).
    pub fn is_fresh(&self) -> Result<bool, StoreError> {
        Ok(self.list_users()?.is_empty())
    }

    /// The current sensor-credentials generation (see the field's doc).
    pub fn sensor_generation(&self) -> u64 {
        self.sensor_generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump_sensor_generation(&self) {
        self.sensor_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    fn database(&self) -> &redb::Database {
        &self.database
    }
}
