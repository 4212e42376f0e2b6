//! Dashboard: the picture before the details, from `GET /api/v1/stats` for the window and the
//! filters in the URL (`range=15m|1h|24h|7d`, default 24 h, or `from`/`to`; field filters as on
//! Events, so a view is bookmarkable): totals by action, the stacked timeline, the anomaly-score
//! histogram and the top lists, under the sensor health strip; the header says how full storage
//! is. Every row, bar and bin opens Events with that filter added.
//!
//! A relative window stays current from the live stream's `event: stats` (the stream is opened
//! for stats only): when the server's count of stored events changes, the numbers are asked
//! again, throttled by [`LiveRefresh`]. A custom window is fixed and not refreshed.

use crate::chart_math::{bin_label, share_label, span_label};
use crate::dashboard::{self, LiveRefresh, TopList, events_href, events_href_with, is_relative};
use crate::filters::{Condition, Field, Filter, Preset, TimeRange, with_query};
use crate::format::{format_count, format_rate, format_time_ms};
use crate::model::{SessionInfo, StatsAnswer};
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure, LiveMessage, LiveStream};
use crate::ui::clock::{local_offset_minutes, local_zone_label, now_seconds};
use crate::ui::components::charts::ActionLegend;
use crate::ui::components::charts::bar_list::TopListPanel;
use crate::ui::components::charts::histogram::ScoreHistogram;
use crate::ui::components::charts::timeline::Timeline;
use crate::ui::components::filter_bar::{FilterBar, use_url_filter};
use crate::ui::components::range_picker::RangePicker;
use crate::ui::components::sensor_strip::SensorStrip;
use crate::ui::components::storage_line::StorageLine;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use std::sync::Arc;
use std::time::Duration;

/// Wait before reopening a stream the server closed.
const REOPEN_AFTER: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq, Eq)]
enum StreamState {
    /// A custom window: nothing to follow.
    Off,
    Connecting,
    Open,
    Reconnecting,
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let (filter, on_change) = use_url_filter();
    let answer = RwSignal::new(None::<Arc<StatsAnswer>>);
    let error = RwSignal::new(None::<String>);
    let updated_at = RwSignal::new(None::<i64>);
    let stream_state = RwSignal::new(StreamState::Off);
    let rate = RwSignal::new(None::<f64>);
    let reopen = RwSignal::new(0u32);
    let epoch = StoredValue::new(0u64);
    let live = StoredValue::new(LiveRefresh::default());
    let stream = StoredValue::new_local(None::<LiveStream>);
    let relative = Memo::new(move |_| filter.with(is_relative));
    // kept across refreshes of the numbers (the body is rebuilt with each answer)
    let hide_scoring = RwSignal::new(true);

    let fetch = move || {
        let generation = epoch.get_value();
        let query = dashboard::stats_query(&filter.get_untracked(), now_seconds());
        live.update_value(|live| live.started(js_sys::Date::now()));
        spawn_local(async move {
            let result = api::get_stats(&query).await;
            if epoch.get_value() != generation {
                return;
            }
            live.update_value(LiveRefresh::finished);
            match result {
                Ok(stats) => {
                    error.set(None);
                    answer.set(Some(Arc::new(stats)));
                    updated_at.set(Some((js_sys::Date::now() * 1000.0) as i64));
                }
                Err(ApiFailure::Unauthorized) => session.set(None),
                // The last numbers stay on screen under the error.
                Err(failure) => error.set(Some(failure.to_string())),
            }
        });
    };

    Effect::new(move |_| {
        filter.track();
        epoch.update_value(|n| *n += 1);
        answer.set(None);
        error.set(None);
        fetch();
    });

