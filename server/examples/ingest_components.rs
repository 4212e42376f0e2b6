//! Where an upload's CPU goes: times each ingest step per event over the fixture mlogc
//! captures, single-threaded, in this process (no HTTP). Run with
//! `cargo run --release -p server --example ingest_components`; `cargo xtask bench ingest`
//! prints it after the end-to-end rates. A benchmark, not a test.
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/corpus/mlogc-captured"));
    let mut bodies = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "body") { bodies.push(std::fs::read(path).unwrap()); }
    }
    let n = 20_000;
    println!("ingest components, {} fixture bodies, µs per event (single thread):", bodies.len());
    let t = Instant::now();
    for i in 0..n { let b = &bodies[i % bodies.len()]; std::hint::black_box(wafscope_parse::parse_entry(b)); }
    println!("  parse_entry          {:6.1}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let t = Instant::now();
    for i in 0..n { let b = &bodies[i % bodies.len()]; std::hint::black_box(wafscope_parse::parse_entry_summary(b)); }
    println!("  parse_entry_summary  {:6.1}  (what ingest runs)", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    use md5::Digest;
    let t = Instant::now();
    for i in 0..n { let b = &bodies[i % bodies.len()]; std::hint::black_box(md5::Md5::digest(b)); }
    println!("  md5                  {:6.1}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    for level in [-3, 1, 3] {
        let mut c = zstd::bulk::Compressor::new(level).unwrap();
        let t = Instant::now();
        let mut size = 0;
        for i in 0..n { let b = &bodies[i % bodies.len()]; size += c.compress(b).unwrap().len(); }
        println!("  zstd level {level:<2}        {:6.1}  ({:.0} B out)", t.elapsed().as_secs_f64() * 1e6 / n as f64, size as f64 / n as f64);
    }
    let t = Instant::now();
    let mut events = Vec::new();
    for i in 0..n { let b = &bodies[i % bodies.len()]; let mut e = server::ingest::prepare_event("s", b, None, None, i as i64); e.summary.unique_id = format!("u{i}"); events.push(server::store::NewEvent::new(e.summary, e.md5, e.raw_zstd)); }
    println!("  prepare_event (all)  {:6.1}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let tmp = std::env::temp_dir().join(format!("wafscope-prof-{}", std::process::id()));
    for batch in [1usize, 4, 8, 64] {
        let _ = std::fs::remove_dir_all(&tmp);
        let store = server::store::Store::open(&tmp).unwrap();
        let mut next = 1;
        let mut deferred = server::store::DeferredIndex::default();
        let m = 4000.min(events.len());
        let t = Instant::now();
        for chunk in events[..m].chunks(batch) { let mut c = chunk.to_vec(); store.write_events(&mut c, &mut next, &mut deferred).unwrap(); }
        store.flush_index(&mut deferred, next).unwrap();
        println!("  durable write, {batch:>2}/tx {:6.1}", t.elapsed().as_secs_f64() * 1e6 / m as f64);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
