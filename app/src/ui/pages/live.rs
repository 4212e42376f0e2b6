//! Live: the newest events as they are stored, without reload.
//!
//! On open (and on every filter change or `resync`) it fetches the newest page from
//! `/api/v1/events`, then opens `/api/v1/live` with `last_event_id` = the newest id, so the
//! server replays anything stored in between: no gap, no duplicate. Incoming events go into a
//! plain buffer (no signal per event); a timer flushes the buffer into the row signal every
//! [`FLUSH_MS`], the table keeps at most [`MAX_ROWS`] rows and is a keyed `<For>`, so existing
//! rows are never re-rendered. Paused, the buffer keeps the newest rows and counts the rest.

use crate::filters::{Filter, with_query};
use crate::format::{format_count, format_rate};
use crate::model::{Action, EventSummary, SessionInfo};
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure, LiveMessage, LiveStream};
use crate::ui::clock::{local_zone_label, now_seconds};
use crate::ui::components::empty::NoEventsYet;
use crate::ui::components::event_table::{EventRow, EventTableHead, RowActions};
use crate::ui::components::filter_bar::{FilterBar, use_url_filter};
use crate::ui::keys::not_for_shortcuts;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// Most rows the table keeps (older ones are on the Events page).
pub const MAX_ROWS: usize = 500;
/// Rows in the DOM at first: the browser lays out every row of the table again when rows are
/// inserted at the top, so the cost of a flush grows with the rows shown (measured with
/// `end2end/tests/live_load.test.js`: 500 rows stalled frames for 0.5–1 s at 200 events/s on 2
/// cores, 100 rows for under 0.25 s). The rest of the buffer is one click away.
pub const SHOWN_ROWS: usize = 100;
/// Rows fetched when the page opens.
pub const PREFILL: usize = 100;
/// How often arrived events are put into the table.
pub const FLUSH_MS: u64 = 150;
/// Rate samples in the sparkline (one per second).
const SPARK_POINTS: usize = 60;

#[derive(Clone)]
struct LiveRow {
    event: Arc<EventSummary>,
    /// Arrived over the stream (not in the initial page): gets the "just arrived" mark.
    fresh: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StreamState {
    Connecting,
    Open,
    Reconnecting,
    Closed,
}

/// Events not yet in the table (non-reactive: written per event, read per flush).
#[derive(Default)]
struct Inbox {
    events: VecDeque<EventSummary>,
    /// Arrived since the last flush, including those dropped from `events` beyond MAX_ROWS.
    unseen: usize,
    newest: u64,
}

#[component]
pub fn LivePage() -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let (filter, on_change) = use_url_filter();
    let navigate = use_navigate();

    let rows = RwSignal::new(VecDeque::<LiveRow>::new());
    let paused = RwSignal::new(false);
    let waiting = RwSignal::new(0usize);
    let rate = RwSignal::new(None::<f64>);
    let spark = RwSignal::new(VecDeque::<f64>::new());
    let state = RwSignal::new(StreamState::Connecting);
    let last_event_id = RwSignal::new(None::<u64>);
    let error = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let restart = RwSignal::new(0u32);
    let live_query = RwSignal::new(String::new());
    let resynced = RwSignal::new(None::<String>);

    let inbox = StoredValue::new_local(Inbox::default());
    let stream = StoredValue::new_local(None::<LiveStream>);
    let epoch = StoredValue::new(0u64);

    let flush = move || {
        let batch = inbox
            .try_update_value(|inbox| {
                inbox.unseen = 0;
                std::mem::take(&mut inbox.events)
            })
            .unwrap_or_default();
        if batch.is_empty() {
            return;
        }
        last_event_id.set(batch.back().map(|event| event.id));
        rows.update(|rows| {
            for event in batch {
                rows.push_front(LiveRow { event: Arc::new(event), fresh: true });
            }
            rows.truncate(MAX_ROWS);
        });
        waiting.set(0);
    };

    let on_message = move |generation: u64| {
        move |message: LiveMessage| {
            if epoch.get_value() != generation {
                return;
            }
            match message {
                LiveMessage::Open => {
                    state.set(StreamState::Open);
                    error.set(None);
                }
                LiveMessage::Event(event) => inbox.update_value(|inbox| {
                    if event.id <= inbox.newest {
                        return;
                    }
                    inbox.newest = event.id;
                    inbox.unseen += 1;
                    inbox.events.push_back(*event);
                    if inbox.events.len() > MAX_ROWS {
                        inbox.events.pop_front();
                    }
                }),
                LiveMessage::Stats(stats) => {
                    rate.set(Some(stats.events_per_second));
                    spark.update(|points| {
                        points.push_back(stats.events_per_second);
                        while points.len() > SPARK_POINTS {
                            points.pop_front();
                        }
                    });
                }
                LiveMessage::Resync(reason) => {
                    resynced.set(Some(reason));
                    restart.update(|n| *n += 1);
                }
                LiveMessage::Error { closed: false } => state.set(StreamState::Reconnecting),
                LiveMessage::Error { closed: true } => {
                    state.set(StreamState::Closed);
                    spawn_local(async move {
                        match api::get_json::<SessionInfo>("/api/v1/session").await {
                            Err(ApiFailure::Unauthorized) => session.set(None),
                            _ => {
                                error.set(Some("The live stream was closed by the server; reconnecting in 3 s…".to_owned()));
                                set_timeout(move || restart.update(|n| *n += 1), Duration::from_secs(3));
                            }
                        }
                    });
                }
            }
        }
    };

