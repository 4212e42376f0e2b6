//! A server child process (wafscope, its debug sink, the stand-in): started with stdout piped,
//! its `listening on http(s)://ADDR` line awaited with a time limit, stopped with SIGTERM then
//! SIGKILL when dropped.

use super::http::Url;
use super::procs;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a console may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server process whose stdout we read.
/// `sysconf(_SC_CLK_TCK)` on Linux (xtask has no libc binding; it is 100 everywhere it runs).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

pub struct ServerProcess {
    child: Child,
    pub url: Url,
}

impl ServerProcess {
    /// Spawns `command` (stdout to `dir/NAME.stdout`, stderr to `dir/NAME.stderr`) and waits
    /// for its `listening on http(s)://ADDR` line.
    pub fn spawn(mut command: Command, dir: &Path, name: &str) -> Result<ServerProcess, String> {
        let stderr_path = dir.join(format!("{name}.stderr"));
        let stderr = File::options().create(true).append(true).open(&stderr_path).map_err(|error| format!("{}: {error}", stderr_path.display()))?;
        let mut stdout_log =
            File::options().create(true).append(true).open(dir.join(format!("{name}.stdout"))).map_err(|error| format!("{name}.stdout: {error}"))?;
        let program = format!("{:?}", command.get_program());
        let mut child =
            command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(stderr).spawn().map_err(|error| format!("cannot start {program}: {error}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (sender, receiver) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(stdout_log, "{line}");
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(url) = listening_url(&line) {
                        // keep draining stdout in the background (the thread owns the sender)
                        std::thread::spawn(move || while receiver.recv().is_ok() {});
                        return Ok(ServerProcess { child, url });
                    }
                }
                Err(error) => {
                    if error == mpsc::RecvTimeoutError::Disconnected {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!("{program} exited ({status}) before listening:\n{}", super::workdir::tail(&stderr_path, 15)));
                    }
                }
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} printed no `listening on` line within {} s", START_TIMEOUT.as_secs()));
            }
        }
    }

    /// CPU seconds (user + system, all threads) the process has used so far.
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // fields after the parenthesised command name; utime and stime are fields 14 and 15
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / CLOCK_TICKS_PER_SECOND)
    }

    /// Resident set size in KiB (`VmRSS` of `/proc/PID/status`).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, up to 15 s, then SIGKILL.
    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            procs::signal(self.child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.kill9();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A password of 24 hex digits from /dev/urandom.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 12];
    if let Ok(mut file) = File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut file, &mut bytes);
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Parses the `listening on http(s)://ADDR` line wafscope and the stand-in print.
pub fn listening_url(line: &str) -> Option<Url> {
    let at = line.find("listening on ")?;
    let url = line[at + "listening on ".len()..].split_whitespace().next()?;
    Url::parse(url).ok()
}

#[cfg(test)]
mod tests {
    use super::listening_url;

    #[test]
    fn listen_lines() {
        let url = listening_url("wafscope 0.1.0 listening on https://127.0.0.1:40001").unwrap();
        assert!(url.https);
        assert_eq!(url.authority, "127.0.0.1:40001");
        assert!(listening_url("first run: created user admin").is_none());
    }
}
