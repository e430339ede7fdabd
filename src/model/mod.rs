//! Plain data the window shows and sessions save: no egui, no tokio.

pub mod storage;
pub mod template;
pub mod round_trip;
pub mod timeline;
