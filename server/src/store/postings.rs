//! The secondary index as posting lists, built per write batch (pure; no redb here).
//!
//! A row of `POSTINGS` is `(field, value, first id) → ids`: the ids of one batch whose
//! `field` equals `value`, ascending, as delta varints after the first (which is the key's
//! third element). One batch writes one row per distinct (field, value) instead of one row
//! per event and field, so under load the index costs a few inserts per batch, and a reverse
//! range scan over `(field, value, ..)` still yields ids newest first.

use crate::filter::{IndexHint, action_code, parse_client_ip};
use app::model::{EventSummary, Severity};
use std::collections::BTreeMap;

/// The indexed fields; the discriminant is the first element of a `POSTINGS` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Field {
    Sensor = 0,
    Rule = 1,
    /// 16 bytes, IPv4 mapped into IPv6.
    ClientIp = 2,
    /// Lowercased.
    Host = 3,
    /// u16 big endian; 0 when the entry had no status.
    Status = 4,
    Action = 5,
    /// `Severity::as_u8`; events without a severity are not indexed by it.
    Severity = 6,
    /// Uppercased.
    Method = 7,
}

/// One (field, value) an event is indexed under.
pub type IndexKey = (u8, Vec<u8>);

/// Every key `summary` is indexed under (computed off the writer thread).
pub fn index_keys(summary: &EventSummary) -> Vec<IndexKey> {
    let mut keys = Vec::with_capacity(7 + summary.rule_ids.len());
    keys.push((Field::Sensor as u8, summary.sensor.as_bytes().to_vec()));
    for rule in &summary.rule_ids {
        let key = (Field::Rule as u8, rule.to_be_bytes().to_vec());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if let Some(address) = parse_client_ip(&summary.client_ip) {
        keys.push((Field::ClientIp as u8, address.to_vec()));
    }
    keys.push((Field::Host as u8, summary.host.to_ascii_lowercase().into_bytes()));
    keys.push((Field::Status as u8, summary.status.unwrap_or(0).to_be_bytes().to_vec()));
    keys.push((Field::Action as u8, vec![action_code(summary.action)]));
    if let Some(severity) = summary.max_severity {
        keys.push((Field::Severity as u8, vec![severity.as_u8()]));
    }
    keys.push((Field::Method as u8, summary.method.to_ascii_uppercase().into_bytes()));
    keys
}

/// The (field, value) an index hint scans (`None`: the hint is not answered by postings).
pub fn hint_key(hint: &IndexHint) -> Option<IndexKey> {
    Some(match hint {
        IndexHint::Preserved | IndexHint::Triaged => return None,
        IndexHint::Sensor(sensor) => (Field::Sensor as u8, sensor.as_bytes().to_vec()),
        IndexHint::Rule(rule) => (Field::Rule as u8, rule.to_be_bytes().to_vec()),
        IndexHint::ClientIp(address) => (Field::ClientIp as u8, address.to_vec()),
        IndexHint::Host(host) => (Field::Host as u8, host.to_ascii_lowercase().into_bytes()),
        IndexHint::Status(status) => (Field::Status as u8, status.to_be_bytes().to_vec()),
        IndexHint::Action(action) => (Field::Action as u8, vec![action_code(*action)]),
        IndexHint::Severity(severity) => (Field::Severity as u8, vec![Severity::as_u8(*severity)]),
        IndexHint::Method(method) => (Field::Method as u8, method.to_ascii_uppercase().into_bytes()),
    })
}

/// Collects the postings of one batch; ids must be added in ascending order.
#[derive(Debug, Default)]
pub struct PostingsBatch {
    lists: BTreeMap<IndexKey, Vec<u64>>,
}

impl PostingsBatch {
    pub fn add(&mut self, keys: &[IndexKey], id: u64) {
        for key in keys {
            match self.lists.get_mut(key) {
                Some(ids) if ids.last() == Some(&id) => {}
                Some(ids) => ids.push(id),
                None => {
                    self.lists.insert(key.clone(), vec![id]);
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Appends the postings of a later batch (all its ids are larger than ours).
    pub fn append(&mut self, later: PostingsBatch) {
        for (key, ids) in later.lists {
            self.lists.entry(key).or_default().extend(ids);
        }
    }

    /// Every (field, value) with its ids, ascending.
    pub fn lists(&self) -> impl Iterator<Item = (u8, &[u8], &[u64])> {
        self.lists.iter().map(|((field, value), ids)| (*field, value.as_slice(), ids.as_slice()))
    }

    /// The rows to insert: `(field, value, first id, encoded rest)`.
    pub fn rows(&self) -> impl Iterator<Item = (u8, &[u8], u64, Vec<u8>)> {
        self.lists.iter().filter_map(|((field, value), ids)| {
            let (&first, _) = ids.split_first()?;
            Some((*field, value.as_slice(), first, encode_ids(ids)))
        })
    }
}

/// Encodes ascending `ids` (the first is implied by the key) as LEB128 deltas.
pub fn encode_ids(ids: &[u64]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ids.len().saturating_sub(1) * 2);
    for pair in ids.windows(2) {
        let mut delta = pair[1] - pair[0];
        loop {
            let low = (delta & 0x7f) as u8;
            delta >>= 7;
            if delta == 0 {
                bytes.push(low);
                break;
            }
            bytes.push(low | 0x80);
        }
    }
    bytes
}

/// The ids of a posting row, ascending; stops at the first malformed varint.
pub fn decode_ids(first: u64, bytes: &[u8]) -> Vec<u64> {
    let mut ids = vec![first];
    let mut current = first;
    let mut delta = 0u64;
    let mut shift = 0u32;
    for &byte in bytes {
        if shift > 63 {
            break;
        }
        delta |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            current = current.saturating_add(delta);
            ids.push(current);
            delta = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_including_large_gaps() {
        let ids = [5, 6, 7, 200, 1_000_000_000_000, 1_000_000_000_001, u64::MAX];
        assert_eq!(decode_ids(ids[0], &encode_ids(&ids)), ids);
        assert_eq!(decode_ids(42, &[]), vec![42]);
    }

    #[test]
    fn a_batch_has_one_row_per_distinct_value() {
        let mut batch = PostingsBatch::default();
        let a = vec![(Field::Sensor as u8, b"s".to_vec()), (Field::Rule as u8, 942100u32.to_be_bytes().to_vec())];
        let b = vec![(Field::Sensor as u8, b"s".to_vec())];
        batch.add(&a, 10);
        batch.add(&b, 11);
        batch.add(&a, 12);
        let rows: Vec<_> = batch.rows().map(|(field, value, first, rest)| (field, value.to_vec(), decode_ids(first, &rest))).collect();
        assert_eq!(rows, vec![(Field::Sensor as u8, b"s".to_vec(), vec![10, 11, 12]), (Field::Rule as u8, 942100u32.to_be_bytes().to_vec(), vec![10, 12])]);
    }
}
