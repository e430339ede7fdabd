//! Running a [`DecodeSpec`] over a connection's messages, and encoding values back.

use serde_json::{Map, Value};

use super::error::{DecodeError, EncodeError};
use super::json::decode_json;
use super::protobuf::ProtoType;
use super::spec::{DecodeSpec, Step, chain_name};
use super::value::bytes_value;
use super::zlib_stream::ZlibStream;
use super::{
    Limits, compress, decode_cbor, decode_msgpack, decode_protobuf, decode_protobuf_raw,
    decompress, detect, encode_cbor, encode_msgpack, encode_protobuf,
};

/// What a chain produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// A value (JSON, MessagePack, CBOR, Protobuf).
    Value(Value),
    /// UTF-8 text that a compression produced and that is not a value.
    Text(String),
    /// Bytes that a compression produced and that are not UTF-8.
    Bytes(Vec<u8>),
}

impl Content {
    /// Text when `bytes` are UTF-8, else bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Content::Text(text),
            Err(err) => Content::Bytes(err.into_bytes()),
        }
    }
}

/// A decoded message.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The steps applied, given or detected.
    pub steps: Vec<Step>,
    /// Why auto-detection chose them (`None` for a given chain).
    pub reason: Option<String>,
    /// The size of the bytes after every decompression (what the value step read).
    pub unpacked_size: usize,
    /// What came out.
    pub content: Content,
}

impl Decoded {
    /// The chain's name, e.g. `gzip+json`: the command line's `format`.
    pub fn format(&self) -> String {
        chain_name(&self.steps)
    }

    /// The command line's `decoded` object: `{"format": …, "value": …}` or
    /// `{"format": …, "text": …}` (bytes that are not text are a `$bytes` value).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("format".into(), Value::String(self.format()));
        match &self.content {
            Content::Value(value) => out.insert("value".into(), value.clone()),
            Content::Text(text) => out.insert("text".into(), Value::String(text.clone())),
            Content::Bytes(bytes) => out.insert("value".into(), bytes_value(bytes)),
        };
        Value::Object(out)
    }
}

/// Decodes one connection's messages by a [`DecodeSpec`]. One per connection (and per
/// direction): `zlib-stream` keeps its context across messages, which must come in order.
#[derive(Debug)]
pub struct Decoder {
    spec: DecodeSpec,
    proto: Option<ProtoType>,
    limits: Limits,
    stream: ZlibStream,
}

impl Decoder {
    /// A decoder for `spec`; `proto` is the Protobuf message type (needed by `protobuf`,
    /// tried by `auto`).
    pub fn new(
        spec: DecodeSpec,
        proto: Option<ProtoType>,
        limits: Limits,
    ) -> Result<Self, DecodeError> {
        if let DecodeSpec::Chain(steps) = &spec
            && steps.contains(&Step::Protobuf)
            && proto.is_none()
        {
            return Err(DecodeError::NoSchema(Step::Protobuf));
        }
        Ok(Decoder {
            spec,
            proto,
            limits,
            stream: ZlibStream::new(),
        })
    }

    /// The spec this decoder runs.
    pub fn spec(&self) -> &DecodeSpec {
        &self.spec
    }

    /// Decodes the next message. `Ok(None)` for `none`, and for `auto` when nothing matches.
    pub fn decode(&mut self, payload: &[u8]) -> Result<Option<Decoded>, DecodeError> {
        match &self.spec {
            DecodeSpec::None => Ok(None),
            DecodeSpec::Auto => detect(payload, self.proto.as_ref(), self.limits),
            DecodeSpec::Chain(steps) => {
                let mut bytes = std::borrow::Cow::Borrowed(payload);
                for step in steps {
                    let value = match step {
                        Step::ZlibStream => {
                            bytes = self.stream.push(&bytes, self.limits)?.into();
                            continue;
                        }
                        Step::Gzip | Step::Zlib | Step::Deflate => {
                            if let Some(kind) = step.compression() {
                                bytes = decompress(kind, &bytes, self.limits)?.into();
                            }
                            continue;
                        }
                        Step::Json => decode_json(&bytes, self.limits)?,
                        Step::Msgpack => decode_msgpack(&bytes, self.limits)?,
                        Step::Cbor => decode_cbor(&bytes, self.limits)?,
                        Step::ProtobufRaw => decode_protobuf_raw(&bytes, self.limits)?,
                        Step::Protobuf => match &self.proto {
                            Some(ty) => decode_protobuf(&bytes, ty, self.limits)?,
                            None => return Err(DecodeError::NoSchema(Step::Protobuf)),
                        },
                    };
                    return Ok(Some(Decoded {
                        steps: steps.clone(),
                        reason: None,
                        unpacked_size: bytes.len(),
                        content: Content::Value(value),
                    }));
                }
                Ok(Some(Decoded {
                    steps: steps.clone(),
                    reason: None,
                    unpacked_size: bytes.len(),
                    content: Content::from_bytes(bytes.into_owned()),
                }))
            }
        }
    }
}

