//! `/api/v1/live`: server-side filters, `Last-Event-ID` resume without gaps or duplicates,
//! lag handling and authentication.

mod support;

use axum::body::Body;
use axum::http::{Method, Response, StatusCode, header};
use http_body_util::BodyExt;
use server::ingest::prepare_event;
use std::time::Duration;
use support::{TestApp, request};

/// One parsed server-sent event.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    kind: String,
    id: Option<u64>,
    data: String,
}

/// Reads SSE messages from a streaming body until `count` events of `kind` arrived (or 5 s).
struct SseReader {
    body: Body,
    buffer: String,
}

impl SseReader {
    fn new(response: Response<Body>) -> SseReader {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
        SseReader { body: response.into_body(), buffer: String::new() }
    }

    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = Sse { kind: "message".into(), id: None, data: String::new() };
                let mut is_comment_only = true;
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        message.kind = value.trim().to_owned();
                        is_comment_only = false;
                    } else if let Some(value) = line.strip_prefix("id:") {
                        message.id = value.trim().parse().ok();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        message.data.push_str(value.trim_start());
                        is_comment_only = false;
                    }
                }
                if is_comment_only {
                    continue;
                }
                return Some(message);
            }
            let frame = tokio::time::timeout(Duration::from_secs(5), self.body.frame()).await.ok()??.ok()?;
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }

    /// The next `count` events of kind `event` (stats are skipped).
    async fn events(&mut self, count: usize) -> Vec<Sse> {
        let mut found = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while found.len() < count && tokio::time::Instant::now() < deadline {
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(Some(message)) if message.kind == "stats" => continue,
                Ok(Some(message)) => found.push(message),
                _ => break,
            }
        }
        found
    }
}

fn body_of(index: usize) -> Vec<u8> {
    let path = format!("{}/../fixtures/corpus/mlogc-captured/{:06}.body", env!("CARGO_MANIFEST_DIR"), index + 1);
    std::fs::read(path).unwrap()
}

async fn store(app: &TestApp, sensor: &str, index: usize) -> u64 {
    let event = prepare_event(sensor, &body_of(index), None, None, 0);
    match app.state.writer.write(event).await.unwrap() {
        server::store::WriteOutcome::Stored(id) => id,
        other => panic!("{other:?}"),
    }
}

async fn open(app: &TestApp, token: &str, query: &str, last_event_id: Option<u64>) -> SseReader {
    let mut builder = request(Method::GET, &format!("/api/v1/live{query}")).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(id) = last_event_id {
        builder = builder.header("Last-Event-ID", id.to_string());
    }
    SseReader::new(app.send(builder).await)
}

#[tokio::test]
async fn live_events_are_filtered_on_the_server() {
    let app = TestApp::new();
    let token = app.create_token("t", app::model::Role::Viewer);
    let mut stream = open(&app, &token, "?sensor=web-01", None).await;
    let mut expected = Vec::new();
    for index in 0..6 {
        let sensor = if index % 2 == 0 { "web-01" } else { "web-02" };
        let id = store(&app, sensor, index).await;
        if sensor == "web-01" {
            expected.push(id);
        }
    }
    let received = stream.events(3).await;
    assert!(received.iter().all(|message| message.kind == "event"), "{received:?}");
    assert_eq!(received.iter().map(|message| message.id.unwrap()).collect::<Vec<_>>(), expected);
    let summary: serde_json::Value = serde_json::from_str(&received[0].data).unwrap();
    assert_eq!(summary["sensor"], "web-01");
    assert_eq!(summary["id"].as_u64(), Some(expected[0]), "data is the same summary as /api/v1/events");
    assert!(summary["rule_ids"].is_array());
}

#[tokio::test]
async fn last_event_id_replays_the_gap_then_continues_live_without_duplicates() {
    let app = TestApp::new();
    let token = app.create_token("t", app::model::Role::Viewer);
    let mut ids = Vec::new();
    for index in 0..5 {
        ids.push(store(&app, "s", index).await);
    }
    let mut stream = open(&app, &token, "", Some(ids[1])).await;
    for index in 5..8 {
        ids.push(store(&app, "s", index).await);
    }
    let received: Vec<u64> = stream.events(6).await.iter().map(|message| message.id.unwrap()).collect();
    assert_eq!(received, ids[2..].to_vec(), "replayed 3 missed events, then 3 live ones, in order, once each");
    // Nothing more arrives (no duplicate of a replayed id comes through the live path).
    let extra = tokio::time::timeout(Duration::from_millis(1500), stream.events(1)).await;
    assert!(extra.map(|events| events.is_empty()).unwrap_or(true));
}

