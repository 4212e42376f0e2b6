//! The read API's small endpoints: health, status, session, and the JSON 404 for `/api/*`.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::state::AppState;
use app::model::{Health, ServerStatus, SessionInfo};
use axum::extract::State;
use axum::Json;
use std::path::Path;

/// The version baked into this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /api/v1/health`: no authentication, no secrets.
pub async fn get_health() -> Json<Health> {
    Json(Health { status: "ok".to_owned(), version: VERSION.to_owned() })
}

/// `GET /api/v1/status`: version, uptime, data-dir size.
pub async fn get_status(State(state): State<AppState>, _principal: Principal) -> Result<Json<ServerStatus>, ApiError> {
    let data_dir = state.config.data_dir.clone();
    let data_dir_bytes = tokio::task::spawn_blocking(move || directory_size(&data_dir))
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(Json(ServerStatus {
        version: VERSION.to_owned(),
        uptime_seconds: state.started.elapsed().as_secs(),
        data_dir: state.config.data_dir.display().to_string(),
        data_dir_bytes,
        listen: state.config.listen.to_string(),
        tls: false,
    }))
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
