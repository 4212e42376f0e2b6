//! Users, API tokens and browser sessions. Secrets are never stored: users keep an argon2id
//! PHC string, tokens and sessions the SHA-256 of their random secret.

use super::tables::{SESSIONS, TOKENS, TOKENS_BY_HASH, USERS};
use super::{Store, StoreError};
use app::model::Role;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

/// A console user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: u64,
}

/// An API bearer token (the secret itself is shown once and never stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub role: Role,
    /// Hex SHA-256 of the secret, the key of `TOKENS_BY_HASH`.
    pub secret_sha256: String,
    /// Unix seconds.
    pub created_at: u64,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub username: String,
    /// Unix seconds after which the session is void.
    pub expires_at: u64,
}

/// Kept for callers that want one error type for account changes.
pub type AccountError = StoreError;

fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).expect("account records always serialise")
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(error.to_string()))
}

impl Store {
    /// Adds a user; `Ok(false)` when the name is taken.
    pub fn create_user(&self, name: &str, record: &UserRecord) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let created = {
            let mut users = transaction.open_table(USERS)?;
            if users.get(name)?.is_some() {
                false
            } else {
                users.insert(name, encode(record).as_slice())?;
                true
            }
        };
        transaction.commit()?;
        Ok(created)
    }

    /// The user called `name`, if any.
    pub fn get_user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let users = transaction.open_table(USERS)?;
        users.get(name)?.map(|value| decode(value.value())).transpose()
    }

    /// Every user, sorted by name.
    pub fn list_users(&self) -> Result<Vec<(String, UserRecord)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let users = transaction.open_table(USERS)?;
        let mut listed = Vec::new();
        for entry in users.iter()? {
            let (name, value) = entry?;
            listed.push((name.value().to_owned(), decode(value.value())?));
        }
        Ok(listed)
    }

    /// Replaces a user's password hash and ends their sessions; `Ok(false)` if no such user.
    pub fn set_user_password(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let changed = {
            let mut users = transaction.open_table(USERS)?;
            let existing: Option<UserRecord> = users.get(name)?.map(|value| decode(value.value())).transpose()?;
            match existing {
                None => false,
                Some(mut record) => {
                    record.password_hash = password_hash.to_owned();
                    users.insert(name, encode(&record).as_slice())?;
                    true
                }
            }
        };
        if changed {
            delete_sessions_of(&transaction, name)?;
        }
        transaction.commit()?;
        Ok(changed)
    }

    /// Removes a user and their sessions; `Ok(false)` if no such user.
    pub fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let removed = transaction.open_table(USERS)?.remove(name)?.is_some();
        if removed {
            delete_sessions_of(&transaction, name)?;
        }
        transaction.commit()?;
        Ok(removed)
    }

    /// Adds a token; `Ok(false)` when the name is taken.
    pub fn create_token(&self, name: &str, record: &TokenRecord, secret_sha256: &[u8; 32]) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let created = {
            let mut tokens = transaction.open_table(TOKENS)?;
            if tokens.get(name)?.is_some() {
                false
            } else {
                tokens.insert(name, encode(record).as_slice())?;
                transaction.open_table(TOKENS_BY_HASH)?.insert(secret_sha256.as_slice(), name)?;
                true
            }
        };
        transaction.commit()?;
        Ok(created)
    }

    /// Every token, sorted by name.
    pub fn list_tokens(&self) -> Result<Vec<(String, TokenRecord)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let tokens = transaction.open_table(TOKENS)?;
        let mut listed = Vec::new();
        for entry in tokens.iter()? {
            let (name, value) = entry?;
            listed.push((name.value().to_owned(), decode(value.value())?));
        }
        Ok(listed)
    }

    /// Deletes a token; `Ok(false)` if no such token.
    pub fn revoke_token(&self, name: &str) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let revoked = {
            let mut tokens = transaction.open_table(TOKENS)?;
            let removed = tokens.remove(name)?;
            match removed {
                None => false,
                Some(value) => {
                    let record: TokenRecord = decode(value.value())?;
                    drop(value);
                    if let Ok(hash) = hex::decode(&record.secret_sha256) {
                        transaction.open_table(TOKENS_BY_HASH)?.remove(hash.as_slice())?;
                    }
                    true
                }
            }
        };
        transaction.commit()?;
        Ok(revoked)
    }

    /// The token whose secret hashes to `secret_sha256`.
    pub fn find_token(&self, secret_sha256: &[u8; 32]) -> Result<Option<(String, TokenRecord)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let by_hash = transaction.open_table(TOKENS_BY_HASH)?;
        let Some(name) = by_hash.get(secret_sha256.as_slice())? else { return Ok(None) };
        let name = name.value().to_owned();
        let tokens = transaction.open_table(TOKENS)?;
        let record = tokens.get(name.as_str())?.map(|value| decode(value.value())).transpose()?;
        Ok(record.map(|record| (name, record)))
    }

    /// Stores a new session under the hash of its secret.
    pub fn create_session(&self, secret_sha256: &[u8; 32], record: &SessionRecord) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_write()?;
        transaction.open_table(SESSIONS)?.insert(secret_sha256.as_slice(), encode(record).as_slice())?;
        transaction.commit()?;
        Ok(())
    }

    /// The live session for `secret_sha256` and its user's current record; `None` when the
    /// session is unknown, expired at `now`, or its user is gone.
    pub fn find_session(&self, secret_sha256: &[u8; 32], now: u64) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let sessions = transaction.open_table(SESSIONS)?;
        let Some(value) = sessions.get(secret_sha256.as_slice())? else { return Ok(None) };
        let session: SessionRecord = decode(value.value())?;
        if session.expires_at <= now {
            return Ok(None);
        }
        let users = transaction.open_table(USERS)?;
        let user = users.get(session.username.as_str())?.map(|value| decode(value.value())).transpose()?;
        Ok(user.map(|user| (session, user)))
    }

    /// Ends one session (logout); unknown sessions are fine.
    pub fn delete_session(&self, secret_sha256: &[u8; 32]) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_write()?;
        transaction.open_table(SESSIONS)?.remove(secret_sha256.as_slice())?;
        transaction.commit()?;
        Ok(())
    }

    /// Drops every session that expired before `now`; returns how many.
    pub fn purge_expired_sessions(&self, now: u64) -> Result<usize, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let purged = {
            let mut sessions = transaction.open_table(SESSIONS)?;
            let before = sessions.len()?;
            sessions.retain(|_, value| decode::<SessionRecord>(value).is_ok_and(|session| session.expires_at > now))?;
            before - sessions.len()?
        };
        transaction.commit()?;
        Ok(purged as usize)
    }
}

