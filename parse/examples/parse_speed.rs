//! Parser CPU per entry (full and summary) over the fixture mlogc captures, single-threaded: `cargo run --release
//! -p wafscope-parse --example parse_speed [-- ROUNDS]`. A benchmark, not a test.
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
    let rounds: usize = std::env::args().nth(1).and_then(|text| text.parse().ok()).unwrap_or(20_000);
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    println!("{} fixtures, mean {} B, {rounds} rounds", bodies.len(), bytes / bodies.len());
    type Parser = fn(&[u8]) -> wafscope_parse::Parsed;
    let parsers: [(&str, Parser); 2] = [("parse_entry", wafscope_parse::parse_entry), ("parse_entry_summary", wafscope_parse::parse_entry_summary)];
    for (name, parse) in parsers {
        let started = Instant::now();
        for round in 0..rounds {
            std::hint::black_box(parse(&bodies[round % bodies.len()]));
        }
        let per_entry = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        println!("  {name:<20} {per_entry:6.1} µs per entry");
    }
}
