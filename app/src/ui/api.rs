//! The only place that talks HTTP to the JSON API (server functions have their own stubs).

use crate::model::ApiError;
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// Why a request to the API did not give the expected JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// 401: the session is missing or expired.
    Unauthorized,
    /// Any other non-2xx answer, with the server's `error` text when it sent one.
    Status(u16, String),
    /// The request did not complete or the body was not the expected JSON.
    Network(String),
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiFailure::Unauthorized => f.write_str("your session has ended; sign in again"),
            ApiFailure::Status(code, message) => write!(f, "server answered {code}: {message}"),
            ApiFailure::Network(message) => write!(f, "cannot reach wafscope: {message}"),
        }
    }
}

/// GETs `path` and decodes the JSON answer.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|error| ApiFailure::Network(error.to_string()))?;
    match response.status() {
        200..=299 => response.json::<T>().await.map_err(|error| ApiFailure::Network(error.to_string())),
        401 => Err(ApiFailure::Unauthorized),
        code => {
            let message = match response.json::<ApiError>().await {
                Ok(body) => body.error,
                Err(_) => response.status_text(),
            };
            Err(ApiFailure::Status(code, message))
        }
    }
}
