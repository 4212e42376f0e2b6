//! The soak's live-stream clients: `GET /api/v1/live` with a viewer token, read as a browser's
//! EventSource does: on a cut (the console killed), a `resync` or an `ended`, reconnect with
//! `Last-Event-ID` and carry on. Every event of the soak's sensors is counted per unique id,
//! so the end check can tell an event the stream never delivered, or delivered twice.

use crate::lab::http::{self, Url};
use crate::lab::json::Json;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Longest silence before the stream counts as cut (`event: stats` comes every second).
const SILENCE: Duration = Duration::from_secs(5);
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);

/// What one live client received.
#[derive(Default)]
pub struct LiveClient {
    /// deliveries per unique id of the soak's sensors
    seen: Mutex<HashMap<String, u32>>,
    pub connects: AtomicU64,
    /// `event: resync` (fell behind; reconnected and caught up)
    pub resyncs: AtomicU64,
    /// `event: ended` (credential no longer valid: must not happen with a live token)
    pub ended: AtomicU64,
    pub stats_events: AtomicU64,
    /// failed connects and cut streams, by kind
    failures: Mutex<BTreeMap<String, u64>>,
}

impl LiveClient {
    pub fn seen(&self) -> HashMap<String, u32> {
        self.seen.lock().map(|seen| seen.clone()).unwrap_or_default()
    }

    /// How many of `ids` were not delivered yet.
    pub fn missing(&self, ids: &std::collections::HashSet<String>) -> usize {
        self.seen.lock().map(|seen| ids.iter().filter(|id| !seen.contains_key(id.as_str())).count()).unwrap_or(ids.len())
    }

    pub fn seen_count(&self) -> usize {
        self.seen.lock().map(|seen| seen.len()).unwrap_or(0)
    }

    pub fn failures(&self) -> BTreeMap<String, u64> {
        self.failures.lock().map(|failures| failures.clone()).unwrap_or_default()
    }

    fn fail(&self, kind: String) {
        if let Ok(mut failures) = self.failures.lock() {
            *failures.entry(kind).or_default() += 1;
        }
    }
}

/// Runs one client against `base` until `stop`; counts events of sensors named `prefix…`.
pub fn run(base: &Url, token: &str, prefix: &str, stop: &AtomicBool, client: &LiveClient) {
    let mut last_id: Option<u64> = None;
    while !stop.load(Ordering::Relaxed) {
        match stream(base, token, prefix, stop, client, &mut last_id) {
            Ok(()) => {}
            Err(kind) if !stop.load(Ordering::Relaxed) => client.fail(kind),
            Err(_) => {}
        }
        std::thread::sleep(RECONNECT_PAUSE);
    }
}

/// One connection: until it is cut, resyncs, ends or the soak stops.
fn stream(base: &Url, token: &str, prefix: &str, stop: &AtomicBool, client: &LiveClient, last_id: &mut Option<u64>) -> Result<(), String> {
    let stream = base.connect(SILENCE).map_err(|_| "connect".to_owned())?;
    let mut reader = BufReader::new(stream);
    let resume = last_id.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
    let request =
        format!("GET /api/v1/live HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n{resume}\r\n", base.authority);
    reader.get_mut().write_all(request.as_bytes()).map_err(|_| "send".to_owned())?;
    let head = http::read_head(&mut reader).map_err(|_| "receive".to_owned())?;
    if head.status != 200 {
        return Err(format!("status {}", head.status));
    }
    client.connects.fetch_add(1, Ordering::Relaxed);
    if !head.is_chunked() {
        return Err("not chunked".to_owned());
    }
    let mut pending = String::new();
    while !stop.load(Ordering::Relaxed) {
        let chunk = match http::read_chunk(&mut reader) {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Err("stream ended".to_owned()),
            Err(_) => return Err("cut".to_owned()),
        };
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let frame: String = pending.drain(..end + 2).collect();
            if !handle(&frame, prefix, client, last_id) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Takes one SSE frame into account; false when the stream must be reopened.
fn handle(frame: &str, prefix: &str, client: &LiveClient, last_id: &mut Option<u64>) -> bool {
    let mut event = "message";
    let mut id = None;
    let mut data = String::new();
    for line in frame.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            event = value.trim();
        } else if let Some(value) = line.strip_prefix("id:") {
            id = value.trim().parse::<u64>().ok();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    match event {
        "event" => {
            if let Some(id) = id {
                *last_id = Some(id);
            }
            let Ok(json) = Json::parse(&data) else {
                client.fail("unreadable event".to_owned());
                return true;
            };
            let sensor = json.get("sensor").and_then(Json::as_str).unwrap_or("");
            if sensor.starts_with(prefix)
                && let Some(unique_id) = json.get("unique_id").and_then(Json::as_str)
                && let Ok(mut seen) = client.seen.lock()
            {
                *seen.entry(unique_id.to_owned()).or_default() += 1;
            }
            true
        }
        "stats" => {
            client.stats_events.fetch_add(1, Ordering::Relaxed);
            true
        }
        "resync" => {
            client.resyncs.fetch_add(1, Ordering::Relaxed);
            false
        }
        "ended" => {
            client.ended.fetch_add(1, Ordering::Relaxed);
            false
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::{LiveClient, handle};

    #[test]
    fn frames_count_events_of_the_soak_sensors_and_move_the_resume_point() {
        let client = LiveClient::default();
        let mut last = None;
        assert!(handle("event: event\nid: 17\ndata: {\"sensor\":\"soak-1\",\"unique_id\":\"u1\"}\n\n", "soak-", &client, &mut last));
        assert!(handle("event: event\nid: 18\ndata: {\"sensor\":\"other\",\"unique_id\":\"u2\"}\n\n", "soak-", &client, &mut last));
        assert!(handle("event: stats\ndata: {}\n\n", "soak-", &client, &mut last));
        assert_eq!(last, Some(18));
        assert_eq!(client.seen().into_iter().collect::<Vec<_>>(), vec![("u1".to_owned(), 1)]);
        assert!(!handle("event: resync\ndata: {}\n\n", "soak-", &client, &mut last));
        assert!(!handle("event: ended\ndata: {}\n\n", "soak-", &client, &mut last));
        assert_eq!((client.resyncs.into_inner(), client.ended.into_inner(), client.stats_events.into_inner()), (1, 1, 1));
    }
}
