//! MessagePack as JSON (through `rmpv`), and back.

use rmpv::Value as Mp;
use serde_json::{Map, Value};

use super::Limits;
use super::error::{DecodeError, EncodeError};
use super::value::{Budget, Special, check_encode_depth, float_value, key_text, special};

const FORMAT: &str = "msgpack";

/// Decodes one MessagePack value that fills the whole payload.
pub fn decode_msgpack(payload: &[u8], limits: Limits) -> Result<Value, DecodeError> {
    let mut budget = Budget::new(FORMAT, limits);
    prescan(payload, limits)?;
    let mut rest = payload;
    // rmpv counts a level for each container and each string, so it gets twice the room;
    // the conversion below counts levels exactly.
    let depth = limits.max_depth.saturating_mul(2).saturating_add(4);
    let value =
        rmpv::decode::read_value_with_max_depth(&mut rest, depth).map_err(|err| match err {
            rmpv::decode::Error::DepthLimitExceeded => DecodeError::TooDeep {
                format: FORMAT,
                limit: limits.max_depth,
            },
            other => budget.invalid(other),
        })?;
    if !rest.is_empty() {
        return Err(budget.invalid(format!("{} bytes follow the value", rest.len())));
    }
    to_json(value, 0, &mut budget)
}

/// Counts the items of the payload's first value without building anything, and refuses
/// it when `rmpv`'s values for them would take more than `limits.max_output` bytes (a
/// 64 MiB array of one-byte `nil`s would otherwise cost 2 GiB before any other check), or
/// when it nests past the depth limit.
fn prescan(payload: &[u8], limits: Limits) -> Result<(), DecodeError> {
    let item = size_of::<Mp>();
    let too_large = DecodeError::TooLarge {
        format: FORMAT,
        limit: limits.max_output,
    };
    let max_open = limits.max_depth.saturating_add(2);
    // Items left in each open array or map.
    let mut open: Vec<u64> = vec![1];
    let (mut pos, mut items) = (0usize, 0usize);
    // A big-endian length of `n` bytes at `pos`; past the end counts as zero (rmpv then
    // reports the truncation).
    let len = |pos: usize, n: usize| -> u64 {
        payload.get(pos..pos + n).map_or(0, |bytes| {
            bytes.iter().fold(0, |acc, b| acc << 8 | u64::from(*b))
        })
    };
    while let Some(left) = open.last_mut() {
        if *left == 0 {
            open.pop();
            continue;
        }
        let Some(&marker) = payload.get(pos) else {
            return Ok(());
        };
        if marker == 0xc1 {
            // rmpv reads the one byte MessagePack never uses as nil.
            return Err(DecodeError::Invalid {
                format: FORMAT,
                why: format!("byte 0xc1 at offset {pos} is never used in MessagePack"),
            });
        }
        pos += 1;
        *left -= 1;
        items += 1;
        if items.saturating_mul(item) > limits.max_output {
            return Err(too_large);
        }
        // (bytes to skip, items to add)
        let (skip, more): (u64, u64) = match marker {
            0x80..=0x8f => (0, 2 * u64::from(marker & 0x0f)),
            0x90..=0x9f => (0, u64::from(marker & 0x0f)),
            0xa0..=0xbf => (u64::from(marker & 0x1f), 0),
            0xc4 | 0xd9 => (1 + len(pos, 1), 0),
            0xc5 | 0xda => (2 + len(pos, 2), 0),
            0xc6 | 0xdb => (4 + len(pos, 4), 0),
            0xc7 => (2 + len(pos, 1), 0),
            0xc8 => (3 + len(pos, 2), 0),
            0xc9 => (5 + len(pos, 4), 0),
            0xcc | 0xd0 => (1, 0),
            0xcd | 0xd1 => (2, 0),
            0xca | 0xce | 0xd2 => (4, 0),
            0xcb | 0xcf | 0xd3 => (8, 0),
            0xd4..=0xd8 => (1 + (1 << (marker - 0xd4)), 0),
            0xdc => (2, len(pos, 2)),
            0xdd => (4, len(pos, 4)),
            0xde => (2, 2 * len(pos, 2)),
            0xdf => (4, 2 * len(pos, 4)),
            _ => (0, 0),
        };
        pos = pos.saturating_add(usize::try_from(skip).unwrap_or(usize::MAX));
        if matches!(marker, 0x80..=0x9f | 0xdc..=0xdf) {
            open.push(more);
            if open.len() > max_open {
                return Err(DecodeError::TooDeep {
                    format: FORMAT,
                    limit: limits.max_depth,
                });
            }
        }
    }
    Ok(())
}

