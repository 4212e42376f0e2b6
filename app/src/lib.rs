//! wafscope's shared crate.
//!
//! - [`model`]: plain serde types exchanged between the server and the browser (always built,
//!   no Leptos imports, so the server can use it without compiling the UI).
//! - [`actions`]: Leptos server functions for the UI's mutations (login, logout). The browser
//!   gets the client stubs (feature `ui`), the server the bodies (feature `ssr`), which call
//!   an implementation the server provides through context.
//! - `ui` (feature `ui`): the Leptos CSR application: route tree, pages, components.

pub mod chart_math;
pub mod dashboard;
pub mod filters;
pub mod format;
pub mod model;
pub mod neighbors;
pub mod sensor_health;
pub mod triage;
pub mod tuning;

#[cfg(any(feature = "ui", feature = "ssr"))]
pub mod actions;

#[cfg(feature = "ui")]
pub mod ui;
