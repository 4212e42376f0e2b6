//! Exclusions as ModSecurity configuration, in the CRS documentation's forms:
//!
//! - runtime (before the CRS include): `SecRule REQUEST_FILENAME "@beginsWith /path"
//!   "id:N,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:comment"`, with the host as a
//!   chained rule that carries the `ctl` (a chain starter's actions run when the starter
//!   matches, whatever the rest of the chain does);
//! - startup (after the CRS include): `SecRuleUpdateTargetById 942100 "!ARGS:comment"`;
//! - rule (before): the whole rule on a path with `ctl:ruleRemoveById=942100`.
//!
//! Everything written comes from sensors or users, so it is checked against what the
//! directive grammar can carry (quotes, commas and line ends would end the string, the action
//! list or the directive) and refused otherwise; comments are made one line.

use app::model::{Exclusion, ExclusionForm, ExclusionSpec, Placement};

/// Why a spec cannot be written as configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DraftError(pub String);

/// The characters a variable name may have in a drafted exclusion: ModSecurity's collection
/// names and the keys ordinary forms, JSON bodies, cookies and headers use.
fn variable_is_writable(variable: &str) -> bool {
    !variable.is_empty() && variable.len() <= 200 && variable.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"_-.:[]@$".contains(&byte))
}

/// A path `@beginsWith` can carry: no quotes, backslashes, spaces or control characters.
fn path_is_writable(path: &str) -> bool {
    path.starts_with('/') && path.len() <= 1024 && path.bytes().all(|byte| byte.is_ascii_graphic() && !b"\"'\\`".contains(&byte))
}

fn host_is_writable(host: &str) -> bool {
    !host.is_empty() && host.len() <= 253 && host.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-.:[]".contains(&byte))
}

/// Checks `spec` and says what its form gives up. The variable must be named for the runtime
/// and startup forms, and must not be a transaction variable (`TX:…` is computed by rules
/// from the request; removing it as a target does not stop the rule seeing the request).
pub fn check(spec: &ExclusionSpec) -> Result<Vec<String>, DraftError> {
    let mut warnings = Vec::new();
    let rule = spec.rule_id;
    if rule == 0 {
        return Err(DraftError("give the rule id (rule=942100)".into()));
    }
    if super::is_scoring_rule(rule) {
        return Err(DraftError(format!("rule {rule} is a CRS scoring rule: it only adds up the other rules; exclude those instead")));
    }
    if let Some(path) = &spec.path
        && !path_is_writable(path)
    {
        return Err(DraftError(format!(
            "the path {path:?} cannot be written into an exclusion safely (it must start with / and hold no quotes, backslashes or spaces); write this one by hand"
        )));
    }
    if let Some(host) = &spec.host
        && !host_is_writable(host)
    {
        return Err(DraftError(format!("the host {host:?} is not a host name")));
    }
    match spec.form {
        ExclusionForm::Runtime | ExclusionForm::Startup => {
            let Some(variable) = spec.variable.as_deref().filter(|variable| !variable.is_empty()) else {
                return Err(DraftError(format!("rule {rule}'s alerts do not name the variable it matched; exclude the rule on the path (form=rule)")));
            };
            if !variable_is_writable(variable) {
                return Err(DraftError(format!(
                    "the variable {variable:?} has characters an exclusion cannot carry safely; write this one by hand or exclude the rule on the path (form=rule)"
                )));
            }
            if variable.get(..3).is_some_and(|prefix| prefix.eq_ignore_ascii_case("TX:")) {
                return Err(DraftError(format!(
                    "{variable} is computed by rules from the request, not sent by the client; exclude the rule on the path (form=rule) or the variable it came from"
                )));
            }
            if !variable.contains(':') {
                warnings.push(format!("{variable} is a whole part of the request: rule {rule} will no longer look at any of it"));
            }
        }
        ExclusionForm::Rule => {}
    }
    match spec.form {
        ExclusionForm::Runtime if spec.path.is_none() => {
            return Err(DraftError("a runtime exclusion needs the path (path=/blog/comment); for every path use form=startup".into()));
        }
        ExclusionForm::Rule if spec.path.is_none() => {
            return Err(DraftError("removing a whole rule needs the path it is removed on (path=/blog/comment)".into()));
        }
        ExclusionForm::Startup => {
            warnings.push(format!(
                "start-up exclusion: rule {rule} stops checking {} on every path and host of the configuration it is installed in",
                spec.variable.as_deref().unwrap_or("")
            ));
        }
        ExclusionForm::Rule => {
            warnings.push(format!(
                "rule {rule} is removed whole on {}: no variable of those requests is checked by it any more, attacks included",
                spec.path.as_deref().unwrap_or("/")
            ));
        }
        ExclusionForm::Runtime => {}
    }
    Ok(warnings)
}

