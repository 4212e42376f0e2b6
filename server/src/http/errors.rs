//! [`ApiError`]: the one mapping from failures of the read API to status codes and
//! `{"error": …}` bodies. 5xx bodies stay generic; their detail is logged once here.

use crate::store::StoreError;
use app::model::Role;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A failure answered to an API caller.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required: send a session cookie or Authorization: Bearer <token>")]
    Unauthorized,
    #[error("this needs the {0} role")]
    Forbidden(Role),
    #[error("no such API endpoint")]
    NotFound,
    #[error("cross-origin request refused: state-changing requests must come from the console's own pages")]
    CrossOrigin,
    #[error("no event with id {0}")]
    NoSuchEvent(u64),
    /// A named thing that does not exist (`no triage job 7`).
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    BadRequest(String),
    /// The request conflicts with the state it would change (a job already running, an
    /// exclusion already approved).
    #[error("{0}")]
    Conflict(String),
    #[error("storage is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status for this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::CrossOrigin => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoSuchEvent(_) | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    /// A record that does not decode is this request's failure (500); anything else means the
    /// store cannot answer now (503, retry later).
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Corrupt(_) => ApiError::Internal(error.to_string()),
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Unavailable(detail) | ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "api request failed");
        }
        let body = app::model::ApiError { error: self.to_string() };
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer realm=\"wafscope\""));
        }
        response
    }
}
