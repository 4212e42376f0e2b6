//! The console under test, behind one trait: the real `wafscope serve` (`wafscope.rs`) or the
//! lab's stand-in (below): add sensors, SIGKILL, restart on the same port and data, list what
//! was stored.

use super::server_process::{ServerProcess, random_secret};
use super::standin;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The credentials and URLs a console issued for one sensor.
#[derive(Clone, Debug)]
pub struct Sensor {
    pub name: String,
    pub user: String,
    pub pass: String,
    /// mlogc's ConsoleURI
    pub console_uri: String,
    /// libmodsecurity 3's / Coraza's URL (secret in the path)
    pub v3_url: String,
}

/// A console the scenarios can drive.
pub trait Console {
    /// `http(s)://127.0.0.1:PORT`
    fn base_url(&self) -> String;
    fn add_sensor(&mut self, name: &str) -> Result<Sensor, String>;
    /// Unique ids stored for the sensor, one per stored event (repeats would show).
    fn stored_ids(&mut self, sensor: &Sensor) -> Result<Vec<String>, String>;
    /// SIGKILL, no goodbye.
    fn kill9(&mut self) -> Result<(), String>;
    /// Starts again on the same port with the same data.
    fn restart(&mut self) -> Result<(), String>;
}

/// Retries a start for up to 15 s (the port may still be held for a moment).
pub fn retry_on_port(mut start: impl FnMut() -> Result<(), String>) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match start() {
            Ok(()) => return Ok(()),
            Err(error) if Instant::now() >= deadline => return Err(error),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

/// The lab's own stand-in console (`lab stand-in`), for checking the lab without wafscope.
pub struct StandIn {
    out: PathBuf,
    logs: PathBuf,
    server: Option<ServerProcess>,
    port: u16,
}

impl StandIn {
    pub fn start(dir: &Path) -> Result<StandIn, String> {
        let mut console = StandIn { out: dir.join("standin-received.txt"), logs: dir.to_owned(), server: None, port: 0 };
        console.serve(0)?;
        Ok(console)
    }

    fn serve(&mut self, port: u16) -> Result<(), String> {
        let exe = std::env::current_exe().map_err(|error| format!("current exe: {error}"))?;
        let mut command = Command::new(exe);
        command.args(["lab", "stand-in", "--listen", &format!("127.0.0.1:{port}"), "--out"]).arg(&self.out);
        let server = ServerProcess::spawn(command, &self.logs, "standin")?;
        self.port = server.url.authority.rsplit(':').next().and_then(|port| port.parse().ok()).unwrap_or(0);
        self.server = Some(server);
        Ok(())
    }
}

impl Console for StandIn {
    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn add_sensor(&mut self, name: &str) -> Result<Sensor, String> {
        let base = self.base_url();
        Ok(Sensor {
            name: name.to_owned(),
            user: name.to_owned(),
            pass: random_secret(),
            console_uri: format!("{base}/rpc/auditLogReceiver"),
            v3_url: format!("{base}/api/v1/ingest/{name}"),
        })
    }

    fn stored_ids(&mut self, sensor: &Sensor) -> Result<Vec<String>, String> {
        let (ids, repeats) = standin::stored(&self.out, &sensor.name);
        if repeats > 0 {
            eprintln!("[lab] stand-in: {repeats} repeated deliveries for {} (answered 200, not stored again)", sensor.name);
        }
        Ok(ids)
    }

    fn kill9(&mut self) -> Result<(), String> {
        if let Some(mut server) = self.server.take() {
            server.kill9();
        }
        Ok(())
    }

    fn restart(&mut self) -> Result<(), String> {
        self.server = None;
        retry_on_port(|| self.serve(self.port))
    }
}
