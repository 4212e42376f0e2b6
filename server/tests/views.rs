//! Saved views: each user sees their own and the shared ones; only an admin shares; only the
//! owner or an admin changes or deletes a view.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use support::{TestApp, body_json, request};

fn call(method: Method, uri: &str, token: &str) -> axum::http::request::Builder {
    request(method, uri).header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, "application/json")
}

async fn names(app: &TestApp, token: &str) -> Vec<String> {
    let views: Value = body_json(app.send(call(Method::GET, "/api/v1/views", token)).await).await;
    views.as_array().unwrap().iter().map(|view| view["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn views_are_private_until_an_admin_shares_them() {
    let app = TestApp::new();
    let ana = app.create_token("ana", Role::Analyst);
    let bob = app.create_token("bob", Role::Viewer);
    let admin = app.create_token("root", Role::Admin);

    let saved =
        app.send_body(call(Method::POST, "/api/v1/views", &ana), json!({"name": " SQLi on the blog ", "query": "rule=942100&path=/blog"}).to_string()).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let view = body_json(saved).await;
    assert_eq!((view["name"].as_str(), view["owner"].as_str(), view["shared"].as_bool()), (Some("SQLi on the blog"), Some("ana"), Some(false)));
    let id = view["id"].as_u64().unwrap();
    assert_eq!(names(&app, &ana).await, ["SQLi on the blog"]);
    assert!(names(&app, &bob).await.is_empty(), "another user's view is private");

    let shared = json!({"name": "SQLi on the blog", "query": "rule=942100&path=/blog", "shared": true}).to_string();
    let refused = app.send_body(call(Method::PUT, &format!("/api/v1/views/{id}"), &ana), shared.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "only an admin shares");
    let refused = app.send_body(call(Method::POST, "/api/v1/views", &ana), shared.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let done = app.send_body(call(Method::PUT, &format!("/api/v1/views/{id}"), &admin), shared).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(names(&app, &bob).await, ["SQLi on the blog"], "a shared view is everyone's");

    assert_eq!(app.send(call(Method::DELETE, &format!("/api/v1/views/{id}"), &bob)).await.status(), StatusCode::FORBIDDEN);
    let bad = app.send_body(call(Method::POST, "/api/v1/views", &bob), json!({"name": "", "query": "a=b"}).to_string()).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = app.send_body(call(Method::POST, "/api/v1/views", &bob), "not json".to_owned()).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.send(call(Method::DELETE, &format!("/api/v1/views/{id}"), &ana)).await.status(), StatusCode::OK);
    assert!(names(&app, &bob).await.is_empty() && names(&app, &ana).await.is_empty());
    assert_eq!(app.send(call(Method::DELETE, &format!("/api/v1/views/{id}"), &admin)).await.status(), StatusCode::NOT_FOUND);
    // ids are not given twice
    let next = body_json(app.send_body(call(Method::POST, "/api/v1/views", &bob), json!({"name": "b", "query": ""}).to_string()).await).await;
    assert!(next["id"].as_u64().unwrap() > id);
}
