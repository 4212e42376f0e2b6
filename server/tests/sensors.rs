//! `/api/v1/sensors` with the fixture corpus's real mlogc uploads: totals, per-minute activity,
//! 409s, 401s, parse warnings, clock skew and the silent state, before and after the flush.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use serde_json::Value;
use server::config::ConfigFlags;
use support::uploads::{all_events, basic, captured_uploads, put};
use support::{TestApp, body_json, request};

const CAP: u64 = 64 * 1024;

async fn sensors(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.send(request(Method::GET, "/api/v1/sensors").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    body_json(response).await["sensors"].as_array().unwrap().clone()
}

fn named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|sensor| sensor["name"] == name).unwrap_or_else(|| panic!("{name} listed"))
}

#[tokio::test]
async fn sensor_health_counts_what_each_sensor_sent_and_what_was_refused() {
    let app = TestApp::with_index_flushed_on_request(ConfigFlags { max_upload_bytes: Some(CAP), ..ConfigFlags::default() });
    let (password, _) = app.create_sensor("web-01");
    app.create_sensor("quiet-02");
    let token = app.create_token("ops", Role::Viewer);
    let uploads: Vec<_> = captured_uploads("mlogc-captured").into_iter().filter(|upload| (upload.body.len() as u64) < CAP).collect();
    for upload in &uploads {
        assert_eq!(put(&app, &basic("web-01", &password), upload).await.status(), StatusCode::OK);
    }
    // one wrong password for web-01, one unknown sensor, one upload over the cap
    assert_eq!(put(&app, &basic("web-01", "wrong"), &uploads[0]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(put(&app, &basic("nobody", "wrong"), &uploads[0]).await.status(), StatusCode::UNAUTHORIZED);
    let big = request(Method::PUT, "/rpc/auditLogReceiver").header(header::AUTHORIZATION, basic("web-01", &password));
    assert_eq!(app.send_bytes(big, vec![b'x'; CAP as usize + 1]).await.status(), StatusCode::CONFLICT);

    let events = all_events(&app, &token, "&sensor=web-01").await;
    assert_eq!(events.len(), uploads.len());
    let warned = events.iter().filter(|event| event["warning_count"].as_u64().unwrap() > 0).count() as u64;
    let newest = &events[0];
    let skew = (newest["received_at"].as_i64().unwrap() - newest["time"].as_i64().unwrap()) as f64 / 1e6;

    let check = |list: &[Value], label: &str| {
        let web = named(list, "web-01");
        assert_eq!(web["events_total"].as_u64(), Some(uploads.len() as u64), "{label}");
        let per_minute = web["events_per_minute"].as_array().unwrap();
        assert_eq!(per_minute.len(), 60, "{label}");
        assert_eq!(per_minute.iter().map(|count| count.as_u64().unwrap()).sum::<u64>(), uploads.len() as u64, "{label}: all arrived in the last hour");
        assert_eq!(web["rejected_uploads"].as_u64(), Some(1), "{label}");
        assert_eq!(web["auth_failures"].as_u64(), Some(1), "{label}");
        assert_eq!(web["parse_warnings"].as_u64(), Some(warned), "{label}");
        assert_eq!(web["silent_minutes"].as_u64(), Some(0), "{label}");
        assert_eq!(web["last_seen"].as_i64(), newest["received_at"].as_i64(), "{label}");
        assert!((web["clock_skew_seconds"].as_f64().unwrap() - skew).abs() < 1e-3, "{label}: skew of the newest event");
        let quiet = named(list, "quiet-02");
        assert_eq!(quiet["events_total"].as_u64(), Some(0), "{label}");
        assert!(quiet["last_seen"].is_null() && quiet["silent_minutes"].is_null(), "{label}: never sent");
        assert_eq!(list.len(), 2, "{label}: unknown names are not listed");
    };
    app.assert_unflushed();
    check(&sensors(&app, &token).await, "before the flush");
    app.flush_index().await;
    check(&sensors(&app, &token).await, "after the flush");
    assert_eq!(app.send(request(Method::GET, "/api/v1/sensors")).await.status(), StatusCode::UNAUTHORIZED);
}

/// Health of `name` as the store reports it at `now` (µs), with no 401 counts.
fn health_at(app: &TestApp, name: &str, now: i64) -> app::model::SensorHealth {
    let list = app.state.store.sensor_health(now, &std::collections::HashMap::new()).unwrap();
    list.into_iter().find(|sensor| sensor.name == name).unwrap_or_else(|| panic!("{name} listed"))
}

#[tokio::test]
async fn a_sensor_that_stops_sending_turns_silent() {
    use app::format::{SILENT_AFTER_MINUTES, sensor_state};
    const MINUTE: i64 = 60_000_000;
    let app = TestApp::with_index_flushed_on_request(ConfigFlags::default());
    let (password, _) = app.create_sensor("web-01");
    for upload in captured_uploads("mlogc-captured").iter().take(3) {
        assert_eq!(put(&app, &basic("web-01", &password), upload).await.status(), StatusCode::OK);
    }
    let uploaded = server::clock::unix_micros();
    let check = |label: &str| {
        let just_after = health_at(&app, "web-01", uploaded);
        let last_seen = just_after.last_seen.unwrap_or_else(|| panic!("{label}: seen"));
        assert!(last_seen <= uploaded && uploaded - last_seen < MINUTE, "{label}");
        assert_eq!(just_after.silent_minutes, Some(0), "{label}: just after the upload");
        assert_eq!(sensor_state(just_after.silent_minutes), ("sending".to_owned(), "ok"), "{label}");

        let almost = health_at(&app, "web-01", last_seen + SILENT_AFTER_MINUTES as i64 * MINUTE - 1);
        assert_eq!(almost.silent_minutes, Some(SILENT_AFTER_MINUTES - 1), "{label}");
        assert_eq!(sensor_state(almost.silent_minutes).1, "ok", "{label}: not silent before the threshold");

        let later = health_at(&app, "web-01", last_seen + 6 * MINUTE + 30_000_000);
        assert_eq!(later.silent_minutes, Some(6), "{label}: whole minutes since the last event");
        assert_eq!(sensor_state(later.silent_minutes), ("silent 6 min".to_owned(), "silent"), "{label}");
        assert_eq!(later.last_seen, Some(last_seen), "{label}");
        assert_eq!(later.events_total, 3, "{label}");
        assert_eq!(later.events_per_minute.iter().sum::<u64>(), 3, "{label}: the hour still holds its uploads");
    };
    app.assert_unflushed();
    check("before the flush");
    app.flush_index().await;
    check("after the flush");
}
