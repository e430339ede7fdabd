//! The `json` step: UTF-8 JSON text as a value, bounded like the other decoders.

use serde_json::Value;

use super::Limits;
use super::error::DecodeError;
use super::value::depth_of;

const FORMAT: &str = "json";

/// The bytes one object entry costs in a `serde_json::Map` besides its value (the key's
/// `String`, the index map's hash and slot), roughly.
const ENTRY_COST: usize = 48;

/// Parses `payload` as one JSON value, no deeper than `limits.max_depth`; a text whose
/// values would take more than `limits.max_output` bytes in memory is refused before it is
/// built (`[0,0,0,…]` costs 16 times its text as values).
pub(crate) fn decode_json(payload: &[u8], limits: Limits) -> Result<Value, DecodeError> {
    let invalid = |why: String| DecodeError::Invalid {
        format: FORMAT,
        why,
    };
    let text = std::str::from_utf8(payload).map_err(|err| invalid(err.to_string()))?;
    if value_cost(payload) > limits.max_output {
        return Err(DecodeError::TooLarge {
            format: FORMAT,
            limit: limits.max_output,
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|err| {
        if err.to_string().starts_with("recursion limit exceeded") {
            DecodeError::TooDeep {
                format: FORMAT,
                limit: limits.max_depth,
            }
        } else {
            invalid(err.to_string())
        }
    })?;
    if depth_of(&value) > limits.max_depth + 1 {
        return Err(DecodeError::TooDeep {
            format: FORMAT,
            limit: limits.max_depth,
        });
    }
    Ok(value)
}

/// About the bytes the text's values take as `serde_json::Value`s (the strings' own bytes
/// aside, which are at most the text): a value per comma or opening bracket outside strings,
/// plus an entry per colon.
fn value_cost(text: &[u8]) -> usize {
    let (mut values, mut entries) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in text {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => values += 1,
            b':' => entries += 1,
            _ => {}
        }
    }
    values
        .saturating_mul(size_of::<Value>())
        .saturating_add(entries.saturating_mul(ENTRY_COST))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_text_decodes_within_its_bounds() {
        let limits = Limits::new(1 << 20);
        assert_eq!(
            decode_json(br#"{"a": "x,[{:", "b": [1, 2]}"#, limits).unwrap(),
            json!({"a": "x,[{:", "b": [1, 2]})
        );
        let many = format!("[{}0]", "0,".repeat(100_000));
        let err = decode_json(many.as_bytes(), limits).unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { .. }), "{err}");
        assert!(decode_json(many.as_bytes(), Limits::new(16 << 20)).is_ok());
        let err = decode_json(b"{\"a\":", limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not json: EOF while parsing a value at line 1 column 5"
        );
    }
}
