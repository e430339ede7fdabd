//! JSON as Protobuf messages, through their descriptors; a field that does not fit is an
//! error naming it.

use prost_reflect::prost::Message as _;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor};
use serde_json::{Map, Value};

use super::super::Limits;
use super::super::error::EncodeError;
use super::super::value::{Special, check_encode_depth, special};
use super::{ANY, FORMAT, ProtoType};

/// Encodes a JSON object as a message of type `ty`.
pub fn encode_protobuf(
    value: &Value,
    ty: &ProtoType,
    limits: Limits,
) -> Result<Vec<u8>, EncodeError> {
    check_encode_depth(FORMAT, value, limits.max_depth)?;
    Ok(message_from(value, &ty.desc, "")?.encode_to_vec())
}

/// `path.key`, or `key` at the top.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A field error at `path`.
fn field_error(path: &str, why: impl Into<String>) -> EncodeError {
    EncodeError::Field {
        path: if path.is_empty() {
            "(the message)".into()
        } else {
            path.to_owned()
        },
        why: why.into(),
    }
}

/// A JSON value, shortened for an error message.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        format!("{}…", crate::format::head(&text, 40))
    } else {
        text
    }
}

/// A message of type `desc` from a JSON object.
fn message_from(
    value: &Value,
    desc: &MessageDescriptor,
    path: &str,
) -> Result<DynamicMessage, EncodeError> {
    let Value::Object(object) = value else {
        return Err(field_error(
            path,
            format!(
                "expected an object for {}, got {}",
                desc.full_name(),
                shown(value)
            ),
        ));
    };
    let mut message = DynamicMessage::new(desc.clone());
    if desc.full_name() == ANY
        && let Some(url) = object.get("@type")
    {
        return any_from(object, url, desc, path);
    }
    for (key, item) in object {
        if item.is_null() {
            continue;
        }
        let here = join(path, key);
        let field = desc
            .get_field_by_name(key)
            .or_else(|| desc.get_field_by_json_name(key))
            .ok_or_else(|| field_error(&here, format!("{} has no such field", desc.full_name())))?;
        let value = field_from(item, &field, &here)?;
        message
            .try_set_field(&field, value)
            .map_err(|err| field_error(&here, err.to_string()))?;
    }
    Ok(message)
}

/// `google.protobuf.Any` from `{"@type": url, …fields}`.
fn any_from(
    object: &Map<String, Value>,
    url: &Value,
    desc: &MessageDescriptor,
    path: &str,
) -> Result<DynamicMessage, EncodeError> {
    let here = join(path, "@type");
    let url = url
        .as_str()
        .ok_or_else(|| field_error(&here, "expected a type URL string"))?;
    let name = url.rsplit('/').next().unwrap_or_default();
    let inner_desc = desc
        .parent_pool()
        .get_message_by_name(name)
        .ok_or_else(|| field_error(&here, format!("{name} is not in the .proto files")))?;
    let mut rest = object.clone();
    rest.remove("@type");
    let inner = message_from(&Value::Object(rest), &inner_desc, path)?;
    let mut any = DynamicMessage::new(desc.clone());
    any.set_field_by_name("type_url", prost_reflect::Value::String(url.to_owned()));
    any.set_field_by_name(
        "value",
        prost_reflect::Value::Bytes(inner.encode_to_vec().into()),
    );
    Ok(any)
}

