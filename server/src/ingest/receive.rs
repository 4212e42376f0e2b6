//! The ingest handlers and the answers mlogc understands (see the status contract in `mod.rs`).

use super::credentials::basic_credentials;
use super::prepare::prepare_event_with;
use crate::auth::secrets;
use crate::state::AppState;
use crate::store::{Rejection, WriteError, WriteOutcome};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Uploads up to this size are prepared on the runtime thread (under ~100 µs of CPU), larger
/// ones on the blocking pool.
pub const INLINE_PREPARE_BYTES: usize = 14 * 1024;

/// `PUT /rpc/auditLogReceiver`: mlogc with Basic auth.
pub async fn receive_mlogc(State(state): State<AppState>, request: Request) -> Response {
    let client = crate::auth::client_ip(request.extensions());
    match authenticate_basic(&state, request.headers(), client).await {
        Ok(sensor) => receive_upload(state, sensor, request).await,
        Err(response) => response,
    }
}

/// `POST /api/v1/ingest` with Basic auth (v3/Coraza through a proxy that adds it, scripts).
pub async fn receive_basic_post(State(state): State<AppState>, request: Request) -> Response {
    receive_mlogc(State(state), request).await
}

/// `POST /api/v1/ingest/{secret}`: the secret in the path names the sensor.
pub async fn receive_url_secret(State(state): State<AppState>, Path(secret): Path<String>, request: Request) -> Response {
    if basic_credentials(request.headers()).is_some() {
        return receive_mlogc(State(state), request).await;
    }
    let hash = secrets::secret_hash(&secret);
    match state.blocking(move |store| store.find_sensor_by_url_secret(&hash)).await {
        Ok(Some(sensor)) => receive_upload(state, sensor, request).await,
        Ok(None) => {
            tracing::warn!("ingest refused: unknown ingest URL secret");
            unauthorized()
        }
        Err(_) => unavailable("storage is unavailable"),
    }
}

/// Checks Basic credentials. Valid ones are cached (no hash per upload); others take a slot
/// of the client's throttle before the hash runs, and an unknown sensor name costs the same
/// hash as a wrong password: both answer the same 401 in about the same time, so names cannot
/// be told apart, and a client past its limit is answered 401 without a hash.
async fn authenticate_basic(state: &AppState, headers: &HeaderMap, client: IpAddr) -> Result<String, Response> {
    let Some((sensor, password)) = basic_credentials(headers) else {
        tracing::warn!(client = %client, "ingest refused: no Basic credentials");
        return Err(unauthorized());
    };
    let verifier = state.sensor_verifier.clone();
    if verifier.is_cached(&sensor, &password, state.store.sensor_generation()) {
        return Ok(sensor);
    }
    // argon2 costs ~19 MiB and tens of ms: bound how many run at once, so a burst of fresh
    // connections (or of wrong passwords) cannot exhaust memory; the first one to finish
    // fills the cache for the others. The throttle's slot is taken after the wait: a burst
    // of valid uploads on fresh connections from one address (many sensors behind one NAT,
    // a restarted mlogc) waits for the first check instead of counting as pending guesses
    // (before, 32 connections from one address got 401s for valid credentials).
    let Ok(_permit) = state.password_checks.clone().acquire_owned().await else {
        return Err(unavailable("shutting down"));
    };
    if verifier.is_cached(&sensor, &password, state.store.sensor_generation()) {
        return Ok(sensor);
    }
    let attempt = match state.ingest_limiter.begin(client, &sensor, Instant::now()) {
        Ok(attempt) => attempt,
        Err(_) => {
            tracing::warn!(client = %client, "ingest refused: too many failed sensor credentials from this address");
            return Err(unauthorized());
        }
    };
    let name = sensor.clone();
    // Ok(Some(Err(created_at))): a wrong password for the sensor record created then
    let verified = state
        .blocking(move |store| {
            let generation = store.sensor_generation();
            if verifier.is_cached(&name, &password, generation) {
                return Ok(Some(Ok(())));
            }
            match store.get_sensor(&name)? {
                Some(record) => Ok(Some(if verifier.verify(&name, &record, &password, generation) { Ok(()) } else { Err(record.created_at) })),
                None => {
                    // the same work as a wrong password
                    secrets::verify_password(&password, secrets::dummy_hash());
                    Ok(None)
                }
            }
        })
        .await;
    match verified {
        Ok(Some(Ok(()))) => {
            state.ingest_limiter.succeeded(attempt);
            Ok(sensor)
        }
        Ok(Some(Err(created_at))) => {
            tracing::warn!(sensor = %sensor, client = %client, "ingest refused: wrong password for the sensor");
            state.auth_failures.count(&sensor, created_at);
            Err(unauthorized())
        }
        Ok(None) => {
            tracing::warn!(client = %client, "ingest refused: unknown sensor name");
            Err(unauthorized())
        }
        Err(_) => Err(unavailable("storage is unavailable")),
    }
}

