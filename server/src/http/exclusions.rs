//! Exclusion sets: `GET`/`POST /api/v1/exclusions` (analysts save a draft with a comment),
//! `POST /api/v1/exclusions/{id}/approve` (admins), `DELETE /api/v1/exclusions/{id}` (its
//! author while proposed, admins always), and `GET /api/v1/exclusions.conf?placement=&sensor=`
//! (the approved ones as one `.conf` per placement).

use super::errors::ApiError;
use super::json_body;
use super::tuning::{candidates, impact_of, window_only};
use crate::auth::Principal;
use crate::filter::EventFilter;
use crate::state::AppState;
use crate::store::exclusions::NewExclusion;
use crate::store::scan::TUNING_SCAN_BUDGET;
use crate::tuning::{Tuned, conf, removed_alerts};
use app::model::{Exclusion, ExclusionList, ExclusionRequest, ExclusionStatus, Placement, Role, Undeployed};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};

/// Longest comment, in bytes.
pub const MAX_COMMENT_BYTES: usize = 2000;

/// `GET /api/v1/exclusions`: every exclusion, oldest first; for the approved ones, per sensor,
/// the events that arrived after the approval and that it covers (it is not deployed there).
pub async fn list_exclusions(State(state): State<AppState>, _principal: Principal) -> Result<Json<ExclusionList>, ApiError> {
    let list = state
        .blocking(move |store| {
            let mut exclusions = store.list_exclusions()?;
            for exclusion in exclusions.iter_mut().filter(|exclusion| exclusion.status == ExclusionStatus::Approved) {
                let approved_at = exclusion.approved_at.unwrap_or_default();
                let filter = candidates(&exclusion.spec, EventFilter::default());
                let mut per_sensor: BTreeMap<String, Undeployed> = BTreeMap::new();
                let spec = exclusion.spec.clone();
                store.for_each_selected_after(&filter, u64::try_from(approved_at).unwrap_or(0), TUNING_SCAN_BUDGET, |summary| {
                    let event = Tuned::of(summary);
                    if !removed_alerts([&spec], &event).is_empty() {
                        let entry =
                            per_sensor.entry(summary.sensor.clone()).or_insert_with(|| Undeployed { sensor: summary.sensor.clone(), events: 0, last_seen: 0 });
                        entry.events += 1;
                        entry.last_seen = entry.last_seen.max(event.time);
                    }
                })?;
                exclusion.undeployed = per_sensor.into_values().collect();
            }
            Ok(exclusions)
        })
        .await?;
    Ok(Json(ExclusionList { exclusions: list }))
}

/// `POST /api/v1/exclusions[?from=&to=]` with an [`ExclusionRequest`] (analysts): saves the
/// draft as proposed, with its impact over the window (default: the last 24 hours) and the
/// next rule id of the range.
pub async fn create_exclusion(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<Exclusion>, ApiError> {
    principal.require(Role::Analyst)?;
    let request: ExclusionRequest = json_body(&body)?;
    if request.comment.len() > MAX_COMMENT_BYTES {
        return Err(ApiError::BadRequest(format!("the comment is longer than {MAX_COMMENT_BYTES} bytes")));
    }
    let spec = request.spec.normalized();
    conf::check(&spec).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let (filter, minutes) = window_only(params)?;
    let (ids, threshold, user, comment) = (state.config.exclusion_ids, state.config.inbound_threshold, principal.name.clone(), request.comment);
    let saved = state
        .blocking(move |store| {
            let impact = impact_of(store, &spec, filter, minutes, threshold)?;
            store.save_exclusion(NewExclusion { spec: &spec, comment: &comment, user: &user, at: crate::clock::unix_micros(), impact, ids })
        })
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("the exclusion rule ids {}-{} are used up; give serve a new --exclusion-ids range", ids.0, ids.1)))?;
    tracing::info!(user = %principal.name, exclusion = saved.id, rule = saved.spec.rule_id, "exclusion proposed");
    Ok(Json(saved))
}

/// `POST /api/v1/exclusions/{id}/approve` (admins).
pub async fn approve_exclusion(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>) -> Result<Json<Exclusion>, ApiError> {
    principal.require(Role::Admin)?;
    let admin = principal.name.clone();
    let outcome = state
        .blocking(move |store| store.approve_exclusion(id, &admin, crate::clock::unix_micros()))
        .await?
        .ok_or_else(|| ApiError::Missing(format!("no exclusion {id}")))?;
    let approved = outcome.map_err(|exclusion| ApiError::Conflict(format!("exclusion {} was approved already", exclusion.id)))?;
    tracing::info!(user = %principal.name, exclusion = id, "exclusion approved");
    Ok(Json(approved))
}

/// `DELETE /api/v1/exclusions/{id}`: its author may withdraw it while it is proposed; an admin
/// may delete any (its rule id is not given again).
pub async fn delete_exclusion(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>) -> Result<Json<Exclusion>, ApiError> {
    principal.require(Role::Analyst)?;
    let exclusion = state.blocking(move |store| store.get_exclusion(id)).await?.ok_or_else(|| ApiError::Missing(format!("no exclusion {id}")))?;
    if exclusion.status == ExclusionStatus::Approved || exclusion.created_by != principal.name {
        principal.require(Role::Admin)?;
    }
    let removed = state.blocking(move |store| store.delete_exclusion(id)).await?.ok_or_else(|| ApiError::Missing(format!("no exclusion {id}")))?;
    tracing::info!(user = %principal.name, exclusion = id, "exclusion deleted");
    Ok(Json(removed))
}

/// `GET /api/v1/exclusions.conf?placement=before|after[&sensor=]`: the approved exclusions of
/// one placement, for every sensor or for one (those for every sensor and those for it).
pub async fn export_conf(State(state): State<AppState>, _principal: Principal, Query(params): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let placement = params
        .get("placement")
        .and_then(|text| Placement::parse(text))
        .ok_or_else(|| ApiError::BadRequest("placement must be before (REQUEST-900…) or after (RESPONSE-999…)".to_owned()))?;
    let sensor = params.get("sensor").filter(|sensor| !sensor.is_empty()).cloned();
    let exclusions = state.blocking(move |store| store.list_exclusions()).await?;
    let generated = crate::clock::rfc3339(crate::clock::unix_micros());
    let text = conf::export(&exclusions, placement, sensor.as_deref(), &generated);
    let disposition = format!("attachment; filename=\"wafscope-exclusions-{}.conf\"", placement.as_str());
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()), (CONTENT_DISPOSITION, disposition)], text).into_response())
}
