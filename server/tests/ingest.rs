//! Ingest through `router(state).oneshot(…)` with the real mlogc uploads of the fixture corpus:
//! every status of the contract, idempotency, lossless raw storage, and the read API.

mod support;

use axum::http::{Method, StatusCode, header};
use std::collections::BTreeSet;
use support::uploads::{Upload, all_events, basic, captured_uploads, corpus, put};
use support::{TestApp, body_json, request};

#[tokio::test]
async fn every_captured_mlogc_upload_is_stored_once_and_byte_identical() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("sensor1");
    let token = app.create_token("reader", app::model::Role::Viewer);
    let uploads = captured_uploads("mlogc-captured");
    assert_eq!(uploads.len(), 94);
    for upload in &uploads {
        let response = put(&app, &basic("sensor1", &password), upload).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", upload.unique_id);
    }
    // mlogc resends after a crash: every duplicate is acknowledged, nothing is stored twice.
    for upload in uploads.iter().take(30) {
        assert_eq!(put(&app, &basic("sensor1", &password), upload).await.status(), StatusCode::OK);
    }
    let events = all_events(&app, &token, "&sensor=sensor1").await;
    let stored: Vec<String> = events.iter().map(|event| event["unique_id"].as_str().unwrap().to_owned()).collect();
    let expected: BTreeSet<String> = uploads.iter().map(|upload| upload.unique_id.clone()).collect();
    assert_eq!(stored.len(), 94, "each upload exactly once");
    assert_eq!(stored.iter().cloned().collect::<BTreeSet<_>>(), expected);
    let ids: Vec<u64> = events.iter().map(|event| event["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "newest first");
    assert!(events.iter().all(|event| event["parse_ok"] == true && event["hash_mismatch"] == false));

    for upload in uploads.iter().step_by(9) {
        let event = events.iter().find(|event| event["unique_id"] == upload.unique_id.as_str()).unwrap();
        let id = event["id"].as_u64().unwrap();
        let raw = app.send(request(Method::GET, &format!("/api/v1/events/{id}/raw")).header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
        assert_eq!(raw.status(), StatusCode::OK);
        assert_eq!(raw.headers()[header::CONTENT_TYPE], "application/octet-stream");
        assert_eq!(support::body_bytes(raw).await, upload.body, "raw of {}", upload.unique_id);
    }
}

#[tokio::test]
async fn summaries_and_detail_carry_the_real_values() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("web-01");
    let token = app.create_token("reader", app::model::Role::Viewer);
    let uploads = captured_uploads("mlogc-captured-json");
    for upload in &uploads {
        assert_eq!(put(&app, &basic("web-01", &password), upload).await.status(), StatusCode::OK);
    }
    let events = all_events(&app, &token, "").await;
    assert_eq!(events.len(), 94);
    let blocked = events.iter().filter(|event| event["action"] == "blocked").count();
    assert!(blocked >= 71, "71 requests were blocked with 403 by CRS: {blocked}");
    assert_eq!(events.iter().filter(|event| event["client_ip"] == "::1").count(), 2, "the 2 IPv6 events");

    let sqli = all_events(&app, &token, "&rule=942100").await;
    assert!(!sqli.is_empty());
    assert!(sqli.iter().all(|event| event["rule_ids"].as_array().unwrap().contains(&serde_json::json!(942100))));
    let not_sqli = all_events(&app, &token, "&rule=!942100").await;
    assert_eq!(sqli.len() + not_sqli.len(), 94, "a filter and its inversion partition the events");
    let forbidden = all_events(&app, &token, "&status=403&ip=127.0.0.0/8").await;
    assert!(!forbidden.is_empty());
    assert!(forbidden.iter().all(|event| event["status"] == 403 && event["client_ip"] == "127.0.0.1"));
    assert_eq!(all_events(&app, &token, "&ip=::1").await.len(), 2);

    let id = sqli[0]["id"].as_u64().unwrap();
    let detail =
        body_json(app.send(request(Method::GET, &format!("/api/v1/events/{id}")).header(header::AUTHORIZATION, format!("Bearer {token}"))).await).await;
    assert_eq!(detail["summary"]["id"], id);
    let message_ids: Vec<u64> = detail["event"]["messages"].as_array().unwrap().iter().filter_map(|m| m["rule_id"].as_u64()).collect();
    assert!(message_ids.contains(&942100), "{message_ids:?}");
    assert_eq!(detail["md5"].as_str().unwrap().len(), 32);

    let missing = app.send(request(Method::GET, "/api/v1/events/1").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let bad_filter = app.send(request(Method::GET, "/api/v1/events?ip=banana").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(bad_filter.status(), StatusCode::BAD_REQUEST);
    assert!(body_json(bad_filter).await["error"].as_str().unwrap().contains("ip"));
    let anonymous = app.send(request(Method::GET, "/api/v1/events")).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_credentials_get_401_and_nothing_is_stored() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("sensor1");
    let upload = &captured_uploads("mlogc-captured")[0];
    for authorization in [basic("sensor1", "wrong"), basic("nobody", &password), "Bearer x".to_owned(), "Basic %%%".to_owned()] {
        let response = put(&app, &authorization, upload).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{authorization}");
    }
    let no_auth = app.send_bytes(request(Method::PUT, "/rpc/auditLogReceiver"), upload.body.clone()).await;
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.state.store.last_event_id().unwrap(), 0);
}

#[tokio::test]
async fn garbage_is_kept_raw_and_flagged_never_refused() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("s");
    let token = app.create_token("reader", app::model::Role::Viewer);
    let garbage: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let truncated = captured_uploads("mlogc-captured")[5].body[..700].to_vec();
    for body in [garbage.clone(), truncated, b"\xff\xfe{not json".to_vec(), Vec::new()] {
        let response = app.send_bytes(request(Method::PUT, "/rpc/auditLogReceiver").header(header::AUTHORIZATION, basic("s", &password)), body).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let events = all_events(&app, &token, "").await;
    assert_eq!(events.len(), 4);
    let unparsed: Vec<_> = events.iter().filter(|event| event["parse_ok"] == false).collect();
    assert!(unparsed.len() >= 3, "{events:?}");
    let garbage_event = events.iter().find(|event| event["unique_id"].as_str().unwrap().starts_with("md5:") && event["parse_ok"] == false).unwrap();
    let raw =
        app.send(request(Method::GET, &format!("/api/v1/events/{}/raw", garbage_event["id"])).header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    let bytes = support::body_bytes(raw).await;
    assert!(bytes == garbage || bytes.starts_with(b"\xff\xfe") || bytes.is_empty());
}

#[tokio::test]
async fn oversized_uploads_get_409_with_a_reason_and_are_recorded() {
    let app = TestApp::with_max_upload(2048);
    let (password, _) = app.create_sensor("s");
    let upload = captured_uploads("mlogc-captured").into_iter().find(|upload| upload.body.len() > 2048).unwrap();
    let response = put(&app, &basic("s", &password), &upload).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let phrase = response.extensions().get::<hyper::ext::ReasonPhrase>().expect("a reason phrase");
    let phrase = std::str::from_utf8(phrase.as_bytes()).unwrap();
    assert!(phrase.starts_with("entry%20of%20") && !phrase.contains(' '), "URL-encoded: {phrase}");
    let rejections = app.state.store.list_rejections(10).unwrap();
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].unique_id, upload.unique_id);
    assert_eq!(rejections[0].sensor, "s");
    assert_eq!(rejections[0].size, upload.body.len() as u64);
    assert_eq!(app.state.store.last_event_id().unwrap(), 0, "nothing stored");
}

#[tokio::test]
async fn hash_mismatch_is_stored_and_flagged_and_changed_content_is_a_revision() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("s");
    let token = app.create_token("reader", app::model::Role::Viewer);
    let mut upload = captured_uploads("mlogc-captured").remove(3);
    for (name, value) in upload.headers.iter_mut() {
        if name == "X-Content-Hash" {
            *value = "md5:00000000000000000000000000000000 L".to_owned();
        }
    }
    assert_eq!(put(&app, &basic("s", &password), &upload).await.status(), StatusCode::OK);
    let mut changed = upload.body.clone();
    let last = changed.len() - 2;
    changed[last] = b'#';
    let revised = Upload { body: changed, headers: upload.headers.clone(), unique_id: upload.unique_id.clone() };
    assert_eq!(put(&app, &basic("s", &password), &revised).await.status(), StatusCode::OK);
    let events = all_events(&app, &token, "").await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|event| event["hash_mismatch"] == true && event["unique_id"] == upload.unique_id.as_str()));
    let revisions: BTreeSet<u64> = events.iter().map(|event| event["revision"].as_u64().unwrap()).collect();
    assert_eq!(revisions, BTreeSet::from([0, 1]));
}