/// The directive(s) of `spec`, with rule id `conf_id` for the runtime and rule forms.
pub fn directive(spec: &ExclusionSpec, conf_id: u32) -> Result<String, DraftError> {
    check(spec)?;
    let rule = spec.rule_id;
    let variable = spec.variable.as_deref().unwrap_or_default();
    let control = match spec.form {
        ExclusionForm::Startup => return Ok(format!("SecRuleUpdateTargetById {rule} \"!{variable}\"\n")),
        ExclusionForm::Runtime => format!("ctl:ruleRemoveTargetById={rule};{variable}"),
        ExclusionForm::Rule => format!("ctl:ruleRemoveById={rule}"),
    };
    let path = spec.path.as_deref().unwrap_or("/");
    Ok(match spec.host.as_deref() {
        None => format!("SecRule REQUEST_FILENAME \"@beginsWith {path}\" \\\n    \"id:{conf_id},phase:1,pass,nolog,{control}\"\n"),
        Some(host) => format!(
            "SecRule REQUEST_FILENAME \"@beginsWith {path}\" \\\n    \"id:{conf_id},phase:1,pass,nolog,chain\"\n    SecRule REQUEST_HEADERS:Host \"@streq {}\" \\\n        \"t:none,t:lowercase,{control}\"\n",
            host.to_ascii_lowercase()
        ),
    })
}

/// `text` as one comment line's worth: control characters (line ends above all: they would
/// end the comment and start a directive) become spaces, at most 300 characters.
pub fn one_line(text: &str) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(300).collect();
    line.trim().to_owned()
}

/// What the spec removes, in words (one line).
pub fn describe(spec: &ExclusionSpec) -> String {
    let rule = spec.rule_id;
    let place = match (&spec.path, &spec.host) {
        (Some(path), Some(host)) => format!("on {host}{path}*"),
        (Some(path), None) => format!("on {path}*"),
        (None, Some(host)) => format!("on {host}"),
        (None, None) => "everywhere".to_owned(),
    };
    let text = match spec.form {
        ExclusionForm::Runtime => format!("rule {rule} no longer checks {} {place}", spec.variable.as_deref().unwrap_or("")),
        ExclusionForm::Startup => format!("rule {rule} no longer checks {} anywhere", spec.variable.as_deref().unwrap_or("")),
        ExclusionForm::Rule => format!("rule {rule} removed {place}"),
    };
    one_line(&text)
}

/// A draft as the page shows it: a comment line and the directive.
pub fn draft_text(spec: &ExclusionSpec, conf_id: u32) -> Result<String, DraftError> {
    Ok(format!("# wafscope draft: {}\n{}", describe(spec), directive(spec, conf_id)?))
}

