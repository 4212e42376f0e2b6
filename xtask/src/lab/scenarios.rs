//! `lab test`: the real-peer scenarios.  Each one gets a fresh temp dir (mode 0755) holding the
//! lab work dir, the console's data dir and logs; a drop guard takes the lab down whatever
//! happens.  Ends with exactly one line `N passed, M failed`.

use super::apache::{self, UpOptions};
use super::console::{Console, StandIn};
use super::nginx::{self, V3Options};
use super::traffic::{self, TrafficOptions};
use super::wafscope::Wafscope;
use super::{cases, expected, procs, workdir};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Fewer logged events than this means the lab itself is broken.
const MIN_LOGGED: usize = 15;
/// mlogc retries a failing console after ServerErrorTimeout (5 s) + up to 5 s; leave room.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    MlogcHttp,
    MlogcOutage,
    MlogcHttps,
    V3Https,
    TuningV2,
    TuningV3,
}

struct Scenario {
    name: &'static str,
    kind: Kind,
}

const SCENARIOS: &[Scenario] = &[
    Scenario { name: "mlogc-http", kind: Kind::MlogcHttp },
    Scenario { name: "mlogc-kill9-restart", kind: Kind::MlogcOutage },
    Scenario { name: "mlogc-https-json", kind: Kind::MlogcHttps },
    Scenario { name: "v3-nginx-https-writer", kind: Kind::V3Https },
    Scenario { name: "tuning-apache", kind: Kind::TuningV2 },
    Scenario { name: "tuning-nginx", kind: Kind::TuningV3 },
];

/// Which console the scenarios run against.
pub enum Target {
    /// the release binary
    Wafscope(PathBuf),
    /// `lab stand-in` (lab self-check; no TLS, so the https scenario is skipped)
    StandIn,
}

/// Takes the lab in a work dir down when dropped.
struct LabGuard(PathBuf);

impl Drop for LabGuard {
    fn drop(&mut self) {
        if workdir::is_lab_dir(&self.0)
            && let Err(error) = apache::down(&self.0)
        {
            eprintln!("[lab] down {}: {error}", self.0.display());
        }
    }
}

