//! Retention, run by the writer thread between batches: events older than `--retain-days`
//! (by arrival) and, past `--max-disk`, the oldest events go, preserved ones excepted.
//! Each step is one small transaction (committed without fsync: a crash only undoes it), sized
//! to take about [`STEP_TARGET`], and followed by a pause of three times its duration, so a
//! purge takes at most a quarter of the writer's time and ingest keeps its pace; only when the
//! file is about to pass the budget do steps follow every batch.

use super::budget::{self, Calibration};
use super::deferred::DeferredIndex;
use super::{Store, StoreError};
use std::time::{Duration, Instant};

/// Events deleted per transaction at most, and at first.
pub const STEP_EVENTS: usize = 256;
const FIRST_STEP_EVENTS: usize = 32;
/// How long one purge step should take.
pub const STEP_TARGET: Duration = Duration::from_millis(15);
/// Least time between two purge steps.
pub const STEP_GAP: Duration = Duration::from_millis(20);
/// How often the file size and the event count are looked at (a read transaction and a
/// `stat`: a few µs). Often, because the budget's calibration takes the events of the last
/// look before the file grew as the ones it held when it filled up.
const CHECK_EVERY: Duration = Duration::from_millis(10);

/// How often events are looked at for their age.
const AGE_EVERY: Duration = Duration::from_secs(60);
/// How often old 409 records are deleted.
const REJECTIONS_EVERY: Duration = Duration::from_secs(3600);

const DAY_MICROS: u64 = 86_400_000_000;

/// What retention keeps: 0 disables either limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Days an event is kept after its arrival.
    pub retain_days: u64,
    /// Bytes the database file may take.
    pub max_disk_bytes: u64,
}

/// The writer's retention bookkeeping.
#[derive(Debug)]
pub struct Maintenance {
    retention: Retention,
    /// Ids below it were examined (purged, or preserved and stepped over).
    cursor: u64,
    preserve_generation: u64,
    calibration: Calibration,
    /// Whether the measurement kept from an earlier run was read.
    calibration_loaded: bool,
    /// Events the budget still wants gone.
    over_budget: u64,
    /// Whether the file is about to pass the budget.
    urgent: bool,
    /// Events the next step deletes at most (adapted to [`STEP_TARGET`]).
    step_events: usize,
    /// When the next step may run.
    next_step: Option<Instant>,
    /// Whether events older than the retention period may remain.
    aged: bool,
    last_check: Option<Instant>,
    last_rejections: Option<Instant>,
    last_age_look: Option<Instant>,
    warned_unmet: bool,
}

impl Maintenance {
    pub fn new(retention: Retention) -> Maintenance {
        Maintenance {
            retention,
            cursor: 0,
            preserve_generation: u64::MAX,
            calibration: Calibration::default(),
            calibration_loaded: false,
            over_budget: 0,
            urgent: false,
            step_events: FIRST_STEP_EVENTS,
            next_step: None,
            aged: retention.retain_days > 0,
            last_check: None,
            last_rejections: None,
            last_age_look: None,
            warned_unmet: false,
        }
    }

    /// Whether a purge is under way (the writer then wakes every [`STEP_GAP`]).
    pub fn busy(&self) -> bool {
        self.over_budget > 0 || self.aged
    }

