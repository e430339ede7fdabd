//! Protobuf with a schema: the user's `.proto` files compiled at run time (`protox`), and
//! messages read and written through their descriptors (`prost-reflect`).
//!
//! A decoded message is an object keyed by the `.proto` field names, holding the fields that
//! are set: 64-bit integers as JSON numbers (exact), bytes as `{"$bytes": hex}`, enums by
//! name (by number when the schema has no name for it), maps as objects (keys sorted),
//! `google.protobuf.Any` as `{"@type": url, …fields}` when the type is in the schema (else
//! `{"@type": url, "value": {"$bytes": hex}}`). Fields the schema does not know are kept
//! under `"$unknown"`, read as [`super::decode_protobuf_raw`] reads them.
//!
//! Encoding takes the same shape; field names may also be their JSON (lowerCamelCase)
//! names, 64-bit integers may be strings, `null` leaves a field unset. A field that does
//! not fit is an [`EncodeError::Field`] naming it, e.g. `items[2].price`.

use std::path::{Path, PathBuf};

use prost_reflect::prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    ReflectMessage,
};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::{Map, Value};

use super::Limits;
use super::error::{DecodeError, EncodeError};
use super::value::{Budget, Special, check_encode_depth, float_value, special};

const FORMAT: &str = "protobuf";
const ANY: &str = "google.protobuf.Any";

/// Why a schema did not compile, or has no such message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// protox refused the files (syntax, a missing import, a file outside the include paths).
    #[error("the .proto files do not compile: {0}")]
    Compile(String),
    /// The message type is not in the compiled files.
    #[error("no message {name} in the .proto files (they have: {known})")]
    UnknownMessage {
        /// The name asked for.
        name: String,
        /// The names the schema has, comma-separated (at most 20).
        known: String,
    },
}

/// Compiled `.proto` files: every message type they (and their imports) define.
#[derive(Clone, Debug)]
pub struct ProtoSchema {
    pool: DescriptorPool,
}

/// One message type of a [`ProtoSchema`], what a tab or template decodes and encodes with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtoType {
    desc: MessageDescriptor,
}

impl ProtoSchema {
    /// Compiles `files`, finding imports in `include_dirs`, then in each file's own folder,
    /// then among Google's well-known types.
    pub fn compile(files: &[PathBuf], include_dirs: &[PathBuf]) -> Result<Self, SchemaError> {
        let mut includes: Vec<PathBuf> = include_dirs.to_vec();
        for file in files {
            let parent = match file.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => Path::new(".").to_path_buf(),
            };
            if !includes.iter().any(|dir| file.starts_with(dir)) {
                includes.push(parent);
            }
        }
        let compile = || -> Result<DescriptorPool, protox::Error> {
            let mut compiler = protox::Compiler::new(&includes)?;
            compiler.include_imports(true).open_files(files)?;
            Ok(compiler.descriptor_pool())
        };
        compile()
            .map(|pool| ProtoSchema { pool })
            .map_err(|err| SchemaError::Compile(err.to_string()))
    }

    /// Compiles `.proto` sources held in memory, as `(file name, text)` (the demo server's
    /// schema, tests). Imports resolve among them and Google's well-known types.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Self, SchemaError> {
        let mut resolver = ChainFileResolver::new();
        resolver.add(Sources(
            sources
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
        ));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        for (name, _) in sources {
            compiler
                .open_file(name)
                .map_err(|err| SchemaError::Compile(err.to_string()))?;
        }
        Ok(ProtoSchema {
            pool: compiler.descriptor_pool(),
        })
    }

    /// The message type with this full name (`pkg.Type`).
    pub fn message(&self, name: &str) -> Result<ProtoType, SchemaError> {
        match self.pool.get_message_by_name(name) {
            Some(desc) => Ok(ProtoType { desc }),
            None => Err(SchemaError::UnknownMessage {
                name: name.to_owned(),
                known: self
                    .message_names()
                    .into_iter()
                    .take(20)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The full names of the message types the schema defines (not Google's own), sorted:
    /// what a picker lists.
    pub fn message_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .pool
            .all_messages()
            .filter(|desc| {
                !desc.full_name().starts_with("google.protobuf.") && !desc.is_map_entry()
            })
            .map(|desc| desc.full_name().to_owned())
            .collect();
        names.sort();
        names
    }
}

impl ProtoType {
    /// The full name, e.g. `demo.Tick`.
    pub fn name(&self) -> &str {
        self.desc.full_name()
    }
}

/// In-memory `.proto` files for [`ProtoSchema::from_sources`].
struct Sources(Vec<(String, String)>);

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.iter().find(|(file, _)| file == name) {
            Some((_, text)) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Decodes `payload` as a message of type `ty`.
pub fn decode_protobuf(
    payload: &[u8],
    ty: &ProtoType,
    limits: Limits,
) -> Result<Value, DecodeError> {
    let mut budget = Budget::new(FORMAT, limits);
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
        let raw =
            super::decode_protobuf_raw(&unknown, Limits::new(unknown.len().saturating_mul(64)))
                .unwrap_or_else(|_| super::bytes_value(&unknown));
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
