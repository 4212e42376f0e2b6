//! `cargo xtask bench ingest`: replays mlogc's captured uploads (unique ids rewritten, MD5s
//! recomputed) over keep-alive connections against `wafscope debug-sink` (the same HTTP stack,
//! storing nothing) and against `wafscope serve` with a fresh data dir; prints uploads/s,
//! latency percentiles and stored bytes per event.  `cargo xtask bench query` (query.rs):
//! read-API latency over a million events while ingest runs.  Benchmarks, not tests.

pub mod load;
pub mod md5;
mod query;
pub mod uploads;
mod varied;

use crate::lab::args::Args;
use crate::lab::http::Url;
use crate::lab::workdir;
use crate::lab::{Console, ServerProcess, Wafscope, random_secret};
use crate::process::{TaskResult, cargo, root, step};
use crate::tasks::RELEASE_BINARY;
use load::{LoadConfig, LoadResult};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const HELP: &str = "\
usage: cargo xtask bench ingest [--connections N] [--duration S | --count N] [--binary PATH] [--no-pin]
       cargo xtask bench ingest --target URL [--user U --pass P] [--connections N] [--duration S | --count N]

Replays fixtures/corpus/mlogc-captured/ (each upload gets a fresh unique id of the same length in
body and X-ForensicLog-Summary, MD5 recomputed) with mlogc's exact headers over N keep-alive
connections (default 8) for S seconds (default 10) or N uploads, after a warm-up of 2 000 uploads
and 4 s (steady state: the raw-compression dictionary a data dir trains once is in place), against
  1. `wafscope debug-sink --listen 127.0.0.1:0` (answers 200, stores nothing: the HTTP stack alone)
  2. `wafscope serve` with a fresh data dir and a sensor (`wafscope sensor add`)
and prints uploads/s, p50/p99 latency, the server's CPU time per upload, the serve/sink ratio and
stored bytes per event vs raw, then the CPU of each ingest step measured in-process (the server's
`ingest_components` example: parse, md5, zstd, prepare, durable writes at several batch sizes).
With two or more cores the server is pinned to CPU 0 and the load generator to CPU 1 (`taskset`),
for the sink and for serve alike, so the server's CPU per upload is not inflated by the load
generator's; --no-pin leaves scheduling to the kernel.  Budget: serve <= 120 us of server CPU per
upload at 64 connections, <= 150 us at 8.
The binary defaults to target/release/wafscope (`cargo xtask build`).  --target benchmarks any
running receiver instead (e.g. `cargo xtask lab stand-in`).
";

/// Set when the benchmark runs in the optimised build of xtask.
const RELEASE_MARK: &str = "XTASK_BENCH_OPTIMISED";

/// Runs `cargo xtask bench ARGS`.
pub fn run(raw: &[String]) -> TaskResult {
    if cfg!(debug_assertions) && std::env::var_os(RELEASE_MARK).is_none() && raw.first().is_some_and(|word| word == "ingest" || word == "query") {
        // the load generator (MD5 per upload) must not be the bottleneck: run it optimised
        // (xtask has no dependencies, so its release build takes seconds)
        return step(
            "cargo run --release -p xtask -- bench (optimised load generator)",
            cargo().args(["run", "--quiet", "--release", "-p", "xtask", "--", "bench"]).args(raw).env(RELEASE_MARK, "1"),
        );
    }
    match raw.first().map(String::as_str) {
        Some("ingest") => {
            ingest(&Args::parse(&raw[1..], &["--connections", "--duration", "--count", "--binary", "--target", "--user", "--pass"], &["--no-pin"])?)
        }
        Some("query") => query::run(&Args::parse(&raw[1..], &["--events", "--rate", "--duration", "--data-dir", "--binary"], &[])?),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}\n{}", query::HELP);
            Ok(())
        }
        Some(other) => Err(format!("unknown bench {other:?}\n\n{HELP}")),
    }
}

struct Row {
    name: &'static str,
    result: LoadResult,
    /// CPU seconds the server process used during the run
    server_cpu: Option<f64>,
}

