//! The load generator: N threads, each with one keep-alive connection, PUT uploads exactly as
//! mlogc does (same headers, same order) until a duration or a count is reached, as fast as
//! the server answers or at a steady rate; throughput and latency percentiles.

use super::uploads::Upload;
use crate::lab::http::{self, Url};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where and how hard to push.
#[derive(Clone)]
pub struct LoadConfig {
    pub url: Url,
    /// `user:pass` for Basic auth; upload number `n` uses entry `n % len` (several sensors)
    pub credentials: Vec<String>,
    pub connections: usize,
    pub duration: Duration,
    /// stop after this many uploads (instead of at `duration`)
    pub count: Option<u64>,
    /// uploads per second over all connections (`None`: as fast as answered)
    pub rate: Option<f64>,
}

/// What one run measured.
#[derive(Default)]
pub struct LoadResult {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// per upload answered 200, in microseconds
    pub latencies: Vec<u32>,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `percent` percentile latency in milliseconds.
    pub fn percentile_ms(&self, percent: usize) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = (self.latencies.len() * percent / 100).min(self.latencies.len() - 1);
        f64::from(self.latencies[index]) / 1000.0
    }
}

/// The head of an upload PUT to `url`, header for header as mlogc (libcurl) sends it.
pub fn request_head(url: &Url, authorization: &str, summary: &str, content_hash: &str, length: usize) -> String {
    // libcurl's order as mlogc sends it: Host, Authorization, Accept, mlogc's two, Content-Length
    format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {authorization}\r\nAccept: */*\r\nX-Content-Hash: {content_hash}\r\n\
         X-ForensicLog-Summary: {summary}\r\nContent-Length: {length}\r\n\r\n",
        url.path, url.authority
    )
}

/// Sends `make(first + n)` for n = 0, 1, … (`make` must give each number its own unique id).
pub fn run(make: &(dyn Fn(u64) -> Upload + Sync), config: &LoadConfig, first: u64) -> LoadResult {
    let authorizations: Vec<String> = config.credentials.iter().map(|credentials| http::base64(credentials.as_bytes())).collect();
    let next = AtomicU64::new(0);
    let merged = Mutex::new(LoadResult::default());
    let started = Instant::now();
    let deadline = started + config.duration;
    std::thread::scope(|scope| {
        for _ in 0..config.connections.max(1) {
            scope.spawn(|| {
                let mut local = LoadResult::default();
                let mut connection: Option<BufReader<TcpStream>> = None;
                loop {
                    let sequence = next.fetch_add(1, Ordering::Relaxed);
                    let done = match config.count {
                        Some(count) => sequence >= count,
                        None => Instant::now() >= deadline,
                    };
                    if done {
                        break;
                    }
                    if let Some(rate) = config.rate {
                        let due = started + Duration::from_secs_f64(sequence as f64 / rate.max(1e-3));
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    }
                    let upload = make(first + sequence);
                    let authorization = &authorizations[(sequence % authorizations.len().max(1) as u64) as usize];
                    let mut bytes = request_head(&config.url, authorization, &upload.summary, &upload.content_hash, upload.body.len()).into_bytes();
                    bytes.extend_from_slice(&upload.body);
                    let sent = Instant::now();
                    let outcome = (|| -> Result<(u16, String), String> {
                        if connection.is_none() {
                            connection = Some(BufReader::new(config.url.connect(Duration::from_secs(30))?));
                        }
                        let reader = connection.as_mut().ok_or("no connection")?;
                        reader.get_mut().write_all(&bytes).map_err(|error| format!("send: {error}"))?;
                        let response = http::read_response(reader, false).map_err(|error| format!("receive: {error}"))?;
                        if response.closes() {
                            connection = None;
                        }
                        Ok((response.status, response.reason))
                    })();
                    match outcome {
                        Ok((200, _)) => {
                            local.ok += 1;
                            local.latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        }
                        Ok((status, reason)) => {
                            local.errors += 1;
                            local.first_error.get_or_insert_with(|| format!("answered {status} {reason}"));
                        }
                        Err(error) => {
                            local.errors += 1;
                            local.first_error.get_or_insert(error);
                            connection = None;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
                if let Ok(mut merged) = merged.lock() {
                    merged.ok += local.ok;
                    merged.errors += local.errors;
                    if merged.first_error.is_none() {
                        merged.first_error = local.first_error;
                    }
                    merged.latencies.extend(local.latencies);
                }
            });
        }
    });
    let mut result = merged.into_inner().unwrap_or_default();
    result.elapsed = started.elapsed();
    result.latencies.sort_unstable();
    result
}