/// One MessagePack value as JSON, `depth` containers deep.
fn to_json(value: Mp, depth: usize, budget: &mut Budget) -> Result<Value, DecodeError> {
    Ok(match value {
        Mp::Nil => {
            budget.charge(4)?;
            Value::Null
        }
        Mp::Boolean(flag) => {
            budget.charge(5)?;
            Value::Bool(flag)
        }
        Mp::Integer(int) => {
            budget.charge(20)?;
            match (int.as_u64(), int.as_i64()) {
                (Some(unsigned), _) => Value::from(unsigned),
                (None, Some(signed)) => Value::from(signed),
                // rmpv's integers are u64 or i64, so one of the two holds.
                (None, None) => Value::Null,
            }
        }
        Mp::F32(float) => {
            budget.charge(24)?;
            float_value(f64::from(float))
        }
        Mp::F64(float) => {
            budget.charge(24)?;
            float_value(float)
        }
        Mp::String(text) if text.is_str() => budget.string(text.into_str().unwrap_or_default())?,
        // Not UTF-8: the bytes, as they are.
        Mp::String(text) => budget.bytes(text.as_bytes())?,
        Mp::Binary(bytes) => budget.bytes(&bytes)?,
        Mp::Array(items) => {
            budget.enter(depth + 1)?;
            budget.charge(2)?;
            let mut out = Vec::new();
            for item in items {
                budget.charge(1)?;
                out.push(to_json(item, depth + 1, budget)?);
            }
            Value::Array(out)
        }
        Mp::Map(entries) => {
            budget.enter(depth + 1)?;
            budget.charge(2)?;
            let mut out = Map::new();
            for (key, item) in entries {
                let key = key_text(&to_json(key, depth + 1, budget)?);
                let item = to_json(item, depth + 1, budget)?;
                budget.insert(&mut out, key, item)?;
            }
            Value::Object(out)
        }
        Mp::Ext(ty, bytes) => {
            budget.charge(12)?;
            let Value::Object(mut out) = budget.bytes(&bytes)? else {
                return Err(budget.invalid("extension"));
            };
            out.insert("$ext".into(), Value::from(ty));
            Value::Object(out)
        }
    })
}

/// Encodes a JSON value as MessagePack: integers as the smallest integer, other numbers
/// as 64-bit floats, `$bytes` as bin, `$ext` as ext, `$float` as a float.
pub fn encode_msgpack(value: &Value, limits: Limits) -> Result<Vec<u8>, EncodeError> {
    check_encode_depth(FORMAT, value, limits.max_depth)?;
    let value = from_json(value)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &value).map_err(|err| EncodeError::Invalid {
        format: FORMAT,
        why: err.to_string(),
    })?;
    Ok(out)
}

