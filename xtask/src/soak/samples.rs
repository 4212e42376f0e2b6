//! The server's figures over time (resident memory, open file descriptors, threads, read from
//! `/proc/PID`) and the flatness budget: the mean of a late window against the mean of an
//! early one.

/// One look at the server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// seconds since the soak started
    pub at: f64,
    /// which life of the server (0 = first start, +1 after every kill)
    pub life: u32,
    pub rss_kib: u64,
    pub fds: u64,
    pub threads: u64,
}

/// (RSS KiB, open descriptors, threads) of `pid`, if it is running.
pub fn read_proc(pid: u32) -> Option<(u64, u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> { status.lines().find(|line| line.starts_with(name))?.split_whitespace().nth(1)?.parse().ok() };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some((field("VmRSS:")?, fds, field("Threads:")?))
}

/// The comparison windows of a run of `total` seconds: the second and the last minute, or for
/// runs shorter than six minutes the second and the last sixth.
pub fn windows(total: f64) -> ((f64, f64), (f64, f64)) {
    let width = (total / 6.0).min(60.0);
    ((width, 2.0 * width), (total - width, total))
}

/// Mean of `value` over the samples taken in `[from, to)`.
pub fn mean(samples: &[Sample], (from, to): (f64, f64), value: impl Fn(&Sample) -> u64) -> Option<f64> {
    let values: Vec<f64> = samples.iter().filter(|sample| sample.at >= from && sample.at < to).map(|sample| value(sample) as f64).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// A figure's verdict: `late / early`, flat when it grew by at most `tolerance` (0.10).
#[derive(Debug, PartialEq)]
pub struct Flatness {
    pub early: f64,
    pub late: f64,
    pub ratio: f64,
    pub flat: bool,
}

pub fn flatness(samples: &[Sample], total: f64, tolerance: f64, value: impl Fn(&Sample) -> u64 + Copy) -> Option<Flatness> {
    let (early_window, late_window) = windows(total);
    let early = mean(samples, early_window, value)?;
    let late = mean(samples, late_window, value)?;
    let ratio = late / early.max(1e-9);
    Some(Flatness { early, late, ratio, flat: ratio <= 1.0 + tolerance })
}

/// Highest RSS of each life of the server, in order.
pub fn peak_rss_per_life(samples: &[Sample]) -> Vec<u64> {
    let mut peaks: Vec<u64> = Vec::new();
    for sample in samples {
        let life = sample.life as usize;
        if peaks.len() <= life {
            peaks.resize(life + 1, 0);
        }
        peaks[life] = peaks[life].max(sample.rss_kib);
    }
    peaks
}

#[cfg(test)]
mod tests {
    use super::{Sample, flatness, peak_rss_per_life, read_proc, windows};

    fn sample(at: f64, life: u32, rss_kib: u64) -> Sample {
        Sample { at, life, rss_kib, fds: 20, threads: 8 }
    }

    #[test]
    fn windows_are_the_second_and_the_last_minute_or_sixth() {
        assert_eq!(windows(600.0), ((60.0, 120.0), (540.0, 600.0)));
        assert_eq!(windows(60.0), ((10.0, 20.0), (50.0, 60.0)));
    }

    #[test]
    fn growth_beyond_the_tolerance_is_not_flat() {
        let steady: Vec<Sample> = (0..60u32).map(|second| sample(f64::from(second), 0, 100_000)).collect();
        let verdict = flatness(&steady, 60.0, 0.10, |sample| sample.rss_kib).unwrap();
        assert!(verdict.flat && (verdict.ratio - 1.0).abs() < 1e-9);
        let leaking: Vec<Sample> = (0..60u32).map(|second| sample(f64::from(second), 0, 100_000 + 1_000 * u64::from(second))).collect();
        let verdict = flatness(&leaking, 60.0, 0.10, |sample| sample.rss_kib).unwrap();
        assert!(!verdict.flat, "{verdict:?}");
        assert!(flatness(&steady[..5], 60.0, 0.10, |sample| sample.rss_kib).is_none(), "no sample in the late window");
    }

    #[test]
    fn peaks_per_life_and_this_process() {
        assert_eq!(peak_rss_per_life(&[sample(0.0, 0, 5), sample(1.0, 0, 9), sample(2.0, 1, 4), sample(3.0, 1, 3)]), vec![9, 4]);
        let (rss, fds, threads) = read_proc(std::process::id()).unwrap();
        assert!(rss > 0 && fds >= 3 && threads >= 1);
    }
}