fn delete_sessions_of(transaction: &redb::WriteTransaction, username: &str) -> Result<(), StoreError> {
    let mut sessions = transaction.open_table(SESSIONS)?;
    sessions.retain(|_, value| decode::<SessionRecord>(value).is_ok_and(|session| session.username != username))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> UserRecord {
        UserRecord { role, password_hash: "$argon2id$fake".into(), created_at: 1 }
    }

    #[test]
    fn users_are_unique_and_removal_ends_sessions() {
        let store = Store::in_memory().unwrap();
        assert!(store.is_fresh().unwrap());
        assert!(store.create_user("alice", &user(Role::Admin)).unwrap());
        assert!(!store.create_user("alice", &user(Role::Viewer)).unwrap());
        assert_eq!(store.get_user("alice").unwrap().unwrap().role, Role::Admin);
        let secret = [7u8; 32];
        store.create_session(&secret, &SessionRecord { username: "alice".into(), expires_at: 100 }).unwrap();
        assert!(store.find_session(&secret, 50).unwrap().is_some());
        assert!(store.find_session(&secret, 100).unwrap().is_none(), "expired at its deadline");
        assert!(store.remove_user("alice").unwrap());
        assert!(store.find_session(&secret, 50).unwrap().is_none());
        assert!(!store.remove_user("alice").unwrap());
    }

    #[test]
    fn password_change_ends_sessions() {
        let store = Store::in_memory().unwrap();
        store.create_user("bob", &user(Role::Viewer)).unwrap();
        let secret = [1u8; 32];
        store.create_session(&secret, &SessionRecord { username: "bob".into(), expires_at: u64::MAX }).unwrap();
        assert!(store.set_user_password("bob", "$argon2id$new").unwrap());
        assert!(store.find_session(&secret, 0).unwrap().is_none());
        assert_eq!(store.get_user("bob").unwrap().unwrap().password_hash, "$argon2id$new");
        assert!(!store.set_user_password("nobody", "x").unwrap());
    }

    #[test]
    fn tokens_are_found_by_hash_until_revoked() {
        let store = Store::in_memory().unwrap();
        let hash = [9u8; 32];
        let record = TokenRecord { role: Role::Analyst, secret_sha256: hex::encode(hash), created_at: 2 };
        assert!(store.create_token("ci", &record, &hash).unwrap());
        assert!(!store.create_token("ci", &record, &[8u8; 32]).unwrap());
        assert_eq!(store.find_token(&hash).unwrap().unwrap().0, "ci");
        assert_eq!(store.list_tokens().unwrap().len(), 1);
        assert!(store.revoke_token("ci").unwrap());
        assert!(store.find_token(&hash).unwrap().is_none());
        assert!(!store.revoke_token("ci").unwrap());
    }

    #[test]
    fn purge_drops_only_expired_sessions() {
        let store = Store::in_memory().unwrap();
        store.create_user("c", &user(Role::Viewer)).unwrap();
        store.create_session(&[1; 32], &SessionRecord { username: "c".into(), expires_at: 10 }).unwrap();
        store.create_session(&[2; 32], &SessionRecord { username: "c".into(), expires_at: 30 }).unwrap();
        assert_eq!(store.purge_expired_sessions(20).unwrap(), 1);
        assert!(store.find_session(&[2; 32], 20).unwrap().is_some());
    }
}
