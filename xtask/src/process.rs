//! Running commands: workspace root, cargo path, step banners, PATH with node tools.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub type TaskResult = Result<(), String>;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is inside the workspace").to_owned()
}

/// The cargo that runs us (falls back to `cargo` on PATH).
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root());
    command
}

/// A command in the workspace root with `node_modules/.bin` and `~/.cargo/bin` first on PATH
/// and Trunk kept offline (it must never download tools).
pub fn tool(program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root()).env("PATH", tool_path()).env("TRUNK_OFFLINE", "true").env("TRUNK_SKIP_VERSION_CHECK", "true");
    command
}

/// PATH with the project's tool folders in front.
pub fn tool_path() -> String {
    let mut parts = vec![root().join("node_modules/.bin").display().to_string()];
    if let Some(home) = std::env::var_os("HOME") {
        parts.push(Path::new(&home).join(".cargo/bin").display().to_string());
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

/// Runs `command` with a banner and its duration; fails with `what` on a non-zero exit.
pub fn step(what: &str, command: &mut Command) -> TaskResult {
    eprintln!("\n==> {what}");
    let started = Instant::now();
    let status = command.status().map_err(|error| format!("{what}: cannot start {:?}: {error}", command.get_program()))?;
    eprintln!("<== {what}: {} in {:.1} s", if status.success() { "ok" } else { "FAILED" }, started.elapsed().as_secs_f64());
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

/// Standard output of a command, if it ran and succeeded.
pub fn output_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
