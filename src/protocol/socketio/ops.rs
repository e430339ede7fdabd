//! The operations a user sends, in the shape of the units Sockscope shows:
//! - `{"type":"event","event":"chat","args":[…],"namespace":"/x","ack":true}`: emit an
//!   event (`ack: true` asks the server to answer; Sockscope assigns the ack id);
//! - `{"type":"ack","id":N,"args":[…],"namespace":"/x"}`: answer a server's event that asked
//!   for an ack with id N;
//! - `{"type":"connect","namespace":"/admin","auth":{…}}`: join a namespace;
//! - `{"type":"disconnect","namespace":"/admin"}`: leave it.
//!
//! `namespace` defaults to the tab's. A binary argument is written `{"$binary":"<base64>"}`
//! anywhere in `args`; the packet then goes as a BINARY_EVENT/BINARY_ACK with placeholders,
//! followed by the bytes as binary messages.

use serde_json::Value;

use super::options::normalize_namespace;
use crate::protocol::OpError;

/// One operation, checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Emit an event.
    Event {
        /// The namespace.
        namespace: String,
        /// The event name.
        event: String,
        /// Its arguments.
        args: Vec<Value>,
        /// Whether the server is asked to answer.
        ack: bool,
    },
    /// Answer the server's event `id`.
    Ack {
        /// The namespace.
        namespace: String,
        /// The id the server's event carried.
        id: u64,
        /// The answer's arguments.
        args: Vec<Value>,
    },
    /// Join a namespace.
    Connect {
        /// The namespace.
        namespace: String,
        /// The auth payload, if any.
        auth: Option<Value>,
    },
    /// Leave a namespace.
    Disconnect {
        /// The namespace.
        namespace: String,
    },
}

const TYPES: &str = "event, ack, connect or disconnect";

impl Op {
    /// Reads an operation; `default_namespace` is used when it names none.
    pub fn parse(op: &Value, default_namespace: &str) -> Result<Self, OpError> {
        let Value::Object(fields) = op else {
            return Err(OpError::new(format!(
                "a Socket.IO operation is a JSON object with a \"type\" ({TYPES})"
            )));
        };
        let kind = fields
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| OpError::new(format!("the operation has no \"type\" ({TYPES})")))?;
        let namespace = match fields.get("namespace") {
            None | Some(Value::Null) => default_namespace.to_owned(),
            Some(Value::String(text)) => normalize_namespace(text).map_err(OpError::new)?,
            Some(_) => return Err(OpError::new("\"namespace\" takes text such as \"/admin\"")),
        };
        let args = || match fields.get("args") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(_) => Err(OpError::new("\"args\" takes a JSON array")),
        };
        match kind {
            "event" => {
                let event = match fields.get("event") {
                    Some(Value::String(name)) if !name.is_empty() => name.clone(),
                    _ => {
                        return Err(OpError::new("an event needs its name: \"event\": \"chat\""));
                    }
                };
                if RESERVED.contains(&event.as_str()) {
                    return Err(OpError::new(format!(
                        "\"{event}\" is a reserved Socket.IO event name: servers drop it"
                    )));
                }
                let ack = match (fields.get("ack"), fields.get("ack_id")) {
                    (Some(Value::Bool(ack)), _) => *ack,
                    (Some(Value::Null) | None, None | Some(Value::Null)) => false,
                    // A decoded event pasted back: its id is replaced by a fresh one.
                    (None | Some(Value::Null), Some(_)) => true,
                    (Some(_), _) => return Err(OpError::new("\"ack\" takes true or false")),
                };
                Ok(Op::Event {
                    namespace,
                    event,
                    args: args()?,
                    ack,
                })
            }
            "ack" => {
                let id = fields.get("id").and_then(Value::as_u64).ok_or_else(|| {
                    OpError::new("an ack needs the \"id\" of the server's event it answers")
                })?;
                Ok(Op::Ack {
                    namespace,
                    id,
                    args: args()?,
                })
            }
            "connect" => {
                let auth = match fields.get("auth") {
                    None | Some(Value::Null) => None,
                    Some(auth @ Value::Object(_)) => Some(auth.clone()),
                    Some(_) => return Err(OpError::new("\"auth\" takes a JSON object")),
                };
                Ok(Op::Connect { namespace, auth })
            }
            "disconnect" => Ok(Op::Disconnect { namespace }),
            other => Err(OpError::new(format!(
                "\"{other}\" is not a Socket.IO operation: expected {TYPES}"
            ))),
        }
    }
}

/// Event names Socket.IO keeps for itself.
const RESERVED: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operations_read_with_defaults() {
        let op = Op::parse(
            &json!({"type": "event", "event": "chat", "args": ["hi"]}),
            "/",
        )
        .unwrap();
        assert_eq!(
            op,
            Op::Event {
                namespace: "/".into(),
                event: "chat".into(),
                args: vec![json!("hi")],
                ack: false
            }
        );
        let op = Op::parse(
            &json!({"type": "event", "event": "e", "namespace": "admin", "ack": true}),
            "/",
        )
        .unwrap();
        assert!(matches!(op, Op::Event { ref namespace, ack: true, .. } if namespace == "/admin"));
        let pasted = json!({"type": "event", "event": "e", "args": [], "ack_id": 4});
        assert!(matches!(
            Op::parse(&pasted, "/").unwrap(),
            Op::Event { ack: true, .. }
        ));
        let op = Op::parse(&json!({"type": "ack", "id": 3, "args": [1]}), "/x").unwrap();
        assert_eq!(
            op,
            Op::Ack {
                namespace: "/x".into(),
                id: 3,
                args: vec![json!(1)]
            }
        );
        let op = Op::parse(
            &json!({"type": "connect", "namespace": "/a", "auth": {"t": 1}}),
            "/",
        )
        .unwrap();
        assert_eq!(
            op,
            Op::Connect {
                namespace: "/a".into(),
                auth: Some(json!({"t": 1}))
            }
        );
    }

    #[test]
    fn malformed_operations_say_what_is_expected() {
        let error = |op: Value| Op::parse(&op, "/").unwrap_err().0;
        assert!(error(json!("chat")).contains("JSON object"));
        assert!(error(json!({"event": "x"})).contains("\"type\""));
        assert!(error(json!({"type": "emit"})).contains("event, ack"));
        assert!(error(json!({"type": "event"})).contains("name"));
        assert!(error(json!({"type": "event", "event": "connect"})).contains("reserved"));
        assert!(error(json!({"type": "event", "event": "e", "args": "x"})).contains("array"));
        assert!(error(json!({"type": "ack", "args": []})).contains("\"id\""));
        assert!(error(json!({"type": "connect", "auth": "t"})).contains("object"));
        assert!(
            error(json!({"type": "event", "event": "e", "namespace": 1})).contains("namespace")
        );
    }
}
