//! The user's operations, written like the frames they send:
//! `{"type": "SEND", "headers": {…}, "body": "…"}`.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::Value;

use super::frame::StompFrame;
use crate::protocol::OpError;

/// The commands a client sends, with the headers each needs.
const COMMANDS: &[(&str, &[&str])] = &[
    ("SEND", &["destination"]),
    ("SUBSCRIBE", &["destination"]),
    ("UNSUBSCRIBE", &["id"]),
    ("ACK", &["id"]),
    ("NACK", &["id"]),
    ("BEGIN", &["transaction"]),
    ("COMMIT", &["transaction"]),
    ("ABORT", &["transaction"]),
    ("DISCONNECT", &[]),
];

/// Reads `op` into the frame it sends (the session adds `id`, `receipt` and
/// `content-length` where they are missing).
pub fn read(op: &Value) -> Result<StompFrame, OpError> {
    let names = || {
        COMMANDS
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let command = op
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| OpError::new(format!("a STOMP operation needs a `type`: {}", names())))?
        .to_ascii_uppercase();
    let Some((command, needs)) = COMMANDS.iter().find(|(name, _)| *name == command) else {
        return Err(OpError::new(format!(
            "unknown STOMP command `{command}`: expected {}",
            names()
        )));
    };
    let mut headers = Vec::new();
    match op.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let value = match value {
                    Value::String(text) => text.clone(),
                    Value::Number(_) | Value::Bool(_) => value.to_string(),
                    _ => {
                        return Err(OpError::new(format!(
                            "header `{name}` is text (or a number)"
                        )));
                    }
                };
                headers.push((name.clone(), value));
            }
        }
        Some(_) => return Err(OpError::new("`headers` is an object of name: value")),
    }
    for need in *needs {
        let has = headers.iter().any(|(name, _)| name == need)
            // STOMP 1.1 acknowledges by message-id.
            || (*need == "id" && matches!(*command, "ACK" | "NACK")
                && headers.iter().any(|(name, _)| name == "message-id"));
        if !has {
            return Err(OpError::new(format!("{command} needs a `{need}` header")));
        }
    }
    let body = match (op.get("body"), op.get("body_base64")) {
        (None, None) => Bytes::new(),
        (Some(Value::String(text)), None) => Bytes::copy_from_slice(text.as_bytes()),
        (None, Some(Value::String(text))) => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(|error| OpError::new(format!("`body_base64` is not base64: {error}")))?,
        (Some(_), Some(_)) => return Err(OpError::new("give `body` or `body_base64`, not both")),
        _ => return Err(OpError::new("`body` is text")),
    };
    if !body.is_empty() && *command != "SEND" {
        return Err(OpError::new(format!(
            "only SEND carries a body, not {command}"
        )));
    }
    Ok(StompFrame::new(command, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_become_frames() {
        let frame = read(&json!({"type": "send", "headers": {"destination": "/q/a", "priority": 5}, "body": "hi"}))
            .unwrap();
        assert_eq!(frame.command, "SEND");
        assert_eq!(frame.header("priority"), Some("5"));
        assert_eq!(&frame.body[..], b"hi");
        let frame = read(
            &json!({"type": "SEND", "headers": {"destination": "/q/a"}, "body_base64": "AAE="}),
        )
        .unwrap();
        assert_eq!(&frame.body[..], &[0, 1]);
        assert!(read(&json!({"type": "DISCONNECT"})).is_ok());
    }

    #[test]
    fn malformed_operations_say_what_is_missing() {
        let error = |op: Value| read(&op).unwrap_err().0;
        assert!(
            error(json!({"type": "SEND", "body": "x"}))
                .contains("SEND needs a `destination` header")
        );
        assert!(error(json!({"type": "PUBLISH"})).contains("unknown STOMP command `PUBLISH`"));
        assert!(error(json!({"type": "BEGIN"})).contains("`transaction`"));
        assert!(
            error(json!({"type": "SUBSCRIBE", "headers": {"destination": "/q"}, "body": "x"}))
                .contains("only SEND carries a body")
        );
        assert!(error(json!({"headers": {}})).contains("needs a `type`"));
    }

    #[test]
    fn the_composer_examples_are_valid_operations() {
        for (what, text) in crate::protocol::example_ops(crate::protocol::ProtocolKind::Stomp) {
            let op: Value = serde_json::from_str(text).unwrap();
            assert!(read(&op).is_ok(), "{what}: {text}");
        }
    }
}
