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
pub const KNOWN_ENV_VARS: &[&str] = &["WAFSCOPE_LISTEN", "WAFSCOPE_DATA_DIR", "WAFSCOPE_CONFIG", "WAFSCOPE_SESSION_HOURS", "WAFSCOPE_LOG"];

/// The effective configuration of a `wafscope` process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub session_hours: u64,
}

/// Values given on the command line (highest precedence); `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigFlags {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub session_hours: Option<u64>,
}

/// The TOML file's keys; unknown keys are an error so typos do not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    session_hours: Option<u64>,
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
        let listen = listen_text.parse::<SocketAddr>().map_err(|_| ConfigError::Listen {
            source_name: listen_source.to_owned(),
            value: listen_text.clone(),
        })?;

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

        Ok(Config { listen, data_dir, session_hours })
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
    let mut unknown: Vec<String> = env
        .keys()
        .filter(|name| name.starts_with("WAFSCOPE_") && !KNOWN_ENV_VARS.contains(&name.as_str()))
        .cloned()
        .collect();
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

        let flags = ConfigFlags { listen: Some("[::1]:1003".into()), data_dir: Some("/from/flag".into()), session_hours: None };
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
    fn unknown_wafscope_variables_are_reported() {
        let environment = env(&[("WAFSCOPE_LISTN", "x"), ("WAFSCOPE_LISTEN", "y"), ("HOME", "/root")]);
        assert_eq!(unknown_env_vars(&environment), vec!["WAFSCOPE_LISTN".to_owned()]);
    }
}
