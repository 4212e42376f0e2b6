//! The dense event table shared by Live and Events: one row per `EventSummary`; every value
//! that can be filtered on is a button that adds it to the filter (⇧ click excludes it).

use super::badges::{ActionBadge, PreservedBadge, SeverityLabel};
use crate::filters::{Condition, Field};
use crate::format::{format_datetime_ms, format_time_ms, more_rules, split_uri};
use crate::model::EventSummary;
use crate::ui::clock::local_offset_minutes;
use leptos::prelude::*;
use leptos_router::components::A;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// What a row does with clicks: filter on a value, open the event.
#[derive(Clone, Copy)]
pub struct RowActions {
    pub on_filter: Callback<Condition>,
    pub on_open: Callback<u64>,
}

/// Column headers; `with_date` shows the date in the time column (Events), Live shows only
/// the time of day.
#[component]
pub fn EventTableHead(#[prop(optional)] with_date: bool) -> impl IntoView {
    view! {
        <thead>
            <tr>
                <th class="col-time">{if with_date { "Time ↓" } else { "Time" }}</th>
                <th class="col-sensor">"Sensor"</th>
                <th class="col-ip">"Client IP"</th>
                <th class="col-host">"Host"</th>
                <th class="col-method">"Meth"</th>
                <th class="col-uri">"URI"</th>
                <th class="col-status">"Status"</th>
                <th class="col-action">"Action"</th>
                <th class="col-rule">"Top rule"</th>
                <th class="col-sev">"Severity"</th>
                <th class="col-score num">"Score"</th>
            </tr>
        </thead>
    }
}

/// A value in a cell that adds `field:value` to the filter when clicked.
#[component]
pub fn FilterValue(field: Field, value: String, on_filter: Callback<Condition>, #[prop(optional)] class: &'static str, children: Children) -> impl IntoView {
    let title = format!("filter {}:{} (⇧ click: exclude)", field.name(), value);
    view! {
        <button
            type="button"
            class=format!("cell-filter {class}")
            title=title
            on:click=move |event: web_sys::MouseEvent| {
                event.stop_propagation();
                on_filter.run(Condition { field, value: value.clone(), negated: event.shift_key() });
            }
        >
            {children()}
        </button>
    }
}

/// One event. `href` is the event page (with the filter carried in its query); `fresh` marks a
/// row that just arrived on Live; `cursor` the keyboard cursor on Events.
#[component]
pub fn EventRow(
    event: Arc<EventSummary>,
    href: String,
    actions: RowActions,
    #[prop(optional)] with_date: bool,
    #[prop(optional)] fresh: bool,
    #[prop(optional, into)] cursor: Option<Signal<bool>>,
) -> impl IntoView {
    let RowActions { on_filter, on_open } = actions;
    let id = event.id;
    let instant = event.time.unwrap_or(event.received_at);
    let offset = local_offset_minutes(instant);
    let time = if with_date { format_datetime_ms(instant, offset) } else { format_time_ms(instant, offset) };
    let (path, query) = split_uri(&event.uri);
    let (path, query) = (path.to_owned(), query.to_owned());
    let status = event.status;
    let rule_count = event.rule_ids.len();
    let top_rule = event.top_rule.or_else(|| event.rule_ids.first().copied());
    let message = event.top_message.clone().unwrap_or_default();
    let cursor = cursor.unwrap_or_else(|| Signal::from(false));
    let open = move |click: web_sys::MouseEvent| {
        let inside_control = click
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("button, a").ok().flatten())
            .is_some();
        if !inside_control {
            on_open.run(id);
        }
    };
    let (sensor, client_ip, host, method) = (event.sensor.clone(), event.client_ip.clone(), event.host.clone(), event.method.clone());
    let (action, severity, score, parse_ok, uri) = (event.action, event.max_severity, event.anomaly_score, event.parse_ok, event.uri.clone());
    let preserved = event.preserved;
    // an analyst's decision, or an approved exclusion's (not for events nobody looked at)
    let triage = (!event.state.is_new() || event.covered_by.is_some()).then(|| (event.state, event.state_label()));
    view! {
        <tr
            data-testid="event-row"
            data-id=id.to_string()
            class=if fresh { "fresh" } else { "" }
            class:cursor=move || cursor.get()
            aria-selected=move || if cursor.get() { "true" } else { "false" }
            on:click=open
        >
            <td class="mono col-time"><A href=href>{time}</A></td>
            <td class="col-sensor">
                <FilterValue field=Field::Sensor value=sensor.clone() on_filter>{sensor}</FilterValue>
            </td>
            <td class="mono col-ip">
                <FilterValue field=Field::Ip value=client_ip.clone() on_filter>{client_ip}</FilterValue>
            </td>
            <td class="col-host">
                <FilterValue field=Field::Host value=host.clone() on_filter>{host}</FilterValue>
            </td>
            <td class="mono col-method muted">
                <FilterValue field=Field::Method value=method.clone() on_filter>{method}</FilterValue>
            </td>
            <td class="mono col-uri" title=uri>
                <span class="uri-path">{path}</span>
                <span class="uri-query">{query}</span>
            </td>
            <td class="mono col-status">
                {status.map(|status| view! {
                    <FilterValue field=Field::Status value=status.to_string() on_filter>{status.to_string()}</FilterValue>
                })}
            </td>
            <td class="col-action">
                <FilterValue field=Field::Action value=crate::format::action_label(action).to_owned() on_filter class="bare">
                    <ActionBadge action/>
                </FilterValue>
            </td>
            <td class="col-rule">
                <div class="rule-cell">
                    {top_rule.map(|rule| view! {
                        <FilterValue field=Field::Rule value=rule.to_string() on_filter class="chip mono">{rule.to_string()}</FilterValue>
                    })}
                    <span class="rule-msg" title=message.clone()>
                        {if !parse_ok { "not a recognised audit-log entry".to_owned() } else { message.clone() }}
                    </span>
                    {more_rules(rule_count).map(|more| view! { <span class="more" title="more rule messages">{more}</span> })}
                    {triage.map(|(state, label)| if state.is_new() {
                        // covered by an approved exclusion: not a state one can filter on
                        view! { <span class="badge small triage-false_positive" data-testid="row-triage">{label}</span> }.into_any()
                    } else {
                        view! {
                            <FilterValue field=Field::State value=state.as_str().to_owned() on_filter class="bare">
                                <span class=format!("badge small triage-{}", state.as_str()) data-testid="row-triage">{label}</span>
                            </FilterValue>
                        }.into_any()
                    })}
                    {preserved.then(|| view! {
                        <FilterValue field=Field::Preserved value="yes".to_owned() on_filter class="bare preserved-filter">
                            <PreservedBadge/>
                        </FilterValue>
                    })}
                </div>
            </td>
            <td class="col-sev">
                {severity.map(|severity| view! {
                    <FilterValue field=Field::Severity value=severity.label().to_owned() on_filter class="bare">
                        <SeverityLabel severity=Some(severity)/>
                    </FilterValue>
                })}
            </td>
            <td class="mono num col-score">{score.map(|score| score.to_string())}</td>
        </tr>
    }
}
