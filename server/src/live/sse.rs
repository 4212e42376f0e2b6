//! `GET /api/v1/live`: committed events as server-sent events, filtered on the server.
//!
//! `id:` is the event id, `event: event`, data the `EventSummary` JSON (as in
//! `/api/v1/events`). With `Last-Event-ID` (header, or `last_event_id` parameter) the stream
//! first replays what the client missed from redb, then continues live without gaps or
//! duplicates (it subscribes before replaying and skips ids already sent). A subscriber that
//! falls behind gets `event: resync` and the stream ends; browsers reconnect with
//! `Last-Event-ID` and catch up from redb. `event: stats` comes every second. The stream
//! checks its session or token every [`CREDENTIAL_RECHECK`] and ends with `event: ended` once
//! it is no longer valid.

use crate::auth::Principal;
use crate::filter::EventFilter;
use crate::http::errors::ApiError;
use crate::state::AppState;
use app::model::EventSummary;
use app::model::LiveStats;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Most events replayed from redb for one resume; past it the client is told to resync.
pub const REPLAY_LIMIT: usize = 10_000;
/// Messages queued between a subscriber's feeder task and its HTTP body.
pub const OUTBOX_CAPACITY: usize = 32;
/// Interval of `event: stats`.
pub const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// How often a stream checks that its session (or token) is still valid; when it is not
/// (logged out, expired, user removed, token revoked) the stream sends `event: ended` and
/// closes.
pub const CREDENTIAL_RECHECK: Duration = Duration::from_secs(2);

/// Opens the stream.
pub async fn stream_live_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let mut params = params;
    let resume_param = params.remove("last_event_id");
    // `stats_only=1`: no events at all, only `event: stats` (the Dashboard's live counters)
    let stats_only = match params.remove("stats_only").as_deref() {
        None | Some("0" | "false") => false,
        Some("1" | "true") => true,
        Some(other) => return Err(ApiError::BadRequest(format!("stats_only must be 1 or 0, not {other:?}"))),
    };
    let filter = EventFilter::from_params(&params).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let resume_from =
        headers.get("last-event-id").and_then(|value| value.to_str().ok()).map(str::to_owned).or(resume_param).and_then(|text| text.trim().parse::<u64>().ok());
    // A small outbox: a client that stops reading blocks its feeder within a few events, so
    // the broadcast buffer (not this channel) decides when it counts as lagging.
    let (sender, receiver) = mpsc::channel(OUTBOX_CAPACITY);
    // Subscribe before answering, so every event committed after the response starts is seen.
    let live = state.live.subscribe();
    if stats_only {
        drop(live);
        tokio::spawn(feed_stats(state, principal, sender));
    } else {
        tokio::spawn(feed(state, principal, live, filter, resume_from, sender));
    }
    Ok(Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

type Outbox = mpsc::Sender<Result<Event, Infallible>>;

/// Replays (when resuming), then forwards live events and stats; `live` was subscribed before
/// the replay, so nothing committed meanwhile is missed.
async fn feed(state: AppState, principal: Principal, mut live: Receiver<Arc<EventSummary>>, filter: EventFilter, resume_from: Option<u64>, outbox: Outbox) {
    let mut last_sent = resume_from.unwrap_or(0);
    if outbox.send(Ok(Event::default().retry(Duration::from_secs(1)).comment("wafscope live"))).await.is_err() {
        return;
    }
    if let Some(after) = resume_from {
        let replay_filter = filter.clone();
        let replayed = state.blocking(move |store| store.events_after(&replay_filter, after, REPLAY_LIMIT + 1, crate::store::events::SCAN_BUDGET)).await;
        match replayed {
            Ok((events, complete)) if events.len() > REPLAY_LIMIT || !complete => {
                let _ = outbox.send(Ok(resync_event("too many missed events to replay; reload"))).await;
                return;
            }
            Ok((events, _)) => {
                for event in events {
                    last_sent = event.id;
                    if outbox.send(Ok(summary_event(&event))).await.is_err() {
                        return;
                    }
                }
            }
            Err(_) => {
                let _ = outbox.send(Ok(resync_event("storage unavailable"))).await;
                return;
            }
        }
    }
    let mut stats = StatsTicker::new(&state);
    let mut recheck = credential_recheck();
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                if !principal.still_valid(&state).await {
                    let _ = outbox.send(Ok(ended_event())).await;
                    return;
                }
            }
            received = live.recv() => match received {
                Ok(event) => {
                    if event.id <= last_sent || !filter.matches(&event) {
                        continue;
                    }
                    last_sent = event.id;
                    if outbox.send(Ok(summary_event(&event))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "live subscriber lagged; told to resync");
                    let _ = outbox.send(Ok(resync_event("the stream fell behind; reconnect with Last-Event-ID"))).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            event = stats.next(&state) => {
                if outbox.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            () = outbox.closed() => return,
        }
    }
}

/// Only `event: stats`, each [`STATS_INTERVAL`]: subscribed to no events, so it never lags.
async fn feed_stats(state: AppState, principal: Principal, outbox: Outbox) {
    if outbox.send(Ok(Event::default().retry(Duration::from_secs(1)).comment("wafscope live stats"))).await.is_err() {
        return;
    }
    let mut stats = StatsTicker::new(&state);
    let mut recheck = credential_recheck();
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                if !principal.still_valid(&state).await {
                    let _ = outbox.send(Ok(ended_event())).await;
                    return;
                }
            }
            event = stats.next(&state) => {
                if outbox.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            () = outbox.closed() => return,
        }
    }
}

