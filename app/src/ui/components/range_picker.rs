//! The Dashboard's time range: preset buttons (15 min, 1 h, 24 h, 7 d) and a custom window
//! picked with two `datetime-local` inputs in the browser's zone, written to the URL as
//! `from`/`to` in RFC 3339 UTC.

use crate::dashboard::{custom_range, datetime_local_value, preset, preset_button_label};
use crate::filters::{Filter, Preset, TimeRange};
use crate::ui::clock::{local_offset_minutes, now_seconds};
use leptos::prelude::*;

/// `window` is the (from, to) µs of the answer shown, used to prefill the custom inputs.
#[component]
pub fn RangePicker(#[prop(into)] filter: Signal<Filter>, on_change: Callback<Filter>, #[prop(into)] window: Signal<Option<(i64, i64)>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let from_input = NodeRef::<leptos::html::Input>::new();
    let to_input = NodeRef::<leptos::html::Input>::new();
    let selected = move || filter.with(preset);
    let custom = move || filter.with(|filter| matches!(filter.range, TimeRange::Between { .. }));

    let initial = move |pick_to: bool| {
        let now = now_seconds() * 1_000_000;
        let (from, to) = window.get_untracked().unwrap_or((now - 86_400_000_000, now));
        let instant = if pick_to { to } else { from };
        datetime_local_value(instant, local_offset_minutes(instant))
    };
    let apply = move || {
        let read = |input: NodeRef<leptos::html::Input>| input.get_untracked().map(|input| input.value()).unwrap_or_default();
        match custom_range(&read(from_input), &read(to_input), local_offset_minutes) {
            Ok(range) => {
                error.set(None);
                open.set(false);
                on_change.run(filter.get_untracked().with_range(range));
            }
            Err(message) => error.set(Some(message)),
        }
    };
    let buttons = Preset::ALL.map(|choice| {
        view! {
            <button
                type="button"
                class:active=move || selected() == Some(choice)
                aria-pressed=move || if selected() == Some(choice) { "true" } else { "false" }
                data-testid=format!("range-{}", choice.key())
                on:click=move |_| {
                    open.set(false);
                    on_change.run(filter.get_untracked().with_range(TimeRange::Last(choice)));
                }
            >
                {preset_button_label(choice)}
            </button>
        }
    });

    view! {
        <div class="range-picker">
            <div class="segmented range-presets" role="group" aria-label="Time range">
                {buttons.into_iter().collect_view()}
                <button type="button" class:active=custom data-testid="range-custom" aria-expanded=move || if open.get() { "true" } else { "false" } on:click=move |_| open.update(|open| *open = !*open)>
                    "Custom…"
                </button>
            </div>
            <Show when=move || open.get()>
                <form class="custom-range" data-testid="custom-range" on:submit=move |event| { event.prevent_default(); apply(); }>
                    <label>"From " <input node_ref=from_input type="datetime-local" data-testid="custom-from" value=initial(false)/></label>
                    <label>"to " <input node_ref=to_input type="datetime-local" data-testid="custom-to" value=initial(true)/></label>
                    <button type="submit" class="button small primary">"Apply"</button>
                    <button type="button" class="button small ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                    {move || error.get().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                </form>
            </Show>
        </div>
    }
}
