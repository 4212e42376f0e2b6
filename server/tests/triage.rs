//! Triage over HTTP: analysts set an event's state, tags and note (one event, a list of ids,
//! every event of a filter as a job while uploads go on), viewers cannot; `state=` and `tag=`
//! select exactly what was marked in lists and stats; the Event detail shows who changed what.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::uploads::{all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, request};

fn call(method: Method, uri: &str, token: &str) -> axum::http::request::Builder {
    request(method, uri).header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, "application/json")
}

fn ids(events: &[Value]) -> BTreeSet<u64> {
    events.iter().map(|event| event["id"].as_u64().unwrap()).collect()
}

fn has_rule(event: &Value, rule: u64) -> bool {
    event["rule_ids"].as_array().unwrap().iter().any(|known| known.as_u64() == Some(rule))
}

async fn loaded(app: &TestApp) -> (String, Vec<Value>) {
    let (password, _) = app.create_sensor("web-01");
    for upload in captured_uploads("mlogc-captured") {
        assert_eq!(put(app, &basic("web-01", &password), &upload).await.status(), StatusCode::OK);
    }
    let viewer = app.create_token("viewer", Role::Viewer);
    let events = all_events(app, &viewer, "").await;
    assert!(events.len() >= 90, "{}", events.len());
    (viewer, events)
}