/// A field's value (a whole list or map) from JSON.
fn field_from(
    value: &Value,
    field: &FieldDescriptor,
    path: &str,
) -> Result<prost_reflect::Value, EncodeError> {
    use prost_reflect::Value as V;
    if field.is_map() {
        let Value::Object(object) = value else {
            return Err(field_error(
                path,
                format!("expected an object (a map), got {}", shown(value)),
            ));
        };
        let entry = field.kind();
        let entry = entry
            .as_message()
            .ok_or_else(|| field_error(path, "a map without an entry type"))?;
        let (key_kind, value_kind) = (
            entry.map_entry_key_field().kind(),
            entry.map_entry_value_field().kind(),
        );
        let mut map = std::collections::HashMap::new();
        for (key, item) in object {
            let here = format!("{path}[{key:?}]");
            let bad_key = || field_error(&here, format!("the key {key:?} is not a {key_kind:?}"));
            let key = match key_kind {
                Kind::String => MapKey::String(key.clone()),
                Kind::Bool => MapKey::Bool(key.parse().map_err(|_| bad_key())?),
                Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                    MapKey::I32(key.parse().map_err(|_| bad_key())?)
                }
                Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                    MapKey::I64(key.parse().map_err(|_| bad_key())?)
                }
                Kind::Uint32 | Kind::Fixed32 => MapKey::U32(key.parse().map_err(|_| bad_key())?),
                _ => MapKey::U64(key.parse().map_err(|_| bad_key())?),
            };
            map.insert(key, single_from(item, &value_kind, &here)?);
        }
        return Ok(V::Map(map));
    }
    if field.is_list() {
        let Value::Array(items) = value else {
            return Err(field_error(
                path,
                format!("expected an array (a repeated field), got {}", shown(value)),
            ));
        };
        let kind = field.kind();
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| single_from(item, &kind, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()
            .map(V::List);
    }
    single_from(value, &field.kind(), path)
}

/// One value of `kind` from JSON.
fn single_from(
    value: &Value,
    kind: &Kind,
    path: &str,
) -> Result<prost_reflect::Value, EncodeError> {
    use prost_reflect::Value as V;
    let wrong = |what: &str| field_error(path, format!("expected {what}, got {}", shown(value)));
    // Integers: JSON numbers, or decimal strings (as proto3's JSON writes 64-bit ones).
    let int = || -> Option<i128> {
        match value {
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from)),
            Value::String(text) => text.parse().ok(),
            _ => None,
        }
    };
    let float = || -> Option<f64> {
        match value {
            Value::Number(n) => n.as_f64(),
            Value::Object(object) => match special(FORMAT, object) {
                Ok(Some(Special::Float(f))) => Some(f),
                _ => None,
            },
            _ => None,
        }
    };
    Ok(match kind {
        Kind::Double => V::F64(float().ok_or_else(|| wrong("a number (double)"))?),
        Kind::Float => V::F32(float().ok_or_else(|| wrong("a number (float)"))? as f32),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => V::I32(
            int()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| wrong("an int32"))?,
        ),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => V::I64(
            int()
                .and_then(|n| i64::try_from(n).ok())
                .ok_or_else(|| wrong("an int64"))?,
        ),
        Kind::Uint32 | Kind::Fixed32 => V::U32(
            int()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| wrong("a uint32"))?,
        ),
        Kind::Uint64 | Kind::Fixed64 => V::U64(
            int()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| wrong("a uint64"))?,
        ),
        Kind::Bool => V::Bool(value.as_bool().ok_or_else(|| wrong("true or false"))?),
        Kind::String => V::String(value.as_str().ok_or_else(|| wrong("a string"))?.to_owned()),
        Kind::Bytes => match value {
            Value::Object(object) => match special(FORMAT, object) {
                Ok(Some(Special::Bytes(bytes))) => V::Bytes(bytes.into()),
                _ => return Err(wrong("{\"$bytes\": \"<hex>\"}")),
            },
            _ => return Err(wrong("{\"$bytes\": \"<hex>\"}")),
        },
        Kind::Enum(desc) => {
            let named = value.as_str().and_then(|name| desc.get_value_by_name(name));
            match (named, value.as_i64().and_then(|n| i32::try_from(n).ok())) {
                (Some(named), _) => V::EnumNumber(named.number()),
                (None, Some(number)) => V::EnumNumber(number),
                _ => return Err(wrong(&format!("a value of {}", desc.full_name()))),
            }
        }
        Kind::Message(desc) => V::Message(message_from(value, desc, path)?),
    })
}
