//! [`AdminRequest`] and [`execute`]: what each admin subcommand does to the store.

use super::names::check_name;
use super::sensors::{self, SensorChangeError, SensorSecrets};
use crate::auth::{secrets, unix_now};
use crate::ingest::prepare_event_with;
use crate::store::{Store, StoreError, TokenRecord, UserRecord, WriteOutcome, Writer};
use app::model::Role;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// One administrative change or listing, as sent over the admin socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AdminRequest {
    UserAdd {
        name: String,
        role: Role,
        password: Option<String>,
    },
    UserList,
    UserRemove {
        name: String,
    },
    UserPasswd {
        name: String,
        password: Option<String>,
    },
    TokenCreate {
        name: String,
        role: Role,
    },
    TokenList,
    TokenRevoke {
        name: String,
    },
    /// `url_base` is how sensors reach this console, e.g. `https://waf-console:8886`.
    SensorAdd {
        name: String,
        password: Option<String>,
        url_base: String,
    },
    SensorList,
    SensorRemove {
        name: String,
    },
    SensorPasswd {
        name: String,
        password: Option<String>,
        url_base: String,
    },
    /// Audit-log entries (base64) from `wafscope import`, stored like uploads of `sensor`.
    Import {
        sensor: String,
        entries: Vec<String>,
    },
    /// What each table holds and takes (`wafscope storage-report`).
    StorageReport,
}

/// What admin requests act on: the store, and its writer for event imports.
#[derive(Clone)]
pub struct AdminContext {
    pub store: Store,
    pub writer: Writer,
}

/// Text for the operator on success; an error message otherwise.
pub type AdminOutcome = Result<String, String>;

/// Runs `request` (blocking: call it off the async runtime).
pub fn execute(context: &AdminContext, request: AdminRequest) -> AdminOutcome {
    run(context, request).unwrap_or_else(|error| Err(format!("storage error: {error}")))
}

