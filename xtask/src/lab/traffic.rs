//! `lab traffic`: sends the cases over raw `TcpStream`s (so odd requests go out exactly as
//! written) and appends one manifest line per response: case, status, `X-Unique-ID`.

use super::cases::{self, Case, HOST};
use super::http::{self, Url};
use super::json::quote;
use super::workdir::LabEnv;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufReader, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What to send.
pub struct TrafficOptions {
    pub repeat: usize,
    pub cases: Option<String>,
    /// pause between requests
    pub delay: Duration,
}

/// What happened.
#[derive(Default)]
pub struct TrafficSummary {
    pub requests: usize,
    pub with_id: usize,
    pub no_response: usize,
    pub statuses: BTreeMap<u16, usize>,
}

impl TrafficSummary {
    pub fn line(&self) -> String {
        let statuses: Vec<String> = self.statuses.iter().map(|(status, count)| format!("{status}:{count}")).collect();
        format!("requests={} ids={} no_response={} statuses={}", self.requests, self.with_id, self.no_response, statuses.join(","))
    }
}

/// One response as the manifest records it.
struct Outcome {
    status: Option<u16>,
    unique_id: Option<String>,
}

/// Sends the selected cases `repeat` times; `progress` counts the requests sent so far.
pub fn run(dir: &Path, options: &TrafficOptions, progress: Option<&AtomicUsize>) -> Result<TrafficSummary, String> {
    let env = LabEnv::read(dir)?;
    let http = Url::parse(env.get("LAB_HTTP")?)?;
    let http6 = env.get("LAB_HTTP6").ok().filter(|url| !url.is_empty()).map(Url::parse).transpose()?;
    let manifest_path = env.get("LAB_MANIFEST")?.to_owned();
    let chosen = cases::select(options.cases.as_deref())?;
    if !(1..=20).contains(&options.repeat) {
        return Err("--repeat must be 1..20".to_owned());
    }
    let mut manifest = OpenOptions::new().create(true).append(true).open(&manifest_path).map_err(|error| format!("{manifest_path}: {error}"))?;
    let mut summary = TrafficSummary::default();
    for round in 0..options.repeat {
        for case in &chosen {
            let target = if case.ipv6 {
                match &http6 {
                    Some(url) => url,
                    None => {
                        eprintln!("[lab] skipping {}: no IPv6 loopback", case.name);
                        continue;
                    }
                }
            } else {
                &http
            };
            let started = Instant::now();
            let outcomes = send(target, case);
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            let request_bytes = case.bytes(HOST).len();
            for (index, outcome) in outcomes.iter().enumerate() {
                let name = if case.responses() > 1 { format!("{}#{}", case.name, index + 1) } else { case.name.to_owned() };
                let family = case.name.split('-').next().unwrap_or("");
                let record = format!(
                    "{{\"round\":{round},\"case\":{},\"family\":{},\"target\":{},\"status\":{},\"unique_id\":{},\"request_bytes\":{request_bytes},\"elapsed_ms\":{elapsed:.1}}}\n",
                    quote(&name),
                    quote(family),
                    quote(if case.ipv6 { "::1" } else { "127.0.0.1" }),
                    outcome.status.map_or("null".to_owned(), |status| status.to_string()),
                    outcome.unique_id.as_deref().map_or("null".to_owned(), quote),
                );
                manifest.write_all(record.as_bytes()).map_err(|error| format!("{manifest_path}: {error}"))?;
                summary.requests += 1;
                match outcome.status {
                    Some(status) => *summary.statuses.entry(status).or_default() += 1,
                    None => summary.no_response += 1,
                }
                summary.with_id += usize::from(outcome.unique_id.is_some());
                if let Some(progress) = progress {
                    progress.fetch_add(1, Ordering::SeqCst);
                }
            }
            if !options.delay.is_zero() {
                std::thread::sleep(options.delay);
            }
        }
    }
    eprintln!("[lab] traffic: {}", summary.line());
    Ok(summary)
}

/// Sends one case; one outcome per expected response (missing ones have no status).
fn send(url: &Url, case: &Case) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let result = (|| -> Result<(), String> {
        let mut stream = url.connect(Duration::from_secs(15))?;
        stream.write_all(&case.bytes(HOST)).map_err(|error| error.to_string())?;
        let mut reader = BufReader::new(stream);
        for _ in 0..case.responses() {
            let response = http::read_response(&mut reader, case.method == "HEAD").map_err(|error| error.to_string())?;
            let unique_id = response.header("x-unique-id").filter(|id| !id.is_empty() && id != "(null)" && id != "-");
            outcomes.push(Outcome { status: Some(response.status), unique_id });
        }
        Ok(())
    })();
    if let Err(error) = result {
        eprintln!("[lab] {}: {error}", case.name);
    }
    while outcomes.len() < case.responses() {
        outcomes.push(Outcome { status: None, unique_id: None });
    }
    outcomes
}
