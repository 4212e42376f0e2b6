//! The only place that talks HTTP to the JSON API and opens the live stream (server functions
//! have their own stubs).

use crate::model::{ApiError, EventDetail, EventPage, EventSummary, Health, LiveStats, PreserveOutcome, StatsAnswer, StorageStatus};
use crate::neighbors::{NewerSearch, OlderSearch, Step};
use crate::ui::CurrentSession;
use gloo_net::http::Request;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

pub mod triage;
pub mod tuning;

/// Why a request to the API did not give the expected JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// 401: the session is missing or expired.
    Unauthorized,
    /// Any other non-2xx answer, with the server's `error` text when it sent one.
    Status(u16, String),
    /// The request did not complete or the body was not the expected JSON.
    Network(String),
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiFailure::Unauthorized => f.write_str("your session has ended; sign in again"),
            ApiFailure::Status(code, message) => write!(f, "server answered {code}: {message}"),
            ApiFailure::Network(message) => write!(f, "cannot reach wafscope: {message}"),
        }
    }
}

/// GETs `path` and decodes the JSON answer.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    send_json(Request::get(path)).await
}

/// Sends a request built for the API (same origin, so the session cookie goes with it) and
/// decodes the JSON answer.
pub(super) async fn send_json<T: DeserializeOwned>(request: gloo_net::http::RequestBuilder) -> Result<T, ApiFailure> {
    let request = request.header("Accept", "application/json").build().map_err(|error| ApiFailure::Network(error.to_string()))?;
    send_request(request).await
}

/// Sends a prepared request (with its body) and decodes the JSON answer.
pub(super) async fn send_request<T: DeserializeOwned>(request: gloo_net::http::Request) -> Result<T, ApiFailure> {
    let response = request.send().await.map_err(|error| ApiFailure::Network(error.to_string()))?;
    match response.status() {
        200..=299 => response.json::<T>().await.map_err(|error| ApiFailure::Network(error.to_string())),
        401 => Err(ApiFailure::Unauthorized),
        code => {
            let message = match response.json::<ApiError>().await {
                Ok(body) => body.error,
                Err(_) => response.status_text(),
            };
            Err(ApiFailure::Status(code, message))
        }
    }
}

/// `/api/v1/events?<filter>&limit=&before=`: one page, newest first.
/// `filter_query` is the API spelling of the filter (`Filter::api_query`).
pub async fn list_events(filter_query: &str, before: Option<u64>, limit: usize) -> Result<EventPage, ApiFailure> {
    let mut url = format!("/api/v1/events?limit={limit}");
    if let Some(before) = before {
        url.push_str(&format!("&before={before}"));
    }
    if !filter_query.is_empty() {
        url.push('&');
        url.push_str(filter_query);
    }
    get_json(&url).await
}

/// `/api/v1/events/{id}`: the event in full.
pub async fn get_event(id: u64) -> Result<EventDetail, ApiFailure> {
    get_json(&format!("/api/v1/events/{id}")).await
}

/// `/api/v1/stats?<query>`: the dashboard's numbers (`query` from `dashboard::stats_query`).
pub async fn get_stats(query: &str) -> Result<StatsAnswer, ApiFailure> {
    get_json(&crate::filters::with_query("/api/v1/stats", query)).await
}

/// `/api/v1/health` (no session needed): `ok`, or why storage cannot take uploads. The server
/// answers the latter with 503 and the same JSON body, which is read here, not treated as a failure.
pub async fn get_health() -> Result<Health, ApiFailure> {
    let response = Request::get("/api/v1/health").header("Accept", "application/json").send().await.map_err(|error| ApiFailure::Network(error.to_string()))?;
    match response.status() {
        200 | 503 => response.json::<Health>().await.map_err(|error| ApiFailure::Network(error.to_string())),
        code => Err(ApiFailure::Status(code, response.status_text())),
    }
}

/// `/api/v1/storage`: size, budget and retention of the store.
pub async fn get_storage() -> Result<StorageStatus, ApiFailure> {
    get_json("/api/v1/storage").await
}

/// `POST` (preserve) or `DELETE` (release) `/api/v1/events/{id}/preserve` (analysts and admins).
pub async fn set_preserved(id: u64, preserved: bool) -> Result<PreserveOutcome, ApiFailure> {
    let url = format!("/api/v1/events/{id}/preserve");
    send_json(if preserved { Request::post(&url) } else { Request::delete(&url) }).await
}

/// `POST /api/v1/preserve?<filter>`: preserves every event the filter selects (the server
/// refuses an empty filter with 400).
pub async fn preserve_matching(filter_query: &str) -> Result<PreserveOutcome, ApiFailure> {
    send_json(Request::post(&crate::filters::with_query("/api/v1/preserve", filter_query))).await
}

/// The same-origin address of an event's original bytes (for a download link).
pub fn raw_url(id: u64) -> String {
    format!("/api/v1/events/{id}/raw")
}