    let on_message = move |message: LiveMessage| match message {
        LiveMessage::Open => stream_state.set(StreamState::Open),
        LiveMessage::Stats(stats) => {
            rate.set(Some(stats.events_per_second));
            let due = live.try_update_value(|live| live.on_stats(stats.published_since_start, js_sys::Date::now())).unwrap_or(false);
            if due && relative.get_untracked() {
                fetch();
            }
        }
        LiveMessage::Error { closed: false } => stream_state.set(StreamState::Reconnecting),
        LiveMessage::Error { closed: true } => {
            stream_state.set(StreamState::Reconnecting);
            spawn_local(async move {
                match api::get_json::<SessionInfo>("/api/v1/session").await {
                    Err(ApiFailure::Unauthorized) => session.set(None),
                    _ => set_timeout(move || reopen.update(|n| *n += 1), REOPEN_AFTER),
                }
            });
        }
        // Opened for stats only: no event arrives; a resync ends the stream and it reconnects.
        LiveMessage::Event(_) | LiveMessage::Resync(_) => {}
    };
    Effect::new(move |_| {
        reopen.track();
        stream.set_value(None);
        if !relative.get() {
            stream_state.set(StreamState::Off);
            return;
        }
        stream_state.set(StreamState::Connecting);
        match api::open_live_stats(on_message) {
            Ok(opened) => stream.set_value(Some(opened)),
            Err(failure) => {
                stream_state.set(StreamState::Reconnecting);
                error.set(Some(failure.to_string()));
            }
        }
    });
    on_cleanup(move || {
        epoch.set_value(u64::MAX);
        stream.set_value(None);
    });

    let window = Signal::derive(move || answer.with(|answer| answer.as_ref().map(|answer| (answer.from, answer.to))));
    let window_label =
        move || window.get().map(|(from, to)| format!("{} {}", span_label(from, to, local_offset_minutes(to)), local_zone_label())).unwrap_or_default();

    view! {
        <header class="page-head dash-head">
            <h1>"Dashboard"</h1>
            <RangePicker filter on_change window/>
            <span class="mono muted dash-window" data-testid="dashboard-window">{window_label}</span>
            <span class="spacer"></span>
            <LiveBadge state=stream_state rate updated_at/>
            <StorageLine updated_at/>
        </header>
        <FilterBar filter on_change/>
        <SensorStrip filter/>
        <Show when=move || error.with(Option::is_some)>
            <p class="error" role="alert" data-testid="dashboard-error">{move || error.get()}</p>
        </Show>
        {move || match answer.get() {
            None => error.with(Option::is_none).then(|| view! { <p class="muted">"Loading…"</p> }).into_any(),
            Some(answer) if answer.totals.total == 0 => view! { <NoEventsInWindow filter=filter.get_untracked() live=relative.get_untracked()/> }.into_any(),
            Some(answer) => view! { <DashboardBody answer filter=filter.get_untracked() hide_scoring/> }.into_any(),
        }}
    }
}

/// "● Live · updated 12:03:04" for a relative window, "Fixed range" for a custom one.
#[component]
fn LiveBadge(state: RwSignal<StreamState>, rate: RwSignal<Option<f64>>, updated_at: RwSignal<Option<i64>>) -> impl IntoView {
    let (label, class) = (
        move || match state.get() {
            StreamState::Off => "Fixed range",
            StreamState::Connecting => "Connecting…",
            StreamState::Open => "Live",
            StreamState::Reconnecting => "Reconnecting…",
        },
        move || match state.get() {
            StreamState::Open => "live-indicator open",
            StreamState::Reconnecting => "live-indicator paused",
            _ => "live-indicator down",
        },
    );
    let updated = move || updated_at.get().map(|micros| format!("updated {}", &format_time_ms(micros, local_offset_minutes(micros))[..8]));
    view! {
        <div class=class data-testid="dashboard-live" title="relative windows refresh when new events are stored (at most every 3 s)">
            <span class="live-dot" aria-hidden="true"></span>
            <span class="live-label">{label}</span>
            <Show when=move || state.get() == StreamState::Open>
                <span class="rate mono">{move || rate.get().map(format_rate).unwrap_or_else(|| "…".to_owned())}</span>
                <span class="muted">"ev/s"</span>
            </Show>
            <span class="muted small" data-testid="dashboard-updated">{updated}</span>
        </div>
    }
}

