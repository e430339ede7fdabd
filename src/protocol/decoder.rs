//! The viewer's half of a protocol: raw frames in, the protocol's units out.

use std::time::Duration;

use serde_json::Value;

use super::settings::{ProtocolKind, ProtocolSettings};
use super::{graphql, jsonrpc, mqtt, socketio, stomp};
use crate::engine::{Direction, Payload};

/// One frame as the protocol sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// The unit in the protocol's own terms: the object the command line prints as
    /// `"protocol"`. Its `type` names the unit (`event`, `next`, `MESSAGE`, `publish`,
    /// `response`, …); a frame the protocol cannot read is `{"type":"malformed","error":…}`.
    pub fields: Value,
    /// One line for a timeline row, such as `event chat ["hi"]` or `publish a/b (QoS 1)`.
    pub summary: String,
    /// Handshake and heartbeat traffic, which views hide unless asked.
    pub housekeeping: bool,
    /// What the unit belongs to, for grouping: a Socket.IO namespace, a GraphQL operation
    /// id, a STOMP subscription or destination, an MQTT topic, a JSON-RPC method.
    pub group: Option<String>,
    /// The protocol's own error or disconnect reason, shown beside the close forensics.
    pub problem: Option<String>,
    /// The protocol's handshake was refused (the run fails even if the WebSocket closes
    /// cleanly).
    pub refused: bool,
}

impl Unit {
    /// A unit with these fields and summary; not housekeeping, no group, no problem.
    pub fn new(fields: Value, summary: impl Into<String>) -> Self {
        Self {
            fields,
            summary: summary.into(),
            housekeeping: false,
            group: None,
            problem: None,
            refused: false,
        }
    }

    /// A frame the protocol cannot read, saying why.
    pub fn malformed(why: impl Into<String>) -> Self {
        let why = why.into();
        let mut unit = Self::new(
            serde_json::json!({"type": "malformed", "error": why}),
            format!("malformed: {why}"),
        );
        unit.problem = Some(why);
        unit
    }

    /// Marks the unit as handshake or heartbeat traffic.
    pub fn housekeeping(mut self) -> Self {
        self.housekeeping = true;
        self
    }

    /// Puts the unit in `group`.
    pub fn in_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Several units that came in one WebSocket message (MQTT packets, STOMP frames) as
    /// one: `{"type": kind, kind: [each unit's fields]}`. It is housekeeping only when all
    /// of them are, refused when one is, has the first problem, and a group only when they
    /// all share it.
    pub fn combine(kind: &str, units: Vec<Unit>) -> Unit {
        let summaries: Vec<&str> = units.iter().map(|unit| unit.summary.as_str()).collect();
        let summary = format!("{} {kind}: {}", units.len(), summaries.join("; "));
        let housekeeping = units.iter().all(|unit| unit.housekeeping);
        let refused = units.iter().any(|unit| unit.refused);
        let problem = units.iter().find_map(|unit| unit.problem.clone());
        let group = units
            .first()
            .and_then(|first| first.group.clone())
            .filter(|group| units.iter().all(|unit| unit.group.as_ref() == Some(group)));
        let fields: Vec<Value> = units.into_iter().map(|unit| unit.fields).collect();
        let mut object = serde_json::Map::new();
        object.insert("type".into(), Value::String(kind.to_owned()));
        object.insert(kind.to_owned(), Value::Array(fields));
        Unit {
            fields: Value::Object(object),
            summary,
            housekeeping,
            group,
            problem,
            refused,
        }
    }