/// Runs the scenarios whose name starts with one of `only` (all by default).
pub fn run(target: &Target, only: Option<&str>, keep: bool) -> Result<(), String> {
    if let Target::Wafscope(binary) = target
        && !binary.is_file()
    {
        return Err(format!("{} is missing: run `cargo xtask build` first", binary.display()));
    }
    // a word selects the scenario of that exact name, or else every name it prefixes
    let words: Vec<&str> = only.map(|only| only.split(',').filter(|word| !word.is_empty()).collect()).unwrap_or_default();
    let chosen = |name: &str| {
        words.is_empty() || words.iter().any(|word| *word == name || (!SCENARIOS.iter().any(|scenario| scenario.name == *word) && name.starts_with(word)))
    };
    let selected: Vec<&Scenario> = SCENARIOS.iter().filter(|scenario| chosen(scenario.name)).collect();
    if selected.is_empty() {
        return Err(format!("--only {only:?} selects no scenario"));
    }
    let (mut passed, mut failed) = (0, 0);
    for scenario in selected {
        if matches!(target, Target::StandIn) && scenario.kind == Kind::MlogcHttps {
            println!("skip   {}: the stand-in speaks no TLS", scenario.name);
            continue;
        }
        if matches!(target, Target::StandIn) && matches!(scenario.kind, Kind::TuningV2 | Kind::TuningV3) {
            println!("skip   {}: the stand-in has no tuning API", scenario.name);
            continue;
        }
        eprintln!("\n[lab] scenario {}", scenario.name);
        let started = Instant::now();
        let root = workdir::temp_dir(&format!("wafscope-lab-{}", scenario.name))?;
        let outcome = run_one(target, scenario.kind, &root);
        let seconds = started.elapsed().as_secs_f64();
        match outcome {
            Ok(detail) => {
                passed += 1;
                println!("ok     {}: {detail} ({seconds:.1} s)", scenario.name);
                if !keep {
                    let _ = std::fs::remove_dir_all(&root);
                }
            }
            Err(reason) => {
                failed += 1;
                let (first, details) = reason.split_once('\n').unwrap_or((&reason, ""));
                if !details.is_empty() {
                    eprintln!("[lab] {} failed:\n{reason}", scenario.name);
                }
                println!("FAILED {}: {first} ({seconds:.1} s; files kept in {})", scenario.name, root.display());
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { Err(format!("{failed} lab scenario(s) failed")) } else { Ok(()) }
}

fn run_one(target: &Target, kind: Kind, root: &Path) -> Result<String, String> {
    let logs = root.join("logs");
    let data = root.join("data");
    std::fs::create_dir_all(&logs).map_err(|error| format!("{}: {error}", logs.display()))?;
    if let (Target::Wafscope(binary), Kind::TuningV2 | Kind::TuningV3) = (target, kind) {
        return run_tuning(binary, kind, root, &data, &logs);
    }
    let mut console: Box<dyn Console> = match target {
        Target::Wafscope(binary) => Box::new(Wafscope::start(binary, &data, &logs, kind == Kind::MlogcHttps)?),
        Target::StandIn => Box::new(StandIn::start(&logs)?),
    };
    eprintln!("[lab] console on {}", console.base_url());
    let lab = workdir::absolute(&workdir::text(&root.join("lab")))?;
    let _guard = LabGuard(lab.clone());
    let sensor = console.add_sensor(match kind {
        Kind::MlogcHttp => "lab-mlogc",
        Kind::MlogcOutage => "lab-outage",
        Kind::MlogcHttps => "lab-tls",
        Kind::V3Https | Kind::TuningV2 | Kind::TuningV3 => "lab-v3",
    })?;
    let started = if kind == Kind::V3Https {
        nginx::up(&lab, &V3Options { url: sensor.v3_url.clone(), parts: "ABIJDEFHZ".to_owned(), port: None })?
    } else {
        let options = UpOptions {
            console: sensor.console_uri.clone(),
            user: sensor.user.clone(),
            pass: sensor.pass.clone(),
            json: kind == Kind::MlogcHttps,
            insecure: kind == Kind::MlogcHttps,
            parts: "ABIJDEFHZ".to_owned(),
            port: None,
        };
        apache::up(&lab, &options)?
    };
    eprintln!("[lab] {}", started.line(&lab));
    let options = TrafficOptions { repeat: 1, cases: None, delay: Duration::ZERO };
    let summary = if kind == Kind::MlogcOutage { traffic_with_outage(&lab, console.as_mut())? } else { traffic::run(&lab, &options, None)? };
    let drained = expected::drain(&lab, DRAIN_TIMEOUT)?;
    eprintln!("[lab] {drained}");
    let expected_ids = expected::expected_ids(&lab)?;
    let stored = console.stored_ids(&sensor)?;
    let verdict = compare(&expected_ids, &stored)?;
    Ok(format!("{verdict}; {} requests", summary.requests))
}

/// The tuning loop (`tuning.rs`) on Apache + mlogc or nginx + libmodsecurity 3.
fn run_tuning(binary: &Path, kind: Kind, root: &Path, data: &Path, logs: &Path) -> Result<String, String> {
    let mut console = Wafscope::start(binary, data, logs, false)?;
    eprintln!("[lab] console on {}", console.base_url());
    let lab = workdir::absolute(&workdir::text(&root.join("lab")))?;
    let _guard = LabGuard(lab.clone());
    let engine = if kind == Kind::TuningV2 { super::tuning::Engine::V2 } else { super::tuning::Engine::V3 };
    let sensor = console.add_sensor(if engine == super::tuning::Engine::V2 { "lab-tuning-v2" } else { "lab-tuning-v3" })?;
    let started = match engine {
        super::tuning::Engine::V2 => apache::up(
            &lab,
            &UpOptions {
                console: sensor.console_uri.clone(),
                user: sensor.user.clone(),
                pass: sensor.pass.clone(),
                json: false,
                insecure: false,
                parts: "ABIJDEFHZ".to_owned(),
                port: None,
            },
        )?,
        super::tuning::Engine::V3 => nginx::up(&lab, &V3Options { url: sensor.v3_url.clone(), parts: "ABIJDEFHZ".to_owned(), port: None })?,
    };
    eprintln!("[lab] {}", started.line(&lab));
    super::tuning::run(&mut console, &lab, &sensor, engine)
}

/// Traffic paced over a few seconds; SIGKILL to the console after about a third of it, restart
/// on the same port and data once the traffic is done.
fn traffic_with_outage(lab: &Path, console: &mut dyn Console) -> Result<traffic::TrafficSummary, String> {
    let total: usize = cases::all().iter().map(cases::Case::responses).sum();
    let progress = AtomicUsize::new(0);
    let options = TrafficOptions { repeat: 1, cases: None, delay: Duration::from_millis(100) };
    let summary = std::thread::scope(|scope| {
        let traffic = scope.spawn(|| traffic::run(lab, &options, Some(&progress)));
        procs::wait_until(Duration::from_secs(120), Duration::from_millis(20), || progress.load(Ordering::SeqCst) >= total / 3 || traffic.is_finished());
        eprintln!("[lab] kill -9 of the console after {} of {total} requests", progress.load(Ordering::SeqCst));
        let killed = console.kill9();
        let summary = traffic.join().map_err(|_| "the traffic thread panicked".to_owned())?;
        killed.map(|()| summary)
    })??;
    std::thread::sleep(Duration::from_secs(1));
    console.restart()?;
    eprintln!("[lab] console restarted on {} (same port, same data)", console.base_url());
    Ok(summary)
}

/// Expected ids == stored ids, as sets, and nothing stored twice.
fn compare(expected: &[String], stored: &[String]) -> Result<String, String> {
    let expected_set: BTreeSet<&String> = expected.iter().collect();
    let stored_set: BTreeSet<&String> = stored.iter().collect();
    let missing: Vec<&&String> = expected_set.difference(&stored_set).collect();
    let unexpected: Vec<&&String> = stored_set.difference(&expected_set).collect();
    let repeats = stored.len() - stored_set.len();
    let counts = format!("logged {} stored {} (distinct {})", expected_set.len(), stored.len(), stored_set.len());
    if expected_set.len() < MIN_LOGGED {
        return Err(format!("{counts}: the lab logged fewer than {MIN_LOGGED} events, so it is broken itself"));
    }
    if missing.is_empty() && unexpected.is_empty() && repeats == 0 {
        return Ok(format!("{} events logged, each stored exactly once", expected_set.len()));
    }
    let first = |ids: &[&&String]| ids.iter().take(5).map(|id| id.as_str()).collect::<Vec<_>>().join(" ");
    Err(format!(
        "{counts}: {} missing [{}], {} unexpected [{}], {repeats} stored more than once",
        missing.len(),
        first(&missing),
        unexpected.len(),
        first(&unexpected)
    ))
}

#[cfg(test)]
mod tests {
    use super::compare;

    fn ids(count: usize) -> Vec<String> {
        (0..count).map(|index| format!("id{index}")).collect()
    }

    #[test]
    fn compares_as_sets_and_counts_repeats() {
        assert!(compare(&ids(20), &ids(20).into_iter().rev().collect::<Vec<_>>()).is_ok());
        let mut twice = ids(20);
        twice.push("id3".to_owned());
        assert!(compare(&ids(20), &twice).unwrap_err().contains("1 stored more than once"));
        assert!(compare(&ids(20), &ids(19)).unwrap_err().contains("1 missing [id19]"));
        assert!(compare(&ids(3), &ids(3)).is_err());
    }
}
