//! Files and directories that only their owner may read: the data dir holds raw requests with
//! end users' cookies and passwords, the TLS key and the first admin password. Each is
//! created with its mode (never created open and narrowed afterwards).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `path` (and missing parents) as mode 0700. An existing directory keeps its mode.
pub fn create_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Writes `bytes` into `path`, created (or truncated) as mode 0600, and syncs it.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates `path` empty as mode 0600 unless it exists (redb then initialises an empty file as a
/// new database, with the mode it was given).
pub fn create_empty_file(path: &Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}
