//! Throttling of password checks (console logins and sensor uploads): attempts are counted
//! per client address, per (name, client address) and per name over a sliding window.
//!
//! - An attempt takes its slot **before** the password hash runs ([`Limiter::begin`]): parallel
//!   guesses cannot all pass the check before the first failure is recorded. A success gives
//!   the slot back ([`Limiter::succeeded`]).
//! - Past its limit a client address, or a name from that address, is refused until its oldest
//!   attempt ages out.
//! - A name's failures from every address only slow attempts for that name down (a growing
//!   delay before the hash, capped): a burst of wrong passwords for `admin` from one address
//!   cannot lock the real admin out from another.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a [`Limiter`] allows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sliding window over which attempts count.
    pub window: Duration,
    /// Failed attempts allowed per client address within the window.
    pub per_client: usize,
    /// Failed attempts allowed per (name, client address) within the window.
    pub per_name_at_client: usize,
    /// Delay added per failure of the name (from anywhere) within the window…
    pub name_delay_step: Duration,
    /// …up to this much.
    pub name_delay_max: Duration,
}

/// Console logins: 20 failures per address and 5 per (user, address) in 15 minutes; a user's
/// failures from anywhere delay its next sign-ins by 250 ms each, up to 3 s.
pub const LOGIN_LIMITS: Limits = Limits {
    window: Duration::from_secs(15 * 60),
    per_client: 20,
    per_name_at_client: 5,
    name_delay_step: Duration::from_millis(250),
    name_delay_max: Duration::from_secs(3),
};

/// Sensor uploads with credentials that are not cached as valid: 30 failures per address a
/// minute (a sensor with a wrong password retries every few seconds at most; an operator who
/// fixes it waits no longer than a minute), no per-name delay (sensors do not wait).
pub const INGEST_LIMITS: Limits =
    Limits { window: Duration::from_secs(60), per_client: 30, per_name_at_client: 30, name_delay_step: Duration::ZERO, name_delay_max: Duration::ZERO };

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    NameAt(String, IpAddr),
    Name(String),
}

/// Counts attempts; shared by every request through `AppState`.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    attempts: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// An attempt that holds its slots; pass it to [`Limiter::succeeded`] when the password was
/// right (else it stays counted as a failure).
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    client: IpAddr,
    name: String,
    at: Instant,
    /// Wait this long before checking the password.
    pub delay: Duration,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter { limits, attempts: Mutex::new(HashMap::new()) }
    }

    /// Takes a slot for an attempt of `name` from `client` at `now`, or `Err(wait)` when the
    /// client (or the name from this client) is over its limit.
    pub fn begin(&self, client: IpAddr, name: &str, now: Instant) -> Result<Attempt, Duration> {
        let limits = self.limits;
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in [(Key::Client(client), limits.per_client), (Key::NameAt(name.to_owned(), client), limits.per_name_at_client)] {
            if let Some(times) = attempts.get_mut(&key) {
                prune(times, now, limits.window);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(limits.window.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait.max(Duration::from_secs(1)));
        }
        let name_failures = attempts.get_mut(&Key::Name(name.to_owned())).map_or(0, |times| {
            prune(times, now, limits.window);
            times.len()
        });
        let delay = limits.name_delay_step.saturating_mul(name_failures as u32).min(limits.name_delay_max);
        for key in [Key::Client(client), Key::NameAt(name.to_owned(), client), Key::Name(name.to_owned())] {
            attempts.entry(key).or_default().push_back(now);
        }
        if attempts.len() > 100_000 {
            attempts.retain(|_, times| times.back().is_some_and(|last| now.duration_since(*last) < limits.window));
        }
        Ok(Attempt { client, name: name.to_owned(), at: now, delay })
    }

    /// The attempt's password was right: its slots are given back, and the name's failures
    /// from its client are forgotten (the client's own failures with other names stay).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        attempts.remove(&Key::NameAt(attempt.name.clone(), attempt.client));
        for key in [Key::Client(attempt.client), Key::Name(attempt.name)] {
            if let Some(times) = attempts.get_mut(&key)
                && let Some(position) = times.iter().rposition(|at| *at == attempt.at)
            {
                times.remove(position);
            }
        }
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|first| now.duration_since(*first) >= window) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    #[test]
    fn a_name_is_refused_from_its_client_after_its_limit_and_released_after_the_window() {
        let limiter = Limiter::new(LOGIN_LIMITS);
        let start = Instant::now();
        for attempt in 0..LOGIN_LIMITS.per_name_at_client {
            let _failed = limiter.begin(IP, "admin", start).unwrap_or_else(|_| panic!("attempt {attempt}"));
        }
        let wait = limiter.begin(IP, "admin", start).unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60), "{wait:?}");
        let _other_user = limiter.begin(IP, "someone-else", start).expect("other users are not refused");
        let _later = limiter.begin(IP, "admin", start + LOGIN_LIMITS.window).expect("released after the window");
    }

    #[test]
    fn parallel_attempts_take_their_slots_before_any_password_is_checked() {
        // every attempt begins before any of them knows its outcome, as parallel requests do
        let limiter = Limiter::new(LOGIN_LIMITS);
        let now = Instant::now();
        let begun: Vec<_> = (0..50).map(|_| limiter.begin(IP, "admin", now)).collect();
        assert_eq!(begun.iter().filter(|attempt| attempt.is_ok()).count(), LOGIN_LIMITS.per_name_at_client);
    }

    #[test]
    fn failures_from_one_client_slow_the_name_down_elsewhere_but_do_not_lock_it_out() {
        let limiter = Limiter::new(LOGIN_LIMITS);
        let now = Instant::now();
        while limiter.begin(IP, "admin", now).is_ok() {}
        let real_admin = limiter.begin(OTHER, "admin", now).expect("the admin signs in from another address");
        assert_eq!(real_admin.delay, LOGIN_LIMITS.name_delay_step * LOGIN_LIMITS.per_name_at_client as u32);
        limiter.succeeded(real_admin);
        let next = limiter.begin(OTHER, "admin", now).unwrap();
        assert!(next.delay <= LOGIN_LIMITS.name_delay_max);
    }

    #[test]
    fn a_client_is_refused_across_names() {
        let limiter = Limiter::new(LOGIN_LIMITS);
        let now = Instant::now();
        for index in 0..LOGIN_LIMITS.per_client {
            let _failed = limiter.begin(IP, &format!("user{index}"), now).unwrap();
        }
        assert!(limiter.begin(IP, "fresh-name", now).is_err());
        let _elsewhere = limiter.begin(OTHER, "fresh-name", now).expect("other clients are not refused");
    }

    #[test]
    fn a_success_gives_its_slot_back_and_clears_the_name_at_its_client() {
        let limiter = Limiter::new(LOGIN_LIMITS);
        let now = Instant::now();
        for _ in 0..LOGIN_LIMITS.per_name_at_client - 1 {
            let _failed = limiter.begin(IP, "bob", now).unwrap();
        }
        let right = limiter.begin(IP, "bob", now).unwrap();
        limiter.succeeded(right);
        for _ in 0..LOGIN_LIMITS.per_name_at_client {
            let _failed = limiter.begin(IP, "bob", now).expect("bob's failures at this client were forgotten");
        }
        // the client's count: 4 + 5 failures, the success not among them
        for index in 0..LOGIN_LIMITS.per_client - 9 {
            let _failed = limiter.begin(IP, &format!("user{index}"), now).unwrap();
        }
        assert!(limiter.begin(IP, "erin", now).is_err(), "the client is at its limit");
    }
}
