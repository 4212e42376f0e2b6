//! The validated [`Config`], built by the pure [`Config::from_sources`] from four layers:
//! defaults < TOML file < `WAFSCOPE_*` environment < command-line flags.

use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Default listen address: loopback only, so nothing is exposed until the operator says so.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8886";
/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./wafscope-data";
/// Default browser session lifetime.
pub const DEFAULT_SESSION_HOURS: u64 = 12;

/// Every environment variable wafscope reads; others starting with `WAFSCOPE_` are reported.
pub const KNOWN_ENV_VARS: &[&str] = &[
    "WAFSCOPE_LISTEN",
    "WAFSCOPE_DATA_DIR",
    "WAFSCOPE_CONFIG",
    "WAFSCOPE_SESSION_HOURS",
    "WAFSCOPE_LOG",
    "WAFSCOPE_MAX_UPLOAD_BYTES",
    "WAFSCOPE_INGEST_PATHS",
    "WAFSCOPE_TLS_CERT",
    "WAFSCOPE_TLS_KEY",
    "WAFSCOPE_TLS_SELF_SIGNED",
    "WAFSCOPE_WRITE_QUEUE",
    "WAFSCOPE_CLIENT_TIMEOUT",
    "WAFSCOPE_CACHE_MB",
    "WAFSCOPE_RETAIN_DAYS",
    "WAFSCOPE_EXCLUSION_IDS",
    "WAFSCOPE_INBOUND_THRESHOLD",
    "WAFSCOPE_MAX_DISK",
];
/// Default seconds a client may stall while sending request headers or between body chunks.
pub const DEFAULT_CLIENT_TIMEOUT_SECONDS: u64 = 30;
/// Default cap on one upload: larger entries are answered 409 (and recorded).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 64 * 1024 * 1024;
/// Default number of uploads that may wait for the writer before new ones get 503.
pub const DEFAULT_WRITE_QUEUE: usize = 8192;
/// MiB of database pages `serve` keeps in memory (redb's cache; the OS page cache comes on top).
pub const DEFAULT_CACHE_MB: u64 = 64;

/// Default days an event is kept after its arrival.
pub const DEFAULT_RETAIN_DAYS: u64 = 90;

/// The disk budget of the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskBudget {
    /// 20 GiB, or half of the filesystem's free space at the data dir's first start.
    Default,
    /// This many bytes; 0 = no budget.
    Bytes(u64),
}

/// Parses a size like `32MiB`, `20GiB`, `500M`, `1.5T` or plain bytes (`0` disables).
/// K/M/G/T and KiB/MiB/GiB/TiB are all powers of 1024; `KB`/`MB`/… powers of 1000.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok().filter(|value: &f64| value.is_finite() && *value >= 0.0)?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return None,
    };
    let bytes = number * multiplier;
    (bytes < 1.8e19).then_some(bytes as u64)
}

/// How the listener does TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain HTTP.
    Off,
    /// PEM certificate chain and private key files.
    Files { cert: PathBuf, key: PathBuf },
    /// A certificate generated once into `<data dir>/tls/`.
    SelfSigned,
}

/// The effective configuration of a `wafscope` process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub session_hours: u64,
    pub max_upload_bytes: u64,
    /// Extra mlogc paths besides `/rpc/auditLogReceiver`.
    pub ingest_paths: Vec<String>,
    pub tls: TlsMode,
    pub write_queue: usize,
    /// Seconds a client may stall while sending headers or between body chunks.
    pub client_timeout_seconds: u64,
    /// MiB of redb page cache.
    pub cache_mb: u64,
    /// Days events are kept after arrival; 0 = forever.
    pub retain_days: u64,
    pub max_disk: DiskBudget,
    /// The rule ids drafted exclusions take (`SecRule … "id:N"`), inclusive; never reused.
    pub exclusion_ids: (u32, u32),
    /// The inbound anomaly threshold of events whose entry does not show theirs.
    pub inbound_threshold: u32,
}

/// Rule ids drafted exclusions take by default: CRS leaves 1–99 999 to local rules.
pub const DEFAULT_EXCLUSION_IDS: (u32, u32) = (10_000, 19_999);
/// CRS's default inbound anomaly threshold.
pub const DEFAULT_INBOUND_THRESHOLD: u32 = 5;