    /// The unit's `type`.
    pub fn kind(&self) -> &str {
        self.fields
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Decodes one connection attempt's frames in order (a decoder keeps what pairs frames:
/// requests waiting for responses, operation names, binary attachments still to come).
/// A new attempt takes a new decoder.
#[derive(Debug)]
pub enum Decoder {
    /// Plain WebSocket: no units.
    Raw,
    /// Socket.IO.
    SocketIo(socketio::Decoder),
    /// GraphQL over WebSocket.
    Graphql(graphql::Decoder),
    /// STOMP.
    Stomp(stomp::Decoder),
    /// MQTT.
    Mqtt(mqtt::Decoder),
    /// JSON-RPC 2.0.
    JsonRpc(jsonrpc::Decoder),
}

impl Decoder {
    /// A decoder for a fresh attempt.
    pub fn new(settings: &ProtocolSettings) -> Self {
        match settings.kind {
            ProtocolKind::Raw => Decoder::Raw,
            ProtocolKind::SocketIo => Decoder::SocketIo(socketio::Decoder::new(&settings.socketio)),
            ProtocolKind::Graphql => Decoder::Graphql(graphql::Decoder::new(&settings.graphql)),
            ProtocolKind::Stomp => Decoder::Stomp(stomp::Decoder::new(&settings.stomp)),
            ProtocolKind::Mqtt => Decoder::Mqtt(mqtt::Decoder::new(&settings.mqtt)),
            ProtocolKind::JsonRpc => Decoder::JsonRpc(jsonrpc::Decoder::new(&settings.jsonrpc)),
        }
    }

    /// True for plain WebSocket.
    pub fn is_raw(&self) -> bool {
        matches!(self, Decoder::Raw)
    }

    /// The attempt opened with `subprotocol` (the server's choice), which some protocols
    /// read their version from.
    pub fn on_open(&mut self, subprotocol: Option<&str>) {
        match self {
            Decoder::Raw | Decoder::SocketIo(_) | Decoder::JsonRpc(_) => {}
            Decoder::Graphql(d) => d.on_open(subprotocol),
            Decoder::Stomp(d) => d.on_open(subprotocol),
            Decoder::Mqtt(d) => d.on_open(subprotocol),
        }
    }

    /// The unit a data message carries, `offset` after the attempt started. `None` for
    /// plain WebSocket, and for a frame that only continues an earlier unit (its binary
    /// attachments) until the unit is whole.
    pub fn decode(&mut self, dir: Direction, payload: &Payload, offset: Duration) -> Option<Unit> {
        match self {
            Decoder::Raw => None,
            Decoder::SocketIo(d) => d.decode(dir, payload, offset),
            Decoder::Graphql(d) => d.decode(dir, payload, offset),
            Decoder::Stomp(d) => d.decode(dir, payload, offset),
            Decoder::Mqtt(d) => d.decode(dir, payload, offset),
            Decoder::JsonRpc(d) => d.decode(dir, payload, offset),
        }
    }

    /// What the protocol makes of the WebSocket closing with `code` and `reason` (GraphQL's
    /// 4403 Forbidden, a Socket.IO server's ping timeout, …): a unit shown beside the close
    /// forensics, or `None` when the protocol gives the close no meaning of its own.
    pub fn on_close(&mut self, code: u16, reason: &str) -> Option<Unit> {
        match self {
            Decoder::Raw => None,
            Decoder::SocketIo(d) => d.on_close(code, reason),
            Decoder::Graphql(d) => d.on_close(code, reason),
            Decoder::Stomp(d) => d.on_close(code, reason),
            Decoder::Mqtt(d) => d.on_close(code, reason),
            Decoder::JsonRpc(d) => d.on_close(code, reason),
        }
    }

    /// What the protocol makes of a server refusing the WebSocket upgrade with HTTP `status`
    /// and `body` (a Socket.IO server that offers only long-polling says so in its body), or
    /// `None` when the refusal means nothing more in the protocol's terms.
    pub fn on_refusal(&mut self, status: u16, body: &[u8]) -> Option<Unit> {
        match self {
            Decoder::Raw => None,
            Decoder::SocketIo(d) => d.on_refusal(status, body),
            Decoder::Graphql(d) => d.on_refusal(status, body),
            Decoder::Stomp(d) => d.on_refusal(status, body),
            Decoder::Mqtt(d) => d.on_refusal(status, body),
            Decoder::JsonRpc(d) => d.on_refusal(status, body),
        }
    }
}
