//! Shared helpers for the HTTP tests: an app on an in-memory store with synthetic UI files.
#![allow(dead_code)]

use app::model::Role;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, Response};
use base64::Engine;
use http_body_util::BodyExt;
use server::AppState;
use server::admin::{AdminContext, AdminRequest, execute};
use server::config::{Config, ConfigFlags};
use server::http::assets::Assets;
use server::state::StateOptions;
use server::store::{FlushLimits, Store};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use tower::ServiceExt;

pub mod binary;
pub mod uploads;

pub const BOOT_SCRIPT: &str = "import init from '/frontend-0123456789abcdef.js'; init('/frontend-0123456789abcdef_bg.wasm');";

pub fn index_html() -> &'static str {
    static INDEX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        format!(
            "<!doctype html><html><head><title>wafscope test</title>\
             <script type=\"module\">{BOOT_SCRIPT}</script></head><body></body></html>"
        )
    })
}

pub fn boot_script_hash() -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(BOOT_SCRIPT)))
}

pub struct TestApp {
    pub state: AppState,
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_flags(ConfigFlags::default())
    }

    pub fn with_max_upload(bytes: u64) -> TestApp {
        TestApp::with_flags(ConfigFlags { max_upload_bytes: Some(bytes), ..ConfigFlags::default() })
    }

    pub fn with_ingest_paths(paths: &[&str]) -> TestApp {
        TestApp::with_flags(ConfigFlags { ingest_paths: Some(paths.iter().map(|p| p.to_string()).collect()), ..ConfigFlags::default() })
    }

    pub fn with_live_capacity(capacity: usize) -> TestApp {
        let store = Store::in_memory().expect("in-memory store");
        let config = Config::from_sources(&ConfigFlags::default(), &HashMap::new(), None).unwrap();
        let assets = Assets::from_files(&[("index.html", index_html().as_bytes())]);
        TestApp { state: AppState::with_live_capacity(store, config, assets, capacity).expect("state") }
    }

    /// With `flags`, and the writer writes index rows and fact blocks only at
    /// [`TestApp::flush_index`]: reads before it come from the unindexed tail, deterministically.
    pub fn with_index_flushed_on_request(flags: ConfigFlags) -> TestApp {
        TestApp::build(flags, StateOptions { index_flush: FlushLimits::ON_REQUEST, ..StateOptions::default() })
    }

    /// Checks that the newest events are not indexed yet (reads come from the tail).
    pub fn assert_unflushed(&self) {
        let store = &self.state.store;
        let last = store.last_event_id().unwrap();
        assert!(last > 0, "events were stored");
        assert!(store.index_watermark().unwrap() < last, "the newest event is not indexed before the flush");
    }

    pub fn with_flags(flags: ConfigFlags) -> TestApp {
        TestApp::build(flags, StateOptions::default())
    }

    fn build(flags: ConfigFlags, options: StateOptions) -> TestApp {
        let store = Store::in_memory().expect("in-memory store");
        let config = Config::from_sources(&flags, &HashMap::new(), None).unwrap();
        let assets = Assets::from_files(&[
            ("index.html", index_html().as_bytes()),
            ("frontend-0123456789abcdef.js", b"export default function init() {}"),
            ("frontend-0123456789abcdef_bg.wasm", b"\0asm\x01\0\0\0"),
        ]);
        TestApp { state: AppState::with_options(store, config, assets, options).expect("state") }
    }

    /// Has the writer flush the derived rows now, and checks that the watermark reached the
    /// newest event (so what a test reads next comes from the index and fact blocks).
    pub async fn flush_index(&self) {
        let writer = self.state.writer.clone();
        tokio::task::spawn_blocking(move || writer.flush_index()).await.unwrap();
        let store = &self.state.store;
        assert_eq!(store.index_watermark().unwrap(), store.last_event_id().unwrap(), "every event is indexed after the flush");
    }

    pub fn admin(&self) -> AdminContext {
        AdminContext { store: self.state.store.clone(), writer: self.state.writer.clone() }
    }

    /// Adds a sensor; returns (password, ingest-URL secret).
    pub fn create_sensor(&self, name: &str) -> (String, String) {
        let request = AdminRequest::SensorAdd { name: name.into(), password: None, url_base: "http://t".into() };
        let output = execute(&self.admin(), request).expect("sensor created");
        let password = output.lines().find_map(|line| line.strip_prefix("SensorPassword \"")).unwrap().trim_end_matches('"').to_owned();
        let secret = output.lines().last().unwrap().rsplit('/').next().unwrap().to_owned();
        (password, secret)
    }

    pub fn create_user(&self, name: &str, password: &str, role: Role) {
        let request = AdminRequest::UserAdd { name: name.into(), role, password: Some(password.into()) };
        execute(&self.admin(), request).expect("user created");
    }

    pub fn create_token(&self, name: &str, role: Role) -> String {
        let output = execute(&self.admin(), AdminRequest::TokenCreate { name: name.into(), role }).unwrap();
        output.lines().last().unwrap().to_owned()
    }

    pub async fn send(&self, builder: axum::http::request::Builder) -> Response<Body> {
        self.send_body(builder, String::new()).await
    }

    pub async fn send_body(&self, builder: axum::http::request::Builder, body: String) -> Response<Body> {
        self.send_bytes(builder, body.into_bytes()).await
    }

    pub async fn send_bytes(&self, builder: axum::http::request::Builder, body: Vec<u8>) -> Response<Body> {
        // the client's address, unless the request names one (`from`)
        let named = builder.extensions_ref().is_some_and(|extensions| extensions.get::<ConnectInfo<SocketAddr>>().is_some());
        let builder = if named { builder } else { builder.extension(ConnectInfo("192.0.2.10:40000".parse::<SocketAddr>().unwrap())) };
        let request = builder.body(Body::from(body)).unwrap();
        server::router(self.state.clone()).oneshot(request).await.unwrap()
    }
}

/// `builder` as sent from `address` (`ip:port`).
pub fn from(builder: axum::http::request::Builder, address: &str) -> axum::http::request::Builder {
    builder.extension(ConnectInfo(address.parse::<SocketAddr>().unwrap()))
}

pub fn request(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

pub async fn body_bytes(response: Response<Body>) -> Vec<u8> {
    response.into_body().collect().await.unwrap().to_bytes().to_vec()
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub async fn body_json(response: Response<Body>) -> serde_json::Value {
    let text = body_text(response).await;
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}
