//! The tuning pages' URLs and words (pure, tested natively): links from an alert to its
//! similar events and to its draft, the queries of the draft and of the groups, and what a
//! draft's impact says.

use crate::filters::{Field, Filter, encode_component, encode_query};
use crate::model::{Exclusion, ExclusionForm, Impact, TuningGroup};

/// The alert a Tuning page URL points at (`/tuning?rule=&variable=&path=[&host=]`, what
/// [`draft_href`] writes): rule, variable, path and host from the filter's positive conditions.
pub fn draft_target(filter: &Filter) -> Option<(u32, String, String, Option<String>)> {
    let value =
        |field: Field| filter.conditions.iter().find(|condition| condition.field == field && !condition.negated).map(|condition| condition.value.clone());
    let rule = value(Field::Rule)?.parse().ok()?;
    Some((rule, value(Field::Variable)?, value(Field::Path)?, value(Field::Host)))
}

/// The time window of the filter's API query (`from=…&to=…`), for drafts and proposals.
pub fn window_query(filter: &Filter, now_seconds: i64) -> String {
    let pairs: Vec<(String, String)> = filter.api_pairs(now_seconds, true).into_iter().filter(|(name, _)| name == "from" || name == "to").collect();
    encode_query(&pairs)
}

/// An exclusion in words: `rule 942100 · ARGS:comment · /blog/comment* · www.a.test`.
pub fn exclusion_words(exclusion: &Exclusion) -> String {
    let spec = &exclusion.spec;
    let mut parts = vec![format!("rule {}", spec.rule_id)];
    match spec.form {
        ExclusionForm::Rule => parts.push("whole rule".to_owned()),
        _ => parts.push(spec.variable.clone().unwrap_or_default()),
    }
    match (spec.form, &spec.path) {
        (ExclusionForm::Startup, _) => parts.push("every path".to_owned()),
        (_, Some(path)) => parts.push(format!("{path}*")),
        (_, None) => {}
    }
    parts.extend(spec.host.clone());
    parts.extend(spec.sensor.as_ref().map(|sensor| format!("sensor {sensor}")));
    parts.join(" · ")
}

/// Whether an alert of `rule` can be tuned (CRS's scoring rules only add the others up).
pub fn is_tunable(rule: u32) -> bool {
    !matches!(rule / 1000, 949 | 959 | 980)
}

fn pairs(pairs: &[(&str, &str)]) -> String {
    pairs.iter().filter(|(_, value)| !value.is_empty()).map(|(name, value)| format!("{name}={}", encode_component(value))).collect::<Vec<_>>().join("&")
}

/// `/events?rule=&variable=&path=`: the events with the same rule, variable and path.
pub fn similar_events_href(rule: u32, variable: &str, path: &str) -> String {
    format!("/events?{}", pairs(&[("rule", &rule.to_string()), ("variable", variable), ("path", path)]))
}

/// `/tuning?rule=&variable=&path=&host=`: the Tuning page with this alert's draft open.
pub fn draft_href(rule: u32, variable: &str, path: &str, host: &str) -> String {
    format!("/tuning?{}", pairs(&[("rule", &rule.to_string()), ("variable", variable), ("path", path), ("host", host)]))
}

/// The draft request of a group: `rule=&variable=&path=&form=`, with the host when asked
/// for, and `window` (`from=…&to=…`) appended.
pub fn draft_query(rule: u32, variable: &str, path: &str, host: Option<&str>, form: ExclusionForm, window: &str) -> String {
    let mut query = pairs(&[("rule", &rule.to_string()), ("variable", variable), ("path", path), ("host", host.unwrap_or_default()), ("form", form.as_str())]);
    if !window.is_empty() {
        query.push('&');
        query.push_str(window);
    }
    query
}

/// The Events link of a group (its rule, variable and exact path prefix, and host).
pub fn group_events_href(group: &TuningGroup, window: &str) -> String {
    let mut href =
        format!("/events?{}", pairs(&[("rule", &group.rule_id.to_string()), ("variable", &group.variable), ("path", &group.path), ("host", &group.host)]));
    if !window.is_empty() {
        href.push('&');
        href.push_str(window);
    }
    href
}

