//! What exclusions would have changed over stored events: the impact preview of a draft and
//! the what-if threshold chart.

use super::{Tuned, removed_alerts, score_without};
use app::model::{Action, ExclusionSpec, Impact, ThresholdCount, TriageState, ValueCount, WHAT_IF_THRESHOLDS};
use std::collections::{HashMap, HashSet};

/// Hosts and paths listed in an impact, at most.
pub const LISTED_VALUES: usize = 20;

/// Counts what one exclusion takes away.
#[derive(Debug)]
pub struct ImpactAccumulator {
    spec: ExclusionSpec,
    default_threshold: u32,
    events: u64,
    alerts: u64,
    unblocked: u64,
    attack_marked: u64,
    hosts: HashMap<String, u64>,
    paths: HashMap<String, u64>,
    ips: HashSet<String>,
}

impl ImpactAccumulator {
    /// `default_threshold`: the inbound threshold of events whose entry does not show theirs.
    pub fn new(spec: ExclusionSpec, default_threshold: u32) -> ImpactAccumulator {
        ImpactAccumulator {
            spec,
            default_threshold,
            events: 0,
            alerts: 0,
            unblocked: 0,
            attack_marked: 0,
            hosts: HashMap::new(),
            paths: HashMap::new(),
            ips: HashSet::new(),
        }
    }

    pub fn add(&mut self, event: &Tuned) {
        let removed = removed_alerts([&self.spec], event);
        if removed.is_empty() {
            return;
        }
        self.events += 1;
        self.alerts += removed.len() as u64;
        if event.state == TriageState::Attack {
            self.attack_marked += 1;
        }
        if event.action == Action::Blocked && score_without(event, &removed) < event.threshold_or(self.default_threshold) {
            self.unblocked += 1;
        }
        *self.hosts.entry(event.host.clone().into_owned()).or_default() += 1;
        *self.paths.entry(event.path.to_owned()).or_default() += 1;
        if !self.ips.contains(event.client_ip) {
            self.ips.insert(event.client_ip.to_owned());
        }
    }

    pub fn finish(self, complete: bool) -> Impact {
        Impact {
            events: self.events,
            alerts: self.alerts,
            unblocked: self.unblocked,
            attack_marked: self.attack_marked,
            hosts: largest(self.hosts),
            paths: largest(self.paths),
            client_ips: self.ips.len() as u64,
            complete,
        }
    }
}

fn largest(counts: HashMap<String, u64>) -> Vec<ValueCount> {
    let mut values: Vec<ValueCount> = counts.into_iter().map(|(value, events)| ValueCount { value, events }).collect();
    values.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    values.truncate(LISTED_VALUES);
    values
}

/// Counts, per threshold of [`WHAT_IF_THRESHOLDS`], the events whose inbound score with
/// `specs` applied reaches it.
#[derive(Debug)]
pub struct WhatIfAccumulator {
    specs: Vec<ExclusionSpec>,
    blocked: [u64; WHAT_IF_THRESHOLDS.len()],
    events: u64,
    scored: u64,
}

impl WhatIfAccumulator {
    pub fn new(specs: Vec<ExclusionSpec>) -> WhatIfAccumulator {
        WhatIfAccumulator { specs, blocked: [0; WHAT_IF_THRESHOLDS.len()], events: 0, scored: 0 }
    }

    pub fn add(&mut self, event: &Tuned) {
        self.events += 1;
        let removed = removed_alerts(&self.specs, event);
        let score = score_without(event, &removed);
        if score == 0 {
            return;
        }
        self.scored += 1;
        for (blocked, threshold) in self.blocked.iter_mut().zip(WHAT_IF_THRESHOLDS) {
            *blocked += u64::from(score >= threshold);
        }
    }

