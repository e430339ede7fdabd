//! Message templates: a named body in a format, saved as RON, and the one function that
//! turns a composed body into what goes on the wire ([`encode`], [`prepare`]). The window's
//! composer and the command line both use it.

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::storage::{self, FileError};
use crate::format::base64::{Base64Error, parse_base64};
use crate::format::decode::{self, Content, DecodeSpec, Limits, ProtoType, Step};
use crate::format::hex::{HexError, parse_hex};
use crate::format::json::{self, JsonError};
use crate::format::variables::{self, VarContext, VarError};

/// How a body is written and what it becomes when sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageFormat {
    /// Sent as a text message, exactly as written.
    #[default]
    Text,
    /// Checked to be JSON, then sent as a text message exactly as written.
    Json,
    /// Hex digits (white space and `0x` prefixes allowed), sent as a binary message.
    Hex,
    /// Base64 (standard or URL-safe), sent as a binary message.
    Base64,
    /// The body is a file path; the file's bytes are sent as a binary message.
    File,
    /// JSON, sent as a binary MessagePack message.
    Msgpack,
    /// JSON, sent as a binary CBOR message.
    Cbor,
    /// JSON, sent as a binary Protobuf message of the template's (or the tab's) type.
    Protobuf,
    /// Text, sent gzip-compressed as a binary message.
    Gzip,
    /// Text, sent zlib-compressed as a binary message.
    Zlib,
    /// Text, sent raw-deflate-compressed as a binary message.
    Deflate,
    /// JSON: an operation of the tab's protocol (a Socket.IO event, a GraphQL subscribe,
    /// an MQTT publish, …) in the shape its units are shown in; the protocol makes the
    /// frames.
    Op,
}

impl MessageFormat {
    /// Every format, in the order a selector shows them.
    pub const ALL: [MessageFormat; 12] = [
        MessageFormat::Text,
        MessageFormat::Json,
        MessageFormat::Hex,
        MessageFormat::Base64,
        MessageFormat::File,
        MessageFormat::Msgpack,
        MessageFormat::Cbor,
        MessageFormat::Protobuf,
        MessageFormat::Gzip,
        MessageFormat::Zlib,
        MessageFormat::Deflate,
        MessageFormat::Op,
    ];

    /// The label a format selector shows.
    pub fn label(self) -> &'static str {
        match self {
            MessageFormat::Text => "Text",
            MessageFormat::Json => "JSON",
            MessageFormat::Hex => "Binary (hex)",
            MessageFormat::Base64 => "Binary (base64)",
            MessageFormat::File => "Binary (file)",
            MessageFormat::Msgpack => "MessagePack (from JSON)",
            MessageFormat::Cbor => "CBOR (from JSON)",
            MessageFormat::Protobuf => "Protobuf (from JSON)",
            MessageFormat::Gzip => "gzip (text)",
            MessageFormat::Zlib => "zlib (text)",
            MessageFormat::Deflate => "deflate (text)",
            MessageFormat::Op => "Protocol operation (JSON)",
        }
    }

    /// True when the format is sent as a binary message.
    pub fn is_binary(self) -> bool {
        !matches!(
            self,
            MessageFormat::Text | MessageFormat::Json | MessageFormat::Op
        )
    }

    /// True when the body is JSON (checked before sending).
    pub fn takes_json(self) -> bool {
        matches!(
            self,
            MessageFormat::Json
                | MessageFormat::Msgpack
                | MessageFormat::Cbor
                | MessageFormat::Protobuf
                | MessageFormat::Op
        )
    }

    /// The encoding chain the format sends with, for the binary encodings of JSON or text
    /// (`None` for text, JSON, hex, base64 and file bodies, which are sent as written).
    pub fn chain(self) -> Option<DecodeSpec> {
        let step = match self {
            MessageFormat::Msgpack => Step::Msgpack,
            MessageFormat::Cbor => Step::Cbor,
            MessageFormat::Protobuf => Step::Protobuf,
            MessageFormat::Gzip => Step::Gzip,
            MessageFormat::Zlib => Step::Zlib,
            MessageFormat::Deflate => Step::Deflate,
            _ => return None,
        };
        Some(DecodeSpec::Chain(vec![step]))
    }
}

impl fmt::Display for MessageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A named message body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The name shown in lists and used by `--template FILE.ron:NAME`.
    pub name: String,
    /// How the body is read.
    pub format: MessageFormat,
    /// The body before variable expansion; for [`MessageFormat::File`], a path.
    pub body: String,
    /// An optional note for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// For a Protobuf body, its message type (e.g. `pkg.Order`) when not the tab's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Template {
    /// A template without a description.
    pub fn new(name: impl Into<String>, format: MessageFormat, body: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            format,
            body: body.into(),
            description: String::new(),
            message: None,
        }
    }

    /// Expands the body's variables and encodes it: what sending this template sends.
    /// `with` gives the Protobuf type (already resolved for this template's `message`).
    pub fn prepare(
        &self,
        ctx: &VarContext<'_>,
        with: &EncodeWith<'_>,
    ) -> Result<Outgoing, PrepareError> {
        prepare(self.format, &self.body, ctx, with)
    }
}