/// `event: stats` every [`STATS_INTERVAL`], with the rate since the previous one.
struct StatsTicker {
    ticker: tokio::time::Interval,
    rate: RateWindow,
}

impl StatsTicker {
    fn new(state: &AppState) -> StatsTicker {
        let mut ticker = tokio::time::interval(STATS_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        StatsTicker { ticker, rate: RateWindow::new(state.live.published()) }
    }

    /// Waits for the next tick; the event to send then.
    async fn next(&mut self, state: &AppState) -> Event {
        self.ticker.tick().await;
        let stats = self.rate.sample(state.live.published());
        Event::default().event("stats").json_data(&stats).unwrap_or_else(|_| Event::default().comment("stats unavailable"))
    }
}

fn summary_event(summary: &app::model::EventSummary) -> Event {
    Event::default().id(summary.id.to_string()).event("event").json_data(summary).unwrap_or_else(|_| Event::default().comment("unserialisable event"))
}

/// Ticks every [`CREDENTIAL_RECHECK`], the first after one interval (the request was just
/// authenticated).
fn credential_recheck() -> tokio::time::Interval {
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + CREDENTIAL_RECHECK, CREDENTIAL_RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck
}

fn ended_event() -> Event {
    Event::default().event("ended").data("signed out or session expired")
}

fn resync_event(reason: &str) -> Event {
    Event::default().event("resync").data(reason)
}

/// Ingest rate over the last ten seconds, from the hub's published counter.
struct RateWindow {
    samples: std::collections::VecDeque<(Instant, u64)>,
}

impl RateWindow {
    fn new(published: u64) -> RateWindow {
        RateWindow { samples: std::collections::VecDeque::from([(Instant::now(), published)]) }
    }

    fn sample(&mut self, published: u64) -> LiveStats {
        let now = Instant::now();
        self.samples.push_back((now, published));
        while self.samples.len() > 2 && now.duration_since(self.samples[0].0) > Duration::from_secs(10) {
            self.samples.pop_front();
        }
        let (first_time, first_count) = self.samples[0];
        let seconds = now.duration_since(first_time).as_secs_f64();
        let per_second = if seconds > 0.0 { (published - first_count) as f64 / seconds } else { 0.0 };
        LiveStats { events_per_second: (per_second * 10.0).round() / 10.0, published_since_start: published }
    }
}
