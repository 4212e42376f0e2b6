//! Free space of the filesystem holding a path (for the default disk budget).

use std::path::Path;

/// Bytes an unprivileged process may still write on the filesystem of `path` (0 when it
/// cannot be read).
pub fn free_bytes(path: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    let Ok(name) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return 0 };
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `name` is a NUL-terminated path and `stats` is writable memory of the right type;
    // statvfs only writes into it and we read it only on success.
    let result = unsafe { libc::statvfs(name.as_ptr(), stats.as_mut_ptr()) };
    if result != 0 {
        return 0;
    }
    // SAFETY: statvfs returned 0, so it filled `stats`.
    let stats = unsafe { stats.assume_init() };
    // (the casts are not no-ops everywhere: both fields are 32-bit on some targets)
    #[allow(clippy::unnecessary_cast)]
    (stats.f_bavail as u64).saturating_mul(stats.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_real_directory_has_free_space_and_a_missing_one_none() {
        assert!(super::free_bytes(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))) > 0);
        assert_eq!(super::free_bytes(std::path::Path::new("/no/such/dir/at/all")), 0);
    }
}