fn run(context: &AdminContext, request: AdminRequest) -> Result<AdminOutcome, StoreError> {
    let store = &context.store;
    Ok(match request {
        AdminRequest::UserAdd { name, role, password } => {
            if let Err(problem) = check_name(&name) {
                return Ok(Err(problem));
            }
            let (password, generated) = match choose_password(password) {
                Ok(chosen) => chosen,
                Err(problem) => return Ok(Err(problem)),
            };
            let record = UserRecord { role, password_hash: secrets::hash_password(&password), created_at: unix_now() };
            if !store.create_user(&name, &record)? {
                return Ok(Err(format!("user {name:?} already exists (use `user passwd` to change the password)")));
            }
            if generated {
                Ok(format!("created user {name} (role {role}); generated password, shown only once:\n{password}"))
            } else {
                Ok(format!("created user {name} (role {role})"))
            }
        }
        AdminRequest::UserList => {
            let users = store.list_users()?;
            if users.is_empty() {
                return Ok(Ok("no users".to_owned()));
            }
            let mut text = format!("{:<24} {:<8} {}", "NAME", "ROLE", "CREATED (unix)");
            for (name, record) in users {
                text.push_str(&format!("\n{name:<24} {:<8} {}", record.role.as_str(), record.created_at));
            }
            Ok(text)
        }
        AdminRequest::UserRemove { name } => {
            if store.remove_user(&name)? {
                Ok(format!("removed user {name} and ended their sessions"))
            } else {
                Err(format!("no user called {name:?}"))
            }
        }
        AdminRequest::UserPasswd { name, password } => {
            let (password, generated) = match choose_password(password) {
                Ok(chosen) => chosen,
                Err(problem) => return Ok(Err(problem)),
            };
            if !store.set_user_password(&name, &secrets::hash_password(&password))? {
                return Ok(Err(format!("no user called {name:?}")));
            }
            if generated {
                Ok(format!("changed the password of {name} and ended their sessions; new password, shown only once:\n{password}"))
            } else {
                Ok(format!("changed the password of {name} and ended their sessions"))
            }
        }
        AdminRequest::TokenCreate { name, role } => {
            if let Err(problem) = check_name(&name) {
                return Ok(Err(problem));
            }
            let secret = secrets::generate_secret("wfs_");
            let hash = secrets::secret_hash(&secret);
            let record = TokenRecord { role, secret_sha256: hex::encode(hash), created_at: unix_now() };
            if !store.create_token(&name, &record, &hash)? {
                return Ok(Err(format!("token {name:?} already exists (revoke it first)")));
            }
            Ok(format!("created token {name} (role {role}); use it as `Authorization: Bearer <token>`. Shown only once:\n{secret}"))
        }
        AdminRequest::StorageReport => {
            let usage = store.storage_usage()?;
            let tables = store.table_report()?;
            let stored: u64 = tables.iter().map(|table| table.stored_bytes + table.metadata_bytes + table.fragmented_bytes).sum();
            let mut text = format!(
                "file {} bytes, {} events ({} preserved), {} bytes per event in the file\n{:<28} {:>10} {:>14} {:>12} {:>12} {:>9}",
                usage.file_bytes,
                usage.events,
                usage.preserved,
                usage.file_bytes.checked_div(usage.events).unwrap_or(0),
                "TABLE",
                "ENTRIES",
                "STORED BYTES",
                "OVERHEAD",
                "FRAGMENTED",
                "SHARE"
            );
            for table in tables {
                let share = if stored > 0 { 100.0 * (table.stored_bytes + table.metadata_bytes + table.fragmented_bytes) as f64 / stored as f64 } else { 0.0 };
                text.push_str(&format!(
                    "\n{:<28} {:>10} {:>14} {:>12} {:>12} {:>8.1}%",
                    table.name, table.entries, table.stored_bytes, table.metadata_bytes, table.fragmented_bytes, share
                ));
            }
            Ok(text)
        }
        AdminRequest::TokenList => {
            let tokens = store.list_tokens()?;
            if tokens.is_empty() {
                return Ok(Ok("no tokens".to_owned()));
            }
            let mut text = format!("{:<24} {:<8} {}", "NAME", "ROLE", "CREATED (unix)");
            for (name, record) in tokens {
                text.push_str(&format!("\n{name:<24} {:<8} {}", record.role.as_str(), record.created_at));
            }
            Ok(text)
        }
        AdminRequest::TokenRevoke { name } => {
            if store.revoke_token(&name)? {
                Ok(format!("revoked token {name}"))
            } else {
                Err(format!("no token called {name:?}"))
            }
        }
        AdminRequest::SensorAdd { name, password, url_base } => match sensors::add_sensor(store, &name, password) {
            Ok(secrets) => Ok(format!("created sensor {name}; its secrets are shown only once.\n{}", sensor_instructions(&name, &secrets, &url_base))),
            Err(SensorChangeError::Exists(_)) => Err(format!("sensor {name:?} already exists (use `sensor passwd` to rotate its secrets)")),
            Err(error) => sensor_refusal(error)?,
        },
        AdminRequest::SensorList => {
            let sensors = store.list_sensors()?;
            if sensors.is_empty() {
                return Ok(Ok("no sensors (add one with `wafscope sensor add NAME`)".to_owned()));
            }
            let mut text = format!("{:<24} {}", "NAME", "CREATED (unix)");
            for (name, record) in sensors {
                text.push_str(&format!("\n{name:<24} {}", record.created_at));
            }
            Ok(text)
        }
        AdminRequest::SensorRemove { name } => match sensors::remove_sensor(store, &name) {
            Ok(()) => Ok(format!("removed sensor {name}: its uploads are refused from now on; its stored events stay")),
            Err(error) => sensor_refusal(error)?,
        },
        AdminRequest::SensorPasswd { name, password, url_base } => match sensors::rotate_sensor(store, &name, password) {
            Ok(secrets) => Ok(format!(
                "rotated the secrets of sensor {name}: the old password and ingest URL stop working now.\n{}",
                sensor_instructions(&name, &secrets, &url_base)
            )),
            Err(error) => sensor_refusal(error)?,
        },
        AdminRequest::Import { sensor, entries } => {
            if let Err(problem) = check_name(&sensor) {
                return Ok(Err(problem));
            }
            let (mut stored, mut duplicates) = (0usize, 0usize);
            let mut pending = Vec::with_capacity(entries.len());
            let dictionary = store.raw_dictionary();
            for encoded in entries {
                let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
                    return Ok(Err("import: an entry was not valid base64".to_owned()));
                };
                let event = prepare_event_with(dictionary.as_deref(), &sensor, &raw, None, None, crate::clock::unix_micros());
                match context.writer.submit_blocking(event) {
                    Ok(waiting) => pending.push(waiting),
                    Err(error) => return Ok(Err(format!("import: {error}"))),
                }
            }
            for waiting in pending {
                match waiting.wait() {
                    Ok(WriteOutcome::Stored(_)) => stored += 1,
                    Ok(WriteOutcome::Duplicate(_)) => duplicates += 1,
                    Err(error) => return Ok(Err(format!("import: {error}"))),
                }
            }
            Ok(format!("{stored} {duplicates}"))
        }
    })
}

/// What `sensor add` and `sensor passwd` print after their first line: the mlogc.conf
/// fragment and the v3/Coraza URL (the URL on the last line).
fn sensor_instructions(name: &str, secrets: &SensorSecrets, url_base: &str) -> String {
    format!(
        "\n# ModSecurity 2 + mlogc: put these lines into mlogc.conf\n{}\n\
         \n# libmodsecurity 3 / Coraza: SecAuditLogType HTTPS, SecAuditLog <this URL>\n\
         v3/Coraza URL: {}",
        sensors::mlogc_fragment(name, &secrets.password, url_base),
        sensors::ingest_url(url_base, &secrets.url_secret)
    )
}

