//! Wire types shared by the server's JSON API and the browser UI.
//!
//! Invariant: no Leptos, no server crates here; everything is plain serde so both sides
//! agree on the shape by construction.

use serde::{Deserialize, Serialize};

/// Path prefix of the Leptos server functions (login, logout, later every UI mutation).
pub const SERVER_FN_PREFIX: &str = "/api/fn";

/// What a user or token may do; ordered `Viewer < Analyst < Admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads events, dashboards and sensor health.
    Viewer,
    /// Viewer plus triage (tags, exclusions) in later versions.
    Analyst,
    /// Everything, including users, tokens and sensors.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Analyst, Role::Admin];

    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("unknown role {text:?} (expected viewer, analyst or admin)"))
    }
}

/// `GET /api/v1/health`: liveness, no authentication, no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `GET /api/v1/status`: what the Status page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub version: String,
    /// Seconds since `serve` started.
    pub uptime_seconds: u64,
    /// The data directory as configured.
    pub data_dir: String,
    /// Bytes used by every file in the data directory.
    pub data_dir_bytes: u64,
    /// The address `serve` listens on.
    pub listen: String,
    /// Whether the listener speaks TLS.
    pub tls: bool,
}

/// `GET /api/v1/session`: who the caller is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub username: String,
    pub role: Role,
}

/// What the login server function answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginOutcome {
    /// The session cookie is set.
    SignedIn(SessionInfo),
    /// Refused; the text says why (wrong credentials, too many attempts).
    Refused(String),
}

/// Body of every error answer of the JSON API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_round_trip() {
        assert!(Role::Viewer < Role::Analyst && Role::Analyst < Role::Admin);
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
