//! `wafscope import PATH… --sensor NAME`: existing audit logs into the store, through the same
//! parser, de-duplication and writer as live ingest (directly, or via the running server's
//! admin socket when `serve` holds the data dir).

use crate::admin::AdminRequest;
use crate::config::Config;
use anyhow::Context;
use base64::Engine;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Entries sent per request (one transaction batch on the server side).
const BATCH: usize = 256;

/// Imports every entry found under `paths`.
pub fn run(config: &Config, paths: &[PathBuf], sensor: &str) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files).with_context(|| format!("reading {}", path.display()))?;
    }
    let progress = std::io::stderr().is_terminal();
    // the store and its writer are opened once for the whole import (or the server's socket used)
    let target = crate::admin::AdminTarget::open(config)?;
    let imported = import_files(&target, &files, sensor, progress);
    target.close();
    let (stored, duplicates, entries_seen, skipped) = imported?;
    println!(
        "imported {entries_seen} entries from {} files as sensor {sensor}: {stored} new, {duplicates} already stored{}",
        files.len() - skipped,
        if skipped > 0 { format!(" ({skipped} index files skipped)") } else { String::new() }
    );
    Ok(ExitCode::SUCCESS)
}

/// Sends every entry of `files` to `target`; returns (stored, duplicates, entries, index files skipped).
fn import_files(target: &crate::admin::AdminTarget, files: &[PathBuf], sensor: &str, progress: bool) -> anyhow::Result<(usize, usize, usize, usize)> {
    let (mut stored, mut duplicates, mut entries_seen, mut skipped) = (0usize, 0usize, 0usize, 0usize);
    let mut batch = Vec::with_capacity(BATCH);
    let flush = |batch: &mut Vec<String>, stored: &mut usize, duplicates: &mut usize| -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let request = AdminRequest::Import { sensor: sensor.to_owned(), entries: std::mem::take(batch) };
        let counts = target.request(&request)?.map_err(anyhow::Error::msg)?;
        let mut numbers = counts.split_whitespace().map(|number| number.parse::<usize>().unwrap_or(0));
        *stored += numbers.next().unwrap_or(0);
        *duplicates += numbers.next().unwrap_or(0);
        Ok(())
    };
    for (file_index, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        if is_index_file(&bytes) {
            skipped += 1;
            continue;
        }
        for range in wafscope_parse::split_entries(&bytes) {
            entries_seen += 1;
            batch.push(base64::engine::general_purpose::STANDARD.encode(&bytes[range]));
            if batch.len() >= BATCH {
                flush(&mut batch, &mut stored, &mut duplicates)?;
            }
        }
        if progress {
            eprint!("\rimporting: file {}/{}, {entries_seen} entries read", file_index + 1, files.len());
        }
    }
    flush(&mut batch, &mut stored, &mut duplicates)?;
    if progress {
        eprintln!();
    }
    Ok((stored, duplicates, entries_seen, skipped))
}

/// Files below `path` (itself when it is a file), sorted for a stable order.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_file() {
        files.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?.map(|entry| entry.map(|entry| entry.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        collect_files(&entry, files)?;
    }
    Ok(())
}

/// A concurrent-log index (one index line per entry) rather than audit data.
fn is_index_file(bytes: &[u8]) -> bool {
    let first_line = bytes.split(|byte| *byte == b'\n').find(|line| !line.trim_ascii().is_empty());
    match first_line {
        Some(line) => !matches!(line.trim_ascii().first(), Some(b'-' | b'{' | b'[')) && wafscope_parse::parse_index_line(line).is_some(),
        None => true,
    }
}
