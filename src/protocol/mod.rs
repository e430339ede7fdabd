//! The protocols people run over WebSocket, as sans-IO codecs: Socket.IO, GraphQL over
//! WebSocket, STOMP, MQTT and JSON-RPC.
//!
//! Each protocol has two halves that share its parser:
//! - a [`Session`], run inside the connection task, which does the protocol's handshake and
//!   housekeeping (heartbeats, acks, packet ids) and turns a user's operation (an
//!   [`Op`](serde_json::Value) in the protocol's own terms) into frames. It reads no clock
//!   and does no I/O: the task passes the time since the attempt started and sends the
//!   frames it returns;
//! - a [`Decoder`], run by whoever shows the events (the window, the command line, replay),
//!   which turns each raw frame into a [`Unit`]: the protocol's own view of it, as a JSON
//!   object the command line prints as `"protocol"`, and a one-line summary for a row. The
//!   raw frame itself is kept byte for byte; decoding never changes it.
//!
//! `raw` (the default) has neither: frames are just frames.

mod decoder;
pub mod graphql;
pub mod jsonrpc;
pub mod mqtt;
mod session;
mod settings;
pub mod socketio;
pub mod stomp;

pub use decoder::{Decoder, Unit};
pub use session::{Frame, OpError, Reaction, Session, check_op};
pub use settings::{ProtocolKind, ProtocolSettings, example_ops};
