//! The [`Principal`] extractor: a session cookie or `Authorization: Bearer <token>`, else 401.

use super::{SESSION_COOKIE, secrets, unix_now};
use crate::http::errors::ApiError;
use crate::state::AppState;
use app::model::Role;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Session,
    Token,
}

/// An authenticated caller of the read API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Username, or token name for bearer tokens.
    pub name: String,
    pub role: Role,
    pub kind: PrincipalKind,
    /// SHA-256 of the session secret or token it proved itself with (to check it again).
    pub credential: [u8; 32],
}

impl Principal {
    /// `Err(403)` unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role { Ok(()) } else { Err(ApiError::Forbidden(role)) }
    }

    /// Whether its session or token is still valid now (a long-lived response, like the live
    /// stream, checks this every few seconds: a logout, an expiry, a removed user or a
    /// revoked token ends it). A storage failure counts as still valid: it is not a sign-out.
    pub async fn still_valid(&self, state: &AppState) -> bool {
        let (kind, credential) = (self.kind, self.credential);
        let checked = state
            .blocking(move |store| {
                Ok(match kind {
                    PrincipalKind::Session => store.find_session(&credential, unix_now())?.is_some(),
                    PrincipalKind::Token => store.find_token(&credential)?.is_some(),
                })
            })
            .await;
        checked.unwrap_or(true)
    }
}

/// The bearer token of an `Authorization` header, if it has one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// The session secret from the `Cookie` headers, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer_token(&parts.headers) {
            let hash = secrets::secret_hash(token);
            let found = state.blocking(move |store| store.find_token(&hash)).await?;
            return match found {
                Some((name, record)) => Ok(Principal { name, role: record.role, kind: PrincipalKind::Token, credential: hash }),
                None => Err(ApiError::Unauthorized),
            };
        }
        if let Some(secret) = session_cookie(&parts.headers) {
            let hash = secrets::secret_hash(secret);
            let now = unix_now();
            let found = state.blocking(move |store| store.find_session(&hash, now)).await?;
            if let Some((session, user)) = found {
                return Ok(Principal { name: session.username, role: user.role, kind: PrincipalKind::Session, credential: hash });
            }
        }
        Err(ApiError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_bearer_and_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer  wfs_abc "));
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; wafscope_session=s3cr3t; x=1"));
        assert_eq!(bearer_token(&headers), Some("wfs_abc"));
        assert_eq!(session_cookie(&headers), Some("s3cr3t"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwdw=="));
        assert_eq!(bearer_token(&headers), None);
    }
}
