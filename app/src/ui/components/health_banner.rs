//! The banner every page shows while `/api/v1/health` is not ok (storage cannot take uploads:
//! a full disk, failing writes, a restarting writer). Health is asked every [`POLL`]; the
//! banner goes away by itself once the answer is ok again. The reason is shown as text.

use crate::format::format_ago;
use crate::model::Health;
use crate::ui::api;
use leptos::prelude::*;
use std::time::Duration;

/// How often health is asked.
pub const POLL: Duration = Duration::from_secs(10);

/// Nothing while healthy (or while the server cannot be reached: pages say that themselves);
/// `role="alert"` with the server's reason otherwise.
#[component]
pub fn HealthBanner() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    if let Ok(timer) = set_interval_with_handle(move || tick.update(|n| *n += 1), POLL) {
        on_cleanup(move || timer.clear());
    }
    let health = LocalResource::new(move || {
        tick.track();
        api::get_health()
    });
    // The last answer stays until the next one arrives, so the banner does not blink.
    let shown = RwSignal::new(None::<Health>);
    Effect::new(move |_| {
        if let Some(result) = health.get() {
            shown.set(result.ok().filter(|health| health.status != "ok"));
        }
    });
    move || shown.get().map(|health| view! { <HealthNotice health/> })
}

/// The banner for a health answer that is not ok (a component of its own so it can be tested
/// without a server).
#[component]
pub fn HealthNotice(health: Health) -> impl IntoView {
    let since = health.since.map(|since| format!(" (since {})", format_ago(since, (js_sys::Date::now() * 1000.0) as i64)));
    let reason = health.reason.unwrap_or_else(|| health.status.clone());
    view! {
        <div class="health-banner" role="alert" data-testid="health-banner">
            <b>"Storage is not taking uploads"</b>
            <span>": "</span>
            <span data-testid="health-reason">{reason}</span>
            <span class="muted">{since}</span>
        </div>
    }
}
