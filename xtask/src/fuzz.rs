//! `cargo xtask fuzz [--seconds N | --minutes N] [TARGET…]`: the cargo-fuzz targets of
//! `fuzz/` (nightly, libFuzzer), each seeded from the fixture corpus and run for a bounded time.
//! Prints the executions per target; a crash fails the task and leaves its input under
//! `fuzz/artifacts/TARGET/` (make it a regression test). Built without a sanitizer (`-s none`):
//! the code under test has no `unsafe` of its own, the targets look for panics, overflow (debug
//! assertions are on) and broken invariants, and the build is minutes faster.

use crate::process::{TaskResult, root, tool};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Every target of `fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &["parse_entry", "split_entries", "index_line", "content_hash", "event_filter", "basic_auth"];

/// Seconds per target in `cargo xtask test`.
pub const TEST_SECONDS: u64 = 20;

const USAGE: &str = "usage: cargo xtask fuzz [--seconds N | --minutes N] [TARGET...]   (default: 60 s each, every target)";

pub fn run(args: &[String]) -> TaskResult {
    let mut seconds = 60;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" | "--minutes" => {
                let value: u64 = args.next().and_then(|value| value.parse().ok()).ok_or_else(|| format!("{arg} needs a number\n{USAGE}"))?;
                seconds = if arg == "--minutes" { value * 60 } else { value };
            }
            "help" | "--help" | "-h" => {
                println!("{USAGE}\ntargets: {}", TARGETS.join(", "));
                return Ok(());
            }
            target if TARGETS.contains(&target) => targets.push(target.to_owned()),
            other => return Err(format!("unknown fuzz argument or target {other:?}\n{USAGE}\ntargets: {}", TARGETS.join(", "))),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|target| (*target).to_owned()).collect();
    }
    fuzz(&targets, seconds)
}

/// Builds once, then runs each target for `seconds`.
pub fn fuzz(targets: &[String], seconds: u64) -> TaskResult {
    eprintln!("\n==> cargo +nightly fuzz build -s none (fuzz/)");
    let status = nightly().args(["fuzz", "build", "-s", "none"]).status().map_err(|error| format!("cannot run cargo +nightly fuzz: {error}"))?;
    if !status.success() {
        return Err("the fuzz targets did not build (cargo-fuzz and the nightly toolchain: `cargo xtask setup`)".to_owned());
    }
    let mut report = Vec::new();
    for target in targets {
        let seeds = write_seeds(target)?;
        let corpus = root().join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|error| format!("creating {}: {error}", corpus.display()))?;
        eprintln!("\n==> fuzz {target} for {seconds} s");
        let output = nightly()
            .args(["fuzz", "run", "-s", "none", target])
            .arg(&corpus)
            .arg(&seeds)
            .args(["--", &format!("-max_total_time={seconds}"), "-max_len=262144", "-timeout=10", "-rss_limit_mb=2048"])
            .stdout(Stdio::inherit())
            .stderr(Stdio::piped())
            .output()
            .map_err(|error| format!("cannot run the fuzz target {target}: {error}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(format!("fuzz target {target} failed (input under fuzz/artifacts/{target}/):\n{}", tail.join("\n")));
        }
        let runs = log.lines().rev().find_map(|line| line.strip_prefix("Done ")).and_then(|rest| rest.split_whitespace().next()).unwrap_or("?").to_owned();
        report.push((target.clone(), runs));
    }
    println!("\nfuzz: {seconds} s per target, no crash");
    for (target, runs) in report {
        println!("  {target:<14} {runs:>12} executions");
    }
    Ok(())
}

/// `cargo +nightly` in the workspace root, without the outer cargo's environment (which
/// would make cargo-fuzz call the stable toolchain).
fn nightly() -> std::process::Command {
    let mut command = tool("cargo");
    command.arg("+nightly").env_remove("CARGO").env_remove("RUSTC").env_remove("RUSTUP_TOOLCHAIN").env_remove("RUSTC_WRAPPER");
    command
}

/// Writes the seed inputs of `target` (from the fixture corpus) into a directory of their own.
fn write_seeds(target: &str) -> Result<PathBuf, String> {
    let directory = root().join("target/fuzz-seeds").join(target);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).map_err(|error| format!("creating {}: {error}", directory.display()))?;
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let fixtures = root().join("fixtures");
    match target {
        "parse_entry" | "split_entries" => {
            for file in files(&fixtures) {
                if file.extension().is_none_or(|extension| extension != "json" || target == "parse_entry")
                    && let Ok(bytes) = std::fs::read(&file)
                    && bytes.len() <= 262_144
                {
                    seeds.push(bytes);
                }
            }
        }
        "index_line" => {
            for file in files(&fixtures).into_iter().filter(|file| file.file_name().is_some_and(|name| name == "index.log")) {
                let text = std::fs::read(&file).unwrap_or_default();
                seeds.extend(text.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()).take(20).map(<[u8]>::to_vec));
            }
        }
        "content_hash" => {
            seeds.extend(
                ["md5:2bb80a5f121a988430b6e1132edb8bf4 ", "md5:a0689f3a2c1b4d5e6f708192a3b4c5d6 L", "MD5:2BB80A5F121A988430B6E1132EDB8BF4"]
                    .map(|seed| seed.as_bytes().to_vec()),
            );
        }
        "event_filter" => {
            seeds.extend(
                [
                    "rule=942100&ip=10.0.0.0/8&from=1795574107&to=1795577707",
                    "sensor=!web-01&host=Shop.Example.com&status=403&action=blocked",
                    "severity=critical&score=5-20&path=/search?q=1&method=GET",
                    "ip=::ffff:1.2.3.4&preserved=yes&limit=10",
                ]
                .map(|seed| seed.as_bytes().to_vec()),
            );
        }
        "basic_auth" => {
            seeds.extend(["Basic c2Vuc29yMTpzM2NyZXQtcGFzcw==", "basic  dTpw ", "Bearer x", "Basic %%%"].map(|seed| seed.as_bytes().to_vec()));
        }
        other => return Err(format!("no seeds for fuzz target {other}")),
    }
    for (index, seed) in seeds.iter().enumerate() {
        std::fs::write(directory.join(format!("seed-{index:05}")), seed).map_err(|error| format!("writing a seed: {error}"))?;
    }
    Ok(directory)
}

fn files(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(directory) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}
