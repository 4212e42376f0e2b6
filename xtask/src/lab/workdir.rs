//! The lab work directory: its path rules, `lab.env` (plain `KEY=VALUE`), the marker that makes
//! it safe to wipe, and the ownership and permission rules for Apache's / nginx's `www-data`.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// File that marks a directory as a lab work dir (only such dirs are ever wiped).
const MARKER: &str = ".lab-workdir";
/// The lab's state file: one `KEY=VALUE` per line, no quoting.
pub const ENV_FILE: &str = "lab.env";

/// WORKDIR as an absolute path, created when missing; rejects characters the configs cannot quote.
pub fn absolute(dir: &str) -> Result<PathBuf, String> {
    if dir.is_empty() {
        return Err("missing WORKDIR".to_owned());
    }
    if dir.chars().any(|c| c.is_whitespace() || "\"'\\$`;|&".contains(c)) {
        return Err(format!("WORKDIR must not contain spaces, quotes or shell characters: {dir}"));
    }
    fs::create_dir_all(dir).map_err(|error| format!("creating {dir}: {error}"))?;
    fs::canonicalize(dir).map_err(|error| format!("resolving {dir}: {error}"))
}

/// WORKDIR of a lab that must already exist (`lab.env` present).
pub fn existing(dir: &str) -> Result<PathBuf, String> {
    let path = fs::canonicalize(dir).map_err(|error| format!("{dir}: {error}"))?;
    if !path.join(ENV_FILE).is_file() {
        return Err(format!("{}/{ENV_FILE} not found: is there a lab in {}? (lab up / lab v3-up)", path.display(), path.display()));
    }
    Ok(path)
}

/// `path` as text (work dirs are checked to be plain UTF-8 by `absolute`).
pub fn text(path: &Path) -> String {
    path.display().to_string()
}

/// Makes `dir` an empty lab work dir: an old lab dir (marker present, nothing running) is
/// wiped, any other non-empty dir is refused.  Ends with mode 0755 (www-data must enter it).
pub fn prepare(dir: &Path) -> Result<(), String> {
    let mut entries = fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?.peekable();
    if entries.peek().is_some() {
        if !dir.join(MARKER).exists() {
            return Err(format!("{} is not empty and was not made by `lab up`; refusing to clear it", dir.display()));
        }
        let running = super::procs::lab_processes(dir);
        if !running.is_empty() {
            return Err(format!("a lab is still running in {} (run `cargo xtask lab down {}` first)", dir.display(), dir.display()));
        }
        for entry in entries.flatten() {
            let path = entry.path();
            let result = if entry.file_type().is_ok_and(|kind| kind.is_dir()) { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            result.map_err(|error| format!("clearing {}: {error}", path.display()))?;
        }
    }
    fs::write(dir.join(MARKER), b"").map_err(|error| format!("writing marker: {error}"))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(|error| format!("chmod 0755 {}: {error}", dir.display()))
}

/// Whether `dir` is a lab work dir (has the marker).
pub fn is_lab_dir(dir: &Path) -> bool {
    dir.join(MARKER).exists()
}

/// Writes `lab.env`.
pub fn write_env(dir: &Path, pairs: &[(&str, String)]) -> Result<(), String> {
    let mut text = String::from("# written by cargo xtask lab; KEY=VALUE, no quoting\n");
    for (key, value) in pairs {
        text.push_str(&format!("{key}={value}\n"));
    }
    fs::write(dir.join(ENV_FILE), text).map_err(|error| format!("writing {ENV_FILE}: {error}"))
}

/// The values of `lab.env`.
pub struct LabEnv {
    pairs: Vec<(String, String)>,
}

impl LabEnv {
    pub fn read(dir: &Path) -> Result<LabEnv, String> {
        let path = dir.join(ENV_FILE);
        let text = fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let pairs = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Ok(LabEnv { pairs })
    }

    pub fn get(&self, key: &str) -> Result<&str, String> {
        self.pairs.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value.as_str()).ok_or_else(|| format!("{key} missing in {ENV_FILE}"))
    }
}

/// The user Apache's children and nginx's workers run as: `www-data` when we are root, none
/// (everything runs as ourselves) otherwise.
#[derive(Clone, Debug)]
pub struct RunUser {
    pub uid: u32,
    pub gid: u32,
}

pub fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// `Some(www-data)` when running as root.
pub fn run_user() -> Result<Option<RunUser>, String> {
    if !is_root() {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(|error| format!("/etc/passwd: {error}"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() > 3 && fields[0] == "www-data")
        .map(|fields| RunUser { uid: fields[2].parse().unwrap_or(33), gid: fields[3].parse().unwrap_or(33) })
        .map(Some)
        .ok_or_else(|| "user www-data does not exist (it comes with the apache2 / nginx packages)".to_owned())
}

/// Every parent of `dir` must be searchable by others, or www-data cannot reach the work dir.
pub fn check_traversable(dir: &Path) -> Result<(), String> {
    for parent in dir.ancestors().skip(1) {
        let mode = fs::metadata(parent).map_err(|error| format!("{}: {error}", parent.display()))?.mode();
        if mode & 0o001 == 0 {
            return Err(format!(
                "{} is not searchable by others (mode {:o}): www-data (Apache children / nginx workers) could not reach the work dir; \
                 use a work dir below /tmp, or chmod o+x {}",
                parent.display(),
                mode & 0o7777,
                parent.display()
            ));
        }
    }
    Ok(())
}

/// `chown -R user: path`.
pub fn chown_tree(path: &Path, user: &RunUser) -> Result<(), String> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(|error| format!("chown {}: {error}", path.display()))?;
    if path.is_dir() {
        for entry in fs::read_dir(path).map_err(|error| format!("{}: {error}", path.display()))? {
            let entry = entry.map_err(|error| error.to_string())?;
            chown_tree(&entry.path(), user)?;
        }
    }
    Ok(())
}

/// Number of regular files below `dir` (0 when it does not exist).
pub fn count_files(dir: &Path) -> usize {
    files_below(dir).len()
}

/// Regular files below `dir`.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(kind) if kind.is_file() => found.push(entry.path()),
                _ => {}
            }
        }
    }
    found
}

/// The last `lines` lines of a text file (lossy), or a note that it cannot be read.
pub fn tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(error) => format!("({}: {error})", path.display()),
    }
}

/// A fresh directory below the system temp dir, mode 0755 (www-data must be able to enter).
pub fn temp_dir(prefix: &str) -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    for attempt in 0..100u32 {
        let path = base.join(format!("{prefix}-{}-{nanos:x}{attempt}", std::process::id()));
        match fs::create_dir(&path) {
            Ok(()) => {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(|error| format!("chmod {}: {error}", path.display()))?;
                return fs::canonicalize(&path).map_err(|error| error.to_string());
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(format!("creating a temp dir in {}: {error}", base.display())),
        }
    }
    Err("cannot create a temp dir".to_owned())
}
