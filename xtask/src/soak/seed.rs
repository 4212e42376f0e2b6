//! The old events the soak's retention purge removes: before the console's first start,
//! `wafscope import` runs under faketime 30 days back and files them under sensor
//! [`AGED_SENSOR`]; the console keeps 7 days, so it purges them, in small steps, while the
//! sensors upload. (Event ids are arrival times and only grow, so old events can be added
//! only before the first new one.)

use crate::bench::uploads::Fixture;
use crate::lab::procs::run_with_timeout;
use std::path::Path;
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
    let mut command = Command::new("faketime");
    command.args(["-f", BACK]).arg(binary).arg("import").arg("--data-dir").arg(data_dir).args(["--sensor", AGED_SENSOR]).arg(&file).env("WAFSCOPE_LOG", "warn");
    let output =
        run_with_timeout(&mut command, None, Duration::from_secs(600)).map_err(|error| format!("{error} (is faketime installed? `cargo xtask setup`)"))?;
    if !output.success {
        return Err(format!("faketime {BACK} wafscope import failed: {}{}", output.stderr.trim(), output.stdout.trim()));
    }
    if !output.stdout.contains(&format!(": {count} new")) {
        return Err(format!("importing {count} old events: {}", output.stdout.trim()));
    }
    Ok(())
}
