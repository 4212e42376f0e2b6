//! The single writer thread: uploads queue on a bounded channel; the thread takes whatever
//! is waiting (up to [`MAX_BATCH`]), writes it in one durable transaction (group commit),
//! then answers every upload of the batch. A full queue is refused at once (503), never
//! waited on, so a slow disk cannot pin HTTP connections. Index rows and counters follow in
//! later transactions ([`DeferredIndex`]); when no upload comes the thread flushes them as
//! soon as they are due. Between batches it runs retention ([`super::retention`]).
//!
//! Failures are not silent. A write that fails with an I/O error (a full disk) puts the
//! writer into recovery: the database is reopened (redb refuses everything after an I/O
//! error until then), uploads are answered 503 at once, and a probe write every few seconds
//! tells when space is back; then ingest resumes without a restart. A panic on the thread is
//! caught, counted, and the thread's loop starts again from what is on disk. Both show in
//! [`super::StoreHealth`], which `/api/v1/health` reports.

use super::answers::{Answers, Reply, WriteError};
use super::deferred::{DeferredIndex, FlushLimits};
use super::events::{NewEvent, WriteOutcome};
use super::queue::{self, Refused, Waited};
use super::retention::Maintenance;
use super::{Store, StoreError, StoreProblem};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

pub use super::retention::Retention;

/// Pause after a failed index flush before the next attempt.
const FLUSH_RETRY: Duration = Duration::from_secs(1);
/// Probe writes while recovering, at most this far apart.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// How long a reopen waits for operations still using the old handle.
const REOPEN_PATIENCE: Duration = Duration::from_secs(10);
/// How long the thread sleeps when it has nothing to do (retention's clock).
const IDLE_TICK: Duration = Duration::from_secs(1);

/// After a batch, the writer waits up to this long for as many uploads as it held (the
/// uploaders answered by the last commit send their next one), woken once when they are all
/// queued ([`queue`]): fewer, larger commits, each costing its fsync and a `pwrite` per dirty
/// page whatever its size. A lone sensor never waits; when uploaders go away, one short wait
/// shrinks the next batch's target.
const GATHER: Duration = Duration::from_millis(3);

/// Uploads per transaction at most.
pub const MAX_BATCH: usize = 512;

/// Called after each commit with the events that were stored (for the live stream).
pub type CommitHook = Box<dyn Fn(&[app::model::EventSummary]) + Send>;

struct Job {
    event: NewEvent,
    reply: Reply,
}

enum Message {
    /// Boxed: a `NewEvent` is ~560 bytes, and the queue's ring buffer holds a slot for each of
    /// `--write-queue` messages (8 192: 4.6 MB by value, 131 KB boxed).
    Write(Box<Job>),
    /// Write what is queued before it, flush the index, close, then answer.
    Stop(mpsc::Sender<()>),
    /// Write what is queued before it and flush the index now, then answer.
    Flush(mpsc::Sender<()>),
    /// Tests: panic on the writer thread (its supervision restarts it).
    #[doc(hidden)]
    Panic,
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: queue::Sender<Message>,
}

/// How the writer thread is set up.
pub struct WriterOptions {
    /// Uploads that may wait for the thread.
    pub capacity: usize,
    pub retention: Retention,
    pub on_commit: CommitHook,
    /// When committed events get their index rows and fact blocks.
    pub index_flush: FlushLimits,
}

impl Writer {
    /// Starts the thread without retention; `capacity` bounds the uploads waiting for it.
    pub fn start(store: Store, capacity: usize, on_commit: CommitHook) -> Result<Writer, StoreError> {
        Writer::start_with(store, WriterOptions { capacity, retention: Retention::default(), on_commit, index_flush: FlushLimits::default() })
    }

