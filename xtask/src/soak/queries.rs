//! The soak's operator: the dashboard's and the Events page's requests in a loop (stats with
//! top lists, the newest page, pages filtered by sensor and by action, the sensor list,
//! storage), each timed; an answer other than 200 is a failure, a refused or cut connection is
//! the console being killed.

use crate::lab::http::{self, Url};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Pause between two requests.
const GAP: Duration = Duration::from_millis(200);

/// What the operator's requests met.
#[derive(Default)]
pub struct Queries {
    /// milliseconds per request answered 200
    latencies: Mutex<Vec<f64>>,
    /// failed requests by kind (`connect`, `status NNN`, …) and path
    failures: Mutex<BTreeMap<String, u64>>,
}

impl Queries {
    pub fn answered(&self) -> usize {
        self.latencies.lock().map(|latencies| latencies.len()).unwrap_or(0)
    }

    /// (p50, p99) in milliseconds.
    pub fn percentiles(&self) -> (f64, f64) {
        let mut latencies = self.latencies.lock().map(|latencies| latencies.clone()).unwrap_or_default();
        if latencies.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        latencies.sort_by(f64::total_cmp);
        let at = |percent: usize| latencies[(latencies.len() * percent / 100).min(latencies.len() - 1)];
        (at(50), at(99))
    }

    pub fn failures(&self) -> BTreeMap<String, u64> {
        self.failures.lock().map(|failures| failures.clone()).unwrap_or_default()
    }

    /// Answers other than 200 (a refused or cut connection is the console being killed).
    pub fn errors(&self) -> u64 {
        self.failures().iter().filter(|(kind, _)| kind.starts_with("status")).map(|(_, count)| count).sum()
    }
}

/// The requests, in turn; `{sensor}` is one of the soak's sensors.
fn paths(sensor: &str) -> Vec<String> {
    vec![
        "/api/v1/stats?top=12".to_owned(),
        "/api/v1/events?limit=50".to_owned(),
        format!("/api/v1/events?limit=50&sensor={sensor}"),
        "/api/v1/stats?top=12&action=blocked".to_owned(),
        "/api/v1/events?limit=50&action=detected".to_owned(),
        "/api/v1/sensors".to_owned(),
        "/api/v1/storage".to_owned(),
    ]
}

/// Runs the loop against `base` until `stop`.
pub fn run(base: &Url, token: &str, sensor: &str, stop: &AtomicBool, queries: &Queries) {
    let authorization = format!("Bearer {token}");
    let paths = paths(sensor);
    for path in paths.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let url = Url { path: path.clone(), ..base.clone() };
        let started = Instant::now();
        let outcome = http::request(&url, "GET", &[("Authorization", &authorization), ("Accept", "application/json")], b"", Duration::from_secs(30));
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let failure = match outcome {
            Ok(response) if response.status == 200 => {
                if let Ok(mut latencies) = queries.latencies.lock() {
                    latencies.push(elapsed);
                }
                None
            }
            Ok(response) => Some(format!("status {} {}", response.status, path)),
            Err(error) if error.contains("connecting") => Some("connect".to_owned()),
            Err(_) => Some(format!("cut {path}")),
        };
        if let Some(kind) = failure
            && let Ok(mut failures) = queries.failures.lock()
        {
            *failures.entry(kind).or_default() += 1;
        }
        std::thread::sleep(GAP);
    }
}
