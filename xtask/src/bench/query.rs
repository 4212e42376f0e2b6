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
     and /api/v1/stats (24 h, 7 d, filtered) and /api/v1/tuning (24 h, < 500 ms at p95);
  3. a purge: the server restarts with a disk budget of 60 % of the file (WAFSCOPE_MAX_DISK), and
     the same ingest runs while retention deletes the oldest events (compared with step 1), then
     once more after it;
and prints each query's p50/p95/max latency under that ingest against its budget (first pages
< 50 ms, 24 h stats < 100 ms, 7 d and 24 h rule=/ip= stats < 200 ms at p95; queries without a
budget run every 5th round only), the ingest rate with queries / without (budget >= 0.9), during
the purge / without (>= 0.9), the acknowledgement p99 at the steady rate (< 100 ms), the data
dir against the raw bytes uploaded (<= 0.35) and the server's RSS after the fill and after the
queries (<= 300 MB), then all budgets in one summary.
";

const DAY_US: i64 = 86_400_000_000;
const PAGE_BUDGET_MS: f64 = 50.0;
const STATS_BUDGET_MS: f64 = 100.0;
const SLOW_STATS_BUDGET_MS: f64 = 200.0;
/// `/api/v1/tuning` over 24 h (the triage issue's budget).
const TUNING_BUDGET_MS: f64 = 500.0;
const INGEST_BUDGET: f64 = 0.9;
const PURGE_BUDGET: f64 = 0.9;
const ACK_P99_BUDGET_MS: f64 = 100.0;
const DATA_RATIO_BUDGET: f64 = 0.35;
const RSS_BUDGET_MB: f64 = 300.0;
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
    // what the fill uploads, on average (the varied uploads differ a little from the fixtures)
    let mean_raw = (0..2000u64).map(|sequence| make(sequence).body.len() as f64).sum::<f64>() / 2000.0;
    let mut summary: Vec<(String, String, String, bool)> = Vec::new();
    if reuse {
        println!("bench query: reusing {} as it is", data.display());
    } else {
        eprintln!("[bench] filling {} with {events} events (32 connections)…", data.display());
        let config = LoadConfig {
            url: url.clone(),
            credentials: credentials.clone(),
            connections: 32,
            duration: Duration::from_secs(30 * 86_400),
            count: Some(events),
            rate: None,
        };
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
        "data dir: {stored} events, {:.0} MB ({:.0} B/event; {:.0} B/event allocated; raw uploads {mean_raw:.0} B/event); server RSS {}",
        bytes as f64 / 1e6,
        bytes as f64 / stored.max(1) as f64,
        allocated as f64 / stored.max(1) as f64,
        rss(&console)
    );
    let ratio = allocated as f64 / (stored.max(1) as f64 * mean_raw);
    summary.push(("data dir / raw uploaded".into(), format!("{ratio:.2}"), format!("<= {DATA_RATIO_BUDGET}"), ratio <= DATA_RATIO_BUDGET));
    let rss_after_fill = rss_mb(&console);
    summary.push(("RSS after the fill".into(), format!("{rss_after_fill:.0} MB"), format!("<= {RSS_BUDGET_MB:.0} MB"), rss_after_fill <= RSS_BUDGET_MB));

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
            let all = round.is_multiple_of(UNBUDGETED_EVERY);
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
    print_queries(&mut queries, rate, &mut summary);
    print_ingest(&quiet, &busy, rate, &mut summary);
    println!("server RSS after the queries: {}", rss(&console));
    let rss_after_queries = rss_mb(&console);
    summary.push((
        "RSS after the queries".into(),
        format!("{rss_after_queries:.0} MB"),
        format!("<= {RSS_BUDGET_MB:.0} MB"),
        rss_after_queries <= RSS_BUDGET_MB,
    ));

    // 3. a purge under the same ingest: a budget below the file makes retention delete the oldest
    let file = std::fs::metadata(data.join("wafscope.redb")).map(|meta| meta.len()).unwrap_or(0);
    // (the file is not full: redb doubles it; 60 % makes sure the budget bites)
    let budget = file / 100 * 60;
    eprintln!("[bench] restarting with a disk budget of {budget} bytes (60 % of the file): ingest while retention purges…");
    console.restart_with_env(&[("WAFSCOPE_MAX_DISK", budget.to_string())])?;
    let before_purge = storage_events(&mut console);
    let purging = steady(first + 20_000_000);
    let during = storage_events(&mut console);
    // wait until the purge is over (the event count stops falling), then the baseline
    let mut last = during;
    for _ in 0..600 {
        std::thread::sleep(Duration::from_secs(1));
        let now = storage_events(&mut console);
        if now >= last {
            break;
        }
        last = now;
    }
    let after = steady(first + 30_000_000);
    println!("purge: events {before_purge} at the restart, {during} after {:.0} s of ingest, {last} when it ended", phase.as_secs_f64());
    print_rates(&[("during the purge", &purging), ("after the purge", &after)], rate);
    // the baseline is the ingest without queries of step 1 (same offered rate, warm server)
    let purged = (before_purge + purging.ok).saturating_sub(during);
    println!("purge: {purged} events deleted during the {:.0} s of ingest", phase.as_secs_f64());
    let purge_ratio = purging.per_second() / quiet.per_second().max(1e-9);
    summary.push((
        "ingest during a purge / without".into(),
        format!("{purge_ratio:.3}"),
        format!(">= {PURGE_BUDGET}"),
        purge_ratio >= PURGE_BUDGET && purged > 0,
    ));

    println!("budgets (one run):");
    for (name, value, budget, ok) in &summary {
        println!("  {name:<32} {value:>12}  {budget:<12} {}", if *ok { "ok" } else { "OVER BUDGET" });
    }
    Ok(())
}

