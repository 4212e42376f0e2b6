//! Prev/next of an event within a filter, found with nothing but the list API
//! (`GET /api/v1/events?before=&limit=&<filter>`, newest first). Pure state machines, so
//! they are tested natively against a model of the server's list; `ui::api` drives them.
//!
//! - Older (the newest matching id below the current one): `before=<id>&limit=1`; when the
//!   server's scan budget runs out first (empty page with `next_before`), continue from there.
//! - Newer (the oldest matching id above the current one): the list only scans downwards, so
//!   the search keeps an interval `[lo, hi]` that must contain the answer and narrows it. Ids
//!   are arrival microseconds, so windows above the current id are time windows: first
//!   growing (1 s, 16 s, 256 s, … then unbounded) until one holds a match, then halving. Every
//!   request either finds the answer or at least halves the interval, so a handful of small
//!   requests suffice even at thousands of events per second.

/// What the driver should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Fetch `before=<before>` (none: the newest events) with this `limit`, then `feed` the page.
    Query { before: Option<u64>, limit: usize },
    /// The neighbour, or `None` when there is none.
    Done(Option<u64>),
    /// Too many requests without an answer (should not happen; shown as an error).
    GaveUp,
}

/// Most requests one search makes.
pub const MAX_REQUESTS: u32 = 96;

/// The newest event older than `current` that matches the filter.
#[derive(Debug, Clone)]
pub struct OlderSearch {
    before: u64,
    result: Option<Option<u64>>,
    requests: u32,
}

impl OlderSearch {
    pub fn new(current: u64) -> OlderSearch {
        OlderSearch { before: current, result: None, requests: 0 }
    }

    pub fn next(&self) -> Step {
        match self.result {
            Some(found) => Step::Done(found),
            None if self.requests >= MAX_REQUESTS => Step::GaveUp,
            None => Step::Query { before: Some(self.before), limit: 1 },
        }
    }

    /// `ids`: the page's event ids, newest first.
    pub fn feed(&mut self, ids: &[u64], next_before: Option<u64>) {
        self.requests += 1;
        if let Some(&first) = ids.iter().find(|&&id| id < self.before) {
            self.result = Some(Some(first));
            return;
        }
        match next_before {
            Some(next) if next < self.before => self.before = next,
            _ => self.result = Some(None),
        }
    }
}

/// First window above the current id: one second of arrival time.
const FIRST_WINDOW: u64 = 1_000_000;
/// Page size of the newer search.
pub const NEWER_LIMIT: usize = 200;

/// The oldest event newer than `current` that matches the filter.
#[derive(Debug, Clone)]
pub struct NewerSearch {
    /// No matching id lies in `(current, lo)`.
    lo: u64,
    /// The smallest matching id above `current` seen so far.
    hi: Option<u64>,
    /// Size of the next growing window (while `hi` is unknown).
    step: u64,
    /// Ids are never above this (the clock plus a margin); windows past it become unbounded.
    ceiling: u64,
    /// The window being examined: `[lo, upper)`, `None` = unbounded.
    upper: Option<u64>,
    /// Where to continue inside the window after the server's scan budget ran out
    /// (`[resume, upper)` is known to hold no match).
    resume: Option<u64>,
    result: Option<Option<u64>>,
    requests: u32,
}

impl NewerSearch {
    /// `now_micros`: the browser's clock in µs (only for efficiency; correctness does not
    /// depend on it).
    pub fn new(current: u64, now_micros: u64) -> NewerSearch {
        let mut search = NewerSearch {
            lo: current.saturating_add(1),
            hi: None,
            step: FIRST_WINDOW,
            ceiling: now_micros.saturating_add(60_000_000),
            upper: None,
            resume: None,
            result: None,
            requests: 0,
        };
        search.choose_window();
        search
    }

    fn choose_window(&mut self) {
        self.resume = None;
        match self.hi {
            Some(hi) if hi <= self.lo => self.result = Some(Some(hi)),
            Some(hi) => self.upper = Some(self.lo + (hi - self.lo).div_ceil(2)),
            None => {
                let upper = self.lo.saturating_add(self.step);
                self.upper = (upper < self.ceiling).then_some(upper);
            }
        }
    }

    pub fn next(&self) -> Step {
        match self.result {
            Some(found) => Step::Done(found),
            None if self.requests >= MAX_REQUESTS => Step::GaveUp,
            None => Step::Query { before: self.resume.or(self.upper), limit: NEWER_LIMIT },
        }
    }

