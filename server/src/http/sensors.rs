//! `GET /api/v1/sensors`: every sensor's health, for the Sensors page and monitoring.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::state::AppState;
use app::model::SensorList;
use axum::Json;
use axum::extract::State;

pub async fn list_sensors(State(state): State<AppState>, _principal: Principal) -> Result<Json<SensorList>, ApiError> {
    let failures = state.auth_failures.snapshot();
    let now = crate::clock::unix_micros();
    let sensors = state.blocking(move |store| store.sensor_health(now, &failures)).await?;
    Ok(Json(SensorList { sensors }))
}
