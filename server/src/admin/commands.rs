//! [`AdminRequest`] and [`execute`]: what each admin subcommand does to the store.

use crate::auth::{secrets, unix_now};
use crate::store::{Store, StoreError, TokenRecord, UserRecord};
use app::model::Role;
use serde::{Deserialize, Serialize};

/// One administrative change or listing, as sent over the admin socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AdminRequest {
    UserAdd { name: String, role: Role, password: Option<String> },
    UserList,
    UserRemove { name: String },
    UserPasswd { name: String, password: Option<String> },
    TokenCreate { name: String, role: Role },
    TokenList,
    TokenRevoke { name: String },
}

/// Text for the operator on success; an error message otherwise.
pub type AdminOutcome = Result<String, String>;

/// Runs `request` against `store` (blocking).
pub fn execute(store: &Store, request: AdminRequest) -> AdminOutcome {
    run(store, request).unwrap_or_else(|error| Err(format!("storage error: {error}")))
}

fn run(store: &Store, request: AdminRequest) -> Result<AdminOutcome, StoreError> {
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
            Ok(format!(
                "created token {name} (role {role}); use it as `Authorization: Bearer <token>`. Shown only once:\n{secret}"
            ))
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
    })
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

/// Names of users and tokens: 1–64 characters of `[A-Za-z0-9._@-]`.
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._@-".contains(&byte));
    if valid { Ok(()) } else { Err(format!("invalid name {name:?}: use 1-64 letters, digits, '.', '_', '@' or '-'")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_lifecycle() {
        let store = Store::in_memory().unwrap();
        let created = execute(&store, AdminRequest::UserAdd { name: "ops".into(), role: Role::Analyst, password: None }).unwrap();
        let password = created.lines().last().unwrap().to_owned();
        assert_eq!(password.len(), 20, "{created}");
        let stored = store.get_user("ops").unwrap().unwrap();
        assert!(secrets::verify_password(&password, &stored.password_hash));
        assert!(execute(&store, AdminRequest::UserAdd { name: "ops".into(), role: Role::Viewer, password: None }).is_err());
        assert!(execute(&store, AdminRequest::UserAdd { name: "bad name".into(), role: Role::Viewer, password: None }).is_err());
        assert!(execute(&store, AdminRequest::UserAdd { name: "weak".into(), role: Role::Viewer, password: Some("123".into()) }).is_err());
        assert!(execute(&store, AdminRequest::UserList).unwrap().contains("ops"));
        execute(&store, AdminRequest::UserPasswd { name: "ops".into(), password: Some("a new secret".into()) }).unwrap();
        let stored = store.get_user("ops").unwrap().unwrap();
        assert!(secrets::verify_password("a new secret", &stored.password_hash));
        execute(&store, AdminRequest::UserRemove { name: "ops".into() }).unwrap();
        assert!(execute(&store, AdminRequest::UserRemove { name: "ops".into() }).is_err());
    }

    #[test]
    fn token_is_printed_last_and_verifies() {
        let store = Store::in_memory().unwrap();
        let output = execute(&store, AdminRequest::TokenCreate { name: "ci".into(), role: Role::Viewer }).unwrap();
        let token = output.lines().last().unwrap();
        assert!(token.starts_with("wfs_"));
        let (name, record) = store.find_token(&secrets::secret_hash(token)).unwrap().unwrap();
        assert_eq!((name.as_str(), record.role), ("ci", Role::Viewer));
        assert!(!execute(&store, AdminRequest::TokenList).unwrap().contains(token), "secret never listed");
        execute(&store, AdminRequest::TokenRevoke { name: "ci".into() }).unwrap();
        assert!(store.find_token(&secrets::secret_hash(token)).unwrap().is_none());
    }
}
