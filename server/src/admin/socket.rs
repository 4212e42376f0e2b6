//! The admin socket: `serve` answers [`AdminRequest`]s on `<data dir>/admin.sock` (one JSON
//! line in, one JSON line out); the CLI uses [`send`] when the data dir is locked.

use super::commands::{AdminContext, AdminOutcome, AdminRequest, execute};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// File name of the socket inside the data dir.
pub const SOCKET_FILE: &str = "admin.sock";
const MAX_REQUEST_BYTES: usize = 256 * 1024 * 1024;
/// Pauses after a failed accept, doubling up to the maximum.
const ACCEPT_BACKOFF_MIN: std::time::Duration = std::time::Duration::from_millis(50);
const ACCEPT_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(5);

/// Where the admin socket of a data dir lives.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// Binds the socket (replacing a stale one: the caller holds the data dir's lock) and
/// answers requests until the task is dropped.
pub async fn listen(context: AdminContext) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let path = socket_path(context.store.data_dir());
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    // created owner-only: between bind and a later chmod another user could connect
    // SAFETY: umask only swaps the process's file-mode mask; it cannot fail.
    let previous = unsafe { libc::umask(0o177) };
    let bound = tokio::net::UnixListener::bind(&path);
    // SAFETY: as above, restoring the mask that was in effect.
    unsafe { libc::umask(previous) };
    let listener = bound?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(tokio::spawn(async move {
        let mut backoff = ACCEPT_BACKOFF_MIN;
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    stream
                }
                Err(error) => {
                    // out of descriptors, say: do not spin on the error
                    tracing::warn!(%error, pause_ms = backoff.as_millis() as u64, "admin socket accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            };
            let context = context.clone();
            tokio::spawn(async move {
                if let Err(error) = answer(stream, context).await {
                    tracing::warn!(%error, "admin socket request failed");
                }
            });
        }
    }))
}

async fn answer(stream: tokio::net::UnixStream, context: AdminContext) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(reader).take(MAX_REQUEST_BYTES as u64);
    reader.read_line(&mut line).await?;
    let outcome: AdminOutcome = match serde_json::from_str::<AdminRequest>(&line) {
        Ok(request) => tokio::task::spawn_blocking(move || execute(&context, request)).await.unwrap_or_else(|error| Err(format!("admin task failed: {error}"))),
        Err(error) => Err(format!("bad admin request: {error}")),
    };
    let mut reply = serde_json::to_vec(&outcome).expect("outcomes serialise");
    reply.push(b'\n');
    writer.write_all(&reply).await?;
    writer.shutdown().await
}

/// Sends `request` to the server that holds `data_dir` and returns its outcome.
pub fn send(data_dir: &Path, request: &AdminRequest) -> Result<AdminOutcome, String> {
    let path = socket_path(data_dir);
    let mut stream = std::os::unix::net::UnixStream::connect(&path)
        .map_err(|error| format!("the data dir is locked by a running wafscope, but its admin socket {} does not answer: {error}", path.display()))?;
    let mut line = serde_json::to_vec(request).expect("requests serialise");
    line.push(b'\n');
    stream.write_all(&line).map_err(|error| format!("admin socket: {error}"))?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).map_err(|error| format!("admin socket: {error}"))?;
    serde_json::from_str(&reply).map_err(|error| format!("admin socket gave an unreadable answer: {error}"))
}
