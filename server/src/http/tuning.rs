//! The tuning assistant's reads (viewers and up): `GET /api/v1/tuning` (alert groups),
//! `GET /api/v1/tuning/draft` (an exclusion and its impact) and `GET /api/v1/tuning/what-if`
//! (blocked events per inbound threshold with the saved exclusions applied).

use super::errors::ApiError;
use super::stats::window;
use crate::auth::Principal;
use crate::filter::{Condition, EventFilter};
use crate::state::AppState;
use crate::store::scan::TUNING_SCAN_BUDGET;
use crate::tuning::groups::GroupAccumulator;
use crate::tuning::impact::{ImpactAccumulator, WhatIfAccumulator};
use crate::tuning::{Tuned, conf, sample_of, sample_text};
use app::model::{Draft, ExclusionForm, ExclusionSpec, ExclusionStatus, TuningAnswer, WhatIf};
use axum::Json;
use axum::extract::{Query, State};
use std::collections::HashMap;

/// Groups answered by default, and at most.
pub const DEFAULT_GROUPS: usize = 50;
pub const MAX_GROUPS: usize = 500;

fn take_number(params: &mut HashMap<String, String>, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match params.remove(name) {
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| ApiError::BadRequest(format!("{name} must be 1-{max}"))),
        None => Ok(default),
    }
}

/// Visits every event of the window `filter` selects: from the fact blocks when they can
/// answer the filter (no triage or `variable` condition), else by scanning the summaries (up to
/// the budget); whether every event was visited.
pub fn visit_window(
    store: &crate::store::Store,
    filter: &EventFilter,
    window: (u64, u64),
    mut visit: impl FnMut(&Tuned),
) -> Result<bool, crate::store::StoreError> {
    if crate::facts::FactQuery::supports(filter) {
        store.for_each_tuned(filter, window.0, window.1, visit)?;
        return Ok(true);
    }
    store.for_each_selected(filter, TUNING_SCAN_BUDGET, |summary| visit(&Tuned::of(summary)))
}

fn filter_of(params: &HashMap<String, String>) -> Result<EventFilter, ApiError> {
    EventFilter::from_params(params).map_err(|error| ApiError::BadRequest(error.to_string()))
}

