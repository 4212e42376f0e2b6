//! Tuning over fact blocks: the rows of a window that pass a query, as the `Tuned` views the
//! tuning accumulators take (alerts from the block's alert columns), without reading any
//! summary. Blocks whose alerts are unknown (format 2, or written from summaries the schema 5
//! upgrade had not completed yet) hand their passing rows' ids back instead, for the caller to
//! read those summaries.

use super::{Block, FactQuery, HOST, IP, NO_SEVERITY, NONE_VALUE, PATH, Passed, RowFilter, SENSOR, partition_point};
use crate::tuning::fast_hash::{FastMap, FastSet};
use crate::tuning::groups::{GroupAccumulator, Partial, SAMPLES};
use crate::tuning::{Tuned, is_scoring_rule};
use app::model::{Alert, Severity, TriageState};
use std::borrow::Cow;
use std::collections::HashMap;

const MINUTE_US: i64 = 60_000_000;

/// One group's counts within a block, by codes.
#[derive(Default)]
struct Local {
    events: u64,
    alerts: u64,
    blocked: u64,
    ips: FastSet<usize>,
    first: u64,
    last: u64,
    ids: Vec<u64>,
}

impl<'b> Block<'b> {
    /// The rows of the query's window that pass it, with their codes and ids; for a block
    /// whose alerts are unknown, `unknown` gets their ids and `each` nothing.
    fn passing_rows(&'b self, query: &'b FactQuery<'b>, unknown: &mut dyn FnMut(u64), mut each: impl FnMut(usize, u64, Passed)) {
        let first = partition_point(self.rows, |row| self.minute(row) < query.from_minute);
        let end = partition_point(self.rows, |row| self.minute(row) < query.to_minute);
        if first >= end {
            return;
        }
        let Some(rows) = RowFilter::new(query, self) else { return };
        for row in first..end {
            let Some(passed) = rows.passes(row) else { continue };
            let id = self.first_id.wrapping_add(self.ids.get(row));
            if self.alerts.known {
                each(row, id, passed);
            } else {
                unknown(id);
            }
        }
    }

    /// Row `row`'s alerts (`None` when damaged).
    pub(super) fn row_alerts(&self, row: usize) -> Option<Vec<Alert>> {
        let (start, end) = (self.alerts.starts.index(row), self.alerts.starts.index(row + 1));
        if start > end || end > self.alerts.rules.len() {
            return None;
        }
        (start..end)
            .map(|at| {
                let variable = self.alerts.variables.get(self.alerts.codes.index(at))?.to_owned();
                let severity = *self.alerts.severities.get(at)?;
                let severity = if severity == NO_SEVERITY { None } else { Some(Severity::from_number(i64::from(severity))?) };
                Some(Alert { rule_id: u32::try_from(self.alerts.rules.get(at)).ok()?, variable, severity })
            })
            .collect()
    }

    /// Row `row`'s inbound threshold.
    pub(super) fn threshold(&self, row: usize) -> Option<u32> {
        if row >= self.alerts.thresholds.len() {
            return None;
        }
        u32::try_from(self.alerts.thresholds.get(row)).ok().filter(|threshold| *threshold != NONE_VALUE)
    }

    /// Calls `visit` with each row of the query's window that passes it; for a block whose
    /// alerts are unknown, calls `unknown` with those rows' ids instead. Triage is not in the
    /// blocks: `states` are the events' triage states other than new (the `TRIAGED` table),
    /// and the caller answers `state`/`tag` filters from the summaries
    /// (`FactQuery::supports`). A row's time is its minute.
    pub fn visit_tuned(&self, query: &FactQuery, states: &HashMap<u64, TriageState>, visit: &mut dyn FnMut(&Tuned), unknown: &mut dyn FnMut(u64)) {
        self.passing_rows(query, unknown, |row, id, passed| {
            let Some(alerts) = self.row_alerts(row) else { return };
            let string = |dimension: usize| self.strings[dimension].get(passed.codes[dimension]).unwrap_or_default();
            let event = Tuned {
                id,
                time: i64::try_from(self.minute(row)).unwrap_or(i64::MAX / MINUTE_US).saturating_mul(MINUTE_US),
                sensor: string(SENSOR),
                host: Cow::Borrowed(string(HOST)),
                path: string(PATH),
                client_ip: string(IP),
                action: passed.action,
                score: self.score(passed.score).flatten(),
                threshold: self.threshold(row),
                state: states.get(&id).copied().unwrap_or_default(),
                alerts: &alerts,
            };
            visit(&event);
        });
    }

