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

/// The client's address from the connection (what the throttles count by); unspecified when
/// the request did not come over a socket (tests that do not name one).
pub fn client_ip(extensions: &axum::http::Extensions) -> std::net::IpAddr {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |axum::extract::ConnectInfo(address)| address.ip())
}