    /// Starts the thread. Events a previous process committed but did not index are indexed
    /// first.
    pub fn start_with(store: Store, options: WriterOptions) -> Result<Writer, StoreError> {
        let reindexed = store.index_tail()?;
        if reindexed > 0 {
            tracing::info!(events = reindexed, "indexed events committed before the last stop");
        }
        let next_id = store.last_event_id()? + 1;
        let (queue, receiver) = queue::bounded::<Message>(options.capacity);
        let maintenance = Maintenance::new(options.retention);
        let on_commit = options.on_commit;
        let index_flush = options.index_flush;
        let answers = Answers::start();
        std::thread::Builder::new()
            .name("wafscope-writer".to_owned())
            .spawn(move || supervise(store, receiver, Start { next_id, on_commit, maintenance, answers, index_flush }))
            .map_err(|error| StoreError::Corrupt(format!("cannot start the writer thread: {error}")))?;
        Ok(Writer { queue })
    }

    /// Queues `event` and waits for its commit.
    pub async fn write(&self, event: NewEvent) -> Result<WriteOutcome, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.queue.try_send(Message::Write(Box::new(Job { event, reply }))).map_err(|error| match error {
            Refused::Full(_) => WriteError::QueueFull,
            Refused::Closed(_) => WriteError::Stopped,
        })?;
        settle(answer.await)
    }

    /// For bulk imports off the runtime: queues `event`, waiting for room in the queue
    /// (imports may be slower, never refused); the commit is awaited with [`Pending::wait`].
    pub fn submit_blocking(&self, event: NewEvent) -> Result<Pending, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Message::Write(Box::new(Job { event, reply })), false).map_err(|_| WriteError::Stopped)?;
        Ok(Pending(answer))
    }

    /// Stops the thread (blocking: call it off the runtime): what was queued before is written,
    /// the index flushed, and the thread's handle on the store dropped, so the database can
    /// close cleanly once the process lets go of its other handles (no repair at the next
    /// start). Later writes fail with [`WriteError::Stopped`].
    pub fn shutdown(&self) {
        let (ack, done) = mpsc::channel();
        if self.queue.send(Message::Stop(ack), true).is_ok() {
            let _ = done.recv();
        }
    }

    /// Writes the derived rows (index, facts, counters) of every event committed before the
    /// call and moves the watermark, without waiting for the flush interval (blocking: call it
    /// off the runtime). Tests use it to know which half of a reader they exercise.
    pub fn flush_index(&self) {
        let (ack, done) = mpsc::channel();
        if self.queue.send(Message::Flush(ack), true).is_ok() {
            let _ = done.recv();
        }
    }

    /// Makes the writer thread panic (tests of its supervision).
    #[doc(hidden)]
    pub fn inject_panic(&self) {
        let _ = self.queue.send(Message::Panic, true);
    }
}

/// The thread's mutable state; it survives a panic of the loop (and is then rebuilt from disk).
struct State {
    next_id: u64,
    deferred: DeferredIndex,
    maintenance: Maintenance,
    /// Set while a storage failure is not overcome: uploads are refused without trying.
    failing: Option<WriteError>,
    last_probe: Option<Instant>,
    /// Uploads in the last batch: about how many uploaders are waiting (see [`GATHER`]).
    last_batch: usize,
    answers: Answers,
    index_flush: FlushLimits,
}

/// What the thread starts with.
struct Start {
    next_id: u64,
    on_commit: CommitHook,
    maintenance: Maintenance,
    answers: Answers,
    index_flush: FlushLimits,
}

