//! The disk budget's arithmetic (pure): how many of the oldest events must go so that the
//! database file stops growing at the budget.
//!
//! redb never gives space back by itself (only `wafscope compact` does) but reuses pages
//! freed by deletes, and grows its file in steps: doubling up to 4 GiB, then 4 GiB at a time.
//! How full the file is cannot be read cheaply (redb's statistics walk every page), so the
//! bytes an event takes are measured at each growth, when the file was full: `file size
//! before / events then`, every derived row and B-tree overhead included. Live bytes are then
//! estimated as `events × that`, and purging keeps them below 85 % of the largest file the
//! budget allows; the next growth would pass the budget, so the file stays where it is.

/// Purge when the estimated live bytes pass this share of the ceiling…
pub const HIGH_WATER: f64 = 0.85;
/// …down to this share.
pub const LOW_WATER: f64 = 0.80;

/// redb's region size: below it the file doubles, above it grows by one region.
const REGION: u64 = 4 << 30;

/// The file's size after redb's next growth (approximately: headers are ignored).
pub fn next_file_size(file_bytes: u64) -> u64 {
    if file_bytes < REGION { file_bytes.saturating_mul(2).max(1 << 20) } else { file_bytes.saturating_add(REGION) }
}

/// The largest file the budget allows given the current size: the budget itself while the
/// next growth still fits in it (5 % tolerance), else the current file.
pub fn ceiling(file_bytes: u64, budget: u64) -> u64 {
    if next_file_size(file_bytes) <= budget.saturating_add(budget / 20) { budget } else { file_bytes.min(budget) }
}

/// Past this share of the ceiling the purge may take half of the writer's time.
pub const URGENT_WATER: f64 = 0.95;

/// Whether the estimated live bytes are so close to the ceiling that the purge must hurry.
pub fn is_urgent(file_bytes: u64, budget: u64, events: u64, bytes_per_event: f64) -> bool {
    budget > 0 && events as f64 * bytes_per_event > URGENT_WATER * ceiling(file_bytes, budget) as f64
}

/// How many of the oldest events to delete now (0: within budget).
pub fn events_over(file_bytes: u64, budget: u64, events: u64, bytes_per_event: f64) -> u64 {
    if budget == 0 || events == 0 || bytes_per_event <= 0.0 {
        return 0;
    }
    let ceiling = ceiling(file_bytes, budget) as f64;
    let live = events as f64 * bytes_per_event;
    if live <= HIGH_WATER * ceiling {
        return 0;
    }
    (((live - LOW_WATER * ceiling) / bytes_per_event).ceil() as u64).min(events)
}

/// Tracks the bytes an event takes from the file's growth.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Calibration {
    last_file_bytes: u64,
    /// Events at the last reading.
    last_events: u64,
    bytes_per_event: Option<f64>,
}

impl Calibration {
    /// Starts from a measurement kept from an earlier run: without it the first reading is the
    /// whole file, which after a purge holds free pages and would make a restart purge more.
    pub fn known(bytes_per_event: Option<f64>) -> Calibration {
        Calibration { last_file_bytes: 0, last_events: 0, bytes_per_event: bytes_per_event.filter(|bytes| *bytes > 0.0) }
    }

    /// Takes a reading of the file size and the events in it; returns the estimate and whether
    /// it is a new measurement (the file grew), worth keeping for the next start.
    ///
    /// The file filled up at its previous size somewhere between the last reading and this
    /// one: the events of the last reading are the ones it held then (with readings every few
    /// ms, nearly full). Dividing by this reading's events instead under-estimated an event by
    /// whatever arrived in between, up to half at a fast ingest into a small budget, and the
    /// purge then let the file double past the budget.
    pub fn observe(&mut self, file_bytes: u64, events: u64) -> (f64, bool) {
        let mut measured = false;
        if events > 0 {
            if self.last_file_bytes > 0 && file_bytes > self.last_file_bytes {
                let held = if self.last_events > 0 { self.last_events.min(events) } else { events };
                self.bytes_per_event = Some(self.last_file_bytes as f64 / held as f64);
                measured = true;
            } else if self.bytes_per_event.is_none() {
                // first reading: the whole file (an over-estimate until the next growth)
                self.bytes_per_event = Some(file_bytes as f64 / events as f64);
            }
        }
        self.last_file_bytes = file_bytes;
        self.last_events = events;
        (self.bytes_per_event.unwrap_or(0.0), measured)
    }

    pub fn bytes_per_event(&self) -> Option<f64> {
        self.bytes_per_event
    }
}

/// The default budget: 20 GiB, or half of the free space when the data dir was created
/// (20 GiB when the free space could not be read: unknown must not mean "no budget").
pub fn default_budget(free_bytes_at_first_start: u64) -> u64 {
    const CAP: u64 = 20 << 30;
    if free_bytes_at_first_start == 0 { CAP } else { CAP.min(free_bytes_at_first_start / 2) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn the_ceiling_is_the_budget_while_the_next_growth_fits() {
        assert_eq!(ceiling(16 * MIB, 32 * MIB), 32 * MIB);
        assert_eq!(ceiling(32 * MIB, 32 * MIB), 32 * MIB);
        // 16 → 32 MiB would pass a 24 MiB budget: stay at 16
        assert_eq!(ceiling(16 * MIB, 24 * MIB), 16 * MIB);
        assert_eq!(ceiling(16 << 30, 20 << 30), 20 << 30, "past 4 GiB the file grows by 4 GiB");
        assert_eq!(ceiling(20 << 30, 20 << 30), 20 << 30);
    }

    #[test]
    fn purges_from_high_to_low_water() {
        // 1000 events of 30 KiB = 29.3 MiB in a 32 MiB budget: over 85 %
        let over = events_over(32 * MIB, 32 * MIB, 1000, 30.0 * 1024.0);
        let left = (1000 - over) as f64 * 30.0 * 1024.0;
        assert!(left <= LOW_WATER * (32 * MIB) as f64 && left > 0.75 * (32 * MIB) as f64, "{over}");
        assert_eq!(events_over(32 * MIB, 32 * MIB, 500, 30.0 * 1024.0), 0);
        assert_eq!(events_over(32 * MIB, 0, 1000, 30.0 * 1024.0), 0, "0 disables the budget");
    }

    #[test]
    fn calibration_measures_at_growth() {
        let mut calibration = Calibration::default();
        assert_eq!(calibration.observe(8 * MIB, 100), ((8 * MIB) as f64 / 100.0, false), "first reading: whole file");
        assert_eq!(calibration.observe(8 * MIB, 150), ((8 * MIB) as f64 / 100.0, false), "no growth: unchanged");
        assert_eq!(calibration.observe(8 * MIB, 200), ((8 * MIB) as f64 / 100.0, false), "no growth: unchanged");
        assert_eq!(calibration.observe(16 * MIB, 400), ((8 * MIB) as f64 / 200.0, true), "grew: previous size over the events it held then");
        let mut restarted = Calibration::known(Some(5000.0));
        assert_eq!(restarted.observe(16 * MIB, 400), (5000.0, false), "a kept measurement beats the whole file");
        assert_eq!(default_budget(100 << 30), 20 << 30);
        assert_eq!(default_budget(10 << 30), 5 << 30);
        assert_eq!(default_budget(0), 20 << 30, "free space unknown");
    }
}
