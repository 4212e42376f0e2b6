//! The HTTP surface through `router(state).oneshot(…)`: auth, errors, SPA fallback, headers.

mod support;

use axum::http::{Method, StatusCode, header};
use support::{TestApp, body_json, body_text, request};

#[tokio::test]
async fn health_needs_no_auth_and_reveals_no_secrets() {
    let app = TestApp::new();
    let response = app.send(request(Method::GET, "/api/v1/health")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(response).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["writer_restarts"], 0);
    assert_eq!(body.as_object().unwrap().len(), 3, "only status, version and the writer's restarts: {body}");
}

#[tokio::test]
async fn status_requires_authentication() {
    let app = TestApp::new();
    let response = app.send(request(Method::GET, "/api/v1/status")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    let body = body_json(response).await;
    assert!(body["error"].as_str().unwrap().contains("authentication required"), "{body}");

    let wrong = request(Method::GET, "/api/v1/status").header(header::AUTHORIZATION, "Bearer wfs_not-a-token");
    assert_eq!(app.send(wrong).await.status(), StatusCode::UNAUTHORIZED);
    let stale_cookie = request(Method::GET, "/api/v1/status").header(header::COOKIE, "wafscope_session=forged");
    assert_eq!(app.send(stale_cookie).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn status_answers_a_valid_token() {
    let app = TestApp::new();
    let token = app.create_token("automation", app::model::Role::Viewer);
    let response = app.send(request(Method::GET, "/api/v1/status").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(response).await;
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptime_seconds"].is_u64());
    assert!(body["data_dir_bytes"].is_u64());

    let session = app.send(request(Method::GET, "/api/v1/session").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    let body = body_json(session).await;
    assert_eq!((body["username"].as_str(), body["role"].as_str()), (Some("automation"), Some("viewer")));
}

#[tokio::test]
async fn unknown_api_paths_are_json_404_never_the_ui() {
    let app = TestApp::new();
    for path in ["/api/nope", "/api/v1/nope", "/api", "/api/v2/events?x=1"] {
        let response = app.send(request(Method::GET, path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json", "{path}");
        let body = body_json(response).await;
        assert_eq!(body["error"], "no such API endpoint", "{path}");
    }
}

#[tokio::test]
async fn client_routes_get_index_html_without_caching() {
    let app = TestApp::new();
    for path in ["/", "/status", "/events/123", "/deep/client/route?q=1"] {
        let response = app.send(request(Method::GET, path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html", "{path}");
        assert!(body_text(response).await.contains("<title>wafscope test</title>"), "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_missing_assets_404() {
    let app = TestApp::new();
    let wasm = app.send(request(Method::GET, "/frontend-0123456789abcdef_bg.wasm")).await;
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(wasm.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");

    let script = app.send(request(Method::GET, "/frontend-0123456789abcdef.js")).await;
    assert_eq!(script.headers()[header::CONTENT_TYPE], "text/javascript");

    for missing in ["/frontend-ffffffffffffffff.js", "/favicon.ico", "/deep/path/style.css"] {
        let response = app.send(request(Method::GET, missing)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
        assert!(!body_text(response).await.contains("<html"), "{missing} must not fall back to index.html");
    }
    let post = app.send(request(Method::POST, "/status")).await;
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_response_carries_the_content_security_policy() {
    let app = TestApp::new();
    for path in ["/", "/api/v1/health", "/frontend-0123456789abcdef.js"] {
        let response = app.send(request(Method::GET, path)).await;
        let policy = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{path}: {policy}");
        assert!(policy.contains(&support::boot_script_hash()), "the boot script's own hash: {policy}");
        assert!(!policy.contains("'unsafe-eval'"), "{policy}");
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"), "{policy}");
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
