//! `lab test`'s tuning scenarios: the whole loop on the real peers, through wafscope's own API.
//! The lab sends every case (false positives, attacks); an analyst marks the false positives;
//! tuning groups them by rule, variable and path; each group's exclusion is proposed and
//! approved; the exported `.conf` files are installed before and after the CRS rules and the
//! engine's config test passes; the engine restarts, the same traffic is replayed, and the
//! false positives now pass (200, none of the excluded alerts in their logged entries) while
//! every request that was blocked before, attacks on the false positive's own path and
//! variable included, is still blocked.

use super::console::Sensor;
use super::json::Json;
use super::modsec::{EXCLUSIONS_AFTER, EXCLUSIONS_BEFORE};
use super::traffic::{self, TrafficOptions};
use super::wafscope::Wafscope;
use super::{apache, expected, nginx};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// Which engine the lab runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Apache + mod_security2 2.9.7, mlogc
    V2,
    /// nginx + libmodsecurity 3.0.9, its HTTPS writer
    V3,
}

/// A false-positive case of `cases.rs`: where it goes, what each engine calls the variable
/// CRS matches, and which exclusion form the scenario uses for it.
struct FalsePositive {
    case: &'static str,
    path: &'static str,
    /// (mod_security2, libmodsecurity 3): they name JSON body keys differently
    variable: (&'static str, &'static str),
    form: &'static str,
    /// only on the lab's host (the chained-rule form)
    on_host: bool,
}

const FALSE_POSITIVES: [FalsePositive; 3] = [
    FalsePositive { case: "fp-blog-comment", path: "/app/blog/comment", variable: ("ARGS:comment", "ARGS:comment"), form: "runtime", on_host: true },
    FalsePositive { case: "fp-json-bio", path: "/app/api/profile", variable: ("ARGS:user.bio", "ARGS:json.user.bio"), form: "runtime", on_host: false },
    FalsePositive {
        case: "fp-cookie-prefs",
        path: "/app/account/settings",
        variable: ("REQUEST_COOKIES:prefs", "REQUEST_COOKIES:prefs"),
        form: "startup",
        on_host: false,
    },
];

const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

impl FalsePositive {
    fn variable(&self, engine: Engine) -> &'static str {
        if engine == Engine::V2 { self.variable.0 } else { self.variable.1 }
    }
}

/// One manifest line: case, status, unique id.
struct Sent {
    case: String,
    status: Option<u16>,
    unique_id: Option<String>,
}

fn manifest(lab: &Path) -> Result<Vec<Sent>, String> {
    let path = lab.join("manifest.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let record = Json::parse(line)?;
            Ok(Sent {
                case: record.get("case").and_then(Json::as_str).unwrap_or_default().to_owned(),
                status: record.get("status").and_then(Json::as_text).and_then(|status| status.parse().ok()),
                unique_id: record.get("unique_id").and_then(Json::as_str).map(str::to_owned),
            })
        })
        .collect()
}

fn api(console: &Wafscope, method: &str, path: &str, body: Option<&str>, token: &str) -> Result<Json, String> {
    let (status, text) = console.call(method, path, body, token)?;
    if !(200..300).contains(&status) {
        return Err(format!("{method} {path}: {status} {}", text.chars().take(400).collect::<String>()));
    }
    Json::parse(&text).map_err(|error| format!("{method} {path}: {error}"))
}

/// Every stored event of `sensor`, by unique id.
fn events_by_unique_id(console: &Wafscope, token: &str, sensor: &str) -> Result<BTreeMap<String, Json>, String> {
    let mut events = BTreeMap::new();
    let mut before = String::new();
    loop {
        let page = api(console, "GET", &format!("/api/v1/events?sensor={}&limit=1000{before}", super::cases::percent(sensor)), None, token)?;
        for event in page.get("events").and_then(Json::as_array).unwrap_or_default() {
            if let Some(unique_id) = event.get("unique_id").and_then(Json::as_str) {
                events.insert(unique_id.to_owned(), event.clone());
            }
        }
        match page.get("next_before").and_then(Json::as_text) {
            Some(next) => before = format!("&before={next}"),
            None => return Ok(events),
        }
    }
}