fn ingest(args: &Args) -> TaskResult {
    args.at_most(0)?;
    let connections: usize = args.number("--connections", 8)?;
    let duration = Duration::from_secs_f64(args.number("--duration", 10.0)?);
    let count: Option<u64> = args.value("--count").map(|text| text.parse().map_err(|_| format!("--count {text:?}"))).transpose()?;
    let fixture_dir = root().join("fixtures/corpus/mlogc-captured");
    let fixtures = uploads::load(&fixture_dir)?;
    let mean_body = fixtures.iter().map(|fixture| fixture.body.len()).sum::<usize>() as f64 / fixtures.len() as f64;
    let budget = match count {
        Some(count) => format!("{count} uploads per target"),
        None => format!("{:.0} s per target", duration.as_secs_f64()),
    };
    let config_for = |url: Url, credentials: String| LoadConfig { url, credentials: vec![credentials], connections, duration, count, rate: None };
    let header = format!(
        "bench ingest: {} mlogc uploads replayed (fixtures/corpus/mlogc-captured, mean body {mean_body:.0} B), {connections} keep-alive connections, {budget}",
        fixtures.len()
    );

    if let Some(target) = args.value("--target") {
        let credentials = format!("{}:{}", args.value("--user").unwrap_or("bench"), args.value("--pass").unwrap_or("bench"));
        eprintln!("[bench] {target}");
        let result = load::run(&|sequence| uploads::replay(&fixtures, sequence), &config_for(Url::parse(target)?, credentials), 0);
        println!("{header}");
        print_table(&[Row { name: "target", result, server_cpu: None }]);
        return Ok(());
    }

    let binary = args.value("--binary").map_or_else(|| root().join(RELEASE_BINARY), PathBuf::from);
    if !binary.is_file() {
        return Err(format!("{} is missing: run `cargo xtask build` first (or pass --binary)", binary.display()));
    }
    let pinned = !args.flag("--no-pin") && pin(std::process::id(), LOAD_CPU);
    let scratch = workdir::temp_dir("wafscope-bench")?;
    let result = measure(&binary, &scratch, &fixtures, &config_for, pinned);
    let _ = std::fs::remove_dir_all(&scratch);
    let (sink, serve, storage) = result?;
    println!("{header}");
    println!("{}", if pinned { "pinned: server on CPU 0, load generator on CPU 1" } else { "not pinned: server and load generator share the cores" });
    let serve_cpu = serve.server_cpu.map(|cpu| cpu * 1e6 / serve.result.ok.max(1) as f64);
    print_table(&[sink, serve]);
    if let Some(per_upload) = serve_cpu {
        let budget = if connections >= 64 { 120.0 } else { 150.0 };
        println!(
            "budget: serve server CPU {per_upload:.0} µs/upload (<= {budget:.0} at {} connections): {}",
            if connections >= 64 { "64" } else { "8" },
            if per_upload <= budget { "ok" } else { "OVER" }
        );
    }
    println!("{storage}");
    components()
}

/// The server runs on this CPU, the load generator on [`LOAD_CPU`].
const SERVER_CPU: u32 = 0;
const LOAD_CPU: u32 = 1;

