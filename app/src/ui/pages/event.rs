//! Event: one event in full. Summary, rule messages, request and response (headers and bodies,
//! text or hex), parse warnings, the raw download, Preserve/Release (analysts), and newer/older within the filter the page
//! was opened with (carried in the URL query, e.g. `/events/123?rule=942100`).

use crate::filters::{Condition, Field, encode_component, with_query};
use crate::format::{action_label, format_bytes, format_event_time};
use crate::model::{Action, EventDetail, RuleMessage};
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure};
use crate::ui::clock::now_seconds;
use crate::ui::components::badges::{ActionBadge, SeverityLabel};
use crate::ui::components::body_view::BodyView;
use crate::ui::components::filter_bar::use_url_filter;
use crate::ui::components::preserve::PreserveToggle;
use crate::ui::components::triage::TriagePanel;
use crate::ui::keys::not_for_shortcuts;
use leptos::ev;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

/// A prev/next lookup: the id it was made for and its answer.
type Neighbour = LocalResource<(Option<u64>, Result<Option<u64>, ApiFailure>)>;

#[component]
pub fn EventPage() -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|params| params.get("id").and_then(|id| id.parse::<u64>().ok())));
    let (filter, _) = use_url_filter();
    let navigate = use_navigate();

    // Each resource answers with the id it was computed for, so a stale answer for the previous
    // event (while the next one loads) is never shown or followed.
    let detail = LocalResource::new(move || {
        let id = id.get();
        async move {
            let result = match id {
                Some(id) => api::get_event(id).await.map(Some),
                None => Ok(None),
            };
            (id, result)
        }
    });
    let older = LocalResource::new(move || {
        let (id, query) = (id.get(), filter.get().api_query(now_seconds(), true));
        async move {
            let result = match id {
                Some(id) => api::older_neighbor(&query, id).await,
                None => Ok(None),
            };
            (id, result)
        }
    });
    let newer = LocalResource::new(move || {
        let (id, query) = (id.get(), filter.get().api_query(now_seconds(), true));
        async move {
            let result = match id {
                Some(id) => api::newer_neighbor(&query, id).await,
                None => Ok(None),
            };
            (id, result)
        }
    });
    let current = move |resource: Neighbour| resource.get().filter(|(for_id, _)| *for_id == id.get()).map(|(_, result)| result);
    Effect::new(move |_| {
        let unauthorized = |result: Option<Result<Option<u64>, ApiFailure>>| matches!(result, Some(Err(ApiFailure::Unauthorized)));
        let detail_unauthorized = matches!(detail.get(), Some((_, Err(ApiFailure::Unauthorized))));
        if detail_unauthorized || unauthorized(current(older)) || unauthorized(current(newer)) {
            session.set(None);
        }
    });

    let href_for = move |target: u64| with_query(&format!("/events/{target}"), &filter.get_untracked().url_query());
    let neighbour = move |resource: Neighbour| current(resource).and_then(Result::ok).flatten();
    let keys = window_event_listener(ev::keydown, move |event| {
        if not_for_shortcuts(&event) {
            return;
        }
        let target = match event.key().as_str() {
            "j" => neighbour(older),
            "k" => neighbour(newer),
            _ => None,
        };
        if let Some(target) = target {
            event.prevent_default();
            navigate(&href_for(target), NavigateOptions::default());
        }
    });
    on_cleanup(move || keys.remove());

    let list_href = move || with_query("/events", &filter.get().url_query());
    let nav_button = move |resource: Neighbour, label: &'static str, key: &'static str, testid: &'static str| {
        move || match current(resource) {
            Some(Ok(Some(target))) => view! {
                <A href=href_for(target) attr:class="button small" attr:data-testid=testid>{label}<kbd>{key}</kbd></A>
            }
            .into_any(),
            Some(Err(failure)) => view! {
                <span class="button small disabled" data-testid=testid title=failure.to_string()>{label}" ?"</span>
            }
            .into_any(),
            _ => view! { <span class="button small disabled" data-testid=testid aria-disabled="true">{label}<kbd>{key}</kbd></span> }.into_any(),
        }
    };
    let filter_note = move || {
        let filter = filter.get();
        (!filter.is_empty()).then(|| {
            let chips: Vec<String> = filter.conditions.iter().map(Condition::chip_text).collect();
            format!("within {}", if chips.is_empty() { "the time range".to_owned() } else { chips.join(" ") })
        })
    };

    view! {
        <header class="page-head event-head">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <A href=list_href>"Events"</A>
                <span class="muted">" / "</span>
                <span>"Event "</span>
                <span class="mono muted">{move || id.get().map(|id| format!("#{id}")).unwrap_or_default()}</span>
            </nav>
            <div class="prevnext" data-testid="prevnext">
                {nav_button(newer, "‹ Newer", "k", "newer")}
                {nav_button(older, "Older ›", "j", "older")}
                <span class="muted filter-note">{filter_note}</span>
            </div>
            <span class="spacer"></span>
            {move || detail.get().filter(|(for_id, _)| *for_id == id.get()).and_then(|(_, result)| result.ok().flatten()).map(|detail| view! {
                <PreserveToggle id=detail.summary.id preserved=detail.summary.preserved/>
            })}
            {move || id.get().map(|id| view! {
                <a class="button small" data-testid="raw-download" href=api::raw_url(id) download=format!("wafscope-event-{id}.auditlog")>
                    "⤓ Raw"
                </a>
            })}
        </header>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || detail.get().filter(|(for_id, _)| *for_id == id.get()).map(|(_, result)| match result {
                Ok(Some(detail)) => view! { <EventDetailView detail/> }.into_any(),
                Ok(None) => view! { <p class="error" role="alert">"This address has no event id; open an event from Live or Events."</p> }.into_any(),
                Err(ApiFailure::Status(404, _)) => view! {
                    <p class="error" role="alert" data-testid="event-error">"There is no event with this id (it may have been removed). Go back to " <A href="/events">"Events"</A> "."</p>
                }
                .into_any(),
                Err(failure) => view! { <p class="error" role="alert" data-testid="event-error">{failure.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// Everything about one event (a component of its own so it can be tested without a server).
#[component]
pub fn EventDetailView(detail: EventDetail) -> impl IntoView {
    let EventDetail { summary, event, warnings, raw_size, md5, triage } = detail;
    let tab = RwSignal::new("request");
    let action = summary.action;
    let status = event.status.or(summary.status);
    let badge_text = {
        let mut text = action_label(action).to_owned();
        text[..1].make_ascii_uppercase();
        if let Some(status) = status {
            text.push_str(&format!(" {status}"));
        }
        if let (Action::Blocked, Some(phase)) = (action, event.phase) {
            text.push_str(&format!(" (phase {phase})"));
        }
        text
    };
    let method = if event.method.is_empty() { summary.method.clone() } else { event.method.clone() };
    let uri = if event.uri.is_empty() { summary.uri.clone() } else { event.uri.clone() };
    let instant = event.time_us.or(summary.time).unwrap_or(summary.received_at);
    let (local_time, utc_time) = format_event_time(instant, event.utc_offset_minutes);
    let (received_local, _) = format_event_time(summary.received_at, event.utc_offset_minutes);
    let score = event.inbound_score.or(summary.anomaly_score);
    let client_ip = if event.client_ip.is_empty() { summary.client_ip.clone() } else { event.client_ip.clone() };
    let host = if event.host.is_empty() { summary.host.clone() } else { event.host.clone() };
    let unique_id = if event.unique_id.is_empty() { summary.unique_id.clone() } else { event.unique_id.clone() };
    let server = match (event.server_ip.is_empty(), event.server_port) {
        (false, Some(port)) => Some(format!("→ {}:{port}", event.server_ip)),
        (false, None) => Some(format!("→ {}", event.server_ip)),
        _ => None,
    };
    let message_count = event.messages.len();
    let disruptive = event.messages.iter().filter(|message| message.disruptive).count();
    let producer = event.producer.join("; ");
    let response_status = status.map(|status| status.to_string()).unwrap_or_else(|| "—".to_owned());
    let request_line = [method.as_str(), uri.as_str(), event.protocol.as_str()].iter().filter(|part| !part.is_empty()).copied().collect::<Vec<_>>().join(" ");
    let status_line = [event.response_protocol.clone(), response_status.clone()].join(" ").trim().to_owned();
    let request_body = event.request_body.clone().map(|body| body.0);
    let response_body = event.response_body.clone().map(|body| body.0);
    let request_headers = event.request_headers.clone();
    let event_path = summary.uri.split('?').next().unwrap_or_default().to_owned();
    let summary_host = summary.host.to_ascii_lowercase();
    let response_headers = event.response_headers.clone();

    view! {
        <section class="panel summary" data-testid="event-summary">
            <div class="summary-top">
                <ActionBadge action text=badge_text/>
                <span class="request-line mono" data-testid="request-line">
                    <span class="muted">{method.clone()}" "</span>
                    <span>{uri.clone()}</span>
                    <span class="muted">" "{event.protocol.clone()}</span>
                </span>
                <span class="spacer"></span>
                <div class="score">
                    <span class="label">"Anomaly score"</span>
                    <span class="score-value mono" data-testid="anomaly-score">{score.map(|score| score.to_string()).unwrap_or_else(|| "—".to_owned())}</span>
                    <span class="muted">
                        {event.inbound_score.map(|score| format!("{score} inbound"))}
                        {event.outbound_score.map(|score| format!(" · {score} outbound"))}
                    </span>
                </div>
            </div>
            <div class="summary-grid">
                <div>
                    <span class="label">"Time"</span>
                    <span class="mono" data-testid="event-time">{local_time}</span>
                    <span class="muted mono">{utc_time}" · received "{received_local}</span>
                </div>
                <div>
                    <span class="label">"Sensor"</span>
                    <span>{summary.sensor.clone()}</span>
                    <span class="muted">{format!("{:?}", summary.format)}{(!event.parts.is_empty()).then(|| format!(" · parts {}", event.parts))}</span>
                </div>
                <div>
                    <span class="label">"Client"</span>
                    <span class="mono">{client_ip}<span class="muted">{event.client_port.map(|port| format!(" :{port}"))}</span></span>
                </div>
                <div>
                    <span class="label">"Host"</span>
                    <span>{host}</span>
                    <span class="muted mono">{server}</span>
                </div>
                <div>
                    <span class="label">"Unique id"</span>
                    <span class="mono" data-testid="unique-id">{unique_id}</span>
                    <span class="muted">{format!("event #{} · {} raw", summary.id, format_bytes(raw_size))}{(!summary.parse_ok).then_some(" · not parsed")}</span>
                </div>
            </div>
            <div class="summary-foot muted">
                {(!producer.is_empty()).then(|| format!("Producer: {producer}"))}
                {event.engine_mode.clone().map(|mode| format!(" · Engine-Mode: {mode}"))}
                {(!md5.is_empty()).then(|| format!(" · md5 {md5}"))}
            </div>
        </section>

        <TriagePanel id=summary.id state=summary.state tags=summary.tags.clone() covered_by=summary.covered_by detail=triage/>

        {(!warnings.is_empty()).then(|| view! {
            <section class="panel warnings" data-testid="warnings">
                <h2>"Parse warnings"</h2>
                <ul>{warnings.into_iter().map(|warning| view! { <li class="mono">{warning}</li> }).collect_view()}</ul>
            </section>
        })}

        <section class="panel">
            <div class="panel-head">
                <h2>"Rule messages"</h2>
                <span class="muted">{format!("{message_count} messages · {disruptive} disruptive")}</span>
            </div>
            {if event.messages.is_empty() {
                view! { <p class="muted pad">"No rule messages: the entry was logged without alerts."</p> }.into_any()
            } else {
                view! {
                    <table class="messages" data-testid="rule-messages">
                        <thead><tr>
                            <th>"Rule"</th><th>"Message"</th><th>"Matched variable"</th><th>"Matched data"</th>
                            <th>"Severity"</th><th>"PL"</th><th>"Tags"</th><th>"Tune"</th>
                        </tr></thead>
                        <tbody>{event.messages.into_iter().map(|message| {
                            let (path, host) = (event_path.clone(), summary_host.clone());
                            view! { <MessageRow message path host/> }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>

        <section class="panel tabs-panel">
            <div class="tabs" role="tablist">
                <button type="button" role="tab" data-testid="tab-request" class:active=move || tab.get() == "request" aria-selected=move || (tab.get() == "request").to_string() on:click=move |_| tab.set("request")>"Request"</button>
                <button type="button" role="tab" data-testid="tab-response" class:active=move || tab.get() == "response" aria-selected=move || (tab.get() == "response").to_string() on:click=move |_| tab.set("response")>
                    "Response " <span class="count">{response_status.clone()}</span>
                </button>
            </div>
            <div class="tab-body" class:hidden=move || tab.get() != "request" data-testid="request-panel">
                <div class="tab-col">
                    <span class="label">"Request line"</span>
                    <pre class="line-box mono">{request_line}</pre>
                    <HeadersTable headers=request_headers/>
                </div>
                <div class="tab-col">
                    {match request_body {
                        Some(bytes) => view! { <BodyView bytes testid="request-body"/> }.into_any(),
                        None => view! { <p class="muted">"No request body in the entry."</p> }.into_any(),
                    }}
                </div>
            </div>
            <div class="tab-body" class:hidden=move || tab.get() != "response" data-testid="response-panel">
                <div class="tab-col">
                    <span class="label">"Status"</span>
                    <pre class="line-box mono">{status_line}</pre>
                    <HeadersTable headers=response_headers/>
                </div>
                <div class="tab-col">
                    {match response_body {
                        Some(bytes) => view! { <BodyView bytes testid="response-body"/> }.into_any(),
                        None => view! { <p class="muted">"No response body in the entry."</p> }.into_any(),
                    }}
                </div>
            </div>
            <p class="muted pad small">"Payloads are shown as text only; binary bodies open in hex."</p>
        </section>
    }
}

/// Tags shown per rule message before "+N".
const TAGS_SHOWN: usize = 3;

/// One rule message; the rule id links to the events with that rule; a tunable alert links
/// to the events with the same rule, variable and path and to its draft exclusion.
#[component]
fn MessageRow(message: RuleMessage, path: String, host: String) -> impl IntoView {
    let tune = match (message.rule_id, message.matched_var.as_deref()) {
        (Some(rule), Some(variable)) if crate::tuning::is_tunable(rule) && !variable.is_empty() => {
            Some((crate::tuning::similar_events_href(rule, variable, &path), crate::tuning::draft_href(rule, variable, &path, &host)))
        }
        _ => None,
    };
    let correlation = message.rule_id.is_some_and(|id| (980_000..=980_999).contains(&id)) || message.tags.iter().any(|tag| tag == "event-correlation");
    let location = match (message.file.rsplit('/').next(), message.line) {
        (Some(file), Some(line)) if !file.is_empty() => Some(format!("{file}:{line}")),
        (Some(file), None) if !file.is_empty() => Some(file.to_owned()),
        _ => None,
    };
    let text = if message.message.is_empty() { message.text.clone() } else { message.message.clone() };
    // The telling tags first (attack-…, paranoia-level/…), the rest behind "+N".
    let mut tags = message.tags.clone();
    tags.sort_by_key(|tag| !(tag.starts_with("attack-") || tag.starts_with("paranoia-level/") || tag == "event-correlation"));
    let hidden_tags = tags.split_off(tags.len().min(TAGS_SHOWN));
    let shown_tags = tags;
    view! {
        <tr class:disruptive=message.disruptive class:dim=correlation data-testid="rule-message">
            <td class="mono">
                {match message.rule_id {
                    Some(id) => view! {
                        <A href=format!("/events?{}={}", Field::Rule.name(), encode_component(&id.to_string())) attr:class="chip mono" attr:data-testid="rule-id">{id.to_string()}</A>
                    }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
            <td class="msg">
                <span>{text}</span>
                {message.disruptive.then(|| view! { <span class="badge action-blocked small">{message.action_text.clone()}</span> })}
                <span class="muted mono small block">{location}</span>
            </td>
            <td class="mono">{message.matched_var.clone().unwrap_or_default()}</td>
            <td class="mono matched">{(!message.data.is_empty()).then(|| view! { <span class="data-box">{message.data.clone()}</span> })}</td>
            <td><SeverityLabel severity=message.severity/></td>
            <td class="mono pl">{message.paranoia_level.map(|level| format!("PL{level}"))}</td>
            <td class="tags">
                {shown_tags.into_iter().map(|tag| view! { <span class="chip mono">{tag}</span> }).collect_view()}
                {(!hidden_tags.is_empty()).then(|| view! {
                    <span class="more" title=hidden_tags.join(" ")>{format!("+{}", hidden_tags.len())}</span>
                })}
            </td>
            <td class="tune">
                {tune.map(|(similar, draft)| view! {
                    <A href=similar attr:class="small" attr:data-testid="similar-events">"Similar events"</A>
                    " · "
                    <A href=draft attr:class="small" attr:data-testid="draft-exclusion">"Draft exclusion"</A>
                })}
            </td>
        </tr>
    }
}

/// Header names and values in the order received (duplicates kept).
#[component]
fn HeadersTable(headers: Vec<(String, String)>) -> impl IntoView {
    let count = headers.len();
    view! {
        <span class="label">"Headers " <span class="muted">{count}</span></span>
        <table class="headers mono">
            <tbody>
                {headers.into_iter().map(|(name, value)| view! { <tr><th scope="row">{name}</th><td>{value}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
}
