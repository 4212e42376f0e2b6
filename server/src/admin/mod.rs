//! Administration (`wafscope user …`, `token …`, `sensor …`); [`sensors`] is also what the
//! UI's sensor server functions call.
//!
//! The same [`AdminRequest`] runs either directly on the data dir's store (no server
//! running) or, when `serve` holds the data dir, through the server's admin socket
//! (`<data dir>/admin.sock`, mode 0600), so operators never see "database is locked".

pub mod commands;
mod names;
pub mod sensors;
pub mod socket;
pub mod target;

pub use commands::{AdminContext, AdminRequest, execute};
pub use target::AdminTarget;