    pub fn finish(self) -> (Vec<ThresholdCount>, u64, u64) {
        let thresholds = WHAT_IF_THRESHOLDS.iter().zip(self.blocked).map(|(threshold, blocked)| ThresholdCount { threshold: *threshold, blocked }).collect();
        (thresholds, self.events, self.scored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuning::tests::{alert, event};
    use app::model::{ExclusionForm, Severity};

    fn comment_exclusion() -> ExclusionSpec {
        ExclusionSpec {
            rule_id: 942100,
            form: ExclusionForm::Runtime,
            variable: Some("ARGS:comment".into()),
            path: Some("/blog".into()),
            host: None,
            sensor: None,
        }
    }

    #[test]
    fn impact_counts_removed_alerts_unblocked_events_and_attacks() {
        let sqli = [alert(942100, "ARGS:comment", Severity::Critical), alert(949110, "TX:anomaly_score", Severity::Critical)];
        let sqli_and_xss = [
            alert(942100, "ARGS:comment", Severity::Critical),
            alert(941100, "ARGS:comment", Severity::Critical),
            alert(949110, "TX:anomaly_score", Severity::Critical),
        ];
        let mut accumulator = ImpactAccumulator::new(comment_exclusion(), 5);
        // blocked at 5 by the one alert: unblocked
        accumulator.add(&event(&sqli, "/blog/comment", "www.a.test", Some(5), Action::Blocked));
        // blocked at 10 by two: still 5 without it, still blocked
        accumulator.add(&event(&sqli_and_xss, "/blog/comment", "www.a.test", Some(10), Action::Blocked));
        // judged at threshold 7 (the entry said): 10 - 5 = 5 < 7, unblocked
        let mut lenient = event(&sqli_and_xss, "/blog/post", "www.b.test", Some(10), Action::Blocked);
        lenient.threshold = Some(7);
        lenient.client_ip = "10.0.0.9";
        lenient.state = TriageState::Attack;
        accumulator.add(&lenient);
        // not on the path: untouched
        accumulator.add(&event(&sqli, "/shop", "www.a.test", Some(5), Action::Blocked));
        let impact = accumulator.finish(true);
        assert_eq!((impact.events, impact.alerts, impact.unblocked, impact.attack_marked, impact.client_ips), (3, 3, 2, 1, 2));
        assert_eq!(impact.hosts, [ValueCount { value: "www.a.test".into(), events: 2 }, ValueCount { value: "www.b.test".into(), events: 1 }]);
        assert_eq!(impact.paths[0], ValueCount { value: "/blog/comment".into(), events: 2 });
        assert!(impact.complete);
    }

    #[test]
    fn what_if_counts_blocked_events_per_threshold_with_exclusions_applied() {
        let sqli = [alert(942100, "ARGS:comment", Severity::Critical), alert(949110, "TX:anomaly_score", Severity::Critical)];
        let heavy = [
            alert(932100, "ARGS:cmd", Severity::Critical),
            alert(932110, "ARGS:cmd", Severity::Critical),
            alert(920350, "REQUEST_HEADERS:Host", Severity::Warning),
        ];
        let warning = [alert(920350, "REQUEST_HEADERS:Host", Severity::Warning)];
        let mut plain = WhatIfAccumulator::new(Vec::new());
        let mut tuned = WhatIfAccumulator::new(vec![comment_exclusion()]);
        for accumulator in [&mut plain, &mut tuned] {
            accumulator.add(&event(&sqli, "/blog/comment", "h", Some(5), Action::Blocked));
            accumulator.add(&event(&heavy, "/run", "h", Some(13), Action::Blocked));
            accumulator.add(&event(&warning, "/", "h", None, Action::Detected));
            accumulator.add(&event(&[], "/", "h", None, Action::Passed));
        }
        let (thresholds, events, scored) = plain.finish();
        assert_eq!((events, scored), (4, 3));
        let blocked: Vec<u64> = thresholds.iter().map(|count| count.blocked).collect();
        // scores 5, 13, 3 against 5, 7, 10, 15, 20, 25, 50
        assert_eq!(blocked, [2, 1, 1, 0, 0, 0, 0]);
        let (thresholds, _, scored) = tuned.finish();
        assert_eq!(scored, 2, "the excluded comment scores nothing");
        assert_eq!(thresholds.iter().map(|count| count.blocked).collect::<Vec<_>>(), [1, 1, 1, 0, 0, 0, 0]);
    }
}