    /// Adds the rows of the query's window that pass it to `groups`, counted per (rule,
    /// variable, path, host) code within the block first; a block whose alerts are unknown
    /// hands its passing rows' ids to `unknown` instead. The same groups as
    /// [`Block::visit_tuned`] into `GroupAccumulator::add`, with far fewer allocations.
    pub fn group_into(&self, query: &FactQuery, groups: &mut GroupAccumulator, unknown: &mut dyn FnMut(u64)) {
        // (rule, variable code, path code, host code) → its counts in this block
        let mut local: FastMap<(u32, usize, usize, usize), Local> = FastMap::default();
        let mut seen: Vec<(u32, usize)> = Vec::new();
        self.passing_rows(query, unknown, |row, id, passed| {
            let (start, stop) = (self.alerts.starts.index(row), self.alerts.starts.index(row + 1));
            if start > stop || stop > self.alerts.rules.len() {
                return;
            }
            seen.clear();
            let minute = self.minute(row);
            for at in start..stop {
                let Ok(rule) = u32::try_from(self.alerts.rules.get(at)) else { continue };
                if is_scoring_rule(rule) {
                    continue;
                }
                let variable = self.alerts.codes.index(at);
                if variable >= self.alerts.variables.len() {
                    continue;
                }
                let entry =
                    local.entry((rule, variable, passed.codes[PATH], passed.codes[HOST])).or_insert_with(|| Local { first: u64::MAX, ..Local::default() });
                entry.alerts += 1;
                // one rule on one variable counts an event once (variables compared as logged, in any
                // case: the same code is the same name, another code may differ only in case)
                let again = seen.iter().any(|(known_rule, known)| {
                    *known_rule == rule
                        && (*known == variable
                            || self
                                .alerts
                                .variables
                                .bytes(*known)
                                .unwrap_or_default()
                                .eq_ignore_ascii_case(self.alerts.variables.bytes(variable).unwrap_or_default()))
                });
                if again {
                    continue;
                }
                seen.push((rule, variable));
                entry.events += 1;
                entry.blocked += u64::from(passed.action == app::model::Action::Blocked);
                entry.ips.insert(passed.codes[IP]);
                entry.first = entry.first.min(minute);
                entry.last = entry.last.max(minute);
                entry.ids.push(id);
            }
            if !seen.is_empty() {
                groups.count_event();
            }
        });
        let time = |minute: u64| i64::try_from(minute).unwrap_or(i64::MAX / MINUTE_US).saturating_mul(MINUTE_US);
        // each of the block's names gets its number once, each address its hash once
        let mut numbers: [Vec<Option<u32>>; 3] =
            [vec![None; self.alerts.variables.len()], vec![None; self.strings[PATH].len()], vec![None; self.strings[HOST].len()]];
        let mut ip_hashes: Vec<Option<u64>> = vec![None; self.strings[IP].len()];
        for ((rule, variable, path, host), mut counts) in local {
            let mut number = |which: usize, code: usize, groups: &mut GroupAccumulator| -> u32 {
                *numbers[which][code].get_or_insert_with(|| {
                    let name = match which {
                        0 => self.alerts.variables.get(code),
                        1 => self.strings[PATH].get(code),
                        _ => self.strings[HOST].get(code),
                    };
                    groups.number(name.unwrap_or_default())
                })
            };
            let key = (rule, number(0, variable, groups), number(1, path, groups), number(2, host, groups));
            counts.ids.sort_unstable_by(|a, b| b.cmp(a));
            counts.ids.truncate(SAMPLES);
            let ips = counts
                .ips
                .into_iter()
                .map(|code| *ip_hashes[code].get_or_insert_with(|| crate::tuning::groups::ip_hash(self.strings[IP].get(code).unwrap_or_default())))
                .collect();
            let partial = Partial {
                events: counts.events,
                alerts: counts.alerts,
                blocked: counts.blocked,
                ips,
                first: time(counts.first.min(counts.last)),
                last: time(counts.last),
                newest: counts.ids,
            };
            groups.merge(key, partial);
        }
    }

    /// Whether the block holds its events' alerts.
    pub fn alerts_known(&self) -> bool {
        self.alerts.known
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Fact, encode_block};
    use super::*;
    use crate::filter::EventFilter;
    use crate::tuning::groups::GroupAccumulator;
    use app::model::EventSummary;

