//! [`AppState`]: everything a request handler may use. There is no other shared state.

use crate::auth::rate_limit::LoginLimiter;
use crate::config::Config;
use crate::http::assets::Assets;
use crate::http::errors::ApiError;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::Instant;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub assets: Arc<Assets>,
    pub login_limiter: Arc<LoginLimiter>,
    pub started: Instant,
}

impl AppState {
    /// Builds the state around an open store.
    pub fn new(store: Store, config: Config, assets: Assets) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            assets: Arc::new(assets),
            login_limiter: Arc::new(LoginLimiter::default()),
            started: Instant::now(),
        }
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
