//! One JSON-RPC 2.0 message, checked against the specification: a request, a
//! notification, a response or an error response.

use serde_json::{Map, Value};

/// A valid JSON-RPC 2.0 message (one element of a batch, or a whole message).
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A call that wants an answer.
    Request {
        /// Its id (a string or a number).
        id: Value,
        /// The method called.
        method: String,
        /// The parameters (an array or an object), if any.
        params: Option<Value>,
    },
    /// A call without an id: no answer comes.
    Notification {
        /// The method called.
        method: String,
        /// The parameters, if any.
        params: Option<Value>,
    },
    /// A successful answer.
    Response {
        /// The id of the request it answers.
        id: Value,
        /// The result.
        result: Value,
    },
    /// A failed answer.
    Error {
        /// The id of the request it answers (null when the request could not be read).
        id: Value,
        /// `{code, message, data?}`.
        error: Value,
    },
}

/// Reads one message; the error says how it breaks the specification.
pub fn classify(value: &Value) -> Result<Message, String> {
    let Value::Object(fields) = value else {
        return Err("a JSON-RPC message is an object (or a batch array of them)".into());
    };
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("`jsonrpc` must be \"2.0\"".into());
    }
    if let Some(method) = fields.get("method") {
        let method = method
            .as_str()
            .ok_or("`method` must be a string")?
            .to_owned();
        let params = fields.get("params").cloned();
        if let Some(params) = &params
            && !(params.is_array() || params.is_object())
        {
            return Err("`params` must be an array or an object".into());
        }
        return Ok(match fields.get("id") {
            None => Message::Notification { method, params },
            Some(id) => Message::Request {
                id: checked_id(id)?,
                method,
                params,
            },
        });
    }
    let id = checked_id(fields.get("id").ok_or("a response needs an `id`")?)?;
    match (fields.get("result"), fields.get("error")) {
        (Some(result), None) => Ok(Message::Response {
            id,
            result: result.clone(),
        }),
        (None, Some(error)) => {
            check_error(error)?;
            Ok(Message::Error {
                id,
                error: error.clone(),
            })
        }
        (Some(_), Some(_)) => Err("a response has `result` or `error`, not both".into()),
        (None, None) => {
            Err("neither a request (`method`) nor a response (`result`/`error`)".into())
        }
    }
}

fn checked_id(id: &Value) -> Result<Value, String> {
    match id {
        Value::String(_) | Value::Number(_) | Value::Null => Ok(id.clone()),
        _ => Err("`id` must be a string, a number or null".into()),
    }
}

/// Checks an error object: `{"code": integer, "message": string, "data"?: any}`.
pub fn check_error(error: &Value) -> Result<(), String> {
    let fields: &Map<String, Value> = error.as_object().ok_or("`error` must be an object")?;
    if !fields.get("code").is_some_and(|code| code.is_i64()) {
        return Err("`error.code` must be an integer".into());
    }
    if !fields.get("message").is_some_and(Value::is_string) {
        return Err("`error.message` must be a string".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_four_kinds_are_told_apart() {
        assert!(matches!(
            classify(&json!({"jsonrpc": "2.0", "method": "sum", "params": [1, 2], "id": 1})),
            Ok(Message::Request { method, .. }) if method == "sum"
        ));
        assert!(matches!(
            classify(&json!({"jsonrpc": "2.0", "method": "log"})),
            Ok(Message::Notification { .. })
        ));
        assert!(matches!(
            classify(&json!({"jsonrpc": "2.0", "result": 3, "id": "a"})),
            Ok(Message::Response { .. })
        ));
        assert!(matches!(
            classify(
                &json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "x"}, "id": null})
            ),
            Ok(Message::Error { .. })
        ));
    }

    #[test]
    fn invalid_messages_say_why() {
        for (value, says) in [
            (json!(3), "object"),
            (json!({"method": "a"}), "\"2.0\""),
            (json!({"jsonrpc": "2.0", "method": 1}), "`method`"),
            (
                json!({"jsonrpc": "2.0", "method": "a", "params": 1}),
                "`params`",
            ),
            (json!({"jsonrpc": "2.0", "method": "a", "id": []}), "`id`"),
            (json!({"jsonrpc": "2.0", "result": 1}), "`id`"),
            (
                json!({"jsonrpc": "2.0", "result": 1, "error": {}, "id": 1}),
                "not both",
            ),
            (
                json!({"jsonrpc": "2.0", "error": {"code": "x", "message": "m"}, "id": 1}),
                "code",
            ),
            (json!({"jsonrpc": "2.0", "id": 1}), "neither"),
        ] {
            let error = classify(&value).unwrap_err();
            assert!(error.contains(says), "{value}: {error}");
        }
    }
}
