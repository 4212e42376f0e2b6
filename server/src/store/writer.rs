//! The single writer thread: uploads queue on a bounded channel; the thread takes whatever
//! is waiting (up to [`MAX_BATCH`]), writes it in one durable transaction (group commit),
//! then answers every upload of the batch. A full queue is refused at once (503), never
//! waited on, so a slow disk cannot pin HTTP connections. Index rows and counters follow in
//! later transactions ([`DeferredIndex`]); when no upload comes the thread flushes them as
//! soon as they are due.

use super::deferred::DeferredIndex;
use super::events::{NewEvent, WriteOutcome};
use super::Store;
use std::sync::mpsc::{self, RecvTimeoutError, TrySendError};
use tokio::sync::oneshot;

/// Pause after a failed index flush before the next attempt.
const FLUSH_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Uploads per transaction at most.
pub const MAX_BATCH: usize = 512;

/// Called after each commit with the events that were stored (for the live stream).
pub type CommitHook = Box<dyn Fn(&[app::model::EventSummary]) + Send>;

struct Job {
    event: NewEvent,
    reply: oneshot::Sender<Result<WriteOutcome, String>>,
}

enum Message {
    Write(Job),
    /// Write what is queued before it, flush the index, close, then answer.
    Stop(mpsc::Sender<()>),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::SyncSender<Message>,
}

/// Why an upload could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("the write queue is full")]
    QueueFull,
    #[error("storage failed: {0}")]
    Storage(String),
}

impl Writer {
    /// Starts the thread; `capacity` bounds the uploads waiting for it. Events a previous
    /// process committed but did not index are indexed first.
    pub fn start(store: Store, capacity: usize, on_commit: CommitHook) -> Result<Writer, super::StoreError> {
        let reindexed = store.index_tail()?;
        if reindexed > 0 {
            tracing::info!(events = reindexed, "indexed events committed before the last stop");
        }
        let next_id = store.last_event_id()? + 1;
        let (queue, receiver) = mpsc::sync_channel::<Message>(capacity.max(1));
        std::thread::Builder::new()
            .name("wafscope-writer".to_owned())
            .spawn(move || run(store, receiver, next_id, on_commit))
            .map_err(|error| super::StoreError::Corrupt(format!("cannot start the writer thread: {error}")))?;
        Ok(Writer { queue })
    }

    /// Queues `event` and waits for its commit.
    pub async fn write(&self, event: NewEvent) -> Result<WriteOutcome, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.queue.try_send(Message::Write(Job { event, reply })).map_err(|error| match error {
            TrySendError::Full(_) => WriteError::QueueFull,
            TrySendError::Disconnected(_) => WriteError::Storage("the writer stopped".to_owned()),
        })?;
        settle(answer.await)
    }

    /// For bulk imports off the runtime: queues `event`, waiting for room in the queue
    /// (imports may be slower, never refused); the commit is awaited with [`Pending::wait`].
    pub fn submit_blocking(&self, event: NewEvent) -> Result<Pending, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Message::Write(Job { event, reply }))
            .map_err(|_| WriteError::Storage("the writer stopped".to_owned()))?;
        Ok(Pending(answer))
    }

    /// Stops the thread (blocking: call it off the runtime): what was queued before is written,
    /// the index flushed, and the thread's handle on the store dropped, so the database can
    /// close cleanly once the process lets go of its other handles (no repair at the next
    /// start). Later writes fail with "the writer stopped".
    pub fn shutdown(&self) {
        let (ack, done) = mpsc::channel();
        if self.queue.send(Message::Stop(ack)).is_ok() {
            let _ = done.recv();
        }
    }
}

/// The writer thread's loop; ends at [`Writer::shutdown`] or when every [`Writer`] handle is
/// gone (flushing first).
fn run(store: Store, receiver: mpsc::Receiver<Message>, mut next_id: u64, on_commit: CommitHook) {
    let mut deferred = DeferredIndex::default();
    let mut stop = None;
    while stop.is_none() {
        let first = match deferred.due_in() {
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(wait) => receiver.recv_timeout(wait),
        };
        let first = match first {
            Ok(Message::Write(job)) => job,
            Ok(Message::Stop(ack)) => {
                stop = Some(ack);
                break;
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(error) = store.flush_index(&mut deferred, next_id) {
                    // the rows stay buffered and are retried; the events themselves are durable.
                    // Wait before the retry: a failing disk must not turn this into a busy loop.
                    tracing::error!(%error, "index flush failed; retrying in a second");
                    std::thread::sleep(FLUSH_RETRY);
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(Message::Write(job)) => jobs.push(job),
                Ok(Message::Stop(ack)) => {
                    // this batch is the last
                    stop = Some(ack);
                    break;
                }
                Err(_) => break,
            }
        }
        let (mut events, replies): (Vec<NewEvent>, Vec<_>) = jobs.into_iter().map(|job| (job.event, job.reply)).unzip();
        match store.write_events(&mut events, &mut next_id, &mut deferred) {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(&outcomes) {
                    let _ = reply.send(Ok(*outcome));
                }
                let stored: Vec<_> = outcomes
                    .iter()
                    .zip(events)
                    .filter(|(outcome, _)| matches!(outcome, WriteOutcome::Stored(_)))
                    .map(|(_, event)| event.summary)
                    .collect();
                if !stored.is_empty() {
                    on_commit(&stored);
                }
            }
            Err(error) => {
                tracing::error!(%error, "write transaction failed");
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
    if let Err(error) = store.flush_index(&mut deferred, next_id) {
        tracing::warn!(%error, "final index flush failed; the next start indexes those events");
    }
    drop(store);
    if let Some(ack) = stop {
        let _ = ack.send(());
    }
}

/// A queued write whose commit has not been awaited yet.
pub struct Pending(oneshot::Receiver<Result<WriteOutcome, String>>);

impl Pending {
    /// Blocks until the write is committed (or failed).
    pub fn wait(self) -> Result<WriteOutcome, WriteError> {
        settle(self.0.blocking_recv())
    }
}

fn settle(answer: Result<Result<WriteOutcome, String>, oneshot::error::RecvError>) -> Result<WriteOutcome, WriteError> {
    match answer {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(message)) => Err(WriteError::Storage(message)),
        Err(_) => Err(WriteError::Storage("the writer stopped".to_owned())),
    }
}
