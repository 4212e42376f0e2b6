//! The fact blocks in redb (`crate::facts` encodes them): appended by the deferred flush,
//! thinned by purges, decoded by `/api/v1/stats`.

use super::tables::{FACTS, FACT_SPANS};
use super::StoreError;
use crate::facts::{encode_block, Block, Fact, Span, BLOCK_EVENTS};
use redb::{ReadTransaction, ReadableTable, Table, WriteTransaction};

/// Appends `facts` (ids ascending, above every stored one): the newest block is filled up
/// to [`BLOCK_EVENTS`] first, so a slow sensor's flushes of a few events do not leave a
/// block each.
pub(super) fn append_facts(transaction: &WriteTransaction, facts: &[Fact]) -> Result<(), StoreError> {
    let Some(first_new) = facts.first() else { return Ok(()) };
    let mut blocks = transaction.open_table(FACTS)?;
    let mut spans = transaction.open_table(FACT_SPANS)?;
    let mut rest = facts;
    let newest = match spans.last()? {
        Some((key, span)) => Span::decode(span.value()).ok().map(|span| (key.value(), span)),
        None => None,
    };
    if let Some((first, span)) = newest
        && (span.events as usize) < BLOCK_EVENTS
        && span.last_id < first_new.id
    {
        let stored = blocks.get(first)?.map(|block| Block::decode(block.value()).and_then(|block| block.facts()));
        match stored {
            Some(Ok(mut merged)) => {
                let room = BLOCK_EVENTS.saturating_sub(merged.len());
                let (taken, left) = rest.split_at(room.min(rest.len()));
                merged.extend_from_slice(taken);
                rest = left;
                put_block(&mut blocks, &mut spans, first, &merged)?;
            }
            Some(Err(error)) => tracing::warn!(block = first, %error, "the newest fact block does not decode; starting a new one"),
            None => {}
        }
    }
    for chunk in rest.chunks(BLOCK_EVENTS) {
        put_block(&mut blocks, &mut spans, chunk[0].id, chunk)?;
    }
    Ok(())
}

/// Takes the facts of `ids` (ascending) out of their blocks; a block left empty is deleted.
/// Blocks keep their key (their first id when written): still at most every id they hold.
pub(super) fn remove_facts(transaction: &WriteTransaction, ids: &[u64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut blocks = transaction.open_table(FACTS)?;
    let mut spans = transaction.open_table(FACT_SPANS)?;
    let mut at = 0;
    while at < ids.len() {
        let found = match spans.range(..=ids[at])?.next_back() {
            Some(entry) => {
                let (key, span) = entry?;
                Some((key.value(), Span::decode(span.value())))
            }
            None => None,
        };
        let Some((first, Ok(span))) = found else {
            at += 1;
            continue;
        };
        let end = at + ids[at..].partition_point(|id| *id <= span.last_id);
        if end == at {
            // not in any block (an event whose summary never decoded)
            at += 1;
            continue;
        }
        let gone = &ids[at..end];
        at = end;
        let stored = blocks.get(first)?.map(|block| Block::decode(block.value()).and_then(|block| block.facts()));
        let mut facts = match stored {
            Some(Ok(facts)) => facts,
            Some(Err(error)) => {
                tracing::warn!(block = first, %error, "a fact block does not decode; left as it is");
                continue;
            }
            None => continue,
        };
        let before = facts.len();
        facts.retain(|fact| gone.binary_search(&fact.id).is_err());
        if facts.len() == before {
            continue;
        }
        if facts.is_empty() {
            blocks.remove(first)?;
            spans.remove(first)?;
        } else {
            put_block(&mut blocks, &mut spans, first, &facts)?;
        }
    }
    Ok(())
}

fn put_block(blocks: &mut Table<u64, &[u8]>, spans: &mut Table<u64, &[u8]>, key: u64, facts: &[Fact]) -> Result<(), StoreError> {
    blocks.insert(key, encode_block(facts).as_slice())?;
    spans.insert(key, Span::of(facts).encode().as_slice())?;
    Ok(())
}

/// Calls `visit` with every block that may hold events of minutes `[from_minute, to_minute)`.
/// A block that does not decode is skipped with a warning (its events are missing from the
/// answer, the rest of it stands).
pub(super) fn visit_blocks(transaction: &ReadTransaction, from_minute: u64, to_minute: u64, mut visit: impl FnMut(&Block)) -> Result<(), StoreError> {
    let spans = transaction.open_table(FACT_SPANS)?;
    let blocks = transaction.open_table(FACTS)?;
    for entry in spans.iter()? {
        let (key, span) = entry?;
        match Span::decode(span.value()) {
            Ok(span) if !span.overlaps(from_minute, to_minute) => continue,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(block = key.value(), %error, "skipping a fact block");
                continue;
            }
        }
        let Some(stored) = blocks.get(key.value())? else { continue };
        match Block::decode(stored.value()) {
            Ok(block) => visit(&block),
            Err(error) => tracing::warn!(block = key.value(), %error, "skipping a fact block"),
        }
    }
    Ok(())
}
