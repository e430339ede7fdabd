//! `connect --decode SPEC --proto FILE --proto-path DIR --message TYPE`: checked before any
//! traffic, then one [`LineDecoder`] per attempt adds `decoded` (or `decode_error`) to the
//! message lines.

use serde_json::Value;

use super::args::ConnectArgs;
use super::plan::UsageError;
use crate::engine::limits::clamp_message_size;
use crate::engine::{Direction, Payload};
use crate::format::decode::{
    DecodeError, DecodeSpec, Decoder, Limits, ProtoSchema, ProtoType, SchemaError, Step,
};
use crate::model::decode_settings::DecodeSettings;
use crate::model::redact::Redactor;
use crate::model::template::Template;

/// How the run decodes payloads, checked.
#[derive(Clone, Debug)]
pub struct DecodePlan {
    /// What to decode with.
    pub spec: DecodeSpec,
    /// The `--proto` files, compiled.
    pub schema: Option<ProtoSchema>,
    /// The Protobuf message type, when `--proto` was given.
    pub proto: Option<ProtoType>,
    /// The bounds every decoded payload obeys (the message size limit).
    pub limits: Limits,
    /// The flags as a tab's settings, for `--record` (a new tab's when no flag was given).
    pub settings: DecodeSettings,
}

impl DecodePlan {
    /// Checks `--decode`, compiles `--proto` and finds `--message`.
    pub fn from_args(args: &ConnectArgs) -> Result<Self, UsageError> {
        let spec: DecodeSpec = args
            .decode
            .parse()
            .map_err(|e| UsageError(format!("--decode {:?}: {e}", args.decode)))?;
        let schema = match args.proto.as_slice() {
            [] => None,
            files => Some(
                ProtoSchema::compile(files, &args.proto_path)
                    .map_err(|e| UsageError(format!("--proto: {e}")))?,
            ),
        };
        let proto = match &schema {
            Some(schema) => Some(proto_type(schema, args.message.as_deref())?),
            None => None,
        };
        let needs_type = matches!(&spec, DecodeSpec::Chain(steps) if steps.contains(&Step::Protobuf))
            || !args.send_protobuf.is_empty();
        if needs_type && proto.is_none() {
            return Err(UsageError(
                "--decode protobuf and --send-protobuf need a schema: --proto FILE.proto \
                 (and --message TYPE when it has more than one message type)"
                    .into(),
            ));
        }
        let settings = if spec == DecodeSpec::None && args.proto.is_empty() {
            DecodeSettings::default()
        } else {
            DecodeSettings {
                spec: spec.clone(),
                proto_files: args.proto.clone(),
                proto_paths: args.proto_path.clone(),
                message: proto.as_ref().map(|ty| ty.name().to_owned()),
            }
        };
        Ok(DecodePlan {
            settings,
            spec,
            schema,
            proto,
            limits: Limits::new(clamp_message_size(args.max_message_size)),
        })
    }

    /// No decoding, no schema: what a run without the flags has.
    pub fn off() -> Self {
        DecodePlan {
            spec: DecodeSpec::None,
            schema: None,
            proto: None,
            limits: Limits::new(crate::engine::limits::DEFAULT_MAX_MESSAGE_SIZE),
            settings: DecodeSettings::default(),
        }
    }

    /// True when lines are left as they were (`--decode none`).
    pub fn is_off(&self) -> bool {
        self.spec == DecodeSpec::None
    }

    /// The Protobuf type a template's body is encoded with: its own `message` in the
    /// `--proto` files, else `--message`'s.
    pub fn template_type(&self, template: &Template) -> Result<Option<ProtoType>, SchemaError> {
        match (&template.message, &self.schema) {
            (Some(name), Some(schema)) => schema.message(name).map(Some),
            _ => Ok(self.proto.clone()),
        }
    }
}

/// The `--message` type in the compiled `--proto` files; with no `--message`, the files'
/// only type.
fn proto_type(schema: &ProtoSchema, message: Option<&str>) -> Result<ProtoType, UsageError> {
    let name = match message {
        Some(name) => name.to_owned(),
        None => match schema.message_names().as_slice() {
            [only] => only.clone(),
            names => {
                return Err(UsageError(format!(
                    "--proto: the files have {} message types; choose one with --message ({})",
                    names.len(),
                    names.join(", ")
                )));
            }
        },
    };
    schema
        .message(&name)
        .map_err(|e| UsageError(format!("--message {name:?}: {e}")))
}

/// Decodes one attempt's messages, each direction in its own context (a `zlib-stream`
/// runs across a connection's messages, in order).
#[derive(Debug)]
pub struct LineDecoder {
    incoming: Decoder,
    outgoing: Decoder,
}

impl LineDecoder {
    /// Decoders for a new connection. Fails only for a Protobuf chain without a type,
    /// which [`DecodePlan::from_args`] refuses first.
    pub fn new(plan: &DecodePlan) -> Result<Self, DecodeError> {
        let decoder = || Decoder::new(plan.spec.clone(), plan.proto.clone(), plan.limits);
        Ok(LineDecoder {
            incoming: decoder()?,
            outgoing: decoder()?,
        })
    }

    /// Adds `decoded` or `decode_error` to a message's `line` (through `redactor`: a secret
    /// inside a compressed payload is found once it is decoded). Returns the decoded value
    /// as it was before redaction (what a script's `msg.decoded` is).
    pub fn annotate(
        &mut self,
        line: &mut Value,
        dir: Direction,
        payload: &Payload,
        redactor: &Redactor,
    ) -> Option<Value> {
        let decoder = match dir {
            Direction::In => &mut self.incoming,
            Direction::Out => &mut self.outgoing,
        };
        let bytes = match payload {
            Payload::Binary(bytes) => &bytes[..],
            Payload::Text(text) if decodes_text(decoder.spec()) => text.as_bytes(),
            Payload::Text(_) => return None,
        };
        let Value::Object(fields) = line else {
            return None;
        };
        match decoder.decode(bytes) {
            Ok(Some(decoded)) => {
                let mut value = decoded.to_json();
                let before = value.clone();
                redactor.json_strings(&mut value);
                if value != before {
                    fields.insert("redacted".into(), true.into());
                }
                fields.insert("decoded".into(), value);
                Some(before)
            }
            // Nothing decoded (`auto` found nothing), or a zlib-stream message that is only
            // the first part of one: the next message's line carries it.
            Ok(None) | Err(DecodeError::Partial) => None,
            Err(error) => {
                let mut why = Value::String(error.to_string());
                redactor.json_strings(&mut why);
                fields.insert("decode_error".into(), why);
                None
            }
        }
    }
}

/// Text messages are decoded by `auto` and `json`; every other chain reads binary.
fn decodes_text(spec: &DecodeSpec) -> bool {
    match spec {
        DecodeSpec::None => false,
        DecodeSpec::Auto => true,
        DecodeSpec::Chain(steps) => steps.as_slice() == [Step::Json],
    }
}
