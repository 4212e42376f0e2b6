//! `cargo xtask bench query`: a data dir of a million varied events (see `varied.rs`), then the
//! read API's latency while ingest runs at a steady rate, and that rate with and without the
//! queries.  A benchmark, not a test: it prints figures and marks budgets, it does not fail.

use super::load::{self, LoadConfig, LoadResult};
use super::{dir_size, uploads, varied};
use crate::lab::args::Args;
use crate::lab::cases::percent;
use crate::lab::http::Url;
use crate::lab::json::Json;
use crate::lab::workdir;
use crate::lab::{Console, Wafscope, random_secret};
use crate::process::{TaskResult, root};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const HELP: &str = "\
usage: cargo xtask bench query [--events N] [--rate R] [--duration S] [--data-dir DIR] [--binary PATH]

Fills a fresh data dir with N events (default 1000000) made from fixtures/corpus/mlogc-captured/
(event times spread over the last 7 days; 20000 client IPs, 12 hosts and 40 path prefixes, skewed;
3 sensors), uploaded through the mlogc receiver.  With --data-dir DIR an existing DIR is reused
as it is (no fill, but S seconds of unmeasured ingest first, so the restarted server's cache is
warm), a missing one is filled and kept.  Then, against that console:
  1. ingest at a steady R uploads/s (default 1000) for S seconds (default 20), no queries;
  2. the same ingest while one client loops over first pages of /api/v1/events (several filters)
     and /api/v1/stats (24 h, 7 d, filtered);
and prints each query's p50/p95/max latency under that ingest against its budget (first pages
< 50 ms, 24 h stats < 100 ms at p95; queries without a budget run every 5th round only), the
ingest rate with queries / without (budget >= 0.8), data-dir bytes per event and the server's RSS.
";

const DAY_US: i64 = 86_400_000_000;
const PAGE_BUDGET_MS: f64 = 50.0;
const STATS_BUDGET_MS: f64 = 100.0;
const INGEST_BUDGET: f64 = 0.8;
/// Queries without a budget (7 d, filtered stats; `rule=` takes seconds) run every this many
/// rounds, so the budgeted ones get enough samples for a p95 that is not just the maximum.
const UNBUDGETED_EVERY: usize = 5;

/// One request the query client repeats.
struct Query {
    name: String,
    path: String,
    budget_ms: Option<f64>,
    latencies_us: Vec<u64>,
    failures: u32,
}

pub fn run(args: &Args) -> TaskResult {
    args.at_most(0)?;
    let events: u64 = args.number("--events", 1_000_000)?;
    let rate: f64 = args.number("--rate", 1000.0)?;
    let phase = Duration::from_secs_f64(args.number("--duration", 20.0)?);
    let binary = args.value("--binary").map_or_else(|| root().join(crate::tasks::RELEASE_BINARY), std::path::PathBuf::from);
    if !binary.is_file() {
        return Err(format!("{} is missing: run `cargo xtask build` first (or pass --binary)", binary.display()));
    }
    let fixtures = uploads::load(&root().join("fixtures/corpus/mlogc-captured"))?;
    let scratch = workdir::temp_dir("wafscope-bench-query")?;
    let (data, keep) = match args.value("--data-dir") {
        Some(dir) => (workdir::absolute(dir)?, true),
        None => (scratch.join("data"), false),
    };
    let result = measure(&binary, &data, &scratch, &fixtures, events, rate, phase);
    if !keep {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    result
}

fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_micros() as i64)
}