    Effect::new(move |_| {
        restart.track();
        let filter = filter.get();
        let query = filter.api_query(now_seconds(), false);
        let generation = epoch.get_value() + 1;
        epoch.set_value(generation);
        stream.set_value(None);
        inbox.set_value(Inbox::default());
        rows.set(VecDeque::new());
        waiting.set(0);
        loaded.set(false);
        state.set(StreamState::Connecting);
        live_query.set(query.clone());
        spawn_local(async move {
            let page = api::list_events(&query, None, PREFILL).await;
            if epoch.get_value() != generation {
                return;
            }
            let newest = match page {
                Ok(page) => {
                    let newest = page.events.first().map(|event| event.id);
                    rows.set(page.events.into_iter().map(|event| LiveRow { event: Arc::new(event), fresh: false }).collect());
                    newest
                }
                Err(ApiFailure::Unauthorized) => {
                    session.set(None);
                    return;
                }
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    loaded.set(true);
                    return;
                }
            };
            inbox.update_value(|inbox| inbox.newest = newest.unwrap_or(0));
            last_event_id.set(newest);
            loaded.set(true);
            match api::open_live(&query, newest, on_message(generation)) {
                Ok(opened) => stream.set_value(Some(opened)),
                Err(failure) => error.set(Some(failure.to_string())),
            }
        });
    });

    let timer = set_interval_with_handle(
        move || {
            if paused.get_untracked() {
                let unseen = inbox.with_value(|inbox| inbox.unseen);
                if unseen != waiting.get_untracked() {
                    waiting.set(unseen);
                }
            } else {
                flush();
            }
        },
        Duration::from_millis(FLUSH_MS),
    )
    .ok();
    on_cleanup(move || {
        if let Some(timer) = timer {
            timer.clear();
        }
        epoch.set_value(u64::MAX);
        stream.set_value(None);
    });

    let toggle_pause = move || {
        let now_paused = !paused.get_untracked();
        paused.set(now_paused);
        if !now_paused {
            flush();
        }
    };
    let space = window_event_listener(ev::keydown, move |event| {
        if event.key() == " " && !not_for_shortcuts(&event) {
            event.prevent_default();
            toggle_pause();
        }
    });
    on_cleanup(move || space.remove());

    let actions = RowActions {
        on_filter: Callback::new(move |condition| on_change.run(filter.get_untracked().with(condition))),
        on_open: Callback::new(move |id: u64| navigate(&with_query(&format!("/events/{id}"), &filter.get_untracked().url_query()), NavigateOptions::default())),
    };
    let state_label = move || match (state.get(), paused.get()) {
        (StreamState::Open, true) => "Paused",
        (StreamState::Open, false) => "Live",
        (StreamState::Connecting, _) => "Connecting…",
        (StreamState::Reconnecting, _) => "Reconnecting…",
        (StreamState::Closed, _) => "Disconnected",
    };
    let state_class = move || match (state.get(), paused.get()) {
        (StreamState::Open, true) => "live-indicator paused",
        (StreamState::Open, false) => "live-indicator open",
        _ => "live-indicator down",
    };
    let counts = move || {
        rows.with(|rows| {
            let blocked = rows.iter().filter(|row| row.event.action == Action::Blocked).count();
            let detected = rows.iter().filter(|row| row.event.action == Action::Detected).count();
            (rows.len(), blocked, detected)
        })
    };
    let events_link = move || with_query("/events", &filter.get().url_query());
    let shown = RwSignal::new(SHOWN_ROWS);
    let hidden_rows = move || rows.with(VecDeque::len).saturating_sub(shown.get());

    view! {
        <header class="page-head live-head">
            <h1>"Live"</h1>
            <div class=state_class data-testid="live-state">
                <span class="live-dot" aria-hidden="true"></span>
                <span class="live-label">{state_label}</span>
                <span class="muted">"—"</span>
                <span class="rate mono" data-testid="rate">{move || rate.get().map(format_rate).unwrap_or_else(|| "…".to_owned())}</span>
                <span class="muted">"ev/s"</span>
                <Sparkline points=spark/>
                <button type="button" class="button small" data-testid="pause" on:click=move |_| toggle_pause()>
                    {move || if paused.get() { "▶ Resume" } else { "❚❚ Pause" }}
                    <kbd>"Space"</kbd>
                </button>
            </div>
            <Show when=move || { paused.get() && (waiting.get() > 0) }>
                <button type="button" class="button new-count" data-testid="new-count" on:click=move |_| toggle_pause()>
                    {move || format!("{} new", format_count(waiting.get() as u64))}
                </button>
            </Show>
        </header>
        <FilterBar filter=filter on_change/>
        <div class="count-strip">
            {move || {
                let (total, blocked, detected) = counts();
                view! {
                    <span><b>{format_count(total as u64)}</b>" rows (newest " {MAX_ROWS} ")"</span>
                    <span class="sep"></span>
                    <span class="tone-blocked"><b>{format_count(blocked as u64)}</b>" blocked"</span>
                    <span class="tone-detected"><b>{format_count(detected as u64)}</b>" detected"</span>
                }
            }}
            <span class="spacer"></span>
            <span class="muted">"Newest first · click a value to filter on it · ⇧ click excludes"</span>
        </div>
        <Show when=move || error.with(Option::is_some)>
            <p class="error" role="alert" data-testid="live-error">{move || error.get()}</p>
        </Show>
        <Show when=move || loaded.get() && rows.with(VecDeque::is_empty) && error.with(Option::is_none)>
            {move || if filter.with(Filter::is_empty) {
                view! { <NoEventsYet/> }.into_any()
            } else {
                view! { <p class="empty-state muted" data-testid="no-matches">"No stored event matches these filters yet; new matching events appear here as they arrive."</p> }.into_any()
            }}
        </Show>
        <div class="table-wrap" class:hidden=move || rows.with(VecDeque::is_empty)>
            <table class="events live-table" data-testid="live-table">
                <EventTableHead/>
                <tbody>
                    <For
                        each=move || rows.with(|rows| rows.iter().take(shown.get()).cloned().collect::<Vec<_>>())
                        key=|row| row.event.id
                        children=move |row| {
                            let href = with_query(&format!("/events/{}", row.event.id), &filter.get_untracked().url_query());
                            view! { <EventRow event=row.event href actions fresh=row.fresh/> }
                        }
                    />
                </tbody>
            </table>
            <Show when=move || { hidden_rows() > 0 }>
                <div class="show-more">
                    <button type="button" class="button small" data-testid="show-more" on:click=move |_| shown.update(|shown| *shown = (*shown + SHOWN_ROWS).min(MAX_ROWS))>
                        {move || format!("Show {} more of the {} buffered rows", hidden_rows().min(SHOWN_ROWS), hidden_rows())}
                    </button>
                    <span class="muted">" · older rows in " <A href=events_link>"Events"</A></span>
                </div>
            </Show>
        </div>
        <footer class="status-bar mono">
            <span class=state_class><span class="live-dot" aria-hidden="true"></span>{move || if state.get() == StreamState::Open { "Streaming" } else { state_label() }}</span>
            <span>{move || with_query("GET /api/v1/live", &live_query.get())}</span>
            <span data-testid="last-event-id">"Last-Event-ID " {move || last_event_id.get().map(|id| id.to_string()).unwrap_or_else(|| "—".to_owned())}</span>
            {move || resynced.get().map(|reason| view! { <span class="tone-detected" title=reason>"resynced"</span> })}
            <span>"buffer " {MAX_ROWS} " rows · older rows in " <A href=events_link>"Events"</A></span>
            <span class="spacer"></span>
            <span>"times in " {local_zone_label()}</span>
        </footer>
    }
}

/// The rate over the last minute as a small SVG polyline.
#[component]
fn Sparkline(points: RwSignal<VecDeque<f64>>) -> impl IntoView {
    const WIDTH: f64 = 80.0;
    const HEIGHT: f64 = 18.0;
    let path = move || {
        points.with(|points| {
            let max = points.iter().copied().fold(1.0_f64, f64::max);
            let step = WIDTH / (SPARK_POINTS - 1) as f64;
            let start = SPARK_POINTS.saturating_sub(points.len());
            points
                .iter()
                .enumerate()
                .map(|(index, value)| {
                    let x = (start + index) as f64 * step;
                    let y = HEIGHT - 1.0 - (value / max) * (HEIGHT - 2.0);
                    format!("{x:.1},{y:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    view! {
        <svg class="sparkline" width="80" height="18" viewBox="0 0 80 18" aria-hidden="true">
            <polyline points=path fill="none" stroke="currentColor" stroke-width="1.5"/>
        </svg>
    }
}
