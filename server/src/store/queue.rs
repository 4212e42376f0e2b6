//! The writer's queue: a bounded FIFO whose one consumer says how many items it waits for,
//! so producers wake it once per batch instead of once per upload.
//!
//! Why not `std::sync::mpsc`: each send to a waiting receiver wakes it. While the writer
//! gathered a batch it woke, took one upload and slept again for every upload of the batch:
//! under 8 connections that was 1.5 context switches per upload on the writer thread, and
//! about as many preemptions of the runtime thread that sent them (measured with
//! `/proc/PID/task/*/status` under `cargo xtask bench ingest`).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Why an item was not queued; it comes back to the caller.
#[derive(Debug)]
pub enum Refused<T> {
    Full(T),
    /// The consumer is gone.
    Closed(T),
}

/// What [`Receiver::wait`] saw when it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// At least the number asked for is queued, or an urgent item is.
    Ready,
    /// The timeout passed first; fewer items (maybe none) are queued.
    TimedOut,
    /// Every sender is gone and nothing is queued.
    Disconnected,
}

struct Inner<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// The consumer sleeps until this many items are queued (0: it is not sleeping).
    wake_at: usize,
    /// An urgent item is queued: the consumer wakes whatever it waits for.
    urgent: bool,
    senders: usize,
    receiver_alive: bool,
    /// Producers blocked in [`Sender::send`] waiting for room.
    blocked: usize,
}

struct Shared<T> {
    inner: Mutex<Inner<T>>,
    /// The consumer waits on this one.
    filled: Condvar,
    /// Producers waiting for room wait on this one.
    room: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // nothing panics while holding the lock; a poisoned one still holds a sound queue
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A bounded queue of `capacity` items (at least one) with its producer and consumer ends.
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner { items: VecDeque::new(), capacity: capacity.max(1), wake_at: 0, urgent: false, senders: 1, receiver_alive: true, blocked: 0 }),
        filled: Condvar::new(),
        room: Condvar::new(),
    });
    (Sender { shared: shared.clone() }, Receiver { shared })
}

/// The producing end; clones share the queue.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues `item` unless the queue is full; never blocks (beyond the queue's lock).
    pub fn try_send(&self, item: T) -> Result<(), Refused<T>> {
        let inner = self.shared.lock();
        if !inner.receiver_alive {
            return Err(Refused::Closed(item));
        }
        if inner.items.len() >= inner.capacity {
            return Err(Refused::Full(item));
        }
        self.push(inner, item, false);
        Ok(())
    }

    /// Queues `item`, blocking while the queue is full. `urgent` wakes the consumer at once,
    /// whatever number of items it waits for.
    pub fn send(&self, item: T, urgent: bool) -> Result<(), Refused<T>> {
        let mut inner = self.shared.lock();
        loop {
            if !inner.receiver_alive {
                return Err(Refused::Closed(item));
            }
            if inner.items.len() < inner.capacity {
                break;
            }
            inner.blocked += 1;
            inner = self.shared.room.wait(inner).unwrap_or_else(|poisoned| poisoned.into_inner());
            inner.blocked -= 1;
        }
        self.push(inner, item, urgent);
        Ok(())
    }

    fn push(&self, mut inner: MutexGuard<'_, Inner<T>>, item: T, urgent: bool) {
        inner.items.push_back(item);
        inner.urgent |= urgent;
        let wake = inner.wake_at > 0 && (inner.urgent || inner.items.len() >= inner.wake_at);
        if wake {
            // woken once: later items of the batch find it awake and do not signal again
            inner.wake_at = 0;
        }
        drop(inner);
        if wake {
            self.shared.filled.notify_one();
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.lock().senders += 1;
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.senders -= 1;
        let last = inner.senders == 0;
        drop(inner);
        if last {
            self.shared.filled.notify_one();
        }
    }
}

