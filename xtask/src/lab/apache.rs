//! `lab up` / `lab down`: a private Apache 2.4 + mod_security2 2.9.7 + CRS whose Concurrent
//! audit log is piped into the real mlogc 2.9.7, plus `SecAuditLog2` as the ground truth.

use super::args::Args;
use super::modsec::{self, Engine};
use super::{ports, procs, site, workdir};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const APACHE_BIN: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";
pub const MLOGC_BIN: &str = "/usr/bin/mlogc";

/// What `lab up` needs; the result of a successful start.
pub struct UpOptions {
    pub console: String,
    pub user: String,
    pub pass: String,
    pub json: bool,
    pub insecure: bool,
    pub parts: String,
    pub port: Option<u16>,
}

impl UpOptions {
    pub fn from_args(args: &Args) -> Result<UpOptions, String> {
        let json = match args.value("--format").unwrap_or("native") {
            "native" | "Native" => false,
            "json" | "JSON" => true,
            other => return Err(format!("--format native|json, not {other:?}")),
        };
        Ok(UpOptions {
            console: args.required("--console")?.to_owned(),
            user: args.required("--user")?.to_owned(),
            pass: args.required("--pass")?.to_owned(),
            json,
            insecure: args.flag("--insecure"),
            parts: args.value("--parts").unwrap_or("ABIJDEFHZ").to_owned(),
            port: args.value("--port").map(|text| text.parse().map_err(|_| format!("--port {text:?}"))).transpose()?,
        })
    }
}

/// Where the started lab listens.
pub struct Started {
    pub http: String,
    pub http6: Option<String>,
    pub pid: u32,
}

impl Started {
    /// The `KEY=VALUE` line `up` prints.
    pub fn line(&self, dir: &Path) -> String {
        let mut line = format!("LAB_HTTP={}", self.http);
        if let Some(http6) = &self.http6 {
            line.push_str(&format!(" LAB_HTTP6={http6}"));
        }
        line.push_str(&format!(" LAB_PID={} LAB_ENV={}/{}", self.pid, dir.display(), workdir::ENV_FILE));
        line
    }
}

fn check_dependencies() -> Result<(), String> {
    let needed = [
        (APACHE_BIN.to_owned(), "apache2"),
        (format!("{MODULES}/mod_security2.so"), "libapache2-mod-security2"),
        (format!("{MODULES}/mod_unique_id.so"), "apache2"),
        (MLOGC_BIN.to_owned(), "libapache2-mod-security2"),
        (modsec::CRS_RULES.to_owned(), "modsecurity-crs"),
    ];
    for (path, package) in needed {
        if !Path::new(&path).exists() {
            return Err(format!("{path} is missing: install the Debian package {package} (`cargo xtask setup` does)"));
        }
    }
    Ok(())
}

