//! The read API's small endpoints: health, status, session, and the JSON 404 for `/api/*`.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::state::AppState;
use app::model::{Health, ServerStatus, SessionInfo, StorageStatus};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::path::Path;

/// The version baked into this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /api/v1/health`: no authentication, no secrets; 503 with the reason while storage
/// cannot take uploads (a full disk, a failed write, a restarting writer).
pub async fn get_health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = state.store.health();
    let writer_restarts = health.writer_restarts();
    match health.problem() {
        None => (StatusCode::OK, Json(Health { status: "ok".to_owned(), version: VERSION.to_owned(), reason: None, since: None, writer_restarts })),
        Some((problem, since)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unavailable".to_owned(), version: VERSION.to_owned(), reason: Some(problem.reason()), since: Some(since), writer_restarts }),
        ),
    }
}

/// `GET /api/v1/status`: version, uptime, data-dir size.
pub async fn get_status(State(state): State<AppState>, _principal: Principal) -> Result<Json<ServerStatus>, ApiError> {
    let data_dir = state.config.data_dir.clone();
    let data_dir_bytes = tokio::task::spawn_blocking(move || directory_size(&data_dir)).await.map_err(|error| ApiError::Internal(error.to_string()))?;
    let storage = storage_status(&state).await?;
    Ok(Json(ServerStatus {
        storage,
        version: VERSION.to_owned(),
        uptime_seconds: state.started.elapsed().as_secs(),
        data_dir: state.config.data_dir.display().to_string(),
        data_dir_bytes,
        listen: state.config.listen.to_string(),
        tls: false,
    }))
}

/// The store's size against its budget and retention.
pub async fn storage_status(state: &AppState) -> Result<StorageStatus, ApiError> {
    let retention = state.retention;
    let now = crate::clock::unix_micros();
    let (usage, last_day) = state
        .blocking(move |store| {
            let usage = store.storage_usage()?;
            let last_day = store.arrivals_since(((now.max(0) / 60_000_000) as u64).saturating_sub(1440))?;
            Ok((usage, last_day))
        })
        .await?;
    let bytes_per_event = state.store.measured_bytes_per_event().or_else(|| (usage.events > 0).then(|| usage.file_bytes as f64 / usage.events as f64));
    let budget_bytes = (retention.max_disk_bytes > 0).then_some(retention.max_disk_bytes);
    let days_in_budget = match (budget_bytes, bytes_per_event) {
        (Some(budget), Some(bytes)) if last_day > 0 && bytes > 0.0 => Some(budget as f64 * crate::store::budget::LOW_WATER / (bytes * last_day as f64)),
        _ => None,
    };
    Ok(StorageStatus {
        file_bytes: usage.file_bytes,
        budget_bytes,
        retain_days: (retention.retain_days > 0).then_some(retention.retain_days),
        events: usage.events,
        preserved: usage.preserved,
        oldest_received_at: usage.oldest_id.map(|id| id as i64),
        bytes_per_event: bytes_per_event.map(|bytes| bytes.round() as u64),
        events_last_day: last_day,
        days_in_budget,
        problem: state.store.health().problem().map(|(problem, _)| problem.reason()),
    })
}

/// `GET /api/v1/storage`: the storage part of the status (the dashboard's header reads it).
pub async fn get_storage(State(state): State<AppState>, _principal: Principal) -> Result<Json<StorageStatus>, ApiError> {
    storage_status(&state).await.map(Json)
}

/// `GET /api/v1/session`: who the caller is (the UI asks this at start).
pub async fn get_session(principal: Principal) -> Json<SessionInfo> {
    Json(SessionInfo { username: principal.name, role: principal.role })
}

/// Any other `/api/*` path: a JSON 404, never the UI's `index.html`.
pub async fn api_not_found() -> ApiError {
    ApiError::NotFound
}

/// Bytes of every regular file below `path` (unreadable entries count as zero).
pub fn directory_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => directory_size(&entry.path()),
            Ok(kind) if kind.is_file() => entry.metadata().map(|meta| meta.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}
