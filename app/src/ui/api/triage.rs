//! Triage and saved views over the JSON API.

use super::{ApiFailure, get_json, send_json, send_request};
use crate::model::{SavedView, TriageChange, TriageJob, TriageOutcome, ViewRequest};
use gloo_net::http::Request;

/// A JSON body for a request (same origin: the session cookie and `Origin` go with it).
pub(super) fn with_body<T: serde::Serialize>(request: gloo_net::http::RequestBuilder, body: &T) -> Result<gloo_net::http::Request, ApiFailure> {
    request.header("Accept", "application/json").json(body).map_err(|error| ApiFailure::Network(error.to_string()))
}

/// `POST /api/v1/events/{id}/triage`.
pub async fn triage_event(id: u64, change: &TriageChange) -> Result<TriageOutcome, ApiFailure> {
    send_request(with_body(Request::post(&format!("/api/v1/events/{id}/triage")), change)?).await
}

/// `POST /api/v1/triage?<filter>`: every event the filter selects, as a job (answered 202).
pub async fn triage_matching(filter_query: &str, change: &TriageChange) -> Result<TriageJob, ApiFailure> {
    send_request(with_body(Request::post(&crate::filters::with_query("/api/v1/triage", filter_query)), change)?).await
}

/// `GET /api/v1/triage/jobs/{id}`.
pub async fn get_job(id: u64) -> Result<TriageJob, ApiFailure> {
    get_json(&format!("/api/v1/triage/jobs/{id}")).await
}

/// `GET /api/v1/views`.
pub async fn list_views() -> Result<Vec<SavedView>, ApiFailure> {
    get_json("/api/v1/views").await
}

/// `POST /api/v1/views`.
pub async fn create_view(request: &ViewRequest) -> Result<SavedView, ApiFailure> {
    send_request(with_body(Request::post("/api/v1/views"), request)?).await
}

/// `DELETE /api/v1/views/{id}`.
pub async fn delete_view(id: u64) -> Result<SavedView, ApiFailure> {
    send_json(Request::delete(&format!("/api/v1/views/{id}"))).await
}
