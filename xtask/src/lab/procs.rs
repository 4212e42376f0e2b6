//! Processes: the `/proc` table, which processes belong to a lab work dir, signals by PID
//! (through `sh`'s `kill` builtin: std has no `kill(2)`), bounded waits, and child commands
//! run with a time limit.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One process from `/proc`.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub cmdline: String,
}

/// Every process we can see.
pub fn table() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut procs = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
        let Some((ppid, state)) = stat(pid) else { continue };
        if state == 'Z' {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ").trim().to_owned();
        procs.push(Proc { pid, ppid, cmdline });
    }
    procs
}

/// (parent pid, state letter) from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(u32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((fields.next()?.parse().ok()?, state))
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(_, state)| state != 'Z')
}

/// Our own PID and all our ancestors (cargo, the shell...): never part of a lab.
fn self_and_ancestors() -> Vec<u32> {
    let mut chain = vec![std::process::id()];
    while let Some((parent, _)) = stat(*chain.last().unwrap_or(&1)) {
        if parent <= 1 || chain.contains(&parent) {
            break;
        }
        chain.push(parent);
    }
    chain
}

/// The processes of the lab in `dir`: those whose command line names `dir/` (Apache parent and
/// children, mlogc, the CGI, nginx's master) and all their descendants (nginx workers), except
/// xtask/cargo processes (a `lab` command naming the dir) and our own ancestors.
pub fn lab_processes(dir: &Path) -> Vec<Proc> {
    let key = format!("{}/", dir.display().to_string().trim_end_matches('/'));
    let all = table();
    let excluded = self_and_ancestors();
    let is_tool = |proc: &Proc| {
        let program = proc.cmdline.split_whitespace().next().unwrap_or("");
        let base = program.rsplit('/').next().unwrap_or(program);
        base.contains("xtask") || base.contains("cargo")
    };
    let mut found: Vec<u32> =
        all.iter().filter(|proc| proc.cmdline.contains(&key) && !excluded.contains(&proc.pid) && !is_tool(proc)).map(|proc| proc.pid).collect();
    loop {
        let more: Vec<u32> =
            all.iter().filter(|proc| found.contains(&proc.ppid) && !found.contains(&proc.pid) && !excluded.contains(&proc.pid)).map(|proc| proc.pid).collect();
        if more.is_empty() {
            break;
        }
        found.extend(more);
    }
    all.into_iter().filter(|proc| found.contains(&proc.pid)).collect()
}

/// Sends `signal` (TERM, KILL, QUIT...) to `pid`; false when it could not be sent.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("sh").args(["-c", "kill -s \"$1\" \"$2\" 2>/dev/null", "sh", signal, &pid.to_string()]).status().is_ok_and(|status| status.success())
}

/// Waits up to `timeout` for `pid` to go away.
pub fn wait_gone(pid: u32, timeout: Duration) -> bool {
    wait_until(timeout, Duration::from_millis(100), || !alive(pid))
}

/// Polls `done` every `every` until it is true or `timeout` passed; its last answer.
pub fn wait_until(timeout: Duration, every: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// Stops the process named in `pidfile` (only if its command line names `dir/`): `sig`, up to
/// 30 s, then SIGKILL.  Removes the pid file.
pub fn stop_pidfile(dir: &Path, pidfile: &Path, sig: &str, name: &str) {
    let Some(pid) = std::fs::read_to_string(pidfile).ok().and_then(|text| text.trim().parse::<u32>().ok()) else { return };
    if lab_processes(dir).iter().any(|proc| proc.pid == pid) {
        signal(pid, sig);
        if !wait_gone(pid, Duration::from_secs(30)) {
            eprintln!("[lab] {name} pid {pid} did not stop in 30 s: SIGKILL");
            signal(pid, "KILL");
            wait_gone(pid, Duration::from_secs(5));
        }
        eprintln!("[lab] {name} pid {pid} stopped");
    }
    let _ = std::fs::remove_file(pidfile);
}

/// Stops everything of the lab in `dir`; Ok when nothing is left.
pub fn stop_all(dir: &Path) -> Result<(), String> {
    stop_pidfile(dir, &dir.join("run/httpd.pid"), "TERM", "apache2");
    stop_pidfile(dir, &dir.join("run/nginx.pid"), "QUIT", "nginx");
    // mlogc exits on the SIGTERM Apache sends it (after a final queue checkpoint)
    wait_until(Duration::from_secs(10), Duration::from_millis(100), || lab_processes(dir).is_empty());
    for (sig, pause) in [("TERM", 2), ("KILL", 1)] {
        let left = lab_processes(dir);
        if left.is_empty() {
            return Ok(());
        }
        eprintln!("[lab] left over after stop, SIG{sig} by PID:");
        for proc in &left {
            eprintln!("  {} {}", proc.pid, proc.cmdline);
            signal(proc.pid, sig);
        }
        wait_until(Duration::from_secs(pause), Duration::from_millis(100), || lab_processes(dir).is_empty());
    }
    let left = lab_processes(dir);
    if left.is_empty() {
        return Ok(());
    }
    Err(format!("still running: {}", left.iter().map(|proc| format!("{} {}", proc.pid, proc.cmdline)).collect::<Vec<_>>().join("; ")))
}

/// Output of a command run with a time limit.
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with `input` on stdin; kills it after `timeout`.
pub fn run_with_timeout(command: &mut Command, input: Option<&str>, timeout: Duration) -> Result<Output, String> {
    let what = format!("{:?}", command.get_program());
    let mut child = command
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {what}: {error}"))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes());
    }
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let out_thread = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|error| error.to_string())? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{what} did not finish within {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output { success: status.success(), stdout: out_thread.join().unwrap_or_default(), stderr: err_thread.join().unwrap_or_default() })
}

/// Runs `command` with stdout and stderr appended to `log` (daemons that fork keep no pipe of
/// ours open); kills it after `timeout`.  Whether it succeeded.
pub fn run_logged(command: &mut Command, log: &Path, timeout: Duration) -> Result<bool, String> {
    let what = format!("{:?}", command.get_program());
    let file = std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(|error| format!("{}: {error}", log.display()))?;
    let file2 = file.try_clone().map_err(|error| error.to_string())?;
    let mut child = command.stdin(Stdio::null()).stdout(file).stderr(file2).spawn().map_err(|error| format!("cannot start {what}: {error}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().map_err(|error| error.to_string())? {
            return Ok(status.success());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{what} did not finish within {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
