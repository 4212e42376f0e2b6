//! The filter bar of Live and Events: time-range presets, `field:value` chips (click the label
//! to invert with `!`, × to remove) and a text input (`f` focuses it). The filter lives in the
//! page URL, so a view can be bookmarked; [`use_url_filter`] connects the two.

use crate::filters::{Condition, Filter, Preset, TimeRange, with_query};
use crate::ui::components::icons::{Icon, IconSvg};
use crate::ui::keys::not_for_shortcuts;
use leptos::ev;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

/// The filter in the current URL's query, and a callback that navigates to the same page with
/// another filter.
pub fn use_url_filter() -> (Memo<Filter>, Callback<Filter>) {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|query| Filter::from_pairs(query.latest_values().map(|(name, value)| (name.as_ref(), value)))));
    let navigate = use_navigate();
    let pathname = use_location().pathname;
    let on_change = Callback::new(move |next: Filter| {
        navigate(&with_query(&pathname.get_untracked(), &next.url_query()), NavigateOptions::default());
    });
    (filter, on_change)
}

/// The bar; `with_time` adds the time-range presets (Events; Live is always "now").
#[component]
pub fn FilterBar(#[prop(into)] filter: Signal<Filter>, on_change: Callback<Filter>, #[prop(optional)] with_time: bool) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let focus_key = window_event_listener(ev::keydown, move |event| {
        if event.key() == "f" && !not_for_shortcuts(&event) {
            event.prevent_default();
            if let Some(input) = input.get_untracked() {
                let _ = input.focus();
            }
        }
    });
    on_cleanup(move || focus_key.remove());

    let submit = move || {
        let typed = text.get_untracked();
        if typed.trim().is_empty() {
            return;
        }
        match Condition::parse_input(&typed) {
            Ok(condition) => {
                error.set(None);
                text.set(String::new());
                on_change.run(filter.get_untracked().with(condition));
            }
            Err(message) => error.set(Some(message)),
        }
    };
    let on_key = move |event: web_sys::KeyboardEvent| match event.key().as_str() {
        "Enter" => {
            event.prevent_default();
            submit();
        }
        "Escape" => {
            text.set(String::new());
            error.set(None);
            if let Some(input) = input.get_untracked() {
                let _ = input.blur();
            }
        }
        "Backspace" if text.get_untracked().is_empty() => {
            let current = filter.get_untracked();
            if let Some(last) = current.conditions.last() {
                on_change.run(current.without(last.field));
            }
        }
        _ => {}
    };

    view! {
        <div class="filter-bar" data-testid="filter-bar">
            {with_time.then(|| view! { <TimeRangeSelect filter on_change/> })}
            <div class="filter-box">
                <span class="filter-icon"><IconSvg icon=Icon::Filter/></span>
                <For
                    each=move || filter.get().conditions
                    key=|condition| condition.chip_text()
                    children=move |condition| view! { <Chip condition filter on_change/> }
                />
                <input
                    node_ref=input
                    class="filter-input mono"
                    type="text"
                    data-testid="filter-input"
                    aria-label="Add filter"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="Add filter…  sensor: host: ip: rule: severity: status: action: method: path: score:  ·  ! inverts"
                    prop:value=move || text.get()
                    on:input=move |event| text.set(event_target_value(&event))
                    on:keydown=on_key
                />
                <kbd class="hint" title="f focuses the filter">"f"</kbd>
            </div>
            <Show when=move || filter.with(|filter| !filter.conditions.is_empty())>
                <button
                    type="button"
                    class="button ghost"
                    on:click=move |_| on_change.run(Filter { conditions: Vec::new(), range: filter.get_untracked().range })
                >
                    "Clear"
                </button>
            </Show>
        </div>
        <Show when=move || error.with(Option::is_some)>
            <p class="error filter-error" role="alert" data-testid="filter-error">{move || error.get()}</p>
        </Show>
    }
}

/// `sensor:web-01` with invert and remove.
#[component]
fn Chip(condition: Condition, filter: Signal<Filter>, on_change: Callback<Filter>) -> impl IntoView {
    let field = condition.field;
    let text = condition.chip_text();
    view! {
        <span class="chip-filter" class:negated=condition.negated data-testid="filter-chip">
            <button
                type="button"
                class="chip-label mono"
                title=if condition.negated { "click to include again" } else { "click to invert (!)" }
                on:click=move |_| on_change.run(filter.get_untracked().inverted(field))
            >
                {text.clone()}
            </button>
            <button
                type="button"
                class="chip-remove"
                aria-label=format!("remove {text}")
                on:click=move |_| on_change.run(filter.get_untracked().without(field))
            >
                "×"
            </button>
        </span>
    }
}

/// Presets 15 min, 1 h, 24 h, 7 d and all time; explicit `from`/`to` from the URL show as
/// "Custom".
#[component]
fn TimeRangeSelect(filter: Signal<Filter>, on_change: Callback<Filter>) -> impl IntoView {
    let key = move || match filter.with(|filter| filter.range.clone()) {
        TimeRange::All => "all".to_owned(),
        TimeRange::Last(preset) => preset.key().to_owned(),
        TimeRange::Between { .. } => "custom".to_owned(),
    };
    let custom_label = move || match filter.with(|filter| filter.range.clone()) {
        TimeRange::Between { from, to } => Some(format!("{} → {}", from.unwrap_or_default(), to.unwrap_or_else(|| "now".to_owned()))),
        _ => None,
    };
    let change = move |event: web_sys::Event| {
        let value = event_target_value(&event);
        let range = match value.as_str() {
            "custom" => return,
            "all" => TimeRange::All,
            key => Preset::from_key(key).map(TimeRange::Last).unwrap_or_default(),
        };
        on_change.run(filter.get_untracked().with_range(range));
    };
    view! {
        <label class="time-range">
            <span class="visually-hidden">"Time range"</span>
            <select data-testid="time-range" on:change=change>
                {Preset::ALL.map(|preset| view! {
                    <option value=preset.key() selected=move || key() == preset.key()>{preset.label()}</option>
                })}
                <option value="all" selected=move || key() == "all">"All time"</option>
                {move || custom_label().map(|label| view! { <option value="custom" selected=true>{label}</option> })}
            </select>
        </label>
    }
}
