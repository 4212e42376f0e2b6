//! The fact blocks' shape over many small flushes, on a real database file with the fixture
//! corpus's real uploads: the newest events gather in small tail blocks, a run of them is
//! merged into one large block, and whatever the layout, stats from the blocks equal a scan.

mod support;

use server::ingest::prepare_event;
use server::store::{DeferredIndex, Store};

fn bodies() -> Vec<Vec<u8>> {
    support::uploads::captured_bodies()
}

#[test]
fn small_flushes_gather_in_tail_blocks_that_merge_and_stats_still_equal_a_scan() {
    let directory = tempfile::tempdir().unwrap();
    let store = Store::open(directory.path()).unwrap();
    let bodies = bodies();
    let (mut next_id, mut deferred) = (1, DeferredIndex::default());
    let total = 4096 + 3 * 256 + 100;
    let started = 1_796_000_000_000_000i64;
    let mut written = 0;
    let (mut earliest, mut latest) = (i64::MAX, i64::MIN);
    // flushes of 7 events, as a steady trickle of uploads leaves them
    while written < total {
        let mut batch: Vec<_> = (written..(written + 7).min(total))
            .map(|n| {
                let mut event = prepare_event(&format!("web-{:02}", n % 3), &bodies[n % bodies.len()], None, None, started + n as i64 * 1_000_000);
                event.summary.unique_id = format!("fact-{n}");
                let time = event.summary.time.unwrap_or(event.summary.received_at);
                (earliest, latest) = (earliest.min(time), latest.max(time));
                event
            })
            .collect();
        written += batch.len();
        store.write_events(&mut batch, &mut next_id, &mut deferred).unwrap();
        store.flush_index(&mut deferred, next_id).unwrap();
    }
    let sizes = store.fact_block_sizes().unwrap();
    assert_eq!(sizes.iter().map(|size| *size as usize).sum::<usize>(), total, "every event has its fact");
    assert_eq!(sizes[0], 4096, "sixteen full tail blocks were merged into one large block: {sizes:?}");
    assert!(sizes[1..].iter().all(|size| *size <= 256), "the newest events stay in small blocks: {sizes:?}");
    assert_eq!(sizes.len(), 1 + 4, "{sizes:?}");

    let comparable = |mut answer: app::model::StatsAnswer| {
        answer.source.clear();
        answer
    };
    let filter = |pairs: &[(&str, &str)]| {
        let params: std::collections::HashMap<String, String> = pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        server::filter::EventFilter::from_params(&params).unwrap()
    };
    let (from_minute, to_minute) = ((earliest / 60_000_000) as u64 / 1440 * 1440, ((latest / 60_000_000) as u64 / 1440 + 1) * 1440);
    let (from, to) = ((from_minute * 60).to_string(), (to_minute * 60).to_string());
    for extra in [None, Some(("sensor", "web-01")), Some(("action", "blocked"))] {
        let mut pairs = vec![("from", from.as_str()), ("to", to.as_str())];
        pairs.extend(extra);
        let counted = comparable(store.fact_stats(&filter(&pairs), from_minute, to_minute, 60, 1000).unwrap());
        let scanned = comparable(store.scan_stats(&filter(&pairs), from_minute, to_minute, 60, 1000).unwrap());
        assert!(counted.totals.total > 0, "{extra:?}");
        if extra.is_none() {
            assert_eq!(counted.totals.total, total as u64);
        }
        assert_eq!(counted, scanned, "blocks equal a scan for {extra:?}");
    }
}
