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
/// 3: hourly and daily roll-ups of the dashboard counters (`STATS_PER_HOUR`, `STATS_PER_DAY`)
///    and the counters within each sensor and host (`SCOPED_STATS_PER_*`).
pub const SCHEMA_VERSION: u64 = 3;

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
            Some(found @ (1 | 2)) => {
                drop(meta);
                drop_derived_tables(&transaction)?;
                // nothing is indexed: every event is the tail the writer indexes when it starts
                set_indexed_through(&transaction, 0)?;
                transaction.open_table(META)?.insert(VERSION_KEY, SCHEMA_VERSION.to_le_bytes().as_slice())?;
                tracing::info!(from = found, to = SCHEMA_VERSION, "database schema upgraded; every event is re-indexed when the writer starts (readers scan meanwhile)");
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
        transaction.open_table(PRESERVED)?;
        transaction.open_table(DEDUPE)?;
        transaction.open_table(POSTINGS)?;
        transaction.open_table(STATS_PER_MINUTE)?;
        transaction.open_table(STATS_PER_HOUR)?;
        transaction.open_table(STATS_PER_DAY)?;
        transaction.open_table(SCOPED_STATS_PER_MINUTE)?;
        transaction.open_table(SCOPED_STATS_PER_HOUR)?;
        transaction.open_table(SCOPED_STATS_PER_DAY)?;
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

/// Upgrades from schema 1 or 2 delete every derived table (schema 1's per-field indexes, the
/// postings, counters and sensor activity; tables a schema did not have are skipped; the rule
/// labels stay, being no counts, and a re-index could only restore top rules') and set
/// the watermark to 0: the writer rebuilds all of it from `EVENTS` when it starts
/// (`Store::index_tail`), and until then readers scan the events themselves. Nothing is counted
/// twice, because nothing derived survives.
fn drop_derived_tables(transaction: &WriteTransaction) -> Result<(), StoreError> {
    transaction.delete_table(schema1::BY_SENSOR)?;
    transaction.delete_table(schema1::BY_RULE)?;
    transaction.delete_table(schema1::BY_CLIENT_IP)?;
    transaction.delete_table(schema1::BY_HOST)?;
    transaction.delete_table(schema1::BY_STATUS)?;
    transaction.delete_table(schema1::BY_ACTION)?;
    transaction.delete_table(schema1::BY_TIME)?;
    transaction.delete_table(POSTINGS)?;
    transaction.delete_table(COUNTS_PER_MINUTE)?;
    for tier in crate::stats::TIERS {
        transaction.delete_table(stats_table(tier))?;
        transaction.delete_table(scoped_stats_table(tier))?;
    }
    transaction.delete_table(SENSOR_ACTIVITY)?;
    transaction.delete_table(SENSOR_MINUTES)?;
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
    use redb::{ReadableDatabase, ReadableTableMetadata};
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
            let transaction = store.database().unwrap().begin_write().unwrap();
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
        let transaction = store.database().unwrap().begin_read().unwrap();
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

    #[test]
    fn schema_2_databases_are_re_indexed_with_roll_ups_and_scopes() {
        let directory = tempfile::tempdir().unwrap();
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/protocol-samples/native-2.9.7-ipv6-chain-200.auditlog")).unwrap();
        let day_us = 86_400_000_000i64;
        let fixture = crate::ingest::prepare_event("old", &body, None, None, 1);
        let minute = (fixture.summary.time.unwrap() / 60_000_000) as u64;
        let window = move |store: &Store| {
            // four days around the fixture's minute, ragged ends: day, hour and minute rows count
            let (from, to) = (minute - 1440 - 23, minute + 2 * 1440 + 5);
            let filter = EventFilter { from: Some(from as i64 * 60_000_000), to: Some(to as i64 * 60_000_000), ..EventFilter::default() };
            let answer = serde_json::to_value(store.counter_stats(&filter, None, from, to, 60, 10).unwrap()).unwrap();
            // every event is the sensor's: its scope's counters say the same
            let scoped = EventFilter { sensor: Some(crate::filter::Condition { value: "old".to_owned(), negated: false }), ..filter };
            let within = serde_json::to_value(store.counter_stats(&scoped, Some((crate::stats::Dimension::Sensor, b"old")), from, to, 60, 10).unwrap()).unwrap();
            assert_eq!(within, answer, "scoped and global counters agree");
            answer
        };
        let before = {
            let store = Store::open(directory.path()).unwrap();
            let mut next_id = 1;
            // events without a time of their own count at their arrival, over three days
            let first = minute as i64 * 60_000_000 - day_us;
            let mut batch: Vec<_> = (0..6)
                .map(|n| crate::ingest::prepare_event("old", format!("entry {n}").as_bytes(), None, None, first + n * day_us / 2 + 90_000_000))
                .collect();
            batch.push(fixture);
            store.write_events(&mut batch, &mut next_id, &mut DeferredIndex::with_limits(Duration::ZERO, 0)).unwrap();
            let before = window(&store);
            assert_eq!(before["totals"]["total"], 7, "{before}");
            assert!(!before["rules"].as_array().unwrap().is_empty(), "the fixture's rules: {before}");
            // what schema 2 looked like: no roll-ups
            let transaction = store.database().unwrap().begin_write().unwrap();
            transaction.open_table(META).unwrap().insert(VERSION_KEY, 2u64.to_le_bytes().as_slice()).unwrap();
            transaction.delete_table(STATS_PER_HOUR).unwrap();
            transaction.delete_table(STATS_PER_DAY).unwrap();
            for tier in crate::stats::TIERS {
                transaction.delete_table(scoped_stats_table(tier)).unwrap();
            }
            transaction.commit().unwrap();
            before
        };
        let store = Store::open(directory.path()).unwrap();
        let transaction = store.database().unwrap().begin_read().unwrap();
        let version = transaction.open_table(META).unwrap().get(VERSION_KEY).unwrap().map(|value| decode_version(value.value()).unwrap());
        assert_eq!(version, Some(SCHEMA_VERSION));
        assert_eq!(transaction.open_table(STATS_PER_DAY).unwrap().len().unwrap(), 0, "nothing derived survives");
        drop(transaction);
        assert_eq!(window(&store), before, "the same answer from the unindexed events");
        assert_eq!(store.index_tail().unwrap(), 7, "the writer's start re-indexes every event");
        let transaction = store.database().unwrap().begin_read().unwrap();
        assert!(transaction.open_table(STATS_PER_DAY).unwrap().len().unwrap() > 0, "day rows were built");
        assert!(transaction.open_table(SCOPED_STATS_PER_HOUR).unwrap().len().unwrap() > 0, "scoped rows were built");
        drop(transaction);
        assert_eq!(window(&store), before, "the same answer from the rebuilt counters");
        drop(store);
        let store = Store::open(directory.path()).unwrap();
        assert_eq!(window(&store), before, "upgraded once: reopening adds nothing");
    }

}
