//! Alert groups (`GET /api/v1/tuning`): alerts by rule × matched variable × path × host, with
//! their events, alerts, client addresses, blocked events and first and last times.

use super::fast_hash::{FastMap, FastSet, hash_bytes};
use super::{Tuned, is_scoring_rule};
use app::model::{Action, TuningGroup};
use std::collections::HashMap;

/// Ids of the newest events kept per group (for samples).
pub const SAMPLES: usize = 3;

/// (rule, variable, path, host), the strings as their numbers in `Names`.
type Key = (u32, u32, u32, u32);

/// Every variable, path and host seen once, numbered: a group's key is four numbers, so adding
/// an alert to a known group allocates nothing.
#[derive(Debug, Default)]
struct Names {
    numbers: HashMap<String, u32, super::fast_hash::FastBuild>,
    names: Vec<String>,
}

impl Names {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(number) = self.numbers.get(name) {
            return *number;
        }
        let number = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), number);
        number
    }

    fn name(&self, number: u32) -> String {
        self.names.get(number as usize).cloned().unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct Counts {
    events: u64,
    alerts: u64,
    blocked: u64,
    /// Hashes of the client addresses (distinct count).
    ips: FastSet<u64>,
    first: i64,
    last: i64,
    /// The newest ids, newest first.
    newest: Vec<u64>,
}

/// Adds up events into groups.
#[derive(Debug, Default)]
pub struct GroupAccumulator {
    groups: FastMap<Key, Counts>,
    names: Names,
    /// Events with at least one alert that is not a scoring rule's.
    events: u64,
}

/// What one fact block adds to a group (counted there with the block's codes, so the strings
/// are made once per group and block, not once per alert).
#[derive(Debug, Default)]
pub struct Partial {
    pub events: u64,
    pub alerts: u64,
    pub blocked: u64,
    /// [`ip_hash`]es of the client addresses.
    pub ips: Vec<u64>,
    pub first: i64,
    pub last: i64,
    /// The newest ids, any order.
    pub newest: Vec<u64>,
}

pub(crate) fn ip_hash(ip: &str) -> u64 {
    hash_bytes(ip.as_bytes())
}

impl GroupAccumulator {
    pub fn add(&mut self, event: &Tuned) {
        let mut seen: Vec<(u32, &str)> = Vec::new();
        let mut counted = false;
        for alert in event.alerts.iter().filter(|alert| !is_scoring_rule(alert.rule_id)) {
            counted = true;
            let first_in_event = !seen.iter().any(|(rule, variable)| *rule == alert.rule_id && variable.eq_ignore_ascii_case(&alert.variable));
            if first_in_event {
                seen.push((alert.rule_id, &alert.variable));
            }
            let key = (alert.rule_id, self.names.number(&alert.variable), self.names.number(event.path), self.names.number(&event.host));
            let counts = self.groups.entry(key).or_insert_with(|| Counts { first: i64::MAX, last: i64::MIN, ..Counts::default() });
            counts.alerts += 1;
            if !first_in_event {
                continue;
            }
            counts.events += 1;
            counts.blocked += u64::from(event.action == Action::Blocked);
            counts.ips.insert(ip_hash(event.client_ip));
            counts.first = counts.first.min(event.time);
            counts.last = counts.last.max(event.time);
            if counts.newest.len() < SAMPLES || counts.newest.last().is_some_and(|oldest| event.id > *oldest) {
                let at = counts.newest.partition_point(|known| *known > event.id);
                counts.newest.insert(at, event.id);
                counts.newest.truncate(SAMPLES);
            }
        }
        self.events += u64::from(counted);
    }

    /// The number of a variable, path or host name (for [`GroupAccumulator::merge`]).
    pub fn number(&mut self, name: &str) -> u32 {
        self.names.number(name)
    }

    /// Adds a block's counts of the group (rule, variable, path, host numbers).
    pub fn merge(&mut self, key: (u32, u32, u32, u32), partial: Partial) {
        let counts = self.groups.entry(key).or_insert_with(|| Counts { first: i64::MAX, last: i64::MIN, ..Counts::default() });
        counts.events += partial.events;
        counts.alerts += partial.alerts;
        counts.blocked += partial.blocked;
        counts.ips.extend(partial.ips);
        counts.first = counts.first.min(partial.first);
        counts.last = counts.last.max(partial.last);
        counts.newest.extend(partial.newest);
        counts.newest.sort_unstable_by(|a, b| b.cmp(a));
        counts.newest.dedup();
        counts.newest.truncate(SAMPLES);
    }

    /// Counts an event with at least one alert in a group (for [`GroupAccumulator::merge`]d ones).
    pub fn count_event(&mut self) {
        self.events += 1;
    }

    /// Events counted (with at least one alert in a group).
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The `top` largest groups (events, then alerts, then rule, variable, path, host), without
    /// messages and samples (the caller adds them).
    pub fn finish(self, top: usize) -> Vec<TuningGroup> {
        let names = self.names;
        // the order on numbers first; strings only for the ties that need them and the top
        let mut order: Vec<(Key, Counts)> = self.groups.into_iter().collect();
        order.sort_by(|(a, left), (b, right)| {
            right.events.cmp(&left.events).then(right.alerts.cmp(&left.alerts)).then_with(|| {
                (a.0, &names.names[a.1 as usize], &names.names[a.2 as usize], &names.names[a.3 as usize]).cmp(&(
                    b.0,
                    &names.names[b.1 as usize],
                    &names.names[b.2 as usize],
                    &names.names[b.3 as usize],
                ))
            })
        });
        order.truncate(top);
        order
            .into_iter()
            .map(|((rule, variable, path, host), counts)| TuningGroup {
                rule_id: rule,
                variable: names.name(variable),
                path: names.name(path),
                host: names.name(host),
                events: counts.events,
                alerts: counts.alerts,
                client_ips: counts.ips.len() as u64,
                blocked: counts.blocked,
                first_seen: counts.first,
                last_seen: counts.last,
                sample_ids: counts.newest,
                ..TuningGroup::default()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuning::tests::{alert, event};
    use app::model::Severity;

    #[test]
    fn alerts_group_by_rule_variable_path_and_host() {
        let sqli_twice = [
            alert(942100, "ARGS:comment", Severity::Critical),
            alert(942100, "ARGS:comment", Severity::Critical),
            alert(949110, "TX:anomaly_score", Severity::Critical),
        ];
        let xss = [alert(941100, "ARGS:comment", Severity::Critical), alert(942100, "args:COMMENT", Severity::Critical)];
        let mut accumulator = GroupAccumulator::default();
        let mut first = event(&sqli_twice, "/blog/comment", "www.example.test", Some(10), Action::Blocked);
        first.time = 100;
        first.id = 10;
        accumulator.add(&first);
        let mut second = event(&xss, "/blog/comment", "www.example.test", None, Action::Detected);
        (second.time, second.id, second.client_ip) = (50, 20, "10.0.0.2");
        accumulator.add(&second);
        let mut elsewhere = event(&sqli_twice[..1], "/shop", "www.example.test", None, Action::Detected);
        elsewhere.id = 30;
        accumulator.add(&elsewhere);
        let none = event(&sqli_twice[2..], "/", "h", Some(5), Action::Blocked);
        accumulator.add(&none);
        assert_eq!(accumulator.events(), 3, "scoring rules alone are no group");
        let groups = accumulator.finish(10);
        let top = &groups[0];
        assert_eq!((top.rule_id, top.variable.as_str(), top.path.as_str()), (942100, "ARGS:comment", "/blog/comment"));
        assert_eq!((top.events, top.alerts, top.blocked, top.client_ips), (1, 2, 1, 1), "{groups:?}");
        // case of the variable as logged is its own key (counted per spelling), the rest apart
        assert_eq!(groups.len(), 4, "{groups:?}");
        assert!(groups.iter().all(|group| group.rule_id != 949110));
        let shop = groups.iter().find(|group| group.path == "/shop").unwrap();
        assert_eq!((shop.events, shop.sample_ids.as_slice()), (1, &[30][..]));
        let xss_group = groups.iter().find(|group| group.rule_id == 941100).unwrap();
        assert_eq!((xss_group.first_seen, xss_group.last_seen, xss_group.blocked), (50, 50, 0));
    }

    #[test]
    fn samples_are_the_newest_events() {
        let alerts = [alert(942100, "ARGS:q", Severity::Critical)];
        let mut accumulator = GroupAccumulator::default();
        for id in [5, 9, 1, 7, 3] {
            let mut one = event(&alerts, "/", "h", None, Action::Detected);
            one.id = id;
            accumulator.add(&one);
        }
        assert_eq!(accumulator.finish(1)[0].sample_ids, [9, 7, 5]);
    }
}