/// One `.conf` file: the approved exclusions of `placement` for `sensor` (those for every
/// sensor and those for it), oldest first, each commented with what it removes, its counts
/// when saved and who proposed and approved it.
pub fn export(exclusions: &[Exclusion], placement: Placement, sensor: Option<&str>, generated_at: &str) -> String {
    let chosen: Vec<&Exclusion> = exclusions
        .iter()
        .filter(|exclusion| exclusion.status == app::model::ExclusionStatus::Approved)
        .filter(|exclusion| exclusion.spec.form.placement() == placement)
        .filter(|exclusion| exclusion.spec.sensor.is_none() || exclusion.spec.sensor.as_deref() == sensor)
        .collect();
    let mut text = format!(
        "# wafscope exclusions, to be included {} the CRS rules (the place of {})\n# generated {generated_at}{}; {} exclusion(s)\n",
        match placement {
            Placement::Before => "before",
            Placement::After => "after",
        },
        placement.crs_file(),
        sensor.map(|sensor| format!(" for sensor {}", one_line(sensor))).unwrap_or_default(),
        chosen.len(),
    );
    for exclusion in chosen {
        let spec = &exclusion.spec;
        let Ok(directive) = directive(spec, exclusion.conf_rule_id.unwrap_or_default()) else {
            text.push_str(&format!("\n# exclusion {} skipped: it cannot be written safely\n", exclusion.id));
            continue;
        };
        let impact = &exclusion.impact;
        text.push_str(&format!("\n# exclusion {}: {}\n", exclusion.id, describe(spec)));
        text.push_str(&format!(
            "# when saved: {} event(s), {} alert(s) from {} client IP(s); {} would not have been blocked\n",
            impact.events, impact.alerts, impact.client_ips, impact.unblocked
        ));
        text.push_str(&format!(
            "# proposed by {}, approved by {}\n",
            one_line(&exclusion.created_by),
            one_line(exclusion.approved_by.as_deref().unwrap_or("?"))
        ));
        if !exclusion.comment.trim().is_empty() {
            text.push_str(&format!("# {}\n", one_line(&exclusion.comment)));
        }
        text.push_str(&directive);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{ExclusionStatus, Impact};

    fn spec(form: ExclusionForm, variable: Option<&str>, path: Option<&str>, host: Option<&str>) -> ExclusionSpec {
        ExclusionSpec { rule_id: 942100, form, variable: variable.map(Into::into), path: path.map(Into::into), host: host.map(Into::into), sensor: None }
    }

    #[test]
    fn the_three_forms() {
        let runtime = spec(ExclusionForm::Runtime, Some("ARGS:comment"), Some("/blog/comment"), None);
        assert_eq!(
            directive(&runtime, 10001).unwrap(),
            "SecRule REQUEST_FILENAME \"@beginsWith /blog/comment\" \\\n    \"id:10001,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:comment\"\n"
        );
        assert!(check(&runtime).unwrap().is_empty(), "the narrowest form needs no warning");
        let startup = spec(ExclusionForm::Startup, Some("ARGS:comment"), None, None);
        assert_eq!(directive(&startup, 0).unwrap(), "SecRuleUpdateTargetById 942100 \"!ARGS:comment\"\n");
        assert!(check(&startup).unwrap()[0].contains("every path"));
        let rule = spec(ExclusionForm::Rule, None, Some("/blog"), Some("WWW.Example.test"));
        let text = directive(&rule, 10002).unwrap();
        assert!(
            text.contains("\"id:10002,phase:1,pass,nolog,chain\"") && text.contains("@streq www.example.test") && text.contains("ctl:ruleRemoveById=942100\""),
            "{text}"
        );
        assert!(check(&rule).unwrap()[0].contains("attacks included"));
        assert_eq!(ExclusionForm::Runtime.placement(), Placement::Before);
        assert_eq!(ExclusionForm::Startup.placement(), Placement::After);
    }

    #[test]
    fn what_cannot_be_written_safely_is_refused() {
        for (variable, path) in [
            (Some("ARGS:a\",deny,\""), Some("/x")),
            (Some("ARGS:a b"), Some("/x")),
            (Some("ARGS:a\nSecRuleEngine Off"), Some("/x")),
            (Some("ARGS:q"), Some("/x\" \"id:1")),
            (Some("ARGS:q"), Some("relative")),
            (Some("TX:anomaly_score"), Some("/x")),
            (None, Some("/x")),
            (Some("ARGS:q"), None),
        ] {
            assert!(check(&spec(ExclusionForm::Runtime, variable, path, None)).is_err(), "{variable:?} {path:?}");
        }
        assert!(check(&ExclusionSpec { rule_id: 949110, ..spec(ExclusionForm::Rule, None, Some("/"), None) }).is_err());
        assert!(check(&spec(ExclusionForm::Rule, None, Some("/x"), Some("evil\"host"))).is_err());
        assert!(check(&spec(ExclusionForm::Runtime, Some("REQUEST_BODY"), Some("/x"), None)).unwrap()[0].contains("whole part"));
    }

    #[test]
    fn exports_hold_approved_exclusions_of_their_placement_with_one_line_comments() {
        let exclusion = |id, form, status, sensor: Option<&str>, comment: &str| Exclusion {
            id,
            spec: ExclusionSpec { sensor: sensor.map(Into::into), ..spec(form, Some("ARGS:comment"), Some("/blog"), None) },
            comment: comment.into(),
            status,
            conf_rule_id: Some(10000 + id as u32),
            created_by: "ana".into(),
            approved_by: Some("root".into()),
            impact: Impact { events: 4, alerts: 5, client_ips: 2, ..Impact::default() },
            ..Exclusion::default()
        };
        let all = [
            exclusion(1, ExclusionForm::Runtime, ExclusionStatus::Approved, None, "blog comments\nSecRuleEngine Off"),
            exclusion(2, ExclusionForm::Runtime, ExclusionStatus::Proposed, None, ""),
            exclusion(3, ExclusionForm::Startup, ExclusionStatus::Approved, None, ""),
            exclusion(4, ExclusionForm::Runtime, ExclusionStatus::Approved, Some("web-02"), ""),
        ];
        let before = export(&all, Placement::Before, Some("web-01"), "2026-12-04T00:00:00Z");
        assert!(
            before.contains("# exclusion 1:") && !before.contains("exclusion 2:") && !before.contains("exclusion 3:") && !before.contains("exclusion 4:"),
            "{before}"
        );
        assert!(before.contains("id:10001,") && before.contains("approved by root"));
        assert!(before.lines().all(|line| line.is_empty() || line.starts_with('#') || line.starts_with("SecRule") || line.starts_with("    ")), "{before}");
        assert!(before.contains("# blog comments SecRuleEngine Off"), "a line end in a comment must not start a directive");
        let for_web_02 = export(&all, Placement::Before, Some("web-02"), "t");
        assert!(for_web_02.contains("exclusion 4:") && for_web_02.contains("2 exclusion(s)"));
        let after = export(&all, Placement::After, None, "t");
        assert!(after.contains("SecRuleUpdateTargetById 942100 \"!ARGS:comment\"") && after.contains("1 exclusion(s)"));
    }
}
