//! Schema version bookkeeping: the version lives in `META`; upgrades are explicit steps.

use super::StoreError;
use super::events::set_indexed_through;
use super::tables::*;
use redb::{ReadableTable, WriteTransaction};
use std::path::Path;

/// The schema this build writes.
/// 2: the per-field `by_*` indexes became `POSTINGS`, written behind the acknowledgement up to
///    the `indexed_through` watermark in `META` (see `deferred.rs`), with the dashboard's
///    `STATS_PER_MINUTE` and `RULE_MESSAGES`.
/// 3: hourly and daily roll-ups of the dashboard counters (`STATS_PER_HOUR`, `STATS_PER_DAY`)
///    and the counters within each sensor and host (`SCOPED_STATS_PER_*`).
/// 4: the counters became fact blocks (`FACTS`, `FACT_SPANS`; see `crate::facts`).
/// 5: summaries hold each alert's rule, matched variable and severity and the inbound
///    threshold (tuning), and the triage, view and exclusion tables exist; older summaries are
///    completed from their raw entries in the background (`backfill.rs`).
pub const SCHEMA_VERSION: u64 = 5;

pub(super) const VERSION_KEY: &str = "schema_version";

/// Creates every table on a fresh database and refuses databases from newer builds.
pub fn ensure_schema(database: &redb::Database, path: &Path) -> Result<(), StoreError> {
    let transaction = database.begin_write()?;
    {
        // (dropped before migrating: a transaction has each table open once at a time)
        let mut meta = transaction.open_table(META)?;
        let found = meta.get(VERSION_KEY)?.map(|value| decode_version(value.value())).transpose()?;
        match found {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(StoreError::SchemaTooNew { path: path.to_owned(), found, known: SCHEMA_VERSION });
            }
            Some(4) => {
                meta.insert(VERSION_KEY, SCHEMA_VERSION.to_le_bytes().as_slice())?;
                meta.insert(super::backfill::BACKFILLED_KEY, 0u64.to_le_bytes().as_slice())?;
                tracing::info!(from = 4, to = SCHEMA_VERSION, "database schema upgraded; older events' alerts are read again in the background");
            }
            Some(found @ (1..=3)) => {
                drop(meta);
                drop_derived_tables(&transaction)?;
                transaction.open_table(META)?.insert(super::backfill::BACKFILLED_KEY, 0u64.to_le_bytes().as_slice())?;
                // nothing is indexed: every event is the tail the writer indexes when it starts
                set_indexed_through(&transaction, 0)?;
                transaction.open_table(META)?.insert(VERSION_KEY, SCHEMA_VERSION.to_le_bytes().as_slice())?;
                tracing::info!(
                    from = found,
                    to = SCHEMA_VERSION,
                    "database schema upgraded; every event is re-indexed when the writer starts (readers scan meanwhile)"
                );
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
        transaction.open_table(RAW_DICTIONARIES)?;
        transaction.open_table(PRESERVED)?;
        transaction.open_table(TRIAGED)?;
        transaction.open_table(TRIAGE_NOTES)?;
        transaction.open_table(TRIAGE_LOG)?;
        transaction.open_table(VIEWS)?;
        transaction.open_table(EXCLUSIONS)?;
        transaction.open_table(DEDUPE)?;
        transaction.open_table(POSTINGS)?;
        transaction.open_table(FACTS)?;
        transaction.open_table(FACT_SPANS)?;
        transaction.open_table(RULE_MESSAGES)?;
        transaction.open_table(SENSOR_ACTIVITY)?;
        transaction.open_table(SENSOR_MINUTES)?;
        transaction.open_table(REJECTIONS)?;
        transaction.open_table(SENSORS)?;
        transaction.open_table(SENSORS_BY_URL_SECRET)?;
    }
    transaction.commit()?;
    Ok(())
}

/// Upgrades from schema 1, 2 or 3 delete every derived table (schema 1's per-field indexes, the
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
    transaction.delete_table(schema3::COUNTS_PER_MINUTE)?;
    for table in schema3::STATS {
        transaction.delete_table(table)?;
    }
    for table in schema3::SCOPED_STATS {
        transaction.delete_table(table)?;
    }
    transaction.delete_table(FACTS)?;
    transaction.delete_table(FACT_SPANS)?;
    transaction.delete_table(SENSOR_ACTIVITY)?;
    transaction.delete_table(SENSOR_MINUTES)?;
    Ok(())
}

