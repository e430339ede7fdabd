//! CBOR (RFC 8949) as JSON (through `ciborium`), and back.

use ciborium::value::{Integer, Value as Cbor};
use serde_json::{Map, Value};

use super::Limits;
use super::error::{DecodeError, EncodeError};
use super::value::{Budget, Special, check_encode_depth, float_value, key_text, special};

const FORMAT: &str = "cbor";

/// Decodes one CBOR data item that fills the whole payload. Tags are kept as
/// `{"$tag": n, "$value": v}`, integers outside 64 bits as `{"$int": "…"}`.
pub fn decode_cbor(payload: &[u8], limits: Limits) -> Result<Value, DecodeError> {
    let mut budget = Budget::new(FORMAT, limits);
    prescan(payload, limits)?;
    let mut rest = payload;
    // ciborium counts arrays, maps and tags; the conversion counts levels exactly.
    let depth = limits.max_depth.saturating_mul(2).saturating_add(4);
    let value: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut rest, depth).map_err(
        |err| match err {
            ciborium::de::Error::RecursionLimitExceeded => DecodeError::TooDeep {
                format: FORMAT,
                limit: limits.max_depth,
            },
            other => budget.invalid(other),
        },
    )?;
    if !rest.is_empty() {
        return Err(budget.invalid(format!("{} bytes follow the value", rest.len())));
    }
    to_json(value, 0, &mut budget)
}

/// Counts the data items of the payload's first item without building anything, and
/// refuses it when `ciborium`'s values for them would take more than `limits.max_output`
/// bytes (a 64 MiB array of one-byte items would otherwise cost gigabytes), or when it nests
/// past the depth limit. Malformed input is left for ciborium to describe.
fn prescan(payload: &[u8], limits: Limits) -> Result<(), DecodeError> {
    let item = size_of::<Cbor>();
    let max_open = limits.max_depth.saturating_mul(2).saturating_add(4);
    // Items left in each open container; `None` for an indefinite one (ends at 0xff).
    let mut open: Vec<Option<u64>> = vec![Some(1)];
    let (mut pos, mut items) = (0usize, 0usize);
    while let Some(top) = open.last_mut() {
        if *top == Some(0) {
            open.pop();
            continue;
        }
        let Some(&first) = payload.get(pos) else {
            return Ok(());
        };
        pos += 1;
        if first == 0xff {
            if top.is_none() {
                open.pop();
                continue;
            }
            return Ok(());
        }
        if let Some(left) = top {
            *left -= 1;
        }
        items += 1;
        if items.saturating_mul(item) > limits.max_output {
            return Err(DecodeError::TooLarge {
                format: FORMAT,
                limit: limits.max_output,
            });
        }
        let (major, info) = (first >> 5, first & 0x1f);
        let width = match info {
            0..=23 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => {
                if matches!(major, 2..=5) {
                    open.push(None);
                }
                continue;
            }
            _ => return Ok(()),
        };
        let arg = match width {
            0 => u64::from(info),
            n => payload.get(pos..pos + n).map_or(0, |bytes| {
                bytes.iter().fold(0, |acc, b| acc << 8 | u64::from(*b))
            }),
        };
        pos += width;
        match major {
            2 | 3 => pos = pos.saturating_add(usize::try_from(arg).unwrap_or(usize::MAX)),
            4 => open.push(Some(arg)),
            5 => open.push(Some(arg.saturating_mul(2))),
            6 => open.push(Some(1)),
            _ => {}
        }
        if open.len() > max_open {
            return Err(DecodeError::TooDeep {
                format: FORMAT,
                limit: limits.max_depth,
            });
        }
    }
    Ok(())
}

