//! wafscope's server: the `wafscope` binary's library half, so tests can build the router.
//!
//! Data flow and invariants are described in ARCHITECTURE.md at the repository root.

pub mod admin;
pub mod auth;
pub mod cli;
pub mod config;
pub mod http;
pub mod serve;
pub mod state;
pub mod store;
pub mod telemetry;

pub use http::router;
pub use state::AppState;