/// `START-END` rule ids (`1 ≤ START ≤ END`).
fn parse_id_range(text: &str) -> Option<(u32, u32)> {
    let (start, end) = text.trim().split_once('-')?;
    let (start, end) = (start.trim().parse::<u32>().ok()?, end.trim().parse::<u32>().ok()?);
    (1 <= start && start <= end).then_some((start, end))
}

/// Values given on the command line (highest precedence); `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigFlags {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub session_hours: Option<u64>,
    pub max_upload_bytes: Option<u64>,
    pub ingest_paths: Option<Vec<String>>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `--tls-self-signed` given (a switch: absent = not given).
    pub tls_self_signed: bool,
    pub write_queue: Option<usize>,
    pub client_timeout_seconds: Option<u64>,
    pub cache_mb: Option<u64>,
    pub retain_days: Option<u64>,
    pub max_disk: Option<String>,
    pub exclusion_ids: Option<String>,
    pub inbound_threshold: Option<u32>,
}

/// The TOML file's keys; unknown keys are an error so typos do not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    session_hours: Option<u64>,
    max_upload_bytes: Option<u64>,
    ingest_paths: Option<Vec<String>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_self_signed: Option<bool>,
    write_queue: Option<usize>,
    client_timeout_seconds: Option<u64>,
    cache_mb: Option<u64>,
    retain_days: Option<u64>,
    /// A size string (`"20GiB"`) or a number of bytes.
    max_disk: Option<toml::Value>,
    exclusion_ids: Option<String>,
    inbound_threshold: Option<u32>,
}

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("config file: {0}")]
    File(String),
    #[error("{source_name}: {value:?} is not a socket address like 127.0.0.1:8886 or [::]:8886")]
    Listen { source_name: String, value: String },
    #[error("{source_name}: {value:?} is not a whole number of hours between 1 and 8760")]
    SessionHours { source_name: String, value: String },
    #[error("{source_name}: {value:?} is not {expected}")]
    Invalid { source_name: String, value: String, expected: &'static str },
    #[error("TLS: {0}")]
    Tls(String),
}

impl Config {
    /// Layers the sources; `env` is the process environment (passed in for testability),
    /// `file_text` the content of the config file, if one was named.
    pub fn from_sources(flags: &ConfigFlags, env: &HashMap<String, String>, file_text: Option<&str>) -> Result<Config, ConfigError> {
        let file: FileConfig = match file_text {
            Some(text) => toml::from_str(text).map_err(|error| ConfigError::File(error.to_string()))?,
            None => FileConfig::default(),
        };

        let (listen_source, listen_text) = pick(
            flags.listen.clone(),
            "--listen",
            env.get("WAFSCOPE_LISTEN").cloned(),
            "WAFSCOPE_LISTEN",
            file.listen,
            "config key listen",
            DEFAULT_LISTEN.to_owned(),
        );
        let listen =
            listen_text.parse::<SocketAddr>().map_err(|_| ConfigError::Listen { source_name: listen_source.to_owned(), value: listen_text.clone() })?;

        let (_, data_dir) = pick(
            flags.data_dir.clone(),
            "--data-dir",
            env.get("WAFSCOPE_DATA_DIR").map(PathBuf::from),
            "WAFSCOPE_DATA_DIR",
            file.data_dir,
            "config key data_dir",
            PathBuf::from(DEFAULT_DATA_DIR),
        );

        let (hours_source, hours_text) = pick(
            flags.session_hours.map(|hours| hours.to_string()),
            "--session-hours",
            env.get("WAFSCOPE_SESSION_HOURS").cloned(),
            "WAFSCOPE_SESSION_HOURS",
            file.session_hours.map(|hours| hours.to_string()),
            "config key session_hours",
            DEFAULT_SESSION_HOURS.to_string(),
        );
        let session_hours = hours_text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|hours| (1..=8760).contains(hours))
            .ok_or_else(|| ConfigError::SessionHours { source_name: hours_source.to_owned(), value: hours_text.clone() })?;