/// Events the console holds, from `/api/v1/storage` (0 when it does not answer).
fn storage_events(console: &mut Wafscope) -> u64 {
    get_json(console, "/api/v1/storage").ok().and_then(|storage| storage.get("events").and_then(Json::as_text).and_then(|text| text.parse().ok())).unwrap_or(0)
}

fn rss_mb(console: &Wafscope) -> f64 {
    console.rss_kib().map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

fn rss(console: &Wafscope) -> String {
    console.rss_kib().map_or_else(|| "?".to_owned(), |kib| format!("{:.0} MB", kib as f64 / 1024.0))
}

/// Events stored in the last 8 days (the varied times reach 7 days back), by the stats API.
fn total_events(console: &mut Wafscope) -> Result<u64, String> {
    let stats = get_json(console, &format!("/api/v1/stats?from={}", (now_us() - 8 * DAY_US) / 1_000_000))?;
    stats
        .get("totals")
        .and_then(|totals| totals.get("total"))
        .and_then(Json::as_text)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| "stats without totals.total".to_owned())
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
    let stats = |name: &str, filter: String, budget_ms: Option<f64>| Query {
        name: format!("stats {name}"),
        path: format!("/api/v1/stats?{filter}"),
        budget_ms,
        latencies_us: Vec::new(),
        failures: 0,
    };
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
        stats("7 d", format!("from={}&to={now}", now - 7 * 86_400), Some(SLOW_STATS_BUDGET_MS)),
        stats("24 h sensor=", format!("{day}&sensor={}", percent(&sensor)), None),
        stats("24 h rule=", format!("{day}&rule={rule}"), Some(SLOW_STATS_BUDGET_MS)),
        stats("24 h ip=", format!("{day}&ip={}", percent(&ip)), Some(SLOW_STATS_BUDGET_MS)),
        Query { name: "tuning 24 h".to_owned(), path: format!("/api/v1/tuning?{day}"), budget_ms: Some(TUNING_BUDGET_MS), ..stats("", String::new(), None) },
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

fn print_queries(queries: &mut [Query], rate: f64, summary: &mut Vec<(String, String, String, bool)>) {
    println!("queries while ingesting at {rate:.0}/s (one client, sequential):");
    println!("{:<22} {:>6} {:>8} {:>8} {:>8} {:>9}", "query", "n", "p50 ms", "p95 ms", "max ms", "budget");
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
    // one line per budget: the worst first page, then each budgeted stats query
    let pages: Vec<&Query> = queries.iter().filter(|query| query.name.starts_with("events ")).collect();
    if let Some(worst) = pages.iter().max_by(|a, b| percentile_ms(&a.latencies_us, 95).total_cmp(&percentile_ms(&b.latencies_us, 95))) {
        let p95 = percentile_ms(&worst.latencies_us, 95);
        summary.push((
            format!("worst first page p95 ({})", worst.name.trim_start_matches("events ")),
            format!("{p95:.1} ms"),
            format!("< {PAGE_BUDGET_MS:.0} ms"),
            p95 < PAGE_BUDGET_MS,
        ));
    }
    for query in queries.iter().filter(|query| query.name.starts_with("stats ") || query.name.starts_with("tuning ")) {
        if let Some(budget) = query.budget_ms {
            let p95 = percentile_ms(&query.latencies_us, 95);
            summary.push((format!("{} p95", query.name), format!("{p95:.1} ms"), format!("< {budget:.0} ms"), p95 < budget));
        }
    }
}

fn print_rates(runs: &[(&str, &LoadResult)], rate: f64) {
    for (name, result) in runs {
        println!(
            "ingest {name:<16} {:>8.1} uploads/s of {rate:.0} offered, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            result.per_second(),
            result.percentile_ms(50),
            result.percentile_ms(99),
            result.errors
        );
    }
}

fn print_ingest(quiet: &LoadResult, busy: &LoadResult, rate: f64, summary: &mut Vec<(String, String, String, bool)>) {
    print_rates(&[("without queries", quiet), ("with queries", busy)], rate);
    let ratio = busy.per_second() / quiet.per_second().max(1e-9);
    println!("ingest with/without queries: {ratio:.3} (budget >= {INGEST_BUDGET}) {}", if ratio >= INGEST_BUDGET { "ok" } else { "OVER BUDGET" });
    summary.push(("ingest with/without queries".into(), format!("{ratio:.3}"), format!(">= {INGEST_BUDGET}"), ratio >= INGEST_BUDGET));
    let p99 = quiet.percentile_ms(99);
    summary.push((format!("acknowledgement p99 at {rate:.0}/s"), format!("{p99:.1} ms"), format!("< {ACK_P99_BUDGET_MS:.0} ms"), p99 < ACK_P99_BUDGET_MS));
}
