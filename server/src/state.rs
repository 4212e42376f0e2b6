//! [`AppState`]: everything a request handler may use. There is no other shared state.

use crate::auth::rate_limit::{INGEST_LIMITS, LOGIN_LIMITS, Limiter};
use crate::config::Config;
use crate::http::assets::Assets;
use crate::http::errors::ApiError;
use crate::ingest::credentials::SensorVerifier;
use crate::live::LiveHub;
use crate::store::{FlushLimits, Retention, Store, StoreError, Writer, WriterOptions};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Sensor password checks (argon2) allowed at the same time.
pub const MAX_CONCURRENT_PASSWORD_CHECKS: usize = 2;

/// Refused uploads (401) since start per sensor record: keyed by the sensor's name and its
/// record's `created_at`, so a sensor removed and added again under that name starts at 0
/// (and a check still running for the removed one cannot count against the new one). In
/// memory: a stream of bad logins must not turn into disk writes; unknown names are not
/// counted, so the map stays small.
#[derive(Debug, Clone, Default)]
pub struct AuthFailures(Arc<Mutex<HashMap<(String, u64), u64>>>);

impl AuthFailures {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u64), u64>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a refused upload for the sensor whose record was created at `created_at`.
    pub fn count(&self, sensor: &str, created_at: u64) {
        *self.map().entry((sensor.to_owned(), created_at)).or_default() += 1;
    }

    pub fn snapshot(&self) -> HashMap<(String, u64), u64> {
        self.map().clone()
    }
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub assets: Arc<Assets>,
    pub login_limiter: Arc<Limiter>,
    /// Throttles sensor credentials that are not cached as valid, per client address.
    pub ingest_limiter: Arc<Limiter>,
    pub sensor_verifier: Arc<SensorVerifier>,
    /// Bounds concurrent argon2 checks of passwords, sensors' and logins' (memory- and
    /// CPU-hungry).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// The single writer thread's queue (every event write goes through it).
    pub writer: Writer,
    /// Fan-out of committed events to live-stream subscribers.
    pub live: LiveHub,
    pub auth_failures: AuthFailures,
    pub started: Instant,
    /// What retention keeps (the disk budget resolved from the default when not given).
    pub retention: Retention,
    /// Bulk triage jobs of this process.
    pub triage_jobs: crate::jobs::TriageJobs,
}

/// Internals a test may choose; the defaults are what `serve` runs with.
#[derive(Debug, Clone, Copy)]
pub struct StateOptions {
    /// Events the live-stream fan-out buffers per subscriber.
    pub live_capacity: usize,
    /// When the writer writes index rows and fact blocks.
    pub index_flush: FlushLimits,
}

impl Default for StateOptions {
    fn default() -> StateOptions {
        StateOptions { live_capacity: crate::live::DEFAULT_CAPACITY, index_flush: FlushLimits::default() }
    }
}

impl AppState {
    /// Builds the state around an open store and starts its writer thread.
    pub fn new(store: Store, config: Config, assets: Assets) -> Result<AppState, StoreError> {
        AppState::with_options(store, config, assets, StateOptions::default())
    }

    /// Like [`AppState::new`] with a chosen live-stream buffer (tests use tiny ones).
    pub fn with_live_capacity(store: Store, config: Config, assets: Assets, live_capacity: usize) -> Result<AppState, StoreError> {
        AppState::with_options(store, config, assets, StateOptions { live_capacity, ..StateOptions::default() })
    }

    /// Like [`AppState::new`] with internals chosen (tests).
    pub fn with_options(store: Store, config: Config, assets: Assets, options: StateOptions) -> Result<AppState, StoreError> {
        let live = LiveHub::new(options.live_capacity);
        let publisher = live.clone();
        let retention = resolve_retention(&store, &config)?;
        let on_commit = Box::new(move |events: &[app::model::EventSummary]| publisher.publish(events));
        let writer = Writer::start_with(store.clone(), WriterOptions { capacity: config.write_queue, retention, on_commit, index_flush: options.index_flush })?;
        Ok(AppState {
            store,
            config: Arc::new(config),
            assets: Arc::new(assets),
            login_limiter: Arc::new(Limiter::new(LOGIN_LIMITS)),
            ingest_limiter: Arc::new(Limiter::new(INGEST_LIMITS)),
            sensor_verifier: Arc::new(SensorVerifier::default()),
            password_checks: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_PASSWORD_CHECKS)),
            writer,
            live,
            auth_failures: AuthFailures::default(),
            started: Instant::now(),
            retention,
            triage_jobs: crate::jobs::TriageJobs::default(),
        })
    }

    /// Runs a store operation on the blocking pool (redb must never run on the runtime).
    pub async fn blocking<T, F>(&self, operation: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || operation(&store)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(join_error) => Err(ApiError::Internal(format!("store task failed: {join_error}"))),
        }
    }
}

/// Retention from the configuration; the default disk budget is fixed at the data dir's
/// first start (half of the free space then, at most 20 GiB) and remembered.
pub fn resolve_retention(store: &Store, config: &Config) -> Result<Retention, StoreError> {
    let max_disk_bytes = match config.max_disk {
        crate::config::DiskBudget::Bytes(bytes) => bytes,
        crate::config::DiskBudget::Default => store.default_disk_budget(|| crate::store::budget::default_budget(crate::disk::free_bytes(store.data_dir())))?,
    };
    Ok(Retention { retain_days: config.retain_days, max_disk_bytes })
}

#[cfg(test)]
mod tests {
    use super::AuthFailures;

    #[test]
    fn a_sensor_added_again_under_a_removed_name_starts_without_its_refusals() {
        let failures = AuthFailures::default();
        failures.count("web-01", 100);
        failures.count("web-01", 100);
        failures.count("web-02", 100);
        failures.count("web-01", 250); // the new web-01
        let counts = failures.snapshot();
        assert_eq!(counts.get(&("web-01".to_owned(), 100)), Some(&2));
        assert_eq!(counts.get(&("web-01".to_owned(), 250)), Some(&1));
        assert_eq!(counts.get(&("web-02".to_owned(), 100)), Some(&1));
    }
}