/// The version [`TemplateFile`] writes and accepts.
pub const TEMPLATE_FILE_VERSION: u32 = 1;

/// A file of templates, as stored on disk (`templates.ron`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFile {
    /// The file format's version; only [`TEMPLATE_FILE_VERSION`] is accepted.
    pub version: u32,
    /// The templates, in the order shown. Names should be unique; lookups take the first.
    #[serde(default)]
    pub templates: Vec<Template>,
}

impl Default for TemplateFile {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl TemplateFile {
    /// A current-version file holding `templates`.
    pub fn new(templates: Vec<Template>) -> Self {
        Self {
            version: TEMPLATE_FILE_VERSION,
            templates,
        }
    }

    /// Parses a template file's `text`; `path` names it in errors. A version other than
    /// [`TEMPLATE_FILE_VERSION`] is an error.
    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        let file: Self = storage::from_ron(path, text)?;
        file.check_version(path)?;
        Ok(file)
    }

    /// Reads and parses a template file.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let file: Self = storage::load_ron(path)?;
        file.check_version(path)?;
        Ok(file)
    }

    /// Writes the file atomically as readable RON.
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        storage::save_ron(path, self)
    }

    fn check_version(&self, path: &Path) -> Result<(), FileError> {
        if self.version == TEMPLATE_FILE_VERSION {
            Ok(())
        } else {
            Err(FileError::Invalid {
                path: path.to_owned(),
                message: format!(
                    "template file version {} is not supported (expected {TEMPLATE_FILE_VERSION})",
                    self.version
                ),
            })
        }
    }

    /// The first template called `name`.
    pub fn find(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// The templates' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.iter().map(|t| t.name.as_str())
    }
}

/// What is sent: a text or a binary message, or an operation of the tab's protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A protocol operation; the connection's protocol makes its frames.
    Op(serde_json::Value),
}

impl Outgoing {
    /// The payload's size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Outgoing::Text(text) => text.len(),
            Outgoing::Binary(bytes) => bytes.len(),
            Outgoing::Op(op) => op.to_string().len(),
        }
    }

    /// True for an empty payload.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a body cannot be encoded in its format.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The JSON body is not valid JSON (line and column inside the body).
    #[error("invalid JSON: {0}")]
    Json(JsonError),
    /// The hex body does not parse (character position inside the body).
    #[error("{0}")]
    Hex(HexError),
    /// The base64 body does not parse (character position inside the body).
    #[error("{0}")]
    Base64(Base64Error),
    /// The file of a File body cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    File {
        /// The path, as written in the body (leading and trailing white space removed).
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The JSON does not fit the binary encoding (a field that does not fit the Protobuf
    /// type is named), or no Protobuf type was chosen.
    #[error("{0}")]
    Binary(decode::EncodeError),
}

/// What the binary encodings need besides the body.
#[derive(Clone, Copy, Debug)]
pub struct EncodeWith<'a> {
    /// The Protobuf message type, for [`MessageFormat::Protobuf`].
    pub proto: Option<&'a ProtoType>,
    /// Bounds on the encoded value (its depth and size).
    pub limits: Limits,
}

impl Default for EncodeWith<'_> {
    /// No Protobuf type; the default message size limit.
    fn default() -> Self {
        EncodeWith {
            proto: None,
            limits: Limits::new(crate::engine::limits::DEFAULT_MAX_MESSAGE_SIZE),
        }
    }
}

