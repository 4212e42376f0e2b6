//! Preserving events so retention keeps them (analysts and admins): the Event page's
//! Preserve / Release toggle with its badge, and the Events page's "Preserve all matching".

use super::badges::PreservedBadge;
use crate::filters::Filter;
use crate::format::format_count;
use crate::model::{PreserveOutcome, Role};
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whether the signed-in user may preserve and release events.
pub fn may_preserve() -> bool {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    session.with_untracked(|info| info.as_ref().is_some_and(|info| info.role >= Role::Analyst))
}

/// The text of a failure; a 401 ends the session so the login page shows.
fn failed(session: CurrentSession, failure: ApiFailure) -> String {
    if failure == ApiFailure::Unauthorized {
        session.0.set(None);
    }
    failure.to_string()
}

/// The badge while `preserved`, and for analysts and admins the button that changes it.
#[component]
pub fn PreserveToggle(id: u64, preserved: bool) -> impl IntoView {
    let preserved = RwSignal::new(preserved);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let session = expect_context::<CurrentSession>();
    let toggle = move |_| {
        let wanted = !preserved.get_untracked();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::set_preserved(id, wanted).await;
            busy.set(false);
            match result {
                Ok(outcome) => preserved.set(outcome.preserved),
                Err(failure) => error.set(Some(failed(session, failure))),
            }
        });
    };
    view! {
        <Show when=move || preserved.get()><PreservedBadge/></Show>
        {may_preserve().then(|| view! {
            <button
                type="button"
                class="button small"
                data-testid="preserve-toggle"
                disabled=move || busy.get()
                title=move || if preserved.get() { "let retention delete this event again" } else { "keep this event when retention deletes old ones" }
                on:click=toggle
            >
                {move || if preserved.get() { "Release" } else { "Preserve" }}
            </button>
        })}
        <Show when=move || error.with(Option::is_some)>
            <span class="error small" role="alert" data-testid="preserve-error">{move || error.get()}</span>
        </Show>
    }
}

#[derive(Clone)]
enum Step {
    Idle,
    Confirming,
    Working,
    Done(PreserveOutcome),
    Failed(String),
}

/// "Preserve all matching" for analysts and admins: asks for confirmation on the page, then
/// marks every event `filter` selects (`query`: its API spelling at that moment) and says how
/// many changed; `on_done` runs after a change so the list can show the badges.
#[component]
pub fn PreserveMatching(#[prop(into)] filter: Signal<Filter>, query: Callback<(), String>, on_done: Callback<()>) -> impl IntoView {
    let session = expect_context::<CurrentSession>();
    let step = RwSignal::new(Step::Idle);
    // A new filter forgets the last outcome.
    Effect::new(move |_| {
        filter.track();
        step.set(Step::Idle);
    });
    let run = move |_| {
        let query = query.run(());
        step.set(Step::Working);
        spawn_local(async move {
            match api::preserve_matching(&query).await {
                Ok(outcome) => {
                    step.set(Step::Done(outcome));
                    on_done.run(());
                }
                Err(failure) => step.set(Step::Failed(failed(session, failure))),
            }
        });
    };
    let empty = move || filter.with(Filter::is_empty);
    may_preserve().then(|| {
        view! {
            <button
                type="button"
                class="button small"
                data-testid="preserve-matching"
                disabled=move || empty() || matches!(step.get(), Step::Confirming | Step::Working)
                title=move || if empty() { "add a filter or a time range first" } else { "keep every event this filter selects" }
                on:click=move |_| step.set(Step::Confirming)
            >
                "Preserve all matching"
            </button>
            {move || match step.get() {
                Step::Idle => ().into_any(),
                Step::Confirming => view! {
                    <span class="confirm-inline" role="group" aria-label="Confirm preserving" data-testid="preserve-confirm">
                        <span>"Preserve every event matching this filter? Retention will keep them; they still count against the disk budget."</span>
                        <button type="button" class="button small primary" data-testid="preserve-confirm-yes" on:click=run>"Preserve"</button>
                        <button type="button" class="button small" on:click=move |_| step.set(Step::Idle)>"Cancel"</button>
                    </span>
                }
                .into_any(),
                Step::Working => view! { <span class="muted small">"Preserving…"</span> }.into_any(),
                Step::Done(outcome) => view! {
                    <span class="small" role="status" data-testid="preserve-outcome">
                        {format!("{} events preserved", format_count(outcome.changed))}
                        {(!outcome.complete).then_some(" (more match: run it again)")}
                    </span>
                }
                .into_any(),
                Step::Failed(text) => view! { <span class="error small" role="alert" data-testid="preserve-error">{text}</span> }.into_any(),
            }}
        }
    })
}
