//! The server side of the UI's server functions (`app::actions`): served by `leptos_axum`
//! under `/api/fn/*`, with [`RequestActions`] provided through Leptos context.
//!
//! The sensor functions need a session of an admin (bearer tokens are for the read API, not
//! for the UI's actions) and do what `wafscope sensor add|passwd|remove` do, through the same
//! `admin::sensors` functions. The mlogc.conf fragment and ingest URL they answer are built
//! on the address the admin's browser used (the `Host` header, `https` when the request came
//! over TLS): the console's own view of its address is often a wildcard or a loopback. Without
//! a usable `Host` header they fall back to what the CLI prints by default (listen address and
//! TLS setting).

use crate::admin::sensors::{self, SensorChangeError, SensorSecrets};
use crate::auth::principal::session_cookie;
use crate::auth::{SESSION_COOKIE, secrets, unix_now};
use crate::config::Config;
use crate::state::AppState;
use crate::store::SessionRecord;
use app::actions::{ActionBackend, ActionFuture};
use app::model::{LoginOutcome, Role, SensorCredentials, SensorCredentialsOutcome, SensorRefusal, SensorRemovalOutcome, SessionInfo};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{HOST, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::response::IntoResponse;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::ResponseOptions;
use std::sync::Arc;
use std::time::Instant;

/// Marker extension the listener puts on requests that arrived over TLS.
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// `POST /api/fn/{name}`: runs a server function with this request's actions in context.
pub async fn handle_server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    let backend: Arc<dyn ActionBackend> = Arc::new(RequestActions { state });
    leptos_axum::handle_server_fns_with_context(move || provide_context(backend.clone()), request).await
}

/// The implementation of the server functions for one request.
struct RequestActions {
    state: AppState,
}

impl ActionBackend for RequestActions {
    fn login(&self, username: String, password: String) -> ActionFuture<LoginOutcome> {
        let state = self.state.clone();
        let parts = use_context::<Parts>();
        let response = use_context::<ResponseOptions>();
        Box::pin(async move {
            let parts = parts.ok_or("request context missing")?;
            let response = response.ok_or("response context missing")?;
            let ip = crate::auth::client_ip(&parts.extensions);
            let limiter = state.login_limiter.clone();
            // the attempt's slot is taken before the hash runs (parallel guesses count at once)
            let attempt = match limiter.begin(ip, &username, Instant::now()) {
                Ok(attempt) => attempt,
                Err(wait) => {
                    tracing::warn!(client = %ip, "login refused: too many failures");
                    return Ok(LoginOutcome::Refused(format!("too many failed sign-ins; try again in {} s", wait.as_secs())));
                }
            };
            if !attempt.delay.is_zero() {
                // this user's recent failures (from anywhere) slow its sign-ins down
                tokio::time::sleep(attempt.delay).await;
            }
            // argon2 costs ~19 MiB and tens of ms: at most a few at once, shared with sensors
            let Ok(_permit) = state.password_checks.clone().acquire_owned().await else {
                return Err("shutting down".to_owned());
            };
            let session_hours = state.config.session_hours;
            let name = username.clone();
            let outcome = state
                .blocking(move |store| {
                    let user = store.get_user(&name)?;
                    let valid = match &user {
                        Some(record) => secrets::verify_password(&password, &record.password_hash),
                        None => {
                            // Same work for unknown users, so timing does not reveal names.
                            secrets::verify_password(&password, secrets::dummy_hash());
                            false
                        }
                    };
                    let Some(record) = user.filter(|_| valid) else { return Ok(None) };
                    let secret = secrets::generate_secret("");
                    let expires_at = unix_now() + session_hours * 3600;
                    store.create_session(&secrets::secret_hash(&secret), &SessionRecord { username: name, expires_at })?;
                    Ok(Some((record.role, secret)))
                })
                .await
                .map_err(|_| "sign-in is unavailable right now".to_owned())?;
            let Some((role, secret)) = outcome else {
                // (the attempt stays counted)
                tracing::warn!(client = %ip, "login failed");
                return Ok(LoginOutcome::Refused("wrong username or password".to_owned()));
            };
            limiter.succeeded(attempt);
            let secure = parts.extensions.get::<OverTls>().is_some();
            let cookie = session_cookie_header(&secret, session_hours * 3600, secure);
            response.append_header(SET_COOKIE, cookie);
            tracing::info!(client = %ip, "login succeeded");
            Ok(LoginOutcome::SignedIn(SessionInfo { username, role }))
        })
    }

