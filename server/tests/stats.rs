//! `/api/v1/stats` over the fixture corpus's real mlogc uploads: every number equals what
//! counting the `/api/v1/events` answer for the same filter gives, before and after the
//! fact blocks are flushed, for every kind of filter, and the fact path equals the scan path.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use serde_json::Value;
use server::config::ConfigFlags;
use std::collections::BTreeMap;
use support::uploads::{all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, request};

async fn stats(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.send(request(Method::GET, &format!("/api/v1/stats?{query}")).header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    body_json(response).await
}

/// value → total of one top list.
fn totals(list: &Value) -> BTreeMap<String, u64> {
    list.as_array().unwrap().iter().map(|entry| (entry["value"].as_str().unwrap().to_owned(), entry["total"].as_u64().unwrap())).collect()
}

/// What the same lists must say, counted from event summaries.
fn expected(events: &[Value], key: impl Fn(&Value) -> Vec<String>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for event in events {
        for value in key(event) {
            *counts.entry(value).or_insert(0) += 1;
        }
    }
    counts
}

fn or_none(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn assert_matches_events(answer: &Value, events: &[Value], label: &str) {
    let blocked = events.iter().filter(|event| event["action"] == "blocked").count() as u64;
    assert_eq!(answer["totals"]["total"].as_u64(), Some(events.len() as u64), "{label}: total");
    assert_eq!(answer["totals"]["blocked"].as_u64(), Some(blocked), "{label}: blocked");
    let timeline: u64 = answer["timeline"].as_array().unwrap().iter().map(|bin| bin["total"].as_u64().unwrap()).sum();
    assert_eq!(timeline, events.len() as u64, "{label}: the timeline adds up");
    let rules = expected(events, |event| event["rule_ids"].as_array().unwrap().iter().map(|id| id.to_string()).collect());
    assert!(rules.len() < 100, "top=100 lists every rule");
    assert_eq!(totals(&answer["rules"]), rules, "{label}: rules");
    assert_eq!(totals(&answer["client_ips"]), expected(events, |event| vec![or_none(&event["client_ip"])]), "{label}: client ips");
    assert_eq!(totals(&answer["hosts"]), expected(events, |event| vec![event["host"].as_str().unwrap().to_ascii_lowercase()]), "{label}: hosts");
    assert_eq!(totals(&answer["statuses"]), expected(events, |event| vec![or_none(&event["status"])]), "{label}: statuses");
    assert_eq!(totals(&answer["severities"]), expected(events, |event| vec![or_none(&event["max_severity"])]), "{label}: severities");
    assert_eq!(totals(&answer["scores"]), expected(events, |event| vec![or_none(&event["anomaly_score"])]), "{label}: scores");
    assert_eq!(
        totals(&answer["paths"]),
        expected(events, |event| vec![event["uri"].as_str().unwrap().split('?').next().unwrap().to_owned()]),
        "{label}: paths"
    );
    assert_eq!(totals(&answer["sensors"]), expected(events, |event| vec![or_none(&event["sensor"])]), "{label}: sensors");
}

#[tokio::test]
async fn stats_equal_what_the_events_api_counts() {
    let app = TestApp::with_index_flushed_on_request(ConfigFlags::default());
    let (password, _) = app.create_sensor("web-01");
    let token = app.create_token("dash", Role::Viewer);
    let uploads = captured_uploads("mlogc-captured");
    for upload in &uploads {
        assert_eq!(put(&app, &basic("web-01", &password), upload).await.status(), StatusCode::OK);
    }
    let events = all_events(&app, &token, "").await;
    assert_eq!(events.len(), uploads.len());
    let times: Vec<i64> = events.iter().map(|event| event["time"].as_i64().unwrap()).collect();
    let from = times.iter().min().unwrap() / 1_000_000 - 60;
    let to = times.iter().max().unwrap() / 1_000_000 + 60;
    let window = format!("from={from}&to={to}&top=100");

    // before the writer's flush the tail is counted from the events
    app.assert_unflushed();
    let early = stats(&app, &token, &window).await;
    assert_eq!(early["source"], "facts");
    assert_eq!(early["complete"], true);
    assert_matches_events(&early, &events, "unflushed");
    // a listed rule that is some event's top rule carries that event's message
    let (top, event) = early["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|rule| {
            events
                .iter()
                .find(|event| event["top_rule"].as_u64().map(|id| id.to_string()) == rule["value"].as_str().map(str::to_owned))
                .map(|event| (rule, event))
        })
        .expect("some listed rule is an event's top rule");
    assert_eq!(top["label"], event["top_message"]);

    // after the writer's flush the same numbers come from the fact blocks
    app.flush_index().await;
    let flushed = stats(&app, &token, &window).await;
    assert_eq!(flushed["timeline"], early["timeline"]);
    assert_matches_events(&flushed, &events, "flushed");
    // every top rule has its message, not only rules that were some event's top rule
    for entry in flushed["rules"].as_array().unwrap().iter().take(10) {
        assert!(entry["label"].as_str().is_some_and(|label| !label.is_empty()), "a label for {entry}");
    }

    // a window of days, with ragged ends
    let wide = format!("from={}&to={}&top=100", from - 3 * 86_400 + 7 * 60, to + 2 * 86_400 + 13 * 60);
    let rolled = stats(&app, &token, &wide).await;
    assert_eq!(rolled["source"], "facts");
    assert_matches_events(&rolled, &events, "wide");
    // (a path with a query compares whole URIs, which only the scan has: `?` matches none here)
    let scanned = stats(&app, &token, &format!("{wide}&path=!/%3F")).await;
    assert_eq!(scanned["source"], "scan");
    for list in ["totals", "timeline", "rules", "client_ips", "hosts", "paths", "statuses", "severities", "scores"] {
        assert_eq!(scanned[list], rolled[list], "scan and facts agree on {list}");
    }

    // every other filter is answered from the blocks, and equals counting /api/v1/events
    // (the path up to its first character a query string would need escaped)
    let path: String = events[0]["uri"].as_str().unwrap().chars().take_while(|c| c.is_ascii_alphanumeric() || "/.-_".contains(*c)).collect();
    let ip = events[0]["client_ip"].as_str().unwrap().to_owned();
    let filters = [
        "rule=942100".to_owned(),
        "rule=!942100".to_owned(),
        "status=403".to_owned(),
        "action=!blocked".to_owned(),
        "severity=critical".to_owned(),
        format!("ip={ip}"),
        "ip=!10.0.0.0/8".to_owned(),
        format!("path={path}"),
        "method=get".to_owned(),
        "rule=942100&sensor=web-01&action=blocked".to_owned(),
    ];
    for filter in filters {
        let answer = stats(&app, &token, &format!("{window}&{filter}")).await;
        assert_eq!(answer["source"], "facts", "{filter}");
        let selected = all_events(&app, &token, &format!("&{filter}&from={from}&to={to}")).await;
        if !filter.contains('!') {
            assert!(!selected.is_empty(), "{filter} selects fixture events");
        }
        assert_matches_events(&answer, &selected, &filter);
    }

    // every histogram bar, as a `score` filter (the dashboard's click-through), selects its events
    let scores = totals(&flushed["scores"]);
    assert!(scores.len() >= 2, "the corpus has several scores: {scores:?}");
    for (score, count) in &scores {
        let selected = all_events(&app, &token, &format!("&score={score}&from={from}&to={to}")).await;
        assert_eq!(selected.len() as u64, *count, "score={score}");
    }
    let mut numeric: Vec<u64> = scores.keys().filter_map(|score| score.parse().ok()).collect();
    numeric.sort_unstable();
    let (low, high) = (numeric[0], numeric[numeric.len() - 1]);
    let ranged = all_events(&app, &token, &format!("&score={low}-{high}&from={from}&to={to}")).await;
    assert_eq!(ranged.len() as u64, scores.iter().filter(|(score, _)| *score != "none").map(|(_, count)| count).sum::<u64>(), "score={low}-{high}");
    let answer = stats(&app, &token, &format!("{window}&score=!{low}")).await;
    let selected = all_events(&app, &token, &format!("&score=!{low}&from={from}&to={to}")).await;
    assert_matches_events(&answer, &selected, "score=!low");

    // one sensor or one host, before and after the flush
    let (other, _) = app.create_sensor("web-02");
    for upload in uploads.iter().take(7) {
        assert_eq!(put(&app, &basic("web-02", &other), upload).await.status(), StatusCode::OK);
    }
    let host = events[0]["host"].as_str().unwrap().to_owned();
    for settled in [false, true] {
        if settled {
            app.flush_index().await;
        } else {
            app.assert_unflushed();
        }
        for filter in ["sensor=web-01".to_owned(), "sensor=web-02".to_owned(), format!("host={}", host.to_ascii_uppercase())] {
            let answer = stats(&app, &token, &format!("{wide}&{filter}")).await;
            assert_eq!(answer["source"], "facts", "{filter}");
            let selected = all_events(&app, &token, &format!("&{filter}")).await;
            assert_matches_events(&answer, &selected, &format!("{filter} (flushed: {settled})"));
        }
    }
    let second = stats(&app, &token, &format!("{wide}&sensor=web-02")).await;
    assert_eq!(second["totals"]["total"], 7, "only web-02's events");

    // the window is widened to whole minutes and said so; bad input is a 400
    assert_eq!(flushed["from"].as_i64().unwrap() % 60_000_000, 0);
    let response = app.send(request(Method::GET, "/api/v1/stats?top=0").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = app.send(request(Method::GET, &format!("/api/v1/stats?from={to}&to={from}")).header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = app.send(request(Method::GET, "/api/v1/stats")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// A rule's label is the newest message for it: the events not flushed yet are counted, so
/// their messages are newer than the flushed `RULE_MESSAGES` (the dashboard showed an old
/// label until the next flush and a refetch).
#[tokio::test]
async fn a_rule_label_is_its_newest_message_also_before_the_flush() {
    let app = TestApp::with_index_flushed_on_request(ConfigFlags::default());
    let (password, _) = app.create_sensor("web-01");
    let token = app.create_token("dash", Role::Viewer);
    let uploads = captured_uploads("mlogc-captured");
    for upload in &uploads {
        assert_eq!(put(&app, &basic("web-01", &password), upload).await.status(), StatusCode::OK);
    }
    app.flush_index().await;
    let events = all_events(&app, &token, "").await;
    // an upload whose top rule's message is in its body, sent again as a new entry with a new message
    let (event, upload) = events
        .iter()
        .find_map(|event| {
            let message = event["top_message"].as_str()?;
            let unique_id = event["unique_id"].as_str()?;
            let needle = format!("[msg \"{message}\"]");
            uploads
                .iter()
                .find(|upload| String::from_utf8_lossy(&upload.body).contains(&needle) && String::from_utf8_lossy(&upload.body).contains(unique_id))
                .map(|upload| (event, upload))
        })
        .expect("an upload carries its top rule's msg");
    let (message, unique_id) = (event["top_message"].as_str().unwrap(), event["unique_id"].as_str().unwrap());
    let newer = format!("{message} (rule updated)");
    let body = String::from_utf8_lossy(&upload.body)
        .replace(&format!("[msg \"{message}\"]"), &format!("[msg \"{newer}\"]"))
        .replace(unique_id, "labelTestUniqueId000000001");
    let headers = upload
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("x-content-hash") && !name.eq_ignore_ascii_case("x-forensiclog-summary"))
        .cloned()
        .collect();
    let edited = support::uploads::Upload { headers, body: body.into_bytes(), unique_id: "labelTestUniqueId000000001".to_owned() };
    assert_eq!(put(&app, &basic("web-01", &password), &edited).await.status(), StatusCode::OK);
    app.assert_unflushed();
    let times: Vec<i64> = events.iter().map(|event| event["time"].as_i64().unwrap()).collect();
    let window = format!("from={}&to={}&top=100", times.iter().min().unwrap() / 1_000_000 - 60, times.iter().max().unwrap() / 1_000_000 + 60);
    let answer = stats(&app, &token, &window).await;
    let rule = event["top_rule"].as_u64().unwrap().to_string();
    let listed = answer["rules"].as_array().unwrap().iter().find(|entry| entry["value"] == rule.as_str()).expect("the rule is listed");
    assert_eq!(listed["label"], newer.as_str(), "{listed}");
}