#[tokio::test]
async fn v3_and_coraza_writers_post_to_their_url_secret() {
    let app = TestApp::new();
    let (_, secret) = app.create_sensor("nginx-01");
    let token = app.create_token("reader", app::model::Role::Viewer);
    let storage = corpus("v3-json/storage");
    let mut files = Vec::new();
    let mut stack = vec![storage];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files.sort();
    for file in files.iter().take(20) {
        let body = std::fs::read(file).unwrap();
        let response = app
            .send_bytes(
                request(Method::POST, &format!("/api/v1/ingest/{secret}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::USER_AGENT, "ModSecurity3"),
                body,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{}", file.display());
    }
    let wrong = app.send_bytes(request(Method::POST, "/api/v1/ingest/not-the-secret"), b"{}".to_vec()).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let events = all_events(&app, &token, "&sensor=nginx-01").await;
    assert_eq!(events.len(), 20);
    assert!(events.iter().all(|event| event["format"] == "mod_sec3_json"), "{:?}", events[0]["format"]);
}

#[tokio::test]
async fn configured_extra_paths_accept_mlogc() {
    let app = TestApp::with_ingest_paths(&["/api-old/auditlog/"]);
    let (password, _) = app.create_sensor("s");
    let upload = &captured_uploads("mlogc-captured")[1];
    let mut builder = request(Method::PUT, "/api-old/auditlog/?sensor=x").header(header::AUTHORIZATION, basic("s", &password));
    for (name, value) in &upload.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    assert_eq!(app.send_bytes(builder, upload.body.clone()).await.status(), StatusCode::OK);
    let plain = request(Method::PUT, "/rpc/auditLogReceiver?whatever=1").header(header::AUTHORIZATION, basic("s", &password));
    assert_eq!(app.send_bytes(plain, upload.body.clone()).await.status(), StatusCode::OK, "query strings are accepted");
}

/// Median time of `runs` uploads of `upload` with `authorization` from `client`.
async fn median_answer(app: &TestApp, authorization: &str, upload: &Upload, client: &str, runs: usize) -> std::time::Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let response = app.send_bytes(upload_from(authorization, upload, client), upload.body.clone()).await;
        times.push(started.elapsed());
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(support::body_text(response).await, r#"{"error":"sensor authentication failed"}"#);
    }
    times.sort();
    times[runs / 2]
}

#[tokio::test]
async fn an_unknown_sensor_and_a_wrong_password_answer_alike() {
    let app = TestApp::new();
    app.create_sensor("sensor1");
    let upload = &captured_uploads("mlogc-captured")[0];
    let wrong = median_answer(&app, &basic("sensor1", "wrong-password"), upload, "192.0.2.1:1000", 5).await;
    let unknown = median_answer(&app, &basic("no-such-sensor", "wrong-password"), upload, "192.0.2.2:1000", 5).await;
    // both run one password hash (tens of ms); an unknown name answered without one takes < 1 ms
    assert!(unknown * 3 >= wrong && wrong * 3 >= unknown, "unknown name {unknown:?} vs wrong password {wrong:?}");
}

#[tokio::test]
async fn failed_sensor_credentials_are_throttled_per_client_address() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("sensor1");
    let upload = &captured_uploads("mlogc-captured")[0];
    let limit = server::auth::rate_limit::INGEST_LIMITS.per_client;
    let hashed = median_answer(&app, &basic("sensor1", "guess"), upload, "203.0.113.9:1000", limit).await;
    // past the limit the address is answered the same 401, without a hash
    let throttled = median_answer(&app, &basic("sensor1", "guess"), upload, "203.0.113.9:1000", 5).await;
    assert!(throttled * 4 < hashed, "throttled {throttled:?} vs hashed {hashed:?}");
    let throttled_right = put_from(&app, &basic("sensor1", &password), upload, "203.0.113.9:1001").await;
    assert_eq!(throttled_right, StatusCode::UNAUTHORIZED, "the throttled address is refused even with the right password");
    // the sensor itself, from its own address, is not locked out
    assert_eq!(put_from(&app, &basic("sensor1", &password), upload, "198.51.100.20:1000").await, StatusCode::OK);
}

fn upload_from(authorization: &str, upload: &Upload, client: &str) -> axum::http::request::Builder {
    let mut builder = support::from(request(Method::PUT, "/rpc/auditLogReceiver"), client).header(header::AUTHORIZATION, authorization);
    for (name, value) in &upload.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
}

async fn put_from(app: &TestApp, authorization: &str, upload: &Upload, client: &str) -> StatusCode {
    app.send_bytes(upload_from(authorization, upload, client), upload.body.clone()).await.status()
}

/// A burst of fresh connections with valid credentials from one address (many sensors behind
/// one NAT, a restarted mlogc with MaxConnections) waits for the first password check; none
/// is refused as if it were a guess (before, the 31st concurrent upload got 401).
#[tokio::test]
async fn a_burst_of_valid_uploads_from_one_address_is_stored_whole() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("web-01");
    let uploads: Vec<Upload> = captured_uploads("mlogc-captured").into_iter().take(45).collect();
    let count = uploads.len();
    let mut sends = tokio::task::JoinSet::new();
    for upload in uploads {
        let router = server::router(app.state.clone());
        let authorization = basic("web-01", &password);
        sends.spawn(async move {
            use tower::ServiceExt;
            let mut builder = support::from(request(Method::PUT, "/rpc/auditLogReceiver"), "192.0.2.7:4000").header(header::AUTHORIZATION, authorization);
            for (name, value) in &upload.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            router.oneshot(builder.body(axum::body::Body::from(upload.body)).unwrap()).await.unwrap().status()
        });
    }
    let statuses = sends.join_all().await;
    assert_eq!(statuses.iter().filter(|status| **status == StatusCode::OK).count(), count, "{statuses:?}");
}
