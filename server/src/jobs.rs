//! Bulk triage jobs: a change applied to every event of a filter, in the background.
//!
//! A job pages through the filter's events newest first (the list API's own scan, so it selects
//! exactly what `/api/v1/events` shows) and applies the change [`TRIAGE_CHUNK`] events per
//! transaction: redb has one write transaction at a time, and a short one lets the writer's
//! upload commits in between, so a million-event job never stalls ingest. Progress is kept in
//! memory ([`TriageJobs`]): a job ends with the process (what it changed stays changed, and
//! `complete: false` in the last answer said how far it got).

use crate::filter::EventFilter;
use crate::store::triage::TRIAGE_CHUNK;
use crate::store::{Store, StoreError};
use app::model::{TriageChange, TriageJob};
use std::sync::{Arc, Mutex};

/// Jobs remembered (the newest; older finished ones are forgotten).
const REMEMBERED: usize = 50;
/// Events read per page of the filter.
const PAGE: usize = 1000;

/// The jobs of this process, newest last.
#[derive(Debug, Clone, Default)]
pub struct TriageJobs(Arc<Mutex<Vec<TriageJob>>>);

impl TriageJobs {
    fn jobs(&self) -> std::sync::MutexGuard<'_, Vec<TriageJob>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a job for `user` over `filter_text`, unless one is running (its id is the error).
    pub fn begin(&self, user: &str, filter_text: &str, now: i64) -> Result<TriageJob, u64> {
        let mut jobs = self.jobs();
        if let Some(running) = jobs.iter().find(|job| !job.done) {
            return Err(running.id);
        }
        let id = jobs.last().map_or(1, |job| job.id + 1);
        let job = TriageJob { id, user: user.to_owned(), filter: filter_text.to_owned(), started_at: now, ..TriageJob::default() };
        jobs.push(job.clone());
        let excess = jobs.len().saturating_sub(REMEMBERED);
        jobs.drain(..excess);
        Ok(job)
    }

    pub fn get(&self, id: u64) -> Option<TriageJob> {
        self.jobs().iter().find(|job| job.id == id).cloned()
    }

    /// Every remembered job, newest first.
    pub fn list(&self) -> Vec<TriageJob> {
        self.jobs().iter().rev().cloned().collect()
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut TriageJob)) {
        if let Some(job) = self.jobs().iter_mut().find(|job| job.id == id) {
            change(job);
        }
    }
}

/// Runs job `id` to its end (blocking: call it on the blocking pool). Never panics on a store
/// failure: the job stops with the error recorded.
pub fn run(store: &Store, jobs: &TriageJobs, id: u64, filter: &EventFilter, change: &TriageChange, user: &str, clock: impl Fn() -> i64) {
    let outcome = run_pages(store, jobs, id, filter, change, user, &clock);
    jobs.update(id, |job| {
        job.done = true;
        job.finished_at = Some(clock());
        match outcome {
            Ok(complete) => job.complete = complete,
            Err(error) => job.error = Some(error.to_string()),
        }
    });
}

fn run_pages(
    store: &Store,
    jobs: &TriageJobs,
    id: u64,
    filter: &EventFilter,
    change: &TriageChange,
    user: &str,
    clock: &impl Fn() -> i64,
) -> Result<bool, StoreError> {
    // events arriving during the job are not its business: start below the newest now
    let mut before = Some(store.last_event_id()?.saturating_add(1));
    loop {
        let (page, next) = store.list_events(filter, before, PAGE)?;
        let ids: Vec<u64> = page.iter().map(|summary| summary.id).collect();
        for chunk in ids.chunks(TRIAGE_CHUNK) {
            let changed = store.apply_triage(chunk, change, user, clock(), Some(id))?;
            jobs.update(id, |job| {
                job.selected += chunk.len() as u64;
                job.changed += changed;
            });
            // redb's write lock is not fair: leave the writer a moment to take it
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        match next {
            Some(next) => before = Some(next),
            None => return Ok(true),
        }
    }
}