fn decode_version(bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| StoreError::Corrupt("schema version is not 8 bytes".to_owned()))?;
    Ok(u64::from_le_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::EventFilter;
    use crate::store::Store;
    use crate::store::deferred::DeferredIndex;
    use redb::{ReadableDatabase, ReadableTableMetadata};
    use std::collections::HashMap;

    #[test]
    fn schema_1_databases_lose_the_old_indexes_and_get_posting_lists() {
        let directory = tempfile::tempdir().unwrap();
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/protocol-samples/native-2.9.7-ipv6-chain-200.auditlog")).unwrap();
        let ids = {
            let store = Store::open(directory.path()).unwrap();
            let mut next_id = 1;
            let mut batch: Vec<_> = (0..3).map(|n| crate::ingest::prepare_event("old", format!("entry {n}").as_bytes(), None, None, 1_000 + n)).collect();
            batch.push(crate::ingest::prepare_event("old", &body, None, None, 2_000));
            let mut deferred = DeferredIndex::default();
            store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
            store.flush_index(&mut deferred, next_id).unwrap();
            // turn it into what schema 1 looked like: version 1, by_* tables, no postings
            let transaction = store.database().unwrap().begin_write().unwrap();
            transaction.open_table(META).unwrap().insert(VERSION_KEY, 1u64.to_le_bytes().as_slice()).unwrap();
            transaction.open_table(META).unwrap().remove(super::super::deferred::INDEXED_THROUGH_KEY).unwrap();
            transaction.delete_table(POSTINGS).unwrap();
            transaction.delete_table(FACTS).unwrap();
            transaction.delete_table(FACT_SPANS).unwrap();
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
    fn schema_3_databases_lose_their_counters_and_get_fact_blocks() {
        let directory = tempfile::tempdir().unwrap();
        let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/protocol-samples/native-2.9.7-ipv6-chain-200.auditlog")).unwrap();
        let day_us = 86_400_000_000i64;
        let fixture = crate::ingest::prepare_event("old", &body, None, None, 1);
        let minute = (fixture.summary.time.unwrap() / 60_000_000) as u64;
        let window = move |store: &Store, params: &[(&str, &str)]| {
            let (from, to) = (minute - 1440 - 23, minute + 2 * 1440 + 5);
            let mut filter = EventFilter::from_params(&params.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()).unwrap();
            filter.from = Some(from as i64 * 60_000_000);
            filter.to = Some(to as i64 * 60_000_000);
            serde_json::to_value(store.fact_stats(&filter, from, to, 60, 10).unwrap()).unwrap()
        };
        let rule = |answer: &serde_json::Value| answer["rules"][0]["value"].as_str().unwrap().to_owned();
        let before = {
            let store = Store::open(directory.path()).unwrap();
            let mut next_id = 1;
            // events without a time of their own count at their arrival, over three days
            let first = minute as i64 * 60_000_000 - day_us;
            let mut batch: Vec<_> =
                (0..6).map(|n| crate::ingest::prepare_event("old", format!("entry {n}").as_bytes(), None, None, first + n * day_us / 2 + 90_000_000)).collect();
            batch.push(fixture);
            let mut deferred = DeferredIndex::default();
            store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
            store.flush_index(&mut deferred, next_id).unwrap();
            let before = window(&store, &[]);
            assert_eq!(before["totals"]["total"], 7, "{before}");
            assert!(!before["rules"].as_array().unwrap().is_empty(), "the fixture's rules: {before}");
            // what schema 3 looked like: counter tables, no fact blocks
            let transaction = store.database().unwrap().begin_write().unwrap();
            transaction.open_table(META).unwrap().insert(VERSION_KEY, 3u64.to_le_bytes().as_slice()).unwrap();
            transaction.delete_table(FACTS).unwrap();
            transaction.delete_table(FACT_SPANS).unwrap();
            transaction.open_table(schema3::STATS[2]).unwrap().insert((0, 0, b"942100".as_slice()), [0u8; 32].as_slice()).unwrap();
            transaction.open_table(schema3::COUNTS_PER_MINUTE).unwrap().insert(5, [0u8; 32].as_slice()).unwrap();
            transaction.commit().unwrap();
            before
        };
        let store = Store::open(directory.path()).unwrap();
        let transaction = store.database().unwrap().begin_read().unwrap();
        let version = transaction.open_table(META).unwrap().get(VERSION_KEY).unwrap().map(|value| decode_version(value.value()).unwrap());
        assert_eq!(version, Some(SCHEMA_VERSION));
        assert!(transaction.open_table(schema3::STATS[2]).is_err(), "the counters are deleted");
        assert!(transaction.open_table(schema3::COUNTS_PER_MINUTE).is_err());
        assert_eq!(transaction.open_table(FACTS).unwrap().len().unwrap(), 0, "nothing derived survives");
        drop(transaction);
        assert_eq!(window(&store, &[]), before, "the same answer from the unindexed events");
        assert_eq!(store.index_tail().unwrap(), 7, "the writer's start re-indexes every event");
        let transaction = store.database().unwrap().begin_read().unwrap();
        assert_eq!(transaction.open_table(FACTS).unwrap().len().unwrap(), 1, "one block holds them");
        drop(transaction);
        assert_eq!(window(&store, &[]), before, "the same answer from the blocks");
        let by_rule = window(&store, &[("rule", &rule(&before))]);
        assert_eq!(by_rule["totals"]["total"], 1, "only the fixture has rules: {by_rule}");
        drop(store);
        let store = Store::open(directory.path()).unwrap();
        assert_eq!(window(&store, &[]), before, "upgraded once: reopening adds nothing");
    }
}