/// The consuming end (one thread).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// Blocks until at least `count` items (at least one) are queued, an urgent item is, every
    /// sender is gone, or `timeout` passes.
    pub fn wait(&self, count: usize, timeout: Duration) -> Waited {
        let count = count.max(1);
        let deadline = Instant::now().checked_add(timeout);
        let mut inner = self.shared.lock();
        loop {
            if inner.items.len() >= count || inner.urgent {
                inner.wake_at = 0;
                return Waited::Ready;
            }
            if inner.senders == 0 {
                inner.wake_at = 0;
                return if inner.items.is_empty() { Waited::Disconnected } else { Waited::Ready };
            }
            let left = deadline.map_or(Duration::MAX, |deadline| deadline.saturating_duration_since(Instant::now()));
            if left.is_zero() {
                inner.wake_at = 0;
                return Waited::TimedOut;
            }
            inner.wake_at = count;
            inner = self.shared.filled.wait_timeout(inner, left).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
        }
    }

    /// Takes up to `max` queued items, oldest first, into `out`.
    pub fn drain(&self, max: usize, out: &mut Vec<T>) {
        let mut inner = self.shared.lock();
        let take = inner.items.len().min(max);
        out.extend(inner.items.drain(..take));
        if inner.items.is_empty() {
            inner.urgent = false;
        }
        let blocked = inner.blocked > 0;
        drop(inner);
        if blocked && take > 0 {
            self.shared.room.notify_all();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.receiver_alive = false;
        // what is still queued is dropped with its reply channels: callers hear "stopped"
        let left = std::mem::take(&mut inner.items);
        drop(inner);
        self.shared.room.notify_all();
        drop(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn a_waiting_consumer_wakes_when_its_count_is_queued() {
        let (sender, receiver) = bounded(16);
        let producer = thread::spawn(move || {
            for item in 0..5 {
                thread::sleep(Duration::from_millis(2));
                sender.try_send(item).unwrap();
            }
            sender
        });
        let started = Instant::now();
        assert_eq!(receiver.wait(5, Duration::from_secs(10)), Waited::Ready);
        assert!(started.elapsed() < Duration::from_secs(5));
        let mut out = Vec::new();
        receiver.drain(3, &mut out);
        assert_eq!(out, [0, 1, 2]);
        receiver.drain(10, &mut out);
        assert_eq!(out, [0, 1, 2, 3, 4]);
        drop(producer.join().unwrap());
        assert_eq!(receiver.wait(1, Duration::from_secs(10)), Waited::Disconnected);
    }

    #[test]
    fn fewer_items_than_asked_time_out_and_stay_queued() {
        let (sender, receiver) = bounded(4);
        sender.try_send(1).unwrap();
        assert_eq!(receiver.wait(3, Duration::from_millis(20)), Waited::TimedOut);
        assert_eq!(receiver.wait(1, Duration::from_millis(20)), Waited::Ready);
        let mut out = Vec::new();
        receiver.drain(8, &mut out);
        assert_eq!(out, [1]);
        assert_eq!(receiver.wait(1, Duration::from_millis(20)), Waited::TimedOut);
    }

    #[test]
    fn an_urgent_item_wakes_the_consumer_at_once() {
        let (sender, receiver) = bounded(4);
        let producer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            sender.send(7, true).unwrap();
            sender
        });
        let started = Instant::now();
        assert_eq!(receiver.wait(100, Duration::from_secs(30)), Waited::Ready);
        assert!(started.elapsed() < Duration::from_secs(20));
        drop(producer.join().unwrap());
    }

    #[test]
    fn a_full_queue_refuses_try_send_and_blocks_send_until_drained() {
        let (sender, receiver) = bounded(2);
        sender.try_send(1).unwrap();
        sender.try_send(2).unwrap();
        assert!(matches!(sender.try_send(3), Err(Refused::Full(3))));
        let blocked = sender.clone();
        let producer = thread::spawn(move || blocked.send(3, false).map_err(|_| ()));
        thread::sleep(Duration::from_millis(20));
        let mut out = Vec::new();
        receiver.drain(1, &mut out);
        producer.join().unwrap().unwrap();
        receiver.drain(8, &mut out);
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn senders_hear_when_the_consumer_is_gone() {
        let (sender, receiver) = bounded(1);
        sender.try_send(1).unwrap();
        let blocked = sender.clone();
        let producer = thread::spawn(move || matches!(blocked.send(2, false), Err(Refused::Closed(2))));
        thread::sleep(Duration::from_millis(20));
        drop(receiver);
        assert!(producer.join().unwrap());
        assert!(matches!(sender.try_send(3), Err(Refused::Closed(3))));
    }
}
