//! The dashboard header's one-line storage summary from `GET /api/v1/storage`: file size
//! against the budget, the oldest event kept and how many days the budget holds at the last
//! day's rate. Asked when the page opens and again with the page's numbers, at most every
//! [`AT_MOST_EVERY`] (the figures move slowly).

use crate::format::storage_line;
use crate::model::StorageStatus;
use crate::ui::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

/// The least time between two storage requests, ms.
pub const AT_MOST_EVERY: f64 = 60_000.0;

/// `updated_at` changes whenever the page got new numbers.
#[component]
pub fn StorageLine(#[prop(into)] updated_at: Signal<Option<i64>>) -> impl IntoView {
    let storage = RwSignal::new(None::<StorageStatus>);
    let asked_at = StoredValue::new(None::<f64>);
    Effect::new(move |_| {
        updated_at.track();
        let now = js_sys::Date::now();
        if asked_at.get_value().is_some_and(|at| now - at < AT_MOST_EVERY) {
            return;
        }
        asked_at.set_value(Some(now));
        spawn_local(async move {
            // A failure leaves the line out; the Status page shows the details.
            if let Ok(answer) = api::get_storage().await {
                storage.set(Some(answer));
            }
        });
    });
    move || {
        storage.get().map(|storage| {
            let text = storage_line(&storage, (js_sys::Date::now() * 1000.0) as i64);
            let title = format!("{text} (details on the Status page)");
            view! { <A href="/status" attr:class="muted small storage-line" attr:data-testid="storage-line" attr:title=title>{text}</A> }
        })
    }
}