/// A JSON value as an `rmpv` value.
fn from_json(value: &Value) -> Result<Mp, EncodeError> {
    Ok(match value {
        Value::Null => Mp::Nil,
        Value::Bool(flag) => Mp::Boolean(*flag),
        Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(unsigned), _) => Mp::from(unsigned),
            (None, Some(signed)) => Mp::from(signed),
            _ => Mp::F64(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => Mp::from(text.as_str()),
        Value::Array(items) => Mp::Array(items.iter().map(from_json).collect::<Result<_, _>>()?),
        Value::Object(map) => match special(FORMAT, map)? {
            Some(Special::Bytes(bytes)) => Mp::Binary(bytes),
            Some(Special::Float(float)) => Mp::F64(float),
            Some(Special::Ext(ty, bytes)) => Mp::Ext(ty, bytes),
            Some(Special::Int(int)) => match (u64::try_from(int), i64::try_from(int)) {
                (Ok(unsigned), _) => Mp::from(unsigned),
                (_, Ok(signed)) => Mp::from(signed),
                _ => {
                    return Err(EncodeError::Invalid {
                        format: FORMAT,
                        why: format!("{int} does not fit in 64 bits"),
                    });
                }
            },
            Some(Special::Tag(..)) => {
                return Err(EncodeError::Invalid {
                    format: FORMAT,
                    why: "MessagePack has no tags ($tag)".into(),
                });
            }
            None => Mp::Map(
                map.iter()
                    .map(|(key, item)| Ok((Mp::from(key.as_str()), from_json(item)?)))
                    .collect::<Result<_, EncodeError>>()?,
            ),
        },
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_never_used_byte_is_an_error_not_nil() {
        for payload in [&[0xc1][..], &[0x91, 0xc1], &[0x81, 0xa1, b'a', 0xc1]] {
            let error = decode_msgpack(payload, LIMITS).unwrap_err();
            assert!(error.to_string().contains("0xc1"), "{error}");
        }
    }

    use super::*;
    use serde_json::json;

    const LIMITS: Limits = super::super::TEST_LIMITS;

    #[test]
    fn a_map_decodes_with_bytes_and_ext() {
        // {"a": 1, "b": bin(01 02), "c": ext(5, ff)}
        let payload = [
            0x83, 0xa1, b'a', 0x01, 0xa1, b'b', 0xc4, 0x02, 0x01, 0x02, 0xa1, b'c', 0xd4, 0x05,
            0xff,
        ];
        let value = decode_msgpack(&payload, LIMITS).unwrap();
        assert_eq!(
            value,
            json!({"a": 1, "b": {"$bytes": "0102"}, "c": {"$bytes": "ff", "$ext": 5}})
        );
        assert_eq!(encode_msgpack(&value, LIMITS).unwrap(), payload);
    }

    #[test]
    fn trailing_bytes_and_repeated_keys_are_errors() {
        let err = decode_msgpack(&[0x01, 0x02], LIMITS).unwrap_err();
        assert_eq!(err.to_string(), "not msgpack: 1 bytes follow the value");
        let err = decode_msgpack(&[0x82, 0x01, 0x02, 0xa1, b'1', 0x03], LIMITS).unwrap_err();
        assert_eq!(err.to_string(), "msgpack: the key \"1\" appears twice");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let payload = vec![0x91; 100_000];
        let err = decode_msgpack(&payload, LIMITS).unwrap_err();
        assert!(
            matches!(err, DecodeError::TooDeep { limit: 127, .. }),
            "{err}"
        );
        let mut nested = vec![0x91; 126];
        nested.push(0x90);
        assert!(
            decode_msgpack(&nested, LIMITS).is_ok(),
            "127 levels are fine"
        );
    }

    #[test]
    fn a_huge_claimed_length_is_an_error_not_an_allocation() {
        // bin32 of 4 GiB with 3 bytes behind it.
        let payload = [0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(decode_msgpack(&payload, LIMITS).is_err());
        // array32 of 4 G elements.
        assert!(decode_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff], LIMITS).is_err());
    }

    #[test]
    fn many_small_items_are_refused_before_they_are_built() {
        // array32 of 1 Mi nils: 1 MiB on the wire, 32 MiB as rmpv values.
        let mut payload = vec![0xdd, 0x00, 0x10, 0x00, 0x00];
        payload.resize(5 + (1 << 20), 0xc0);
        let err = decode_msgpack(&payload, Limits::new(4 << 20)).unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { .. }), "{err}");
        assert!(decode_msgpack(&payload, Limits::new(64 << 20)).is_ok());
    }

    #[test]
    fn output_past_the_limit_is_refused() {
        let value = json!({"big": {"$bytes": "00".repeat(1000)}});
        let payload = encode_msgpack(&value, LIMITS).unwrap();
        let small = Limits {
            max_output: 1500,
            max_depth: 127,
        };
        let err = decode_msgpack(&payload, small).unwrap_err();
        assert!(
            matches!(err, DecodeError::TooLarge { limit: 1500, .. }),
            "{err}"
        );
    }
}