/// Creates `dir/name` (and parents) with mode 0755.
pub fn make_dirs(dir: &Path, names: &[&str]) -> Result<(), String> {
    for name in names {
        let path = dir.join(name);
        fs::create_dir_all(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(|error| format!("chmod {}: {error}", path.display()))?;
    }
    Ok(())
}

/// `lab up`: writes the configuration and starts Apache (and with it mlogc).
pub fn up(dir: &Path, options: &UpOptions) -> Result<Started, String> {
    let url_ok =
        (options.console.starts_with("http://") || options.console.starts_with("https://")) && !options.console.chars().any(|c| c.is_whitespace() || c == '"');
    if !url_ok {
        return Err(format!("--console must be an http:// or https:// URL without spaces or quotes: {:?}", options.console));
    }
    if format!("{}{}", options.user, options.pass).chars().any(|c| c.is_whitespace() || c == '"' || c == '\\') {
        return Err("--user / --pass must not contain whitespace, quotes or backslashes (mlogc.conf)".to_owned());
    }
    modsec::validate_parts(&options.parts)?;
    check_dependencies()?;
    workdir::prepare(dir)?;
    let run_user = workdir::run_user()?;
    if run_user.is_some() {
        workdir::check_traversable(dir)?;
    }
    let ipv6 = ports::ipv6_loopback();
    let port = match options.port {
        Some(port) => port,
        None => ports::pick_port(ports::PORT_BASE, ipv6, &[])?,
    };
    if !ports::port_free(port, ipv6) {
        return Err(format!("port {port} is busy"));
    }
    make_dirs(dir, &["conf", "run", "logs", "modsec/tmp", "modsec/data", "audit", "mlogc"])?;
    site::write(dir)?;
    write_mlogc_conf(dir, options)?;
    let w = dir.display();
    let audit = format!(
        "SecAuditLogType Concurrent\nSecAuditLogFormat {}\nSecAuditLogStorageDir {w}/audit\nSecAuditLogDirMode 0755\nSecAuditLogFileMode 0644\n\
         # every index line goes to mlogc's stdin; mlogc uploads the file it names\n\
         SecAuditLog \"|{MLOGC_BIN} {w}/mlogc/mlogc.conf\"\n\
         # ModSecurity writes the same line here too; mlogc never touches it (lab expected)\n\
         SecAuditLog2 {w}/logs/audit-index2.log\n",
        if options.json { "JSON" } else { "Native" }
    );
    modsec::write(dir, Engine::V2, &options.parts, &audit)?;
    fs::write(dir.join("conf/httpd.conf"), httpd_conf(dir, port, ipv6, run_user.is_some())).map_err(|error| format!("httpd.conf: {error}"))?;
    fs::write(dir.join("logs/audit-index2.log"), b"").map_err(|error| format!("audit-index2.log: {error}"))?;
    if let Some(user) = &run_user {
        // Apache's children (www-data) write the entry files and ModSecurity's tmp/data files
        workdir::chown_tree(&dir.join("modsec"), user)?;
        workdir::chown_tree(&dir.join("audit"), user)?;
    }
    let pid = match start(dir, port) {
        Ok(pid) => pid,
        Err(error) => {
            let _ = procs::stop_all(dir);
            return Err(error);
        }
    };
    let started = Started { http: format!("http://127.0.0.1:{port}"), http6: ipv6.then(|| format!("http://[::1]:{port}")), pid };
    workdir::write_env(
        dir,
        &[
            ("LAB_KIND", "v2".to_owned()),
            ("LAB_WORKDIR", w.to_string()),
            ("LAB_HTTP", started.http.clone()),
            ("LAB_HTTP6", started.http6.clone().unwrap_or_default()),
            ("LAB_PORT", port.to_string()),
            ("LAB_PID", pid.to_string()),
            ("LAB_PIDFILE", format!("{w}/run/httpd.pid")),
            ("LAB_CONSOLE", options.console.clone()),
            ("LAB_USER", options.user.clone()),
            ("LAB_FORMAT", if options.json { "JSON" } else { "Native" }.to_owned()),
            ("LAB_PARTS", options.parts.clone()),
            ("LAB_STORAGE_DIR", format!("{w}/audit")),
            ("LAB_INDEX", format!("{w}/logs/audit-index2.log")),
            ("LAB_MANIFEST", format!("{w}/manifest.jsonl")),
            ("LAB_MLOGC_LOG", format!("{w}/mlogc/mlogc-error.log")),
            ("LAB_ERROR_LOG", format!("{w}/logs/error.log")),
        ],
    )?;
    eprintln!(
        "[lab] apache pid {pid} on 127.0.0.1:{port}{}, mlogc -> {} ({}, parts {})",
        if ipv6 { format!(" and [::1]:{port}") } else { String::new() },
        options.console,
        if options.json { "JSON" } else { "Native" },
        options.parts
    );
    Ok(started)
}

fn write_mlogc_conf(dir: &Path, options: &UpOptions) -> Result<(), String> {
    let w = dir.display();
    let insecure = options.insecure || options.console.starts_with("https://");
    // comments on their own lines: mlogc (like Apache) takes trailing words as arguments
    let text = format!(
        "# Generated by cargo xtask lab: private mlogc 2.9.7 configuration\n\
         CollectorRoot       \"{w}/mlogc\"\n\
         ConsoleURI          \"{console}\"\n\
         SensorUsername      \"{user}\"\n\
         SensorPassword      \"{pass}\"\n\
         # must be SecAuditLogStorageDir\n\
         LogStorageDir       \"{w}/audit\"\n\
         TransactionLog      \"mlogc-transaction.log\"\n\
         QueuePath           \"mlogc-queue.log\"\n\
         ErrorLog            \"mlogc-error.log\"\n\
         LockFile            \"mlogc.lck\"\n\
         KeepEntries         0\n\
         ErrorLogLevel       3\n\
         MaxConnections      2\n\
         MaxWorkerRequests   1000\n\
         TransactionDelay    10\n\
         StartupDelay        500\n\
         CheckpointInterval  5\n\
         ServerErrorTimeout  5\n\
         InsecureNoCheckCert {}\n",
        u8::from(insecure),
        console = options.console,
        user = options.user,
        pass = options.pass,
    );
    let path = dir.join("mlogc/mlogc.conf");
    fs::write(&path, text).map_err(|error| format!("{}: {error}", path.display()))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(|error| format!("chmod {}: {error}", path.display()))
}

fn httpd_conf(dir: &Path, port: u16, ipv6: bool, as_root: bool) -> String {
    let w = dir.display();
    let mut conf = format!(
        "# Generated by cargo xtask lab: private Apache configuration (nothing from /etc/apache2)\n\
         ServerRoot \"{w}\"\nPidFile \"{w}/run/httpd.pid\"\nDefaultRuntimeDir \"{w}/run\"\nMutex file:{w}/run default\n\
         ServerName www.example.test\nListen 127.0.0.1:{port}\n"
    );
    if ipv6 {
        conf.push_str(&format!("Listen [::1]:{port}\n"));
    }
    for (module, file) in [
        ("mpm_prefork_module", "mod_mpm_prefork.so"),
        ("authz_core_module", "mod_authz_core.so"),
        ("mime_module", "mod_mime.so"),
        ("dir_module", "mod_dir.so"),
        ("alias_module", "mod_alias.so"),
        ("cgi_module", "mod_cgi.so"),
        ("headers_module", "mod_headers.so"),
        // mod_security2 2.9.7 refuses to inspect anything without mod_unique_id
        ("unique_id_module", "mod_unique_id.so"),
        ("security2_module", "mod_security2.so"),
    ] {
        conf.push_str(&format!("LoadModule {module} {MODULES}/{file}\n"));
    }
    if as_root {
        conf.push_str("User www-data\nGroup www-data\n");
    }
    conf.push_str(&format!(
        "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\nMaxRequestWorkers 8\n\
         Timeout 10\nKeepAlive On\nKeepAliveTimeout 2\n\
         # odd requests (raw bytes, a numeric Host) must reach ModSecurity\n\
         HttpProtocolOptions Unsafe\n\
         ServerTokens Prod\nServerSignature Off\nTraceEnable Off\nTypesConfig /etc/mime.types\n\
         ErrorLog \"{w}/logs/error.log\"\nLogLevel warn\n\
         LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b %{{UNIQUE_ID}}e\" lab\nCustomLog \"{w}/logs/access.log\" lab\n\
         DocumentRoot \"{w}/htdocs\"\nDirectoryIndex index.html\n\
         <Directory />\n    AllowOverride None\n    Require all denied\n</Directory>\n\
         <Directory \"{w}/htdocs\">\n    AllowOverride None\n    Require all granted\n</Directory>\n\
         ScriptAlias /app \"{w}/cgi-bin/app.cgi\"\n\
         <Directory \"{w}/cgi-bin\">\n    Options +ExecCGI\n    AllowOverride None\n    Require all granted\n</Directory>\n\
         # ModSecurity's unique id on every response: the traffic manifest records it\n\
         Header always set X-Unique-ID \"%{{UNIQUE_ID}}e\"\n\
         Include \"{w}/conf/modsec.conf\"\n"
    ));
    conf
}

/// Starts Apache, waits for its port, pid file and mlogc; returns the parent's pid.
fn start(dir: &Path, port: u16) -> Result<u32, String> {
    let w = workdir::text(dir);
    let conf = format!("{w}/conf/httpd.conf");
    let error_log = dir.join("logs/error.log");
    let start_log = dir.join("logs/apache-start.log");
    let started = procs::run_logged(Command::new(APACHE_BIN).args(["-d", &w, "-f", &conf, "-k", "start"]), &start_log, Duration::from_secs(30))?;
    let said = fs::read_to_string(&start_log).unwrap_or_default();
    if !said.trim().is_empty() {
        eprintln!("{}", said.trim_end());
    }
    if !started {
        return Err(format!("apache2 did not start:\n{}", workdir::tail(&error_log, 20)));
    }
    if !ports::wait_port(&format!("127.0.0.1:{port}"), Duration::from_secs(20)) {
        return Err(format!("apache2 did not open 127.0.0.1:{port}:\n{}", workdir::tail(&error_log, 20)));
    }
    let pidfile = dir.join("run/httpd.pid");
    let read_pid = || fs::read_to_string(&pidfile).ok().and_then(|text| text.trim().parse::<u32>().ok());
    procs::wait_until(Duration::from_secs(5), Duration::from_millis(100), || read_pid().is_some());
    let pid = read_pid().ok_or("apache2 wrote no pid file")?;
    let has_mlogc = || procs::table().iter().any(|proc| proc.ppid == pid && proc.cmdline.starts_with(MLOGC_BIN));
    if !procs::wait_until(Duration::from_secs(5), Duration::from_millis(100), has_mlogc) {
        eprintln!("[lab] WARN: no mlogc child of apache pid {pid} yet (see {w}/logs/error.log, {w}/mlogc/mlogc-error.log)");
    }
    let errors = fs::read_to_string(&error_log).unwrap_or_default();
    if errors.contains("ModSecurity requires mod_unique_id") {
        return Err("ModSecurity: mod_unique_id is not loaded".to_owned());
    }
    Ok(pid)
}

/// `lab down` / `lab v3-down`: stops everything of the lab in `dir`.
pub fn down(dir: &Path) -> Result<(), String> {
    if !workdir::is_lab_dir(dir) {
        return Err(format!("{} is not a lab work dir", dir.display()));
    }
    procs::stop_all(dir)
}

/// `apache2 -t` on the lab's configuration (what `apachectl configtest` runs): its output.
pub fn config_test(dir: &Path) -> Result<String, String> {
    let w = workdir::text(dir);
    let log = dir.join("logs/apache-configtest.log");
    let _ = fs::remove_file(&log);
    let passed = procs::run_logged(Command::new(APACHE_BIN).args(["-d", &w, "-f", &format!("{w}/conf/httpd.conf"), "-t"]), &log, Duration::from_secs(60))?;
    let said = fs::read_to_string(&log).unwrap_or_default().trim().to_owned();
    if passed { Ok(said) } else { Err(format!("apache2 -t failed:\n{said}")) }
}

/// Stops the lab's Apache (and mlogc) and starts it again on its port with the configuration
/// as it is now (nothing rewritten).
pub fn restart(dir: &Path) -> Result<u32, String> {
    let env = workdir::LabEnv::read(dir)?;
    let port: u16 = env.get("LAB_PORT")?.parse().map_err(|_| "LAB_PORT is not a port".to_owned())?;
    procs::stop_all(dir)?;
    if !ports::port_free(port, ports::ipv6_loopback()) {
        std::thread::sleep(Duration::from_secs(1));
    }
    start(dir, port)
}
