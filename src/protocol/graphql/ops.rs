//! A user's GraphQL operation, checked, and the message it becomes in each flavor.
//!
//! An op is written like the decoded unit of what it sends:
//! `{"type":"subscribe","query":"…","variables"?,"operationName"?,"extensions"?,"id"?}`,
//! `{"type":"complete","id":"1"}`, or any raw protocol message with a valid client type
//! (`connection_init`, `ping`, `pong`, `subscribe`/`start` with a `payload`,
//! `complete`/`stop`, `connection_terminate`).

use serde_json::{Map, Value, json};

use super::options::Flavor;
use crate::protocol::OpError;

/// A checked operation.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientOp {
    /// Run a GraphQL operation (`subscribe`, legacy `start`); its id is assigned when
    /// `None`.
    Subscribe {
        /// The id the user chose.
        id: Option<String>,
        /// `{query, variables?, operationName?, extensions?}`.
        payload: Map<String, Value>,
    },
    /// Stop an operation (`complete`, legacy `stop`).
    Complete {
        /// The operation's id.
        id: String,
    },
    /// Any other message, sent as written once the socket is open.
    Raw(Map<String, Value>),
}

impl ClientOp {
    /// Checks `op`; the error says what is wrong (nothing is sent).
    pub fn parse(op: &Value) -> Result<ClientOp, OpError> {
        let Value::Object(fields) = op else {
            return Err(OpError::new("a GraphQL op is a JSON object with a `type`"));
        };
        let kind = fields.get("type").and_then(Value::as_str).ok_or_else(|| {
            OpError::new("a GraphQL op needs a `type` (subscribe, complete, ping, …)")
        })?;
        match kind {
            "subscribe" | "start" => {
                let id = optional_id(fields)?;
                let payload = match fields.get("payload") {
                    Some(Value::Object(payload)) => payload.clone(),
                    Some(_) => return Err(OpError::new("`payload` must be an object")),
                    None => top_level_payload(fields),
                };
                check_payload(&payload)?;
                Ok(ClientOp::Subscribe { id, payload })
            }
            "complete" | "stop" => {
                let id = optional_id(fields)?
                    .ok_or_else(|| OpError::new(format!("`{kind}` needs the operation's `id`")))?;
                Ok(ClientOp::Complete { id })
            }
            "connection_init" | "ping" | "pong" | "connection_terminate" => {
                if let Some(payload) = fields.get("payload")
                    && !(payload.is_object() || payload.is_null())
                {
                    return Err(OpError::new(format!(
                        "`{kind}`'s `payload` must be an object"
                    )));
                }
                Ok(ClientOp::Raw(fields.clone()))
            }
            other => Err(OpError::new(format!(
                "unknown GraphQL op type `{other}`: expected subscribe, complete, ping, pong, \
                 connection_init (or the legacy start, stop, connection_terminate)"
            ))),
        }
    }

    /// True when the op must wait for the server's `connection_ack`.
    pub fn needs_ack(&self) -> bool {
        !matches!(self, ClientOp::Raw(_))
    }

    /// The message this op is in `flavor`, with `id` for a subscribe.
    pub fn message(&self, flavor: Flavor, id: &str) -> Value {
        match self {
            ClientOp::Subscribe { payload, .. } => {
                let kind = match flavor {
                    Flavor::Transport => "subscribe",
                    Flavor::Legacy => "start",
                };
                json!({"id": id, "type": kind, "payload": payload})
            }
            ClientOp::Complete { id } => {
                let kind = match flavor {
                    Flavor::Transport => "complete",
                    Flavor::Legacy => "stop",
                };
                json!({"id": id, "type": kind})
            }
            ClientOp::Raw(fields) => Value::Object(fields.clone()),
        }
    }
}

fn optional_id(fields: &Map<String, Value>) -> Result<Option<String>, OpError> {
    match fields.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) if !id.is_empty() => Ok(Some(id.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(OpError::new("`id` must be a non-empty string")),
    }
}

fn top_level_payload(fields: &Map<String, Value>) -> Map<String, Value> {
    ["query", "variables", "operationName", "extensions"]
        .into_iter()
        .filter_map(|key| Some((key.to_owned(), fields.get(key)?.clone())))
        .collect()
}

fn check_payload(payload: &Map<String, Value>) -> Result<(), OpError> {
    match payload.get("query") {
        Some(Value::String(query)) if !query.trim().is_empty() => {}
        _ => {
            return Err(OpError::new(
                "a subscribe op needs a `query` (GraphQL text)",
            ));
        }
    }
    for (key, want_object) in [
        ("variables", true),
        ("extensions", true),
        ("operationName", false),
    ] {
        match payload.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(_)) if want_object => {}
            Some(Value::String(_)) if !want_object => {}
            Some(_) => {
                let what = if want_object { "an object" } else { "a string" };
                return Err(OpError::new(format!("`{key}` must be {what}")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscribe_op_becomes_subscribe_or_start_with_its_payload() {
        let op = ClientOp::parse(&json!({
            "type": "subscribe", "query": "{ hello }", "variables": {"a": 1}
        }))
        .unwrap();
        assert_eq!(
            op.message(Flavor::Transport, "1"),
            json!({"id": "1", "type": "subscribe", "payload": {"query": "{ hello }", "variables": {"a": 1}}})
        );
        assert_eq!(op.message(Flavor::Legacy, "7")["type"], "start");
        let raw =
            ClientOp::parse(&json!({"type": "start", "id": "x", "payload": {"query": "{ a }"}}));
        assert!(matches!(raw, Ok(ClientOp::Subscribe { id: Some(id), .. }) if id == "x"));
        let stop = ClientOp::parse(&json!({"type": "complete", "id": "3"})).unwrap();
        assert_eq!(
            stop.message(Flavor::Legacy, "3"),
            json!({"id": "3", "type": "stop"})
        );
    }

    #[test]
    fn malformed_ops_say_what_is_wrong() {
        for (op, says) in [
            (json!([1]), "JSON object"),
            (json!({"query": "{ a }"}), "needs a `type`"),
            (json!({"type": "subscribe"}), "needs a `query`"),
            (
                json!({"type": "subscribe", "query": "{a}", "variables": [1]}),
                "`variables`",
            ),
            (json!({"type": "complete"}), "`id`"),
            (
                json!({"type": "next", "id": "1"}),
                "unknown GraphQL op type `next`",
            ),
            (json!({"type": "ping", "payload": 3}), "object"),
        ] {
            let error = ClientOp::parse(&op).unwrap_err().to_string();
            assert!(error.contains(says), "{op}: {error}");
        }
    }
}
