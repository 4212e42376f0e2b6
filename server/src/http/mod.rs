//! The HTTP surface: [`router`] wires the read API, the server functions and the embedded UI.
//!
//! Invariants: every `/api/v1/*` route except health takes a [`Principal`](crate::auth::Principal);
//! every state-changing `/api/*` request but ingest comes from the console's own origin
//! ([`origin`]); unknown `/api/*` paths are JSON 404s; everything else falls through to the UI.

pub mod actions;
pub mod api;
pub mod assets;
pub mod errors;
pub mod events;
pub mod exclusions;
pub mod origin;
pub mod sensors;
pub mod stats;
pub mod triage;
pub mod tuning;
pub mod views;

use crate::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};

/// A JSON request body as `T` (400 with serde's reason otherwise). Handlers that need a role
/// take the body as bytes and call this after the role check, so a caller without the role
/// gets 403 whatever it sent.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, errors::ApiError> {
    serde_json::from_slice(body).map_err(|error| errors::ApiError::BadRequest(format!("bad JSON body: {error}")))
}

/// The whole application as one `Router`, ready for `oneshot` in tests or for serving.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/health", get(api::get_health))
        .route("/api/v1/status", get(api::get_status))
        .route("/api/v1/storage", get(api::get_storage))
        .route("/api/v1/session", get(api::get_session))
        .route("/api/v1/events", get(events::list_events))
        .route("/api/v1/events/{id}", get(events::get_event))
        .route("/api/v1/events/{id}/raw", get(events::get_raw))
        .route("/api/v1/events/{id}/preserve", post(events::preserve_event).delete(events::release_event))
        .route("/api/v1/preserve", post(events::preserve_matching).delete(events::release_matching))
        .route("/api/v1/events/{id}/triage", post(triage::triage_event))
        .route("/api/v1/triage", post(triage::triage_matching))
        .route("/api/v1/triage/jobs", get(triage::list_jobs))
        .route("/api/v1/triage/jobs/{id}", get(triage::get_job))
        .route("/api/v1/views", get(views::list_views).post(views::create_view))
        .route("/api/v1/views/{id}", axum::routing::put(views::update_view).delete(views::delete_view))
        .route("/api/v1/tuning", get(tuning::get_tuning))
        .route("/api/v1/tuning/draft", get(tuning::get_draft))
        .route("/api/v1/tuning/what-if", get(tuning::get_what_if))
        .route("/api/v1/exclusions", get(exclusions::list_exclusions).post(exclusions::create_exclusion))
        .route("/api/v1/exclusions.conf", get(exclusions::export_conf))
        .route("/api/v1/exclusions/{id}", axum::routing::delete(exclusions::delete_exclusion))
        .route("/api/v1/exclusions/{id}/approve", post(exclusions::approve_exclusion))
        .route("/api/v1/stats", get(stats::get_stats))
        .route("/api/v1/sensors", get(sensors::list_sensors))
        .route("/api/v1/live", get(crate::live::sse::stream_live_events))
        .route("/api/fn/{*name}", post(actions::handle_server_fn))
        .merge(crate::ingest::router(&state.config.ingest_paths))
        .route("/api", any(api::api_not_found))
        .route("/api/{*rest}", any(api::api_not_found))
        .fallback(serve_ui)
        .layer(middleware::from_fn_with_state(state.clone(), origin::same_origin_only))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|request: &Request| tracing::debug_span!("request", method = %request.method(), path = %loggable_path(request.uri().path()))),
        )
        .with_state(state)
}

/// A request path as it may be logged: no query string, and the secret of a v3/Coraza ingest
/// URL (`/api/v1/ingest/{secret}`) replaced, since it is a credential.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix(INGEST_URL_PREFIX) {
        Some(rest) if !rest.is_empty() => format!("{INGEST_URL_PREFIX}<secret>"),
        _ => path.to_owned(),
    }
}

const INGEST_URL_PREFIX: &str = "/api/v1/ingest/";

async fn serve_ui(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    state.assets.respond(&method, &uri, &headers)
}

async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, state.assets.content_security_policy().clone());
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn ingest_secrets_are_not_logged() {
        assert_eq!(super::loggable_path("/api/v1/ingest/s3cr3t-token"), "/api/v1/ingest/<secret>");
        assert_eq!(super::loggable_path("/api/v1/events"), "/api/v1/events");
        assert_eq!(super::loggable_path("/rpc/auditLogReceiver"), "/rpc/auditLogReceiver");
    }
}