    /// `ids`: the page's event ids, newest first (all below the `before` asked for).
    pub fn feed(&mut self, ids: &[u64], next_before: Option<u64>) {
        self.requests += 1;
        let lo = self.lo;
        let smallest_in_window = ids.iter().copied().filter(|&id| id >= lo).min();
        let complete = ids.iter().any(|&id| id < lo) || next_before.is_none_or(|next| next <= lo);
        match (complete, smallest_in_window) {
            (true, Some(found)) => self.result = Some(Some(found)),
            (true, None) => match self.upper {
                None => self.result = Some(self.hi),
                Some(upper) => {
                    self.lo = upper;
                    if self.hi.is_none() {
                        self.step = self.step.saturating_mul(16);
                    }
                    self.choose_window();
                }
            },
            (false, Some(found)) => {
                self.hi = Some(found);
                self.choose_window();
            }
            (false, None) => {
                // The scan budget ran out above `lo` without a match: go on below it.
                self.resume = next_before;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's list: matching ids newest first, below `before`, at most `limit`, and at
    /// most `budget` ids examined (matching or not) before it answers with `next_before`.
    struct Model {
        all: Vec<(u64, bool)>,
        budget: usize,
    }

    impl Model {
        fn list(&self, before: Option<u64>, limit: usize) -> (Vec<u64>, Option<u64>) {
            let upper = before.unwrap_or(u64::MAX);
            let mut page = Vec::new();
            let mut examined = 0;
            let mut last = None;
            for &(id, matches) in self.all.iter().rev().filter(|(id, _)| *id < upper) {
                examined += 1;
                last = Some(id);
                if matches {
                    page.push(id);
                }
                if page.len() >= limit || examined >= self.budget {
                    break;
                }
            }
            let next = if page.len() >= limit {
                page.last().copied()
            } else if examined >= self.budget {
                last
            } else {
                None
            };
            (page, next)
        }

        fn newer(&self, current: u64, now: u64) -> (Option<u64>, u32) {
            let mut search = NewerSearch::new(current, now);
            loop {
                match search.next() {
                    Step::Query { before, limit } => {
                        let (ids, next) = self.list(before, limit);
                        search.feed(&ids, next);
                    }
                    Step::Done(found) => return (found, search.requests),
                    Step::GaveUp => panic!("gave up for {current}"),
                }
            }
        }

        fn older(&self, current: u64) -> Option<u64> {
            let mut search = OlderSearch::new(current);
            loop {
                match search.next() {
                    Step::Query { before, limit } => {
                        let (ids, next) = self.list(before, limit);
                        search.feed(&ids, next);
                    }
                    Step::Done(found) => return found,
                    Step::GaveUp => panic!("gave up"),
                }
            }
        }

        fn expected(&self, current: u64) -> (Option<u64>, Option<u64>) {
            let newer = self.all.iter().filter(|(id, m)| *m && *id > current).map(|(id, _)| *id).min();
            let older = self.all.iter().filter(|(id, m)| *m && *id < current).map(|(id, _)| *id).max();
            (newer, older)
        }
    }

    /// A deterministic pseudo-random sequence (xorshift), no dependencies.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed.max(1);
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    fn check_all(model: &Model, now: u64) {
        for &(current, _) in &model.all {
            let (newer, older) = model.expected(current);
            let (found, requests) = model.newer(current, now);
            assert_eq!(found, newer, "newer of {current}");
            assert!(requests <= 70, "{requests} requests for {current}");
            assert_eq!(model.older(current), older, "older of {current}");
        }
    }

    #[test]
    fn dense_bursts_and_gaps() {
        let mut next = rng(7);
        let mut all = Vec::new();
        let mut id = 1_795_576_972_000_000u64;
        for burst in 0..30 {
            // bursts of ~1000 ev/s, then gaps from a millisecond to a day
            for _ in 0..(next() % 300) {
                id += 1 + next() % 2000;
                all.push((id, next().is_multiple_of(3)));
            }
            id += [1_000, 5_000_000, 90_000_000, 86_400_000_000][burst % 4];
        }
        let now = id / 1_000_000 * 1_000_000;
        check_all(&Model { all: all.clone(), budget: 200_000 }, now);
        // a tight scan budget (many non-matching ids in a row) and a wrong browser clock
        check_all(&Model { all: all.clone(), budget: 7 }, now);
        check_all(&Model { all, budget: 50 }, 0);
    }

    #[test]
    fn edges() {
        let model = Model { all: vec![(10, true), (20, false), (30, true)], budget: 1000 };
        assert_eq!(model.newer(10, 1_000_000_000), (Some(30), 1));
        assert_eq!(model.newer(30, 1_000_000_000).0, None);
        assert_eq!(model.older(30), Some(10));
        assert_eq!(model.older(10), None);
        // the current event need not match the filter itself
        assert_eq!(model.newer(20, 0).0, Some(30));
        assert_eq!(model.older(20), Some(10));
        let empty = Model { all: vec![], budget: 10 };
        assert_eq!(empty.newer(5, 0).0, None);
        assert_eq!(empty.older(5), None);
        let top = Model { all: vec![(u64::MAX - 1, true)], budget: 10 };
        assert_eq!(top.newer(u64::MAX - 2, u64::MAX).0, Some(u64::MAX - 1));
    }
}
