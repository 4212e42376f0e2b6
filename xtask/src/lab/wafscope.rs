//! The real console: `wafscope serve --listen 127.0.0.1:PORT --data-dir D [--tls-self-signed]`
//! from the release binary, its admin commands (`sensor add`, `token create`) and the read API
//! (`GET /api/v1/events?sensor=…`, paged by `before`; over https through `curl -sk`).

use super::console::{Console, Sensor, retry_on_port};
use super::http::{self, Url};
use super::json::Json;
use super::procs::run_with_timeout;
use super::server_process::{ServerProcess, random_secret};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long an admin command (`sensor add`, `token create`) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The real thing: `wafscope serve --listen 127.0.0.1:PORT --data-dir D [--tls-self-signed]`.
pub struct Wafscope {
    binary: PathBuf,
    data_dir: PathBuf,
    logs: PathBuf,
    tls: bool,
    server: Option<ServerProcess>,
    port: u16,
    token: Option<String>,
    /// Environment given to every later start (`restart_with_env`).
    extra_env: Vec<(String, String)>,
}

impl Wafscope {
    pub fn start(binary: &Path, data_dir: &Path, logs: &Path, tls: bool) -> Result<Wafscope, String> {
        Wafscope::start_with_env(binary, data_dir, logs, tls, &[])
    }

    /// [`Wafscope::start`] with `env` given to this start and every later one.
    pub fn start_with_env(binary: &Path, data_dir: &Path, logs: &Path, tls: bool, env: &[(&str, String)]) -> Result<Wafscope, String> {
        let mut console = Wafscope {
            binary: binary.to_owned(),
            data_dir: data_dir.to_owned(),
            logs: logs.to_owned(),
            tls,
            server: None,
            port: 0,
            token: None,
            extra_env: env.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect(),
        };
        console.serve(0)?;
        Ok(console)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.env("WAFSCOPE_LOG", "warn");
        command.envs(self.extra_env.iter().map(|(name, value)| (name.as_str(), value.as_str())));
        command
    }

    /// Stops the server and starts it again on the same port with `env` added (e.g.
    /// `WAFSCOPE_MAX_DISK`).
    pub fn restart_with_env(&mut self, env: &[(&str, String)]) -> Result<(), String> {
        self.extra_env.extend(env.iter().map(|(name, value)| ((*name).to_owned(), value.clone())));
        self.restart()
    }

    fn serve(&mut self, port: u16) -> Result<(), String> {
        let mut command = self.command();
        command.arg("serve").arg("--listen").arg(format!("127.0.0.1:{port}")).arg("--data-dir").arg(&self.data_dir);
        if self.tls {
            command.arg("--tls-self-signed");
        }
        let server = ServerProcess::spawn(command, &self.logs, "wafscope")?;
        if server.url.https != self.tls {
            return Err(format!("wafscope listens on {} but TLS was {}", server.url.base(), if self.tls { "requested" } else { "not requested" }));
        }
        self.port = server.url.authority.rsplit(':').next().and_then(|port| port.parse().ok()).unwrap_or(0);
        self.server = Some(server);
        Ok(())
    }

