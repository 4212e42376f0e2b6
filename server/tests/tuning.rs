//! The tuning assistant over the real fixture uploads, against counts made here from the full
//! re-parse of every stored entry (`/api/v1/events/{id}`), not from the summaries the server
//! grouped: groups, a draft's impact with scores recomputed here, exclusion sets with rule ids
//! never given twice, the exported `.conf`, the what-if chart and "not deployed" per sensor.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use support::uploads::{all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, body_text, request};

const WINDOW: &str = "from=2026-11-24T00:00:00Z&to=2026-11-26T00:00:00Z";

fn call(method: Method, uri: &str, token: &str) -> axum::http::request::Builder {
    request(method, uri).header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, "application/json")
}

/// One stored event as the full parse of its raw entry reads it.
struct Parsed {
    id: u64,
    sensor: String,
    host: String,
    path: String,
    client_ip: String,
    blocked: bool,
    score: Option<u64>,
    threshold: u64,
    /// (rule, variable, CRS inbound weight) of each alert
    alerts: Vec<(u64, String, u64)>,
}

fn weight(rule: u64, severity: &Value) -> u64 {
    if !(900_000..949_000).contains(&rule) {
        return 0;
    }
    match severity.as_str() {
        Some("emergency" | "alert" | "critical") => 5,
        Some("error") => 4,
        Some("warning") => 3,
        Some("notice") => 2,
        _ => 0,
    }
}

async fn parsed_events(app: &TestApp, token: &str) -> Vec<Parsed> {
    let mut events = Vec::new();
    for summary in all_events(app, token, "").await {
        let id = summary["id"].as_u64().unwrap();
        let detail = body_json(app.send(call(Method::GET, &format!("/api/v1/events/{id}"), token)).await).await;
        let event = &detail["event"];
        let alerts = event["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|message| {
                let rule = message["rule_id"].as_u64()?;
                Some((rule, message["matched_var"].as_str().unwrap_or_default().to_owned(), weight(rule, &message["severity"])))
            })
            .collect();
        events.push(Parsed {
            id,
            sensor: summary["sensor"].as_str().unwrap().to_owned(),
            // where the request went is the summary's (mlogc's index line fills in a missing
            // Host header); what matched is the full parse's
            host: summary["host"].as_str().unwrap().to_ascii_lowercase(),
            path: summary["uri"].as_str().unwrap().split('?').next().unwrap().to_owned(),
            client_ip: summary["client_ip"].as_str().unwrap().to_owned(),
            blocked: summary["action"] == "blocked",
            score: event["inbound_score"].as_u64(),
            threshold: event["inbound_threshold"].as_u64().unwrap_or(5),
            alerts,
        });
    }
    events
}

/// (rule, variable, path, host)
type GroupKey = (u64, String, String, String);
/// (events, alerts, blocked, client IPs)
type GroupCounts = (u64, u64, u64, HashSet<String>);

fn is_scoring(rule: u64) -> bool {
    matches!(rule / 1000, 949 | 959 | 980)
}