/// Runs the loop, and again after a panic, until it stops.
fn supervise(store: Store, receiver: queue::Receiver<Message>, start: Start) {
    let Start { next_id, on_commit, maintenance, answers, index_flush } = start;
    let mut state =
        State { next_id, deferred: DeferredIndex::flushed_at(index_flush), maintenance, failing: None, last_probe: None, last_batch: 0, answers, index_flush };
    let stop = loop {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&store, &receiver, &mut state, &on_commit))) {
            Ok(stop) => break stop,
            Err(panic) => {
                let detail = panic_message(panic.as_ref());
                store.health().count_writer_restart();
                store.health().set_problem(StoreProblem::WriterRestarting { detail: detail.clone() });
                tracing::error!(panic = %detail, restarts = store.health().writer_restarts(), "the writer thread panicked; restarting its loop");
                // what the panic interrupted is rebuilt from disk: committed events above the
                // watermark are indexed again, ids continue after the newest stored one
                state.deferred = DeferredIndex::flushed_at(state.index_flush);
                state.failing = Some(WriteError::Storage("the writer is restarting".to_owned()));
                state.last_probe = None;
            }
        }
    };
    if state.failing.is_none()
        && let Err(error) = store.flush_index(&mut state.deferred, state.next_id)
    {
        tracing::warn!(%error, "final index flush failed; the next start indexes those events");
    }
    drop(store);
    if let Some(ack) = stop {
        let _ = ack.send(());
    }
}

/// The writer's loop; returns at [`Writer::shutdown`] (with its acknowledgement) or when every
/// [`Writer`] handle is gone.
fn run(store: &Store, receiver: &queue::Receiver<Message>, state: &mut State, on_commit: &CommitHook) -> Option<mpsc::Sender<()>> {
    loop {
        if state.failing.is_some() {
            recover(store, state);
        }
        let idle = if state.maintenance.busy() { super::retention::STEP_GAP } else { IDLE_TICK };
        let wait = match (&state.failing, state.deferred.due_in()) {
            (Some(_), _) => PROBE_EVERY,
            (None, Some(due)) => due.min(idle),
            (None, None) => idle,
        };
        // right after a batch, wait (briefly) for as many uploads as it held, else for one
        let mut waited = Waited::TimedOut;
        if state.last_batch > 1 {
            waited = receiver.wait(state.last_batch, GATHER);
        }
        if waited == Waited::TimedOut {
            waited = receiver.wait(1, wait);
        }
        match waited {
            Waited::Disconnected => return None,
            Waited::TimedOut => {
                state.last_batch = 0;
                if state.failing.is_none() {
                    if state.deferred.is_due(0) {
                        flush(store, state);
                    }
                    maintain(store, state);
                }
                continue;
            }
            Waited::Ready => {}
        }
        let mut messages = Vec::new();
        receiver.drain(MAX_BATCH, &mut messages);
        let mut jobs = Vec::with_capacity(messages.len());
        let mut stop = None;
        let mut flushes = Vec::new();
        for message in messages {
            match message {
                Message::Write(job) => jobs.push(*job),
                Message::Flush(ack) => flushes.push(ack),
                Message::Stop(ack) => {
                    // this batch is the last; anything queued after the stop hears "stopped"
                    stop = Some(ack);
                    break;
                }
                Message::Panic => panic!("panic injected into the writer thread"),
            }
        }
        if !jobs.is_empty() {
            state.last_batch = jobs.len();
            if let Some(error) = &state.failing {
                // still failing: refused at once, so sensors keep their entries and retry later
                state.answers.send(jobs.into_iter().map(|job| (job.reply, Err(error.clone()))).collect());
            } else {
                write_batch(store, state, jobs, on_commit);
                maintain(store, state);
            }
        }
        answer_flushes(store, state, flushes);
        if stop.is_some() {
            return stop;
        }
    }
}

fn write_batch(store: &Store, state: &mut State, jobs: Vec<Job>, on_commit: &CommitHook) {
    let (mut events, replies): (Vec<NewEvent>, Vec<_>) = jobs.into_iter().map(|job| (job.event, job.reply)).unzip();
    match store.write_events(&mut events, &mut state.next_id, &mut state.deferred) {
        Ok(outcomes) => {
            state.answers.send(replies.into_iter().zip(&outcomes).map(|(reply, outcome)| (reply, Ok(*outcome))).collect());
            let stored: Vec<_> =
                outcomes.iter().zip(events).filter(|(outcome, _)| matches!(outcome, WriteOutcome::Stored(_))).map(|(_, event)| event.summary).collect();
            if !stored.is_empty() {
                on_commit(&stored);
            }
            // commit, answer, then derive: the flush never sits in front of a 200
            if state.deferred.is_due(0) {
                flush(store, state);
            }
        }
        Err(error) => {
            let answer = WriteError::from_store(&error);
            state.answers.send(replies.into_iter().map(|reply| (reply, Err(answer.clone()))).collect());
            failed(store, state, &error, "write transaction failed");
        }
    }
}

