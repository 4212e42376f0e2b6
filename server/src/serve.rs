//! `wafscope serve`: opens the data dir, creates the first admin, and runs the HTTP(S)
//! server (hyper HTTP/1.1 with header-read timeouts) and the admin socket until
//! SIGINT/SIGTERM. Also the `debug-sink` baseline on the same stack.

use crate::admin::{self, AdminContext};
use crate::auth::{secrets, unix_now};
use crate::config::Config;
use crate::http::actions::OverTls;
use crate::http::assets::Assets;
use crate::state::AppState;
use crate::store::{Store, StoreError, UserRecord};
use anyhow::Context;
use app::model::Role;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

/// How long a TLS handshake may take.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest request head accepted (the mlogc summary header alone can be ~4 KB).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How long shutdown waits for open connections (SSE streams never finish by themselves).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the console until a shutdown signal.
pub fn run(config: Config) -> anyhow::Result<()> {
    let store = match Store::open_with_cache(&config.data_dir, config.cache_mb.saturating_mul(1024 * 1024) as usize) {
        Ok(store) => store,
        Err(error @ StoreError::Locked(_)) => anyhow::bail!("{error}"),
        Err(error) => return Err(error).context(format!("opening data dir {}", config.data_dir.display())),
    };
    create_first_admin(&store)?;
    crate::store::dictionary::spawn_trainer(&store);
    crate::store::backfill::spawn(&store, crate::ingest::alerts_of_raw);
    let tls = crate::tls::acceptor(&config.tls, &config.data_dir)?;
    let runtime = runtime()?;
    let served = runtime.block_on(serve(store, config, tls));
    // Tasks still holding the state (connections past the grace period) go with the runtime;
    // with them the last handle on the database, which redb then closes cleanly.
    drop(runtime);
    if served.is_ok() {
        tracing::info!("stopped; the database was closed cleanly");
    }
    served
}

/// `wafscope debug-sink`: 200 to everything, nothing stored, same HTTP stack.
pub fn run_sink(listen: &str) -> anyhow::Result<()> {
    let address: SocketAddr = listen.parse().with_context(|| format!("{listen:?} is not a socket address"))?;
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await.with_context(|| format!("listening on {address}"))?;
        let shutdown = shutdown_signal();
        println!("wafscope debug-sink listening on http://{}", listener.local_addr()?);
        let app = Router::new().fallback(|body: axum::body::Bytes| async move {
            drop(body);
            "OK\n"
        });
        accept_loop(listener, app, None, Duration::from_secs(crate::config::DEFAULT_CLIENT_TIMEOUT_SECONDS), shutdown).await;
        Ok(())
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("wafscope").build().context("starting the async runtime")
}

/// Where a first run leaves the generated admin password when no terminal shows it.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// On a fresh data dir: user `admin` with a random password, shown once. On a terminal it is
/// printed there; otherwise (systemd, a container, a pipe: stdout ends in a log that keeps it)
/// it goes into `DATA_DIR/initial-admin-password`, readable by this user only, and only the
/// file's path is printed.
fn create_first_admin(store: &Store) -> anyhow::Result<()> {
    if !store.is_fresh()? {
        return Ok(());
    }
    let password = secrets::generate_password();
    let record = UserRecord { role: Role::Admin, password_hash: secrets::hash_password(&password), created_at: unix_now() };
    if std::io::stdout().is_terminal() {
        store.create_user("admin", &record)?;
        println!("first run: created user admin (role admin) with password {password}");
        println!("  (shown only once; change it with `wafscope user passwd admin`)");
        return Ok(());
    }
    let path = store.data_dir().join(INITIAL_PASSWORD_FILE);
    crate::private::write_file(&path, format!("{password}\n").as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    store.create_user("admin", &record)?;
    println!("first run: created user admin (role admin); its password is in {} (readable by this user only)", path.display());
    println!("  (delete the file after signing in; change the password with `wafscope user passwd admin`)");
    Ok(())
}

async fn serve(store: Store, config: Config, tls: Option<(tokio_rustls::TlsAcceptor, String)>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    let local = listener.local_addr()?;
    let state = AppState::new(store.clone(), Config { listen: local, ..config.clone() }, Assets::embedded())?;
    let context = AdminContext { store: store.clone(), writer: state.writer.clone() };
    let admin_socket = match admin::socket::listen(context).await {
        Ok(task) => Some(task),
        Err(error) => {
            tracing::warn!(%error, "admin socket unavailable: user/sensor commands will fail while serve runs");
            None
        }
    };
    let writer = state.writer.clone();
    let sessions = tokio::spawn(purge_expired_sessions(state.clone()));
    let app = crate::http::router(state);
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some((_, fingerprint)) = &tls {
        println!("TLS certificate SHA-256 fingerprint: {fingerprint}");
    }
    // handlers are installed before we say we listen: a SIGTERM right after start is graceful too
    let shutdown = shutdown_signal();
    println!("wafscope {} listening on {scheme}://{local}", env!("CARGO_PKG_VERSION"));
    tracing::info!(listen = %local, data_dir = %config.data_dir.display(), "serving");
    let client_timeout = Duration::from_secs(config.client_timeout_seconds);
    accept_loop(listener, app, tls.map(|(acceptor, _)| acceptor), client_timeout, shutdown).await;
    if let Some(task) = admin_socket {
        task.abort();
    }
    sessions.abort();
    let _ = std::fs::remove_file(admin::socket::socket_path(store.data_dir()));
    // everything committed is flushed into the indexes and the writer lets go of the store
    tokio::task::spawn_blocking(move || writer.shutdown()).await.context("stopping the writer")?;
    Ok(())
}

/// How often expired sessions are deleted (they are refused anyway once expired).
const SESSION_PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes expired sessions at start and every [`SESSION_PURGE_EVERY`].
async fn purge_expired_sessions(state: AppState) {
    let mut ticker = tokio::time::interval(SESSION_PURGE_EVERY);
    loop {
        ticker.tick().await;
        match state.blocking(|store| store.purge_expired_sessions(unix_now())).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired sessions deleted"),
            Err(error) => tracing::warn!(%error, "deleting expired sessions failed; retrying in an hour"),
        }
    }
}

/// Accepts connections until SIGINT/SIGTERM, then lets open ones finish for a grace period.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    client_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    // HTTP/1.1 only: mlogc and the v3/Coraza writers speak it, and it is all ALPN offers.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(client_timeout).max_buf_size(MAX_HEADER_BYTES);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let over_tls = tls.is_some();
        let service = app.clone().map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            if over_tls {
                request.extensions_mut().insert(OverTls);
            }
            request
        });
        match &tls {
            None => {
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, client = %peer, "connection ended with an error");
                    }
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT.min(client_timeout), acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::debug!(%error, client = %peer, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(client = %peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let connection = watcher.watch(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, client = %peer, "connection ended with an error");
                    }
                });
            }
        }
    }
    tracing::info!("shutting down");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::info!("closing connections still open after the grace period");
    }
}

/// Resolves at SIGINT or SIGTERM. The handlers are registered when this is called, not when
/// the future is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |stream: std::io::Result<tokio::signal::unix::Signal>| async move {
            match stream {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(interrupt) => {},
            () = wait(terminate) => {},
        }
    }
}
