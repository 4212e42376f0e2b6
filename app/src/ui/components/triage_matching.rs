//! The Events page's "Triage all matching" (analysts and admins): a state and tags applied to
//! every event the filter selects, as a job on the server whose progress shows until it ends.

use crate::filters::Filter;
use crate::format::format_count;
use crate::model::{TriageChange, TriageJob, TriageState};
use crate::triage::typed_tags;
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure};
use crate::ui::components::triage::may_triage;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How often a running job is asked for its progress.
const POLL_MS: u32 = 500;

#[component]
pub fn TriageMatching(#[prop(into)] filter: Signal<Filter>, query: Callback<(), String>, on_done: Callback<()>) -> impl IntoView {
    let session = expect_context::<CurrentSession>();
    let open = RwSignal::new(false);
    let state = RwSignal::new(None::<TriageState>);
    let tags = RwSignal::new(String::new());
    let job = RwSignal::new(None::<TriageJob>);
    let error = RwSignal::new(None::<String>);
    let fail = move |failure: ApiFailure| {
        if failure == ApiFailure::Unauthorized {
            session.0.set(None);
        }
        error.set(Some(failure.to_string()));
    };
    let run = move |_| {
        let change = TriageChange { state: state.get_untracked(), add_tags: typed_tags(&tags.get_untracked()), ..TriageChange::default() };
        if let Some(problem) = change.problem() {
            error.set(Some(problem));
            return;
        }
        error.set(None);
        let query = query.run(());
        spawn_local(async move {
            let started = match api::triage::triage_matching(&query, &change).await {
                Ok(started) => started,
                Err(failure) => return fail(failure),
            };
            job.set(Some(started.clone()));
            loop {
                sleep_ms(POLL_MS).await;
                match api::triage::get_job(started.id).await {
                    Ok(now) => {
                        let done = now.done;
                        job.set(Some(now));
                        if done {
                            on_done.run(());
                            return;
                        }
                    }
                    Err(failure) => return fail(failure),
                }
            }
        });
    };
    let empty = move || filter.with(Filter::is_empty);
    may_triage().then(|| view! {
        <button type="button" class="button small" data-testid="triage-matching" disabled=empty
            title=move || if empty() { "add a filter or a time range first" } else { "set a state or tags on every event this filter selects" }
            on:click=move |_| open.update(|open| *open = !*open)>"Triage all matching"</button>
        <Show when=move || open.get()>
            <span class="confirm-inline" role="group" aria-label="Triage every matching event" data-testid="triage-matching-form">
                <select data-testid="triage-matching-state" on:change=move |event| state.set(TriageState::parse(&event_target_value(&event)))>
                    <option value="">"state unchanged"</option>
                    {TriageState::ALL.into_iter().map(|option| view! { <option value=option.as_str()>{option.label()}</option> }).collect_view()}
                </select>
                <input type="text" placeholder="tags to add" data-testid="triage-matching-tags" prop:value=move || tags.get() on:input=move |event| tags.set(event_target_value(&event))/>
                <button type="button" class="button small primary" data-testid="triage-matching-run" on:click=run
                    disabled=move || job.with(|job| job.as_ref().is_some_and(|job| !job.done))>"Apply to every matching event"</button>
            </span>
        </Show>
        {move || job.get().map(|job| view! {
            <span class="small" role="status" data-testid="triage-matching-progress">
                {format!("{} of {} selected events changed", format_count(job.changed), format_count(job.selected))}
                {if !job.done { " …".to_owned() } else if job.complete { " (done)".to_owned() } else { format!(" (stopped: {})", job.error.clone().unwrap_or_default()) }}
            </span>
        })}
        <Show when=move || error.with(Option::is_some)>
            <span class="error small" role="alert" data-testid="triage-matching-error">{move || error.get()}</span>
        </Show>
    })
}

/// Waits `ms` milliseconds (a browser timer).
async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
