//! The old events the soak's retention purge removes: before the console's first start,
//! `wafscope import` runs under libfaketime 30 days back and files them under sensor
//! [`AGED_SENSOR`]; the console keeps 7 days, so it purges them, in small steps, while the
//! sensors upload. (Event ids are arrival times and only grow, so old events can be added
//! only before the first new one.)

use crate::bench::uploads::Fixture;
use crate::lab::procs::run_with_timeout;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const AGED_SENSOR: &str = "aged";
/// Days the soak's console keeps events; the old ones arrived 30 days ago.
pub const RETAIN_DAYS: u64 = 7;
const BACK: &str = "-30d";
/// Upload numbers of the old events (far from the sensors' 0, 1, 2, …).
const FIRST_NUMBER: u64 = 1 << 40;

/// Imports `count` old events into `data_dir` (the console must not be running).
pub fn old_events(binary: &Path, data_dir: &Path, scratch: &Path, fixtures: &[Fixture], count: u64) -> Result<(), String> {
    if count == 0 {
        return Ok(());
    }
    let file = scratch.join("old-events.log");
    let mut log = Vec::new();
    for number in 0..count {
        let fixture = &fixtures[(number % fixtures.len() as u64) as usize];
        log.extend_from_slice(&fixture.rewrite(FIRST_NUMBER + number).body);
        if !log.ends_with(b"\n") {
            log.push(b'\n');
        }
    }
    std::fs::write(&file, &log).map_err(|error| format!("{}: {error}", file.display()))?;
    // the thread-safe libfaketime with the monotonic clock left real (the plain `faketime`
    // wrapper's single-threaded library hangs a multi-threaded program)
    let mut command = Command::new(binary);
    command
        .arg("import")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--sensor", AGED_SENSOR])
        .arg(&file)
        .env("WAFSCOPE_LOG", "warn")
        .env("LD_PRELOAD", faketime_library()?)
        .env("FAKETIME", BACK)
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let output = run_with_timeout(&mut command, None, Duration::from_secs(300))?;
    if !output.success {
        return Err(format!("wafscope import (FAKETIME={BACK}) failed: {}{}", output.stderr.trim(), output.stdout.trim()));
    }
    if !output.stdout.contains(&format!(": {count} new")) {
        return Err(format!("importing {count} old events: {}", output.stdout.trim()));
    }
    Ok(())
}

/// Debian's thread-safe libfaketime (package faketime).
fn faketime_library() -> Result<PathBuf, String> {
    let found =
        std::fs::read_dir("/usr/lib").into_iter().flatten().flatten().map(|entry| entry.path().join("faketime/libfaketimeMT.so.1")).find(|path| path.is_file());
    found.ok_or_else(|| "libfaketimeMT.so.1 not found under /usr/lib/*/faketime: run `cargo xtask setup` (Debian package faketime)".to_owned())
}
