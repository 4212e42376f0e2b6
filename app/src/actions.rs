//! Server functions: the UI's session and sensor actions, served by `leptos_axum` under
//! [`SERVER_FN_PREFIX`].
//!
//! The bodies only delegate to an [`ActionBackend`] that the server provides through Leptos
//! context, so this crate never depends on the server's storage or HTTP stack. Expected
//! refusals (wrong password, rate limit, not an admin, unknown sensor) are `Ok` values, not
//! errors, so the browser never sees an HTTP error for them.
//!
//! [`SERVER_FN_PREFIX`]: crate::model::SERVER_FN_PREFIX

use crate::model::{LoginOutcome, SensorCredentialsOutcome, SensorRemovalOutcome, SessionInfo};
use leptos::prelude::*;

/// Verifies a username and password and, on success, starts a session (sets the cookie).
#[server(prefix = "/api/fn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<LoginOutcome, ServerFnError> {
    backend()?.login(username, password).await.map_err(ServerFnError::new)
}

/// Ends the caller's session (clears the cookie); succeeds when there was none.
#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), ServerFnError> {
    backend()?.logout().await.map_err(ServerFnError::new)
}

/// The signed-in user of this browser, if any (answers 200 either way).
#[server(prefix = "/api/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionInfo>, ServerFnError> {
    backend()?.current_user().await.map_err(ServerFnError::new)
}

/// Admins only: adds a sensor with a generated password; answers its secrets (shown once).
#[server(prefix = "/api/fn", endpoint = "sensor_add")]
pub async fn sensor_add(name: String) -> Result<SensorCredentialsOutcome, ServerFnError> {
    backend()?.sensor_add(name).await.map_err(ServerFnError::new)
}

/// Admins only: gives a sensor a new password and ingest URL; the old ones stop working.
#[server(prefix = "/api/fn", endpoint = "sensor_rotate")]
pub async fn sensor_rotate(name: String) -> Result<SensorCredentialsOutcome, ServerFnError> {
    backend()?.sensor_rotate(name).await.map_err(ServerFnError::new)
}

/// Admins only: removes a sensor's credentials; the events it sent stay stored.
#[server(prefix = "/api/fn", endpoint = "sensor_remove")]
pub async fn sensor_remove(name: String) -> Result<SensorRemovalOutcome, ServerFnError> {
    backend()?.sensor_remove(name).await.map_err(ServerFnError::new)
}

#[cfg(feature = "ssr")]
pub use backend::{ActionBackend, ActionFuture};

#[cfg(feature = "ssr")]
fn backend() -> Result<std::sync::Arc<dyn ActionBackend>, ServerFnError> {
    use_context::<std::sync::Arc<dyn ActionBackend>>().ok_or_else(|| ServerFnError::new("server actions are not configured"))
}

#[cfg(feature = "ssr")]
mod backend {
    use crate::model::{LoginOutcome, SensorCredentialsOutcome, SensorRemovalOutcome, SessionInfo};
    use std::future::Future;
    use std::pin::Pin;

    /// A boxed, sendable future, as returned by [`ActionBackend`] methods.
    pub type ActionFuture<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

    /// What the server implements for the server functions. Methods are called inside the
    /// request's Leptos owner, so they can read request/response context synchronously.
    /// Error strings reach the user as they are: they must not leak internals.
    pub trait ActionBackend: Send + Sync {
        fn login(&self, username: String, password: String) -> ActionFuture<LoginOutcome>;
        fn logout(&self) -> ActionFuture<()>;
        fn current_user(&self) -> ActionFuture<Option<SessionInfo>>;
        fn sensor_add(&self, name: String) -> ActionFuture<SensorCredentialsOutcome>;
        fn sensor_rotate(&self, name: String) -> ActionFuture<SensorCredentialsOutcome>;
        fn sensor_remove(&self, name: String) -> ActionFuture<SensorRemovalOutcome>;
    }
}
