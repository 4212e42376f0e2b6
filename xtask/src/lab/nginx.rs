//! `lab v3-up`: a private nginx + ModSecurity-nginx + libmodsecurity 3.0.9 + CRS whose
//! `SecAuditLogType HTTPS` writer POSTs every entry to a console URL.  Ground truth: the
//! debug log's `Saving this request as part of the audit logs.` lines (SecDebugLogLevel 5).

use super::apache::{Started, make_dirs};
use super::args::Args;
use super::modsec::{self, Engine};
use super::{ports, procs, site, workdir};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const NGINX_BIN: &str = "/usr/sbin/nginx";
const NGINX_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so";

/// What `lab v3-up` needs.
pub struct V3Options {
    pub url: String,
    pub parts: String,
    pub port: Option<u16>,
}

impl V3Options {
    pub fn from_args(args: &Args) -> Result<V3Options, String> {
        Ok(V3Options {
            url: args.required("--url")?.to_owned(),
            parts: args.value("--parts").unwrap_or("ABIJDEFHZ").to_owned(),
            port: args.value("--port").map(|text| text.parse().map_err(|_| format!("--port {text:?}"))).transpose()?,
        })
    }
}

/// libmodsecurity 3.0.9 lexes the `SecAuditLog` value as `[0-9A-Za-z_/.*:-]+`: no
/// `user:pass@`, no `?query`, no `%` escapes.
pub fn check_url(url: &str) -> Result<(), String> {
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if !scheme_ok || !url.chars().all(|c| c.is_ascii_alphanumeric() || "_/.*:-".contains(c)) {
        return Err(format!(
            "--url {url:?}: libmodsecurity 3.0.9 accepts only http(s):// URLs made of [0-9A-Za-z_/.*:-] in SecAuditLog \
             (no user:pass@, no ?query); put the secret in the path"
        ));
    }
    Ok(())
}

fn check_dependencies() -> Result<(), String> {
    for (path, package) in [(NGINX_BIN, "nginx"), (NGINX_MODULE, "libnginx-mod-http-modsecurity"), (modsec::CRS_RULES, "modsecurity-crs")] {
        if !Path::new(path).exists() {
            return Err(format!("{path} is missing: install the Debian package {package} (`cargo xtask setup` does)"));
        }
    }
    Ok(())
}

/// `lab v3-up`.
pub fn up(dir: &Path, options: &V3Options) -> Result<Started, String> {
    check_url(&options.url)?;
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
    let app_port = ports::pick_port(port + 1, false, &[port])?;
    make_dirs(dir, &["conf", "run", "logs", "modsec/tmp", "modsec/data", "nginx-tmp"])?;
    site::write(dir)?;
    let w = dir.display();
    let audit = format!(
        "# libmodsecurity 3: the HTTPS writer POSTs every entry (always JSON) to the URL\n\
         SecAuditLogType HTTPS\nSecAuditLogFormat JSON\nSecAuditLog {}\n\
         # one \"Saving this request as part of the audit logs.\" line per entry (lab expected)\n\
         SecDebugLog {w}/logs/modsec-debug.log\nSecDebugLogLevel 5\n",
        options.url
    );
    modsec::write(dir, Engine::V3, &options.parts, &audit)?;
    fs::write(dir.join("conf/nginx.conf"), nginx_conf(dir, port, app_port, ipv6, run_user.is_some())).map_err(|error| format!("nginx.conf: {error}"))?;
    let debug_log = dir.join("logs/modsec-debug.log");
    fs::write(&debug_log, b"").map_err(|error| format!("{}: {error}", debug_log.display()))?;
    if let Some(user) = &run_user {
        // the worker (www-data) writes ModSecurity's files, nginx's temp files and the debug log
        for name in ["modsec", "nginx-tmp", "logs/modsec-debug.log"] {
            workdir::chown_tree(&dir.join(name), user)?;
        }
    }
    let w = workdir::text(dir);
    let base = ["-p".to_owned(), format!("{w}/"), "-e".to_owned(), format!("{w}/logs/nginx-error.log"), "-c".to_owned(), format!("{w}/conf/nginx.conf")];
    let start_log = dir.join("logs/nginx-start.log");
    if !procs::run_logged(Command::new(NGINX_BIN).args(&base).arg("-t"), &start_log, Duration::from_secs(60))? {
        return Err(format!("nginx -t failed:\n{}", workdir::tail(&start_log, 20)));
    }
    if !procs::run_logged(Command::new(NGINX_BIN).args(&base), &start_log, Duration::from_secs(60))? {
        let _ = procs::stop_all(dir);
        return Err(format!("nginx did not start:\n{}", workdir::tail(&start_log, 20)));
    }
    if !ports::wait_port(&format!("127.0.0.1:{port}"), Duration::from_secs(20)) {
        let _ = procs::stop_all(dir);
        return Err(format!("nginx did not open 127.0.0.1:{port}:\n{}", workdir::tail(&dir.join("logs/nginx-error.log"), 20)));
    }
    let pidfile = dir.join("run/nginx.pid");
    let read_pid = || fs::read_to_string(&pidfile).ok().and_then(|text| text.trim().parse::<u32>().ok());
    procs::wait_until(Duration::from_secs(5), Duration::from_millis(100), || read_pid().is_some());
    let pid = read_pid().ok_or("nginx wrote no pid file")?;
    let started = Started { http: format!("http://127.0.0.1:{port}"), http6: ipv6.then(|| format!("http://[::1]:{port}")), pid };
    workdir::write_env(
        dir,
        &[
            ("LAB_KIND", "v3".to_owned()),
            ("LAB_WORKDIR", w.clone()),
            ("LAB_HTTP", started.http.clone()),
            ("LAB_HTTP6", started.http6.clone().unwrap_or_default()),
            ("LAB_PORT", port.to_string()),
            ("LAB_PID", pid.to_string()),
            ("LAB_PIDFILE", format!("{w}/run/nginx.pid")),
            ("LAB_CONSOLE", options.url.clone()),
            ("LAB_FORMAT", "JSON".to_owned()),
            ("LAB_PARTS", options.parts.clone()),
            ("LAB_MANIFEST", format!("{w}/manifest.jsonl")),
            ("LAB_DEBUG_LOG", format!("{w}/logs/modsec-debug.log")),
            ("LAB_ERROR_LOG", format!("{w}/logs/nginx-error.log")),
        ],
    )?;
    eprintln!("[lab] nginx pid {pid} on 127.0.0.1:{port} (libmodsecurity3 HTTPS writer -> {}), backend :{app_port}", options.url);
    Ok(started)
}

