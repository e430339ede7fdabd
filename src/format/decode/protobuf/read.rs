//! Protobuf messages as JSON, through their descriptors (the shape is in [`super`]).

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, ReflectMessage};
use serde_json::{Map, Value};

use super::super::Limits;
use super::super::error::DecodeError;
use super::super::value::{Budget, float_value};
use super::{ANY, FORMAT, ProtoType};

/// Decodes `payload` as a message of type `ty`.
pub fn decode_protobuf(
    payload: &[u8],
    ty: &ProtoType,
    limits: Limits,
) -> Result<Value, DecodeError> {
    let mut budget = Budget::new(FORMAT, limits);
    super::prescan::prescan(payload, &ty.desc, limits)?;
    let message =
        DynamicMessage::decode(ty.desc.clone(), payload).map_err(|err| budget.invalid(err))?;
    message_json(&message, 1, &mut budget)
}

/// A message as JSON, `depth` levels deep.
fn message_json(
    message: &DynamicMessage,
    depth: usize,
    budget: &mut Budget,
) -> Result<Value, DecodeError> {
    budget.enter(depth)?;
    budget.charge(2)?;
    if message.descriptor().full_name() == ANY
        && let Some(any) = any_json(message, depth, budget)?
    {
        return Ok(any);
    }
    let mut out = Map::new();
    for (field, value) in message.fields() {
        let value = field_json(value, &field, depth, budget)?;
        budget.insert(&mut out, field.name().to_owned(), value)?;
    }
    let mut unknown = Vec::new();
    for field in message.unknown_fields() {
        field.encode(&mut unknown);
    }
    if !unknown.is_empty() {
        let raw = super::super::decode_protobuf_raw(
            &unknown,
            Limits::new(unknown.len().saturating_mul(64)),
        )
        .unwrap_or_else(|_| super::super::bytes_value(&unknown));
        budget.charge(raw.to_string().len())?;
        out.insert("$unknown".into(), raw);
    }
    Ok(Value::Object(out))
}

/// `google.protobuf.Any` as `{"@type": url, …}`; `None` when it has no `type_url`.
fn any_json(
    message: &DynamicMessage,
    depth: usize,
    budget: &mut Budget,
) -> Result<Option<Value>, DecodeError> {
    let url = message.get_field_by_name("type_url");
    let bytes = message.get_field_by_name("value");
    let (Some(prost_reflect::Value::String(url)), Some(prost_reflect::Value::Bytes(bytes))) =
        (url.as_deref(), bytes.as_deref())
    else {
        return Ok(None);
    };
    let mut out = Map::new();
    budget.charge(url.len() + 12)?;
    out.insert("@type".into(), Value::String(url.clone()));
    let name = url.rsplit('/').next().unwrap_or_default();
    let inner = message
        .descriptor()
        .parent_pool()
        .get_message_by_name(name)
        .and_then(|desc| DynamicMessage::decode(desc, bytes.as_ref()).ok());
    match inner {
        Some(inner) => {
            if let Value::Object(fields) = message_json(&inner, depth + 1, budget)? {
                for (key, value) in fields {
                    budget.insert(&mut out, key, value)?;
                }
            }
        }
        None => {
            let value = budget.bytes(bytes)?;
            out.insert("value".into(), value);
        }
    }
    Ok(Some(Value::Object(out)))
}

/// A field's value (a list or map whole) as JSON.
fn field_json(
    value: &prost_reflect::Value,
    field: &FieldDescriptor,
    depth: usize,
    budget: &mut Budget,
) -> Result<Value, DecodeError> {
    use prost_reflect::Value as V;
    Ok(match value {
        V::List(items) => {
            budget.enter(depth + 1)?;
            let kind = field.kind();
            let mut out = Vec::new();
            for item in items {
                budget.charge(1)?;
                out.push(single_json(item, &kind, depth + 1, budget)?);
            }
            Value::Array(out)
        }
        V::Map(entries) => {
            budget.enter(depth + 1)?;
            let value_kind = field
                .kind()
                .as_message()
                .map(|entry| entry.map_entry_value_field().kind())
                .ok_or_else(|| budget.invalid("a map field without an entry type"))?;
            let mut sorted: Vec<_> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            let mut out = Map::new();
            for (key, item) in sorted {
                let key = match key {
                    MapKey::Bool(flag) => flag.to_string(),
                    MapKey::I32(n) => n.to_string(),
                    MapKey::I64(n) => n.to_string(),
                    MapKey::U32(n) => n.to_string(),
                    MapKey::U64(n) => n.to_string(),
                    MapKey::String(text) => text.clone(),
                };
                let item = single_json(item, &value_kind, depth + 1, budget)?;
                budget.insert(&mut out, key, item)?;
            }
            Value::Object(out)
        }
        single => single_json(single, &field.kind(), depth, budget)?,
    })
}

/// One value of `kind` as JSON.
fn single_json(
    value: &prost_reflect::Value,
    kind: &Kind,
    depth: usize,
    budget: &mut Budget,
) -> Result<Value, DecodeError> {
    use prost_reflect::Value as V;
    budget.charge(8)?;
    Ok(match value {
        V::Bool(flag) => Value::Bool(*flag),
        V::I32(n) => Value::from(*n),
        V::I64(n) => Value::from(*n),
        V::U32(n) => Value::from(*n),
        V::U64(n) => Value::from(*n),
        V::F32(n) => float_value(f64::from(*n)),
        V::F64(n) => float_value(*n),
        V::String(text) => budget.string(text.clone())?,
        V::Bytes(bytes) => budget.bytes(bytes)?,
        V::EnumNumber(n) => match kind.as_enum().and_then(|desc| desc.get_value(*n)) {
            Some(named) => budget.string(named.name().to_owned())?,
            None => Value::from(*n),
        },
        V::Message(message) => message_json(message, depth + 1, budget)?,
        V::List(_) | V::Map(_) => return Err(budget.invalid("a list or map inside a list")),
    })
}
