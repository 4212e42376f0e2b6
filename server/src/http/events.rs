//! The events read API: list with filters, one event in full, its original bytes.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::filter::EventFilter;
use crate::state::AppState;
use app::model::{EventDetail, EventPage, PreserveOutcome, Role};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Default and largest page size.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

/// `GET /api/v1/events?limit=&before=&<filters>`: newest first.
pub async fn list_events(
    State(state): State<AppState>,
    _principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<EventPage>, ApiError> {
    let filter = EventFilter::from_params(&params).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let limit = match params.get("limit") {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1-{MAX_LIMIT}")))?,
        None => DEFAULT_LIMIT,
    };
    let before = match params.get("before").filter(|text| !text.is_empty()) {
        Some(text) => Some(text.parse::<u64>().map_err(|_| ApiError::BadRequest("before must be an event id".to_owned()))?),
        None => None,
    };
    let (events, next_before) = state
        .blocking(move |store| {
            let (mut events, next_before) = store.list_events(&filter, before, limit)?;
            mark_covered(store, &mut events)?;
            Ok((events, next_before))
        })
        .await?;
    Ok(Json(EventPage { events, next_before }))
}

/// Sets `covered_by` of the events without a state of their own that an approved exclusion
/// covers (see `tuning::covering`).
pub fn mark_covered(store: &crate::store::Store, events: &mut [app::model::EventSummary]) -> Result<(), crate::store::StoreError> {
    if events.iter().all(|event| event.alerts.is_empty() || !event.state.is_new()) {
        return Ok(());
    }
    let approved: Vec<(u64, app::model::ExclusionSpec)> = store
        .list_exclusions()?
        .into_iter()
        .filter(|exclusion| exclusion.status == app::model::ExclusionStatus::Approved)
        .map(|exclusion| (exclusion.id, exclusion.spec))
        .collect();
    if approved.is_empty() {
        return Ok(());
    }
    for event in events.iter_mut().filter(|event| event.state.is_new()) {
        event.covered_by = crate::tuning::covering(&approved, &crate::tuning::Tuned::of(event));
    }
    Ok(())
}

/// `GET /api/v1/events/{id}`: the summary plus the entry parsed from its stored raw bytes.
pub async fn get_event(State(state): State<AppState>, _principal: Principal, Path(id): Path<u64>) -> Result<Json<EventDetail>, ApiError> {
    let detail = state
        .blocking(move |store| {
            let Some(mut summary) = store.get_event(id)? else { return Ok(None) };
            mark_covered(store, std::slice::from_mut(&mut summary))?;
            let raw = store.get_raw(id)?.unwrap_or_default();
            let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(&raw));
            let parsed = wafscope_parse::parse_entry(&raw);
            let mut warnings = parsed.warnings;
            if summary.hash_mismatch {
                warnings.insert(0, "the upload's X-Content-Hash did not match its body".to_owned());
            }
            let triage = store.triage_detail(id)?;
            Ok(Some(EventDetail { summary, event: parsed.event, warnings, raw_size: raw.len() as u64, md5, triage }))
        })
        .await?;
    detail.map(Json).ok_or(ApiError::NoSuchEvent(id))
}

/// `POST /api/v1/events/{id}/preserve` (analysts): retention keeps the event.
pub async fn preserve_event(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>) -> Result<Json<PreserveOutcome>, ApiError> {
    mark_event(state, principal, id, true).await
}

/// `DELETE /api/v1/events/{id}/preserve` (analysts): retention may delete the event again.
pub async fn release_event(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>) -> Result<Json<PreserveOutcome>, ApiError> {
    mark_event(state, principal, id, false).await
}

async fn mark_event(state: AppState, principal: Principal, id: u64, preserved: bool) -> Result<Json<PreserveOutcome>, ApiError> {
    principal.require(Role::Analyst)?;
    let changed = state
        .blocking(move |store| {
            if store.get_event(id)?.is_none() {
                return Ok(None);
            }
            store.set_preserved(&[id], preserved).map(Some)
        })
        .await?
        .ok_or(ApiError::NoSuchEvent(id))?;
    tracing::info!(user = %principal.name, id, preserved, "event preservation changed");
    Ok(Json(PreserveOutcome { changed, preserved, complete: true }))
}

/// `POST /api/v1/preserve?<filters>` (analysts): every event the filters select is preserved
/// (at most 100 000 per request; `complete: false` says to ask again). `DELETE` releases them.
pub async fn preserve_matching(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<PreserveOutcome>, ApiError> {
    mark_matching(state, principal, params, true).await
}

pub async fn release_matching(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<PreserveOutcome>, ApiError> {
    mark_matching(state, principal, params, false).await
}

async fn mark_matching(state: AppState, principal: Principal, params: HashMap<String, String>, preserved: bool) -> Result<Json<PreserveOutcome>, ApiError> {
    principal.require(Role::Analyst)?;
    let filter = EventFilter::from_params(&params).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    if filter == EventFilter::default() {
        return Err(ApiError::BadRequest("give at least one filter (e.g. rule=942100 or from=…); to select every event say from=0".to_owned()));
    }
    let (changed, complete) = state.blocking(move |store| store.set_preserved_matching(&filter, preserved)).await?;
    tracing::info!(user = %principal.name, changed, preserved, complete, "preservation of a filter's events changed");
    Ok(Json(PreserveOutcome { changed, preserved, complete }))
}

/// `GET /api/v1/events/{id}/raw`: the original upload, byte for byte.
pub async fn get_raw(State(state): State<AppState>, _principal: Principal, Path(id): Path<u64>) -> Result<Response, ApiError> {
    let raw = state.blocking(move |store| store.get_raw(id)).await?.ok_or(ApiError::NoSuchEvent(id))?;
    let disposition = format!("attachment; filename=\"wafscope-event-{id}.auditlog\"");
    Ok(([(CONTENT_TYPE, "application/octet-stream".to_owned()), (CONTENT_DISPOSITION, disposition)], raw).into_response())
}