/// Encodes `input` by a chain (the reverse of decoding it): `msgpack`, `cbor`, `protobuf`
/// and `json` take a [`Content::Value`]; a chain of compressions alone takes text or bytes.
/// `none`, `auto`, `protobuf-raw` and `zlib-stream` cannot encode (a `zlib-stream` sender
/// keeps a [`super::ZlibStreamEncoder`] per connection).
pub fn encode(
    spec: &DecodeSpec,
    input: &Content,
    proto: Option<&ProtoType>,
    limits: Limits,
) -> Result<Vec<u8>, EncodeError> {
    let DecodeSpec::Chain(steps) = spec else {
        return Err(EncodeError::CannotEncode(spec.to_string()));
    };
    let (last, compressions) = match steps.split_last() {
        Some((last, rest)) if last.makes_value() => (Some(*last), rest),
        _ => (None, steps.as_slice()),
    };
    let mut bytes = match (last, input) {
        (Some(step), Content::Value(value)) => match step {
            Step::Json => value.to_string().into_bytes(),
            Step::Msgpack => encode_msgpack(value, limits)?,
            Step::Cbor => encode_cbor(value, limits)?,
            Step::Protobuf => match proto {
                Some(ty) => encode_protobuf(value, ty, limits)?,
                None => return Err(EncodeError::NoSchema(Step::Protobuf)),
            },
            other => return Err(EncodeError::CannotEncode(other.to_string())),
        },
        (Some(step), _) => {
            return Err(EncodeError::WrongInput(format!(
                "{step} encodes a JSON value, not text"
            )));
        }
        (None, Content::Text(text)) => text.clone().into_bytes(),
        (None, Content::Bytes(bytes)) => bytes.clone(),
        (None, Content::Value(_)) => {
            return Err(EncodeError::WrongInput(format!(
                "{spec} compresses text, not a JSON value"
            )));
        }
    };
    for step in compressions.iter().rev() {
        let kind = step
            .compression()
            .ok_or_else(|| EncodeError::CannotEncode(step.to_string()))?;
        bytes = compress(kind, &bytes);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMITS: Limits = super::super::TEST_LIMITS;

    fn spec(text: &str) -> DecodeSpec {
        text.parse().unwrap()
    }

    #[test]
    fn the_command_line_object_names_the_chain() {
        let mut decoder = Decoder::new(spec("gzip"), None, LIMITS).unwrap();
        let packed = encode(&spec("gzip"), &Content::Text("hi".into()), None, LIMITS).unwrap();
        let decoded = decoder.decode(&packed).unwrap().unwrap();
        assert_eq!(decoded.to_json(), json!({"format": "gzip", "text": "hi"}));
        assert_eq!((decoded.reason, decoded.unpacked_size), (None, 2));
        let packed = encode(&spec("gzip"), &Content::Bytes(vec![0xff]), None, LIMITS).unwrap();
        let decoded = decoder.decode(&packed).unwrap().unwrap();
        assert_eq!(
            decoded.to_json(),
            json!({"format": "gzip", "value": {"$bytes": "ff"}})
        );
        let mut decoder = Decoder::new(spec("zlib+json"), None, LIMITS).unwrap();
        let value = Content::Value(json!({"a": [1]}));
        let packed = encode(&spec("zlib+json"), &value, None, LIMITS).unwrap();
        assert_eq!(
            decoder.decode(&packed).unwrap().unwrap().to_json(),
            json!({"format": "zlib+json", "value": {"a": [1]}})
        );
        let mut none = Decoder::new(DecodeSpec::None, None, LIMITS).unwrap();
        assert_eq!(none.decode(b"anything").unwrap(), None);
    }

    #[test]
    fn an_explicit_spec_that_does_not_fit_is_an_error() {
        let mut decoder = Decoder::new(spec("gzip+json"), None, LIMITS).unwrap();
        let err = decoder.decode(b"{}").unwrap_err();
        assert!(err.to_string().starts_with("not gzip: "), "{err}");
    }

    #[test]
    fn what_cannot_be_encoded_says_so() {
        let value = Content::Value(json!(1));
        let text = Content::Text("x".into());
        let err = |spec_text: &str, input: &Content| {
            encode(&spec(spec_text), input, None, LIMITS)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err("auto", &value), "auto cannot encode");
        assert_eq!(err("protobuf-raw", &value), "protobuf-raw cannot encode");
        assert_eq!(err("zlib-stream", &text), "zlib-stream cannot encode");
        assert_eq!(
            err("msgpack", &text),
            "msgpack encodes a JSON value, not text"
        );
        assert_eq!(
            err("gzip", &value),
            "gzip compresses text, not a JSON value"
        );
        assert_eq!(
            err("protobuf", &value),
            "protobuf needs a Protobuf schema and message type (--proto and --message)"
        );
    }
}
