//! Sensor health in the console's frame: one `GET /api/v1/sensors` resource for the signed-in
//! console ([`SensorFeed`], refreshed every [`REFRESH`] and when a page asks), read by the
//! navigation's silent badge, the dashboard's strip and the Sensors page.
//!
//! The strip says how many sensors are sending, then each sensor (silent ones first, at most
//! [`STRIP_MAX`]) with its state, recent rate, last event and last hour's activity, and the
//! uploads refused across all of them. A sensor opens the dashboard narrowed to it; the rest
//! is on the Sensors page.

use crate::filters::{Condition, Field, Filter, with_query};
use crate::format::{SILENT_AFTER_MINUTES, format_count, sensor_state};
use crate::model::{SensorHealth, SensorList};
use crate::sensor_health::{STRIP_MAX, last_seen_label, rate_label, recent_rate, reporting, silent_count, strip_order};
use crate::ui::api::{self, ApiFailure};
use leptos::prelude::*;
use leptos_router::components::A;
use std::time::Duration;

/// How often sensor health is asked again.
pub const REFRESH: Duration = Duration::from_secs(15);

/// The console's one sensor health resource (in context below the Shell).
#[derive(Clone, Copy)]
pub struct SensorFeed {
    pub list: LocalResource<Result<SensorList, ApiFailure>>,
    refresh: RwSignal<u32>,
}

impl SensorFeed {
    /// Creates the resource and its timer for the current owner and provides it to children.
    pub fn provide() -> SensorFeed {
        let (list, refresh) = api::refreshable::<SensorList>("/api/v1/sensors");
        if let Ok(timer) = set_interval_with_handle(move || refresh.update(|n| *n += 1), REFRESH) {
            on_cleanup(move || timer.clear());
        }
        let feed = SensorFeed { list, refresh };
        provide_context(feed);
        feed
    }

    pub fn expect() -> SensorFeed {
        expect_context::<SensorFeed>()
    }

    /// Asks again now (a page opened, a sensor changed, the Refresh button).
    pub fn refresh(&self) {
        self.refresh.update(|n| *n += 1);
    }
}

#[component]
pub fn SensorStrip(#[prop(into)] filter: Signal<Filter>) -> impl IntoView {
    let feed = SensorFeed::expect();
    feed.refresh();
    let sensors = feed.list;
    view! {
        <Transition fallback=|| ()>
            {move || sensors.get().map(|result| match result {
                Ok(list) => view! { <Strip sensors=list.sensors filter=filter.get()/> }.into_any(),
                Err(failure) => view! { <p class="error small" role="alert">"sensor health: " {failure.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// `● 2` beside Sensors in the navigation while sensors are silent, on every page.
#[component]
pub fn SilentBadge() -> impl IntoView {
    let sensors = SensorFeed::expect().list;
    let silent = move || sensors.with(|answer| answer.as_ref().and_then(|result| result.as_ref().ok()).map_or(0, |list| silent_count(&list.sensors)));
    move || {
        let count = silent();
        (count > 0).then(|| {
            let title = format!("{count} sensor(s) silent for {SILENT_AFTER_MINUTES} min or more");
            view! { <span class="nav-badge silent" data-testid="nav-silent" title=title>"● " {count}</span> }
        })
    }
}

#[component]
fn Strip(sensors: Vec<SensorHealth>, filter: Filter) -> impl IntoView {
    if sensors.is_empty() {
        return view! {
            <section class="panel sensor-strip" data-testid="sensor-strip">
                <div class="strip-head"><span class="strip-title">"Sensor health"</span></div>
                <div class="strip-tail"><span class="muted">"No sensor yet. "</span><A href="/sensors">"Add one on the Sensors page →"</A></div>
            </section>
        }
        .into_any();
    }
    let (sending, total) = reporting(&sensors);
    let now = (js_sys::Date::now() * 1000.0) as i64;
    let rejected: u64 = sensors.iter().map(|sensor| sensor.rejected_uploads).sum();
    let refused: u64 = sensors.iter().map(|sensor| sensor.auth_failures).sum();
    let ordered = strip_order(&sensors);
    let more = ordered.len().saturating_sub(STRIP_MAX);
    let items = ordered
        .into_iter()
        .take(STRIP_MAX)
        .map(|sensor| {
            let (state, tone) = sensor_state(sensor.silent_minutes);
            let name = sensor.name.clone();
            let href = with_query("/dashboard", &filter.with(Condition::new(Field::Sensor, &name)).url_query());
            let title = format!("{name}: {} events in all\nclick to see only its events", format_count(sensor.events_total));
            let rate = rate_label(recent_rate(&sensor.events_per_minute));
            let seen = last_seen_label(sensor.last_seen, now);
            let activity = sensor.events_per_minute.clone();
            let shown = name.clone();
            view! {
                <A href=href attr:class=format!("strip-sensor {tone}") attr:data-testid="strip-sensor" attr:data-sensor=name attr:title=title>
                    <span class="strip-line">
                        <span class=format!("strip-dot {tone}") aria-hidden="true"></span>
                        <span class="mono strip-name">{shown}</span>
                        <span class=format!("sensor-state {tone}") data-testid="strip-state">{state}</span>
                    </span>
                    <span class="strip-line muted small">
                        <span class="mono">{rate}</span>
                        " · " {seen}
                    </span>
                    <ActivityBars counts=activity/>
                </A>
            }
        })
        .collect_view();
    view! {
        <section class="panel sensor-strip" data-testid="sensor-strip">
            <div class="strip-head">
                <span class="strip-title">"Sensor health"</span>
                <span class="muted small" data-testid="strip-reporting">{format!("{sending} of {total} sending")}</span>
            </div>
            {items}
            {(more > 0).then(|| view! { <A href="/sensors" attr:class="strip-more small">{format!("+{more} more")}</A> })}
            <div class="strip-tail small">
                <span><span class="muted">"rejected uploads "</span><span class="mono" data-testid="strip-rejected">{format_count(rejected)}</span></span>
                <span><span class="muted">"auth failures "</span><span class="mono" data-testid="strip-auth-failures">{format_count(refused)}</span></span>
                <A href="/sensors">"Sensors →"</A>
            </div>
        </section>
    }
    .into_any()
}

/// Events per minute as tiny bars (SVG, one bar per minute, oldest left).
#[component]
pub fn ActivityBars(counts: Vec<u64>) -> impl IntoView {
    const HEIGHT: f64 = 16.0;
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = (counts.len() * 2).max(2);
    let total: u64 = counts.iter().sum();
    let bars = counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(index, count)| {
            let height = (*count as f64 / max * HEIGHT).max(1.0);
            view! { <rect x=(index * 2).to_string() y=format!("{:.1}", HEIGHT - height) width="1.5" height=format!("{height:.1}")/> }
        })
        .collect_view();
    view! {
        <svg class="activity" width=width.to_string() height="16" viewBox=format!("0 0 {width} 16") role="img" aria-label=format!("{total} events in the last hour")>
            {bars}
        </svg>
    }
}
