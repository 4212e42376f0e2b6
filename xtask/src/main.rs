//! `cargo xtask <task>`: the project's build and test entry points (no dependencies).
//!
//! - `setup`  installs what is missing (idempotent): wasm target, trunk, wasm-bindgen-cli,
//!   npm tools (binaryen's wasm-opt, playwright-core), Debian packages (chromium, curl, the
//!   ModSecurity lab: apache2, mod_security2 + mlogc, OWASP CRS, nginx + libmodsecurity 3).
//! - `build`  `trunk build --release` then `cargo build --release -p server`.
//! - `run`    setup + build, then `target/release/wafscope serve [ARGS…]`.
//! - `dev`    Trunk watch into target/dist-dev + a debug server that reads it from disk.
//! - `test`   setup, then every test: native, wasm (headless chromium), release build, browser
//!   e2e, and last the real-peer lab scenarios (`lab test`).
//! - `lab`    the project's driver for the real senders on loopback (`lab/`): Apache +
//!   mod_security2 + CRS + mlogc and nginx + libmodsecurity 3, a raw-socket request generator,
//!   drain / expected (the ground truth), and `lab test`.
//! - `bench`  `bench ingest`: mlogc-shaped upload load against `wafscope debug-sink` and
//!   `wafscope serve` (`bench/`).
//! - `fuzz`   the cargo-fuzz targets of `fuzz/`, seeded from the fixtures, for a bounded time.
//! - `layers` no two modules depend on each other (`layers.rs`).
//! - `soak`   the release binary under sustained use, SIGKILLed and restarted on schedule:
//!   memory, descriptors and threads over time, nothing lost or stored twice (`soak/`).

mod bench;
mod fuzz;
mod lab;
mod layers;
mod process;
mod setup;
mod soak;
mod tasks;

use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <task> [args]

tasks:
  setup          install missing tools (idempotent): wasm32 target, trunk 0.21.14,
                 wasm-bindgen-cli (= Cargo.lock), npm ci (wasm-opt, playwright-core),
                 apt packages (chromium, chromium-driver, curl, apache2, libapache2-mod-security2,
                 modsecurity-crs, nginx, libnginx-mod-http-modsecurity, faketime)
  build          build the UI (trunk, release) and the release binary target/release/wafscope
  run [ARGS]     setup + build, then `wafscope serve ARGS` (default data dir ./wafscope-data)
  dev [ARGS]     trunk watch (debug UI in target/dist-dev) + debug `wafscope serve ARGS`
  test           setup, then all tests: cargo test, wasm tests in chromium, release build,
                 end-to-end browser tests (end2end/), real-peer lab scenarios (`lab test`)
  lab CMD        the real ModSecurity senders on loopback: up, traffic, drain, expected, down,
                 v3-up, v3-down, cases, test, selftest (`cargo xtask lab help`)
  bench ingest   upload throughput and latency: debug-sink vs serve (`cargo xtask bench help`)
  fuzz [--seconds N | --minutes N] [TARGET...]
                 the cargo-fuzz targets of fuzz/ (nightly), seeded from fixtures/, 60 s each by
                 default; prints executions per target, fails on a crash (`cargo xtask fuzz help`)
  soak [--minutes N | --seconds N] [--kill-every S] [...]
                 the release binary under sustained ingest, live streams, queries and a
                 retention purge, SIGKILLed every S s (default 10 min, 90 s); prints RSS, fds and
                 threads over time, fails when anything acknowledged is lost or stored twice or
                 memory or descriptors grow (`cargo xtask soak help`)
  layers [DIR]   fails on a cycle between modules (files) of server/, app/, parse/: each
                 module's dependencies point one way
  help           this text
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "setup" => setup::run(),
        "build" => setup::run().and_then(|()| tasks::build()),
        "run" => setup::run().and_then(|()| tasks::build()).and_then(|()| tasks::run(&rest)),
        "dev" => setup::run().and_then(|()| tasks::dev(&rest)),
        "test" => setup::run().and_then(|()| tasks::test()),
        "lab" => lab::run(&rest),
        "bench" => bench::run(&rest),
        "fuzz" => setup::run().and_then(|()| fuzz::run(&rest)),
        "soak" => soak::run(&rest),
        "layers" => layers::run(rest.first().map(std::path::Path::new)),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown task {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
