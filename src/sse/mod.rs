//! Server-Sent Events: an EventSource that reports the engine's [`Event`]s, so an SSE tab
//! shows, saves and exports like a WebSocket tab.
//!
//! [`SseHandle::connect`] sends a GET with `Accept: text/event-stream`, `Cache-Control:
//! no-cache`, the user's headers and `Last-Event-ID` once known, and reports, per attempt:
//! `connecting`, then `open` or an `error`, then one [`EventKind::Sse`] per event, and a
//! `close` last. As EventSource does, it reconnects after the server's `retry` (3 s until
//! one comes) when the stream ends or breaks; a status other than 200 or a Content-Type
//! other than `text/event-stream` fails the stream without reconnecting (the error holds
//! the status, headers and body), and 204 ends it normally. Comments are counted in
//! [`SseStats`] and reported only when [`SseConfig::show_comments`] is set.
//!
//! Close events use the WebSocket codes where they mean the same: 1000 (clean) when the
//! server ended the stream, on 204, or when the client closed; 1006 (not clean) when the
//! attempt failed or the transport broke; 1009 for an event over the size limit.
//!
//! [`Event`]: crate::engine::Event
//! [`EventKind::Sse`]: crate::engine::EventKind::Sse

mod client;
mod config;
mod handle;
pub mod parser;
mod queued;
mod task;

pub use config::{PreparedSse, SseConfig, Target, TargetError};
pub use handle::{SseEnd, SseHandle, SseStats};
pub use parser::{ParseError, Parser, SseItem};

pub use crate::engine::{SseEvent, SseMessage};