        let (bytes_source, bytes_text) = pick(
            flags.max_upload_bytes.map(|bytes| bytes.to_string()),
            "--max-upload-bytes",
            env.get("WAFSCOPE_MAX_UPLOAD_BYTES").cloned(),
            "WAFSCOPE_MAX_UPLOAD_BYTES",
            file.max_upload_bytes.map(|bytes| bytes.to_string()),
            "config key max_upload_bytes",
            DEFAULT_MAX_UPLOAD_BYTES.to_string(),
        );
        let max_upload_bytes = bytes_text.trim().parse::<u64>().ok().filter(|bytes| *bytes >= 1024).ok_or_else(|| ConfigError::Invalid {
            source_name: bytes_source.to_owned(),
            value: bytes_text.clone(),
            expected: "a number of bytes >= 1024",
        })?;

        let (queue_source, queue_text) = pick(
            flags.write_queue.map(|queue| queue.to_string()),
            "--write-queue",
            env.get("WAFSCOPE_WRITE_QUEUE").cloned(),
            "WAFSCOPE_WRITE_QUEUE",
            file.write_queue.map(|queue| queue.to_string()),
            "config key write_queue",
            DEFAULT_WRITE_QUEUE.to_string(),
        );
        let write_queue = queue_text.trim().parse::<usize>().ok().filter(|queue| (1..=1_000_000).contains(queue)).ok_or_else(|| ConfigError::Invalid {
            source_name: queue_source.to_owned(),
            value: queue_text.clone(),
            expected: "a queue length between 1 and 1000000",
        })?;

        let (paths_source, ingest_paths) = pick(
            flags.ingest_paths.clone(),
            "--ingest-path",
            env.get("WAFSCOPE_INGEST_PATHS").map(|text| text.split(',').map(|path| path.trim().to_owned()).filter(|path| !path.is_empty()).collect()),
            "WAFSCOPE_INGEST_PATHS",
            file.ingest_paths,
            "config key ingest_paths",
            Vec::new(),
        );
        for path in &ingest_paths {
            let valid = path.starts_with('/') && !path.starts_with("/api/") && path != "/" && !path.contains(['{', '}', '*', '?', '#']);
            if !valid {
                return Err(ConfigError::Invalid {
                    source_name: paths_source.to_owned(),
                    value: path.clone(),
                    expected: "an absolute path outside /api/ without {, }, *, ? or #",
                });
            }
        }

        let self_signed = flags.tls_self_signed
            || env.get("WAFSCOPE_TLS_SELF_SIGNED").is_some_and(|value| matches!(value.as_str(), "1" | "true" | "yes"))
            || file.tls_self_signed.unwrap_or(false);
        let cert = flags.tls_cert.clone().or_else(|| env.get("WAFSCOPE_TLS_CERT").map(PathBuf::from)).or(file.tls_cert);
        let key = flags.tls_key.clone().or_else(|| env.get("WAFSCOPE_TLS_KEY").map(PathBuf::from)).or(file.tls_key);
        let tls = match (cert, key, self_signed) {
            (None, None, false) => TlsMode::Off,
            (None, None, true) => TlsMode::SelfSigned,
            (Some(cert), Some(key), false) => TlsMode::Files { cert, key },
            (Some(_), Some(_), true) => {
                return Err(ConfigError::Tls("give either --tls-cert/--tls-key or --tls-self-signed, not both".to_owned()));
            }
            _ => return Err(ConfigError::Tls("--tls-cert and --tls-key go together".to_owned())),
        };

        let (timeout_source, timeout_text) = pick(
            flags.client_timeout_seconds.map(|seconds| seconds.to_string()),
            "--client-timeout",
            env.get("WAFSCOPE_CLIENT_TIMEOUT").cloned(),
            "WAFSCOPE_CLIENT_TIMEOUT",
            file.client_timeout_seconds.map(|seconds| seconds.to_string()),
            "config key client_timeout_seconds",
            DEFAULT_CLIENT_TIMEOUT_SECONDS.to_string(),
        );
        let client_timeout_seconds = timeout_text.trim().parse::<u64>().ok().filter(|seconds| (1..=3600).contains(seconds)).ok_or_else(|| {
            ConfigError::Invalid { source_name: timeout_source.to_owned(), value: timeout_text.clone(), expected: "a number of seconds between 1 and 3600" }
        })?;