    fn current_user(&self) -> ActionFuture<Option<SessionInfo>> {
        let state = self.state.clone();
        let secret = use_context::<Parts>().and_then(|parts| session_cookie(&parts.headers).map(str::to_owned));
        Box::pin(async move {
            let Some(secret) = secret else { return Ok(None) };
            let hash = secrets::secret_hash(&secret);
            let now = unix_now();
            let found = state.blocking(move |store| store.find_session(&hash, now)).await.map_err(|_| "sessions are unavailable right now".to_owned())?;
            Ok(found.map(|(session, user)| SessionInfo { username: session.username, role: user.role }))
        })
    }

    fn logout(&self) -> ActionFuture<()> {
        let state = self.state.clone();
        let parts = use_context::<Parts>();
        let response = use_context::<ResponseOptions>();
        Box::pin(async move {
            let parts = parts.ok_or("request context missing")?;
            let response = response.ok_or("response context missing")?;
            if let Some(secret) = session_cookie(&parts.headers) {
                let hash = secrets::secret_hash(secret);
                state.blocking(move |store| store.delete_session(&hash)).await.map_err(|_| "sign-out is unavailable right now".to_owned())?;
            }
            let secure = parts.extensions.get::<OverTls>().is_some();
            response.append_header(SET_COOKIE, session_cookie_header("", 0, secure));
            Ok(())
        })
    }

    fn sensor_add(&self, name: String) -> ActionFuture<SensorCredentialsOutcome> {
        let request = SensorRequest::current(&self.state);
        Box::pin(async move {
            let sensor = name.clone();
            Ok(match request.as_admin(move |store| sensors::add_sensor(store, &sensor, None)).await? {
                Ok((admin, secrets)) => {
                    tracing::info!(sensor = %name, admin = %admin, "sensor added from the UI");
                    SensorCredentialsOutcome::Issued(request.credentials(name, secrets))
                }
                Err(refusal) => SensorCredentialsOutcome::Refused(refusal),
            })
        })
    }

    fn sensor_rotate(&self, name: String) -> ActionFuture<SensorCredentialsOutcome> {
        let request = SensorRequest::current(&self.state);
        Box::pin(async move {
            let sensor = name.clone();
            Ok(match request.as_admin(move |store| sensors::rotate_sensor(store, &sensor, None)).await? {
                Ok((admin, secrets)) => {
                    tracing::info!(sensor = %name, admin = %admin, "sensor secrets rotated from the UI");
                    SensorCredentialsOutcome::Issued(request.credentials(name, secrets))
                }
                Err(refusal) => SensorCredentialsOutcome::Refused(refusal),
            })
        })
    }

    fn sensor_remove(&self, name: String) -> ActionFuture<SensorRemovalOutcome> {
        let request = SensorRequest::current(&self.state);
        Box::pin(async move {
            let sensor = name.clone();
            Ok(match request.as_admin(move |store| sensors::remove_sensor(store, &sensor)).await? {
                Ok((admin, ())) => {
                    tracing::info!(sensor = %name, admin = %admin, "sensor removed from the UI");
                    SensorRemovalOutcome::Removed(name)
                }
                Err(refusal) => SensorRemovalOutcome::Refused(refusal),
            })
        })
    }
}

