//! Preserving events over HTTP: analysts mark one event or every event of a filter, viewers
//! cannot, and `preserved=yes` lists exactly the marked ones.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use support::uploads::{all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, request};

#[tokio::test]
async fn analysts_preserve_and_release_events_viewers_cannot() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("web-01");
    let viewer = app.create_token("viewer", Role::Viewer);
    let analyst = app.create_token("analyst", Role::Analyst);
    for upload in captured_uploads("mlogc-captured").iter().take(12) {
        assert_eq!(put(&app, &basic("web-01", &password), upload).await.status(), StatusCode::OK);
    }
    let events = all_events(&app, &viewer, "").await;
    let id = events[4]["id"].as_u64().unwrap();
    let call = |method: Method, uri: String, token: &str| request(method, &uri).header(header::AUTHORIZATION, format!("Bearer {token}"));

    let refused = app.send(call(Method::POST, format!("/api/v1/events/{id}/preserve"), &viewer)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "viewers cannot preserve");
    let marked = app.send(call(Method::POST, format!("/api/v1/events/{id}/preserve"), &analyst)).await;
    assert_eq!(marked.status(), StatusCode::OK);
    assert_eq!(body_json(marked).await["changed"], 1);
    let listed = all_events(&app, &viewer, "&preserved=yes").await;
    assert_eq!(listed.iter().map(|event| event["id"].as_u64().unwrap()).collect::<Vec<_>>(), vec![id]);
    assert_eq!(listed[0]["preserved"], true, "summaries carry the mark");
    assert_eq!(all_events(&app, &viewer, "&preserved=!yes").await.len(), events.len() - 1);
    let missing = app.send(call(Method::POST, "/api/v1/events/1/preserve".to_owned(), &analyst)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // every event of a filter
    let rule = events[0]["rule_ids"][0].as_u64().unwrap();
    let expected = events.iter().filter(|event| event["rule_ids"].as_array().unwrap().iter().any(|r| r.as_u64() == Some(rule))).count();
    let bulk = app.send(call(Method::POST, format!("/api/v1/preserve?rule={rule}"), &analyst)).await;
    assert_eq!(bulk.status(), StatusCode::OK);
    let outcome = body_json(bulk).await;
    assert_eq!(outcome["complete"], true);
    let preserved = all_events(&app, &viewer, "&preserved=yes").await;
    assert!(preserved.len() >= expected && preserved.len() <= expected + 1, "{} of {expected}", preserved.len());
    let unfiltered = app.send(call(Method::POST, "/api/v1/preserve".to_owned(), &analyst)).await;
    assert_eq!(unfiltered.status(), StatusCode::BAD_REQUEST, "a bulk mark needs a filter");
    let released = app.send(call(Method::DELETE, "/api/v1/preserve?preserved=yes".to_owned(), &analyst)).await;
    assert_eq!(body_json(released).await["changed"].as_u64(), Some(preserved.len() as u64));
    assert!(all_events(&app, &viewer, "&preserved=yes").await.is_empty());
}