/// A refused sensor change as the operator's message; storage failures stay errors.
fn sensor_refusal(error: SensorChangeError) -> Result<AdminOutcome, StoreError> {
    match error {
        SensorChangeError::Store(error) => Err(error),
        refused => Ok(Err(refused.to_string())),
    }
}

fn choose_password(given: Option<String>) -> Result<(String, bool), String> {
    match given {
        Some(password) => {
            secrets::check_password_strength(&password)?;
            Ok((password, false))
        }
        None => Ok((secrets::generate_password(), true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> AdminContext {
        let store = Store::in_memory().unwrap();
        let writer = Writer::start(store.clone(), 16, Box::new(|_| {})).unwrap();
        AdminContext { store, writer }
    }

    #[test]
    fn user_lifecycle() {
        let context = context();
        let store = &context.store;
        let created = execute(&context, AdminRequest::UserAdd { name: "ops".into(), role: Role::Analyst, password: None }).unwrap();
        let password = created.lines().last().unwrap().to_owned();
        assert_eq!(password.len(), 20, "{created}");
        let stored = store.get_user("ops").unwrap().unwrap();
        assert!(secrets::verify_password(&password, &stored.password_hash));
        assert!(execute(&context, AdminRequest::UserAdd { name: "ops".into(), role: Role::Viewer, password: None }).is_err());
        assert!(execute(&context, AdminRequest::UserAdd { name: "bad name".into(), role: Role::Viewer, password: None }).is_err());
        assert!(execute(&context, AdminRequest::UserAdd { name: "weak".into(), role: Role::Viewer, password: Some("123".into()) }).is_err());
        assert!(execute(&context, AdminRequest::UserList).unwrap().contains("ops"));
        execute(&context, AdminRequest::UserPasswd { name: "ops".into(), password: Some("a new secret".into()) }).unwrap();
        let stored = store.get_user("ops").unwrap().unwrap();
        assert!(secrets::verify_password("a new secret", &stored.password_hash));
        execute(&context, AdminRequest::UserRemove { name: "ops".into() }).unwrap();
        assert!(execute(&context, AdminRequest::UserRemove { name: "ops".into() }).is_err());
    }

    #[test]
    fn sensor_add_prints_a_working_fragment_and_rotation_voids_it() {
        let context = context();
        let output = execute(&context, AdminRequest::SensorAdd { name: "web-01".into(), password: None, url_base: "http://console:8886/".into() }).unwrap();
        assert!(output.contains("ConsoleURI \"http://console:8886/rpc/auditLogReceiver\""), "{output}");
        assert!(output.contains("SensorUsername \"web-01\""), "{output}");
        let password = output.lines().find_map(|line| line.strip_prefix("SensorPassword \"")).unwrap().trim_end_matches('"').to_owned();
        let url = output.lines().last().unwrap().strip_prefix("v3/Coraza URL: http://console:8886/api/v1/ingest/").unwrap().to_owned();
        assert!(url.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "libmodsecurity-safe: {url}");
        let record = context.store.get_sensor("web-01").unwrap().unwrap();
        assert!(secrets::verify_password(&password, &record.password_hash));
        assert_eq!(context.store.find_sensor_by_url_secret(&secrets::secret_hash(&url)).unwrap().as_deref(), Some("web-01"));
        execute(&context, AdminRequest::SensorPasswd { name: "web-01".into(), password: Some("new-sensor-pw".into()), url_base: "http://c".into() }).unwrap();
        assert!(context.store.find_sensor_by_url_secret(&secrets::secret_hash(&url)).unwrap().is_none());
        assert!(execute(&context, AdminRequest::SensorAdd { name: "web-01".into(), password: None, url_base: String::new() }).is_err());
        execute(&context, AdminRequest::SensorRemove { name: "web-01".into() }).unwrap();
        assert!(context.store.get_sensor("web-01").unwrap().is_none());
    }

    #[test]
    fn token_is_printed_last_and_verifies() {
        let context = context();
        let store = &context.store;
        let output = execute(&context, AdminRequest::TokenCreate { name: "ci".into(), role: Role::Viewer }).unwrap();
        let token = output.lines().last().unwrap();
        assert!(token.starts_with("wfs_"));
        let (name, record) = store.find_token(&secrets::secret_hash(token)).unwrap().unwrap();
        assert_eq!((name.as_str(), record.role), ("ci", Role::Viewer));
        assert!(!execute(&context, AdminRequest::TokenList).unwrap().contains(token), "secret never listed");
        execute(&context, AdminRequest::TokenRevoke { name: "ci".into() }).unwrap();
        assert!(store.find_token(&secrets::secret_hash(token)).unwrap().is_none());
    }
}
