//! Status: what `GET /api/v1/status` returns, for operators checking the console itself.

use crate::format::{format_bytes, format_duration};
use crate::model::ServerStatus;
use crate::ui::api;
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

/// The status as a two-column table.
#[component]
pub fn StatusTable(status: ServerStatus) -> impl IntoView {
    let rows = [
        ("Version", status.version),
        ("Uptime", format_duration(status.uptime_seconds)),
        ("Listening on", format!("{}{}", status.listen, if status.tls { " (TLS)" } else { "" })),
        ("Data directory", status.data_dir),
        ("Data on disk", format_bytes(status.data_dir_bytes)),
    ];
    view! {
        <table class="kv" data-testid="status-table">
            <tbody>
                {rows.into_iter().map(|(label, value)| view! {
                    <tr><th scope="row">{label}</th><td class="mono">{value}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
