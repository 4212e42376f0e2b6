//! What is wrong with the store right now, as the writer sees it: a full disk, a failed
//! transaction, a reopen in progress, a writer thread that panicked and was restarted.
//! `/api/v1/health` answers 503 while a problem is set, and the console shows a banner.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why the store cannot take uploads now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreProblem {
    /// The filesystem of the data dir is full; uploads get 503 until space comes back.
    DiskFull { detail: String },
    /// A write failed for another reason (I/O error); the writer reopens the database.
    WriteFailed { detail: String },
    /// The writer thread panicked; it is being restarted.
    WriterRestarting { detail: String },
}

impl StoreProblem {
    /// One line for the health answer and the console's banner.
    pub fn reason(&self) -> String {
        match self {
            StoreProblem::DiskFull { detail } => {
                format!("the data dir's filesystem is full ({detail}); uploads are refused with 503 until space is freed")
            }
            StoreProblem::WriteFailed { detail } => format!("storage failed ({detail}); reopening the database"),
            StoreProblem::WriterRestarting { detail } => format!("the writer thread crashed ({detail}); restarting it"),
        }
    }
}

/// Shared between the writer (which sets and clears problems) and the health endpoint.
#[derive(Debug, Default)]
pub struct StoreHealth {
    problem: Mutex<Option<(StoreProblem, i64)>>,
    writer_restarts: AtomicU64,
}

impl StoreHealth {
    /// The current problem and since when (µs since the epoch).
    pub fn problem(&self) -> Option<(StoreProblem, i64)> {
        self.lock().clone()
    }

    pub fn set_problem(&self, problem: StoreProblem) {
        let mut slot = self.lock();
        let since = match slot.as_ref() {
            Some((_, since)) => *since,
            None => crate::clock::unix_micros(),
        };
        *slot = Some((problem, since));
    }

    pub fn clear_problem(&self) {
        *self.lock() = None;
    }

    /// How often the writer thread was restarted after a panic since start.
    pub fn writer_restarts(&self) -> u64 {
        self.writer_restarts.load(Ordering::Acquire)
    }

    pub(super) fn count_writer_restart(&self) {
        self.writer_restarts.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(StoreProblem, i64)>> {
        self.problem.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
