//! Server functions: the UI's mutations, served by `leptos_axum` under [`SERVER_FN_PREFIX`].
//!
//! The bodies only delegate to an [`ActionBackend`] that the server provides through Leptos
//! context, so this crate never depends on the server's storage or HTTP stack.
//!
//! [`SERVER_FN_PREFIX`]: crate::model::SERVER_FN_PREFIX

use crate::model::SessionInfo;
use leptos::prelude::*;

/// Verifies a username and password and starts a session (sets the session cookie).
#[server(prefix = "/api/fn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<SessionInfo, ServerFnError> {
    backend()?.login(username, password).await.map_err(ServerFnError::new)
}

/// Ends the caller's session (clears the cookie); succeeds when there was none.
#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), ServerFnError> {
    backend()?.logout().await.map_err(ServerFnError::new)
}

#[cfg(feature = "ssr")]
pub use backend::{ActionBackend, ActionFuture};

#[cfg(feature = "ssr")]
fn backend() -> Result<std::sync::Arc<dyn ActionBackend>, ServerFnError> {
    use_context::<std::sync::Arc<dyn ActionBackend>>()
        .ok_or_else(|| ServerFnError::new("server actions are not configured"))
}

#[cfg(feature = "ssr")]
mod backend {
    use crate::model::SessionInfo;
    use std::future::Future;
    use std::pin::Pin;

    /// A boxed, sendable future, as returned by [`ActionBackend`] methods.
    pub type ActionFuture<T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send>>;

    /// What the server implements for the server functions. The error string is shown to
    /// the user as is, so it must not leak internals.
    pub trait ActionBackend: Send + Sync {
        fn login(&self, username: String, password: String) -> ActionFuture<SessionInfo>;
        fn logout(&self) -> ActionFuture<()>;
    }
}
