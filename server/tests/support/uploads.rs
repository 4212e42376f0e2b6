//! The fixture corpus's real mlogc uploads and how the tests send and list them.

use super::{TestApp, body_json, request};
use axum::http::{Method, StatusCode, header};
use base64::Engine;
use std::path::PathBuf;

pub fn corpus(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus").join(path)
}

/// The bodies of the captured mlogc uploads, in file-name order (the store-level tests).
pub fn captured_bodies() -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus("mlogc-captured"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "body"))
        .collect();
    paths.sort();
    paths.iter().map(|path| std::fs::read(path).unwrap()).collect()
}

/// One captured mlogc upload: its original headers (minus Authorization) and body.
pub struct Upload {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub unique_id: String,
}

pub fn captured_uploads(dataset: &str) -> Vec<Upload> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(corpus(dataset))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|meta_path| {
            let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
            let body = std::fs::read(meta_path.with_extension("body")).unwrap();
            let headers: Vec<(String, String)> = meta["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned()))
                .filter(|(name, _)| !name.eq_ignore_ascii_case("authorization") && !name.eq_ignore_ascii_case("host"))
                .collect();
            let summary = &headers.iter().find(|(name, _)| name == "X-ForensicLog-Summary").unwrap().1;
            let unique_id = wafscope_parse::parse_index_line(summary.as_bytes()).unwrap().unique_id;
            Upload { headers, body, unique_id }
        })
        .collect()
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

pub async fn put(app: &TestApp, authorization: &str, upload: &Upload) -> axum::http::Response<axum::body::Body> {
    let mut builder = request(Method::PUT, "/rpc/auditLogReceiver").header(header::AUTHORIZATION, authorization);
    for (name, value) in &upload.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    app.send_bytes(builder, upload.body.clone()).await
}

pub async fn all_events(app: &TestApp, token: &str, query: &str) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    let mut before = String::new();
    loop {
        let uri = format!("/api/v1/events?limit=37{query}{before}");
        let response = app.send(request(Method::GET, &uri).header(header::AUTHORIZATION, format!("Bearer {token}"))).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let page = body_json(response).await;
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_u64() {
            Some(next) => before = format!("&before={next}"),
            None => return events,
        }
    }
}
