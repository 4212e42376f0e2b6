//! Sensor authentication: Basic credentials checked against argon2id hashes, with a cache so
//! that a sensor's steady stream of uploads does not pay argon2 each time.

use crate::auth::secrets;
use crate::store::SensorRecord;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// `(username, password)` of a `Basic` Authorization header; the password is everything after
/// the FIRST colon (mlogc sends raw config bytes, a password may contain `:`).
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    let (scheme, encoded) = value.split_at(value.iter().position(|byte| *byte == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim_ascii()).ok()?;
    let colon = decoded.iter().position(|byte| *byte == b':')?;
    let username = String::from_utf8_lossy(&decoded[..colon]).into_owned();
    let password = String::from_utf8_lossy(&decoded[colon + 1..]).into_owned();
    Some((username, password))
}

/// Remembers, per sensor, a keyed digest of the last password that verified and the store's
/// sensor generation at that time. Any change of sensor credentials bumps the generation,
/// which voids every entry, so a rotated or removed sensor is never let in from the cache.
pub struct SensorVerifier {
    key: [u8; 32],
    verified: Mutex<HashMap<String, (u64, [u8; 32])>>,
}

impl Default for SensorVerifier {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SensorVerifier { key, verified: Mutex::new(HashMap::new()) }
    }
}

impl SensorVerifier {
    fn digest(&self, password: &str) -> [u8; 32] {
        Sha256::new().chain_update(self.key).chain_update(password.as_bytes()).finalize().into()
    }

    /// Fast path, no IO: whether this password verified for `sensor` at `generation`.
    pub fn is_cached(&self, sensor: &str, password: &str, generation: u64) -> bool {
        let digest = self.digest(password);
        let verified = self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        verified.get(sensor).is_some_and(|(known_generation, known)| *known_generation == generation && bool::from(known.ct_eq(&digest)))
    }

    /// Slow path (blocking: argon2): checks `password` against `record`, read from the store
    /// at `generation` (read the generation BEFORE the record), and caches a success.
    pub fn verify(&self, sensor: &str, record: &SensorRecord, password: &str, generation: u64) -> bool {
        if !secrets::verify_password(password, &record.password_hash) {
            return false;
        }
        let mut verified = self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        verified.insert(sensor.to_owned(), (generation, self.digest(password)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_splits_at_the_first_colon() {
        let mut headers = HeaderMap::new();
        // "sensor1:s3cr:t", as captured from mlogc (mlogc-protocol.md §1.3).
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic c2Vuc29yMTpzM2NyOnQ="));
        assert_eq!(basic_credentials(&headers), Some(("sensor1".into(), "s3cr:t".into())));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(basic_credentials(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&headers), None);
    }

    #[test]
    fn verifier_caches_only_the_right_password_for_the_current_generation() {
        let verifier = SensorVerifier::default();
        let record = SensorRecord { password_hash: secrets::hash_password("pw-one-1"), url_secret_sha256: String::new(), created_at: 0 };
        assert!(!verifier.verify("s", &record, "wrong", 1));
        assert!(!verifier.is_cached("s", "wrong", 1));
        assert!(verifier.verify("s", &record, "pw-one-1", 1));
        assert!(verifier.is_cached("s", "pw-one-1", 1), "cached");
        assert!(!verifier.is_cached("s", "pw-one-2", 1), "the cache accepts no other password");
        assert!(!verifier.is_cached("other", "pw-one-1", 1), "nor another sensor");
        assert!(!verifier.is_cached("s", "pw-one-1", 2), "a credentials change voids the cache");
    }
}
