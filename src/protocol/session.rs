//! The engine's half of a protocol: handshake, housekeeping and operations, run inside the
//! connection task without I/O of its own.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::settings::{ProtocolKind, ProtocolSettings};
use super::{graphql, jsonrpc, mqtt, socketio, stomp};
use crate::engine::Payload;

/// A frame a protocol wants sent, as a WebSocket data message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// What a protocol session asks the connection to do after something happened.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// Frames to send now, in order.
    pub send: Vec<Frame>,
    /// Start the WebSocket closing handshake with this code and reason (the protocol gave
    /// up: a heartbeat went unanswered, the server refused the protocol's handshake).
    pub close: Option<(u16, String)>,
}

impl Reaction {
    /// Nothing to do.
    pub fn none() -> Self {
        Self::default()
    }

    /// Send these frames.
    pub fn send(frames: Vec<Frame>) -> Self {
        Self {
            send: frames,
            close: None,
        }
    }

    /// Send one text frame.
    pub fn text(text: impl Into<String>) -> Self {
        Self::send(vec![Frame::Text(text.into())])
    }
}

/// Why an operation could not be turned into frames; nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OpError(pub String);

impl OpError {
    /// An error saying `why`.
    pub fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

/// One connection attempt's protocol state. Times are since the attempt started.
#[derive(Debug)]
pub enum Session {
    /// Plain WebSocket: nothing to do.
    Raw,
    /// Socket.IO.
    SocketIo(socketio::Session),
    /// GraphQL over WebSocket.
    Graphql(graphql::Session),
    /// STOMP.
    Stomp(stomp::Session),
    /// MQTT.
    Mqtt(mqtt::Session),
    /// JSON-RPC 2.0.
    JsonRpc(jsonrpc::Session),
}

impl Session {
    /// A fresh session for one attempt (a reconnect starts a new one).
    pub fn new(settings: &ProtocolSettings) -> Self {
        match settings.kind {
            ProtocolKind::Raw => Session::Raw,
            ProtocolKind::SocketIo => Session::SocketIo(socketio::Session::new(&settings.socketio)),
            ProtocolKind::Graphql => Session::Graphql(graphql::Session::new(&settings.graphql)),
            ProtocolKind::Stomp => Session::Stomp(stomp::Session::new(&settings.stomp)),
            ProtocolKind::Mqtt => Session::Mqtt(mqtt::Session::new(&settings.mqtt)),
            ProtocolKind::JsonRpc => Session::JsonRpc(jsonrpc::Session::new(&settings.jsonrpc)),
        }
    }

    /// True for plain WebSocket.
    pub fn is_raw(&self) -> bool {
        matches!(self, Session::Raw)
    }

    /// The WebSocket opened with `subprotocol` (as the server chose it): the protocol's
    /// own handshake starts.
    pub fn on_open(&mut self, subprotocol: Option<&str>, now: Duration) -> Reaction {
        match self {
            Session::Raw => Reaction::none(),
            Session::SocketIo(s) => s.on_open(subprotocol, now),
            Session::Graphql(s) => s.on_open(subprotocol, now),
            Session::Stomp(s) => s.on_open(subprotocol, now),
            Session::Mqtt(s) => s.on_open(subprotocol, now),
            Session::JsonRpc(s) => s.on_open(subprotocol, now),
        }
    }

    /// A data message arrived.
    pub fn on_frame(&mut self, payload: &Payload, now: Duration) -> Reaction {
        match self {
            Session::Raw => Reaction::none(),
            Session::SocketIo(s) => s.on_frame(payload, now),
            Session::Graphql(s) => s.on_frame(payload, now),
            Session::Stomp(s) => s.on_frame(payload, now),
            Session::Mqtt(s) => s.on_frame(payload, now),
            Session::JsonRpc(s) => s.on_frame(payload, now),
        }
    }

    /// The user asks for an operation written in the protocol's terms (the shape its
    /// decoded units have). The frames come back now, or later from another call once the
    /// protocol's handshake is done (they are held until then, in order).
    pub fn on_op(&mut self, op: &Value, now: Duration) -> Result<Reaction, OpError> {
        match self {
            Session::Raw => Err(OpError::new(
                "plain WebSocket has no protocol operations: pick a protocol (--protocol)",
            )),
            Session::SocketIo(s) => s.on_op(op, now),
            Session::Graphql(s) => s.on_op(op, now),
            Session::Stomp(s) => s.on_op(op, now),
            Session::Mqtt(s) => s.on_op(op, now),
            Session::JsonRpc(s) => s.on_op(op, now),
        }
    }

    /// When [`Session::on_timer`] wants to be called next, if ever.
    pub fn next_timer(&self) -> Option<Duration> {
        match self {
            Session::Raw => None,
            Session::SocketIo(s) => s.next_timer(),
            Session::Graphql(s) => s.next_timer(),
            Session::Stomp(s) => s.next_timer(),
            Session::Mqtt(s) => s.next_timer(),
            Session::JsonRpc(s) => s.next_timer(),
        }
    }

    /// The time [`Session::next_timer`] named has come.
    pub fn on_timer(&mut self, now: Duration) -> Reaction {
        match self {
            Session::Raw => Reaction::none(),
            Session::SocketIo(s) => s.on_timer(now),
            Session::Graphql(s) => s.on_timer(now),
            Session::Stomp(s) => s.on_timer(now),
            Session::Mqtt(s) => s.on_timer(now),
            Session::JsonRpc(s) => s.on_timer(now),
        }
    }
}

/// Checks that `op` makes frames under `settings`, on a scratch session, so a command line
/// can refuse a malformed one before it connects.
pub fn check_op(settings: &ProtocolSettings, op: &Value) -> Result<(), OpError> {
    Session::new(settings).on_op(op, Duration::ZERO).map(drop)
}