fn nginx_conf(dir: &Path, port: u16, app_port: u16, ipv6: bool, as_root: bool) -> String {
    let w = dir.display();
    let user = if as_root { "user www-data www-data;\n" } else { "" };
    let listen6 = if ipv6 { format!("        listen [::1]:{port};\n") } else { String::new() };
    let locations = site::nginx_locations();
    format!(
        "# Generated by cargo xtask lab: private nginx configuration (nothing from /etc/nginx)\n\
         load_module {NGINX_MODULE};\n{user}worker_processes 1;\npid {w}/run/nginx.pid;\n\
         error_log {w}/logs/nginx-error.log notice;\ndaemon on;\nevents {{ worker_connections 64; }}\n\
         http {{\n\
         \x20   include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n\
         \x20   access_log {w}/logs/nginx-access.log;\n\
         \x20   client_body_temp_path {w}/nginx-tmp/body;\n    proxy_temp_path {w}/nginx-tmp/proxy;\n\
         \x20   fastcgi_temp_path {w}/nginx-tmp/fastcgi;\n    uwsgi_temp_path {w}/nginx-tmp/uwsgi;\n    scgi_temp_path {w}/nginx-tmp/scgi;\n\
         \x20   client_max_body_size 20m;\n    server_tokens off;\n\
         \x20   modsecurity on;\n    modsecurity_rules_file {w}/conf/modsec.conf;\n\
         \x20   # ModSecurity's unique id = nginx's $request_id, echoed as X-Unique-ID for the manifest\n\
         \x20   modsecurity_transaction_id \"$request_id\";\n\
         \x20   server {{\n        listen 127.0.0.1:{port};\n{listen6}\
         \x20       server_name www.example.test;\n        root {w}/htdocs;\n\
         \x20       add_header X-Unique-ID $request_id always;\n\
         \x20       location /app/ {{ proxy_pass http://127.0.0.1:{app_port}; proxy_set_header Host $host; }}\n\
         \x20   }}\n\
         \x20   # the application behind the WAF (not inspected itself)\n\
         \x20   server {{\n        listen 127.0.0.1:{app_port};\n        modsecurity off;\n        access_log off;\n        default_type text/html;\n\
         {locations}\
         \x20   }}\n}}\n"
    )
}

fn nginx_base(dir: &Path) -> Vec<String> {
    let w = workdir::text(dir);
    vec!["-p".to_owned(), format!("{w}/"), "-e".to_owned(), format!("{w}/logs/nginx-error.log"), "-c".to_owned(), format!("{w}/conf/nginx.conf")]
}

/// `nginx -t` on the lab's configuration: its output.
pub fn config_test(dir: &Path) -> Result<String, String> {
    let log = dir.join("logs/nginx-configtest.log");
    let _ = fs::remove_file(&log);
    let passed = procs::run_logged(Command::new(NGINX_BIN).args(nginx_base(dir)).arg("-t"), &log, Duration::from_secs(60))?;
    let said = fs::read_to_string(&log).unwrap_or_default().trim().to_owned();
    if passed { Ok(said) } else { Err(format!("nginx -t failed:\n{said}")) }
}

/// Reloads the lab's nginx (`nginx -s reload`) and waits until the old workers are gone.
pub fn reload(dir: &Path) -> Result<(), String> {
    let log = dir.join("logs/nginx-start.log");
    let master: u32 =
        fs::read_to_string(dir.join("run/nginx.pid")).ok().and_then(|text| text.trim().parse().ok()).ok_or("the lab's nginx wrote no pid file")?;
    let workers = || procs::table().into_iter().filter(|proc| proc.ppid == master && proc.cmdline.contains("worker")).map(|proc| proc.pid).collect::<Vec<_>>();
    let before = workers();
    if !procs::run_logged(Command::new(NGINX_BIN).args(nginx_base(dir)).args(["-s", "reload"]), &log, Duration::from_secs(60))? {
        return Err(format!("nginx -s reload failed:\n{}", workdir::tail(&log, 20)));
    }
    let replaced = procs::wait_until(Duration::from_secs(20), Duration::from_millis(100), || {
        let now = workers();
        !now.is_empty() && now.iter().all(|pid| !before.contains(pid))
    });
    if !replaced {
        return Err(format!("nginx kept its old workers after the reload:\n{}", workdir::tail(&dir.join("logs/nginx-error.log"), 20)));
    }
    Ok(())
}