/// The sentence the draft panel leads with.
pub fn impact_sentence(impact: &Impact) -> String {
    let plural = |count: u64, one: &str, many: &str| if count == 1 { format!("1 {one}") } else { format!("{count} {many}") };
    let mut sentence = format!(
        "Would have removed {} from {}, from {}",
        plural(impact.alerts, "alert", "alerts"),
        plural(impact.events, "event", "events"),
        plural(impact.client_ips, "client IP", "client IPs")
    );
    if impact.unblocked > 0 {
        sentence.push_str(&format!("; {} would no longer have been blocked", plural(impact.unblocked, "event", "events")));
    }
    if !impact.complete {
        sentence.push_str(" (counted over the newest events only)");
    }
    sentence.push('.');
    sentence
}

/// The loud warning when an exclusion would hide events marked `attack` (`None`: none).
pub fn attack_warning(impact: &Impact) -> Option<String> {
    match impact.attack_marked {
        0 => None,
        1 => Some("1 of these events is marked attack: this exclusion would hide it.".to_owned()),
        count => Some(format!("{count} of these events are marked attack: this exclusion would hide them.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_alert() {
        assert_eq!(similar_events_href(942100, "ARGS:comment", "/blog/comment"), "/events?rule=942100&variable=ARGS%3Acomment&path=%2Fblog%2Fcomment");
        assert_eq!(draft_href(942100, "ARGS:comment", "/blog", ""), "/tuning?rule=942100&variable=ARGS%3Acomment&path=%2Fblog");
        assert_eq!(
            draft_query(942100, "ARGS:q", "/s", Some("www.a.test"), ExclusionForm::Rule, "from=1&to=2"),
            "rule=942100&variable=ARGS%3Aq&path=%2Fs&host=www.a.test&form=rule&from=1&to=2"
        );
        let group = TuningGroup { rule_id: 941100, variable: "ARGS:<b>".into(), path: "/x".into(), host: "h".into(), ..TuningGroup::default() };
        assert_eq!(group_events_href(&group, ""), "/events?rule=941100&variable=ARGS%3A%3Cb%3E&path=%2Fx&host=h");
        assert!(is_tunable(942100) && !is_tunable(949110) && !is_tunable(980130));
    }

    #[test]
    fn the_page_url_names_the_alert_to_draft() {
        let filter = Filter::from_pairs([("rule", "942100"), ("variable", "ARGS:comment"), ("path", "/blog"), ("range", "24h")]);
        assert_eq!(draft_target(&filter), Some((942100, "ARGS:comment".to_owned(), "/blog".to_owned(), None)));
        assert_eq!(draft_target(&Filter::from_pairs([("rule", "942100"), ("path", "/blog")])), None, "no variable, no draft");
        assert_eq!(draft_target(&Filter::from_pairs([("rule", "!942100"), ("variable", "v"), ("path", "/")])), None);
        assert_eq!(window_query(&filter, 100_000), "from=13600");
        let exclusion = Exclusion {
            spec: crate::model::ExclusionSpec {
                rule_id: 942100,
                form: ExclusionForm::Runtime,
                variable: Some("ARGS:q".into()),
                path: Some("/s".into()),
                host: None,
                sensor: None,
            },
            ..Exclusion::default()
        };
        assert_eq!(exclusion_words(&exclusion), "rule 942100 · ARGS:q · /s*");
    }

    #[test]
    fn impact_words() {
        let impact = Impact { events: 3, alerts: 4, unblocked: 1, client_ips: 1, complete: true, ..Impact::default() };
        assert_eq!(impact_sentence(&impact), "Would have removed 4 alerts from 3 events, from 1 client IP; 1 event would no longer have been blocked.");
        assert_eq!(attack_warning(&impact), None);
        assert!(attack_warning(&Impact { attack_marked: 2, ..impact }).unwrap().starts_with("2 of these events are marked attack"));
    }
}
