//! Sensor credentials: adding, rotating and removing a sensor, and the text a sensor is
//! configured with (the mlogc.conf fragment and the v3/Coraza ingest URL).
//!
//! Shared by `wafscope sensor …` ([`super::commands`]) and the UI's server functions
//! (`http::actions`), so both check names, generate secrets and print the same lines.
//! Every function here is blocking (argon2, redb): call it off the async runtime.
//! Each store change bumps the store's sensor generation, which voids the ingest's cache of
//! verified passwords, so a running server applies it to the next upload.

use super::names::check_name;
use crate::auth::{secrets, unix_now};
use crate::config::{Config, TlsMode};
use crate::ingest::{MLOGC_PATH, V3_PATH};
use crate::store::{SensorRecord, Store, StoreError};

/// The secrets a sensor was just given, in clear text: shown once, never stored or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SensorSecrets {
    /// For mlogc's Basic auth (`SensorPassword`).
    pub password: String,
    /// The last path segment of the v3/Coraza ingest URL.
    pub url_secret: String,
}

impl std::fmt::Debug for SensorSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SensorSecrets { .. }")
    }
}

/// Why a sensor change was not made.
#[derive(Debug, thiserror::Error)]
pub enum SensorChangeError {
    /// The name breaks [`check_name`]; the text says how.
    #[error("{0}")]
    InvalidName(String),
    /// A given password is too weak; the text says why.
    #[error("{0}")]
    WeakPassword(String),
    #[error("sensor {0:?} already exists")]
    Exists(String),
    #[error("no sensor called {0:?}")]
    Unknown(String),
    #[error("storage error: {0}")]
    Store(#[from] StoreError),
}

/// Adds sensor `name` with `password` (generated when `None`) and a new ingest-URL secret.
pub fn add_sensor(store: &Store, name: &str, password: Option<String>) -> Result<SensorSecrets, SensorChangeError> {
    check_name(name).map_err(SensorChangeError::InvalidName)?;
    let secrets = new_secrets(password)?;
    let url_hash = secrets::secret_hash(&secrets.url_secret);
    let record = SensorRecord { password_hash: secrets::hash_password(&secrets.password), url_secret_sha256: hex::encode(url_hash), created_at: unix_now() };
    if !store.create_sensor(name, &record, &url_hash)? {
        return Err(SensorChangeError::Exists(name.to_owned()));
    }
    Ok(secrets)
}

/// Replaces both secrets of sensor `name` (password generated when `None`): the old
/// password and the old ingest URL stop working at once.
pub fn rotate_sensor(store: &Store, name: &str, password: Option<String>) -> Result<SensorSecrets, SensorChangeError> {
    check_name(name).map_err(SensorChangeError::InvalidName)?;
    let secrets = new_secrets(password)?;
    let url_hash = secrets::secret_hash(&secrets.url_secret);
    if !store.rotate_sensor(name, &secrets::hash_password(&secrets.password), &url_hash)? {
        return Err(SensorChangeError::Unknown(name.to_owned()));
    }
    Ok(secrets)
}

/// Removes the credentials of sensor `name`: its uploads are refused from now on; the
/// events it sent stay stored (and searchable by its name).
pub fn remove_sensor(store: &Store, name: &str) -> Result<(), SensorChangeError> {
    check_name(name).map_err(SensorChangeError::InvalidName)?;
    if store.remove_sensor(name)? { Ok(()) } else { Err(SensorChangeError::Unknown(name.to_owned())) }
}

fn new_secrets(password: Option<String>) -> Result<SensorSecrets, SensorChangeError> {
    let password = match password {
        Some(given) => {
            secrets::check_password_strength(&given).map_err(SensorChangeError::WeakPassword)?;
            given
        }
        None => secrets::generate_password(),
    };
    Ok(SensorSecrets { password, url_secret: secrets::generate_secret("") })
}

/// The lines of mlogc.conf that point mlogc at this console as sensor `name`.
/// `url_base` is how the sensor reaches the console, e.g. `https://waf-console:8886`.
pub fn mlogc_fragment(name: &str, password: &str, url_base: &str) -> String {
    let base = url_base.trim_end_matches('/');
    format!("ConsoleURI \"{base}{MLOGC_PATH}\"\nSensorUsername \"{name}\"\nSensorPassword \"{password}\"")
}

/// The URL libmodsecurity 3 and Coraza post to (`SecAuditLog <url>`); the secret names the sensor.
pub fn ingest_url(url_base: &str, url_secret: &str) -> String {
    format!("{}{V3_PATH}/{url_secret}", url_base.trim_end_matches('/'))
}

/// How sensors reach this console when nobody said: `http(s)://<listen>`, with a wildcard
/// address replaced by a placeholder for the operator to edit.
pub fn default_url_base(config: &Config) -> String {
    let scheme = if config.tls == TlsMode::Off { "http" } else { "https" };
    let host = if config.listen.ip().is_unspecified() { format!("YOUR-WAFSCOPE-HOST:{}", config.listen.port()) } else { config.listen.to_string() };
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_and_url_join_the_base_without_doubled_slashes() {
        assert_eq!(
            mlogc_fragment("web-01", "pw", "http://console:8886/"),
            "ConsoleURI \"http://console:8886/rpc/auditLogReceiver\"\nSensorUsername \"web-01\"\nSensorPassword \"pw\""
        );
        assert_eq!(ingest_url("https://c:1/", "abc"), "https://c:1/api/v1/ingest/abc");
    }

    #[test]
    fn changes_check_names_and_report_unknown_or_duplicate_sensors() {
        let store = Store::in_memory().unwrap();
        assert!(matches!(add_sensor(&store, "bad name", None), Err(SensorChangeError::InvalidName(_))));
        assert!(matches!(add_sensor(&store, "weak", Some("123".into())), Err(SensorChangeError::WeakPassword(_))));
        let first = add_sensor(&store, "web-01", None).unwrap();
        assert!(matches!(add_sensor(&store, "web-01", None), Err(SensorChangeError::Exists(_))));
        let rotated = rotate_sensor(&store, "web-01", None).unwrap();
        assert_ne!(first, rotated, "both secrets are new");
        assert_ne!(first.url_secret, rotated.url_secret);
        let record = store.get_sensor("web-01").unwrap().unwrap();
        assert!(secrets::verify_password(&rotated.password, &record.password_hash));
        assert!(!secrets::verify_password(&first.password, &record.password_hash));
        assert!(matches!(rotate_sensor(&store, "nobody", None), Err(SensorChangeError::Unknown(_))));
        remove_sensor(&store, "web-01").unwrap();
        assert!(matches!(remove_sensor(&store, "web-01"), Err(SensorChangeError::Unknown(_))));
        assert!(format!("{rotated:?}").find(&rotated.password).is_none(), "Debug never shows secrets");
    }
}