async fn drive(filter_query: &str, mut next: impl FnMut() -> Step, mut feed: impl FnMut(&[u64], Option<u64>)) -> Result<Option<u64>, ApiFailure> {
    loop {
        match next() {
            Step::Query { before, limit } => {
                let page = list_events(filter_query, before, limit).await?;
                let ids: Vec<u64> = page.events.iter().map(|event| event.id).collect();
                feed(&ids, page.next_before);
            }
            Step::Done(found) => return Ok(found),
            Step::GaveUp => return Err(ApiFailure::Network("no answer after many requests".to_owned())),
        }
    }
}

/// The id of the newest event older than `id` that matches the filter.
pub async fn older_neighbor(filter_query: &str, id: u64) -> Result<Option<u64>, ApiFailure> {
    let search = std::cell::RefCell::new(OlderSearch::new(id));
    drive(filter_query, || search.borrow().next(), |ids, next| search.borrow_mut().feed(ids, next)).await
}

/// The id of the oldest event newer than `id` that matches the filter.
pub async fn newer_neighbor(filter_query: &str, id: u64) -> Result<Option<u64>, ApiFailure> {
    let now_micros = (js_sys::Date::now() * 1000.0) as u64;
    let search = std::cell::RefCell::new(NewerSearch::new(id, now_micros));
    drive(filter_query, || search.borrow().next(), |ids, next| search.borrow_mut().feed(ids, next)).await
}

/// What the live stream delivers.
#[derive(Debug, Clone)]
pub enum LiveMessage {
    /// The connection is open (first time or after a reconnect).
    Open,
    /// A committed event that passed the server-side filter (boxed: the other messages are small).
    Event(Box<EventSummary>),
    Stats(LiveStats),
    /// The server dropped us for lagging or could not replay; refetch and reopen.
    Resync(String),
    /// The connection failed; `closed` = the browser will not retry by itself (e.g. 401/400).
    Error {
        closed: bool,
    },
}

/// An open `/api/v1/live` EventSource; closed when dropped.
pub struct LiveStream {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Opens `/api/v1/live?<filter>` (resuming after `last_event_id` when given, so nothing between
/// a list fetch and the stream is missed); `on_message` runs for every message.
pub fn open_live(filter_query: &str, last_event_id: Option<u64>, on_message: impl Fn(LiveMessage) + 'static) -> Result<LiveStream, ApiFailure> {
    let mut url = String::from("/api/v1/live");
    let mut parameters: Vec<String> = Vec::new();
    if !filter_query.is_empty() {
        parameters.push(filter_query.to_owned());
    }
    if let Some(id) = last_event_id {
        parameters.push(format!("last_event_id={id}"));
    }
    if !parameters.is_empty() {
        url.push('?');
        url.push_str(&parameters.join("&"));
    }
    let source = EventSource::new(&url).map_err(|error| ApiFailure::Network(format!("{error:?}")))?;
    let on_message = std::rc::Rc::new(on_message);
    let mut listeners = Vec::new();
    let mut listen = |name: &str, handler: Box<dyn FnMut(web_sys::Event)>| {
        let closure = Closure::wrap(handler);
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        listeners.push(closure);
    };
    fn data(event: &web_sys::Event) -> String {
        event.dyn_ref::<MessageEvent>().and_then(|message| message.data().as_string()).unwrap_or_default()
    }
    let handler = on_message.clone();
    listen("open", Box::new(move |_| handler(LiveMessage::Open)));
    let handler = on_message.clone();
    listen(
        "event",
        Box::new(move |event| {
            if let Ok(summary) = serde_json::from_str::<EventSummary>(&data(&event)) {
                handler(LiveMessage::Event(Box::new(summary)));
            }
        }),
    );
    let handler = on_message.clone();
    listen(
        "stats",
        Box::new(move |event| {
            if let Ok(stats) = serde_json::from_str::<LiveStats>(&data(&event)) {
                handler(LiveMessage::Stats(stats));
            }
        }),
    );
    let handler = on_message.clone();
    listen("resync", Box::new(move |event| handler(LiveMessage::Resync(data(&event)))));
    let handler = on_message;
    let source_for_error = source.clone();
    listen("error", Box::new(move |_| handler(LiveMessage::Error { closed: source_for_error.ready_state() == EventSource::CLOSED })));
    Ok(LiveStream { source, _listeners: listeners })
}

/// The live stream's query for a page that wants only `event: stats` (the Dashboard): the
/// server sends no events, only its totals each second.
pub const STATS_ONLY: &str = "stats_only=1";

/// Opens `/api/v1/live` for its `event: stats` only (see [`STATS_ONLY`]).
pub fn open_live_stats(on_message: impl Fn(LiveMessage) + 'static) -> Result<LiveStream, ApiFailure> {
    open_live(STATS_ONLY, None, on_message)
}

/// A JSON resource for a page: fetched on mount and again whenever the returned counter is
/// bumped (a Refresh button, a timer); a 401 ends the session so the login page shows.
pub fn refreshable<T: DeserializeOwned + Clone + 'static>(path: &'static str) -> (LocalResource<Result<T, ApiFailure>>, RwSignal<u32>) {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let refresh = RwSignal::new(0u32);
    let resource = LocalResource::new(move || {
        refresh.track();
        get_json::<T>(path)
    });
    Effect::new(move |_| {
        if let Some(Err(ApiFailure::Unauthorized)) = resource.get() {
            session.set(None);
        }
    });
    (resource, refresh)
}
