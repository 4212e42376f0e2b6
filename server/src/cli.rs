//! The command line: `wafscope serve | user | token`, parsed by clap, and their dispatch.
//!
//! Every serve option is also a `WAFSCOPE_*` environment variable and a key of the TOML file
//! named by `--config`; precedence is flags > environment > file > defaults (see `config`).

use crate::admin::{self, AdminRequest};
use crate::config::{Config, ConfigFlags};
use crate::store::StoreError;
use anyhow::Context;
use app::model::Role;
use clap::{Args, Parser, Subcommand};
use std::collections::HashMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

/// wafscope: a console for ModSecurity, libmodsecurity 3 and Coraza WAF events.
#[derive(Debug, Parser)]
#[command(name = "wafscope", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Data directory holding the database (created on first run).
    /// [env: WAFSCOPE_DATA_DIR] [config: data_dir] [default: ./wafscope-data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML file with any of the keys listen, data_dir, session_hours.
    /// [env: WAFSCOPE_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the console: sensor ingest, web UI and read API.
    Serve(ServeArgs),
    /// Manage sensors, the WAFs that upload events (works while `serve` runs).
    #[command(subcommand)]
    Sensor(SensorCommand),
    /// Import audit logs: serial log files, concurrent storage directories, JSON-lines files
    /// (same parser and de-duplication as live ingest; works while `serve` runs).
    Import(ImportArgs),
    /// Benchmark aid: an HTTP sink on the same stack as `serve` that answers 200 to every
    /// request and stores nothing (used by `cargo xtask bench ingest` as the baseline).
    DebugSink(SinkArgs),
    /// Manage console users (works while `serve` runs).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API bearer tokens for automation (works while `serve` runs).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Give the space freed by retention back to the filesystem: rewrites the database in
    /// place (stop `serve` first; takes a while for a large data dir).
    Compact,
    /// Show what each database table holds and how many bytes it takes (works while `serve`
    /// runs; reads every page, so it takes a while on a large data dir).
    StorageReport,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8886 or [::]:8886.
    /// [env: WAFSCOPE_LISTEN] [config: listen] [default: 127.0.0.1:8886]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Hours a browser session stays valid (1-8760).
    /// [env: WAFSCOPE_SESSION_HOURS] [config: session_hours] [default: 12]
    #[arg(long, value_name = "HOURS")]
    pub session_hours: Option<u64>,
    /// Largest accepted upload; larger ones are answered 409 and recorded.
    /// [env: WAFSCOPE_MAX_UPLOAD_BYTES] [config: max_upload_bytes] [default: 67108864 (64 MiB)]
    #[arg(long, value_name = "BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Extra path that accepts mlogc uploads besides /rpc/auditLogReceiver (repeatable).
    /// [env: WAFSCOPE_INGEST_PATHS, comma-separated] [config: ingest_paths = ["/a/"]]
    #[arg(long = "ingest-path", value_name = "PATH")]
    pub ingest_paths: Vec<String>,
    /// PEM certificate chain for HTTPS (with --tls-key).
    /// [env: WAFSCOPE_TLS_CERT] [config: tls_cert]
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    /// [env: WAFSCOPE_TLS_KEY] [config: tls_key]
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate kept in <data dir>/tls/ (its SHA-256
    /// fingerprint is printed at start). [env: WAFSCOPE_TLS_SELF_SIGNED=true] [config: tls_self_signed]
    #[arg(long)]
    pub tls_self_signed: bool,
    /// Uploads that may wait for the disk before new ones are answered 503.
    /// [env: WAFSCOPE_WRITE_QUEUE] [config: write_queue] [default: 8192]
    #[arg(long, value_name = "N")]
    pub write_queue: Option<usize>,
    /// Seconds a client may stall while sending request headers or between two chunks of a
    /// body before its connection is dropped (slow or stuck clients cannot pin resources).
    /// [env: WAFSCOPE_CLIENT_TIMEOUT] [config: client_timeout_seconds] [default: 30]
    #[arg(long = "client-timeout", value_name = "SECONDS")]
    pub client_timeout_seconds: Option<u64>,
    /// MiB of database pages kept in memory (redb's page cache; most of the process's memory
    /// at a million events). More makes long dashboard windows faster.
    /// [env: WAFSCOPE_CACHE_MB] [config: cache_mb] [default: 64]
    #[arg(long, value_name = "MIB")]
    pub cache_mb: Option<u64>,
    /// Days an event is kept, counted from its arrival (an import of old logs is kept this
    /// long from the import); older events are deleted in the background, oldest first, except
    /// preserved ones. 0 keeps events forever.
    /// [env: WAFSCOPE_RETAIN_DAYS] [config: retain_days] [default: 90]
    #[arg(long, value_name = "DAYS")]
    pub retain_days: Option<u64>,
    /// Disk budget of the database file, like 32MiB or 20GiB (K/M/G/T are powers of 1024):
    /// when the file nears it, the oldest events that are not preserved are deleted, so the
    /// file stops growing and new events reuse the freed space (preserved events count
    /// against it). 0 disables it. `wafscope compact` gives freed space back to the
    /// filesystem. [env: WAFSCOPE_MAX_DISK] [config: max_disk]
    /// [default: 20GiB, or half of the filesystem's free space when the data dir was first
    /// used, whichever is smaller]
    #[arg(long, value_name = "SIZE")]
    pub max_disk: Option<String>,
    /// Rule ids the tuning assistant gives the exclusions it drafts (`SecRule … "id:N"`), as
    /// START-END; each id is given once and never again, also after its exclusion is
    /// deleted. Pick a range no other local rule of the sensors uses.
    /// [env: WAFSCOPE_EXCLUSION_IDS] [config: exclusion_ids] [default: 10000-19999]
    #[arg(long, value_name = "START-END")]
    pub exclusion_ids: Option<String>,
    /// The inbound anomaly threshold the tuning assistant assumes for events whose entry does
    /// not show the one they were judged with (CRS shows it only when a request crossed it).
    /// [env: WAFSCOPE_INBOUND_THRESHOLD] [config: inbound_threshold] [default: 5]
    #[arg(long, value_name = "SCORE")]
    pub inbound_threshold: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum SensorCommand {
    /// Add a sensor; prints a ready mlogc.conf fragment and the v3/Coraza ingest URL.
    Add {
        name: String,
        /// Read the sensor password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// How sensors reach this console, e.g. https://waf-console.example:8886
        /// [default: from the listen address and TLS settings]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// List sensors.
    List,
    /// Remove a sensor's credentials (its stored events stay).
    Remove { name: String },
    /// Rotate a sensor's password and ingest URL; prints the new fragment and URL.
    Passwd {
        name: String,
        /// Read the new password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// How sensors reach this console [default: from the listen address and TLS settings]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories (searched recursively) to import.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The sensor name to file the events under.
    #[arg(long, value_name = "NAME")]
    pub sensor: String,
}

#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints a generated password unless --password-stdin is given.
    Add {
        name: String,
        /// viewer (read only), analyst (triage) or admin (everything).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles.
    List,
    /// Remove a user and end their sessions.
    Remove { name: String },
    /// Set a new password (generated unless --password-stdin) and end the user's sessions.
    Passwd {
        name: String,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; the secret is printed once, alone on the last line.
    Create {
        name: String,
        /// viewer, analyst or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List tokens (names and roles, never secrets).
    List,
    /// Revoke a token.
    Revoke { name: String },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

/// Parses the command line and runs it; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("wafscope: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let (flags, serve_args) = match &cli.command {
        Command::Serve(args) => (
            ConfigFlags {
                listen: args.listen.clone(),
                data_dir: cli.global.data_dir.clone(),
                session_hours: args.session_hours,
                max_upload_bytes: args.max_upload_bytes,
                ingest_paths: (!args.ingest_paths.is_empty()).then(|| args.ingest_paths.clone()),
                tls_cert: args.tls_cert.clone(),
                tls_key: args.tls_key.clone(),
                tls_self_signed: args.tls_self_signed,
                write_queue: args.write_queue,
                client_timeout_seconds: args.client_timeout_seconds,
                cache_mb: args.cache_mb,
                retain_days: args.retain_days,
                max_disk: args.max_disk.clone(),
                exclusion_ids: args.exclusion_ids.clone(),
                inbound_threshold: args.inbound_threshold,
            },
            true,
        ),
        _ => (ConfigFlags { data_dir: cli.global.data_dir.clone(), ..ConfigFlags::default() }, false),
    };
    let config_path = cli.global.config.clone().or_else(|| env.get("WAFSCOPE_CONFIG").map(PathBuf::from));
    let file_text = match &config_path {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?),
        None => None,
    };
    let config = Config::from_sources(&flags, &env, file_text.as_deref())?;
    crate::telemetry::init(&env);
    for name in crate::config::unknown_env_vars(&env) {
        tracing::warn!(variable = %name, "unknown WAFSCOPE_ environment variable ignored");
    }
    if serve_args {
        return crate::serve::run(config).map(|()| ExitCode::SUCCESS);
    }
    let request = match cli.command {
        Command::Serve(_) => unreachable!("handled above"),
        Command::DebugSink(args) => return crate::serve::run_sink(&args.listen).map(|()| ExitCode::SUCCESS),
        Command::Compact => return compact(&config),
        Command::Import(args) => return crate::import::run(&config, &args.paths, &args.sensor),
        Command::Sensor(SensorCommand::Add { name, password_stdin, url }) => AdminRequest::SensorAdd {
            name,
            password: read_password(password_stdin)?,
            url_base: url.unwrap_or_else(|| admin::sensors::default_url_base(&config)),
        },
        Command::Sensor(SensorCommand::List) => AdminRequest::SensorList,
        Command::Sensor(SensorCommand::Remove { name }) => AdminRequest::SensorRemove { name },
        Command::Sensor(SensorCommand::Passwd { name, password_stdin, url }) => AdminRequest::SensorPasswd {
            name,
            password: read_password(password_stdin)?,
            url_base: url.unwrap_or_else(|| admin::sensors::default_url_base(&config)),
        },
        Command::User(UserCommand::Add { name, role, password_stdin }) => AdminRequest::UserAdd { name, role, password: read_password(password_stdin)? },
        Command::User(UserCommand::List) => AdminRequest::UserList,
        Command::User(UserCommand::Remove { name }) => AdminRequest::UserRemove { name },
        Command::User(UserCommand::Passwd { name, password_stdin }) => AdminRequest::UserPasswd { name, password: read_password(password_stdin)? },
        Command::Token(TokenCommand::Create { name, role }) => AdminRequest::TokenCreate { name, role },
        Command::Token(TokenCommand::List) => AdminRequest::TokenList,
        Command::StorageReport => AdminRequest::StorageReport,
        Command::Token(TokenCommand::Revoke { name }) => AdminRequest::TokenRevoke { name },
    };
    match admin::target::admin_request(&config, &request)? {
        Ok(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("wafscope: {message}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn compact(config: &Config) -> anyhow::Result<ExitCode> {
    match crate::store::compact(&config.data_dir) {
        Ok((before, after)) => {
            println!("compacted {}: {before} → {after} bytes", config.data_dir.join(crate::store::DATABASE_FILE).display());
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Locked(_)) => anyhow::bail!("data dir {} is in use: stop `wafscope serve` before compacting", config.data_dir.display()),
        Err(error) => Err(error).context(format!("compacting data dir {}", config.data_dir.display())),
    }
}

/// The first line of standard input when `--password-stdin` was given.
fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut text = String::new();
    std::io::stdin().take(4096).read_to_string(&mut text).context("reading the password from stdin")?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(!password.is_empty(), "--password-stdin: standard input had no password");
    Ok(Some(password))
}
