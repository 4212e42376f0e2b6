//! Events: search the stored events. The filter is the URL query (bookmarkable); pages come
//! newest first with cursor pagination (`next_before`, the "Older" button); `j`/`k` move the
//! keyboard cursor, Enter opens the event; a click on a value adds it to the filter; analysts
//! can preserve every event the filter selects.

use crate::filters::{Filter, with_query};
use crate::format::format_count;
use crate::model::EventSummary;
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure};
use crate::ui::clock::{local_zone_label, now_seconds};
use crate::ui::components::empty::{NoEventsYet, NoMatches};
use crate::ui::components::event_table::{EventRow, EventTableHead, RowActions};
use crate::ui::components::filter_bar::{FilterBar, use_url_filter};
use crate::ui::components::preserve::PreserveMatching;
use crate::ui::components::saved_views::SaveView;
use crate::ui::components::triage_matching::TriageMatching;
use crate::ui::keys::not_for_shortcuts;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use std::sync::Arc;

/// Events per request.
pub const PAGE_SIZE: usize = 100;

#[component]
pub fn EventsPage() -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let (filter, on_change) = use_url_filter();
    let navigate = use_navigate();

    let rows = RwSignal::new(Vec::<Arc<EventSummary>>::new());
    let next_before = RwSignal::new(None::<u64>);
    let loading = RwSignal::new(false);
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let cursor = RwSignal::new(None::<u64>);
    // The API query of the first page, so "Older" continues with the same resolved time range.
    let api_query = StoredValue::new(String::new());
    let epoch = StoredValue::new(0u64);

    let load = move |before: Option<u64>| {
        let generation = epoch.get_value();
        let query = api_query.get_value();
        loading.set(true);
        spawn_local(async move {
            let result = api::list_events(&query, before, PAGE_SIZE).await;
            if epoch.get_value() != generation {
                return;
            }
            loading.set(false);
            loaded.set(true);
            match result {
                Ok(page) => {
                    rows.update(|rows| rows.extend(page.events.into_iter().map(Arc::new)));
                    next_before.set(page.next_before);
                }
                Err(ApiFailure::Unauthorized) => session.set(None),
                Err(failure) => {
                    next_before.set(None);
                    error.set(Some(failure.to_string()));
                }
            }
        });
    };

    // From the first page again, with the same resolved time range (after "Preserve all").
    let reload = move || {
        epoch.update_value(|n| *n += 1);
        rows.set(Vec::new());
        next_before.set(None);
        cursor.set(None);
        error.set(None);
        loaded.set(false);
        load(None);
    };

    Effect::new(move |_| {
        let filter = filter.get();
        api_query.set_value(filter.api_query(now_seconds(), true));
        reload();
    });

    let open = {
        let navigate = navigate.clone();
        move |id: u64| navigate(&with_query(&format!("/events/{id}"), &filter.get_untracked().url_query()), NavigateOptions::default())
    };
    let actions =
        RowActions { on_filter: Callback::new(move |condition| on_change.run(filter.get_untracked().with(condition))), on_open: Callback::new(open.clone()) };

    let move_cursor = move |delta: isize| {
        let ids: Vec<u64> = rows.with_untracked(|rows| rows.iter().map(|event| event.id).collect());
        if ids.is_empty() {
            return;
        }
        let current = cursor.get_untracked().and_then(|id| ids.iter().position(|&other| other == id));
        let next = match current {
            None => 0,
            Some(index) => (index as isize + delta).clamp(0, ids.len() as isize - 1) as usize,
        };
        cursor.set(Some(ids[next]));
        scroll_row_into_view(ids[next]);
    };
    let keys = window_event_listener(ev::keydown, move |event| {
        if not_for_shortcuts(&event) {
            return;
        }
        match event.key().as_str() {
            "j" | "ArrowDown" => {
                event.prevent_default();
                move_cursor(1);
            }
            "k" | "ArrowUp" => {
                event.prevent_default();
                move_cursor(-1);
            }
            "Enter" => {
                if let Some(id) = cursor.get_untracked() {
                    event.prevent_default();
                    open(id);
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <header class="page-head">
            <h1>"Events"</h1>
            <span class="muted">"times in " {local_zone_label()}</span>
        </header>
        <FilterBar filter=filter on_change with_time=true/>
        <div class="count-strip">
            <span data-testid="events-count">
                <b>{move || format_count(rows.with(Vec::len) as u64)}</b>
                {move || if next_before.get().is_some() { " events loaded (more are older)" } else { " events" }}
            </span>
            <span class="spacer"></span>
            <PreserveMatching
                filter=filter
                query=Callback::new(move |()| api_query.get_value())
                on_done=Callback::new(move |()| reload())
            />
            <TriageMatching filter=filter query=Callback::new(move |()| api_query.get_value()) on_done=Callback::new(move |()| reload())/>
            <SaveView query=Callback::new(move |()| filter.get_untracked().url_query())/>
            <span class="muted">"Newest first"</span>
            <span class="keys muted"><kbd>"j"</kbd><kbd>"k"</kbd>" move "<kbd>"↵"</kbd>" open "<kbd>"f"</kbd>" filter"</span>
        </div>
        <Show when=move || error.with(Option::is_some)>
            <p class="error" role="alert" data-testid="events-error">{move || error.get()}</p>
        </Show>
        <Show when=move || loaded.get() && rows.with(Vec::is_empty) && error.with(Option::is_none) && next_before.get().is_none()>
            {move || if filter.with(Filter::is_empty) { view! { <NoEventsYet/> }.into_any() } else { view! { <NoMatches/> }.into_any() }}
        </Show>
        <div class="table-wrap" class:hidden=move || rows.with(Vec::is_empty)>
            <table class="events" data-testid="events-table">
                <EventTableHead with_date=true/>
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|event| event.id
                        children=move |event| {
                            let id = event.id;
                            let href = with_query(&format!("/events/{id}"), &filter.get_untracked().url_query());
                            let is_cursor = Signal::derive(move || cursor.get() == Some(id));
                            view! { <EventRow event href actions with_date=true cursor=is_cursor/> }
                        }
                    />
                </tbody>
            </table>
        </div>
        <div class="pager">
            <Show when=move || next_before.get().is_some()>
                <button
                    type="button"
                    class="button"
                    data-testid="older"
                    disabled=move || loading.get()
                    on:click=move |_| load(next_before.get_untracked())
                >
                    {move || if rows.with(Vec::is_empty) { "Keep searching older events" } else { "Older" }}
                </button>
            </Show>
            <Show when=move || loading.get()>
                <span class="muted">"Loading…"</span>
            </Show>
        </div>
    }
}

fn scroll_row_into_view(id: u64) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else { return };
    if let Ok(Some(row)) = document.query_selector(&format!("tr[data-id=\"{id}\"]")) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        row.scroll_into_view_with_scroll_into_view_options(&options);
    }
}
