//! The tuning assistant (pure): alert groups, what an exclusion removes, its impact on the
//! stored events, the what-if threshold chart, and the exclusion's configuration text.
//!
//! Every computation takes events as [`Tuned`] views, so the same code counts summaries and
//! (later) fact rows. Scores follow CRS 3/4 anomaly scoring: each inbound CRS rule that
//! matches adds its severity's weight (critical 5, error 4, warning 3, notice 2) to the
//! inbound score, and the blocking evaluation (949110) compares the total with the threshold.

pub mod conf;
pub mod fast_hash;
pub mod groups;
pub mod impact;

use app::model::{Action, Alert, EventSummary, ExclusionForm, ExclusionSpec, Severity, TriageState};
use std::borrow::Cow;

/// CRS's default inbound anomaly threshold, for events whose entry does not show theirs.
pub const DEFAULT_INBOUND_THRESHOLD: u32 = 5;

/// Whether `rule` is one of CRS's scoring rules (949 blocking evaluation, 959 outbound, 980
/// correlation): they say a threshold was crossed, not what matched, and are never a group.
pub fn is_scoring_rule(rule: u32) -> bool {
    matches!(rule / 1000, 949 | 959 | 980)
}

/// What an alert of `rule` with `severity` adds to the inbound anomaly score: CRS's request
/// rules (900000–948999) add their severity's weight; response rules, scoring rules and rules
/// outside CRS add nothing.
pub fn inbound_weight(rule: u32, severity: Option<Severity>) -> u32 {
    if !(900_000..949_000).contains(&rule) {
        return 0;
    }
    match severity {
        Some(Severity::Emergency | Severity::Alert | Severity::Critical) => 5,
        Some(Severity::Error) => 4,
        Some(Severity::Warning) => 3,
        Some(Severity::Notice) => 2,
        _ => 0,
    }
}

/// An event as tuning sees it.
#[derive(Debug, Clone)]
pub struct Tuned<'a> {
    pub id: u64,
    /// Event time (else arrival), µs.
    pub time: i64,
    pub sensor: &'a str,
    /// Lowercased.
    pub host: Cow<'a, str>,
    /// The URI up to `?`.
    pub path: &'a str,
    pub client_ip: &'a str,
    pub action: Action,
    pub score: Option<u32>,
    pub threshold: Option<u32>,
    pub state: TriageState,
    pub alerts: &'a [Alert],
}

impl<'a> Tuned<'a> {
    pub fn of(summary: &'a EventSummary) -> Tuned<'a> {
        let host = if summary.host.bytes().any(|byte| byte.is_ascii_uppercase()) {
            Cow::Owned(summary.host.to_ascii_lowercase())
        } else {
            Cow::Borrowed(summary.host.as_str())
        };
        Tuned {
            id: summary.id,
            time: summary.time.unwrap_or(summary.received_at),
            sensor: &summary.sensor,
            host,
            path: summary.uri.split('?').next().unwrap_or_default(),
            client_ip: &summary.client_ip,
            action: summary.action,
            score: summary.anomaly_score,
            threshold: summary.inbound_threshold,
            state: summary.state,
            alerts: &summary.alerts,
        }
    }

    /// The inbound score: as the entry reported it, else the sum of its alerts' weights (CRS
    /// reports a score only when it crossed the threshold).
    pub fn inbound_score(&self) -> u32 {
        self.score.unwrap_or_else(|| self.alerts.iter().map(|alert| inbound_weight(alert.rule_id, alert.severity)).sum())
    }

    /// The threshold the event was judged with.
    pub fn threshold_or(&self, default: u32) -> u32 {
        self.threshold.unwrap_or(default)
    }
}

/// Whether the variable names in `a` and `b` are the same (ModSecurity compares collection
/// names and keys without regard to case).
pub fn same_variable(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether `spec` takes `alert` away from `event`.
pub fn removes(spec: &ExclusionSpec, alert: &Alert, event: &Tuned) -> bool {
    if alert.rule_id != spec.rule_id {
        return false;
    }
    if spec.sensor.as_deref().is_some_and(|sensor| sensor != event.sensor) {
        return false;
    }
    let variable = || spec.variable.as_deref().is_some_and(|variable| same_variable(variable, &alert.variable));
    let place = || {
        spec.path.as_deref().is_none_or(|path| event.path.starts_with(path)) && spec.host.as_deref().is_none_or(|host| host.eq_ignore_ascii_case(&event.host))
    };
    match spec.form {
        ExclusionForm::Runtime => variable() && place(),
        ExclusionForm::Startup => variable(),
        ExclusionForm::Rule => place(),
    }
}

/// The alerts of `event` that any of `specs` takes away (indexes into `event.alerts`).
pub fn removed_alerts<'s>(specs: impl IntoIterator<Item = &'s ExclusionSpec> + Clone, event: &Tuned) -> Vec<usize> {
    event.alerts.iter().enumerate().filter(|(_, alert)| specs.clone().into_iter().any(|spec| removes(spec, alert, event))).map(|(index, _)| index).collect()
}

/// The inbound score of `event` without the alerts `removed` (indexes).
pub fn score_without(event: &Tuned, removed: &[usize]) -> u32 {
    let taken: u32 = removed.iter().filter_map(|index| event.alerts.get(*index)).map(|alert| inbound_weight(alert.rule_id, alert.severity)).sum();
    event.inbound_score().saturating_sub(taken)
}

/// The exclusion that covers `event` whole: the first of `approved` (id, spec) after which,
/// with those before it, none of its alerts but the scoring rules' is left.
pub fn covering(approved: &[(u64, ExclusionSpec)], event: &Tuned) -> Option<u64> {
    let mut left: Vec<&Alert> = event.alerts.iter().filter(|alert| !is_scoring_rule(alert.rule_id)).collect();
    if left.is_empty() {
        return None;
    }
    for (id, spec) in approved {
        left.retain(|alert| !removes(spec, alert, event));
        if left.is_empty() {
            return Some(*id);
        }
    }
    None
}

/// Longest sample value, in characters.
pub const SAMPLE_CHARS: usize = 200;

/// What rule `rule` matched on `variable` in the parsed `event`: the rule's alert there.
/// [`sample_text`] is what it matched.
pub fn sample_of<'e>(event: &'e app::model::AuditEvent, rule: u32, variable: &str) -> Option<&'e app::model::RuleMessage> {
    event
        .messages
        .iter()
        .find(|message| message.rule_id == Some(rule) && message.matched_var.as_deref().is_some_and(|known| same_variable(known, variable)))
        .or_else(|| event.messages.iter().find(|message| message.rule_id == Some(rule)))
}