/// Turns an (already expanded) body into the message to send:
/// Text as it is; Json validated and sent exactly as written; Hex and Base64 decoded;
/// File read from disk (the body, trimmed, is the path, relative to the current directory);
/// MessagePack, CBOR and Protobuf parsed as JSON and encoded (`with` gives the Protobuf
/// type); gzip, zlib and deflate compress the text.
///
/// File bodies do blocking I/O: the window must not call this inside `ui()` for
/// [`MessageFormat::File`]; everything else is pure and cheap enough to run per frame on
/// small bodies.
pub fn encode(
    format: MessageFormat,
    body: &str,
    with: &EncodeWith<'_>,
) -> Result<Outgoing, EncodeError> {
    if let Some(chain) = format.chain() {
        let input = if format.takes_json() {
            let value = json::parse_value(body).map_err(EncodeError::Json)?;
            Content::Value(value)
        } else {
            Content::Text(body.to_owned())
        };
        return decode::encode(&chain, &input, with.proto, with.limits)
            .map(|bytes| Outgoing::Binary(bytes.into()))
            .map_err(EncodeError::Binary);
    }
    match format {
        MessageFormat::Text => Ok(Outgoing::Text(body.to_owned())),
        MessageFormat::Json => {
            json::validate(body).map_err(EncodeError::Json)?;
            Ok(Outgoing::Text(body.to_owned()))
        }
        MessageFormat::Hex => parse_hex(body)
            .map(|bytes| Outgoing::Binary(bytes.into()))
            .map_err(EncodeError::Hex),
        MessageFormat::Base64 => parse_base64(body)
            .map(|bytes| Outgoing::Binary(bytes.into()))
            .map_err(EncodeError::Base64),
        MessageFormat::Op => json::parse_value(body)
            .map(Outgoing::Op)
            .map_err(EncodeError::Json),
        MessageFormat::File => {
            let path = PathBuf::from(body.trim());
            std::fs::read(&path)
                .map(|bytes| Outgoing::Binary(bytes.into()))
                .map_err(|source| EncodeError::File { path, source })
        }
        MessageFormat::Msgpack
        | MessageFormat::Cbor
        | MessageFormat::Protobuf
        | MessageFormat::Gzip
        | MessageFormat::Zlib
        | MessageFormat::Deflate => unreachable!("handled by chain() above"),
    }
}

/// Why a body cannot be sent: its variables or its encoding.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// Variable expansion failed (position in the body as written).
    #[error("{0}")]
    Variables(VarError),
    /// The expanded body is not valid in its format (position in the expanded body).
    #[error("{0}")]
    Encode(EncodeError),
}

impl PrepareError {
    /// For an environment variable the policy refused, its name.
    pub fn env_not_allowed(&self) -> Option<&str> {
        match self {
            PrepareError::Variables(error) => error.env_not_allowed(),
            PrepareError::Encode(_) => None,
        }
    }

    /// For a secret the policy refused, its name.
    pub fn secret_not_allowed(&self) -> Option<&str> {
        match self {
            PrepareError::Variables(error) => error.secret_not_allowed(),
            PrepareError::Encode(_) => None,
        }
    }
}

