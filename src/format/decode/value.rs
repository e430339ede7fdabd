//! The JSON shape shared by the decoders: `$bytes` and the other `$` objects, map keys, and
//! the budget that bounds a value's size and depth while it is built.

use serde_json::{Map, Value};

use super::Limits;
use super::error::{DecodeError, EncodeError};
use crate::format::hex::{parse_hex, to_hex};

/// `{"$bytes": "<hex>"}`: bytes inside a decoded value.
pub fn bytes_value(bytes: &[u8]) -> Value {
    let mut map = Map::new();
    map.insert("$bytes".into(), Value::String(to_hex(bytes)));
    Value::Object(map)
}

/// A float as a JSON number, or `{"$float": "NaN" | "inf" | "-inf"}` when it is not finite.
pub(crate) fn float_value(float: f64) -> Value {
    match serde_json::Number::from_f64(float) {
        Some(number) => Value::Number(number),
        None => {
            let name = if float.is_nan() {
                "NaN"
            } else if float > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            one_key("$float", Value::String(name.into()))
        }
    }
}

/// `{key: value}`.
pub(crate) fn one_key(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.into(), value);
    Value::Object(map)
}

/// A map key as JSON text: a string as it is, anything else as its compact JSON.
pub(crate) fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Counts a value's size and depth as it is built, and refuses past the [`Limits`].
#[derive(Clone)]
pub(crate) struct Budget {
    format: &'static str,
    limits: Limits,
    spent: usize,
}

impl Budget {
    /// A fresh budget for `format`.
    pub(crate) fn new(format: &'static str, limits: Limits) -> Self {
        Budget {
            format,
            limits,
            spent: 0,
        }
    }

    /// Spends `bytes` of output (roughly the compact JSON text of what was built).
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), DecodeError> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > self.limits.max_output {
            return Err(DecodeError::TooLarge {
                format: self.format,
                limit: self.limits.max_output,
            });
        }
        Ok(())
    }

    /// Refuses a container at `depth` (1 for the outermost) past the depth limit.
    pub(crate) fn enter(&self, depth: usize) -> Result<(), DecodeError> {
        if depth > self.limits.max_depth {
            return Err(DecodeError::TooDeep {
                format: self.format,
                limit: self.limits.max_depth,
            });
        }
        Ok(())
    }

    /// Adds `key: value` to `map`, refusing a key it already has.
    pub(crate) fn insert(
        &mut self,
        map: &mut Map<String, Value>,
        key: String,
        value: Value,
    ) -> Result<(), DecodeError> {
        self.charge(key.len() + 4)?;
        if map.contains_key(&key) {
            return Err(DecodeError::Shape {
                format: self.format,
                why: format!("the key {key:?} appears twice"),
            });
        }
        map.insert(key, value);
        Ok(())
    }

    /// An error that the payload is not valid for this format.
    pub(crate) fn invalid(&self, why: impl ToString) -> DecodeError {
        DecodeError::Invalid {
            format: self.format,
            why: why.to_string(),
        }
    }

    /// `{"$bytes": hex}`, charged.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<Value, DecodeError> {
        self.charge(bytes.len().saturating_mul(2).saturating_add(14))?;
        Ok(bytes_value(bytes))
    }

    /// A string, charged.
    pub(crate) fn string(&mut self, text: String) -> Result<Value, DecodeError> {
        self.charge(text.len() + 2)?;
        Ok(Value::String(text))
    }
}

/// A `$` object of the JSON shape, read back for an encoder.
pub(crate) enum Special<'a> {
    /// `{"$bytes": hex}`.
    Bytes(Vec<u8>),
    /// `{"$float": "NaN" | "inf" | "-inf"}`.
    Float(f64),
    /// `{"$int": "<decimal>"}`.
    Int(i128),
    /// `{"$tag": n, "$value": v}`.
    Tag(u64, &'a Value),
    /// `{"$ext": type, "$bytes": hex}`.
    Ext(i8, Vec<u8>),
}

/// Reads `object` as one of the `$` objects; `None` when it is an ordinary object.
pub(crate) fn special<'a>(
    format: &'static str,
    object: &'a Map<String, Value>,
) -> Result<Option<Special<'a>>, EncodeError> {
    let bad = |why: String| EncodeError::Invalid { format, why };
    let hex = |value: &Value| match value {
        Value::String(text) => parse_hex(text).map_err(|err| bad(format!("$bytes: {err}"))),
        other => Err(bad(format!("$bytes must be a hex string, not {other}"))),
    };
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    Ok(Some(match keys.as_slice() {
        ["$bytes"] => Special::Bytes(hex(&object["$bytes"])?),
        ["$float"] => Special::Float(match object["$float"].as_str() {
            Some("NaN") => f64::NAN,
            Some("inf") => f64::INFINITY,
            Some("-inf") => f64::NEG_INFINITY,
            _ => return Err(bad("$float must be \"NaN\", \"inf\" or \"-inf\"".into())),
        }),
        ["$int"] => Special::Int(
            object["$int"]
                .as_str()
                .and_then(|text| text.parse().ok())
                .ok_or_else(|| bad("$int must be a decimal integer in a string".into()))?,
        ),
        ["$tag", "$value"] | ["$value", "$tag"] => Special::Tag(
            object["$tag"]
                .as_u64()
                .ok_or_else(|| bad("$tag must be an unsigned integer".into()))?,
            &object["$value"],
        ),
        ["$ext", "$bytes"] | ["$bytes", "$ext"] => Special::Ext(
            object["$ext"]
                .as_i64()
                .and_then(|ty| i8::try_from(ty).ok())
                .ok_or_else(|| bad("$ext must be an integer from -128 to 127".into()))?,
            hex(&object["$bytes"])?,
        ),
        _ => return Ok(None),
    }))
}

/// The depth of a JSON value (1 for a scalar), counted without recursion.
pub(crate) fn depth_of(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((value, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|item| (item, depth + 1))),
            _ => {}
        }
    }
    deepest
}

/// Refuses to encode a value nested deeper than `max_depth` (the encoders recurse).
pub(crate) fn check_encode_depth(
    format: &'static str,
    value: &Value,
    max_depth: usize,
) -> Result<(), EncodeError> {
    let depth = depth_of(value);
    if depth > max_depth + 1 {
        return Err(EncodeError::Invalid {
            format,
            why: format!("nested {depth} levels deep, more than {max_depth}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bytes_and_floats_have_their_dollar_objects() {
        assert_eq!(bytes_value(&[0, 0xff]), json!({"$bytes": "00ff"}));
        assert_eq!(float_value(f64::NAN), json!({"$float": "NaN"}));
        assert_eq!(float_value(f64::NEG_INFINITY), json!({"$float": "-inf"}));
        assert_eq!(float_value(1.5), json!(1.5));
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(depth_of(&json!(1)), 1);
        assert_eq!(depth_of(&json!([[1], {"a": [2]}])), 4);
    }
}