/// Pins every thread of `pid` (and the threads it starts later) to `cpu` with `taskset`;
/// false when there is only one CPU or taskset is missing.
fn pin(pid: u32, cpu: u32) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 {
        return false;
    }
    Command::new("taskset")
        .args(["-a", "-c", "-p", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Per-step CPU of an upload, measured in-process by the server's `ingest_components` example.
fn components() -> TaskResult {
    step(
        "ingest components (cargo run --release -p server --example ingest_components)",
        cargo().args(["run", "--quiet", "--release", "-p", "server", "--example", "ingest_components"]),
    )
}

type Measured = (Row, Row, String);

/// Uploads sent before each measured run, to reach the steady state: connections open, a
/// sensor's credentials cached, and the store's raw-compression dictionary trained (once per
/// data dir, after its first 1 000 events, on a background thread).
const WARM_UP_UPLOADS: u64 = 2_000;
/// Pause after the warm-up: the dictionary trainer looks every 2 s and trains in under one.
const WARM_UP_SETTLE: Duration = Duration::from_secs(4);

fn warm_up(fixtures: &[uploads::Fixture], config: &LoadConfig) {
    let warm = LoadConfig { count: Some(WARM_UP_UPLOADS), rate: None, ..config.clone() };
    let result = load::run(&|sequence| uploads::replay(fixtures, sequence), &warm, 0);
    if result.errors > 0 {
        eprintln!("[bench] warm-up: {} of {WARM_UP_UPLOADS} uploads failed", result.errors);
    }
    std::thread::sleep(WARM_UP_SETTLE);
}

/// Runs `load` and reports the CPU the server used meanwhile.
fn with_cpu(cpu: impl Fn() -> Option<f64>, load: impl FnOnce() -> LoadResult) -> (LoadResult, Option<f64>) {
    let before = cpu();
    let result = load();
    let used = cpu().zip(before).map(|(after, before)| after - before);
    (result, used)
}

fn measure(
    binary: &Path,
    scratch: &Path,
    fixtures: &[uploads::Fixture],
    config_for: &dyn Fn(Url, String) -> LoadConfig,
    pinned: bool,
) -> Result<Measured, String> {
    // (a) the do-nothing sink: same HTTP stack, no parsing, no storage
    eprintln!("[bench] wafscope debug-sink");
    let mut sink_command = Command::new(binary);
    sink_command.args(["debug-sink", "--listen", "127.0.0.1:0"]).env("WAFSCOPE_LOG", "warn");
    let sink = ServerProcess::spawn(sink_command, scratch, "debug-sink")?;
    if pinned {
        pin(sink.pid(), SERVER_CPU);
    }
    let sink_url = Url::parse(&format!("{}/rpc/auditLogReceiver", sink.url.base()))?;
    warm_up(fixtures, &config_for(sink_url.clone(), "bench:bench".to_owned()));
    let (sink_result, sink_cpu) = with_cpu(
        || sink.cpu_seconds(),
        || load::run(&|sequence| uploads::replay(fixtures, sequence), &config_for(sink_url, "bench:bench".to_owned()), WARM_UP_UPLOADS),
    );
    drop(sink);

    // (b) the real console with a fresh data dir and a sensor
    eprintln!("[bench] wafscope serve");
    let data = scratch.join("data");
    let logs = scratch.join("logs");
    std::fs::create_dir_all(&logs).map_err(|error| format!("{}: {error}", logs.display()))?;
    let (serve_result, serve_cpu, stored, data_bytes, data_allocated) = {
        let mut console = Wafscope::start(binary, &data, &logs, false)?;
        if pinned && let Some(pid) = console.pid() {
            pin(pid, SERVER_CPU);
        }
        let sensor = console.add_sensor(&format!("bench-{}", random_secret().get(..6).unwrap_or("x")))?;
        let url = Url::parse(&sensor.console_uri)?;
        let credentials = format!("{}:{}", sensor.user, sensor.pass);
        warm_up(fixtures, &config_for(url.clone(), credentials.clone()));
        let (result, cpu) =
            with_cpu(|| console.cpu_seconds(), || load::run(&|sequence| uploads::replay(fixtures, sequence), &config_for(url, credentials), WARM_UP_UPLOADS));
        let stored = console.stored_ids(&sensor);
        drop(console);
        let (bytes, allocated) = dir_size(&data);
        (result, cpu, stored, bytes, allocated)
    };
    let stored_events = match &stored {
        Ok(ids) => ids.len() as u64,
        Err(error) => {
            eprintln!("[bench] counting stored events through the API failed ({error}); using the number of 200 answers");
            serve_result.ok
        }
    };
    // uploads go round-robin over the fixtures: the mean raw body of what was actually sent
    let mean_body = {
        let all: u64 = fixtures.iter().map(|fixture| fixture.body.len() as u64).sum();
        let rest = (serve_result.ok % fixtures.len() as u64) as usize;
        let partial: u64 = fixtures[..rest].iter().map(|fixture| fixture.body.len() as u64).sum();
        ((serve_result.ok / fixtures.len() as u64) * all + partial) as f64 / serve_result.ok.max(1) as f64
    };
    let events = stored_events.max(1) as f64;
    let storage = format!(
        "storage: {:.0} B/event in the data dir ({:.0} B/event allocated; {:.1} MB / {:.1} MB for {stored_events} events{}) vs {mean_body:.0} B/event raw body",
        data_bytes as f64 / events,
        data_allocated as f64 / events,
        data_bytes as f64 / 1e6,
        data_allocated as f64 / 1e6,
        if stored.is_ok() { " counted by the API" } else { " = 200 answers" },
    );
    Ok((
        Row { name: "debug-sink", result: sink_result, server_cpu: sink_cpu },
        Row { name: "wafscope serve", result: serve_result, server_cpu: serve_cpu },
        storage,
    ))
}

/// (apparent bytes, allocated bytes) of every file below `dir`.
fn dir_size(dir: &Path) -> (u64, u64) {
    workdir::files_below(dir)
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .fold((0, 0), |(bytes, allocated), meta| (bytes + meta.len(), allocated + meta.blocks() * 512))
}

fn print_table(rows: &[Row]) {
    println!("{:<16} {:>10} {:>8} {:>8} {:>9} {:>7} {:>14}", "target", "uploads/s", "p50 ms", "p99 ms", "uploads", "errors", "server µs/upl");
    for row in rows {
        let result = &row.result;
        let cpu_per_upload = row.server_cpu.map_or_else(|| "-".to_owned(), |cpu| format!("{:.0}", cpu * 1e6 / result.ok.max(1) as f64));
        println!(
            "{:<16} {:>10.1} {:>8.2} {:>8.2} {:>9} {:>7} {:>14}",
            row.name,
            result.per_second(),
            result.percentile_ms(50),
            result.percentile_ms(99),
            result.ok,
            result.errors,
            cpu_per_upload,
        );
        if let Some(error) = &result.first_error {
            println!("  first error ({}): {error}", row.name);
        }
    }
    if let [sink, serve] = rows {
        println!("serve/sink ratio: {:.3}", serve.result.per_second() / sink.result.per_second().max(1e-9));
        println!("(server µs/upl = CPU time of the server process, all threads, per upload answered 200; the load generator shares the same cores)");
    }
}
