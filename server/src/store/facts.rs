//! The fact blocks in redb (`crate::facts` encodes them): appended by the deferred flush,
//! thinned by purges, decoded by `/api/v1/stats`.

use super::StoreError;
use super::tables::{FACT_SPANS, FACTS};
use crate::facts::{BLOCK_EVENTS, Block, Fact, Span, encode_block};
use redb::{ReadTransaction, ReadableTable, Table, WriteTransaction};

/// Newest blocks are written this small and merged into one of [`BLOCK_EVENTS`] once enough
/// of them have gathered: a flush re-encodes at most one small block, never a large one
/// (re-encoding the whole newest block on every flush cost more CPU than the upload itself).
pub const TAIL_EVENTS: usize = 256;

/// Appends `facts` (ids ascending, above every stored one): the newest block is filled up
/// to [`TAIL_EVENTS`] first, so a slow sensor's flushes of a few events do not leave a block
/// each; a run of full tail blocks is merged into a large block.
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
        && (span.events as usize) < TAIL_EVENTS
        && span.last_id < first_new.id
    {
        match stored_facts(&blocks, first)? {
            Some(Ok(mut merged)) => {
                let room = TAIL_EVENTS.saturating_sub(merged.len());
                let (taken, left) = rest.split_at(room.min(rest.len()));
                merged.extend_from_slice(taken);
                rest = left;
                put_block(&mut blocks, &mut spans, first, &merged)?;
            }
            Some(Err(error)) => tracing::warn!(block = first, %error, "the newest fact block does not decode; starting a new one"),
            None => {}
        }
    }
    // a large flush (a re-index) writes large blocks at once
    while rest.len() >= BLOCK_EVENTS {
        let (chunk, left) = rest.split_at(BLOCK_EVENTS);
        put_block(&mut blocks, &mut spans, chunk[0].id, chunk)?;
        rest = left;
    }
    for chunk in rest.chunks(TAIL_EVENTS) {
        put_block(&mut blocks, &mut spans, chunk[0].id, chunk)?;
    }
    merge_tail(&mut blocks, &mut spans)
}

/// Merges the oldest blocks of the newest run of tail-sized blocks into one large block once
/// the run holds [`BLOCK_EVENTS`] events.
fn merge_tail(blocks: &mut Table<u64, &[u8]>, spans: &mut Table<u64, &[u8]>) -> Result<(), StoreError> {
    let mut run: Vec<(u64, u32)> = Vec::new();
    let mut total = 0usize;
    for entry in spans.iter()?.rev() {
        let (key, span) = entry?;
        match Span::decode(span.value()) {
            Ok(span) if (span.events as usize) <= TAIL_EVENTS => {
                run.push((key.value(), span.events));
                total += span.events as usize;
            }
            _ => break,
        }
        if total >= BLOCK_EVENTS + TAIL_EVENTS {
            break;
        }
    }
    if total < BLOCK_EVENTS {
        return Ok(());
    }
    // oldest first, as many as fit in one large block
    run.reverse();
    let mut merged: Vec<Fact> = Vec::with_capacity(BLOCK_EVENTS);
    let mut keys = Vec::new();
    for (key, events) in run {
        if merged.len() + events as usize > BLOCK_EVENTS {
            break;
        }
        match stored_facts(blocks, key)? {
            Some(Ok(facts)) => merged.extend(facts),
            Some(Err(error)) => {
                // merged blocks must be consecutive: stop before the one that does not decode
                tracing::warn!(block = key, %error, "a fact block does not decode; not merged");
                break;
            }
            None => {
                // a span without its block: nothing to merge, and it must not shadow the merged block
                spans.remove(key)?;
                continue;
            }
        }
        keys.push(key);
    }
    let Some(&first) = keys.first() else { return Ok(()) };
    if keys.len() < 2 {
        return Ok(());
    }
    for key in &keys[1..] {
        blocks.remove(*key)?;
        spans.remove(*key)?;
    }
    put_block(blocks, spans, first, &merged)
}

fn stored_facts(blocks: &Table<u64, &[u8]>, key: u64) -> Result<Option<Result<Vec<Fact>, crate::facts::BlockError>>, StoreError> {
    Ok(blocks.get(key)?.map(|block| Block::decode(block.value()).and_then(|block| block.facts())))
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
        let mut facts = match stored_facts(&blocks, first)? {
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

/// The events of every fact block, oldest block first (for tests).
pub(super) fn block_sizes(transaction: &ReadTransaction) -> Result<Vec<u32>, StoreError> {
    let spans = transaction.open_table(FACT_SPANS)?;
    let mut sizes = Vec::new();
    for entry in spans.iter()? {
        if let Ok(span) = Span::decode(entry?.1.value()) {
            sizes.push(span.events);
        }
    }
    Ok(sizes)
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
