//! Triage endpoints (analysts and admins change, everyone reads):
//! `POST /api/v1/events/{id}/triage`, `POST /api/v1/triage` (a list of ids at once, or every
//! event of the query's filter as a background job), `GET /api/v1/triage/jobs[/{id}]`.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::filter::EventFilter;
use crate::state::AppState;
use app::model::{Role, TriageChange, TriageJob, TriageOutcome};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Most ids one `POST /api/v1/triage` may list (a filter has no limit: it runs as a job).
pub const MAX_IDS: usize = 10_000;

/// The change in `body`, checked (after the role check: a viewer learns nothing of the body).
fn checked(body: &[u8]) -> Result<TriageChange, ApiError> {
    let change: TriageChange = super::json_body(body)?;
    change.problem().map_or(Ok(change), |problem| Err(ApiError::BadRequest(problem)))
}

/// `POST /api/v1/events/{id}/triage` with a [`TriageChange`].
pub async fn triage_event(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>, body: Bytes) -> Result<Json<TriageOutcome>, ApiError> {
    principal.require(Role::Analyst)?;
    let change = checked(&body)?;
    let user = principal.name.clone();
    let changed = state
        .blocking(move |store| {
            if store.get_event(id)?.is_none() {
                return Ok(None);
            }
            store.apply_triage(&[id], &change, &user, crate::clock::unix_micros(), None).map(Some)
        })
        .await?
        .ok_or(ApiError::NoSuchEvent(id))?;
    tracing::info!(user = %principal.name, id, changed, "event triaged");
    Ok(Json(TriageOutcome { changed, selected: 1 }))
}

/// `POST /api/v1/triage?<filters>` with a [`TriageChange`]: with `ids`, those events (answered
/// when done); without, every event the query's filters select, as a job (202 with the job;
/// follow it at `/api/v1/triage/jobs/{id}`). One job runs at a time (409 names the running one).
pub async fn triage_matching(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Role::Analyst)?;
    let change = checked(&body)?;
    let user = principal.name.clone();
    if !change.ids.is_empty() {
        if change.ids.len() > MAX_IDS {
            return Err(ApiError::BadRequest(format!("at most {MAX_IDS} ids per request; select the rest with a filter")));
        }
        let selected = change.ids.len() as u64;
        let changed = state.blocking(move |store| store.apply_triage(&change.ids, &change, &user, crate::clock::unix_micros(), None)).await?;
        tracing::info!(user = %principal.name, selected, changed, "events triaged");
        return Ok(Json(TriageOutcome { changed, selected }).into_response());
    }
    let filter = EventFilter::from_params(&params).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    if filter == EventFilter::default() {
        return Err(ApiError::BadRequest("give ids, or at least one filter (e.g. rule=942100); to select every event say from=0".to_owned()));
    }
    let mut pairs: Vec<(&String, &String)> = params.iter().collect();
    pairs.sort();
    let filter_text = pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&");
    let job = state
        .triage_jobs
        .begin(&user, &filter_text, crate::clock::unix_micros())
        .map_err(|running| ApiError::Conflict(format!("triage job {running} is still running; wait for it to finish")))?;
    tracing::info!(user = %principal.name, job = job.id, "bulk triage started");
    let (store, jobs, id) = (state.store.clone(), state.triage_jobs.clone(), job.id);
    tokio::task::spawn_blocking(move || {
        crate::jobs::run(&store, &jobs, id, &filter, &change, &user, crate::clock::unix_micros);
        if let Some(job) = jobs.get(id) {
            tracing::info!(
                job = id,
                selected = job.selected,
                changed = job.changed,
                complete = job.complete,
                failed = job.error.is_some(),
                "bulk triage ended"
            );
        }
    });
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// `GET /api/v1/triage/jobs`: this process's bulk jobs, newest first.
pub async fn list_jobs(State(state): State<AppState>, _principal: Principal) -> Json<Vec<TriageJob>> {
    Json(state.triage_jobs.list())
}

/// `GET /api/v1/triage/jobs/{id}`: one job's progress.
pub async fn get_job(State(state): State<AppState>, _principal: Principal, Path(id): Path<u64>) -> Result<Json<TriageJob>, ApiError> {
    state.triage_jobs.get(id).map(Json).ok_or_else(|| ApiError::Missing(format!("no triage job {id} (jobs end with the process)")))
}
