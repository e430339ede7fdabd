//! One message's part applied to the state by a rule. The RFCs are the `json-patch`
//! crate's: RFC 7386 merge patch and RFC 6902 JSON Patch (all or nothing: a patch whose
//! operation fails leaves the state as it was).

use json_patch::jsonptr::Pointer;
use serde_json::{Map, Value};

use super::path::JsonPath;
use super::rule::FoldRule;

/// Applies `part` to `state` by `rule`; `delete` is true when the message matched the
/// keyed rule's delete condition. On an error the state is unchanged.
pub(super) fn apply(
    rule: &FoldRule,
    state: &mut Value,
    part: Value,
    delete: bool,
) -> Result<(), String> {
    match rule {
        FoldRule::Replace => {
            *state = part;
            Ok(())
        }
        FoldRule::Merge => {
            json_patch::merge(state, &part);
            Ok(())
        }
        FoldRule::Patch => json_patch_ops(state, part),
        FoldRule::Keyed(key) => keyed(state, key, part, delete),
        FoldRule::PathData => path_data(state, part),
    }
}

/// RFC 6902: an array of operations, or a single operation object.
fn json_patch_ops(state: &mut Value, part: Value) -> Result<(), String> {
    let ops = match part {
        Value::Object(_) => Value::Array(vec![part]),
        Value::Array(_) => part,
        other => {
            return Err(format!(
                "a JSON Patch is an array of operations, not {}",
                kind(&other)
            ));
        }
    };
    let patch: json_patch::Patch =
        serde_json::from_value(ops).map_err(|e| format!("not a JSON Patch: {e}"))?;
    json_patch::patch(state, &patch).map_err(|e| e.to_string())
}

/// The keyed rule: `state[key] = part`, or the key removed when `delete`.
fn keyed(state: &mut Value, key: &JsonPath, part: Value, delete: bool) -> Result<(), String> {
    let Some(found) = key.get(&part) else {
        return Err(format!("no key at {key}"));
    };
    let text = key_text(found);
    if !state.is_object() {
        *state = Value::Object(Map::new());
    }
    let Value::Object(map) = state else {
        return Ok(());
    };
    if delete {
        map.shift_remove(&text);
    } else {
        map.insert(text, part);
    }
    Ok(())
}

/// A keyed message's key as the state's member name: a string as it is, anything else as
/// its JSON text.
pub(super) fn key_text(found: &Value) -> String {
    match found {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `{"path": POINTER, "data": VALUE}`: sets `data` at the pointer.
fn path_data(state: &mut Value, part: Value) -> Result<(), String> {
    let Value::Object(mut event) = part else {
        return Err(format!(
            "a path/data event is an object, not {}",
            kind(&part)
        ));
    };
    let Some(Value::String(path)) = event.shift_remove("path") else {
        return Err("a path/data event needs \"path\": a JSON pointer such as \"/a/b\"".into());
    };
    let pointer = Pointer::parse(path.as_str())
        .map_err(|e| format!("path {path:?} is not a JSON pointer: {e}"))?;
    let Some(data) = event.shift_remove("data") else {
        return Err("a path/data event needs \"data\"".into());
    };
    set(state, pointer, data)
}

/// Sets `data` at `pointer`, making missing object members on the way; an array element
/// is an index within the array (or its length, or `-`, to append).
fn set(state: &mut Value, pointer: &Pointer, data: Value) -> Result<(), String> {
    let mut target = state;
    let tokens: Vec<_> = pointer.tokens().collect();
    let Some((last, parents)) = tokens.split_last() else {
        *target = data;
        return Ok(());
    };
    let mut walked = String::new();
    for token in parents {
        let name = token.decoded();
        walked.push('/');
        walked.push_str(token.encoded());
        if target.is_null() {
            *target = Value::Object(Map::new());
        }
        target = match target {
            Value::Object(map) => map
                .entry(name.into_owned())
                .or_insert(Value::Object(Map::new())),
            Value::Array(items) => {
                let index = array_index(&name, items.len(), &walked, false)?;
                &mut items[index]
            }
            other => return Err(format!("{walked} is inside {}", kind(other))),
        };
    }
    walked.push('/');
    walked.push_str(last.encoded());
    let name = last.decoded();
    if target.is_null() {
        *target = Value::Object(Map::new());
    }
    match target {
        Value::Object(map) => {
            map.insert(name.into_owned(), data);
        }
        Value::Array(items) => {
            let index = array_index(&name, items.len(), &walked, true)?;
            if index == items.len() {
                items.push(data);
            } else {
                items[index] = data;
            }
        }
        other => return Err(format!("{walked} is inside {}", kind(other))),
    }
    Ok(())
}

/// An array index token: a number below `len` (or equal to it, or `-`, when appending).
fn array_index(token: &str, len: usize, walked: &str, append: bool) -> Result<usize, String> {
    let index = if token == "-" {
        len
    } else {
        token
            .parse::<usize>()
            .map_err(|_| format!("{walked}: {token:?} is not an array index"))?
    };
    if index < len || (append && index == len) {
        Ok(index)
    } else {
        Err(format!(
            "{walked}: index {index} is past the array's end ({len})"
        ))
    }
}

/// "an object", "a string", ... for error texts.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
