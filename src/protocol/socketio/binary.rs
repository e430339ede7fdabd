//! Binary arguments. On the wire, Socket.IO replaces each binary value of a packet by a
//! placeholder `{"_placeholder":true,"num":N}` and sends the bytes as the N-th binary
//! message after it. In Sockscope's JSON (operations and decoded units alike) a binary
//! value is written `{"$binary":"<base64>"}`.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::format::base64::{parse_base64, to_base64};

/// The key of Sockscope's JSON form of a binary value.
pub const BINARY_KEY: &str = "$binary";

/// `value` with every `{"$binary":"<base64>"}` replaced by a placeholder, and the bytes of
/// each, in placeholder order.
pub fn to_placeholders(value: &Value) -> Result<(Value, Vec<Bytes>), String> {
    let mut attachments = Vec::new();
    let replaced = replace(value, &mut attachments)?;
    Ok((replaced, attachments))
}

fn replace(value: &Value, attachments: &mut Vec<Bytes>) -> Result<Value, String> {
    match value {
        Value::Object(map) => {
            if let Some(encoded) = binary_form(map) {
                let Value::String(encoded) = encoded else {
                    return Err(format!("`{BINARY_KEY}` takes base64 text"));
                };
                let bytes = parse_base64(encoded).map_err(|e| format!("`{BINARY_KEY}`: {e}"))?;
                let num = attachments.len();
                attachments.push(Bytes::from(bytes));
                return Ok(json!({"_placeholder": true, "num": num}));
            }
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                out.insert(key.clone(), replace(item, attachments)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| replace(item, attachments))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// The value of a one-key `{"$binary": …}` object.
fn binary_form(map: &Map<String, Value>) -> Option<&Value> {
    if map.len() == 1 {
        map.get(BINARY_KEY)
    } else {
        None
    }
}

/// `value` with every placeholder replaced by `{"$binary":"<base64>"}` of its attachment.
/// A placeholder whose number has no attachment is an error.
pub fn resolve(value: &Value, attachments: &[Bytes]) -> Result<Value, String> {
    match value {
        Value::Object(map) => {
            if map.get("_placeholder") == Some(&Value::Bool(true)) {
                let num = map
                    .get("num")
                    .and_then(Value::as_u64)
                    .ok_or("a placeholder without a number")?;
                let bytes = usize::try_from(num)
                    .ok()
                    .and_then(|num| attachments.get(num))
                    .ok_or_else(|| {
                        format!(
                            "placeholder {num} has no attachment ({} arrived)",
                            attachments.len()
                        )
                    })?;
                return Ok(json!({ BINARY_KEY: to_base64(bytes) }));
            }
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                out.insert(key.clone(), resolve(item, attachments)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| resolve(item, attachments))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_values_become_numbered_placeholders_and_back() {
        let args =
            json!(["file", {"name": "a", "data": {"$binary": "AAEC/w=="}}, [{"$binary": ""}]]);
        let (wire, attachments) = to_placeholders(&args).unwrap();
        assert_eq!(
            wire,
            json!(["file", {"name": "a", "data": {"_placeholder": true, "num": 0}},
                   [{"_placeholder": true, "num": 1}]])
        );
        assert_eq!(
            attachments,
            vec![Bytes::from_static(&[0, 1, 2, 255]), Bytes::new()]
        );
        assert_eq!(resolve(&wire, &attachments).unwrap(), args);
    }

    #[test]
    fn bad_binary_values_and_missing_attachments_say_so() {
        assert!(
            to_placeholders(&json!([{"$binary": 5}]))
                .unwrap_err()
                .contains("base64")
        );
        assert!(to_placeholders(&json!([{"$binary": "@@"}])).is_err());
        // Another key beside `$binary`: plain data.
        let plain = json!([{"$binary": "AA==", "x": 1}]);
        assert_eq!(to_placeholders(&plain).unwrap(), (plain, vec![]));
        let wire = json!([{"_placeholder": true, "num": 2}]);
        assert!(
            resolve(&wire, &[Bytes::new()])
                .unwrap_err()
                .contains("placeholder 2")
        );
    }
}