/// (rule, variable) of each alert of a stored event.
fn alerts(event: &Json) -> Vec<(String, String)> {
    event
        .get("alerts")
        .and_then(Json::as_array)
        .unwrap_or_default()
        .iter()
        .map(|alert| {
            (
                alert.get("rule_id").and_then(Json::as_text).unwrap_or_default().to_owned(),
                alert.get("variable").and_then(Json::as_str).unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn json_text(text: &str) -> String {
    super::json::quote(text)
}

/// Runs the loop on a started lab whose sensor is `sensor`; the verdict line.
pub fn run(console: &mut Wafscope, lab: &Path, sensor: &Sensor, engine: Engine) -> Result<String, String> {
    let all = TrafficOptions { repeat: 1, cases: None, delay: Duration::ZERO };
    traffic::run(lab, &all, None)?;
    eprintln!("[lab] {}", expected::drain(lab, DRAIN_TIMEOUT)?);
    let first: Vec<Sent> = manifest(lab)?;
    let admin = console.token_with_role("admin")?;
    let stored = events_by_unique_id(console, &admin, &sensor.name)?;

    // the analyst marks the false positives (their ModSecurity unique ids from the responses)
    let mut marked = Vec::new();
    for fp in &FALSE_POSITIVES {
        let sent = first.iter().find(|sent| sent.case == fp.case).ok_or_else(|| format!("{} was not sent", fp.case))?;
        if sent.status != Some(403) {
            return Err(format!("{} answered {:?} before any exclusion, not 403: the case proves nothing", fp.case, sent.status));
        }
        let unique_id = sent.unique_id.as_deref().ok_or_else(|| format!("{}: no unique id in the response", fp.case))?;
        let event = stored.get(unique_id).ok_or_else(|| format!("{}: {unique_id} is not stored", fp.case))?;
        marked.push(event.get("id").and_then(Json::as_text).ok_or("an event without id")?.to_owned());
    }
    let body = format!(r#"{{"ids":[{}],"state":"false_positive"}}"#, marked.join(","));
    api(console, "POST", "/api/v1/triage", Some(&body), &admin)?;

    // tuning groups exactly the false positives
    let sensor_query = super::cases::percent(&sensor.name);
    let answer = api(console, "GET", &format!("/api/v1/tuning?sensor={sensor_query}&state=false_positive&top=500"), None, &admin)?;
    let groups = answer.get("groups").and_then(Json::as_array).unwrap_or_default().to_vec();
    let mut per_case: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for group in &groups {
        let text = |key: &str| group.get(key).and_then(Json::as_text).unwrap_or_default().to_owned();
        let (rule, variable, path) = (text("rule_id"), text("variable"), text("path"));
        let fp = FALSE_POSITIVES
            .iter()
            .find(|fp| fp.path == path && fp.variable(engine) == variable)
            .ok_or_else(|| format!("tuning grouped rule {rule} on {variable} at {path}, which is none of the false positives' (path, variable)"))?;
        if (text("events"), text("blocked")) != ("1".to_owned(), "1".to_owned()) {
            return Err(format!(
                "group {rule} {variable} {path}: {} events, {} blocked; each false positive was sent once and blocked",
                text("events"),
                text("blocked")
            ));
        }
        per_case.entry(fp.case).or_default().push(rule);
    }
    for fp in &FALSE_POSITIVES {
        if per_case.get(fp.case).is_none_or(Vec::is_empty) {
            return Err(format!("no tuning group for {} ({} on {})", fp.case, fp.variable(engine), fp.path));
        }
    }

    // propose and approve each group's exclusion, for this sensor
    for fp in &FALSE_POSITIVES {
        for rule in &per_case[fp.case] {
            let mut spec =
                format!(r#""rule_id":{rule},"form":"{}","variable":{},"sensor":{}"#, fp.form, json_text(fp.variable(engine)), json_text(&sensor.name));
            if fp.form != "startup" {
                spec.push_str(&format!(r#","path":{}"#, json_text(fp.path)));
            }
            if fp.on_host {
                spec.push_str(&format!(r#","host":{}"#, json_text(super::cases::HOST)));
            }
            let saved = api(console, "POST", "/api/v1/exclusions", Some(&format!(r#"{{"spec":{{{spec}}},"comment":"lab: {}"}}"#, fp.case)), &admin)?;
            let id = saved.get("id").and_then(Json::as_text).ok_or("a saved exclusion without id")?.to_owned();
            api(console, "POST", &format!("/api/v1/exclusions/{id}/approve"), None, &admin)?;
        }
    }

    // install the exported files where CRS's exclusion files go, test the configuration, restart
    let mut installed = Vec::new();
    for (placement, file) in [("before", EXCLUSIONS_BEFORE), ("after", EXCLUSIONS_AFTER)] {
        let (status, text) = console.call("GET", &format!("/api/v1/exclusions.conf?placement={placement}&sensor={sensor_query}"), None, &admin)?;
        if status != 200 {
            return Err(format!("exclusions.conf?placement={placement}: {status} {text}"));
        }
        let rules = text.lines().filter(|line| line.starts_with("SecRule ") || line.starts_with("SecRuleUpdateTargetById ")).count();
        installed.push(format!("{rules} {placement}"));
        std::fs::write(lab.join("conf").join(file), &text).map_err(|error| format!("{file}: {error}"))?;
    }
    let tested = match engine {
        Engine::V2 => apache::config_test(lab)?,
        Engine::V3 => nginx::config_test(lab)?,
    };
    eprintln!("[lab] config test with the exclusions: {}", tested.lines().last().unwrap_or_default());
    match engine {
        Engine::V2 => {
            apache::restart(lab)?;
        }
        Engine::V3 => nginx::reload(lab)?,
    }

    // the same traffic again
    traffic::run(lab, &all, None)?;
    eprintln!("[lab] {}", expected::drain(lab, DRAIN_TIMEOUT)?);
    let replay: Vec<Sent> = manifest(lab)?.into_iter().skip(first.len()).collect();
    let status_of = |sent: &[Sent], case: &str| sent.iter().find(|entry| entry.case == case).and_then(|entry| entry.status);
    let mut problems = Vec::new();
    let fp_cases: BTreeSet<&str> = FALSE_POSITIVES.iter().map(|fp| fp.case).collect();
    let mut still_blocked = 0;
    for sent in first.iter().filter(|sent| !fp_cases.contains(sent.case.as_str()) && sent.status == Some(403)) {
        match status_of(&replay, &sent.case) {
            Some(403) => still_blocked += 1,
            other => problems.push(format!("{} was blocked before the exclusions, answered {other:?} after", sent.case)),
        }
    }
    if status_of(&first, "sqli-blog-comment") != Some(403) {
        problems.push("sqli-blog-comment (an attack on a false positive's path and variable) was not blocked at all".to_owned());
    }
    let stored = events_by_unique_id(console, &admin, &sensor.name)?;
    for fp in &FALSE_POSITIVES {
        let sent = replay.iter().find(|sent| sent.case == fp.case).ok_or_else(|| format!("{} was not replayed", fp.case))?;
        if sent.status != Some(200) {
            problems.push(format!("{} answered {:?} after the exclusions, not 200", fp.case, sent.status));
        }
        let Some(event) = sent.unique_id.as_deref().and_then(|unique_id| stored.get(unique_id)) else {
            problems.push(format!("{}: the replayed entry (forced into the audit log) is not stored", fp.case));
            continue;
        };
        let left: Vec<String> = alerts(event)
            .into_iter()
            .filter(|(rule, variable)| per_case[fp.case].contains(rule) && variable == fp.variable(engine))
            .map(|(rule, variable)| format!("{rule} on {variable}"))
            .collect();
        if !left.is_empty() {
            problems.push(format!("{} still triggers {} after the exclusions", fp.case, left.join(", ")));
        }
    }
    if !problems.is_empty() {
        return Err(format!("{} problem(s) after installing the exclusions:\n{}", problems.len(), problems.join("\n")));
    }
    let excluded: usize = per_case.values().map(Vec::len).sum();
    Ok(format!(
        "{} false positives in {excluded} groups, each excluded ({} rules installed, config test ok); replayed: the false positives pass with none of the excluded alerts, {still_blocked} blocked requests still blocked",
        FALSE_POSITIVES.len(),
        installed.join(" + ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_false_positive_is_a_case_no_attack_shares() {
        let cases = super::super::cases::all();
        for fp in &FALSE_POSITIVES {
            let case = cases.iter().find(|case| case.name == fp.case).unwrap_or_else(|| panic!("{} is not a case", fp.case));
            assert!(String::from_utf8_lossy(&case.target).starts_with(fp.path), "{}", fp.case);
        }
    }
}
