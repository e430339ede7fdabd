//! A user's JSON-RPC op, checked and written as the message it sends.
//!
//! Ops are written like the decoded units: `{"type":"request","method","params"?,"id"?}`,
//! `{"type":"notification","method","params"?}`, `{"type":"response","id","result"}` or
//! `{"type":"response","id","error":{"code","message"}}` (also `"type":"error"`) to answer
//! a server's request, and `{"type":"batch","items":[…]}` of those.

use serde_json::{Map, Value, json};

use super::message::check_error;
use crate::protocol::OpError;

/// Hands out request ids: 1, 2, …, skipping numbers the user chose.
pub trait Ids {
    /// The id for a request whose op named none.
    fn assign(&mut self) -> Value;
    /// The user chose `id` for a request.
    fn chosen(&mut self, id: &Value);
}

/// The message `op` sends, with request ids from `ids`.
pub fn message(op: &Value, ids: &mut dyn Ids) -> Result<Value, OpError> {
    let fields = fields_of(op)?;
    if kind_of(fields)? == "batch" {
        let items = fields
            .get("items")
            .and_then(Value::as_array)
            .filter(|items| !items.is_empty())
            .ok_or_else(|| OpError::new("a batch needs `items`: a non-empty array of ops"))?;
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_fields = fields_of(item).map_err(|e| in_item(index, e))?;
            if kind_of(item_fields).map_err(|e| in_item(index, e))? == "batch" {
                return Err(in_item(index, OpError::new("a batch cannot hold a batch")));
            }
            out.push(single(item_fields, ids).map_err(|e| in_item(index, e))?);
        }
        return Ok(Value::Array(out));
    }
    single(fields, ids)
}

fn in_item(index: usize, error: OpError) -> OpError {
    OpError::new(format!("batch item {index}: {error}"))
}

fn fields_of(op: &Value) -> Result<&Map<String, Value>, OpError> {
    op.as_object()
        .ok_or_else(|| OpError::new("a JSON-RPC op is a JSON object with a `type`"))
}

fn kind_of(fields: &Map<String, Value>) -> Result<&str, OpError> {
    fields.get("type").and_then(Value::as_str).ok_or_else(|| {
        OpError::new("a JSON-RPC op needs a `type`: request, notification, response or batch")
    })
}

fn single(fields: &Map<String, Value>, ids: &mut dyn Ids) -> Result<Value, OpError> {
    match kind_of(fields)? {
        "request" => {
            let (method, params) = method_and_params(fields)?;
            let id = match fields.get("id") {
                None | Some(Value::Null) => ids.assign(),
                Some(id @ (Value::String(_) | Value::Number(_))) => {
                    ids.chosen(id);
                    id.clone()
                }
                Some(_) => return Err(OpError::new("`id` must be a string or a number")),
            };
            let mut message = json!({"jsonrpc": "2.0", "method": method});
            put(&mut message, "params", params);
            put(&mut message, "id", Some(id));
            Ok(message)
        }
        "notification" => {
            if fields.contains_key("id") {
                return Err(OpError::new(
                    "a notification has no `id` (use a request to get an answer)",
                ));
            }
            let (method, params) = method_and_params(fields)?;
            let mut message = json!({"jsonrpc": "2.0", "method": method});
            put(&mut message, "params", params);
            Ok(message)
        }
        "response" | "error" => {
            let id = match fields.get("id") {
                Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => id.clone(),
                _ => {
                    return Err(OpError::new(
                        "a response needs the `id` of the request it answers",
                    ));
                }
            };
            match (fields.get("result"), fields.get("error")) {
                (Some(result), None) => Ok(json!({"jsonrpc": "2.0", "result": result, "id": id})),
                (None, Some(error)) => {
                    check_error(error).map_err(OpError::new)?;
                    Ok(json!({"jsonrpc": "2.0", "error": error, "id": id}))
                }
                _ => Err(OpError::new(
                    "a response has either `result` or `error` ({\"code\", \"message\"})",
                )),
            }
        }
        other => Err(OpError::new(format!(
            "unknown JSON-RPC op type `{other}`: expected request, notification, response or batch"
        ))),
    }
}

fn method_and_params(fields: &Map<String, Value>) -> Result<(String, Option<Value>), OpError> {
    let method = fields
        .get("method")
        .and_then(Value::as_str)
        .filter(|method| !method.is_empty())
        .ok_or_else(|| OpError::new("`method` must be a non-empty string"))?;
    let params = match fields.get("params") {
        None | Some(Value::Null) => None,
        Some(params @ (Value::Array(_) | Value::Object(_))) => Some(params.clone()),
        Some(_) => return Err(OpError::new("`params` must be an array or an object")),
    };
    Ok((method.to_owned(), params))
}

fn put(message: &mut Value, key: &str, value: Option<Value>) {
    if let (Value::Object(map), Some(value)) = (message, value) {
        map.insert(key.into(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counter(u64);

    impl Ids for Counter {
        fn assign(&mut self) -> Value {
            self.0 += 1;
            json!(self.0)
        }
        fn chosen(&mut self, _id: &Value) {}
    }

    #[test]
    fn ops_become_messages_with_ids_assigned() {
        let mut ids = Counter::default();
        assert_eq!(
            message(
                &json!({"type": "request", "method": "sum", "params": [1, 2]}),
                &mut ids
            )
            .unwrap(),
            json!({"jsonrpc": "2.0", "method": "sum", "params": [1, 2], "id": 1})
        );
        assert_eq!(
            message(&json!({"type": "notification", "method": "log"}), &mut ids).unwrap(),
            json!({"jsonrpc": "2.0", "method": "log"})
        );
        let batch = message(
            &json!({"type": "batch", "items": [
                {"type": "request", "method": "a"},
                {"type": "request", "method": "b", "id": "x"},
                {"type": "response", "id": 9, "result": "ok"}
            ]}),
            &mut ids,
        )
        .unwrap();
        assert_eq!(batch[0]["id"], 2);
        assert_eq!(batch[1]["id"], "x");
        assert_eq!(batch[2], json!({"jsonrpc": "2.0", "result": "ok", "id": 9}));
    }

    #[test]
    fn malformed_ops_say_what_is_wrong() {
        let mut ids = Counter::default();
        for (op, says) in [
            (json!("x"), "JSON object"),
            (json!({"method": "a"}), "needs a `type`"),
            (json!({"type": "request"}), "`method`"),
            (
                json!({"type": "request", "method": "a", "params": 3}),
                "`params`",
            ),
            (
                json!({"type": "notification", "method": "a", "id": 1}),
                "no `id`",
            ),
            (json!({"type": "response", "result": 1}), "`id`"),
            (json!({"type": "response", "id": 1}), "either"),
            (
                json!({"type": "response", "id": 1, "error": {"code": 1}}),
                "message",
            ),
            (json!({"type": "batch", "items": []}), "non-empty"),
            (
                json!({"type": "batch", "items": [{"type": "x"}]}),
                "batch item 0",
            ),
            (json!({"type": "call"}), "unknown JSON-RPC op type"),
        ] {
            let error = message(&op, &mut ids).unwrap_err().to_string();
            assert!(error.contains(says), "{op}: {error}");
        }
    }
}