#[tokio::test]
async fn an_analyst_triages_one_event_and_its_history_says_who_did_what() {
    let app = TestApp::new();
    let (viewer, events) = loaded(&app).await;
    let analyst = app.create_token("ana", Role::Analyst);
    let id = events[3]["id"].as_u64().unwrap();
    let change = json!({"state": "false_positive", "add_tags": ["blog", "ticket:17"], "note": "the comment form <b>again</b>"}).to_string();

    let refused = app.send_body(call(Method::POST, &format!("/api/v1/events/{id}/triage"), &viewer), change.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "viewers see triage, cannot change it");
    let done = app.send_body(call(Method::POST, &format!("/api/v1/events/{id}/triage"), &analyst), change.clone()).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(body_json(done).await["changed"], 1);
    let again = app.send_body(call(Method::POST, &format!("/api/v1/events/{id}/triage"), &analyst), change).await;
    assert_eq!(body_json(again).await["changed"], 0, "the same change twice changes nothing and records nothing");
    let bad = app.send_body(call(Method::POST, &format!("/api/v1/events/{id}/triage"), &analyst), json!({"add_tags": ["two words"]}).to_string()).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let missing = app.send_body(call(Method::POST, "/api/v1/events/1/triage", &analyst), json!({"state": "reviewed"}).to_string()).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // lists, inverted filters and the untouched rest
    let marked = all_events(&app, &viewer, "&state=false_positive").await;
    assert_eq!(ids(&marked), BTreeSet::from([id]));
    assert_eq!((marked[0]["state"].as_str(), marked[0]["tags"].clone()), (Some("false_positive"), json!(["blog", "ticket:17"])));
    assert_eq!(ids(&all_events(&app, &viewer, "&tag=blog").await), BTreeSet::from([id]));
    assert_eq!(ids(&all_events(&app, &viewer, "&state=!new").await), BTreeSet::from([id]));
    let untouched = all_events(&app, &viewer, "&state=new").await;
    assert_eq!(untouched.len(), events.len() - 1);
    assert!(!ids(&untouched).contains(&id));
    assert_eq!(all_events(&app, &viewer, "&tag=!blog").await.len(), events.len() - 1);
    assert!(untouched.iter().all(|event| event.get("state").is_none()), "new events carry no state field");

    // stats count the same selection
    let stats =
        body_json(app.send(call(Method::GET, "/api/v1/stats?from=2026-11-24T00:00:00Z&to=2026-11-26T00:00:00Z&state=false_positive", &viewer)).await).await;
    assert_eq!(stats["totals"]["total"], 1, "{stats}");

    // the detail: note and history
    let detail = body_json(app.send(call(Method::GET, &format!("/api/v1/events/{id}"), &viewer)).await).await;
    assert_eq!(detail["triage"]["note"], "the comment form <b>again</b>");
    let history = detail["triage"]["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!((history[0]["user"].as_str(), history[0]["state"].clone()), (Some("ana"), json!(["new", "false_positive"])));
    assert_eq!(history[0]["added_tags"], json!(["blog", "ticket:17"]));

    // back to new, tags off, note removed: a second record, and the event leaves the triaged lists
    let undo = json!({"state": "new", "remove_tags": ["blog", "ticket:17"], "note": ""}).to_string();
    assert_eq!(body_json(app.send_body(call(Method::POST, &format!("/api/v1/events/{id}/triage"), &analyst), undo).await).await["changed"], 1);
    assert!(all_events(&app, &viewer, "&state=!new").await.is_empty());
    assert!(all_events(&app, &viewer, "&tag=blog").await.is_empty());
    let detail = body_json(app.send(call(Method::GET, &format!("/api/v1/events/{id}"), &viewer)).await).await;
    assert_eq!((detail["triage"]["note"].as_str(), detail["triage"]["history"].as_array().unwrap().len()), (Some(""), 2));
}

#[tokio::test]
async fn a_selection_is_triaged_at_once_and_a_filter_as_a_job() {
    let app = TestApp::new();
    let (viewer, events) = loaded(&app).await;
    let analyst = app.create_token("ana", Role::Analyst);

    // a selection of ids
    let chosen: Vec<u64> = events.iter().step_by(10).map(|event| event["id"].as_u64().unwrap()).collect();
    let body = json!({"ids": chosen, "state": "attack"}).to_string();
    let outcome = body_json(app.send_body(call(Method::POST, "/api/v1/triage", &analyst), body).await).await;
    assert_eq!((outcome["changed"].as_u64(), outcome["selected"].as_u64()), (Some(chosen.len() as u64), Some(chosen.len() as u64)));
    assert_eq!(ids(&all_events(&app, &viewer, "&state=attack").await), chosen.iter().copied().collect());

    // every event of a filter, as a job: exactly the events the list shows for that filter
    let rule = 942100;
    let expected: BTreeSet<u64> = events.iter().filter(|event| has_rule(event, rule)).map(|event| event["id"].as_u64().unwrap()).collect();
    assert!(expected.len() >= 5, "{}", expected.len());
    let unfiltered = app.send_body(call(Method::POST, "/api/v1/triage", &analyst), json!({"add_tags": ["x"]}).to_string()).await;
    assert_eq!(unfiltered.status(), StatusCode::BAD_REQUEST, "a bulk change needs ids or a filter");
    let started = app.send_body(call(Method::POST, &format!("/api/v1/triage?rule={rule}"), &analyst), json!({"add_tags": ["hosts-by-ip"]}).to_string()).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let job = body_json(started).await;
    let job = wait_for_job(&app, &viewer, job["id"].as_u64().unwrap()).await;
    assert_eq!(
        (job["complete"].as_bool(), job["selected"].as_u64(), job["changed"].as_u64()),
        (Some(true), Some(expected.len() as u64), Some(expected.len() as u64)),
        "{job}"
    );
    assert_eq!(job["user"], "ana");
    assert_eq!(ids(&all_events(&app, &viewer, "&tag=hosts-by-ip").await), expected);
    let listed = body_json(app.send(call(Method::GET, "/api/v1/triage/jobs", &viewer)).await).await;
    assert_eq!(listed[0]["id"], job["id"]);
    let detail = body_json(app.send(call(Method::GET, &format!("/api/v1/events/{}", expected.first().unwrap()), &viewer)).await).await;
    assert_eq!(detail["triage"]["history"][0]["job"], job["id"], "a job's changes name it");
    assert_eq!(app.send(call(Method::GET, "/api/v1/triage/jobs/999", &viewer)).await.status(), StatusCode::NOT_FOUND);
}

async fn wait_for_job(app: &TestApp, token: &str, id: u64) -> Value {
    for _ in 0..500 {
        let job = body_json(app.send(call(Method::GET, &format!("/api/v1/triage/jobs/{id}"), token)).await).await;
        if job["done"] == true {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn a_job_over_every_event_leaves_uploads_flowing_and_misses_none() {
    let app = TestApp::new();
    let (viewer, events) = loaded(&app).await;
    let analyst = app.create_token("ana", Role::Analyst);
    let (password, _) = app.create_sensor("web-02");
    let started = app.send_body(call(Method::POST, "/api/v1/triage?sensor=web-01", &analyst), json!({"state": "reviewed"}).to_string()).await;
    let id = body_json(started).await["id"].as_u64().unwrap();
    // uploads during the job are answered 200 and are not the job's
    let mut uploads = captured_uploads("mlogc-captured");
    uploads.truncate(30);
    for upload in &uploads {
        assert_eq!(put(&app, &basic("web-02", &password), upload).await.status(), StatusCode::OK);
    }
    let second = app.send_body(call(Method::POST, "/api/v1/triage?sensor=web-02", &analyst), json!({"state": "reviewed"}).to_string()).await;
    let job = wait_for_job(&app, &viewer, id).await;
    // (the second job either ran after the first or was refused while it ran)
    assert!(matches!(second.status(), StatusCode::ACCEPTED | StatusCode::CONFLICT), "{}", second.status());
    assert_eq!((job["complete"].as_bool(), job["changed"].as_u64()), (Some(true), Some(events.len() as u64)), "{job}");
    let reviewed = all_events(&app, &viewer, "&state=reviewed&sensor=web-01").await;
    assert_eq!(ids(&reviewed), ids(&events));
    assert_eq!(all_events(&app, &viewer, "&sensor=web-02").await.len(), uploads.len());
}
