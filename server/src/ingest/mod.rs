//! Ingest: where sensors deliver audit-log entries.
//!
//! - `PUT /rpc/auditLogReceiver` (+ `ingest_paths` from config) for mlogc, Basic auth;
//! - `POST /api/v1/ingest/{secret}` for libmodsecurity 3 / Coraza `SecAuditLogType HTTPS`
//!   writers (they cannot send headers), and `POST /api/v1/ingest` with Basic auth.
//!
//! **Status contract** (mlogc-protocol.md §2): 200 only after the durable commit, also for
//! duplicates; 409 with a URL-encoded reason only for uploads over the size cap (recorded);
//! 401 for bad credentials; 503 when storage is unavailable or the write queue is full.
//! Never 201/204/3xx/400/413: mlogc would stall and retry the same entry forever.
//! Every authenticated upload within the cap is stored raw, whether or not it parses.

pub mod credentials;
mod prepare;
mod receive;

pub use credentials::{SensorVerifier, basic_credentials};
pub use prepare::{alerts_of_raw, prepare_event, prepare_event_with};

use crate::state::AppState;
use axum::Router;
use axum::routing::{post, put};

/// The default mlogc path (`ConsoleURI` of mlogc's sample configuration).
pub const MLOGC_PATH: &str = "/rpc/auditLogReceiver";
/// Prefix of the v3/Coraza ingest URL; the sensor's URL secret follows.
pub const V3_PATH: &str = "/api/v1/ingest";

/// Ingest routes; `extra_paths` are additional mlogc `ConsoleURI` paths from the config.
pub fn router(extra_paths: &[String]) -> Router<AppState> {
    let mut router = Router::new()
        .route(MLOGC_PATH, put(receive::receive_mlogc).post(receive::receive_mlogc))
        .route(V3_PATH, post(receive::receive_basic_post).put(receive::receive_basic_post))
        .route(&format!("{V3_PATH}/"), post(receive::receive_basic_post).put(receive::receive_basic_post))
        .route(&format!("{V3_PATH}/{{secret}}"), post(receive::receive_url_secret).put(receive::receive_url_secret));
    for path in extra_paths {
        if path != MLOGC_PATH {
            router = router.route(path, put(receive::receive_mlogc).post(receive::receive_mlogc));
        }
    }
    router
}