async fn loaded(app: &TestApp, sensor: &str) {
    let (password, _) = app.create_sensor(sensor);
    for upload in captured_uploads("mlogc-captured") {
        assert_eq!(put(app, &basic(sensor, &password), &upload).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn from_the_fact_blocks_groups_drafts_and_exclusion_sets_agree_with_the_entries() {
    agree_with_the_entries(true).await;
}

#[tokio::test]
async fn from_the_unindexed_summaries_groups_drafts_and_exclusion_sets_agree_with_the_entries() {
    agree_with_the_entries(false).await;
}

/// With `flushed`, every event is in a fact block before the first question (the answers come
/// from the blocks); else none is (they come from the summaries).
async fn agree_with_the_entries(flushed: bool) {
    let app = if flushed { TestApp::new() } else { TestApp::with_index_flushed_on_request(Default::default()) };
    loaded(&app, "web-01").await;
    if flushed {
        app.flush_index().await;
    } else {
        app.assert_unflushed();
    }
    let viewer = app.create_token("viewer", Role::Viewer);
    let analyst = app.create_token("ana", Role::Analyst);
    let admin = app.create_token("root", Role::Admin);
    let events = parsed_events(&app, &viewer).await;

    // groups, counted here: (rule, variable, path, host) → (events, alerts, blocked, ips)
    let mut expected: BTreeMap<GroupKey, GroupCounts> = BTreeMap::new();
    for event in &events {
        let mut seen = HashSet::new();
        for (rule, variable, _) in event.alerts.iter().filter(|(rule, _, _)| !is_scoring(*rule)) {
            let counts = expected.entry((*rule, variable.clone(), event.path.clone(), event.host.clone())).or_default();
            counts.1 += 1;
            if seen.insert((*rule, variable.to_ascii_lowercase())) {
                counts.0 += 1;
                counts.2 += u64::from(event.blocked);
                counts.3.insert(event.client_ip.clone());
            }
        }
    }
    let answer = body_json(app.send(call(Method::GET, &format!("/api/v1/tuning?{WINDOW}&top=500"), &viewer)).await).await;
    assert_eq!(answer["complete"], true);
    let groups = answer["groups"].as_array().unwrap();
    assert_eq!(groups.len(), expected.len(), "one group per rule, variable, path and host");
    for group in groups {
        let key = (
            group["rule_id"].as_u64().unwrap(),
            group["variable"].as_str().unwrap().to_owned(),
            group["path"].as_str().unwrap().to_owned(),
            group["host"].as_str().unwrap().to_owned(),
        );
        let (events, alerts, blocked, ips) = expected.get(&key).unwrap_or_else(|| panic!("unexpected group {key:?}"));
        assert_eq!(
            (group["events"].as_u64().unwrap(), group["alerts"].as_u64().unwrap(), group["blocked"].as_u64().unwrap(), group["client_ips"].as_u64().unwrap()),
            (*events, *alerts, *blocked, ips.len() as u64),
            "{key:?}"
        );
        assert!(!is_scoring(key.0));
        assert!(!group["variable"].as_str().unwrap().is_empty(), "{key:?}: every CRS alert names its variable");
    }
    let sizes: Vec<u64> = groups.iter().map(|group| group["events"].as_u64().unwrap()).collect();
    assert!(sizes.windows(2).all(|pair| pair[0] >= pair[1]), "largest first: {sizes:?}");
    let top = &groups[0];
    assert!(top["message"].is_string() && !top["samples"].as_array().unwrap().is_empty(), "{top}");

    // a filter narrows the groups like every other answer
    let blocked_only = body_json(app.send(call(Method::GET, &format!("/api/v1/tuning?{WINDOW}&top=500&action=blocked"), &viewer)).await).await;
    let blocked_total: u64 = blocked_only["groups"].as_array().unwrap().iter().map(|group| group["events"].as_u64().unwrap()).sum();
    assert_eq!(blocked_total, expected.values().map(|counts| counts.2).sum::<u64>());

    // the draft of the top group: text, placement, and its impact recomputed here
    let (rule, variable, path) = (top["rule_id"].as_u64().unwrap(), top["variable"].as_str().unwrap(), top["path"].as_str().unwrap());
    let query = format!("rule={rule}&variable={}&path={}&{WINDOW}", urlencode(variable), urlencode(path));
    let draft = body_json(app.send(call(Method::GET, &format!("/api/v1/tuning/draft?{query}"), &viewer)).await).await;
    let conf = draft["conf"].as_str().unwrap();
    assert!(conf.contains(&format!("ctl:ruleRemoveTargetById={rule};{variable}")) && conf.contains(&format!("@beginsWith {path}")), "{conf}");
    assert!(conf.contains("id:10000,"), "the first id of the default range: {conf}");
    assert_eq!((draft["placement"].as_str(), draft["conf_rule_id"].as_u64()), (Some("before"), Some(10000)));
    let removes = |event: &Parsed| event.path.starts_with(path) && event.alerts.iter().any(|(r, v, _)| *r == rule && v.eq_ignore_ascii_case(variable));
    let hit: Vec<&Parsed> = events.iter().filter(|event| removes(event)).collect();
    let unblocked = hit
        .iter()
        .filter(|event| event.blocked)
        .filter(|event| {
            let total = event.score.unwrap_or_else(|| event.alerts.iter().map(|(_, _, weight)| weight).sum());
            let taken: u64 = event.alerts.iter().filter(|(r, v, _)| *r == rule && v.eq_ignore_ascii_case(variable)).map(|(_, _, weight)| weight).sum();
            total.saturating_sub(taken) < event.threshold
        })
        .count() as u64;
    let impact = &draft["impact"];
    let removed_alerts: usize = hit.iter().map(|event| event.alerts.iter().filter(|(r, v, _)| *r == rule && v.eq_ignore_ascii_case(variable)).count()).sum();
    assert_eq!(
        (impact["events"].as_u64(), impact["alerts"].as_u64(), impact["unblocked"].as_u64(), impact["client_ips"].as_u64()),
        (
            Some(hit.len() as u64),
            Some(removed_alerts as u64),
            Some(unblocked),
            Some(hit.iter().map(|event| &event.client_ip).collect::<BTreeSet<_>>().len() as u64)
        ),
        "{impact}"
    );
    assert_eq!(impact["attack_marked"], 0);
    let bad = app.send(call(Method::GET, &format!("/api/v1/tuning/draft?rule={rule}&variable=ARGS%3Aa%22b&path=/x"), &viewer)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "a variable that cannot be written safely is refused");

    // an attack-marked event the exclusion would hide is counted, loudly
    let marked = hit[0].id;
    let mark = app.send_body(call(Method::POST, &format!("/api/v1/events/{marked}/triage"), &analyst), json!({"state": "attack"}).to_string()).await;
    assert_eq!(mark.status(), StatusCode::OK);
    let draft = body_json(app.send(call(Method::GET, &format!("/api/v1/tuning/draft?{query}"), &viewer)).await).await;
    assert_eq!(draft["impact"]["attack_marked"], 1);

    // what-if before any exclusion: counted here from the scores
    let what_if = body_json(app.send(call(Method::GET, &format!("/api/v1/tuning/what-if?{WINDOW}"), &viewer)).await).await;
    let score_of = |event: &Parsed, excluded: bool| {
        let total = event.score.unwrap_or_else(|| event.alerts.iter().map(|(_, _, weight)| weight).sum());
        let taken: u64 = if excluded && removes(event) {
            event.alerts.iter().filter(|(r, v, _)| *r == rule && v.eq_ignore_ascii_case(variable)).map(|(_, _, w)| w).sum()
        } else {
            0
        };
        total.saturating_sub(taken)
    };
    let chart = |excluded: bool| -> Vec<u64> {
        [5, 7, 10, 15, 20, 25, 50].iter().map(|threshold| events.iter().filter(|event| score_of(event, excluded) >= *threshold).count() as u64).collect()
    };
    let bars = |answer: &Value| -> Vec<u64> { answer["thresholds"].as_array().unwrap().iter().map(|bar| bar["blocked"].as_u64().unwrap()).collect() };
    assert_eq!(bars(&what_if), chart(false));
    assert_eq!(what_if["events"].as_u64(), Some(events.len() as u64));

    // exclusion sets: propose (analyst), approve (admin), export
    let body =
        json!({"spec": {"rule_id": rule, "form": "runtime", "variable": variable, "path": path}, "comment": "search box\nSecRuleEngine Off"}).to_string();
    let refused = app.send_body(call(Method::POST, "/api/v1/exclusions", &viewer), body.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let saved = body_json(app.send_body(call(Method::POST, &format!("/api/v1/exclusions?{WINDOW}"), &analyst), body.clone()).await).await;
    assert_eq!((saved["status"].as_str(), saved["conf_rule_id"].as_u64(), saved["created_by"].as_str()), (Some("proposed"), Some(10000), Some("ana")));
    assert_eq!(saved["impact"]["events"].as_u64(), Some(hit.len() as u64));
    let id = saved["id"].as_u64().unwrap();
    let before = body_text(app.send(call(Method::GET, "/api/v1/exclusions.conf?placement=before", &viewer)).await).await;
    assert!(!before.contains("ruleRemoveTargetById"), "a proposed exclusion is not exported: {before}");
    assert_eq!(app.send(call(Method::POST, &format!("/api/v1/exclusions/{id}/approve"), &analyst)).await.status(), StatusCode::FORBIDDEN);
    let approved = body_json(app.send(call(Method::POST, &format!("/api/v1/exclusions/{id}/approve"), &admin)).await).await;
    assert_eq!((approved["status"].as_str(), approved["approved_by"].as_str()), (Some("approved"), Some("root")));
    assert_eq!(app.send(call(Method::POST, &format!("/api/v1/exclusions/{id}/approve"), &admin)).await.status(), StatusCode::CONFLICT);
    let before = body_text(app.send(call(Method::GET, "/api/v1/exclusions.conf?placement=before", &viewer)).await).await;
    assert!(before.contains(&format!("id:10000,phase:1,pass,nolog,ctl:ruleRemoveTargetById={rule};{variable}")), "{before}");
    assert!(before.contains("approved by root") && before.contains(&format!("# when saved: {} event(s)", hit.len())), "{before}");
    assert!(!before.lines().any(|line| line.starts_with("SecRuleEngine")), "a comment's line end starts no directive");
    let after = body_text(app.send(call(Method::GET, "/api/v1/exclusions.conf?placement=after", &viewer)).await).await;
    assert!(after.contains("0 exclusion(s)"), "{after}");

    // rule ids are never given twice: a second one takes 10001; deleted, the next takes 10002
    let startup = json!({"spec": {"rule_id": rule, "form": "startup", "variable": variable}, "comment": ""}).to_string();
    let second = body_json(app.send_body(call(Method::POST, "/api/v1/exclusions", &analyst), startup).await).await;
    assert!(second["conf_rule_id"].is_null(), "start-up exclusions take no rule id");
    let third = body_json(app.send_body(call(Method::POST, "/api/v1/exclusions", &analyst), body.clone()).await).await;
    assert_eq!(third["conf_rule_id"].as_u64(), Some(10001));
    assert_eq!(app.send(call(Method::DELETE, &format!("/api/v1/exclusions/{}", third["id"]), &analyst)).await.status(), StatusCode::OK);
    let fourth = body_json(app.send_body(call(Method::POST, "/api/v1/exclusions", &analyst), body).await).await;
    assert_eq!(fourth["conf_rule_id"].as_u64(), Some(10002));
    assert_eq!(
        app.send(call(Method::DELETE, &format!("/api/v1/exclusions/{id}"), &analyst)).await.status(),
        StatusCode::FORBIDDEN,
        "an approved one is an admin's to delete"
    );

    // events the approved exclusion covers whole read "false positive (exclusion N)"
    let covered: BTreeSet<u64> = events
        .iter()
        .filter(|event| event.id != marked && removes(event))
        .filter(|event| event.alerts.iter().filter(|(r, _, _)| !is_scoring(*r)).all(|(r, v, _)| *r == rule && v.eq_ignore_ascii_case(variable)))
        .map(|event| event.id)
        .collect();
    let listed: BTreeSet<u64> = all_events(&app, &viewer, "")
        .await
        .iter()
        .filter(|event| event["covered_by"].as_u64() == Some(id))
        .map(|event| event["id"].as_u64().unwrap())
        .collect();
    assert!(!covered.is_empty(), "the fixtures hold events the exclusion covers whole");
    assert_eq!(listed, covered, "an attack-marked event keeps its own state");
    if let Some(one) = covered.first() {
        let detail = body_json(app.send(call(Method::GET, &format!("/api/v1/events/{one}"), &viewer)).await).await;
        assert_eq!(detail["summary"]["covered_by"].as_u64(), Some(id));
    }

    // what-if with the approved exclusion applied
    let what_if = body_json(app.send(call(Method::GET, &format!("/api/v1/tuning/what-if?{WINDOW}"), &viewer)).await).await;
    assert_eq!(bars(&what_if), chart(true));
    assert_eq!(what_if["exclusions"], json!([id]));

    // the same traffic from another sensor after the approval: not deployed there
    loaded(&app, "web-02").await;
    let list = body_json(app.send(call(Method::GET, "/api/v1/exclusions", &viewer)).await).await;
    let listed = list["exclusions"].as_array().unwrap().iter().find(|exclusion| exclusion["id"].as_u64() == Some(id)).unwrap().clone();
    assert_eq!(listed["undeployed"], json!([{"sensor": "web-02", "events": hit.len(), "last_seen": listed["undeployed"][0]["last_seen"]}]), "{listed}");
    assert!(events.iter().all(|event| event.sensor == "web-01"));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect()
}