        let (cache_source, cache_text) = pick(
            flags.cache_mb.map(|mb| mb.to_string()),
            "--cache-mb",
            env.get("WAFSCOPE_CACHE_MB").cloned(),
            "WAFSCOPE_CACHE_MB",
            file.cache_mb.map(|mb| mb.to_string()),
            "config key cache_mb",
            DEFAULT_CACHE_MB.to_string(),
        );
        let cache_mb = cache_text.trim().parse::<u64>().ok().filter(|mb| (16..=1_048_576).contains(mb)).ok_or_else(|| ConfigError::Invalid {
            source_name: cache_source.to_owned(),
            value: cache_text.clone(),
            expected: "a number of MiB between 16 and 1048576",
        })?;

        let (days_source, days_text) = pick(
            flags.retain_days.map(|days| days.to_string()),
            "--retain-days",
            env.get("WAFSCOPE_RETAIN_DAYS").cloned(),
            "WAFSCOPE_RETAIN_DAYS",
            file.retain_days.map(|days| days.to_string()),
            "config key retain_days",
            DEFAULT_RETAIN_DAYS.to_string(),
        );
        let retain_days = days_text.trim().parse::<u64>().ok().filter(|days| *days <= 36_500).ok_or_else(|| ConfigError::Invalid {
            source_name: days_source.to_owned(),
            value: days_text.clone(),
            expected: "a number of days (0 keeps events forever)",
        })?;

        let file_disk = match file.max_disk {
            None => None,
            Some(toml::Value::String(text)) => Some(text),
            Some(toml::Value::Integer(bytes)) => Some(bytes.to_string()),
            Some(other) => Some(other.to_string()),
        };
        let (disk_source, disk_text) = pick(
            flags.max_disk.clone(),
            "--max-disk",
            env.get("WAFSCOPE_MAX_DISK").cloned(),
            "WAFSCOPE_MAX_DISK",
            file_disk,
            "config key max_disk",
            "default".to_owned(),
        );
        let max_disk = if disk_source == "default" || disk_text.trim().eq_ignore_ascii_case("default") {
            DiskBudget::Default
        } else {
            let bytes = parse_size(&disk_text).filter(|bytes| *bytes == 0 || *bytes >= 4 << 20).ok_or_else(|| ConfigError::Invalid {
                source_name: disk_source.to_owned(),
                value: disk_text.clone(),
                expected: "a size like 32MiB or 20GiB (at least 4MiB; 0 disables the budget)",
            })?;
            DiskBudget::Bytes(bytes)
        };

        let (ids_source, ids_text) = pick(
            flags.exclusion_ids.clone(),
            "--exclusion-ids",
            env.get("WAFSCOPE_EXCLUSION_IDS").cloned(),
            "WAFSCOPE_EXCLUSION_IDS",
            file.exclusion_ids.clone(),
            "config key exclusion_ids",
            format!("{}-{}", DEFAULT_EXCLUSION_IDS.0, DEFAULT_EXCLUSION_IDS.1),
        );
        let exclusion_ids = parse_id_range(&ids_text).ok_or_else(|| ConfigError::Invalid {
            source_name: ids_source.to_owned(),
            value: ids_text.clone(),
            expected: "a range of rule ids like 10000-19999",
        })?;
        let (threshold_source, threshold_text) = pick(
            flags.inbound_threshold.map(|threshold| threshold.to_string()),
            "--inbound-threshold",
            env.get("WAFSCOPE_INBOUND_THRESHOLD").cloned(),
            "WAFSCOPE_INBOUND_THRESHOLD",
            file.inbound_threshold.map(|threshold| threshold.to_string()),
            "config key inbound_threshold",
            DEFAULT_INBOUND_THRESHOLD.to_string(),
        );
        let inbound_threshold =
            threshold_text.trim().parse::<u32>().ok().filter(|threshold| (1..=10_000).contains(threshold)).ok_or_else(|| ConfigError::Invalid {
                source_name: threshold_source.to_owned(),
                value: threshold_text.clone(),
                expected: "an anomaly score threshold between 1 and 10000",
            })?;

        Ok(Config {
            listen,
            data_dir,
            session_hours,
            max_upload_bytes,
            ingest_paths,
            tls,
            write_queue,
            client_timeout_seconds,
            cache_mb,
            retain_days,
            max_disk,
            exclusion_ids,
            inbound_threshold,
        })
    }
}

