//! Retention on a real database file with the fixture corpus's real uploads: events past the
//! retention period go with every row derived from them (stats still equal a scan of what is
//! left, every index still equals a full scan, dedupe forgets them), preserved events stay,
//! and under a small disk budget the file stops growing while the newest events all stay.

mod support;

use app::model::EventSummary;
use server::filter::EventFilter;
use server::ingest::prepare_event;
use server::store::{NewEvent, Retention, Store, WriteOutcome, Writer, WriterOptions};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const DAY: i64 = 86_400_000_000;

fn bodies() -> Vec<Vec<u8>> {
    support::uploads::captured_bodies()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64
}

fn writer(store: &Store, retention: Retention) -> Writer {
    Writer::start_with(store.clone(), WriterOptions { capacity: 1024, retention, on_commit: Box::new(|_| {}), index_flush: Default::default() }).unwrap()
}

fn writer_for(store: &Store, budget: u64) -> Writer {
    writer(store, Retention { retain_days: 0, max_disk_bytes: budget })
}

fn write_all(writer: &Writer, events: Vec<NewEvent>) -> Vec<u64> {
    let pending: Vec<_> = events.into_iter().map(|event| writer.submit_blocking(event).unwrap()).collect();
    pending
        .into_iter()
        .map(|pending| match pending.wait().unwrap() {
            WriteOutcome::Stored(id) => id,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn all(store: &Store, filter: &EventFilter) -> Vec<EventSummary> {
    let mut events = Vec::new();
    let mut before = None;
    loop {
        let (page, next) = store.list_events(filter, before, 1000).unwrap();
        events.extend(page);
        match next {
            Some(next) => before = Some(next),
            None => return events,
        }
    }
}

fn filter(pairs: &[(&str, &str)]) -> EventFilter {
    EventFilter::from_params(&pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect::<HashMap<_, _>>()).unwrap()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn events_past_retention_go_with_every_derived_row_and_preserved_ones_stay() {
    let directory = tempfile::tempdir().unwrap();
    let store = Store::open(directory.path()).unwrap();
    let bodies = bodies();
    assert!(bodies.len() >= 20, "the corpus has enough uploads");
    let old_time = now() - 100 * DAY;
    // the same uploads from two sensors: web-01's arrived 100 days ago, web-02's now, so
    // every rule, address and host has rows that go and rows that stay
    let plain = writer(&store, Retention::default());
    let old_ids = write_all(&plain, bodies.iter().enumerate().map(|(n, body)| prepare_event("web-01", body, None, None, old_time + n as i64)).collect());
    let new_ids = write_all(&plain, bodies.iter().map(|body| prepare_event("web-02", body, None, None, now())).collect());
    plain.shutdown();
    let keep = [old_ids[3], old_ids[7]];
    assert_eq!(store.set_preserved(&keep, true).unwrap(), 2);
    assert_eq!(store.set_preserved(&keep, true).unwrap(), 0, "marking twice changes nothing");

    let retained = writer(&store, Retention { retain_days: 90, max_disk_bytes: 0 });
    wait_until("the old events are purged", || all(&store, &filter(&[("sensor", "web-01")])).len() == keep.len());
    retained.shutdown();

    let left = all(&store, &EventFilter::default());
    let mut left_ids: Vec<u64> = left.iter().map(|summary| summary.id).collect();
    left_ids.sort();
    let mut expected: Vec<u64> = new_ids.iter().chain(&keep).copied().collect();
    expected.sort();
    assert_eq!(left_ids, expected, "the new events and the preserved old ones are kept");
    for id in old_ids.iter().filter(|id| !keep.contains(id)) {
        assert!(store.get_event(*id).unwrap().is_none());
        assert!(store.get_raw(*id).unwrap().is_none(), "the raw upload goes too");
    }
    let preserved: Vec<u64> = all(&store, &filter(&[("preserved", "yes")])).iter().map(|summary| summary.id).collect();
    assert_eq!(preserved, vec![keep[1], keep[0]], "preserved=yes lists them, newest first");
    assert_eq!(all(&store, &filter(&[("preserved", "no")])).len(), new_ids.len());

    // the dashboard's fact blocks equal a scan of what is left, for the whole window, per sensor and rule
    let times: Vec<i64> = left.iter().map(|summary| summary.time.unwrap_or(summary.received_at)).collect();
    let from_minute = (*times.iter().min().unwrap() / 60_000_000) as u64 / 1440 * 1440;
    let to_minute = ((*times.iter().max().unwrap() / 60_000_000) as u64 / 1440 + 1) * 1440;
    let window = |extra: &[(&str, &str)]| {
        let (from, to) = ((from_minute * 60).to_string(), (to_minute * 60).to_string());
        let mut pairs = vec![("from", from.as_str()), ("to", to.as_str())];
        pairs.extend_from_slice(extra);
        filter(&pairs)
    };
    let comparable = |mut answer: app::model::StatsAnswer| {
        answer.source.clear();
        answer
    };
    let counted = comparable(store.fact_stats(&window(&[]), from_minute, to_minute, 60, 1000).unwrap());
    let scanned = comparable(store.scan_stats(&window(&[]), from_minute, to_minute, 60, 1000).unwrap());
    assert_eq!(counted.totals.total, left.len() as u64);
    assert_eq!(counted, scanned, "fact blocks after the purge equal a scan");
    let counted = comparable(store.fact_stats(&window(&[("sensor", "web-01")]), from_minute, to_minute, 60, 1000).unwrap());
    let scanned = comparable(store.scan_stats(&window(&[("sensor", "web-01")]), from_minute, to_minute, 60, 1000).unwrap());
    assert_eq!(counted.totals.total, 2);
    assert_eq!(counted, scanned, "within one sensor too");
    let rule = left.iter().find_map(|summary| summary.rule_ids.first()).unwrap().to_string();
    let counted = comparable(store.fact_stats(&window(&[("rule", &rule)]), from_minute, to_minute, 60, 1000).unwrap());
    let scanned = comparable(store.scan_stats(&window(&[("rule", &rule)]), from_minute, to_minute, 60, 1000).unwrap());
    assert!(counted.totals.total > 0);
    assert_eq!(counted, scanned, "and within one rule");
    assert_eq!(store.minute_counts(0, u64::MAX).unwrap().iter().map(|(_, counts)| counts.total).sum::<u64>(), left.len() as u64);
    assert_eq!(store.arrivals_since(0).unwrap(), left.len() as u64, "sensor minutes lost the purged events");

    // every index answers what a full scan answers
    let sample = left.iter().find(|summary| summary.status.is_some() && !summary.rule_ids.is_empty()).unwrap();
    let queries = [
        ("sensor", "web-01".to_owned()),
        ("sensor", "web-02".to_owned()),
        ("rule", sample.rule_ids[0].to_string()),
        ("ip", sample.client_ip.clone()),
        ("host", sample.host.clone()),
        ("status", sample.status.unwrap().to_string()),
        ("action", "blocked".to_owned()),
        ("severity", "critical".to_owned()),
        ("method", "get".to_owned()),
    ];
    for (name, value) in &queries {
        let chosen = filter(&[(name, value)]);
        let listed: Vec<u64> = all(&store, &chosen).iter().map(|summary| summary.id).collect();
        let scanned: Vec<u64> = left.iter().filter(|summary| chosen.matches(summary)).map(|summary| summary.id).collect();
        assert!(!scanned.is_empty(), "{name}={value}");
        assert_eq!(listed, scanned, "{name}={value}");
    }

    // dedupe forgot the purged uploads, not the kept ones
    let again = writer(&store, Retention::default());
    let resent = prepare_event("web-01", &bodies[0], None, None, now());
    assert!(matches!(again.submit_blocking(resent).unwrap().wait().unwrap(), WriteOutcome::Stored(_)), "a purged upload sent again is new");
    let kept = prepare_event("web-02", &bodies[0], None, None, now());
    assert_eq!(again.submit_blocking(kept).unwrap().wait().unwrap(), WriteOutcome::Duplicate(new_ids[0]));
    again.shutdown();
}

#[test]
fn under_a_disk_budget_the_file_stops_growing_and_the_newest_events_stay() {
    const BUDGET: u64 = 16 << 20;
    let directory = tempfile::tempdir().unwrap();
    let store = Store::open(directory.path()).unwrap();
    let bodies = bodies();
    let writer = writer(&store, Retention { retain_days: 0, max_disk_bytes: BUDGET });
    let file = directory.path().join(server::store::DATABASE_FILE);
    let size = || std::fs::metadata(&file).unwrap().len();
    let (mut written, mut largest, mut raw_bytes) = (0usize, 0u64, 0u64);
    let mut ids = Vec::new();
    // many times the budget's worth of uploads, each with its own unique id
    while raw_bytes < 6 * BUDGET {
        let batch: Vec<NewEvent> = (0..64)
            .map(|n| {
                let body = &bodies[(written + n) % bodies.len()];
                raw_bytes += body.len() as u64;
                let mut event = prepare_event("web-01", body, None, None, now());
                event.summary.unique_id = format!("budget-{}", written + n);
                NewEvent::new(event.summary, event.md5, event.raw_zstd)
            })
            .collect();
        written += batch.len();
        ids.extend(write_all(&writer, batch));
        largest = largest.max(size());
    }
    // let the purge finish: the event count stops falling
    let mut settled = store.storage_usage().unwrap().events;
    loop {
        std::thread::sleep(Duration::from_millis(600));
        largest = largest.max(size());
        let now = store.storage_usage().unwrap().events;
        if now == settled {
            break;
        }
        settled = now;
    }
    writer.shutdown();
    assert!(largest as f64 <= 1.1 * BUDGET as f64, "the file reached {largest} bytes with a budget of {BUDGET}");
    let usage = store.storage_usage().unwrap();
    assert!(usage.events < written as u64 / 2, "most events were purged: {} of {written} left", usage.events);
    assert!(store.get_event(ids[0]).unwrap().is_none(), "the oldest went");
    let newest = &ids[ids.len() - 500..];
    for id in newest {
        assert!(store.get_event(*id).unwrap().is_some(), "newest event {id} is kept");
    }
    // a restart under the same budget keeps what it has: the measurement was kept, so the
    // free pages in the file are not taken for events
    let restarted = writer_for(&store, BUDGET);
    std::thread::sleep(Duration::from_millis(1500));
    restarted.shutdown();
    assert_eq!(store.storage_usage().unwrap().events, usage.events, "a restart purged events although nothing was added");
    // `wafscope compact` gives the purged pages back to the filesystem
    let kept = store.storage_usage().unwrap().events;
    drop(store);
    // (measured once the database is closed: closing can still trim the file)
    let before = size();
    let (reported_before, after) = server::store::compact(directory.path()).unwrap();
    assert_eq!(reported_before, before);
    assert!(after < before, "compacting shrank the file: {before} → {after}");
    let reopened = Store::open(directory.path()).unwrap();
    assert_eq!(reopened.storage_usage().unwrap().events, kept, "compacting keeps every event");
    assert!(reopened.get_event(*newest.last().unwrap()).unwrap().is_some());
    println!("budget {BUDGET}: compacted {before} → {after} bytes");
    println!("budget {BUDGET}: wrote {written} events ({raw_bytes} raw bytes), largest file {largest}, {kept} events kept");
}
