//! Which protocol a tab speaks, and its options: saved with the tab's connection settings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{graphql, jsonrpc, mqtt, socketio, stomp};

/// The protocol a connection speaks over WebSocket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolKind {
    /// Plain WebSocket messages: nothing decoded, nothing answered.
    #[default]
    Raw,
    /// Socket.IO v3/v4 (Engine.IO 3/4) over the websocket transport.
    #[serde(rename = "socketio")]
    SocketIo,
    /// GraphQL over WebSocket: `graphql-transport-ws` or the legacy `graphql-ws`.
    Graphql,
    /// STOMP 1.2/1.1 over WebSocket.
    Stomp,
    /// MQTT 3.1.1 or 5 over WebSocket.
    Mqtt,
    /// JSON-RPC 2.0.
    #[serde(rename = "jsonrpc")]
    JsonRpc,
}

impl ProtocolKind {
    /// Every protocol, in the order menus list them.
    pub const ALL: [ProtocolKind; 6] = [
        ProtocolKind::Raw,
        ProtocolKind::SocketIo,
        ProtocolKind::Graphql,
        ProtocolKind::Stomp,
        ProtocolKind::Mqtt,
        ProtocolKind::JsonRpc,
    ];

    /// The name the command line takes (`--protocol NAME`) and files store.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolKind::Raw => "raw",
            ProtocolKind::SocketIo => "socketio",
            ProtocolKind::Graphql => "graphql",
            ProtocolKind::Stomp => "stomp",
            ProtocolKind::Mqtt => "mqtt",
            ProtocolKind::JsonRpc => "jsonrpc",
        }
    }

    /// The name people know it by, for menus.
    pub fn label(self) -> &'static str {
        match self {
            ProtocolKind::Raw => "Raw WebSocket",
            ProtocolKind::SocketIo => "Socket.IO",
            ProtocolKind::Graphql => "GraphQL",
            ProtocolKind::Stomp => "STOMP",
            ProtocolKind::Mqtt => "MQTT",
            ProtocolKind::JsonRpc => "JSON-RPC",
        }
    }
}