/// Flushes the index for [`Writer::flush_index`] callers (when not failing), then answers them.
fn answer_flushes(store: &Store, state: &mut State, flushes: Vec<mpsc::Sender<()>>) {
    if flushes.is_empty() {
        return;
    }
    if state.failing.is_none() {
        flush(store, state);
    }
    for ack in flushes {
        let _ = ack.send(());
    }
}

fn flush(store: &Store, state: &mut State) {
    if let Err(error) = store.flush_index(&mut state.deferred, state.next_id) {
        if error.needs_reopen() {
            failed(store, state, &error, "index flush failed");
        } else {
            // the rows stay buffered and are retried; the events themselves are durable.
            // Wait before the retry: a failing disk must not turn this into a busy loop.
            tracing::error!(%error, "index flush failed; retrying in a second");
            std::thread::sleep(FLUSH_RETRY);
        }
    }
}

/// Retention's next step, if one is due; a failure is handled like a failed write.
fn maintain(store: &Store, state: &mut State) {
    if let Err(error) = state.maintenance.step(store, &mut state.deferred, state.next_id) {
        if error.needs_reopen() {
            failed(store, state, &error, "retention failed");
        } else {
            tracing::warn!(%error, "retention step failed; retrying later");
        }
    }
}

/// Records a storage failure; I/O failures put the writer into recovery.
fn failed(store: &Store, state: &mut State, error: &StoreError, what: &str) {
    tracing::error!(%error, "{what}");
    if !error.needs_reopen() {
        return;
    }
    let detail = error.to_string();
    store.health().set_problem(if error.is_disk_full() { StoreProblem::DiskFull { detail } } else { StoreProblem::WriteFailed { detail } });
    state.failing = Some(WriteError::from_store(error));
    state.last_probe = None;
}

/// While failing, at most every [`PROBE_EVERY`]: reopen the database, re-derive what the
/// failure may have lost, and prove with a real write that storage works again.
fn recover(store: &Store, state: &mut State) {
    if state.last_probe.is_some_and(|last| last.elapsed() < PROBE_EVERY) {
        return;
    }
    state.last_probe = Some(Instant::now());
    let attempt = (|| -> Result<u64, StoreError> {
        if store.probe().is_err() {
            store.reopen(REOPEN_PATIENCE)?;
            store.probe()?;
        }
        // derived rows buffered before the failure may not be on disk: rebuild them
        store.index_tail()?;
        store.last_event_id()
    })();
    match attempt {
        Ok(last) => {
            state.deferred = DeferredIndex::flushed_at(state.index_flush);
            state.next_id = state.next_id.max(last + 1);
            state.failing = None;
            store.health().clear_problem();
            tracing::info!("storage works again; taking uploads");
        }
        Err(error) => {
            tracing::warn!(%error, "storage still failing; uploads are refused with 503");
            if error.is_disk_full() {
                store.health().set_problem(StoreProblem::DiskFull { detail: error.to_string() });
                state.failing = Some(WriteError::DiskFull);
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// A queued write whose commit has not been awaited yet.
pub struct Pending(oneshot::Receiver<Result<WriteOutcome, WriteError>>);

impl Pending {
    /// Blocks until the write is committed (or failed).
    pub fn wait(self) -> Result<WriteOutcome, WriteError> {
        settle(self.0.blocking_recv())
    }
}

fn settle(answer: Result<Result<WriteOutcome, WriteError>, oneshot::error::RecvError>) -> Result<WriteOutcome, WriteError> {
    match answer {
        Ok(result) => result,
        Err(_) => Err(WriteError::Stopped),
    }
}
