//! The live path: [`LiveHub`] fans committed events out to `/api/v1/live` subscribers.
//!
//! Invariant: the writer publishes only after the commit, so a client never receives an id
//! it cannot read yet; publishing never blocks or fails an ingest (a lagging subscriber is
//! told to resync instead).

pub mod sse;

use app::model::EventSummary;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::broadcast;

/// Events buffered per subscriber before it counts as lagging.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Fan-out of committed events; cheap to clone.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<Arc<EventSummary>>,
    published: Arc<AtomicU64>,
}

impl LiveHub {
    /// A hub whose subscribers may fall `capacity` events behind.
    pub fn new(capacity: usize) -> LiveHub {
        let (sender, _) = broadcast::channel(capacity.max(1));
        LiveHub { sender, published: Arc::new(AtomicU64::new(0)) }
    }

    /// Publishes freshly committed events (called by the writer thread; never blocks).
    pub fn publish(&self, events: &[EventSummary]) {
        for event in events {
            let _ = self.sender.send(Arc::new(event.clone()));
        }
        self.published.fetch_add(events.len() as u64, Ordering::Relaxed);
    }

    /// A receiver of everything published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventSummary>> {
        self.sender.subscribe()
    }

    /// Events published since start.
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }
}