/// The first value present, flag > env > file > default, with the name of its source.
fn pick<T>(
    flag: Option<T>,
    flag_name: &'static str,
    env: Option<T>,
    env_name: &'static str,
    file: Option<T>,
    file_name: &'static str,
    default: T,
) -> (&'static str, T) {
    flag.map(|value| (flag_name, value))
        .or_else(|| env.map(|value| (env_name, value)))
        .or_else(|| file.map(|value| (file_name, value)))
        .unwrap_or(("default", default))
}

/// `WAFSCOPE_*` variables that wafscope does not know (likely typos).
pub fn unknown_env_vars(env: &HashMap<String, String>) -> Vec<String> {
    let mut unknown: Vec<String> = env.keys().filter(|name| name.starts_with("WAFSCOPE_") && !KNOWN_ENV_VARS.contains(&name.as_str())).cloned().collect();
    unknown.sort();
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let config = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), None).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8886".parse().unwrap());
        assert_eq!(config.data_dir, PathBuf::from("./wafscope-data"));
        assert_eq!(config.session_hours, 12);
    }

    #[test]
    fn file_beats_defaults_env_beats_file_flags_beat_env() {
        let file = "listen = \"127.0.0.1:1001\"\ndata_dir = \"/from/file\"\nsession_hours = 3\n";
        let only_file = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some(file)).unwrap();
        assert_eq!(only_file.listen.port(), 1001);
        assert_eq!(only_file.data_dir, PathBuf::from("/from/file"));
        assert_eq!(only_file.session_hours, 3);

        let environment = env(&[("WAFSCOPE_LISTEN", "127.0.0.1:1002"), ("WAFSCOPE_SESSION_HOURS", "4")]);
        let with_env = Config::from_sources(&ConfigFlags::default(), &environment, Some(file)).unwrap();
        assert_eq!(with_env.listen.port(), 1002);
        assert_eq!(with_env.data_dir, PathBuf::from("/from/file"), "env did not set it, file still applies");
        assert_eq!(with_env.session_hours, 4);

        let flags = ConfigFlags { listen: Some("[::1]:1003".into()), data_dir: Some("/from/flag".into()), ..ConfigFlags::default() };
        let with_flags = Config::from_sources(&flags, &environment, Some(file)).unwrap();
        assert_eq!(with_flags.listen, "[::1]:1003".parse().unwrap());
        assert_eq!(with_flags.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(with_flags.session_hours, 4);
    }

    #[test]
    fn errors_name_their_source() {
        let bad_env = env(&[("WAFSCOPE_LISTEN", "localhost")]);
        let error = Config::from_sources(&ConfigFlags::default(), &bad_env, None).unwrap_err();
        assert!(error.to_string().contains("WAFSCOPE_LISTEN"), "{error}");
        let error = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some("listen = 5")).unwrap_err();
        assert!(matches!(error, ConfigError::File(_)), "{error}");
        let error = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some("lisen = \"x\"")).unwrap_err();
        assert!(error.to_string().contains("lisen"), "unknown keys are reported: {error}");
        let error = Config::from_sources(&ConfigFlags { session_hours: Some(0), ..Default::default() }, &HashMap::new(), None).unwrap_err();
        assert!(error.to_string().contains("--session-hours"), "{error}");
    }

    #[test]
    fn ingest_and_tls_settings_layer_and_validate() {
        let file = "max_upload_bytes = 2048\ningest_paths = [\"/api-old/auditlog/\"]\ntls_self_signed = true\n";
        let config = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some(file)).unwrap();
        assert_eq!(config.max_upload_bytes, 2048);
        assert_eq!(config.ingest_paths, vec!["/api-old/auditlog/".to_owned()]);
        assert_eq!(config.tls, TlsMode::SelfSigned);
        let environment = env(&[("WAFSCOPE_MAX_UPLOAD_BYTES", "4096"), ("WAFSCOPE_INGEST_PATHS", "/a, /b")]);
        let config = Config::from_sources(&ConfigFlags { max_upload_bytes: Some(8192), ..Default::default() }, &environment, Some(file)).unwrap();
        assert_eq!(config.max_upload_bytes, 8192);
        assert_eq!(config.ingest_paths, vec!["/a".to_owned(), "/b".to_owned()]);
        let defaults = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), None).unwrap();
        assert_eq!((defaults.max_upload_bytes, defaults.tls.clone()), (64 * 1024 * 1024, TlsMode::Off));
        assert_eq!(defaults.cache_mb, DEFAULT_CACHE_MB);
        let environment = HashMap::from([("WAFSCOPE_CACHE_MB".to_owned(), "8".to_owned())]);
        let error = Config::from_sources(&ConfigFlags::default(), &environment, None).unwrap_err();
        assert!(error.to_string().contains("WAFSCOPE_CACHE_MB"), "{error}");
        let config = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some("cache_mb = 1024\n")).unwrap();
        assert_eq!(config.cache_mb, 1024);
        for bad in ["ingest_paths = [\"/api/v1/x\"]", "max_upload_bytes = 5", "tls_cert = \"/c.pem\""] {
            assert!(Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn retention_settings_layer_parse_sizes_and_default_safely() {
        let defaults = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), None).unwrap();
        assert_eq!((defaults.retain_days, defaults.max_disk), (90, DiskBudget::Default));
        let file = "retain_days = 30\nmax_disk = \"32MiB\"\n";
        let config = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some(file)).unwrap();
        assert_eq!((config.retain_days, config.max_disk), (30, DiskBudget::Bytes(32 << 20)));
        let config = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some("max_disk = 0\n")).unwrap();
        assert_eq!(config.max_disk, DiskBudget::Bytes(0), "0 disables the budget");
        let environment = env(&[("WAFSCOPE_MAX_DISK", "20GiB"), ("WAFSCOPE_RETAIN_DAYS", "0")]);
        let config = Config::from_sources(&ConfigFlags::default(), &environment, Some(file)).unwrap();
        assert_eq!((config.retain_days, config.max_disk), (0, DiskBudget::Bytes(20 << 30)));
        let flags = ConfigFlags { max_disk: Some("1.5G".into()), retain_days: Some(7), ..Default::default() };
        let config = Config::from_sources(&flags, &environment, Some(file)).unwrap();
        assert_eq!((config.retain_days, config.max_disk), (7, DiskBudget::Bytes(1610612736)));
        for bad in ["20 parsecs", "1MiB", "-5G", ""] {
            let flags = ConfigFlags { max_disk: Some(bad.into()), ..Default::default() };
            let error = Config::from_sources(&flags, &HashMap::new(), None).unwrap_err();
            assert!(error.to_string().contains("--max-disk"), "{bad}: {error}");
        }
        assert_eq!(parse_size("500MB"), Some(500_000_000));
        assert_eq!(parse_size("4096"), Some(4096));
    }

    #[test]
    fn unknown_wafscope_variables_are_reported() {
        let environment = env(&[("WAFSCOPE_LISTN", "x"), ("WAFSCOPE_LISTEN", "y"), ("HOME", "/root")]);
        assert_eq!(unknown_env_vars(&environment), vec!["WAFSCOPE_LISTN".to_owned()]);
    }

    #[test]
    fn exclusion_ids_and_the_inbound_threshold() {
        let defaults = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), None).unwrap();
        assert_eq!((defaults.exclusion_ids, defaults.inbound_threshold), (DEFAULT_EXCLUSION_IDS, DEFAULT_INBOUND_THRESHOLD));
        let file = "exclusion_ids = \"5000-5099\"\ninbound_threshold = 7\n";
        let from_file = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), Some(file)).unwrap();
        assert_eq!((from_file.exclusion_ids, from_file.inbound_threshold), ((5000, 5099), 7));
        let flags = ConfigFlags { exclusion_ids: Some("100-100".into()), inbound_threshold: Some(10), ..ConfigFlags::default() };
        let from_flags = Config::from_sources(&flags, &HashMap::new(), Some(file)).unwrap();
        assert_eq!((from_flags.exclusion_ids, from_flags.inbound_threshold), ((100, 100), 10));
        for bad in ["9-1", "0-5", "x", "10000"] {
            let flags = ConfigFlags { exclusion_ids: Some(bad.into()), ..ConfigFlags::default() };
            assert!(Config::from_sources(&flags, &HashMap::new(), None).is_err(), "{bad}");
        }
        let flags = ConfigFlags { inbound_threshold: Some(0), ..ConfigFlags::default() };
        assert!(Config::from_sources(&flags, &HashMap::new(), None).is_err());
    }
}
