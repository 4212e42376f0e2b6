//! One module per route.

pub mod dashboard;
pub mod event;
pub mod events;
pub mod live;
pub mod login;
pub mod not_found;
pub mod sensors;
pub mod status;
pub mod tuning;
