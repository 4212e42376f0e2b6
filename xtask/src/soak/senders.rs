//! The soak's sensors: each sends mlogc's captured uploads (fresh unique ids) at a steady rate
//! over one keep-alive connection and behaves as mlogc does: an upload not answered 200
//! (connection refused or reset while the console restarts, any other status) is sent again
//! after a pause until it is. After every reconnection the last acknowledged upload is sent
//! once more, as mlogc does when an answer was lost in a crash: it must be answered 200 and
//! stay stored once.

use crate::bench::load::request_head;
use crate::bench::uploads::{self, Fixture, Upload};
use crate::lab::http::{self, Url};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Pause before an upload is sent again (mlogc waits longer; the soak wants many rounds).
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// Connect, read and write timeout of a sensor's connection.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One sensor's address and credentials.
pub struct SensorLoad {
    pub name: String,
    pub url: Url,
    /// `Basic` credentials, Base64
    pub authorization: String,
}

/// What the sensors did, shared by their threads.
#[derive(Default)]
pub struct Ingest {
    /// unique ids answered 200, per sensor (indexed like the sensors)
    acked: Mutex<Vec<HashSet<String>>>,
    pub sent: AtomicU64,
    /// uploads acknowledged at last after one or more failed tries
    pub retried: AtomicU64,
    /// acknowledged uploads sent once more (answered 200 again)
    pub resent: AtomicU64,
    /// uploads sent but never answered 200 when the soak stopped (stored or not: in doubt)
    pub in_doubt: AtomicU64,
    /// failed tries by kind: `connect` (console down), `send`/`receive` (cut mid-request),
    /// `status NNN` (an answer other than 200)
    failures: Mutex<BTreeMap<String, u64>>,
}

impl Ingest {
    pub fn new(sensors: usize) -> Ingest {
        Ingest { acked: Mutex::new(vec![HashSet::new(); sensors]), ..Ingest::default() }
    }

    pub fn acked(&self) -> Vec<HashSet<String>> {
        self.acked.lock().map(|acked| acked.clone()).unwrap_or_default()
    }

    pub fn acked_count(&self) -> usize {
        self.acked.lock().map(|acked| acked.iter().map(HashSet::len).sum()).unwrap_or(0)
    }

    pub fn failures(&self) -> BTreeMap<String, u64> {
        self.failures.lock().map(|failures| failures.clone()).unwrap_or_default()
    }

    fn fail(&self, kind: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            *failures.entry(kind.to_owned()).or_default() += 1;
        }
    }

    fn ack(&self, sensor: usize, unique_id: &str) {
        if let Ok(mut acked) = self.acked.lock()
            && let Some(set) = acked.get_mut(sensor)
        {
            set.insert(unique_id.to_owned());
        }
    }
}

/// Why a try failed: the key it is counted under.
enum Failure {
    Connect,
    Send,
    Receive,
    Status(u16),
}

impl Failure {
    fn key(&self) -> String {
        match self {
            Failure::Connect => "connect".to_owned(),
            Failure::Send => "send".to_owned(),
            Failure::Receive => "receive".to_owned(),
            Failure::Status(status) => format!("status {status}"),
        }
    }
}

/// One sensor's keep-alive connection.
struct Connection<'a> {
    sensor: &'a SensorLoad,
    stream: Option<BufReader<TcpStream>>,
    /// set when a connection was lost: the next one starts with a resend
    reconnected: bool,
}

impl Connection<'_> {
    fn put(&mut self, upload: &Upload) -> Result<(), Failure> {
        if self.stream.is_none() {
            self.stream = Some(BufReader::new(self.sensor.url.connect(TIMEOUT).map_err(|_| Failure::Connect)?));
        }
        let result = self.exchange(upload);
        if result.is_err() {
            self.stream = None;
            self.reconnected = true;
        }
        result
    }

    fn exchange(&mut self, upload: &Upload) -> Result<(), Failure> {
        let reader = self.stream.as_mut().ok_or(Failure::Connect)?;
        let mut bytes = request_head(&self.sensor.url, &self.sensor.authorization, &upload.summary, &upload.content_hash, upload.body.len()).into_bytes();
        bytes.extend_from_slice(&upload.body);
        reader.get_mut().write_all(&bytes).map_err(|_| Failure::Send)?;
        let response = http::read_response(reader, false).map_err(|_| Failure::Receive)?;
        if response.closes() {
            self.stream = None;
        }
        if response.status == 200 { Ok(()) } else { Err(Failure::Status(response.status)) }
    }
}

/// Sensor number `index` until `stop`: `rate` uploads per second, numbers from `next`.
pub fn run(index: usize, sensor: &SensorLoad, fixtures: &[Fixture], next: &AtomicU64, rate: f64, stop: &AtomicBool, ingest: &Ingest) {
    let mut connection = Connection { sensor, stream: None, reconnected: false };
    let mut last_acked: Option<Upload> = None;
    let started = Instant::now();
    let mut count = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let due = started + Duration::from_secs_f64(count as f64 / rate.max(0.01));
        if !sleep_until(due, stop) {
            break;
        }
        count += 1;
        let upload = uploads::replay(fixtures, next.fetch_add(1, Ordering::Relaxed));
        let mut tries = 0u32;
        let mut acknowledged = false;
        loop {
            if connection.reconnected
                && let Some(previous) = &last_acked
            {
                // what mlogc does when the answer to an upload was lost: send it again
                match connection.put(previous) {
                    Ok(()) => {
                        connection.reconnected = false;
                        ingest.resent.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(failure) => {
                        ingest.fail(&failure.key());
                        if !pause(stop) {
                            break;
                        }
                        continue;
                    }
                }
            }
            tries += 1;
            ingest.sent.fetch_add(1, Ordering::Relaxed);
            match connection.put(&upload) {
                Ok(()) => {
                    ingest.ack(index, &upload.unique_id);
                    if tries > 1 {
                        ingest.retried.fetch_add(1, Ordering::Relaxed);
                    }
                    acknowledged = true;
                    break;
                }
                Err(failure) => {
                    ingest.fail(&failure.key());
                    if !pause(stop) {
                        break;
                    }
                }
            }
        }
        if acknowledged {
            last_acked = Some(upload);
        } else if tries > 0 {
            ingest.in_doubt.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Waits [`RETRY_PAUSE`]; false when the soak is stopping.
fn pause(stop: &AtomicBool) -> bool {
    sleep_until(Instant::now() + RETRY_PAUSE, stop)
}

/// Sleeps until `when` in short steps; false when `stop` was set meanwhile.
pub fn sleep_until(when: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= when {
            return true;
        }
        std::thread::sleep((when - now).min(Duration::from_millis(100)));
    }
}
