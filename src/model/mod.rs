//! Plain data the window shows and sessions save: no egui, no tokio.

pub mod cookie_jar;
pub mod decode_settings;
pub mod env_access;
pub mod environments;
pub mod filter;
pub mod filtered_view;
pub mod fold;
pub mod har;
pub mod json_filter;
pub mod json_number;
pub mod json_scan;
pub mod memory_budget;
pub mod proxy_setup;
pub mod recorded;
pub mod redact;
pub mod round_trip;
pub mod server_setup;
pub mod session;
pub mod stats;
pub mod storage;
pub mod tab_lookup;
pub mod tab_setup;
pub mod template;
pub mod template_merge;
pub mod timeline;
pub mod workspace;
