//! Durable group commits alone, for a profiler: prepares the fixture uploads, then writes them
//! 64 per transaction with the index flushed every 512 events, as the writer does under load.
//! `cargo run --release -p server --example write_profile [-- EVENTS]`. A benchmark, not a test.
use std::time::Instant;

fn main() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/mlogc-captured"));
    let mut bodies = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|extension| extension == "body") {
            bodies.push(std::fs::read(path).expect("fixture"));
        }
    }
    let count: usize = std::env::args().nth(1).and_then(|text| text.parse().ok()).unwrap_or(8000);
    let mut events: Vec<_> = (0..count)
        .map(|n| {
            let mut event = server::ingest::prepare_event("s", &bodies[n % bodies.len()], None, None, n as i64);
            event.summary.unique_id = format!("u{n:08}");
            event
        })
        .collect();
    let directory = std::env::temp_dir().join(format!("wafscope-write-profile-{}", std::process::id()));
    let store = server::store::Store::open(&directory).expect("store");
    let (mut next, mut deferred) = (1, server::store::DeferredIndex::default());
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    for (index, chunk) in events.chunks_mut(64).enumerate() {
        store.write_events(chunk, &mut next, &mut deferred).expect("write");
        if index % 8 == 7 {
            store.flush_index(&mut deferred, next).expect("flush");
        }
    }
    store.flush_index(&mut deferred, next).expect("flush");
    let cpu = cpu_seconds() - cpu_before;
    println!(
        "{count} events, 64 per transaction: {:.1} µs wall, {:.1} µs CPU (user+system) per event",
        started.elapsed().as_secs_f64() * 1e6 / count as f64,
        cpu * 1e6 / count as f64
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}

/// This process's user + system CPU seconds (Linux `/proc/self/stat`).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