/// `GET /api/v1/tuning?from=&to=&top=&<filters>`: the window's alerts grouped by rule ×
/// matched variable × path × host, largest first (CRS's scoring rules are not groups), each
/// with its rule's message, paranoia level and a few matched values from its newest events.
pub async fn get_tuning(
    State(state): State<AppState>,
    _principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<TuningAnswer>, ApiError> {
    let mut params = params;
    let top = take_number(&mut params, "top", DEFAULT_GROUPS, MAX_GROUPS)?;
    let mut filter = filter_of(&params)?;
    let minutes = window(&mut filter)?;
    let answer = state
        .blocking(move |store| {
            let mut accumulator = GroupAccumulator::default();
            let complete = if crate::facts::FactQuery::supports(&filter) {
                store.group_tuned(&filter, minutes.0, minutes.1, &mut accumulator)?;
                true
            } else {
                store.for_each_selected(&filter, TUNING_SCAN_BUDGET, |summary| accumulator.add(&Tuned::of(summary)))?
            };
            let events = accumulator.events();
            let mut groups = accumulator.finish(top);
            let mut rules: Vec<u32> = groups.iter().map(|group| group.rule_id).collect();
            rules.sort_unstable();
            rules.dedup();
            let messages: HashMap<u32, String> = store.rule_messages(&rules)?.into_iter().collect();
            for group in &mut groups {
                group.message = messages.get(&group.rule_id).cloned();
                for id in group.sample_ids.clone() {
                    let Some(raw) = store.get_raw(id)? else { continue };
                    let parsed = wafscope_parse::parse_entry(&raw);
                    if let Some(message) = sample_of(&parsed.event, group.rule_id, &group.variable) {
                        group.paranoia_level = group.paranoia_level.or(message.paranoia_level);
                        if group.message.is_none() && !message.message.is_empty() {
                            group.message = Some(message.message.clone());
                        }
                        let sample = sample_text(message);
                        if !group.samples.contains(&sample) {
                            group.samples.push(sample);
                        }
                    }
                }
            }
            Ok(TuningAnswer { groups, events, complete })
        })
        .await?;
    Ok(Json(answer))
}

/// The exclusion `params` describe: `rule`, `variable`, `path`, `host`, `sensor`, `form`.
/// The parameters are taken out of `params`; what is left are the window's.
pub fn spec_of(params: &mut HashMap<String, String>) -> Result<ExclusionSpec, ApiError> {
    let mut take = |name: &str| params.remove(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    let rule_id = take("rule").ok_or_else(|| ApiError::BadRequest("give the rule id (rule=942100)".into()))?;
    let rule_id = rule_id.parse::<u32>().map_err(|_| ApiError::BadRequest("rule must be a numeric rule id".into()))?;
    let form = match take("form") {
        Some(text) => ExclusionForm::parse(&text).ok_or_else(|| ApiError::BadRequest("form must be runtime, startup or rule".into()))?,
        None => ExclusionForm::Runtime,
    };
    Ok(ExclusionSpec { rule_id, form, variable: take("variable"), path: take("path"), host: take("host"), sensor: take("sensor") }.normalized())
}

/// The time window the `from`/`to` of `params` give (other parameters are not its business),
/// as a filter and its minutes.
pub fn window_only(params: HashMap<String, String>) -> Result<(EventFilter, (u64, u64)), ApiError> {
    let window_params: HashMap<String, String> = params.into_iter().filter(|(name, _)| name == "from" || name == "to").collect();
    let mut filter = filter_of(&window_params)?;
    let minutes = window(&mut filter)?;
    Ok((filter, minutes))
}

/// The events whose alerts `spec` may remove, within `filter`'s window: those with its rule
/// (the rule index serves them) on its sensor.
pub fn candidates(spec: &ExclusionSpec, mut filter: EventFilter) -> EventFilter {
    filter.rule = Some(Condition { value: spec.rule_id, negated: false });
    if let Some(sensor) = &spec.sensor {
        filter.sensor = Some(Condition { value: sensor.clone(), negated: false });
    }
    filter
}

/// `GET /api/v1/tuning/draft?rule=&variable=&path=[&host=][&sensor=][&form=runtime|startup|rule][&from=&to=]`:
/// the exclusion ready to paste, where it goes, the rule id it would take, warnings, and what
/// it would have removed from the window's stored events (default: the last 24 hours).
pub async fn get_draft(State(state): State<AppState>, _principal: Principal, Query(params): Query<HashMap<String, String>>) -> Result<Json<Draft>, ApiError> {
    let mut params = params;
    let spec = spec_of(&mut params)?;
    let warnings = conf::check(&spec).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let (filter, minutes) = window_only(params)?;
    let (ids, threshold) = (state.config.exclusion_ids, state.config.inbound_threshold);
    let for_store = spec.clone();
    let draft = state
        .blocking(move |store| {
            let spec = for_store;
            let conf_rule_id = match spec.form.placement() {
                app::model::Placement::Before => Some(store.next_exclusion_rule_id(ids)?),
                app::model::Placement::After => None,
            };
            let impact = impact_of(store, &spec, filter, minutes, threshold)?;
            Ok((conf_rule_id, impact))
        })
        .await?;
    let (conf_rule_id, impact) = draft;
    let conf_rule_id = match conf_rule_id {
        Some(None) => {
            return Err(ApiError::Conflict(format!("the exclusion rule ids {}-{} are used up; give serve a new --exclusion-ids range", ids.0, ids.1)));
        }
        Some(Some(id)) => Some(id),
        None => None,
    };
    let conf = conf::draft_text(&spec, conf_rule_id.unwrap_or_default()).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    Ok(Json(Draft { placement: spec.form.placement(), spec, conf, conf_rule_id, warnings, impact }))
}

/// What `spec` would have removed from the events of `filter`'s window (`minutes`).
pub fn impact_of(
    store: &crate::store::Store,
    spec: &ExclusionSpec,
    filter: EventFilter,
    minutes: (u64, u64),
    threshold: u32,
) -> Result<app::model::Impact, crate::store::StoreError> {
    let mut accumulator = ImpactAccumulator::new(spec.clone(), threshold);
    let complete = visit_window(store, &candidates(spec, filter), minutes, |event| accumulator.add(event))?;
    Ok(accumulator.finish(complete))
}

/// `GET /api/v1/tuning/what-if?from=&to=&<filters>[&proposed=1]`: how many of the selected
/// events an inbound threshold of 5, 7, 10, 15, 20, 25 or 50 would block, with the approved
/// exclusions applied (and the proposed ones with `proposed=1`).
pub async fn get_what_if(
    State(state): State<AppState>,
    _principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<WhatIf>, ApiError> {
    let mut params = params;
    let with_proposed = matches!(params.remove("proposed").as_deref(), Some("1" | "yes" | "true"));
    let mut filter = filter_of(&params)?;
    let minutes = window(&mut filter)?;
    let answer = state
        .blocking(move |store| {
            let applied: Vec<_> =
                store.list_exclusions()?.into_iter().filter(|exclusion| with_proposed || exclusion.status == ExclusionStatus::Approved).collect();
            let ids = applied.iter().map(|exclusion| exclusion.id).collect();
            let mut accumulator = WhatIfAccumulator::new(applied.into_iter().map(|exclusion| exclusion.spec).collect());
            let complete = visit_window(store, &filter, minutes, |event| accumulator.add(event))?;
            let (thresholds, events, scored) = accumulator.finish();
            Ok(WhatIf { thresholds, events, scored, exclusions: ids, complete })
        })
        .await?;
    Ok(Json(answer))
}
