//! Every redb table of wafscope, in one place. Names carry a version suffix: changing a
//! key or value type means a new name and an explicit migration in `migrate.rs`.

use redb::TableDefinition;

/// Schema metadata: `"schema_version"` → u64 (little endian bytes).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta_v1");

/// Console users: username → JSON [`UserRecord`](super::accounts::UserRecord).
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users_v1");

/// API tokens: token name → JSON [`TokenRecord`](super::accounts::TokenRecord).
pub const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens_v1");

/// Token lookup: SHA-256 of the secret → token name.
pub const TOKENS_BY_HASH: TableDefinition<&[u8], &str> = TableDefinition::new("tokens_by_hash_v1");

/// Browser sessions: SHA-256 of the cookie secret → JSON [`SessionRecord`](super::accounts::SessionRecord).
pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions_v1");
