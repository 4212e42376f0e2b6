//! `build`, `run`, `dev` and `test` (which ends with the real-peer lab scenarios).

use crate::process::{TaskResult, cargo, root, step, tool, tool_path};
use std::process::Command;

/// The release binary that `build` produces.
pub const RELEASE_BINARY: &str = "target/release/wafscope";

pub fn build() -> TaskResult {
    step("trunk build --release (UI -> target/dist)", tool("trunk").args(["build", "--release"]))?;
    step("cargo build --release -p server", cargo().args(["build", "--release", "-p", "server"]))
}

pub fn run(args: &[String]) -> TaskResult {
    let binary = root().join(RELEASE_BINARY);
    eprintln!("\n==> {} serve {}", binary.display(), args.join(" "));
    let status = Command::new(&binary).arg("serve").args(args).status().map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    if status.success() { Ok(()) } else { Err(format!("wafscope exited with {status}")) }
}

pub fn dev(args: &[String]) -> TaskResult {
    step("trunk build (debug UI -> target/dist-dev)", tool("trunk").args(["build", "--dist", "target/dist-dev"]))?;
    let mut watcher = tool("trunk").args(["watch", "--dist", "target/dist-dev"]).spawn().map_err(|error| format!("cannot start trunk watch: {error}"))?;
    let result = step("wafscope serve (debug, UI read from target/dist-dev)", cargo().args(["run", "-p", "server", "--", "serve"]).args(args));
    let _ = watcher.kill();
    result
}

pub fn test() -> TaskResult {
    step("cargo fmt --check", cargo().args(["fmt", "--all", "--check"]))?;
    eprintln!("\n==> module dependencies point one way");
    crate::layers::run(None)?;
    step("cargo clippy (every crate and target; warnings are errors)", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step("cargo test (native: parser, store, HTTP, config)", cargo().arg("test"))?;
    crate::fuzz::fuzz(&crate::fuzz::TARGETS.iter().map(|target| (*target).to_owned()).collect::<Vec<_>>(), crate::fuzz::TEST_SECONDS)?;
    step(
        "wasm tests in headless chromium",
        cargo()
            .args(["test", "-p", "app", "--features", "ui", "--target", "wasm32-unknown-unknown"])
            .env("PATH", tool_path())
            .env("WASM_BINDGEN_USE_BROWSER", "1")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
    )?;
    build()?;
    soak_test()?;
    step(
        "end-to-end tests (playwright-core + Debian chromium)",
        tool("node").args(["--test", "--test-concurrency=1", "end2end/tests/"]).env("WAFSCOPE_BIN", root().join(RELEASE_BINARY)),
    )?;
    lab_test()
}

/// The short soak: one minute, two SIGKILLs (`cargo xtask soak --minutes 10` is the long one).
fn soak_test() -> TaskResult {
    eprintln!("\n==> soak, short: 60 s, SIGKILL every 20 s");
    let started = std::time::Instant::now();
    let args = ["--seconds", "60", "--kill-every", "20", "--old-events", "2000"].map(str::to_owned);
    let result = crate::soak::run(&args);
    eprintln!("<== soak, short: {} in {:.1} s", if result.is_ok() { "ok" } else { "FAILED" }, started.elapsed().as_secs_f64());
    result
}

/// `cargo xtask lab test`: the real senders (mlogc, libmodsecurity 3) against the release binary.
fn lab_test() -> TaskResult {
    eprintln!("\n==> real-peer lab scenarios (Apache + mod_security2 + mlogc, nginx + libmodsecurity 3)");
    let started = std::time::Instant::now();
    let result = crate::lab::run(&["test".to_owned()]);
    eprintln!("<== real-peer lab scenarios: {} in {:.1} s", if result.is_ok() { "ok" } else { "FAILED" }, started.elapsed().as_secs_f64());
    result
}
