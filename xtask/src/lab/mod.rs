//! `cargo xtask lab …`: the project's own driver for the real ModSecurity senders on loopback
//! (Apache + mod_security2 + CRS + mlogc, nginx + libmodsecurity 3), its request generator, the
//! ground truth of what was logged, and `lab test`, the real-peer scenarios against the release
//! binary.  Machine-readable `KEY=VALUE` on stdout, progress on stderr, exit 1 on failure.

mod apache;
pub mod args;
pub mod cases;
mod console;
mod expected;
pub mod http;
pub mod index_line;
pub mod json;
mod modsec;
mod nginx;
mod ports;
pub mod procs;
mod scenarios;
mod server_process;
mod site;
pub mod standin;
mod traffic;
mod tuning;
mod wafscope;
pub mod workdir;

pub use console::{Console, Sensor};
pub use server_process::{ServerProcess, random_secret};
pub use wafscope::Wafscope;

use crate::process::{TaskResult, root};
use crate::tasks::RELEASE_BINARY;
use args::Args;
use std::time::Duration;

pub const HELP: &str = "\
usage: cargo xtask lab <command> [args]

The real senders on loopback (Debian packages; `cargo xtask setup` installs them):
v2 = Apache 2.4 + mod_security2 2.9.7 + OWASP CRS 3.3.4 (PL1) piping its audit log into mlogc 2.9.7,
v3 = nginx + libmodsecurity 3.0.9 + CRS whose HTTPS writer POSTs every entry.  Programs read
KEY=VALUE words on stdout; progress goes to stderr; exit 1 on failure.

  up WORKDIR --console URL --user U --pass P [--format native|json] [--insecure] [--parts ABIJDEFHZ] [--port N]
                 write the configs into WORKDIR (empty, or an old lab dir: wiped) and start Apache + mlogc
                 on the first free port >= 28480 (127.0.0.1 and [::1])    -> LAB_HTTP=… LAB_HTTP6=… LAB_PID=…
  traffic WORKDIR [--repeat N] [--cases PREFIX,…] [--delay-ms N]
                 send the request cases; one JSON line per response in WORKDIR/manifest.jsonl
  drain WORKDIR [--timeout S]
                 wait until every deliverable entry was answered 200 (default 60 s)
                                                                          -> LAB_DRAIN=ok remaining=0 …
  expected WORKDIR
                 the unique ids ModSecurity logged, one per line (lines mlogc would reject left out)
  down WORKDIR   stop the lab by its pid files and make sure nothing of it is left     -> LAB_DOWN=ok
  v3-up WORKDIR --url URL [--parts P] [--port N]
                 nginx + libmodsecurity3, SecAuditLog URL (only [0-9A-Za-z_/.*:-])   -> as up
  v3-down WORKDIR
  cases          list the request cases
  test [--only NAME,…] [--keep]
                 the real-peer scenarios against target/release/wafscope (`cargo xtask build` first;
                 $WAFSCOPE_BIN overrides):
                 mlogc-http, mlogc-kill9-restart, mlogc-https-json, v3-nginx-https-writer,
                 tuning-apache, tuning-nginx (false positives marked, grouped, excluded through the
                 API, the .conf installed, config test, replay: they pass, attacks stay blocked)
  selftest [--only NAME,…] [--keep]
                 the same scenarios against the lab's stand-in console (checks the lab itself)
  stand-in [--listen ADDR] [--out FILE] [--status N]
                 a console that answers every request with N (200) and records each upload
  help           this text
";

/// The binary `lab test` drives: `$WAFSCOPE_BIN` (as for the e2e tests) or the release build.
pub fn wafscope_binary() -> std::path::PathBuf {
    std::env::var_os("WAFSCOPE_BIN").map_or_else(|| root().join(RELEASE_BINARY), std::path::PathBuf::from)
}

/// Runs `cargo xtask lab ARGS`.
pub fn run(raw: &[String]) -> TaskResult {
    let command = raw.first().map(String::as_str).unwrap_or("help");
    let rest = raw.get(1..).unwrap_or_default();
    match command {
        "up" => {
            let args = Args::parse(rest, &["--console", "--user", "--pass", "--format", "--parts", "--port"], &["--insecure"])?;
            args.at_most(1)?;
            let dir = workdir::absolute(args.positional(0, "WORKDIR")?)?;
            let started = apache::up(&dir, &apache::UpOptions::from_args(&args)?)?;
            println!("{}", started.line(&dir));
            Ok(())
        }
        "v3-up" => {
            let args = Args::parse(rest, &["--url", "--parts", "--port"], &[])?;
            args.at_most(1)?;
            let dir = workdir::absolute(args.positional(0, "WORKDIR")?)?;
            let started = nginx::up(&dir, &nginx::V3Options::from_args(&args)?)?;
            println!("{}", started.line(&dir));
            Ok(())
        }
        "traffic" => {
            let args = Args::parse(rest, &["--repeat", "--cases", "--delay-ms"], &[])?;
            args.at_most(1)?;
            let dir = workdir::existing(args.positional(0, "WORKDIR")?)?;
            let options = traffic::TrafficOptions {
                repeat: args.number("--repeat", 1)?,
                cases: args.value("--cases").map(str::to_owned),
                delay: Duration::from_millis(args.number("--delay-ms", 0)?),
            };
            let summary = traffic::run(&dir, &options, None)?;
            println!("LAB_TRAFFIC=ok {}", summary.line());
            Ok(())
        }
        "drain" => {
            let args = Args::parse(rest, &["--timeout"], &[])?;
            args.at_most(1)?;
            let dir = workdir::existing(args.positional(0, "WORKDIR")?)?;
            match expected::drain(&dir, Duration::from_secs(args.number("--timeout", 60)?)) {
                Ok(line) => {
                    println!("{line}");
                    Ok(())
                }
                Err(message) => {
                    let (first, rest) = message.split_once('\n').unwrap_or((&message, ""));
                    if first.starts_with("LAB_DRAIN=") {
                        println!("{first}");
                        Err(rest.to_owned())
                    } else {
                        Err(message)
                    }
                }
            }
        }
        "expected" => {
            let args = Args::parse(rest, &[], &[])?;
            args.at_most(1)?;
            let dir = workdir::existing(args.positional(0, "WORKDIR")?)?;
            for id in expected::expected_ids(&dir)? {
                println!("{id}");
            }
            Ok(())
        }
        "down" | "v3-down" => {
            let args = Args::parse(rest, &[], &[])?;
            args.at_most(1)?;
            let dir = std::fs::canonicalize(args.positional(0, "WORKDIR")?).map_err(|error| format!("WORKDIR: {error}"))?;
            match apache::down(&dir) {
                Ok(()) => {
                    println!("LAB_DOWN=ok");
                    Ok(())
                }
                Err(error) => {
                    println!("LAB_DOWN=failed");
                    Err(error)
                }
            }
        }
        "cases" => {
            for case in cases::all() {
                println!("{:<30} {}{}", case.name, case.method, if case.ipv6 { " via [::1]" } else { "" });
            }
            Ok(())
        }
        "test" | "selftest" => {
            let args = Args::parse(rest, &["--only"], &["--keep"])?;
            args.at_most(0)?;
            let target = if command == "test" { scenarios::Target::Wafscope(wafscope_binary()) } else { scenarios::Target::StandIn };
            scenarios::run(&target, args.value("--only"), args.flag("--keep"))
        }
        "stand-in" => {
            let args = Args::parse(rest, &["--listen", "--out", "--status"], &[])?;
            args.at_most(0)?;
            standin::run(&args)
        }
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown lab command {other:?}\n\n{HELP}")),
    }
}