#[allow(clippy::too_many_arguments)]
fn measure(binary: &Path, data: &Path, scratch: &Path, fixtures: &[uploads::Fixture], events: u64, rate: f64, phase: Duration) -> TaskResult {
    let reuse = data.join("wafscope.redb").is_file();
    let logs = scratch.join("logs");
    std::fs::create_dir_all(&logs).map_err(|error| format!("{}: {error}", logs.display()))?;
    let mut console = Wafscope::start(binary, data, &logs, false)?;
    let tag = random_secret().get(..6).unwrap_or("x").to_owned();
    let mut credentials = Vec::new();
    let mut url = None;
    for number in 1..=3 {
        let sensor = console.add_sensor(&format!("edge-{number}-{tag}"))?;
        credentials.push(format!("{}:{}", sensor.user, sensor.pass));
        url = Some(Url::parse(&sensor.console_uri)?);
    }
    let url = url.ok_or("no sensor")?;
    let spread = varied::Spread { newest: now_us(), window: 7 * DAY_US };
    let make = |sequence: u64| varied::upload(fixtures, &spread, sequence);
    if reuse {
        println!("bench query: reusing {} as it is", data.display());
    } else {
        eprintln!("[bench] filling {} with {events} events (32 connections)…", data.display());
        let config = LoadConfig { url: url.clone(), credentials: credentials.clone(), connections: 32, duration: Duration::from_secs(30 * 86_400), count: Some(events), rate: None };
        let filled = load::run(&make, &config, 0);
        println!(
            "fill: {} events in {:.0} s ({:.0} uploads/s, {} errors{})",
            filled.ok,
            filled.elapsed.as_secs_f64(),
            filled.per_second(),
            filled.errors,
            filled.first_error.as_deref().map(|error| format!(", first: {error}")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_secs(2)); // the deferred index flushes within 0.5 s
    }
    let stored = total_events(&mut console)?;
    let (bytes, allocated) = dir_size(data);
    println!(
        "data dir: {stored} events, {:.0} MB ({:.0} B/event; {:.0} B/event allocated); server RSS {}",
        bytes as f64 / 1e6,
        bytes as f64 / stored.max(1) as f64,
        allocated as f64 / stored.max(1) as f64,
        rss(&console)
    );

    let mut queries = queries(&mut console)?;
    // warm: each query once, so the first measured round does not pay for cold pages
    for query in &mut queries {
        let _ = console.get(&query.path);
    }
    let steady = |first: u64| {
        let config = LoadConfig { url: url.clone(), credentials: credentials.clone(), connections: 16, duration: phase, count: None, rate: Some(rate) };
        load::run(&make, &config, first)
    };
    let first = (now_us() / 1_000_000) as u64 * 10_000;
    if reuse {
        // a restarted server reads its pages from disk at first: without this the baseline is
        // the cold start and the ratio flatters the run with queries
        eprintln!("[bench] warming the reused data dir: ingest at {rate:.0}/s for {:.0} s (not measured)…", phase.as_secs_f64());
        steady(first + 10_000_000);
    }
    eprintln!("[bench] ingest at {rate:.0}/s for {:.0} s without queries…", phase.as_secs_f64());
    let quiet = steady(first);
    eprintln!("[bench] the same ingest with queries…");
    let busy = std::thread::scope(|scope| {
        let ingest = scope.spawn(|| steady(first + 5_000_000));
        let started = Instant::now();
        let mut round = 0usize;
        while !ingest.is_finished() && started.elapsed() < phase * 2 {
            let all = round % UNBUDGETED_EVERY == 0;
            round += 1;
            for query in queries.iter_mut().filter(|query| all || query.budget_ms.is_some()) {
                let sent = Instant::now();
                match console.get(&query.path) {
                    Ok((200, _)) => query.latencies_us.push(sent.elapsed().as_micros() as u64),
                    _ => query.failures += 1,
                }
            }
        }
        ingest.join().unwrap_or_default()
    });
    print_queries(&mut queries, rate);
    print_ingest(&quiet, &busy, rate);
    println!("server RSS after the queries: {}", rss(&console));
    Ok(())
}

fn rss(console: &Wafscope) -> String {
    console.rss_kib().map_or_else(|| "?".to_owned(), |kib| format!("{:.0} MB", kib as f64 / 1024.0))
}

/// Events stored in the last 8 days (the varied times reach 7 days back), by the stats API.
fn total_events(console: &mut Wafscope) -> Result<u64, String> {
    let stats = get_json(console, &format!("/api/v1/stats?from={}", (now_us() - 8 * DAY_US) / 1_000_000))?;
    stats.get("totals").and_then(|totals| totals.get("total")).and_then(Json::as_text).and_then(|text| text.parse().ok()).ok_or_else(|| "stats without totals.total".to_owned())
}

fn get_json(console: &mut Wafscope, path: &str) -> Result<Json, String> {
    let (status, body) = console.get(path)?;
    let text = String::from_utf8_lossy(&body);
    if status != 200 {
        return Err(format!("GET {path}: {status} {}", text.chars().take(200).collect::<String>()));
    }
    Json::parse(&text).map_err(|error| format!("GET {path}: {error}"))
}

/// The queries, with values taken from the data (top and tenth entries of the 7-day stats).
fn queries(console: &mut Wafscope) -> Result<Vec<Query>, String> {
    let now = now_us() / 1_000_000;
    let week = get_json(console, &format!("/api/v1/stats?from={}&top=10", now - 7 * 86_400))?;
    let entry = |list: &str, rank: usize| -> Result<String, String> {
        let entries = week.get(list).and_then(Json::as_array).ok_or_else(|| format!("stats without {list}"))?;
        let entry = entries.get(rank.min(entries.len().saturating_sub(1))).ok_or_else(|| format!("stats: {list} is empty"))?;
        entry.get("value").and_then(Json::as_text).map(str::to_owned).ok_or_else(|| format!("stats: {list} entry without value"))
    };
    let (rule, rare_rule) = (entry("rules", 0)?, entry("rules", 9)?);
    let (ip, tail_ip) = (entry("client_ips", 0)?, entry("client_ips", 9)?);
    let (host, sensor) = (entry("hosts", 0)?, entry("sensors", 0)?);
    let day = format!("from={}&to={now}", now - 86_400);
    let page = |name: &str, filter: String| Query {
        name: format!("events {name}"),
        path: format!("/api/v1/events?limit=50{}{filter}", if filter.is_empty() { "" } else { "&" }),
        budget_ms: Some(PAGE_BUDGET_MS),
        latencies_us: Vec::new(),
        failures: 0,
    };
    let stats = |name: &str, filter: String, budget_ms: Option<f64>| Query { name: format!("stats {name}"), path: format!("/api/v1/stats?{filter}"), budget_ms, latencies_us: Vec::new(), failures: 0 };
    Ok(vec![
        page("newest", String::new()),
        page("sensor=", format!("sensor={}", percent(&sensor))),
        page("host=", format!("host={}", percent(&host))),
        page("ip= (top)", format!("ip={}", percent(&ip))),
        page("ip= (10th)", format!("ip={}", percent(&tail_ip))),
        page("ip= CIDR /8", format!("ip={}", percent(&cidr8(&ip)))),
        page("rule= (top)", format!("rule={rule}")),
        page("rule= (10th)", format!("rule={rare_rule}")),
        page("action=blocked", "action=blocked".to_owned()),
        page("status=403", "status=403".to_owned()),
        page("!action=blocked", "action=!blocked".to_owned()),
        page("host= rule=", format!("host={}&rule={rare_rule}", percent(&host))),
        page("last 24 h", day.clone()),
        page("path=/app1", "path=/app1".to_owned()),
        stats("24 h", day.clone(), Some(STATS_BUDGET_MS)),
        stats("7 d", format!("from={}&to={now}", now - 7 * 86_400), None),
        stats("24 h sensor=", format!("{day}&sensor={}", percent(&sensor)), None),
        stats("24 h rule=", format!("{day}&rule={rule}"), None),
    ])
}

/// `a.b.c.d` → `a.0.0.0/8` (IPv6 stays as it is).
fn cidr8(ip: &str) -> String {
    match ip.split_once('.') {
        Some((first, _)) if !ip.contains(':') => format!("{first}.0.0.0/8"),
        _ => ip.to_owned(),
    }
}

fn percentile_ms(sorted: &[u64], percent: usize) -> f64 {
    sorted.get((sorted.len() * percent / 100).min(sorted.len().saturating_sub(1))).map_or(f64::NAN, |&us| us as f64 / 1000.0)
}

fn print_queries(queries: &mut [Query], rate: f64) {
    println!("queries while ingesting at {rate:.0}/s (one client, sequential):");
    println!("{:<22} {:>6} {:>8} {:>8} {:>8} {:>9}  {}", "query", "n", "p50 ms", "p95 ms", "max ms", "budget", "");
    for query in queries.iter_mut() {
        query.latencies_us.sort_unstable();
        let p95 = percentile_ms(&query.latencies_us, 95);
        let verdict = match query.budget_ms {
            Some(budget) if p95 < budget => "ok",
            Some(_) => "OVER BUDGET",
            None => "",
        };
        println!(
            "{:<22} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>9}  {verdict}{}",
            query.name,
            query.latencies_us.len(),
            percentile_ms(&query.latencies_us, 50),
            p95,
            query.latencies_us.last().map_or(f64::NAN, |&us| us as f64 / 1000.0),
            query.budget_ms.map_or_else(|| "-".to_owned(), |budget| format!("< {budget:.0}")),
            if query.failures > 0 { format!(" ({} failed)", query.failures) } else { String::new() }
        );
    }
}

fn print_ingest(quiet: &LoadResult, busy: &LoadResult, rate: f64) {
    for (name, result) in [("without queries", quiet), ("with queries", busy)] {
        println!(
            "ingest {name:<16} {:>8.1} uploads/s of {rate:.0} offered, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            result.per_second(),
            result.percentile_ms(50),
            result.percentile_ms(99),
            result.errors
        );
    }
    let ratio = busy.per_second() / quiet.per_second().max(1e-9);
    println!("ingest with/without queries: {ratio:.3} (budget >= {INGEST_BUDGET}) {}", if ratio >= INGEST_BUDGET { "ok" } else { "OVER BUDGET" });
}