/// Operations a composer offers to start from, per protocol: `(what it does, the JSON)`.
pub fn example_ops(kind: ProtocolKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        ProtocolKind::Raw => &[],
        ProtocolKind::SocketIo => &[
            (
                "Emit an event",
                r#"{"type": "event", "event": "chat", "args": ["hello"]}"#,
            ),
            (
                "Emit, asking for an ack",
                r#"{"type": "event", "event": "chat", "args": ["hello"], "ack": true}"#,
            ),
            (
                "Emit binary (base64)",
                r#"{"type": "event", "event": "upload", "args": [{"$binary": "aGVsbG8="}]}"#,
            ),
            (
                "Answer the server's ack",
                r#"{"type": "ack", "id": 0, "args": ["ok"]}"#,
            ),
            (
                "Connect to a namespace",
                r#"{"type": "connect", "namespace": "/admin", "auth": {}}"#,
            ),
            (
                "Leave a namespace",
                r#"{"type": "disconnect", "namespace": "/admin"}"#,
            ),
        ],
        ProtocolKind::Graphql => &[
            (
                "Query",
                r#"{"type": "subscribe", "query": "{ hello }", "variables": {}}"#,
            ),
            (
                "Subscription",
                r#"{"type": "subscribe", "query": "subscription { tick }", "variables": {}}"#,
            ),
            (
                "Mutation",
                r#"{"type": "subscribe", "query": "mutation($n: Int) { add(n: $n) }", "variables": {"n": 1}}"#,
            ),
            ("Stop an operation", r#"{"type": "complete", "id": "1"}"#),
        ],
        ProtocolKind::Stomp => &[
            (
                "Subscribe",
                r#"{"type": "SUBSCRIBE", "headers": {"destination": "/topic/a"}}"#,
            ),
            (
                "Send",
                r#"{"type": "SEND", "headers": {"destination": "/topic/a"}, "body": "hello"}"#,
            ),
            (
                "Unsubscribe",
                r#"{"type": "UNSUBSCRIBE", "headers": {"id": "sub-0"}}"#,
            ),
            (
                "Acknowledge a message",
                r#"{"type": "ACK", "headers": {"id": "the MESSAGE's ack header"}}"#,
            ),
            (
                "Begin a transaction",
                r#"{"type": "BEGIN", "headers": {"transaction": "tx1"}}"#,
            ),
            ("Disconnect", r#"{"type": "DISCONNECT"}"#),
        ],
        ProtocolKind::Mqtt => &[
            (
                "Subscribe",
                r#"{"type": "subscribe", "topic": "a/#", "qos": 1}"#,
            ),
            (
                "Publish",
                r#"{"type": "publish", "topic": "a/b", "payload": "hello", "qos": 1, "retain": false}"#,
            ),
            (
                "Publish bytes",
                r#"{"type": "publish", "topic": "a/b", "payload_hex": "00010203", "qos": 0}"#,
            ),
            (
                "Publish with MQTT 5 properties",
                r#"{"type": "publish", "topic": "a/b", "payload": "{}", "qos": 1, "properties": {"content_type": "application/json", "user_properties": [["k", "v"]]}}"#,
            ),
            ("Unsubscribe", r#"{"type": "unsubscribe", "topic": "a/#"}"#),
            ("Disconnect", r#"{"type": "disconnect"}"#),
        ],
        ProtocolKind::JsonRpc => &[
            (
                "Call a method",
                r#"{"type": "request", "method": "sum", "params": [1, 2]}"#,
            ),
            (
                "Notify",
                r#"{"type": "notification", "method": "log", "params": {"text": "hi"}}"#,
            ),
            (
                "Batch",
                r#"{"type": "batch", "items": [{"type": "request", "method": "sum", "params": [1, 2]}, {"type": "notification", "method": "log"}]}"#,
            ),
            (
                "Answer the server's request",
                r#"{"type": "response", "id": 1, "result": "ok"}"#,
            ),
        ],
    }
}

impl fmt::Display for ProtocolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProtocolKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        ProtocolKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = ProtocolKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown protocol `{name}`: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// The protocol a tab speaks and each protocol's options (only the chosen one's are used;
/// the others are kept so switching back and forth loses nothing).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProtocolSettings {
    /// The protocol spoken.
    pub kind: ProtocolKind,
    /// Socket.IO's options.
    #[serde(skip_serializing_if = "socketio::Options::is_default")]
    pub socketio: socketio::Options,
    /// GraphQL over WebSocket's options.
    #[serde(skip_serializing_if = "graphql::Options::is_default")]
    pub graphql: graphql::Options,
    /// STOMP's options.
    #[serde(skip_serializing_if = "stomp::Options::is_default")]
    pub stomp: stomp::Options,
    /// MQTT's options.
    #[serde(skip_serializing_if = "mqtt::Options::is_default")]
    pub mqtt: mqtt::Options,
    /// JSON-RPC's options.
    #[serde(skip_serializing_if = "jsonrpc::Options::is_default")]
    pub jsonrpc: jsonrpc::Options,
}

impl ProtocolSettings {
    /// Settings for `kind` with its default options.
    pub fn new(kind: ProtocolKind) -> Self {
        Self {
            kind,
            ..Self::default()
        }
    }

    /// True for plain WebSocket (what files leave out).
    pub fn is_raw(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option of the chosen protocol from `KEY=VALUE` text (`--protocol-option`);
    /// the error names the key and what it takes.
    pub fn set_option(&mut self, key: &str, value: &str) -> Result<(), String> {
        let key = key.trim();
        match self.kind {
            ProtocolKind::Raw => Err(format!(
                "`{key}`: plain WebSocket (--protocol raw) has no options"
            )),
            ProtocolKind::SocketIo => self.socketio.set(key, value),
            ProtocolKind::Graphql => self.graphql.set(key, value),
            ProtocolKind::Stomp => self.stomp.set(key, value),
            ProtocolKind::Mqtt => self.mqtt.set(key, value),
            ProtocolKind::JsonRpc => self.jsonrpc.set(key, value),
        }
    }

    /// The subprotocols to offer when the user set none (a protocol that is negotiated by
    /// subprotocol, such as GraphQL's or MQTT's, needs its name offered).
    pub fn default_subprotocols(&self) -> Vec<String> {
        match self.kind {
            ProtocolKind::Raw | ProtocolKind::JsonRpc | ProtocolKind::SocketIo => Vec::new(),
            ProtocolKind::Graphql => graphql::subprotocols(&self.graphql),
            ProtocolKind::Stomp => stomp::subprotocols(&self.stomp),
            ProtocolKind::Mqtt => mqtt::subprotocols(&self.mqtt),
        }
    }

    /// The URL actually dialled for `url` (Socket.IO's endpoint is built from a plain
    /// `http(s)://host` address); unchanged for the others.
    pub fn endpoint_url(&self, url: &str) -> String {
        match self.kind {
            ProtocolKind::SocketIo => socketio::endpoint_url(url, &self.socketio),
            _ => url.to_owned(),
        }
    }

    /// Secrets among the options (passwords, tokens), for the one redaction step.
    pub fn secrets(&self) -> Vec<String> {
        match self.kind {
            ProtocolKind::Stomp => self.stomp.secrets(),
            ProtocolKind::Mqtt => self.mqtt.secrets(),
            ProtocolKind::SocketIo => self.socketio.secrets(),
            ProtocolKind::Graphql => self.graphql.secrets(),
            ProtocolKind::Raw | ProtocolKind::JsonRpc => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for kind in ProtocolKind::ALL {
            assert_eq!(kind.name().parse::<ProtocolKind>(), Ok(kind));
        }
        let error = "amqp".parse::<ProtocolKind>().unwrap_err();
        assert!(
            error.contains("raw, socketio, graphql, stomp, mqtt, jsonrpc"),
            "{error}"
        );
    }

    #[test]
    fn raw_settings_are_left_out_of_files() {
        assert!(ProtocolSettings::default().is_raw());
        assert!(!ProtocolSettings::new(ProtocolKind::Mqtt).is_raw());
        let text = ron::to_string(&ProtocolSettings::new(ProtocolKind::Stomp)).unwrap();
        assert_eq!(text, "(kind:stomp)");
    }
}
