//! The server side of the UI's server functions (`app::actions`): served by `leptos_axum`
//! under `/api/fn/*`, with [`RequestActions`] provided through Leptos context.

use crate::auth::{secrets, unix_now, SESSION_COOKIE};
use crate::auth::principal::session_cookie;
use crate::state::AppState;
use crate::store::SessionRecord;
use app::actions::{ActionBackend, ActionFuture};
use app::model::{LoginOutcome, SessionInfo};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::ResponseOptions;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
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
            let ip = client_ip(&parts);
            let limiter = state.login_limiter.clone();
            if let Err(wait) = limiter.check(ip, &username, Instant::now()) {
                tracing::warn!(client = %ip, "login refused: too many failures");
                return Ok(LoginOutcome::Refused(format!("too many failed sign-ins; try again in {} s", wait.as_secs())));
            }
            let session_hours = state.config.session_hours;
            let name = username.clone();
            let outcome = state
                .blocking(move |store| {
                    let user = store.get_user(&name)?;
                    let valid = match &user {
                        Some(record) => secrets::verify_password(&password, &record.password_hash),
                        None => {
                            // Same work for unknown users, so timing does not reveal names.
                            secrets::verify_password(&password, dummy_hash());
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
                limiter.record_failure(ip, &username, Instant::now());
                tracing::warn!(client = %ip, "login failed");
                return Ok(LoginOutcome::Refused("wrong username or password".to_owned()));
            };
            limiter.record_success(&username);
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
            let found = state
                .blocking(move |store| store.find_session(&hash, now))
                .await
                .map_err(|_| "sessions are unavailable right now".to_owned())?;
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
                state
                    .blocking(move |store| store.delete_session(&hash))
                    .await
                    .map_err(|_| "sign-out is unavailable right now".to_owned())?;
            }
            let secure = parts.extensions.get::<OverTls>().is_some();
            response.append_header(SET_COOKIE, session_cookie_header("", 0, secure));
            Ok(())
        })
    }
}

/// An argon2id hash of a random password, verified against when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| secrets::hash_password(&secrets::generate_password()))
}

/// `Set-Cookie` for the session: `HttpOnly; SameSite=Strict`, `Secure` under TLS.
pub fn session_cookie_header(secret: &str, max_age_seconds: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&text).expect("session secrets are URL-safe base64")
}

fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
