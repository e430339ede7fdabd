//! Sockscope: a WebSocket inspector.
//!
//! One engine ([`engine`]) talks to the network; the command line ([`cli`]) and the window
//! print or show the events it streams. The [`demo_server`] gives both something to talk to
//! offline and is what the tests connect to. [`sse`] is the engine's sibling for
//! Server-Sent Events (EventSource), reporting the same [`engine::Event`]s.

// Every public item says what it is (CI's clippy -D warnings makes this an error).
#![warn(missing_docs)]

#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod demo_server;
pub mod engine;
pub mod format;
pub mod mock;
pub mod model;
pub mod protocol;
pub mod proxy;
pub mod replay;
pub mod script;
pub mod secrets;
pub mod sse;
