//! The tuning assistant over the JSON API.

use super::triage::with_body;
use super::{ApiFailure, get_json, send_json, send_request};
use crate::model::{Draft, Exclusion, ExclusionList, ExclusionRequest, TuningAnswer, WhatIf};
use gloo_net::http::Request;

/// `GET /api/v1/tuning?<query>`.
pub async fn get_tuning(query: &str) -> Result<TuningAnswer, ApiFailure> {
    get_json(&crate::filters::with_query("/api/v1/tuning", query)).await
}

/// `GET /api/v1/tuning/draft?<query>`.
pub async fn get_draft(query: &str) -> Result<Draft, ApiFailure> {
    get_json(&crate::filters::with_query("/api/v1/tuning/draft", query)).await
}

/// `GET /api/v1/tuning/what-if?<query>`.
pub async fn get_what_if(query: &str) -> Result<WhatIf, ApiFailure> {
    get_json(&crate::filters::with_query("/api/v1/tuning/what-if", query)).await
}

/// `GET /api/v1/exclusions`.
pub async fn list_exclusions() -> Result<ExclusionList, ApiFailure> {
    get_json("/api/v1/exclusions").await
}

/// `POST /api/v1/exclusions?<window>`.
pub async fn create_exclusion(window_query: &str, request: &ExclusionRequest) -> Result<Exclusion, ApiFailure> {
    send_request(with_body(Request::post(&crate::filters::with_query("/api/v1/exclusions", window_query)), request)?).await
}

/// `POST /api/v1/exclusions/{id}/approve`.
pub async fn approve_exclusion(id: u64) -> Result<Exclusion, ApiFailure> {
    send_json(Request::post(&format!("/api/v1/exclusions/{id}/approve"))).await
}

/// `DELETE /api/v1/exclusions/{id}`.
pub async fn delete_exclusion(id: u64) -> Result<Exclusion, ApiFailure> {
    send_json(Request::delete(&format!("/api/v1/exclusions/{id}"))).await
}
