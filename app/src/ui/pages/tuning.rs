//! Tuning: the window's alerts grouped by rule × matched variable × path × host (largest
//! first, every number a link to Events), the draft exclusion of the group the URL names
//! (`/tuning?rule=&variable=&path=[&host=]`, what a row or the Event page's "Draft exclusion"
//! opens) with its impact on the stored events, the exclusion sets (propose, approve, export)
//! and the what-if threshold chart.

use crate::filters::{Filter, with_query};
use crate::format::{format_count, format_datetime_ms};
use crate::model::{Draft, Exclusion, ExclusionForm, ExclusionRequest, ExclusionStatus, Role, TuningAnswer, TuningGroup, WhatIf};
use crate::tuning::{attack_warning, draft_query, draft_target, exclusion_words, group_events_href, impact_sentence, window_query};
use crate::ui::CurrentSession;
use crate::ui::api::{self, ApiFailure};
use crate::ui::clock::now_seconds;
use crate::ui::components::filter_bar::{FilterBar, use_url_filter};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

fn role_at_least(role: Role) -> bool {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    session.with_untracked(|info| info.as_ref().is_some_and(|info| info.role >= role))
}

fn failure_text(failure: ApiFailure) -> String {
    if failure == ApiFailure::Unauthorized {
        let CurrentSession(session) = expect_context::<CurrentSession>();
        session.set(None);
    }
    failure.to_string()
}

