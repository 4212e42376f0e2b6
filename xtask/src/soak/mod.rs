//! `cargo xtask soak`: the release binary under sustained, realistic use for a while, killed
//! with SIGKILL and restarted every so often; prints the server's memory, descriptors and
//! threads over time and checks at the end that nothing acknowledged was lost or stored twice.

mod check;
mod live;
mod queries;
mod report;
mod samples;
mod seed;
mod senders;

use crate::bench::uploads::{self, Fixture};
use crate::lab::args::Args;
use crate::lab::http::{self, Url};
use crate::lab::workdir;
use crate::lab::{Console, Sensor, Wafscope};
use crate::process::{TaskResult, root};
use crate::tasks::RELEASE_BINARY;
use samples::Sample;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const HELP: &str = "\
usage: cargo xtask soak [--minutes N | --seconds N] [--kill-every S] [--sensors N] [--rate R]
                        [--live N] [--old-events N] [--binary PATH] [--keep]

Runs target/release/wafscope (`cargo xtask build`) with a fresh data dir for N minutes (default
10) under sustained use, and SIGKILLs and restarts it every S seconds (default 90):
  - N sensors (default 4) upload mlogc's captured entries (fresh unique ids) at R uploads/s in
    all (default 40), retrying as mlogc does until answered 200, and after every reconnection
    sending the last acknowledged upload again (a resend: must be answered 200, stored once);
  - --live clients (default 2) follow GET /api/v1/live, resuming with Last-Event-ID;
  - an operator loop asks the dashboard's and the Events page's queries;
  - --old-events (default 10000), imported 30 days back under faketime before the first start
    (sensor `aged`), are removed by the retention purge (--retain-days 7) while all this runs.
The server gets the smallest page cache (--cache-mb 16), so a full cache is reached early and
growth after it means a leak. Every few seconds it prints the server's RSS, open file
descriptors and threads. At the end (budgets):
  - every upload answered 200 is stored exactly once: 0 lost, 0 duplicated;
  - every live client received every acknowledged event exactly once, and nothing unstored;
  - every old event purged; no query and no upload answered other than 200 (a refused or cut
    connection while the console is down is expected and counted apart);
  - RSS and open descriptors flat: the mean over the last minute at most 10 % above the mean
    over the second minute (for runs under 6 minutes: the last and the second sixth).
The data dir is removed afterwards unless --keep is given or a budget failed.
";

/// Growth allowed between the early and the late window.
const TOLERANCE: f64 = 0.10;
/// How long the live clients may take to deliver the last events after the sensors stop.
const CATCH_UP: Duration = Duration::from_secs(30);
/// Prefix of the soak's sensor names (`soak-s1`, …).
const SENSOR_PREFIX: &str = "soak-s";

struct Settings {
    total: Duration,
    kill_every: Duration,
    sensors: usize,
    rate: f64,
    live: usize,
    old_events: u64,
    binary: PathBuf,
    keep: bool,
}

impl Settings {
    fn parse(raw: &[String]) -> Result<Settings, String> {
        let args = Args::parse(raw, &["--minutes", "--seconds", "--kill-every", "--sensors", "--rate", "--live", "--old-events", "--binary"], &["--keep"])?;
        args.at_most(0)?;
        let seconds = match (args.value("--seconds"), args.value("--minutes")) {
            (Some(_), Some(_)) => return Err("give --minutes or --seconds, not both".to_owned()),
            (Some(_), None) => args.number("--seconds", 600.0)?,
            (None, _) => args.number("--minutes", 10.0)? * 60.0,
        };
        let settings = Settings {
            total: Duration::from_secs_f64(seconds),
            kill_every: Duration::from_secs_f64(args.number("--kill-every", 90.0)?),
            sensors: args.number("--sensors", 4)?,
            rate: args.number("--rate", 40.0)?,
            live: args.number("--live", 2)?,
            old_events: args.number("--old-events", 10_000)?,
            binary: args.value("--binary").map_or_else(|| root().join(RELEASE_BINARY), PathBuf::from),
            keep: args.flag("--keep"),
        };
        if seconds < 30.0 || settings.kill_every.as_secs_f64() < 5.0 || settings.sensors == 0 || settings.rate <= 0.0 {
            return Err("a soak takes at least 30 s, kills at most every 5 s, and needs a sensor and a rate above 0".to_owned());
        }
        Ok(settings)
    }
}

