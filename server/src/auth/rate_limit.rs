//! Login throttling: failed attempts are counted per client IP and per username over a
//! sliding window; past the limit, logins are refused until the oldest failure ages out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sliding window over which failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per client IP within [`WINDOW`].
pub const MAX_FAILURES_PER_IP: usize = 20;
/// Failures allowed per username within [`WINDOW`].
pub const MAX_FAILURES_PER_USER: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    User(String),
}

/// Counts failed logins; shared by every request through `AppState`.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Err(wait)` when `ip` or `username` is over its limit at `now`.
    pub fn check(&self, ip: IpAddr, username: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let limits = [(Key::Ip(ip), MAX_FAILURES_PER_IP), (Key::User(username.to_owned()), MAX_FAILURES_PER_USER)];
        let mut wait = Duration::ZERO;
        for (key, limit) in limits {
            if let Some(times) = failures.get_mut(&key) {
                prune(times, now);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.max(Duration::from_secs(1))) }
    }

    /// Records one failed login.
    pub fn record_failure(&self, ip: IpAddr, username: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in [Key::Ip(ip), Key::User(username.to_owned())] {
            let times = failures.entry(key).or_default();
            prune(times, now);
            times.push_back(now);
        }
        if failures.len() > 100_000 {
            failures.retain(|_, times| times.back().is_some_and(|last| now.duration_since(*last) < WINDOW));
        }
    }

    /// Forgets the user's failures after a successful login (the IP's stay counted).
    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&Key::User(username.to_owned()));
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|first| now.duration_since(*first) >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn user_is_locked_after_its_limit_and_released_after_the_window() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for attempt in 0..MAX_FAILURES_PER_USER {
            assert!(limiter.check(IP, "admin", start).is_ok(), "attempt {attempt}");
            limiter.record_failure(IP, "admin", start);
        }
        let wait = limiter.check(IP, "admin", start).unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60), "{wait:?}");
        assert!(limiter.check(IP, "someone-else", start).is_ok(), "other users are not locked");
        assert!(limiter.check(IP, "admin", start + WINDOW).is_ok());
    }

    #[test]
    fn ip_is_locked_across_usernames() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for index in 0..MAX_FAILURES_PER_IP {
            limiter.record_failure(IP, &format!("user{index}"), now);
        }
        assert!(limiter.check(IP, "fresh-name", now).is_err());
        let other_ip: IpAddr = "::1".parse().unwrap();
        assert!(limiter.check(other_ip, "fresh-name", now).is_ok());
    }

    #[test]
    fn success_clears_the_user_counter() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES_PER_USER {
            limiter.record_failure(IP, "bob", now);
        }
        limiter.record_success("bob");
        assert!(limiter.check(IP, "bob", now).is_ok());
    }
}
