//! How the writer thread answers the uploads of a batch: with one wake-up of the runtime.
//!
//! Completing each upload's oneshot from the writer thread wakes its task from outside the
//! runtime: a push to the runtime's inject queue and, when a worker is parked, an `eventfd`
//! write to unpark it. A woken worker sharing the writer's core preempts it, answers one
//! upload, parks again, and the next completion wakes it again: under 8 connections that was
//! five `eventfd` writes per commit of eight (strace of the writer under `xtask bench
//! ingest`). Instead the writer hands the whole batch's answers to one task on the runtime,
//! which completes them there (waking tasks from a worker is a local queue push).

use super::StoreError;
use super::events::WriteOutcome;
use tokio::sync::{mpsc, oneshot};

/// Why an upload could not be written (the receiver maps each to a 503 with its reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("the write queue is full")]
    QueueFull,
    #[error("the data dir's filesystem is full")]
    DiskFull,
    #[error("storage failed: {0}")]
    Storage(String),
    #[error("the writer stopped")]
    Stopped,
}

impl WriteError {
    pub(super) fn from_store(error: &StoreError) -> WriteError {
        if error.is_disk_full() { WriteError::DiskFull } else { WriteError::Storage(error.to_string()) }
    }
}

/// Where one upload hears the outcome of its write.
pub type Reply = oneshot::Sender<Result<WriteOutcome, WriteError>>;

type Batch = Vec<(Reply, Result<WriteOutcome, WriteError>)>;

/// The writer's side: answers a batch through the runtime when it was started inside one,
/// directly otherwise (offline tools and tests without a runtime).
pub struct Answers {
    runtime: Option<mpsc::UnboundedSender<Batch>>,
}

impl Answers {
    /// Spawns the answering task on the current runtime, if there is one.
    pub fn start() -> Answers {
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return Answers { runtime: None } };
        let (sender, mut batches) = mpsc::unbounded_channel::<Batch>();
        // ends when the writer thread drops its sender
        handle.spawn(async move {
            while let Some(batch) = batches.recv().await {
                complete(batch);
            }
        });
        Answers { runtime: Some(sender) }
    }

    /// Delivers every answer of a batch.
    pub fn send(&self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        match &self.runtime {
            // (a runtime shut down before the writer: its uploads are gone, answer directly)
            Some(runtime) => {
                if let Err(mpsc::error::SendError(batch)) = runtime.send(batch) {
                    complete(batch);
                }
            }
            None => complete(batch),
        }
    }
}

fn complete(batch: Batch) {
    for (reply, result) in batch {
        let _ = reply.send(result);
    }
}