/// One CBOR item as JSON, `depth` containers deep.
fn to_json(value: Cbor, depth: usize, budget: &mut Budget) -> Result<Value, DecodeError> {
    Ok(match value {
        Cbor::Null => {
            budget.charge(4)?;
            Value::Null
        }
        Cbor::Bool(flag) => {
            budget.charge(5)?;
            Value::Bool(flag)
        }
        Cbor::Integer(int) => {
            budget.charge(24)?;
            let int = i128::from(int);
            match (u64::try_from(int), i64::try_from(int)) {
                (Ok(unsigned), _) => Value::from(unsigned),
                (_, Ok(signed)) => Value::from(signed),
                _ => {
                    let mut out = Map::new();
                    out.insert("$int".into(), Value::String(int.to_string()));
                    Value::Object(out)
                }
            }
        }
        Cbor::Float(float) => {
            budget.charge(24)?;
            float_value(float)
        }
        Cbor::Text(text) => budget.string(text)?,
        Cbor::Bytes(bytes) => budget.bytes(&bytes)?,
        Cbor::Tag(tag, inner) => {
            budget.enter(depth + 1)?;
            budget.charge(30)?;
            let mut out = Map::new();
            out.insert("$tag".into(), Value::from(tag));
            out.insert("$value".into(), to_json(*inner, depth + 1, budget)?);
            Value::Object(out)
        }
        Cbor::Array(items) => {
            budget.enter(depth + 1)?;
            budget.charge(2)?;
            let mut out = Vec::new();
            for item in items {
                budget.charge(1)?;
                out.push(to_json(item, depth + 1, budget)?);
            }
            Value::Array(out)
        }
        Cbor::Map(entries) => {
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
        // ciborium's Value is non-exhaustive.
        other => return Err(budget.invalid(format!("unsupported item {other:?}"))),
    })
}

/// Encodes a JSON value as CBOR: integers as integers, other numbers as the shortest float
/// that keeps them, `$bytes` as a byte string, `$tag` as a tag, `$int` as a big integer.
pub fn encode_cbor(value: &Value, limits: Limits) -> Result<Vec<u8>, EncodeError> {
    check_encode_depth(FORMAT, value, limits.max_depth)?;
    let value = from_json(value)?;
    let mut out = Vec::new();
    ciborium::ser::into_writer(&value, &mut out).map_err(|err| EncodeError::Invalid {
        format: FORMAT,
        why: err.to_string(),
    })?;
    Ok(out)
}

/// A JSON value as a `ciborium` value.
fn from_json(value: &Value) -> Result<Cbor, EncodeError> {
    Ok(match value {
        Value::Null => Cbor::Null,
        Value::Bool(flag) => Cbor::Bool(*flag),
        Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(unsigned), _) => Cbor::Integer(Integer::from(unsigned)),
            (None, Some(signed)) => Cbor::Integer(Integer::from(signed)),
            _ => Cbor::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => Cbor::Text(text.clone()),
        Value::Array(items) => Cbor::Array(items.iter().map(from_json).collect::<Result<_, _>>()?),
        Value::Object(map) => match special(FORMAT, map)? {
            Some(Special::Bytes(bytes)) => Cbor::Bytes(bytes),
            Some(Special::Float(float)) => Cbor::Float(float),
            Some(Special::Int(int)) => {
                Cbor::Integer(Integer::try_from(int).map_err(|_| EncodeError::Invalid {
                    format: FORMAT,
                    why: format!("{int} is outside CBOR's integers"),
                })?)
            }
            Some(Special::Tag(tag, inner)) => Cbor::Tag(tag, Box::new(from_json(inner)?)),
            Some(Special::Ext(..)) => {
                return Err(EncodeError::Invalid {
                    format: FORMAT,
                    why: "CBOR has no MessagePack extensions ($ext)".into(),
                });
            }
            None => Cbor::Map(
                map.iter()
                    .map(|(key, item)| Ok((Cbor::Text(key.clone()), from_json(item)?)))
                    .collect::<Result<_, EncodeError>>()?,
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMITS: Limits = super::super::TEST_LIMITS;

    #[test]
    fn rfc_8949_examples_decode() {
        // {"a": 1, "b": [2, 3]}
        let payload = [0xa2, 0x61, b'a', 0x01, 0x61, b'b', 0x82, 0x02, 0x03];
        assert_eq!(
            decode_cbor(&payload, LIMITS).unwrap(),
            json!({"a": 1, "b": [2, 3]})
        );
        // 1(1363896240): an epoch date, kept as a tag.
        let payload = [0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0];
        assert_eq!(
            decode_cbor(&payload, LIMITS).unwrap(),
            json!({"$tag": 1, "$value": 1363896240})
        );
        // -18446744073709551616: below i64.
        let payload = [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        let value = decode_cbor(&payload, LIMITS).unwrap();
        assert_eq!(value, json!({"$int": "-18446744073709551616"}));
        assert_eq!(encode_cbor(&value, LIMITS).unwrap(), payload);
        // h'0102' and a half-precision infinity.
        assert_eq!(
            decode_cbor(&[0x82, 0x42, 1, 2, 0xf9, 0x7c, 0x00], LIMITS).unwrap(),
            json!([{"$bytes": "0102"}, {"$float": "inf"}])
        );
    }

    #[test]
    fn deep_nesting_and_huge_claims_are_errors() {
        let err = decode_cbor(&vec![0x81; 100_000], LIMITS).unwrap_err();
        assert!(matches!(err, DecodeError::TooDeep { .. }), "{err}");
        // A byte string claiming 2^63 bytes.
        let payload = [0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1];
        assert!(decode_cbor(&payload, LIMITS).is_err());
        // An array claiming 2^32 items.
        assert!(decode_cbor(&[0x9a, 0xff, 0xff, 0xff, 0xff], LIMITS).is_err());
    }

    #[test]
    fn many_small_items_are_refused_before_they_are_built() {
        // An indefinite array of 1 Mi nulls inside a definite array of one.
        let mut payload = vec![0x81, 0x9f];
        payload.resize(2 + (1 << 20), 0xf6);
        payload.push(0xff);
        let err = decode_cbor(&payload, Limits::new(4 << 20)).unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { .. }), "{err}");
        assert!(decode_cbor(&payload, Limits::new(256 << 20)).is_ok());
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let err = decode_cbor(&[0x01, 0x01], LIMITS).unwrap_err();
        assert_eq!(err.to_string(), "not cbor: 1 bytes follow the value");
    }
}
