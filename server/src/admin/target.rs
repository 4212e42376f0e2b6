//! Where an admin request goes: the data dir opened directly (with one writer) when no server
//! holds it, or the running server's admin socket when `serve` does.

use super::commands::{AdminContext, AdminOutcome, AdminRequest, execute};
use crate::config::Config;
use crate::store::{Store, StoreError, Writer};
use anyhow::Context;
use std::path::PathBuf;

/// Runs an admin request on the data dir directly, or through the running server's admin
/// socket when `serve` holds it.
pub fn admin_request(config: &Config, request: &AdminRequest) -> anyhow::Result<AdminOutcome> {
    let target = AdminTarget::open(config)?;
    let outcome = target.request(request);
    target.close();
    outcome
}

/// Where admin requests go: the data dir opened once (with one writer), or the running
/// server's socket. `wafscope import` sends many requests to one target.
pub enum AdminTarget {
    Direct(AdminContext),
    Socket(PathBuf),
}

impl AdminTarget {
    pub fn open(config: &Config) -> anyhow::Result<AdminTarget> {
        match Store::open(&config.data_dir) {
            Ok(store) => {
                let writer = Writer::start(store.clone(), 1024, Box::new(|_| {}))?;
                Ok(AdminTarget::Direct(AdminContext { store, writer }))
            }
            Err(StoreError::Locked(_)) => Ok(AdminTarget::Socket(config.data_dir.clone())),
            Err(error) => Err(error).context(format!("opening data dir {}", config.data_dir.display())),
        }
    }

    pub fn request(&self, request: &AdminRequest) -> anyhow::Result<AdminOutcome> {
        match self {
            AdminTarget::Direct(context) => Ok(execute(context, request.clone())),
            AdminTarget::Socket(data_dir) => super::socket::send(data_dir, request).map_err(anyhow::Error::msg),
        }
    }

    /// The writer's handle on the store goes, so the database closes cleanly on return.
    pub fn close(self) {
        if let AdminTarget::Direct(context) = self {
            context.writer.shutdown();
        }
    }
}
