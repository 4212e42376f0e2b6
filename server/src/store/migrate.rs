//! Schema version bookkeeping: the version lives in `META`; upgrades are explicit steps.

use super::tables::*;
use super::StoreError;
use redb::ReadableTable;
use std::path::Path;

/// The schema this build writes.
pub const SCHEMA_VERSION: u64 = 1;

const VERSION_KEY: &str = "schema_version";

/// Creates every table on a fresh database and refuses databases from newer builds.
pub fn ensure_schema(database: &redb::Database, path: &Path) -> Result<(), StoreError> {
    let transaction = database.begin_write()?;
    {
        let mut meta = transaction.open_table(META)?;
        let found = meta
            .get(VERSION_KEY)?
            .map(|value| decode_version(value.value()))
            .transpose()?;
        match found {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(StoreError::SchemaTooNew {
                    path: path.to_owned(),
                    found,
                    known: SCHEMA_VERSION,
                });
            }
            Some(_) => {}
            None => {
                meta.insert(VERSION_KEY, SCHEMA_VERSION.to_le_bytes().as_slice())?;
            }
        }
        transaction.open_table(USERS)?;
        transaction.open_table(TOKENS)?;
        transaction.open_table(TOKENS_BY_HASH)?;
        transaction.open_table(SESSIONS)?;
        transaction.open_table(EVENTS)?;
        transaction.open_table(RAW)?;
        transaction.open_table(DEDUPE)?;
        transaction.open_table(BY_SENSOR)?;
        transaction.open_table(BY_RULE)?;
        transaction.open_table(BY_CLIENT_IP)?;
        transaction.open_table(BY_HOST)?;
        transaction.open_table(BY_STATUS)?;
        transaction.open_table(BY_ACTION)?;
        transaction.open_table(BY_TIME)?;
        transaction.open_table(COUNTS_PER_MINUTE)?;
        transaction.open_table(REJECTIONS)?;
        transaction.open_table(SENSORS)?;
        transaction.open_table(SENSORS_BY_URL_SECRET)?;
    }
    transaction.commit()?;
    Ok(())
}

fn decode_version(bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("schema version is not 8 bytes".to_owned()))?;
    Ok(u64::from_le_bytes(array))
}
