//! The events read API: list with filters, one event in full, its original bytes.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::filter::EventFilter;
use crate::state::AppState;
use app::model::{EventDetail, EventPage};
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;

/// Default and largest page size.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

/// `GET /api/v1/events?limit=&before=&<filters>`: newest first.
pub async fn list_events(State(state): State<AppState>, _principal: Principal, Query(params): Query<HashMap<String, String>>) -> Result<Json<EventPage>, ApiError> {
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
    let (events, next_before) = state.blocking(move |store| store.list_events(&filter, before, limit)).await?;
    Ok(Json(EventPage { events, next_before }))
}

/// `GET /api/v1/events/{id}`: the summary plus the entry parsed from its stored raw bytes.
pub async fn get_event(State(state): State<AppState>, _principal: Principal, Path(id): Path<u64>) -> Result<Json<EventDetail>, ApiError> {
    let detail = state
        .blocking(move |store| {
            let Some(summary) = store.get_event(id)? else { return Ok(None) };
            let raw = store.get_raw(id)?.unwrap_or_default();
            let md5 = store.get_md5(&summary)?.map(hex::encode).unwrap_or_default();
            let parsed = wafscope_parse::parse_entry(&raw);
            let mut warnings = parsed.warnings;
            if summary.hash_mismatch {
                warnings.insert(0, "the upload's X-Content-Hash did not match its body".to_owned());
            }
            Ok(Some(EventDetail { summary, event: parsed.event, warnings, raw_size: raw.len() as u64, md5 }))
        })
        .await?;
    detail.map(Json).ok_or(ApiError::NoSuchEvent(id))
}

/// `GET /api/v1/events/{id}/raw`: the original upload, byte for byte.
pub async fn get_raw(State(state): State<AppState>, _principal: Principal, Path(id): Path<u64>) -> Result<Response, ApiError> {
    let raw = state.blocking(move |store| store.get_raw(id)).await?.ok_or(ApiError::NoSuchEvent(id))?;
    let disposition = format!("attachment; filename=\"wafscope-event-{id}.auditlog\"");
    Ok(([(CONTENT_TYPE, "application/octet-stream".to_owned()), (CONTENT_DISPOSITION, disposition)], raw).into_response())
}