async fn receive_upload(state: AppState, sensor: String, request: Request) -> Response {
    let cap = state.config.max_upload_bytes;
    let (parts, body) = request.into_parts();
    let summary_header = parts.headers.get("x-forensiclog-summary").map(|value| value.as_bytes().to_vec());
    let content_hash = parts.headers.get("x-content-hash").map(|value| value.as_bytes().to_vec());
    let declared = parts.headers.get(CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|text| text.parse::<u64>().ok());
    if let Some(size) = declared.filter(|size| *size > cap) {
        return reject_oversized(&state, sensor, summary_header.as_deref(), size).await;
    }
    let idle = Duration::from_secs(state.config.client_timeout_seconds);
    let raw = match read_body(body, cap, idle, declared.unwrap_or(0)).await {
        Ok(raw) => raw,
        Err(BodyError::TooLarge(size)) => return reject_oversized(&state, sensor, summary_header.as_deref(), size).await,
        Err(BodyError::Stalled) => {
            tracing::warn!(sensor = %sensor, "upload body stalled; dropped");
            return unavailable("the upload body stalled");
        }
        Err(BodyError::Broken(error)) => {
            tracing::warn!(sensor = %sensor, %error, "upload body broken");
            return unavailable("the upload body could not be read");
        }
    };
    let size = raw.len();
    let received_at = crate::clock::unix_micros();
    // parsing, md5 and zstd take ~12 µs per KiB: a typical entry of a few KiB is prepared right
    // here (cheaper than two thread hand-offs), a large one (up to seconds for 64 MiB) on the
    // blocking pool, never on the runtime threads that serve every other connection
    let dictionary = state.store.raw_dictionary();
    let event = if size <= INLINE_PREPARE_BYTES {
        prepare_event_with(dictionary.as_deref(), &sensor, &raw, summary_header.as_deref(), content_hash.as_deref(), received_at)
    } else {
        let name = sensor.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            prepare_event_with(dictionary.as_deref(), &name, &raw, summary_header.as_deref(), content_hash.as_deref(), received_at)
        })
        .await;
        match prepared {
            Ok(event) => event,
            Err(error) => {
                tracing::error!(%error, "preparing an upload failed");
                return unavailable("internal error");
            }
        }
    };
    match state.writer.write(event).await {
        Ok(WriteOutcome::Stored(id)) => {
            tracing::debug!(sensor = %sensor, id, size, "stored");
            ok()
        }
        Ok(WriteOutcome::Duplicate(id)) => {
            tracing::debug!(sensor = %sensor, id, size, "duplicate upload acknowledged");
            ok()
        }
        Err(WriteError::QueueFull) => {
            tracing::warn!(sensor = %sensor, "write queue full; upload refused with 503");
            unavailable("the write queue is full")
        }
        Err(WriteError::DiskFull) => unavailable("the console's disk is full"),
        Err(WriteError::Storage(_) | WriteError::Stopped) => unavailable("storage is unavailable"),
    }
}

enum BodyError {
    TooLarge(u64),
    Stalled,
    Broken(String),
}

/// Reads the whole body; `declared` (Content-Length, already checked against `cap`) sizes the
/// buffer once instead of growing it chunk by chunk.
async fn read_body(body: Body, cap: u64, idle: Duration, declared: u64) -> Result<Vec<u8>, BodyError> {
    let mut body = body;
    let mut bytes = Vec::with_capacity(declared.min(cap) as usize);
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(BodyError::Stalled),
            Ok(None) => return Ok(bytes),
            Ok(Some(Err(error))) => return Err(BodyError::Broken(error.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            let total = bytes.len() as u64 + data.len() as u64;
            if total > cap {
                return Err(BodyError::TooLarge(total));
            }
            bytes.extend_from_slice(&data);
        }
    }
}

async fn reject_oversized(state: &AppState, sensor: String, summary_header: Option<&[u8]>, size: u64) -> Response {
    let cap = state.config.max_upload_bytes;
    let reason = format!("entry of {size} bytes exceeds the upload limit of {cap} bytes");
    let unique_id = summary_header.and_then(wafscope_parse::parse_index_line).map(|line| line.unique_id).unwrap_or_default();
    tracing::warn!(sensor = %sensor, unique_id = %unique_id, size, "upload over the size cap refused with 409");
    let rejection = Rejection { at: crate::clock::unix_micros(), sensor, unique_id, size, reason: reason.clone() };
    if let Err(error) = state.blocking(move |store| store.record_rejection(&rejection)).await {
        tracing::error!(%error, "could not record a rejection");
    }
    answer(StatusCode::CONFLICT, &reason)
}

fn ok() -> Response {
    (StatusCode::OK, [(CONTENT_TYPE, "text/plain")], "OK\n").into_response()
}

fn unauthorized() -> Response {
    let mut response = answer(StatusCode::UNAUTHORIZED, "sensor authentication failed");
    response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"wafscope ingest\""));
    response
}

fn unavailable(reason: &str) -> Response {
    let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, reason);
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// A status with the reason in the status line (URL-encoded, as mlogc decodes it for its
/// log) and as a JSON body.
fn answer(status: StatusCode, reason: &str) -> Response {
    let body = serde_json::json!({ "error": reason }).to_string();
    let mut response = (status, [(CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(url_encode(reason).into_bytes()) {
        response.extensions_mut().insert(phrase);
    }
    response
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons_are_url_encoded() {
        assert_eq!(super::url_encode("over 64 MiB: no"), "over%2064%20MiB%3A%20no");
    }
}