/// What a sensor server function needs from its request, read while the request's Leptos
/// owner is current (before the first `.await`).
struct SensorRequest {
    state: AppState,
    session_secret: Option<String>,
    url_base: String,
}

impl SensorRequest {
    fn current(state: &AppState) -> SensorRequest {
        let parts = use_context::<Parts>();
        let session_secret = parts.as_ref().and_then(|parts| session_cookie(&parts.headers).map(str::to_owned));
        let url_base = match &parts {
            Some(parts) => url_base(parts, &state.config),
            None => sensors::default_url_base(&state.config),
        };
        SensorRequest { state: state.clone(), session_secret, url_base }
    }

    /// The signed-in admin's username, or why the caller may not manage sensors.
    async fn admin(&self) -> Result<Result<String, SensorRefusal>, String> {
        let Some(secret) = &self.session_secret else { return Ok(Err(SensorRefusal::NotSignedIn)) };
        let hash = secrets::secret_hash(secret);
        let now = unix_now();
        let found = self.state.blocking(move |store| store.find_session(&hash, now)).await.map_err(|_| "sessions are unavailable right now".to_owned())?;
        Ok(match found {
            None => Err(SensorRefusal::NotSignedIn),
            Some((session, user)) if user.role == Role::Admin => Ok(session.username),
            Some((session, user)) => {
                tracing::warn!(user = %session.username, role = %user.role, "sensor change refused: not an admin");
                Err(SensorRefusal::NotAdmin(user.role))
            }
        })
    }

    /// Runs a sensor change for the signed-in admin on the blocking pool (argon2 and redb):
    /// the admin's username and the change's value, or why it was refused. A storage failure
    /// is logged and becomes a generic error; refusals stay values the page shows.
    async fn as_admin<T: Send + 'static>(
        &self,
        change: impl FnOnce(&crate::store::Store) -> Result<T, SensorChangeError> + Send + 'static,
    ) -> Result<Result<(String, T), SensorRefusal>, String> {
        let admin = match self.admin().await? {
            Ok(admin) => admin,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let unavailable = || "sensor changes are unavailable right now".to_owned();
        let outcome = self.state.blocking(move |store| Ok(change(store))).await.map_err(|_| unavailable())?;
        match outcome {
            Ok(value) => Ok(Ok((admin, value))),
            Err(SensorChangeError::Store(error)) => {
                tracing::error!(%error, "sensor change failed");
                Err(unavailable())
            }
            Err(SensorChangeError::Exists(name)) => {
                Ok(Err(SensorRefusal::Rejected(format!("sensor {name:?} already exists (rotate its password to get new secrets)"))))
            }
            Err(refused) => Ok(Err(SensorRefusal::Rejected(refused.to_string()))),
        }
    }

    fn credentials(&self, name: String, secrets: SensorSecrets) -> SensorCredentials {
        SensorCredentials {
            mlogc_fragment: sensors::mlogc_fragment(&name, &secrets.password, &self.url_base),
            ingest_url: sensors::ingest_url(&self.url_base, &secrets.url_secret),
            password: secrets.password,
            name,
        }
    }
}

/// `http(s)://<Host header>` when the header is a plain `host[:port]`, otherwise the CLI's
/// default from the configuration.
fn url_base(parts: &Parts, config: &Config) -> String {
    let scheme = if parts.extensions.get::<OverTls>().is_some() { "https" } else { "http" };
    parts
        .headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<Authority>().ok())
        .filter(|authority| !authority.as_str().contains('@') && !authority.host().is_empty())
        .map(|authority| format!("{scheme}://{authority}"))
        .unwrap_or_else(|| sensors::default_url_base(config))
}

/// An argon2id hash of a random password, verified against when the user does not exist.
/// `Set-Cookie` for the session: `HttpOnly; SameSite=Strict`, `Secure` under TLS.
pub fn session_cookie_header(secret: &str, max_age_seconds: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&text).expect("session secrets are URL-safe base64")
}
