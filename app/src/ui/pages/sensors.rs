//! Sensors: every sensor's health from `GET /api/v1/sensors`, refreshed every 15 s.

use crate::format::{format_count, format_datetime_ms, format_skew, sensor_state};
use crate::model::{SensorHealth, SensorList};
use crate::ui::api;
use crate::ui::clock::local_offset_minutes;
use crate::ui::components::empty::NoEventsYet;
use leptos::prelude::*;
use std::time::Duration;

/// How often the page asks again.
pub const REFRESH: Duration = Duration::from_secs(15);

#[component]
pub fn SensorsPage() -> impl IntoView {
    let (sensors, refresh) = api::refreshable::<SensorList>("/api/v1/sensors");
    if let Ok(timer) = set_interval_with_handle(move || refresh.update(|n| *n += 1), REFRESH) {
        on_cleanup(move || timer.clear());
    }
    view! {
        <header class="page-head">
            <h1>"Sensors"</h1>
            <button class="button" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
        </header>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || sensors.get().map(|result| match result {
                Ok(list) if list.sensors.is_empty() => view! { <NoEventsYet/> }.into_any(),
                Ok(list) => view! { <SensorTable sensors=list.sensors/> }.into_any(),
                Err(failure) => view! { <p class="error" role="alert">{failure.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// One row per sensor.
#[component]
pub fn SensorTable(sensors: Vec<SensorHealth>) -> impl IntoView {
    view! {
        <table class="events sensors" data-testid="sensor-table">
            <thead>
                <tr>
                    <th class="col-sensor-name">"Sensor"</th>
                    <th class="col-state">"State"</th>
                    <th class="col-seen">"Last seen"</th>
                    <th class="col-activity" title="events stored per minute over the last hour">"Last hour"</th>
                    <th class="num">"Total"</th>
                    <th class="num" title="uploads over the size cap, answered 409">"Rejected"</th>
                    <th class="num" title="uploads refused with 401 since the server started">"Auth failures"</th>
                    <th class="num" title="stored events whose entry had parse warnings">"Parse warnings"</th>
                    <th class="num" title="receive time minus event time of the newest event">"Clock skew"</th>
                </tr>
            </thead>
            <tbody>
                {sensors.into_iter().map(|sensor| view! { <SensorRow sensor/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SensorRow(sensor: SensorHealth) -> impl IntoView {
    let (state, tone) = sensor_state(sensor.silent_minutes);
    let seen = sensor.last_seen.map(|micros| format_datetime_ms(micros, local_offset_minutes(micros))).unwrap_or_else(|| "—".to_owned());
    let skew = sensor.clock_skew_seconds.map(format_skew).unwrap_or_else(|| "—".to_owned());
    let name = sensor.name.clone();
    view! {
        <tr data-testid="sensor-row" data-sensor=name>
            <td class="mono">{sensor.name}</td>
            <td><span class=format!("sensor-state {tone}") data-testid="sensor-state">{state}</span></td>
            <td class="mono">{seen}</td>
            <td><ActivityBars counts=sensor.events_per_minute/></td>
            <td class="mono num" data-testid="sensor-total">{format_count(sensor.events_total)}</td>
            <td class="mono num" data-testid="sensor-rejected">{format_count(sensor.rejected_uploads)}</td>
            <td class="mono num" data-testid="sensor-auth-failures">{format_count(sensor.auth_failures)}</td>
            <td class="mono num">{format_count(sensor.parse_warnings)}</td>
            <td class="mono num">{skew}</td>
        </tr>
    }
}

/// Events per minute as tiny bars (SVG, one bar per minute, oldest left).
#[component]
fn ActivityBars(counts: Vec<u64>) -> impl IntoView {
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
