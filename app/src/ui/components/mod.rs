//! Components shared by several pages.

pub mod badges;
pub mod body_view;
pub mod charts;
pub mod empty;
pub mod event_table;
pub mod filter_bar;
pub mod health_banner;
pub mod icons;
pub mod preserve;
pub mod range_picker;
pub mod saved_views;
pub mod sensor_strip;
pub mod storage_line;
pub mod triage;
pub mod triage_matching;