/// Expands `body`'s variables with `ctx`, then [`encode`]s it.
pub fn prepare(
    format: MessageFormat,
    body: &str,
    ctx: &VarContext<'_>,
    with: &EncodeWith<'_>,
) -> Result<Outgoing, PrepareError> {
    let expanded = variables::expand(body, ctx).map_err(PrepareError::Variables)?;
    encode(format, &expanded, with).map_err(PrepareError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn encodes_each_format() {
        assert_eq!(
            encode(MessageFormat::Text, "hi {x}", &EncodeWith::default()).unwrap(),
            Outgoing::Text("hi {x}".into())
        );
        let json = "{ \"a\" : 1.50 }\n";
        assert_eq!(
            encode(MessageFormat::Json, json, &EncodeWith::default()).unwrap(),
            Outgoing::Text(json.into())
        );
        assert_eq!(
            encode(MessageFormat::Hex, "0x01 02", &EncodeWith::default()).unwrap(),
            Outgoing::Binary(Bytes::from_static(&[1, 2]))
        );
        assert_eq!(
            encode(MessageFormat::Base64, "aGk=", &EncodeWith::default()).unwrap(),
            Outgoing::Binary(Bytes::from_static(b"hi"))
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payload.bin");
        std::fs::write(&path, [0u8, 255]).unwrap();
        let body = format!(" {}\n", path.display());
        assert_eq!(
            encode(MessageFormat::File, &body, &EncodeWith::default()).unwrap(),
            Outgoing::Binary(Bytes::from_static(&[0, 255]))
        );
    }

    #[test]
    fn encode_errors_have_positions() {
        let error =
            encode(MessageFormat::Json, "{\n  \"a\": }", &EncodeWith::default()).unwrap_err();
        assert!(
            matches!(&error, EncodeError::Json(e) if (e.line, e.column) == (2, 8)),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("invalid JSON: line 2, column 8")
        );
        let error = encode(MessageFormat::Hex, "0a zz", &EncodeWith::default()).unwrap_err();
        assert_eq!(error.to_string(), "invalid hex digit 'z' at position 3");
        assert!(matches!(
            encode(MessageFormat::Base64, "a*", &EncodeWith::default()).unwrap_err(),
            EncodeError::Base64(Base64Error::InvalidCharacter { position: 1, .. })
        ));
        let error = encode(
            MessageFormat::File,
            "/no/such/file.bin",
            &EncodeWith::default(),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read /no/such/file.bin: "),
            "{error}"
        );
    }

    #[test]
    fn prepare_expands_then_encodes() {
        let user = vec![("id".to_owned(), "42".to_owned())];
        let ctx = VarContext {
            counter: 3,
            user: &user,
            env: &no_env,
            env_policy: variables::EnvPolicy::Any,
        };
        let template = Template::new("t", MessageFormat::Json, r#"{"id":{{id}},"n":{{counter}}}"#);
        assert_eq!(
            template.prepare(&ctx, &EncodeWith::default()).unwrap(),
            Outgoing::Text(r#"{"id":42,"n":3}"#.into())
        );
        assert!(matches!(
            prepare(
                MessageFormat::Text,
                "{{nope}}",
                &ctx,
                &EncodeWith::default()
            ),
            Err(PrepareError::Variables(_))
        ));
        assert!(matches!(
            prepare(
                MessageFormat::Hex,
                "{{counter}}",
                &ctx,
                &EncodeWith::default()
            ),
            Err(PrepareError::Encode(EncodeError::Hex(_)))
        ));
    }

    #[test]
    fn format_labels() {
        let labels: Vec<_> = MessageFormat::ALL.iter().map(|f| f.label()).collect();
        assert_eq!(
            labels,
            [
                "Text",
                "JSON",
                "Binary (hex)",
                "Binary (base64)",
                "Binary (file)",
                "MessagePack (from JSON)",
                "CBOR (from JSON)",
                "Protobuf (from JSON)",
                "gzip (text)",
                "zlib (text)",
                "deflate (text)",
                "Protocol operation (JSON)",
            ]
        );
        assert!(MessageFormat::Hex.is_binary() && !MessageFormat::Json.is_binary());
        assert!(MessageFormat::Msgpack.is_binary() && MessageFormat::Msgpack.takes_json());
        assert!(MessageFormat::Gzip.is_binary() && !MessageFormat::Gzip.takes_json());
    }

    #[test]
    fn binary_encodings_of_json_and_text_decode_back() {
        use crate::format::decode::{Decoder, ProtoSchema};
        let with = EncodeWith::default();
        let decode = |spec: &str, bytes: &[u8], proto: Option<ProtoType>| {
            let mut decoder = Decoder::new(spec.parse().unwrap(), proto, with.limits).unwrap();
            decoder.decode(bytes).unwrap().unwrap().content
        };
        let body = r#"{"a": [1, "x", true]}"#;
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        for (format, spec) in [
            (MessageFormat::Msgpack, "msgpack"),
            (MessageFormat::Cbor, "cbor"),
        ] {
            let Outgoing::Binary(bytes) = encode(format, body, &with).unwrap() else {
                panic!("{format} is binary");
            };
            assert_eq!(decode(spec, &bytes, None), Content::Value(value.clone()));
        }
        for (format, spec) in [
            (MessageFormat::Gzip, "gzip"),
            (MessageFormat::Zlib, "zlib"),
            (MessageFormat::Deflate, "deflate"),
        ] {
            let Outgoing::Binary(bytes) = encode(format, "hello hello", &with).unwrap() else {
                panic!("{format} is binary");
            };
            assert_eq!(
                decode(spec, &bytes, None),
                Content::Text("hello hello".into())
            );
        }
        let schema = ProtoSchema::from_sources(&[(
            "t.proto",
            "syntax = \"proto3\"; package p; message A { int32 x = 1; }",
        )])
        .unwrap();
        let ty = schema.message("p.A").unwrap();
        let with_type = EncodeWith {
            proto: Some(&ty),
            ..with
        };
        let Outgoing::Binary(bytes) =
            encode(MessageFormat::Protobuf, r#"{"x": 5}"#, &with_type).unwrap()
        else {
            panic!("protobuf is binary");
        };
        assert_eq!(&bytes[..], [0x08, 0x05]);
    }

    #[test]
    fn binary_encoding_errors_say_what_is_wrong() {
        let with = EncodeWith::default();
        let error = encode(MessageFormat::Msgpack, "{\"a\": }", &with).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid JSON: line 1, column 7"),
            "{error}"
        );
        let error = encode(MessageFormat::Protobuf, "{}", &with).unwrap_err();
        assert!(
            error.to_string().contains("needs a Protobuf schema"),
            "{error}"
        );
        let schema = crate::format::decode::ProtoSchema::from_sources(&[(
            "t.proto",
            "syntax = \"proto3\"; package p; message A { int32 x = 1; }",
        )])
        .unwrap();
        let ty = schema.message("p.A").unwrap();
        let with_type = EncodeWith {
            proto: Some(&ty),
            ..with
        };
        let error = encode(MessageFormat::Protobuf, r#"{"x": "five"}"#, &with_type).unwrap_err();
        assert!(error.to_string().contains('x'), "{error}");
    }
}