    fn summaries() -> Vec<EventSummary> {
        (0..200u64)
            .map(|n| {
                let alerts = vec![
                    Alert { rule_id: 942100 + (n % 3) as u32, variable: format!("ARGS:f{}", n % 5), severity: Some(Severity::Critical) },
                    Alert { rule_id: 920350, variable: "REQUEST_HEADERS:Host".into(), severity: Some(Severity::Warning) },
                    Alert { rule_id: 949110, variable: "TX:anomaly_score".into(), severity: None },
                ];
                serde_json::from_value(serde_json::json!({
                    "id": 1000 + n, "received_at": 1000 + n as i64, "time": (n as i64 % 50) * MINUTE_US + 7,
                    "sensor": format!("s{}", n % 2), "unique_id": n.to_string(), "client_ip": format!("10.0.0.{}", n % 9),
                    "host": if n % 4 == 0 { "Shop.Example" } else { "api.example" }, "method": "POST", "uri": format!("/p/{}?x=1", n % 6),
                    "status": 403, "action": if n % 3 == 0 { "blocked" } else { "detected" },
                    "rule_ids": [942100 + (n % 3) as u32, 920350, 949110], "max_severity": "critical", "anomaly_score": 8,
                    "top_rule": null, "top_message": null, "parse_ok": true, "format": "mod_sec2_native", "warning_count": 0,
                    "hash_mismatch": false, "revision": 0, "alerts": alerts, "inbound_threshold": if n % 2 == 0 { Some(5) } else { None },
                }))
                .unwrap()
            })
            .collect()
    }

    fn groups_both_ways(params: &[(&str, &str)], from_minute: u64, to_minute: u64) {
        let summaries = summaries();
        let facts: Vec<Fact> = summaries.iter().map(Fact::of).collect();
        let encoded = encode_block(&facts);
        let block = Block::decode(&encoded).unwrap();
        let mut filter = EventFilter::from_params(&params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>()).unwrap();
        filter.from = Some(from_minute as i64 * MINUTE_US);
        filter.to = Some(to_minute as i64 * MINUTE_US);
        let query = FactQuery { filter: &filter, from_minute, to_minute, bin_minutes: 1, preserved: None };
        let mut from_block = GroupAccumulator::default();
        block.visit_tuned(&query, &HashMap::new(), &mut |event| from_block.add(event), &mut |_| panic!("alerts are known"));
        let mut from_summaries = GroupAccumulator::default();
        for summary in summaries.iter().filter(|summary| filter.matches(summary)) {
            let mut event = Tuned::of(summary);
            // blocks keep minutes: compare at that resolution
            event.time = event.time / MINUTE_US * MINUTE_US;
            from_summaries.add(&event);
        }
        let mut grouped = GroupAccumulator::default();
        block.group_into(&query, &mut grouped, &mut |_| panic!("alerts are known"));
        assert_eq!(from_block.events(), from_summaries.events(), "{params:?}");
        assert_eq!(grouped.events(), from_summaries.events(), "{params:?}");
        let expected = from_summaries.finish(1000);
        assert_eq!(from_block.finish(1000), expected, "{params:?}");
        assert_eq!(grouped.finish(1000), expected, "grouped within the block first: {params:?}");
    }

    #[test]
    fn block_rows_group_like_their_summaries() {
        groups_both_ways(&[], 0, 60);
        groups_both_ways(&[], 10, 20);
        groups_both_ways(&[("sensor", "s1")], 0, 60);
        groups_both_ways(&[("host", "shop.example"), ("action", "blocked")], 0, 60);
        groups_both_ways(&[("rule", "942101"), ("path", "/p/2")], 0, 60);
        groups_both_ways(&[("ip", "!10.0.0.3")], 5, 45);
        groups_both_ways(&[("rule", "1")], 0, 60);
    }

    #[test]
    fn alerts_survive_a_rewrite_and_unknown_ones_stay_unknown() {
        let mut facts: Vec<Fact> = summaries().iter().map(Fact::of).collect();
        let block = encode_block(&facts);
        let again = Block::decode(&block).unwrap().facts().unwrap();
        assert_eq!(again, facts, "a rewrite (merge, purge) keeps every alert and threshold");
        facts[3].alerts = None;
        let block = encode_block(&facts);
        let decoded = Block::decode(&block).unwrap();
        assert!(!decoded.alerts_known());
        let filter = EventFilter { from: Some(0), to: Some(60 * MINUTE_US), ..EventFilter::default() };
        let query = FactQuery { filter: &filter, from_minute: 0, to_minute: 60, bin_minutes: 1, preserved: None };
        let mut ids = Vec::new();
        decoded.visit_tuned(&query, &HashMap::new(), &mut |_| panic!("no row of a block with unknown alerts is tuned from it"), &mut |id| ids.push(id));
        assert_eq!(ids.len(), facts.len());
        assert!(Block::decode(&block).unwrap().facts().unwrap().iter().all(|fact| fact.alerts.is_none()), "unknown for the whole block");
    }
}