/// Nothing counted in the window: say so and offer wider views.
#[component]
fn NoEventsInWindow(filter: Filter, live: bool) -> impl IntoView {
    let wider = |preset: Preset| with_query("/dashboard", &filter.with_range(TimeRange::Last(preset)).url_query());
    let all_events = with_query("/events", &filter.with_range(TimeRange::All).url_query());
    let filtered = !filter.conditions.is_empty();
    let unfiltered = with_query("/dashboard", &Filter { conditions: Vec::new(), range: filter.range.clone() }.url_query());
    view! {
        <section class="empty-state" data-testid="dashboard-empty">
            <h2>"No events in this window"</h2>
            <p>
                {if filtered { "Nothing stored matches these filters in the chosen time range. " } else { "No event happened in the chosen time range. " }}
                {live.then_some("New events show up here as they are stored.")}
            </p>
            <p class="empty-actions">
                "Widen the range: " <A href=wider(Preset::Hours24)>"last 24 h"</A> " · " <A href=wider(Preset::Days7)>"last 7 d"</A>
                {filtered.then(|| view! { " · " <A href=unfiltered>"without filters"</A> })}
                " · or pick a custom window with " <b>"Custom…"</b> " (older imports) · " <A href=all_events>"all matching events"</A>
            </p>
            <p class="muted">"No event stored at all yet? The Live page shows how to connect a sensor."</p>
        </section>
    }
}

#[component]
fn DashboardBody(answer: Arc<StatsAnswer>, filter: Filter, hide_scoring: RwSignal<bool>) -> impl IntoView {
    let offset = local_offset_minutes(answer.to);
    let totals = answer.totals;
    let action_card = |label: &'static str, count: u64, tone: &'static str| {
        let href = events_href_with(&filter, Condition::new(Field::Action, label));
        view! {
            <A href=href attr:class=format!("kpi kpi-{label}") attr:data-testid=format!("kpi-{label}")>
                <span class="label">{tone}</span>
                <span class="kpi-value">{format_count(count)}</span>
                <span class="muted small">{share_label(count, totals.total)} " of events"</span>
            </A>
        }
    };
    let lists = TopList::ALL
        .into_iter()
        .map(|list| {
            let answer = answer.clone();
            // only the rule list has the switch (and follows it)
            let switch = (list == TopList::Rules).then_some(hide_scoring);
            let entries = Signal::derive(move || list.shown(&answer, switch.is_some_and(|hide| hide.get())));
            view! { <TopListPanel list entries filter=filter.clone() hide_scoring=switch/> }
        })
        .collect_view();
    view! {
        <div class="kpis">
            <A href=events_href(&filter) attr:class="kpi" attr:data-testid="kpi-total">
                <span class="label">"Events"</span>
                <span class="kpi-value">{format_count(totals.total)}</span>
                <span class="muted small">"in this window"</span>
            </A>
            {action_card("blocked", totals.blocked, "Blocked")}
            {action_card("detected", totals.detected, "Detected")}
            {action_card("passed", totals.passed, "Passed")}
            <div class="kpi-note muted small">
                <span>"bins of " {bin_label(answer.bin_seconds)} " · from " {answer.source.clone()}</span>
                {(!answer.complete).then(|| view! {
                    <span class="tone-detected" data-testid="stats-partial">"partial: the scan stopped at its budget, counts are a lower bound"</span>
                })}
            </div>
        </div>
        <div class="dash-charts">
            <section class="panel chart-panel">
                <header class="panel-head">
                    <h2>"Events over time"</h2>
                    <span class="muted">"stacked by action · click a bar for its events"</span>
                    <span class="spacer"></span>
                    <ActionLegend filter=filter.clone()/>
                </header>
                <Timeline answer=answer.clone() filter=filter.clone() offset_minutes=offset/>
            </section>
            <section class="panel chart-panel">
                <header class="panel-head">
                    <h2>"Anomaly score"</h2>
                    <span class="muted">"inbound, per event"</span>
                </header>
                <ScoreHistogram scores=answer.scores.clone() filter=filter.clone()/>
            </section>
        </div>
        <div class="top-lists">{lists}</div>
    }
}
