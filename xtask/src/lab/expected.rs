//! `lab expected` and `lab drain`: what ModSecurity logged (the ground truth) and waiting until
//! every deliverable entry has been delivered.
//!
//! v2: the `SecAuditLog2` copy of the index (ModSecurity writes each line there and to mlogc's
//! pipe; mlogc never touches it); lines mlogc's own pattern rejects are left out, since mlogc
//! drops those entries without uploading them.  v3: the debug log's
//! `[<unique id>] [...] [5] Saving this request as part of the audit logs.` lines.

use super::index_line;
use super::procs;
use super::workdir::{self, LabEnv};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const V3_SAVE_MARK: &str = "Saving this request as part of the audit logs";

/// Which kind of lab a work dir holds.
fn kind(env: &LabEnv) -> Result<&str, String> {
    env.get("LAB_KIND")
}

/// Every logged entry that its sender will deliver: unique ids in log order.
pub fn expected_ids(dir: &Path) -> Result<Vec<String>, String> {
    let env = LabEnv::read(dir)?;
    if kind(&env)? == "v3" {
        return v3_ids(Path::new(env.get("LAB_DEBUG_LOG")?));
    }
    let index = fs::read(env.get("LAB_INDEX")?).map_err(|error| format!("{}: {error}", env.get("LAB_INDEX").unwrap_or("")))?;
    let mut ids = Vec::new();
    let mut rejected = 0;
    for line in index.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()) {
        match index_line::parse(line) {
            Some(parsed) => ids.push(parsed.unique_id),
            None => {
                rejected += 1;
                eprintln!("[lab] left out (mlogc 2.9.7 rejects this index line): {}", String::from_utf8_lossy(&line[..line.len().min(200)]));
            }
        }
    }
    if rejected > 0 {
        eprintln!("[lab] {rejected} logged entr{} mlogc never uploads", if rejected == 1 { "y" } else { "ies" });
    }
    Ok(ids)
}

fn v3_ids(debug_log: &Path) -> Result<Vec<String>, String> {
    let text = fs::read(debug_log).map_err(|error| format!("{}: {error}", debug_log.display()))?;
    let mut ids: Vec<String> = Vec::new();
    for line in text.split(|byte| *byte == b'\n') {
        let line = String::from_utf8_lossy(line);
        if !line.contains(V3_SAVE_MARK) {
            continue;
        }
        let Some(id) = line.strip_prefix('[').and_then(|rest| rest.split(']').next()) else { continue };
        if !id.is_empty() && !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}

/// The state of a v2 lab's delivery.
struct Backlog {
    /// entry files still waiting for a 200
    remaining: usize,
    /// entry files mlogc will never upload (index line it rejects)
    undeliverable: usize,
    /// index lines written so far
    logged: usize,
}

fn backlog(storage: &Path, index: &Path) -> Backlog {
    let files = workdir::count_files(storage);
    let text = fs::read(index).unwrap_or_default();
    let lines: Vec<&[u8]> = text.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()).collect();
    let mut undeliverable = 0;
    if files > 0 {
        for line in &lines {
            if index_line::parse(line).is_none() && index_line::rejected_path(line).is_some_and(|path| storage.join(path).exists()) {
                undeliverable += 1;
            }
        }
    }
    Backlog { remaining: files.saturating_sub(undeliverable), undeliverable, logged: lines.len() }
}

/// Waits until every deliverable entry is delivered and the log is quiet for a second; the
/// `KEY=VALUE` line to print, or an error carrying it and the sender's last complaints.
pub fn drain(dir: &Path, timeout: Duration) -> Result<String, String> {
    let env = LabEnv::read(dir)?;
    let settle = Duration::from_secs(1);
    let started = Instant::now();
    if kind(&env)? == "v3" {
        // libmodsecurity 3 POSTs synchronously, in the request: nothing is queued; wait until
        // the debug log has stopped growing
        let debug_log = Path::new(env.get("LAB_DEBUG_LOG")?).to_owned();
        let mut last = u64::MAX;
        let mut quiet_since = Instant::now();
        loop {
            let size = fs::metadata(&debug_log).map(|meta| meta.len()).unwrap_or(0);
            if size != last {
                last = size;
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() >= settle {
                let logged = v3_ids(&debug_log)?.len();
                return Ok(format!("LAB_DRAIN=ok remaining=0 undeliverable=0 logged={logged}"));
            }
            if started.elapsed() >= timeout {
                return Err(format!("LAB_DRAIN=timeout\nthe debug log kept growing for {} s", timeout.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    let storage = Path::new(env.get("LAB_STORAGE_DIR")?).to_owned();
    let index = Path::new(env.get("LAB_INDEX")?).to_owned();
    let mlogc_log = Path::new(env.get("LAB_MLOGC_LOG")?).to_owned();
    let mut last_logged = usize::MAX;
    let mut empty_since: Option<Instant> = None;
    loop {
        let state = backlog(&storage, &index);
        let line = format!("remaining={} undeliverable={} logged={}", state.remaining, state.undeliverable, state.logged);
        if state.remaining == 0 && state.logged == last_logged {
            let since = *empty_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= settle {
                if state.undeliverable > 0 {
                    eprintln!("[lab] WARN: {} entry file(s) stay: mlogc 2.9.7 cannot parse their index lines", state.undeliverable);
                }
                return Ok(format!("LAB_DRAIN=ok {line}"));
            }
        } else {
            empty_since = None;
        }
        last_logged = state.logged;
        if procs::lab_processes(dir).is_empty() {
            return Err(format!("LAB_DRAIN=stopped {line}\nthe lab in {} is not running: nothing can be delivered any more", dir.display()));
        }
        if started.elapsed() >= timeout {
            return Err(format!(
                "LAB_DRAIN=timeout {line}\ndrain timed out after {} s; mlogc's last complaints ({}):\n{}\n\
                 (a 409 answer leaves the file for good; after any other non-200 answer or a refused connection mlogc waits \
                 ServerErrorTimeout plus up to 5 s, then probes with ONE entry)",
                timeout.as_secs(),
                mlogc_log.display(),
                mlogc_complaints(&mlogc_log)
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// mlogc's last error lines.
pub fn mlogc_complaints(log: &Path) -> String {
    let text = fs::read(log).map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|line| ["Failed", "Flagging", "Invalid", "Unable", "rror"].iter().any(|word| line.contains(word))).collect();
    if lines.is_empty() {
        return workdir::tail(log, 5);
    }
    lines[lines.len().saturating_sub(5)..].join("\n")
}