    /// Does what is due now: a check of the file and the oldest event, then at most one purge
    /// step. `deferred` is flushed by a purge step (it can only delete indexed events).
    pub fn step(&mut self, store: &Store, deferred: &mut DeferredIndex, next_id: u64) -> Result<(), StoreError> {
        if self.retention == Retention::default() {
            return Ok(());
        }
        if self.last_check.is_none_or(|last| last.elapsed() >= CHECK_EVERY) {
            self.last_check = Some(Instant::now());
            self.check(store)?;
        }
        if self.over_budget == 0 && !self.aged {
            return Ok(());
        }
        if self.next_step.is_some_and(|next| Instant::now() < next) {
            return Ok(());
        }
        let started = Instant::now();
        let generation = store.preserve_generation();
        if generation != self.preserve_generation {
            // released events may lie behind the cursor: look from the start again
            self.preserve_generation = generation;
            self.cursor = 0;
        }
        // an urgent purge takes full steps: the budget is a limit, ingest waits
        let step_events = if self.urgent { STEP_EVENTS } else { self.step_events };
        let (below, limit) =
            if self.over_budget > 0 { (u64::MAX, (self.over_budget as usize).min(step_events)) } else { (self.age_cutoff(), self.step_events) };
        let outcome = store.purge_oldest(&mut self.cursor, below, limit, deferred, next_id)?;
        let took = started.elapsed();
        if outcome.purged as usize >= limit && !self.urgent {
            // steer the step's size to the target duration
            if took > STEP_TARGET * 2 {
                self.step_events = (self.step_events / 2).max(4);
            } else if took < STEP_TARGET / 2 {
                self.step_events = (self.step_events * 2).min(STEP_EVENTS);
            }
        }
        // at most a quarter of the writer's time; when the file is about to pass the budget the
        // purge goes first (a step between every two batches: the budget is a limit)
        self.next_step = if self.urgent { None } else { Some(Instant::now() + (took * 3).max(STEP_GAP)) };
        if outcome.purged > 0 {
            tracing::debug!(events = outcome.purged, by_budget = self.over_budget > 0, "retention purged events");
        }
        if self.over_budget > 0 {
            self.over_budget = self.over_budget.saturating_sub(outcome.purged);
            if outcome.exhausted && outcome.purged == 0 {
                if !self.warned_unmet {
                    tracing::warn!(
                        budget = self.retention.max_disk_bytes,
                        "the disk budget cannot be met: every remaining event is preserved or not indexed yet"
                    );
                    self.warned_unmet = true;
                }
                self.over_budget = 0;
                self.cursor = 0;
            }
        } else if outcome.exhausted {
            self.aged = false;
        }
        Ok(())
    }

    fn check(&mut self, store: &Store) -> Result<(), StoreError> {
        if self.retention.retain_days > 0 && self.last_age_look.is_none_or(|last| last.elapsed() >= AGE_EVERY) {
            // new events age too: look again now and then
            self.last_age_look = Some(Instant::now());
            self.aged = true;
        }
        if self.retention.max_disk_bytes > 0 {
            if !self.calibration_loaded {
                self.calibration = Calibration::known(store.kept_bytes_per_event()?);
                self.calibration_loaded = true;
            }
            let usage = store.storage_usage()?;
            let (bytes_per_event, measured) = self.calibration.observe(usage.file_bytes, usage.events);
            if measured {
                store.keep_bytes_per_event(bytes_per_event)?;
            }
            store.note_bytes_per_event(bytes_per_event);
            let over = budget::events_over(usage.file_bytes, self.retention.max_disk_bytes, usage.events, bytes_per_event);
            self.urgent = budget::is_urgent(usage.file_bytes, self.retention.max_disk_bytes, usage.events, bytes_per_event);
            if over > 0 {
                tracing::info!(
                    file_bytes = usage.file_bytes,
                    budget = self.retention.max_disk_bytes,
                    events = over,
                    "over the disk budget: purging the oldest events"
                );
                self.cursor = 0;
                self.warned_unmet = false;
            }
            self.over_budget = over;
        }
        if self.retention.retain_days > 0 && self.last_rejections.is_none_or(|last| last.elapsed() >= REJECTIONS_EVERY) {
            self.last_rejections = Some(Instant::now());
            store.purge_rejections(self.age_cutoff())?;
        }
        Ok(())
    }

    /// Ids (µs of arrival) below this are past the retention period.
    fn age_cutoff(&self) -> u64 {
        let now = crate::clock::unix_micros().max(0) as u64;
        now.saturating_sub(self.retention.retain_days.saturating_mul(DAY_MICROS))
    }
}