    /// CPU seconds the running server has used (see [`ServerProcess::cpu_seconds`]).
    /// The running server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(ServerProcess::pid)
    }

    pub fn cpu_seconds(&self) -> Option<f64> {
        self.server.as_ref().and_then(ServerProcess::cpu_seconds)
    }

    /// Resident memory of the running server, KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        self.server.as_ref().and_then(ServerProcess::rss_kib)
    }

    /// Runs an admin subcommand; its stdout.
    fn admin(&self, args: &[&str], input: Option<&str>) -> Result<String, String> {
        let mut command = self.command();
        command.args(args).arg("--data-dir").arg(&self.data_dir);
        let output = run_with_timeout(&mut command, input, COMMAND_TIMEOUT)?;
        if !output.success {
            return Err(format!("wafscope {} failed: {}{}", args.join(" "), output.stderr.trim(), output.stdout.trim()));
        }
        Ok(output.stdout)
    }

    /// A viewer token for the read API (created on first use with `wafscope token create`).
    pub fn token(&mut self) -> Result<String, String> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let name = format!("lab-viewer-{}", random_secret().get(..6).unwrap_or("x"));
        let stdout = self.admin(&["token", "create", &name, "--role", "viewer"], None)?;
        let token = stdout.lines().map(str::trim).rfind(|line| !line.is_empty()).ok_or("token create printed nothing")?.to_owned();
        self.token = Some(token.clone());
        Ok(token)
    }

    /// A new token of `role` (`viewer`, `analyst`, `admin`).
    pub fn token_with_role(&mut self, role: &str) -> Result<String, String> {
        let name = format!("lab-{role}-{}", random_secret().get(..6).unwrap_or("x"));
        let stdout = self.admin(&["token", "create", &name, "--role", role], None)?;
        Ok(stdout.lines().map(str::trim).rfind(|line| !line.is_empty()).ok_or("token create printed nothing")?.to_owned())
    }

    /// A request with bearer `token` and a JSON `body` over plain http: (status, body text).
    pub fn call(&self, method: &str, path: &str, body: Option<&str>, token: &str) -> Result<(u16, String), String> {
        let url = Url::parse(&format!("{}{path}", self.base_url()))?;
        let authorization = format!("Bearer {token}");
        let mut headers = vec![("Authorization", authorization.as_str()), ("Accept", "application/json")];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let response = http::request(&url, method, &headers, body.unwrap_or_default().as_bytes(), Duration::from_secs(60))?;
        Ok((response.status, String::from_utf8_lossy(&response.body).into_owned()))
    }

    /// GET with the bearer token: (status, body); https goes through `curl -sk`.
    pub fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let token = self.token()?;
        let url = Url::parse(&format!("{}{path}", self.base_url()))?;
        let authorization = format!("Bearer {token}");
        if !url.https {
            let response = http::request(&url, "GET", &[("Authorization", &authorization), ("Accept", "application/json")], b"", Duration::from_secs(30))?;
            return Ok((response.status, response.body));
        }
        let mut command = Command::new("curl");
        command.args(["-sk", "--max-time", "30", "-H", &format!("Authorization: {authorization}"), "-w", "\n%{http_code}"]).arg(format!(
            "{}{}",
            url.base(),
            url.path
        ));
        let output = run_with_timeout(&mut command, None, Duration::from_secs(40)).map_err(|error| format!("{error} (is curl installed?)"))?;
        let (body, status) = output.stdout.rsplit_once('\n').ok_or("curl printed nothing")?;
        Ok((status.trim().parse().map_err(|_| format!("curl: {}", output.stderr.trim()))?, body.as_bytes().to_vec()))
    }
}

impl Console for Wafscope {
    fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}", if self.tls { "https" } else { "http" }, self.port)
    }

    fn add_sensor(&mut self, name: &str) -> Result<Sensor, String> {
        let password = random_secret();
        let base = self.base_url();
        let stdout = self.admin(&["sensor", "add", name, "--password-stdin", "--url", &base], Some(&format!("{password}\n")))?;
        let quoted = |key: &str| {
            stdout.lines().find_map(|line| {
                let rest = line.trim().strip_prefix(key)?;
                let value = rest.trim();
                Some(value.strip_prefix('"')?.strip_suffix('"')?.to_owned())
            })
        };
        let missing = |what: &str| format!("`wafscope sensor add` printed no {what} line:\n{stdout}");
        let v3_url = stdout
            .lines()
            .find_map(|line| line.split_once("v3/Coraza URL:").map(|(_, url)| url.trim().to_owned()))
            .ok_or_else(|| missing("`v3/Coraza URL:`"))?;
        Ok(Sensor {
            name: name.to_owned(),
            user: quoted("SensorUsername").ok_or_else(|| missing("SensorUsername"))?,
            pass: quoted("SensorPassword").ok_or_else(|| missing("SensorPassword"))?,
            console_uri: quoted("ConsoleURI").ok_or_else(|| missing("ConsoleURI"))?,
            v3_url,
        })
    }

    fn stored_ids(&mut self, sensor: &Sensor) -> Result<Vec<String>, String> {
        let mut ids = Vec::new();
        let mut before: Option<String> = None;
        for _page in 0..10_000 {
            let mut path = format!("/api/v1/events?sensor={}&limit=500", super::cases::percent(&sensor.name));
            if let Some(before) = &before {
                path.push_str(&format!("&before={before}"));
            }
            let (status, body) = self.get(&path)?;
            let text = String::from_utf8_lossy(&body);
            if status != 200 {
                return Err(format!("GET {path}: {status} {}", text.chars().take(300).collect::<String>()));
            }
            let page = Json::parse(&text).map_err(|error| format!("GET {path}: {error}"))?;
            let events = page.get("events").and_then(Json::as_array).ok_or_else(|| format!("GET {path}: no \"events\" array"))?;
            for event in events {
                ids.push(event.get("unique_id").and_then(Json::as_text).ok_or_else(|| format!("GET {path}: an event without unique_id"))?.to_owned());
            }
            match page.get("next_before") {
                Some(Json::Null) | None => return Ok(ids),
                Some(next) => before = Some(next.as_text().ok_or("next_before is neither a number nor null")?.to_owned()),
            }
        }
        Err("more than 10000 pages of events".to_owned())
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
