//! Status: what `GET /api/v1/status` returns, for operators checking the console itself: the
//! server, then the store's size against its disk budget and retention.

use crate::format::{budget_share, format_ago, format_budget, format_bytes, format_count, format_datetime_ms, format_days, format_duration, format_retention};
use crate::model::{ServerStatus, StorageStatus};
use crate::ui::api;
use crate::ui::clock::local_offset_minutes;
use leptos::prelude::*;

/// Version, uptime, listener and data-directory size, refreshed on demand.
#[component]
pub fn StatusPage() -> impl IntoView {
    let (status, refresh) = api::refreshable::<ServerStatus>("/api/v1/status");

    view! {
        <header class="page-head">
            <h1>"Status"</h1>
            <button class="button" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
        </header>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || status.get().map(|result| match result {
                Ok(status) => view! { <StatusTable status/> }.into_any(),
                Err(failure) => view! { <p class="error" role="alert">{failure.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The status as two-column tables: the server, then its storage.
#[component]
pub fn StatusTable(status: ServerStatus) -> impl IntoView {
    let rows = vec![
        ("Version", status.version),
        ("Uptime", format_duration(status.uptime_seconds)),
        ("Listening on", format!("{}{}", status.listen, if status.tls { " (TLS)" } else { "" })),
        ("Data directory", status.data_dir),
        ("Data on disk", format_bytes(status.data_dir_bytes)),
    ];
    view! {
        <KvTable rows testid="status-table"/>
        <h2 class="section-title">"Storage"</h2>
        {status.storage.problem.clone().map(|problem| view! {
            <p class="error" data-testid="storage-problem">"Not taking uploads: " {problem}</p>
        })}
        <KvTable rows=storage_rows(&status.storage) testid="storage-table"/>
    }
}

/// The storage section's rows, as text.
fn storage_rows(storage: &StorageStatus) -> Vec<(&'static str, String)> {
    let offset = storage.oldest_received_at.map(local_offset_minutes).unwrap_or(0);
    vec![
        ("Database file", format_bytes(storage.file_bytes)),
        ("Disk budget", format_budget(storage.budget_bytes)),
        ("Budget used", budget_share(storage.file_bytes, storage.budget_bytes).unwrap_or_else(|| "—".to_owned())),
        ("Retention", format_retention(storage.retain_days)),
        ("Events kept", format_count(storage.events)),
        ("Preserved", format_count(storage.preserved)),
        (
            "Oldest event kept",
            match storage.oldest_received_at {
                Some(oldest) => format!("{} ({})", format_datetime_ms(oldest, offset), format_ago(oldest, (js_sys::Date::now() * 1000.0) as i64)),
                None => "—".to_owned(),
            },
        ),
        ("Bytes per event", storage.bytes_per_event.map(format_bytes).unwrap_or_else(|| "—".to_owned())),
        ("Events last 24 h", format_count(storage.events_last_day)),
        (
            "Budget holds",
            match storage.days_in_budget {
                Some(days) => format!("{} at the last day's rate", format_days(days)),
                None => "—".to_owned(),
            },
        ),
    ]
}

#[component]
fn KvTable(rows: Vec<(&'static str, String)>, testid: &'static str) -> impl IntoView {
    view! {
        <table class="kv" data-testid=testid>
            <tbody>
                {rows.into_iter().map(|(label, value)| view! {
                    <tr><th scope="row">{label}</th><td class="mono">{value}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
