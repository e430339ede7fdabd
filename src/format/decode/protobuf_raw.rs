//! Protobuf without a schema, like `protoc --decode_raw`: field numbers and wire types.
//!
//! The value is an object keyed by field number (`"1"`, `"2"`, …, in order of first
//! appearance); a field seen more than once holds an array of its values (a single value is
//! never an array, so an array always means repetition). Each value, by wire type:
//! - varint: the unsigned number (`-1` as an `int32` shows as 18446744073709551615);
//! - 64-bit: `{"$fixed64": n, "double": x}`; 32-bit: `{"$fixed32": n, "float": x}`;
//! - length-delimited: `""` when empty; a string when it is UTF-8 text without control
//!   characters (other than tab, CR, LF); else `{"$message_guess": {…}}` when the bytes parse
//!   as a message with at least one field (a guess: packed numbers and bytes can look like
//!   one); else `{"$bytes": hex}`.
//!
//! Groups (wire types 3 and 4, deprecated) are not read: a payload with one is an error.

use serde_json::{Map, Value};

use super::Limits;
use super::error::DecodeError;
use super::value::{Budget, float_value, one_key};

const FORMAT: &str = "protobuf-raw";

/// Reads the whole payload as Protobuf fields.
pub fn decode_protobuf_raw(payload: &[u8], limits: Limits) -> Result<Value, DecodeError> {
    let mut budget = Budget::new(FORMAT, limits);
    message(payload, 1, &mut budget).map(Value::Object)
}

/// One message's fields, `depth` levels deep.
fn message(
    mut bytes: &[u8],
    depth: usize,
    budget: &mut Budget,
) -> Result<Map<String, Value>, DecodeError> {
    budget.enter(depth)?;
    budget.charge(2)?;
    let mut out = Map::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes).ok_or_else(|| budget.invalid("a field key is cut short"))?;
        let number = key >> 3;
        if number == 0 || number >= 1 << 29 {
            return Err(budget.invalid(format!("field number {number} is out of range")));
        }
        let value = match key & 7 {
            0 => {
                budget.charge(20)?;
                Value::from(
                    varint(&mut bytes).ok_or_else(|| budget.invalid("a varint is cut short"))?,
                )
            }
            1 => {
                let raw = take(&mut bytes, 8)
                    .ok_or_else(|| budget.invalid("a 64-bit field is cut short"))?;
                let n = u64::from_le_bytes(raw.try_into().unwrap_or_default());
                budget.charge(60)?;
                let mut fixed = Map::new();
                fixed.insert("$fixed64".into(), Value::from(n));
                fixed.insert("double".into(), float_value(f64::from_bits(n)));
                Value::Object(fixed)
            }
            5 => {
                let raw = take(&mut bytes, 4)
                    .ok_or_else(|| budget.invalid("a 32-bit field is cut short"))?;
                let n = u32::from_le_bytes(raw.try_into().unwrap_or_default());
                budget.charge(50)?;
                let mut fixed = Map::new();
                fixed.insert("$fixed32".into(), Value::from(n));
                fixed.insert("float".into(), float_value(f64::from(f32::from_bits(n))));
                Value::Object(fixed)
            }
            2 => {
                let len =
                    varint(&mut bytes).ok_or_else(|| budget.invalid("a length is cut short"))?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let inner = take(&mut bytes, len).ok_or_else(|| {
                    budget.invalid(format!(
                        "field {number} claims {len} bytes, more than are left"
                    ))
                })?;
                delimited(inner, depth, budget)?
            }
            wire => {
                return Err(budget.invalid(format!(
                    "field {number} has wire type {wire}, which is not read"
                )));
            }
        };
        let key = number.to_string();
        match out.get_mut(&key) {
            Some(Value::Array(items)) => items.push(value),
            Some(first) => {
                let first = first.take();
                out.insert(key, Value::Array(vec![first, value]));
            }
            None => {
                budget.charge(key.len() + 4)?;
                out.insert(key, value);
            }
        }
        budget.charge(1)?;
    }
    Ok(out)
}

/// A length-delimited field: text, a guessed message, or bytes.
fn delimited(inner: &[u8], depth: usize, budget: &mut Budget) -> Result<Value, DecodeError> {
    if let Ok(text) = std::str::from_utf8(inner)
        && !text
            .chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\t' | '\n' | '\r'))
    {
        return budget.string(text.to_owned());
    }
    let mut trial = budget.clone();
    if let Ok(fields) = message(inner, depth + 1, &mut trial)
        && !fields.is_empty()
    {
        *budget = trial;
        budget.charge(20)?;
        return Ok(one_key("$message_guess", Value::Object(fields)));
    }
    budget.bytes(inner)
}

/// Reads a base-128 varint (at most ten bytes).
pub(crate) fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

/// Takes `len` bytes off the front.
pub(crate) fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    if bytes.len() < len {
        return None;
    }
    let (head, tail) = bytes.split_at(len);
    *bytes = tail;
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMITS: Limits = super::super::TEST_LIMITS;

    #[test]
    fn fields_by_number_with_guesses_marked() {
        // 1: 150, 2: "testing", 3: {1: 1, 1: 2}, 4: fixed32 1.0, 5: bytes ff 00
        let payload = [
            0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g', 0x1a, 0x04,
            0x08, 0x01, 0x08, 0x02, 0x25, 0x00, 0x00, 0x80, 0x3f, 0x2a, 0x02, 0xff, 0x00,
        ];
        assert_eq!(
            decode_protobuf_raw(&payload, LIMITS).unwrap(),
            json!({
                "1": 150,
                "2": "testing",
                "3": {"$message_guess": {"1": [1, 2]}},
                "4": {"$fixed32": 1065353216, "float": 1.0},
                "5": {"$bytes": "ff00"},
            })
        );
    }

    #[test]
    fn bad_payloads_say_why() {
        let err = decode_protobuf_raw(&[0x12, 0x05, b'a'], LIMITS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not protobuf-raw: field 2 claims 5 bytes, more than are left"
        );
        let err = decode_protobuf_raw(&[0x00], LIMITS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not protobuf-raw: field number 0 is out of range"
        );
    }

    #[test]
    fn deep_guesses_stop_at_the_depth_limit() {
        // 1: {1: {1: … }} 200 levels deep: the guess stops and the rest shows as bytes.
        let mut payload = vec![0x08, 0x01];
        for _ in 0..200 {
            let mut outer = vec![0x0a];
            let mut len = payload.len();
            while len >= 0x80 {
                outer.push((len as u8) | 0x80);
                len >>= 7;
            }
            outer.push(len as u8);
            outer.extend_from_slice(&payload);
            payload = outer;
        }
        let value = decode_protobuf_raw(
            &payload,
            Limits {
                max_output: 1 << 24,
                max_depth: 127,
            },
        )
        .unwrap();
        assert_eq!(super::super::value::depth_of(&value), 2 * 127 + 1);
    }
}