#[tokio::test]
async fn a_lagging_subscriber_is_told_to_resync() {
    let app = TestApp::with_live_capacity(2);
    let token = app.create_token("t", app::model::Role::Viewer);
    let mut stream = open(&app, &token, "", None).await;
    // Flood the hub while the subscriber reads nothing (more than its outbox and buffer hold).
    for index in 0..(server::live::sse::OUTBOX_CAPACITY + 40) {
        store(&app, "s", index % 94).await;
    }
    let saw_resync = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(message) = stream.next().await {
            if message.kind == "resync" {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(saw_resync, "a lagging client must be told, not silently skipped");
}

#[tokio::test]
async fn stats_arrive_every_second_and_auth_is_required() {
    let app = TestApp::new();
    let anonymous = app.send(request(Method::GET, "/api/v1/live")).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let token = app.create_token("t", app::model::Role::Viewer);
    let bad = app.send(request(Method::GET, "/api/v1/live?rule=abc").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let mut stream = open(&app, &token, "", None).await;
    store(&app, "s", 0).await;
    // the upload's 200 comes before the hub publishes it: a tick in between still counts 0,
    // the next ones count it (ticks are a second apart)
    let stats = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = stream.next().await {
            if message.kind != "stats" {
                continue;
            }
            let stats: serde_json::Value = serde_json::from_str(&message.data).unwrap();
            assert!(stats["events_per_second"].is_number());
            if stats["published_since_start"] != 0 {
                return Some(stats);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("a stats event that counts the upload");
    assert_eq!(stats["published_since_start"], 1);
}

#[tokio::test]
async fn a_stats_only_stream_sends_no_events_but_counts_them() {
    let app = TestApp::new();
    let token = app.create_token("t", app::model::Role::Viewer);
    let bad = app.send(request(Method::GET, "/api/v1/live?stats_only=yes").header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let mut stream = open(&app, &token, "?stats_only=1", None).await;
    for index in 0..3 {
        store(&app, "s", index).await;
    }
    let mut kinds = Vec::new();
    loop {
        let message = stream.next().await.expect("the stream stays open");
        kinds.push(message.kind.clone());
        if message.kind == "stats" {
            let stats: serde_json::Value = serde_json::from_str(&message.data).unwrap();
            if stats["published_since_start"] == 3 {
                break;
            }
        }
    }
    assert!(!kinds.is_empty() && kinds.iter().all(|kind| kind == "stats"), "only stats: {kinds:?}");
}

#[tokio::test]
async fn a_stream_ends_when_its_session_is_logged_out() {
    let app = TestApp::new();
    app.create_user("watcher", "correct-horse", app::model::Role::Viewer);
    let server_fn =
        |path: &str| request(Method::POST, path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").header(header::ACCEPT, "application/json");
    let signed_in = app.send_body(server_fn("/api/fn/login"), "username=watcher&password=correct-horse".to_owned()).await;
    let cookie = signed_in.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let mut events = SseReader::new(app.send(request(Method::GET, "/api/v1/live").header(header::COOKIE, &cookie)).await);
    let mut stats = SseReader::new(app.send(request(Method::GET, "/api/v1/live?stats_only=1").header(header::COOKIE, &cookie)).await);
    // both streams run while the session lives
    assert_eq!(stats.next().await.map(|message| message.kind).as_deref(), Some("stats"));
    let logged_out = app.send(server_fn("/api/fn/logout").header(header::COOKIE, &cookie)).await;
    assert_eq!(logged_out.status(), StatusCode::OK);
    let started = std::time::Instant::now();
    for stream in [&mut events, &mut stats] {
        let ended = stream.events(1).await;
        assert_eq!(ended.first().map(|message| message.kind.as_str()), Some("ended"), "{ended:?}");
        assert!(stream.next().await.is_none(), "the stream closed");
    }
    assert!(started.elapsed() < server::live::sse::CREDENTIAL_RECHECK * 3, "{:?}", started.elapsed());
}