#[component]
pub fn TuningPage() -> impl IntoView {
    let (filter, on_change) = use_url_filter();
    // bumped after a proposal, an approval or a delete: the lists are asked again
    let revision = RwSignal::new(0u32);
    let groups = LocalResource::new(move || {
        let query = format!("{}&top=100", filter.get().api_query(now_seconds(), true));
        async move { api::tuning::get_tuning(query.trim_start_matches('&')).await }
    });
    let what_if = LocalResource::new(move || {
        revision.track();
        let query = filter.get().api_query(now_seconds(), true);
        async move { api::tuning::get_what_if(&query).await }
    });
    let exclusions = LocalResource::new(move || {
        revision.track();
        async move { api::tuning::list_exclusions().await }
    });
    view! {
        <header class="page-head">
            <h1>"Tuning"</h1>
            <span class="muted">"alerts by rule, matched variable and path; default window: the last 24 hours"</span>
        </header>
        <FilterBar filter=filter on_change with_time=true/>
        {move || draft_target(&filter.get()).map(|(rule, variable, path, host)| view! {
            <DraftPanel rule variable path host window=window_query(&filter.get(), now_seconds()) on_saved=Callback::new(move |()| revision.update(|n| *n += 1))/>
        })}
        <section class="panel">
            <div class="panel-head"><h2>"Alert groups"</h2></div>
            <Suspense fallback=|| view! { <p class="muted pad">"Counting…"</p> }>
                {move || groups.get().map(|answer| match answer {
                    Ok(answer) => view! { <GroupTable answer window=window_query(&filter.get_untracked(), now_seconds()) filter=filter.get_untracked()/> }.into_any(),
                    Err(failure) => view! { <p class="error pad" role="alert">{failure_text(failure)}</p> }.into_any(),
                })}
            </Suspense>
        </section>
        <section class="panel">
            <div class="panel-head">
                <h2>"Exclusions"</h2>
                <span class="spacer"></span>
                <a class="button small" href="/api/v1/exclusions.conf?placement=before" download="wafscope-exclusions-before.conf" data-testid="download-before">"Download before-CRS .conf"</a>
                <a class="button small" href="/api/v1/exclusions.conf?placement=after" download="wafscope-exclusions-after.conf" data-testid="download-after">"Download after-CRS .conf"</a>
            </div>
            <Suspense fallback=|| view! { <p class="muted pad">"Loading…"</p> }>
                {move || exclusions.get().map(|list| match list {
                    Ok(list) => view! { <ExclusionTable exclusions=list.exclusions on_change=Callback::new(move |()| revision.update(|n| *n += 1))/> }.into_any(),
                    Err(failure) => view! { <p class="error pad" role="alert">{failure_text(failure)}</p> }.into_any(),
                })}
            </Suspense>
        </section>
        <section class="panel">
            <div class="panel-head">
                <h2>"What if the inbound threshold were…"</h2>
                <span class="muted">"events of this filter that would be blocked, with the approved exclusions applied"</span>
            </div>
            <Suspense fallback=|| view! { <p class="muted pad">"Counting…"</p> }>
                {move || what_if.get().map(|answer| match answer {
                    Ok(answer) => view! { <WhatIfBars answer/> }.into_any(),
                    Err(failure) => view! { <p class="error pad" role="alert">{failure_text(failure)}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn GroupTable(answer: TuningAnswer, window: String, filter: Filter) -> impl IntoView {
    if answer.groups.is_empty() {
        return view! { <p class="muted pad" data-testid="no-groups">"No alerts in this window."</p> }.into_any();
    }
    let rows = answer
        .groups
        .into_iter()
        .map(|group| {
            let events_href = group_events_href(&group, &window);
            let blocked_href = with_query(&events_href, "action=blocked");
            let draft = {
                let mut target = filter.clone();
                for (field, value) in [
                    (crate::filters::Field::Rule, group.rule_id.to_string()),
                    (crate::filters::Field::Variable, group.variable.clone()),
                    (crate::filters::Field::Path, group.path.clone()),
                    (crate::filters::Field::Host, group.host.clone()),
                ] {
                    target = target.with(crate::filters::Condition::new(field, value));
                }
                with_query("/tuning", &target.url_query())
            };
            view! { <GroupRow group events_href blocked_href draft/> }
        })
        .collect_view();
    view! {
        <p class="muted pad small">{format!("{} events with alerts{}", format_count(answer.events), if answer.complete { "" } else { " (the newest only: the scan stopped at its budget)" })}</p>
        <table class="groups" data-testid="tuning-groups">
            <thead><tr>
                <th>"Rule"</th><th>"Message"</th><th>"Variable"</th><th>"Path"</th><th>"Host"</th>
                <th class="num">"Events"</th><th class="num">"Alerts"</th><th class="num">"IPs"</th><th class="num">"Blocked"</th><th>"PL"</th><th>"Last seen (UTC)"</th><th>"Samples"</th><th></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn GroupRow(group: TuningGroup, events_href: String, blocked_href: String, draft: String) -> impl IntoView {
    view! {
        <tr data-testid="tuning-group">
            <td class="mono" data-testid="group-rule">{group.rule_id.to_string()}</td>
            <td class="message">{group.message.clone().unwrap_or_default()}</td>
            <td class="mono" data-testid="group-variable">{group.variable.clone()}</td>
            <td class="mono wrap-path" data-testid="group-path">{group.path.clone()}</td>
            <td class="mono">{group.host.clone()}</td>
            <td class="num"><A href=events_href.clone() attr:data-testid="group-events">{format_count(group.events)}</A></td>
            <td class="num">{format_count(group.alerts)}</td>
            <td class="num">{format_count(group.client_ips)}</td>
            <td class="num"><A href=blocked_href attr:data-testid="group-blocked">{format_count(group.blocked)}</A></td>
            <td class="mono">{group.paranoia_level.map(|level| format!("PL{level}"))}</td>
            <td class="mono muted">{format_datetime_ms(group.last_seen, 0)}</td>
            <td class="mono samples">{group.samples.iter().take(2).map(|sample| view! { <span class="data-box block" title=sample.clone()>{sample.clone()}</span> }).collect_view()}</td>
            <td><A href=draft attr:class="button small" attr:data-testid="group-draft">"Draft"</A></td>
        </tr>
    }
}

#[component]
fn DraftPanel(rule: u32, variable: String, path: String, host: Option<String>, window: String, on_saved: Callback<()>) -> impl IntoView {
    let form = RwSignal::new(ExclusionForm::Runtime);
    let with_host = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let host_for_query = host.clone();
    let window_for_save = window.clone();
    let draft = LocalResource::new(move || {
        let query = draft_query(rule, &variable, &path, if with_host.get() { host_for_query.as_deref() } else { None }, form.get(), &window);
        async move { api::tuning::get_draft(&query).await }
    });
    let propose = move |spec: crate::model::ExclusionSpec| {
        let request = ExclusionRequest { spec, comment: comment.get_untracked() };
        let window = window_for_save.clone();
        spawn_local(async move {
            match api::tuning::create_exclusion(&window, &request).await {
                Ok(saved) => {
                    outcome.set(Some(Ok(format!("saved as exclusion {} (proposed; an admin approves it)", saved.id))));
                    on_saved.run(());
                }
                Err(failure) => outcome.set(Some(Err(failure_text(failure)))),
            }
        });
    };
    view! {
        <section class="panel draft" data-testid="draft">
            <div class="panel-head">
                <h2>"Draft exclusion"</h2>
                <label>"Form "
                    <select data-testid="draft-form" on:change=move |event| {
                        if let Some(chosen) = ExclusionForm::parse(&event_target_value(&event)) { form.set(chosen); }
                    }>
                        <option value="runtime">"runtime: this variable on this path (narrowest)"</option>
                        <option value="startup">"startup: this variable everywhere"</option>
                        <option value="rule">"rule: the whole rule on this path"</option>
                    </select>
                </label>
                {host.clone().map(|host| view! {
                    <label><input type="checkbox" data-testid="draft-host" on:change=move |event| with_host.set(event_target_checked(&event))/>{format!(" only on {host}")}</label>
                })}
            </div>
            <Suspense fallback=|| view! { <p class="muted pad">"Drafting…"</p> }>
                {move || draft.get().map(|answer| match answer {
                    Ok(draft) => view! { <DraftBody draft propose=Callback::new(propose.clone()) comment outcome/> }.into_any(),
                    Err(failure) => view! { <p class="error pad" role="alert" data-testid="draft-error">{failure_text(failure)}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DraftBody(
    draft: Draft,
    propose: Callback<crate::model::ExclusionSpec>,
    comment: RwSignal<String>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let Draft { spec, conf, placement, warnings, impact, .. } = draft;
    let attack = attack_warning(&impact);
    let may_propose = role_at_least(Role::Analyst);
    view! {
        {attack.map(|text| view! { <p class="error pad attack-warning" role="alert" data-testid="draft-attack">{text}</p> })}
        <p class="pad" data-testid="draft-impact">{impact_sentence(&impact)}</p>
        <p class="muted pad small">
            {format!("Hosts: {}", impact.hosts.iter().map(|value| format!("{} ({})", value.value, value.events)).collect::<Vec<_>>().join(", "))}
            <br/>
            {format!("Paths: {}", impact.paths.iter().map(|value| format!("{} ({})", value.value, value.events)).collect::<Vec<_>>().join(", "))}
        </p>
        {warnings.into_iter().map(|warning| view! { <p class="warning pad small" data-testid="draft-warning">{warning}</p> }).collect_view()}
        <p class="muted pad small" data-testid="draft-placement">{format!("Goes {} the CRS rules, where {} is included.", placement.as_str(), placement.crs_file())}</p>
        <pre class="line-box mono conf" data-testid="draft-conf">{conf}</pre>
        {may_propose.then(|| view! {
            <form class="pad" on:submit=move |event| { event.prevent_default(); propose.run(spec.clone()); }>
                <input type="text" class="wide" placeholder="why (e.g. blog comments quote SQL)" data-testid="draft-comment"
                    prop:value=move || comment.get() on:input=move |event| comment.set(event_target_value(&event))/>
                <button type="submit" class="button small primary" data-testid="draft-propose">"Propose"</button>
                {move || outcome.get().map(|outcome| match outcome {
                    Ok(text) => view! { <span class="small" role="status" data-testid="draft-outcome">{text}</span> }.into_any(),
                    Err(text) => view! { <span class="error small" role="alert">{text}</span> }.into_any(),
                })}
            </form>
        })}
    }
}

#[component]
fn ExclusionTable(exclusions: Vec<Exclusion>, on_change: Callback<()>) -> impl IntoView {
    if exclusions.is_empty() {
        return view! { <p class="muted pad">"No exclusions yet: draft one from a group."</p> }.into_any();
    }
    let admin = role_at_least(Role::Admin);
    let error = RwSignal::new(None::<String>);
    let act = move |future: std::pin::Pin<Box<dyn std::future::Future<Output = Result<Exclusion, ApiFailure>>>>| {
        spawn_local(async move {
            match future.await {
                Ok(_) => on_change.run(()),
                Err(failure) => error.set(Some(failure_text(failure))),
            }
        });
    };
    let rows = exclusions
        .into_iter()
        .map(|exclusion| {
            let id = exclusion.id;
            let proposed = exclusion.status == ExclusionStatus::Proposed;
            let undeployed = exclusion.undeployed.iter().map(|sensor| format!("{}: {} events since approval", sensor.sensor, sensor.events)).collect::<Vec<_>>();
            view! {
                <tr data-testid="exclusion">
                    <td class="mono">{id.to_string()}</td>
                    <td>{exclusion_words(&exclusion)}</td>
                    <td>{exclusion.spec.form.as_str()}</td>
                    <td class="mono">{exclusion.conf_rule_id.map(|id| format!("id:{id}"))}</td>
                    <td data-testid="exclusion-status">{if proposed { "proposed".to_owned() } else { format!("approved by {}", exclusion.approved_by.clone().unwrap_or_default()) }}</td>
                    <td>{exclusion.created_by.clone()}</td>
                    <td>{exclusion.comment.clone()}</td>
                    <td class="num">{format_count(exclusion.impact.events)}</td>
                    <td>
                        {(!undeployed.is_empty()).then(|| view! { <span class="warning small" data-testid="undeployed">{format!("not deployed? {}", undeployed.join("; "))}</span> })}
                    </td>
                    <td>
                        {(admin && proposed).then(|| view! {
                            <button type="button" class="button small primary" data-testid="exclusion-approve" on:click=move |_| act(Box::pin(api::tuning::approve_exclusion(id)))>"Approve"</button>
                        })}
                        {(admin || proposed).then(|| view! {
                            <button type="button" class="button small" data-testid="exclusion-delete" on:click=move |_| act(Box::pin(api::tuning::delete_exclusion(id)))>"Delete"</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Show when=move || error.with(Option::is_some)><p class="error pad" role="alert">{move || error.get()}</p></Show>
        <table class="exclusions" data-testid="exclusions">
            <thead><tr><th>"#"</th><th>"Removes"</th><th>"Form"</th><th>"Rule id"</th><th>"Status"</th><th>"By"</th><th>"Comment"</th><th class="num">"Events"</th><th></th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn WhatIfBars(answer: WhatIf) -> impl IntoView {
    let largest = answer.thresholds.iter().map(|bar| bar.blocked).max().unwrap_or(0).max(1);
    view! {
        <p class="muted pad small">{format!("{} events, {} with an inbound score; exclusions applied: {}", format_count(answer.events), format_count(answer.scored), answer.exclusions.len())}</p>
        <table class="what-if" data-testid="what-if">
            <tbody>
                {answer.thresholds.into_iter().map(|bar| {
                    let width = format!("width: {}%", bar.blocked * 100 / largest);
                    view! {
                        <tr data-testid="what-if-bar">
                            <th scope="row" class="mono">{format!("≥ {}", bar.threshold)}</th>
                            <td class="bar-cell"><span class="bar" style=width></span></td>
                            <td class="num mono" data-testid="what-if-blocked">{format_count(bar.blocked)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