/// What an alert matched (its `data`, as CRS logs the match; else its text), cut to
/// [`SAMPLE_CHARS`].
pub fn sample_text(message: &app::model::RuleMessage) -> String {
    let text = if message.data.is_empty() { &message.text } else { &message.data };
    text.chars().take(SAMPLE_CHARS).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn alert(rule_id: u32, variable: &str, severity: Severity) -> Alert {
        Alert { rule_id, variable: variable.into(), severity: Some(severity) }
    }

    pub fn event<'a>(alerts: &'a [Alert], path: &'a str, host: &'a str, score: Option<u32>, action: Action) -> Tuned<'a> {
        Tuned {
            id: 1,
            time: 0,
            sensor: "web-01",
            host: Cow::Borrowed(host),
            path,
            client_ip: "10.0.0.1",
            action,
            score,
            threshold: None,
            state: TriageState::New,
            alerts,
        }
    }

    fn spec(form: ExclusionForm, variable: Option<&str>, path: Option<&str>, host: Option<&str>) -> ExclusionSpec {
        ExclusionSpec { rule_id: 942100, form, variable: variable.map(Into::into), path: path.map(Into::into), host: host.map(Into::into), sensor: None }
    }

    #[test]
    fn each_form_removes_what_its_directive_would() {
        let alerts = [
            alert(942100, "ARGS:comment", Severity::Critical),
            alert(942100, "ARGS:title", Severity::Critical),
            alert(941100, "ARGS:comment", Severity::Critical),
        ];
        let on_blog = event(&alerts, "/blog/comment", "www.example.test", Some(15), Action::Blocked);
        let elsewhere = event(&alerts, "/shop", "www.example.test", Some(15), Action::Blocked);
        let runtime = spec(ExclusionForm::Runtime, Some("args:COMMENT"), Some("/blog/"), None);
        assert_eq!(removed_alerts([&runtime], &on_blog), [0], "one rule, one variable (any case), on the path");
        assert!(removed_alerts([&runtime], &elsewhere).is_empty());
        let startup = spec(ExclusionForm::Startup, Some("ARGS:comment"), Some("/ignored"), None);
        assert_eq!(removed_alerts([&startup], &elsewhere), [0], "start-up exclusions hold on every path");
        let rule = spec(ExclusionForm::Rule, None, Some("/blog"), None);
        assert_eq!(removed_alerts([&rule], &on_blog), [0, 1], "the whole rule on the path");
        let other_host = spec(ExclusionForm::Runtime, Some("ARGS:comment"), Some("/blog"), Some("shop.example.test"));
        assert!(removed_alerts([&other_host], &on_blog).is_empty());
        let for_other_sensor = ExclusionSpec { sensor: Some("web-02".into()), ..runtime.clone() };
        assert!(removed_alerts([&for_other_sensor], &on_blog).is_empty());
    }

    #[test]
    fn scores_lose_exactly_the_removed_weights() {
        let alerts = [
            alert(942100, "ARGS:comment", Severity::Critical),
            alert(920350, "REQUEST_HEADERS:Host", Severity::Warning),
            alert(951100, "RESPONSE_BODY", Severity::Critical),
            alert(949110, "TX:anomaly_score", Severity::Critical),
        ];
        let blocked = event(&alerts, "/", "h", Some(8), Action::Blocked);
        assert_eq!(score_without(&blocked, &[0]), 3);
        assert_eq!(score_without(&blocked, &[2, 3]), 8, "response and scoring rules add nothing inbound");
        let unreported = event(&alerts[..2], "/", "h", None, Action::Detected);
        assert_eq!(unreported.inbound_score(), 8, "without a reported score, the alerts' weights");
        assert_eq!(inbound_weight(1001, Some(Severity::Critical)), 0, "local rules do not score");
    }

    #[test]
    fn an_event_is_covered_once_every_alert_but_scoring_is_excluded() {
        let alerts = [
            alert(942100, "ARGS:comment", Severity::Critical),
            alert(942100, "ARGS:title", Severity::Critical),
            alert(949110, "TX:anomaly_score", Severity::Critical),
        ];
        let one = event(&alerts, "/blog", "h", Some(10), Action::Blocked);
        let comment = (4, spec(ExclusionForm::Runtime, Some("ARGS:comment"), Some("/blog"), None));
        let title = (9, spec(ExclusionForm::Startup, Some("ARGS:title"), None, None));
        assert_eq!(covering(std::slice::from_ref(&comment), &one), None);
        assert_eq!(covering(&[comment.clone(), title.clone()], &one), Some(9));
        let none: [Alert; 0] = [];
        assert_eq!(covering(&[comment, title], &event(&none, "/", "h", None, Action::Passed)), None);
    }
}
