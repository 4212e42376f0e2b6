//! The Sensors page's server functions over HTTP (`/api/fn/sensor_add|sensor_rotate|sensor_remove`):
//! what an admin changes applies to the next upload at once; anyone else changes nothing.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use serde_json::Value;
use support::uploads::{Upload, all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, request};

fn server_fn(endpoint: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    let builder = request(Method::POST, &format!("/api/fn/{endpoint}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    match cookie {
        Some(cookie) => builder.header(header::COOKIE, cookie),
        None => builder,
    }
}

/// Signs `username` in through the login server function; the `name=value` of its cookie.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let response = app.send_body(server_fn("login", None), format!("username={username}&password={password}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(body_json(response).await["signed_in"].is_object(), "{username} signed in");
    cookie
}

/// Calls a sensor server function; its JSON answer (which must be a 200).
async fn call(app: &TestApp, endpoint: &str, cookie: Option<&str>, host: Option<&str>, name: &str) -> Value {
    let mut builder = server_fn(endpoint, cookie);
    if let Some(host) = host {
        builder = builder.header(header::HOST, host);
    }
    let response = app.send_body(builder, format!("name={name}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{endpoint} answers refusals as values");
    body_json(response).await
}

/// The issued credentials of an answer, or a panic naming what came instead.
fn issued(answer: &Value) -> (String, String, String) {
    let credentials = answer.get("issued").unwrap_or_else(|| panic!("not issued: {answer}"));
    let text = |key: &str| credentials[key].as_str().unwrap_or_else(|| panic!("{key} missing: {answer}")).to_owned();
    (text("password"), text("mlogc_fragment"), text("ingest_url"))
}

async fn upload(app: &TestApp, sensor: &str, password: &str, upload: &Upload) -> StatusCode {
    put(app, &basic(sensor, password), upload).await.status()
}

async fn post_to(app: &TestApp, ingest_url: &str, body: &[u8]) -> StatusCode {
    let path = ingest_url.split_once("://").unwrap().1.split_once('/').map(|(_, path)| format!("/{path}")).unwrap();
    app.send_bytes(request(Method::POST, &path).header(header::CONTENT_TYPE, "application/json"), body.to_vec()).await.status()
}

async fn sensor_list(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.send(request(Method::GET, "/api/v1/sensors").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    body_json(response).await["sensors"].as_array().unwrap().clone()
}

async fn sensor_names(app: &TestApp, token: &str) -> Vec<String> {
    sensor_list(app, token).await.iter().map(|sensor| sensor["name"].as_str().unwrap().to_owned()).collect()
}

/// The 401 count the health list shows for `name`.
async fn auth_failures(app: &TestApp, token: &str, name: &str) -> Option<u64> {
    sensor_list(app, token).await.iter().find(|sensor| sensor["name"] == name).and_then(|sensor| sensor["auth_failures"].as_u64())
}

#[tokio::test]
async fn an_admin_adds_rotates_and_removes_a_sensor_and_uploads_follow_at_once() {
    let app = TestApp::new();
    app.create_user("root", "admin-password-1", Role::Admin);
    let token = app.create_token("reader", Role::Viewer);
    let cookie = sign_in(&app, "root", "admin-password-1").await;
    let uploads = captured_uploads("mlogc-captured");

    let added = call(&app, "sensor_add", Some(&cookie), Some("console.example:8886"), "web-02").await;
    assert_eq!(added["issued"]["name"], "web-02", "{added}");
    let (password, fragment, ingest_url) = issued(&added);
    assert_eq!(password.len(), 20, "a generated password");
    assert_eq!(
        fragment,
        format!("ConsoleURI \"http://console.example:8886/rpc/auditLogReceiver\"\nSensorUsername \"web-02\"\nSensorPassword \"{password}\""),
        "the lines `wafscope sensor add` prints, on the address the browser used"
    );
    let secret = ingest_url.strip_prefix("http://console.example:8886/api/v1/ingest/").unwrap_or_else(|| panic!("{ingest_url}"));
    assert!(secret.len() >= 32 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{secret}");
    assert_eq!(sensor_names(&app, &token).await, ["web-02"]);
    assert_eq!(upload(&app, "web-02", &password, &uploads[0]).await, StatusCode::OK, "mlogc with the shown password");
    assert_eq!(post_to(&app, &ingest_url, &uploads[1].body).await, StatusCode::OK, "v3/Coraza with the shown URL");

    let again = call(&app, "sensor_add", Some(&cookie), None, "web-02").await;
    let refusal = again["refused"]["rejected"].as_str().unwrap_or_else(|| panic!("duplicate refused: {again}"));
    assert!(refusal.contains("already exists"), "{refusal}");
    let invalid = call(&app, "sensor_add", Some(&cookie), None, "bad%20name").await;
    assert!(invalid["refused"]["rejected"].as_str().is_some_and(|text| text.starts_with("invalid name")), "{invalid}");

    // no Host header: the same default as the CLI (the listen address)
    let rotated = call(&app, "sensor_rotate", Some(&cookie), None, "web-02").await;
    let (new_password, new_fragment, new_url) = issued(&rotated);
    assert_ne!(new_password, password);
    assert!(new_fragment.starts_with("ConsoleURI \"http://127.0.0.1:8886/rpc/auditLogReceiver\"\n"), "{new_fragment}");
    assert!(new_fragment.ends_with(&format!("SensorPassword \"{new_password}\"")), "{new_fragment}");
    assert_ne!(new_url.rsplit('/').next(), ingest_url.rsplit('/').next(), "a new URL secret");
    assert_eq!(upload(&app, "web-02", &password, &uploads[2]).await, StatusCode::UNAUTHORIZED, "the old password stops at once");
    assert_eq!(post_to(&app, &ingest_url, &uploads[2].body).await, StatusCode::UNAUTHORIZED, "the old URL too");
    assert_eq!(upload(&app, "web-02", &new_password, &uploads[2]).await, StatusCode::OK);
    assert_eq!(post_to(&app, &new_url, &uploads[3].body).await, StatusCode::OK);
    assert_eq!(auth_failures(&app, &token, "web-02").await, Some(1), "the old password's 401 is counted");

    let removed = call(&app, "sensor_remove", Some(&cookie), None, "web-02").await;
    assert_eq!(removed, serde_json::json!({ "removed": "web-02" }));
    assert_eq!(upload(&app, "web-02", &new_password, &uploads[4]).await, StatusCode::UNAUTHORIZED, "removed: refused at once");
    assert_eq!(post_to(&app, &new_url, &uploads[4].body).await, StatusCode::UNAUTHORIZED);
    assert!(sensor_names(&app, &token).await.is_empty(), "gone from the health list");
    assert_eq!(all_events(&app, &token, "&sensor=web-02").await.len(), 4, "its stored events stay");
    let gone = call(&app, "sensor_remove", Some(&cookie), None, "web-02").await;
    assert_eq!(gone["refused"]["rejected"], "no sensor called \"web-02\"", "{gone}");
    let gone = call(&app, "sensor_rotate", Some(&cookie), None, "web-02").await;
    assert_eq!(gone["refused"]["rejected"], "no sensor called \"web-02\"", "{gone}");

    // a new sensor of the old name starts afresh: not silent, no refusals of the removed one
    // (its records are whole seconds: let the old activity fall into an earlier second)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(call(&app, "sensor_add", Some(&cookie), None, "web-02").await.get("issued").is_some());
    assert_eq!(auth_failures(&app, &token, "web-02").await, Some(0));
    let fresh = sensor_list(&app, &token).await.into_iter().find(|sensor| sensor["name"] == "web-02").unwrap();
    assert!(fresh["last_seen"].is_null() && fresh["silent_minutes"].is_null(), "never sent: {fresh}");
    assert_eq!(fresh["events_per_minute"].as_array().unwrap().iter().filter_map(Value::as_u64).sum::<u64>(), 0, "{fresh}");
}

#[tokio::test]
async fn only_signed_in_admins_change_sensors() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("web-01");
    app.create_user("watcher", "viewer-password-1", Role::Viewer);
    app.create_user("triage", "analyst-password-1", Role::Analyst);
    let admin_token = app.create_token("automation", Role::Admin);
    let uploads = captured_uploads("mlogc-captured");
    let viewer = sign_in(&app, "watcher", "viewer-password-1").await;
    let analyst = sign_in(&app, "triage", "analyst-password-1").await;

    for (cookie, role) in [(&viewer, "viewer"), (&analyst, "analyst")] {
        let not_admin = serde_json::json!({ "refused": { "not_admin": role } });
        assert_eq!(call(&app, "sensor_add", Some(cookie), None, "web-09").await, not_admin);
        assert_eq!(call(&app, "sensor_rotate", Some(cookie), None, "web-01").await, not_admin);
        assert_eq!(call(&app, "sensor_remove", Some(cookie), None, "web-01").await, not_admin);
    }
    let not_signed_in = serde_json::json!({ "refused": "not_signed_in" });
    for cookie in [None, Some("wafscope_session=forged")] {
        for endpoint in ["sensor_add", "sensor_rotate", "sensor_remove"] {
            assert_eq!(call(&app, endpoint, cookie, None, "web-01").await, not_signed_in, "{endpoint} {cookie:?}");
        }
    }
    // an admin bearer token is for the read API, not for the UI's actions
    let with_token = server_fn("sensor_remove", None).header(header::AUTHORIZATION, format!("Bearer {admin_token}"));
    assert_eq!(body_json(app.send_body(with_token, "name=web-01".into()).await).await, not_signed_in);

    assert_eq!(sensor_names(&app, &admin_token).await, ["web-01"], "nothing added or removed");
    assert_eq!(upload(&app, "web-01", &password, &uploads[0]).await, StatusCode::OK, "the password was not rotated");
}