/// Runs `cargo xtask soak ARGS`.
pub fn run(raw: &[String]) -> TaskResult {
    if raw.first().is_some_and(|word| matches!(word.as_str(), "help" | "--help" | "-h")) {
        print!("{HELP}");
        return Ok(());
    }
    let settings = Settings::parse(raw)?;
    if !settings.binary.is_file() {
        return Err(format!("{} is missing: run `cargo xtask build` first (or pass --binary)", settings.binary.display()));
    }
    let fixtures = uploads::load(&root().join("fixtures/corpus/mlogc-captured"))?;
    let scratch = workdir::temp_dir("wafscope-soak")?;
    let result = soak(&settings, &fixtures, &scratch);
    if result.is_ok() && !settings.keep {
        let _ = std::fs::remove_dir_all(&scratch);
    } else {
        eprintln!("[soak] data dir and logs kept in {}", scratch.display());
    }
    result
}

/// Everything the clients recorded.
struct Clients {
    ingest: senders::Ingest,
    live: Vec<live::LiveClient>,
    queries: queries::Queries,
}

/// What the main loop recorded.
#[derive(Default)]
struct Timeline {
    samples: Vec<Sample>,
    /// seconds each restart took (kill to `listening on`)
    restarts: Vec<f64>,
    /// when no old event was left, seconds since the start
    purged_at: Option<f64>,
}

fn soak(settings: &Settings, fixtures: &[Fixture], scratch: &Path) -> TaskResult {
    let data = scratch.join("data");
    let logs = scratch.join("logs");
    std::fs::create_dir_all(&logs).map_err(|error| format!("{}: {error}", logs.display()))?;
    eprintln!("[soak] importing {} old events 30 days back (faketime)", settings.old_events);
    seed::old_events(&settings.binary, &data, scratch, fixtures, settings.old_events)?;
    let env = [("WAFSCOPE_RETAIN_DAYS", seed::RETAIN_DAYS.to_string()), ("WAFSCOPE_CACHE_MB", "16".to_owned())];
    let mut console = Wafscope::start_with_env(&settings.binary, &data, &logs, false, &env)?;
    let sensors: Vec<Sensor> = (1..=settings.sensors).map(|index| console.add_sensor(&format!("{SENSOR_PREFIX}{index}"))).collect::<Result<_, _>>()?;
    let loads: Vec<senders::SensorLoad> = sensors
        .iter()
        .map(|sensor| {
            Ok(senders::SensorLoad {
                name: sensor.name.clone(),
                url: Url::parse(&sensor.console_uri)?,
                authorization: http::base64(format!("{}:{}", sensor.user, sensor.pass).as_bytes()),
            })
        })
        .collect::<Result<_, String>>()?;
    let token = console.token()?;
    let base = Url::parse(&console.base_url())?;
    let clients = Clients {
        ingest: senders::Ingest::new(loads.len()),
        live: (0..settings.live).map(|_| live::LiveClient::default()).collect(),
        queries: Default::default(),
    };
    eprintln!(
        "[soak] {:.0} s: {} sensors at {} uploads/s in all, {} live clients, an operator, SIGKILL every {:.0} s; server {}",
        settings.total.as_secs_f64(),
        loads.len(),
        settings.rate,
        settings.live,
        settings.kill_every.as_secs_f64(),
        base.base()
    );
    let timeline = drive(settings, fixtures, &mut console, &loads, &token, &base, &clients)?;
    report::report(settings, &mut console, &sensors, &clients, &timeline)
}

