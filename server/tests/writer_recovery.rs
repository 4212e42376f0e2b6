//! A panic on the writer thread is not silent: it is counted in `/api/v1/health`, the loop
//! starts again from what is on disk, and uploads before and after it are all stored once.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode};
use std::time::{Duration, Instant};
use support::uploads::{all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_writer_is_restarted_counted_and_loses_nothing() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("web-01");
    let token = app.create_token("reader", Role::Viewer);
    let uploads = captured_uploads("mlogc-captured");
    let authorization = basic("web-01", &password);
    for upload in &uploads[..5] {
        assert_eq!(put(&app, &authorization, upload).await.status(), StatusCode::OK);
    }
    app.state.writer.inject_panic();
    let deadline = Instant::now() + Duration::from_secs(10);
    let health = loop {
        let response = app.send(request(Method::GET, "/api/v1/health")).await;
        let status = response.status();
        let body = body_json(response).await;
        if body["writer_restarts"] == 1 && status == StatusCode::OK {
            break body;
        }
        assert!(Instant::now() < deadline, "the writer was not restarted: {status} {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(health["status"], "ok");
    for upload in &uploads[5..10] {
        assert_eq!(put(&app, &authorization, upload).await.status(), StatusCode::OK, "uploads work after the restart");
    }
    // a resend of an upload from before the panic is still recognised
    assert_eq!(put(&app, &authorization, &uploads[0]).await.status(), StatusCode::OK);
    let stored = all_events(&app, &token, "").await;
    let mut unique_ids: Vec<&str> = stored.iter().map(|event| event["unique_id"].as_str().unwrap()).collect();
    unique_ids.sort();
    let mut expected: Vec<&str> = uploads[..10].iter().map(|upload| upload.unique_id.as_str()).collect();
    expected.sort();
    assert_eq!(unique_ids, expected, "every upload once, none lost to the panic");
}
