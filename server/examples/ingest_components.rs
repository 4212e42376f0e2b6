//! Where an upload's CPU goes: times each ingest step per event over the fixture mlogc
//! captures, single-threaded, in this process (no HTTP). Run with
//! `cargo run --release -p server --example ingest_components`; `cargo xtask bench ingest`
//! prints it after the end-to-end rates. `-- write [EVENTS]` runs only durable group commits
//! (64 per transaction, the index flushed every 512 events, as the writer does under load), for
//! a profiler. A benchmark, not a test.
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/mlogc-captured"));
    let mut bodies = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "body") {
            bodies.push(std::fs::read(path).unwrap());
        }
    }
    if std::env::args().nth(1).as_deref() == Some("write") {
        return write_profile(&bodies);
    }
    let n = 20_000;
    println!("ingest components, {} fixture bodies, µs per event (single thread):", bodies.len());
    let t = Instant::now();
    for i in 0..n {
        let b = &bodies[i % bodies.len()];
        std::hint::black_box(wafscope_parse::parse_entry(b));
    }
    println!("  parse_entry          {:6.1}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let t = Instant::now();
    for i in 0..n {
        let b = &bodies[i % bodies.len()];
        std::hint::black_box(wafscope_parse::parse_entry_summary(b));
    }
    println!("  parse_entry_summary  {:6.1}  (what ingest runs)", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    use md5::Digest;
    let t = Instant::now();
    for i in 0..n {
        let b = &bodies[i % bodies.len()];
        std::hint::black_box(md5::Md5::digest(b));
    }
    println!("  md5                  {:6.1}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    for level in [-3, 1, 3] {
        let mut c = zstd::bulk::Compressor::new(level).unwrap();
        let t = Instant::now();
        let mut size = 0;
        for i in 0..n {
            let b = &bodies[i % bodies.len()];
            size += c.compress(b).unwrap().len();
        }
        println!("  zstd level {level:<2}        {:6.1}  ({:.0} B out)", t.elapsed().as_secs_f64() * 1e6 / n as f64, size as f64 / n as f64);
    }
    let t = Instant::now();
    let mut events = Vec::new();
    for i in 0..n {
        let b = &bodies[i % bodies.len()];
        let mut e = server::ingest::prepare_event("s", b, None, None, i as i64);
        e.summary.unique_id = format!("u{i}");
        events.push(server::store::NewEvent::new(e.summary, e.md5, e.raw_zstd));
    }
    println!("  prepare_event (all)  {:6.1}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let tmp = std::env::temp_dir().join(format!("wafscope-prof-{}", std::process::id()));
    for batch in [1usize, 4, 8, 64] {
        let _ = std::fs::remove_dir_all(&tmp);
        let store = server::store::Store::open(&tmp).unwrap();
        let mut next = 1;
        let mut deferred = server::store::DeferredIndex::default();
        let m = 4000.min(events.len());
        let t = Instant::now();
        for chunk in events[..m].chunks(batch) {
            let mut c = chunk.to_vec();
            store.write_events(&mut c, &mut next, &mut deferred).unwrap();
        }
        store.flush_index(&mut deferred, next).unwrap();
        println!("  durable write, {batch:>2}/tx {:6.1}", t.elapsed().as_secs_f64() * 1e6 / m as f64);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Durable group commits alone (`-- write [EVENTS]`).
fn write_profile(bodies: &[Vec<u8>]) {
    let count: usize = std::env::args().nth(2).and_then(|text| text.parse().ok()).unwrap_or(8000);
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
