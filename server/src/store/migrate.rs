//! Schema version bookkeeping: the version lives in `META`; upgrades are explicit steps.

use super::events::set_indexed_through;
use super::tables::*;
use super::StoreError;
use redb::{ReadableTable, WriteTransaction};
use std::path::Path;

/// The schema this build writes.
/// 2: the per-field `by_*` indexes became `POSTINGS`, written behind the acknowledgement up to
///    the `indexed_through` watermark in `META` (see `deferred.rs`), with the dashboard's
///    `STATS_PER_MINUTE` and `RULE_MESSAGES`.
pub const SCHEMA_VERSION: u64 = 2;

const VERSION_KEY: &str = "schema_version";

/// Creates every table on a fresh database and refuses databases from newer builds.
pub fn ensure_schema(database: &redb::Database, path: &Path) -> Result<(), StoreError> {
    let transaction = database.begin_write()?;
    {
        // (dropped before migrating: a transaction has each table open once at a time)
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
            Some(1) => {
                drop(meta);
                drop_schema_1_indexes(&transaction)?;
                // nothing is indexed: every event is the tail the writer indexes when it starts
                set_indexed_through(&transaction, 0)?;
                transaction.open_table(META)?.insert(VERSION_KEY, SCHEMA_VERSION.to_le_bytes().as_slice())?;
                tracing::info!(from = 1, to = SCHEMA_VERSION, "database schema upgraded; events are re-indexed when the writer starts");
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
        transaction.open_table(POSTINGS)?;
        transaction.open_table(STATS_PER_MINUTE)?;
        transaction.open_table(RULE_MESSAGES)?;
        transaction.open_table(SENSOR_ACTIVITY)?;
        transaction.open_table(SENSOR_MINUTES)?;
        transaction.open_table(COUNTS_PER_MINUTE)?;
        transaction.open_table(REJECTIONS)?;
        transaction.open_table(SENSORS)?;
        transaction.open_table(SENSORS_BY_URL_SECRET)?;
    }
    transaction.commit()?;
    Ok(())
}

/// Schema 1 → 2: deletes the per-field tables and the minute counters (schema 1 counted at
/// each commit; re-indexing from the watermark 0 counts every event again); the writer rebuilds
/// all of it from `EVENTS` when it starts (`Store::index_tail`), and until then readers scan
/// the events themselves.
fn drop_schema_1_indexes(transaction: &WriteTransaction) -> Result<(), StoreError> {
    transaction.delete_table(COUNTS_PER_MINUTE)?;
    transaction.delete_table(schema1::BY_SENSOR)?;
    transaction.delete_table(schema1::BY_RULE)?;
    transaction.delete_table(schema1::BY_CLIENT_IP)?;
    transaction.delete_table(schema1::BY_HOST)?;
    transaction.delete_table(schema1::BY_STATUS)?;
    transaction.delete_table(schema1::BY_ACTION)?;
    transaction.delete_table(schema1::BY_TIME)?;
    Ok(())
}

fn decode_version(bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("schema version is not 8 bytes".to_owned()))?;
    Ok(u64::from_le_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::EventFilter;
    use crate::store::deferred::DeferredIndex;
    use std::time::Duration;
    use redb::ReadableDatabase;
    use crate::store::Store;
    use std::collections::HashMap;

    #[test]
    fn schema_1_databases_lose_the_old_indexes_and_get_posting_lists() {
        let directory = tempfile::tempdir().unwrap();
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/protocol-samples/native-2.9.7-ipv6-chain-200.auditlog")).unwrap();
        let ids = {
            let store = Store::open(directory.path()).unwrap();
            let mut next_id = 1;
            let mut batch: Vec<_> = (0..3)
                .map(|n| crate::ingest::prepare_event("old", format!("entry {n}").as_bytes(), None, None, 1_000 + n))
                .collect();
            batch.push(crate::ingest::prepare_event("old", &body, None, None, 2_000));
            store.write_events(&mut batch, &mut next_id, &mut DeferredIndex::with_limits(Duration::ZERO, 0)).unwrap();
            // turn it into what schema 1 looked like: version 1, by_* tables, no postings
            let transaction = store.database().begin_write().unwrap();
            transaction.open_table(META).unwrap().insert(VERSION_KEY, 1u64.to_le_bytes().as_slice()).unwrap();
            transaction.open_table(META).unwrap().remove(super::super::deferred::INDEXED_THROUGH_KEY).unwrap();
            transaction.delete_table(POSTINGS).unwrap();
            transaction.delete_table(STATS_PER_MINUTE).unwrap();
            transaction.delete_table(RULE_MESSAGES).unwrap();
            transaction.delete_table(SENSOR_ACTIVITY).unwrap();
            transaction.delete_table(SENSOR_MINUTES).unwrap();
            transaction.open_table(schema1::BY_SENSOR).unwrap().insert(("old", 1), ()).unwrap();
            transaction.open_table(schema1::BY_TIME).unwrap().insert((5, 1), ()).unwrap();
            transaction.commit().unwrap();
            batch.iter().map(|event| event.summary.id).collect::<Vec<_>>()
        };
        let store = Store::open(directory.path()).unwrap();
        let transaction = store.database().begin_read().unwrap();
        assert_eq!(
            transaction.open_table(META).unwrap().get(super::super::deferred::INDEXED_THROUGH_KEY).unwrap().map(|value| value.value().to_vec()),
            Some(0u64.to_le_bytes().to_vec())
        );
        let version = transaction.open_table(META).unwrap().get(VERSION_KEY).unwrap().map(|value| decode_version(value.value()).unwrap());
        assert_eq!(version, Some(SCHEMA_VERSION));
        assert!(transaction.open_table(schema1::BY_SENSOR).is_err(), "old index tables are deleted");
        assert!(transaction.open_table(schema1::BY_TIME).is_err());
        drop(transaction);
        let by_sensor = EventFilter::from_params(&HashMap::from([("sensor".to_owned(), "old".to_owned())])).unwrap();
        let mut expected = ids.clone();
        expected.reverse();
        let (page, _) = store.list_events(&by_sensor, None, 10).unwrap();
        assert_eq!(page.iter().map(|summary| summary.id).collect::<Vec<_>>(), expected, "unindexed events are found by scanning");
        let counted = |store: &Store| store.minute_counts(0, u64::MAX).unwrap().iter().map(|(_, counts)| counts.total).sum::<u64>();
        assert_eq!(counted(&store), ids.len() as u64, "counted once before re-indexing");
        assert_eq!(store.index_tail().unwrap(), ids.len() as u64, "the writer's start indexes them");
        assert_eq!(counted(&store), ids.len() as u64, "and once after");
        assert_eq!(store.index_tail().unwrap(), 0, "once");
        let (page, _) = store.list_events(&by_sensor, None, 10).unwrap();
        assert_eq!(page.iter().map(|summary| summary.id).collect::<Vec<_>>(), expected, "the sensor index is rebuilt, newest first");
        let ipv6 = page[0].client_ip.clone();
        assert!(ipv6.contains(':'), "the fixture's client is IPv6: {ipv6}");
        let by_ip = EventFilter::from_params(&HashMap::from([("ip".to_owned(), ipv6)])).unwrap();
        let (page, _) = store.list_events(&by_ip, None, 10).unwrap();
        assert_eq!(page.iter().map(|summary| summary.id).collect::<Vec<_>>(), vec![expected[0]]);
    }
}
