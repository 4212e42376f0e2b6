//! The Event page's triage panel: the state (or `false positive (exclusion N)`), tags, note
//! and who changed what when; analysts and admins change them, viewers read them.

use crate::format::format_datetime_ms;
use crate::model::{Role, TriageDetail, TriageState};
use crate::triage::{change_between, record_words, typed_tags};
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whether the signed-in user may triage.
pub fn may_triage() -> bool {
    use_context::<CurrentSession>()
        .is_some_and(|CurrentSession(session)| session.with_untracked(|info| info.as_ref().is_some_and(|info| info.role >= Role::Analyst)))
}

#[component]
pub fn TriagePanel(id: u64, state: TriageState, tags: Vec<String>, covered_by: Option<u64>, detail: TriageDetail) -> impl IntoView {
    let session = use_context::<CurrentSession>();
    let state = RwSignal::new(state);
    let tags = RwSignal::new(tags);
    let note = RwSignal::new(detail.note.clone());
    let history = RwSignal::new(detail.history);
    let wanted_state = RwSignal::new(state.get_untracked());
    let wanted_tags = RwSignal::new(tags.get_untracked().join(" "));
    let wanted_note = RwSignal::new(detail.note);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = move |_| {
        let current_tags = tags.get_untracked();
        let typed = typed_tags(&wanted_tags.get_untracked());
        let current_note = note.get_untracked();
        let wanted_note_text = wanted_note.get_untracked();
        let Some(change) = change_between((state.get_untracked(), &current_tags, &current_note), (wanted_state.get_untracked(), &typed, &wanted_note_text))
        else {
            message.set(Some(Ok("nothing changed".to_owned())));
            return;
        };
        if let Some(problem) = change.problem() {
            message.set(Some(Err(problem)));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let saved = api::triage::triage_event(id, &change).await;
            let refreshed = api::get_event(id).await;
            busy.set(false);
            match (saved, refreshed) {
                (Ok(_), Ok(detail)) => {
                    state.set(detail.summary.state);
                    tags.set(detail.summary.tags.clone());
                    wanted_tags.set(detail.summary.tags.join(" "));
                    note.set(detail.triage.note.clone());
                    history.set(detail.triage.history);
                    message.set(Some(Ok("saved".to_owned())));
                }
                (Err(failure), _) | (_, Err(failure)) => {
                    if failure == ApiFailure::Unauthorized
                        && let Some(CurrentSession(session)) = session
                    {
                        session.set(None);
                    }
                    message.set(Some(Err(failure.to_string())));
                }
            }
        });
    };
    let state_text = move || match (state.get(), covered_by) {
        (TriageState::New, Some(exclusion)) => format!("false positive (exclusion {exclusion})"),
        (state, _) => state.label().to_owned(),
    };
    view! {
        <section class="panel triage" data-testid="triage">
            <div class="panel-head">
                <h2>"Triage"</h2>
                <span class=move || format!("badge triage-{}", state.get().as_str()) data-testid="triage-state">{state_text}</span>
                {move || tags.get().into_iter().map(|tag| view! { <span class="chip mono" data-testid="triage-tag">{tag}</span> }).collect_view()}
            </div>
            <Show when=move || note.with(|note| !note.is_empty())>
                <p class="note pad" data-testid="triage-note">{move || note.get()}</p>
            </Show>
            {may_triage().then(|| view! {
                <form class="triage-form pad" on:submit=move |event| { event.prevent_default(); save(()); }>
                    <label>"State "
                        <select data-testid="triage-select" on:change=move |event| {
                            if let Some(chosen) = TriageState::parse(&event_target_value(&event)) { wanted_state.set(chosen); }
                        }>
                            {TriageState::ALL.into_iter().map(|option| view! {
                                <option value=option.as_str() selected=move || wanted_state.get() == option>{option.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Tags "
                        <input type="text" data-testid="triage-tags" placeholder="blog ticket:17" prop:value=move || wanted_tags.get()
                            on:input=move |event| wanted_tags.set(event_target_value(&event))/>
                    </label>
                    <label class="wide">"Note "
                        <textarea data-testid="triage-note-input" rows="2" prop:value=move || wanted_note.get()
                            on:input=move |event| wanted_note.set(event_target_value(&event))></textarea>
                    </label>
                    <button type="submit" class="button small primary" data-testid="triage-save" disabled=move || busy.get()>"Save"</button>
                    {move || message.get().map(|outcome| match outcome {
                        Ok(text) => view! { <span class="muted small" role="status" data-testid="triage-outcome">{text}</span> }.into_any(),
                        Err(text) => view! { <span class="error small" role="alert" data-testid="triage-error">{text}</span> }.into_any(),
                    })}
                </form>
            })}
            <Show when=move || history.with(|history| !history.is_empty())>
                <ol class="history pad small" data-testid="triage-history">
                    {move || history.get().into_iter().rev().map(|record| view! {
                        <li>
                            <span class="mono muted">{format_datetime_ms(record.at, 0)}" UTC "</span>
                            <span>{record.user.clone()}</span>": "
                            <span>{record_words(&record)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </Show>
        </section>
    }
}