/// Starts the clients, samples and kills the server on schedule, stops the clients.
fn drive(
    settings: &Settings,
    fixtures: &[Fixture],
    console: &mut Wafscope,
    loads: &[senders::SensorLoad],
    token: &str,
    base: &Url,
    clients: &Clients,
) -> Result<Timeline, String> {
    let stop_sensors = AtomicBool::new(false);
    let stop_readers = AtomicBool::new(false);
    let next_number = AtomicU64::new(0);
    let per_sensor = settings.rate / loads.len() as f64;
    let sample_every = Duration::from_secs_f64((settings.total.as_secs_f64() / 120.0).clamp(1.0, 5.0));
    let print_every = (settings.total.as_secs_f64() / 30.0).max(sample_every.as_secs_f64());
    std::thread::scope(|scope| {
        let sending: Vec<_> = loads
            .iter()
            .enumerate()
            .map(|(index, load)| {
                let (stop, next) = (&stop_sensors, &next_number);
                scope.spawn(move || senders::run(index, load, fixtures, next, per_sensor, stop, &clients.ingest))
            })
            .collect();
        for client in &clients.live {
            let stop = &stop_readers;
            scope.spawn(move || live::run(base, token, SENSOR_PREFIX, stop, client));
        }
        let operator_sensor = &loads[0].name;
        scope.spawn(|| queries::run(base, token, operator_sensor, &stop_readers, &clients.queries));

        let result = schedule(settings, console, clients, sample_every, print_every);
        stop_sensors.store(true, Ordering::Relaxed);
        for handle in sending {
            let _ = handle.join();
        }
        // the live clients deliver what was acknowledged last
        let acked: std::collections::HashSet<String> = clients.ingest.acked().into_iter().flatten().collect();
        let deadline = Instant::now() + CATCH_UP;
        while Instant::now() < deadline && clients.live.iter().any(|client| client.missing(&acked) > 0) {
            std::thread::sleep(Duration::from_millis(200));
        }
        stop_readers.store(true, Ordering::Relaxed);
        result
    })
}

/// The main loop: samples every `sample_every`, kills and restarts on schedule.
fn schedule(settings: &Settings, console: &mut Wafscope, clients: &Clients, sample_every: Duration, print_every: f64) -> Result<Timeline, String> {
    let mut timeline = Timeline::default();
    let started = Instant::now();
    let mut next_kill = settings.kill_every;
    let mut next_print = 0.0;
    let mut life = 0u32;
    println!("{:>7} {:>4} {:>8} {:>5} {:>7} {:>8} {:>8} {:>8} {:>5}", "t s", "life", "RSS MiB", "fds", "threads", "acked", "live", "queries", "old");
    while started.elapsed() < settings.total {
        if started.elapsed() >= next_kill {
            let pid = console.pid().unwrap_or(0);
            console.kill9()?;
            let killed = Instant::now();
            console.restart()?;
            timeline.restarts.push(killed.elapsed().as_secs_f64());
            life += 1;
            next_kill += settings.kill_every;
            eprintln!(
                "[soak] {:.1} s: SIGKILL #{life} (pid {pid}), listening again after {:.2} s",
                started.elapsed().as_secs_f64(),
                killed.elapsed().as_secs_f64()
            );
        }
        let at = started.elapsed().as_secs_f64();
        if timeline.purged_at.is_none() && report::old_events_left(console) == Some(0) {
            timeline.purged_at = Some(at);
        }
        if let Some((rss_kib, fds, threads)) = console.pid().and_then(samples::read_proc) {
            let sample = Sample { at, life, rss_kib, fds, threads };
            timeline.samples.push(sample);
            if at >= next_print {
                next_print += print_every;
                let live = clients.live.iter().map(live::LiveClient::seen_count).min().unwrap_or(0);
                println!(
                    "{at:>7.1} {life:>4} {:>8.1} {fds:>5} {threads:>7} {:>8} {live:>8} {:>8} {:>5}",
                    rss_kib as f64 / 1024.0,
                    clients.ingest.acked_count(),
                    clients.queries.answered(),
                    if timeline.purged_at.is_some() { "gone" } else { "left" },
                );
            }
        }
        std::thread::sleep(sample_every.min(settings.total.saturating_sub(started.elapsed())));
    }
    Ok(timeline)
}
