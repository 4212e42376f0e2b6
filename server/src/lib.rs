//! wafscope's server: the `wafscope` binary's library half, so tests can build the router.
//!
//! Data flow and invariants are described in ARCHITECTURE.md at the repository root.

pub mod admin;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod disk;
pub mod facts;
pub mod filter;
pub mod http;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod private;
pub mod serve;
pub mod state;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod triage;
pub mod tuning;

pub use http::router;
pub use state::AppState;
