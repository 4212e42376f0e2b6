//! `wafscope serve`: opens the data dir, creates the first admin, and runs the HTTP server
//! (hyper with header-read timeouts) and the admin socket until SIGINT/SIGTERM.

use crate::admin::{self, AdminRequest};
use crate::config::Config;
use crate::http::assets::Assets;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use anyhow::Context;
use app::model::Role;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

/// How long a client may take to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head accepted (the mlogc summary header alone can be ~4 KB).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How long shutdown waits for open connections (SSE streams never finish by themselves).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the console until a shutdown signal.
pub fn run(config: Config) -> anyhow::Result<()> {
    let store = match Store::open(&config.data_dir) {
        Ok(store) => store,
        Err(error @ StoreError::Locked(_)) => anyhow::bail!("{error}"),
        Err(error) => return Err(error).context(format!("opening data dir {}", config.data_dir.display())),
    };
    create_first_admin(&store)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wafscope")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(store, config))
}

/// On a fresh data dir: user `admin` with a random password, printed once.
fn create_first_admin(store: &Store) -> anyhow::Result<()> {
    if !store.is_fresh()? {
        return Ok(());
    }
    let request = AdminRequest::UserAdd { name: "admin".to_owned(), role: Role::Admin, password: None };
    let output = admin::execute(store, request).map_err(anyhow::Error::msg)?;
    let password = output.lines().last().unwrap_or_default();
    println!("first run: created user admin (role admin) with password {password}");
    println!("  (shown only once; change it with `wafscope user passwd admin`)");
    Ok(())
}

async fn serve(store: Store, config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let local = listener.local_addr()?;
    let admin_socket = match admin::socket::listen(store.clone()).await {
        Ok(task) => Some(task),
        Err(error) => {
            tracing::warn!(%error, "admin socket unavailable: user/token commands will fail while serve runs");
            None
        }
    };
    let state = AppState::new(store.clone(), Config { listen: local, ..config.clone() }, Assets::embedded());
    let app = crate::http::router(state);
    println!("wafscope {} listening on http://{local}", env!("CARGO_PKG_VERSION"));
    tracing::info!(listen = %local, data_dir = %config.data_dir.display(), "serving");

    // HTTP/1.1 only: mlogc and the v3/Coraza writers speak it, and it is what TLS offers in ALPN.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).max_buf_size(MAX_HEADER_BYTES);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
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
        let service = app.clone().map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, client = %peer, "connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::info!("closing connections still open after the grace period");
    }
    if let Some(task) = admin_socket {
        task.abort();
    }
    let _ = std::fs::remove_file(admin::socket::socket_path(store.data_dir()));
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
