//! Who is calling: passwords, tokens, sessions, login rate limiting and the [`Principal`]
//! extractor that guards every `/api/v1/*` route except health.
//!
//! Invariant: secrets are compared only through their hashes (argon2id for passwords,
//! SHA-256 for random tokens and session ids) and never logged.

pub mod principal;
pub mod rate_limit;
pub mod secrets;

pub use principal::{Principal, PrincipalKind};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "wafscope_session";

pub use crate::clock::unix_seconds as unix_now;
