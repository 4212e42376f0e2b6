//! A top list as horizontal bars: one row per value (rule id + message, client IP, path, …)
//! with its count and a bar split by action, scaled to the list's largest. A row opens Events
//! with the dashboard's filters plus that value; values the events API cannot select (`none`)
//! are shown without a link.

use super::counts_text;
use crate::chart_math::{percent, stack};
use crate::dashboard::{TopList, condition_for, events_href_with};
use crate::filters::Filter;
use crate::format::{action_label, format_count};
use crate::model::{Severity, TopEntry};
use crate::ui::components::badges::SeverityLabel;
use leptos::prelude::*;
use leptos_router::components::A;

/// A top list. With `hide_scoring` (the rule list) its header has the "hide scoring" switch
/// and `entries` follow it; only the rows are redrawn, so the switch keeps its focus.
#[component]
pub fn TopListPanel(list: TopList, entries: Signal<Vec<TopEntry>>, filter: Filter, hide_scoring: Option<RwSignal<bool>>) -> impl IntoView {
    let switch = hide_scoring.map(|hide| {
        view! {
            <span class="spacer"></span>
            <label class="scoring-switch small muted" title="CRS's 949/959 blocking-evaluation and 980 correlation rules match nearly every blocked event; they say a threshold was crossed, not what attacked">
                <input type="checkbox" data-testid="hide-scoring" prop:checked=move || hide.get() on:change=move |event| hide.set(event_target_checked(&event))/>
                "hide scoring"
            </label>
        }
    });
    let shown = move || entries.with(Vec::len);
    let rows = move || {
        let entries = entries.get();
        let largest = entries.iter().map(|entry| entry.counts.total).max().unwrap_or(0);
        entries.into_iter().map(|entry| view! { <TopRow list entry largest filter=filter.clone()/> }).collect_view()
    };
    view! {
        <section class=format!("panel top-list top-{}", list.key()) data-testid=format!("top-{}", list.key())>
            <header class="panel-head">
                <h2>{list.title()}</h2>
                <span class="muted">{move || if shown() == 0 { String::new() } else { format!("top {}", shown()) }}</span>
                {switch}
            </header>
            {move || (shown() == 0).then(|| view! { <p class="muted pad">"None in this window."</p> })}
            <ol class="bar-list">{rows}</ol>
        </section>
    }
}

#[component]
fn TopRow(list: TopList, entry: TopEntry, largest: u64, filter: Filter) -> impl IntoView {
    let value = entry.value.clone();
    let title = match &entry.label {
        Some(label) => format!("{value} {label}\n{}", counts_text(&entry.counts)),
        None => format!("{value}\n{}", counts_text(&entry.counts)),
    };
    let bar = stack(&entry.counts)
        .into_iter()
        .map(|segment| {
            let width = format!("{:.2}%", percent(segment.count, largest));
            view! { <span class=format!("bar-seg fill-{}", action_label(segment.action)) style:width=width></span> }
        })
        .collect_view();
    let body = view! {
        <span class="bar-label"><RowLabel list entry=entry.clone()/></span>
        <span class="bar-count mono" data-testid="top-count">{format_count(entry.counts.total)}</span>
        <span class="bar-track" aria-hidden="true">{bar}</span>
    };
    match condition_for(list.field(), &value) {
        Some(condition) => {
            let href = events_href_with(&filter, condition);
            view! {
                <li>
                    <A href=href attr:class="bar-row" attr:data-testid="top-row" attr:data-value=value attr:title=format!("{title}\nclick to open them in Events")>
                        {body}
                    </A>
                </li>
            }
            .into_any()
        }
        None => view! { <li><div class="bar-row static" data-testid="top-row" data-value=value title=title>{body}</div></li> }.into_any(),
    }
}

/// What a row names: a rule id chip and its message, a severity label, or the value as text.
#[component]
fn RowLabel(list: TopList, entry: TopEntry) -> impl IntoView {
    match list {
        TopList::Rules => view! {
            <span class="chip mono" data-testid="top-rule-id">{entry.value}</span>
            <span class="bar-text">{entry.label.unwrap_or_default()}</span>
        }
        .into_any(),
        TopList::Severities => match Severity::parse(&entry.value) {
            Some(severity) => view! { <SeverityLabel severity=Some(severity)/> }.into_any(),
            None => view! { <span class="bar-text muted">"no severity"</span> }.into_any(),
        },
        TopList::Statuses if entry.value == "none" => view! { <span class="bar-text muted">"no status"</span> }.into_any(),
        TopList::ClientIps | TopList::Paths | TopList::Statuses => view! { <span class="bar-text mono">{entry.value}</span> }.into_any(),
        TopList::Hosts | TopList::Sensors => {
            let empty = entry.value.is_empty();
            view! { <span class="bar-text" class:muted=empty>{if empty { "(none)".to_owned() } else { entry.value }}</span> }.into_any()
        }
    }
}
