//! Checking what is composed: the body's variables are expanded and the result encoded in
//! its format once per change (not per frame), with errors that say where.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use crate::format::decode::{Limits, ProtoType};
use crate::format::json;
use crate::format::variables::{self, VarContext};
use crate::model::template::{self, EncodeError, EncodeWith, MessageFormat};

/// How long a preview may be, in bytes; the rest is summarised.
const PREVIEW_BYTES: usize = 4096;

/// The largest (expanded) body encoded as MessagePack, CBOR, Protobuf or compressed while
/// it is typed. Encoding runs in the frame, after each change: a 1.1 MB JSON body took
/// 260-400 ms to encode in a debug build (20 ms to validate as JSON), so a larger body is
/// only checked as JSON here and encoded when sent, where a field that does not fit still
/// refuses the send with the reason.
pub const ENCODE_WHILE_TYPING_MAX: usize = 128 << 10;

/// What a check depends on; the check is redone only when this changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckKey {
    /// The composer's edit counter.
    pub revision: u64,
    /// The format.
    pub format: MessageFormat,
    /// A hash of the tab's variables.
    pub variables: u64,
    /// The tab's next `{{counter}}`.
    pub counter: u64,
    /// A hash of what the encoding depends on: the schema's generation, the message
    /// types (the tab's and the composer's), the size limit.
    pub encoding: u64,
}

/// What a body is encoded with: the Protobuf type (or why there is none) and the limits.
#[derive(Clone, Debug)]
pub struct CheckEncoding<'a> {
    /// The type a Protobuf body is encoded as, or why none is at hand (in words).
    pub proto: Result<Option<&'a ProtoType>, String>,
    /// Bounds on the encoded message: the tab's max message size.
    pub limits: Limits,
    /// The tab's protocol, which an operation is checked against (`None`: not checked).
    pub protocol: Option<&'a crate::protocol::ProtocolSettings>,
}

impl Default for CheckEncoding<'_> {
    /// No Protobuf type; the default message size limit.
    fn default() -> Self {
        let with = EncodeWith::default();
        CheckEncoding {
            proto: Ok(None),
            limits: with.limits,
            protocol: None,
        }
    }
}

/// The result of checking a body.
#[derive(Clone, Debug)]
pub struct Check {
    /// What it was computed from.
    pub key: CheckKey,
    /// The body references variables.
    pub uses_variables: bool,
    /// Some referenced variable takes a new value at each send (uuid, now, …).
    pub volatile: bool,
    /// The body as expanded now (shortened), when it references variables and expands.
    pub preview: Option<Preview>,
    /// Whether it can be sent.
    pub outcome: Outcome,
    /// The expanded body is valid JSON (for the formats whose body is JSON): Pretty-print
    /// and Minify are offered.
    pub json_valid: bool,
    /// What the body is encoded as, for the status line: "MessagePack", "Protobuf
    /// demo.Order"; `None` for bodies sent as written.
    pub encoded_as: Option<String>,
}

/// An expanded body, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The start of the expanded text.
    pub text: String,
    /// The whole expanded text's length in bytes.
    pub bytes: usize,
}

impl Preview {
    /// True when [`Preview::text`] is only the start of the expansion.
    pub fn is_cut(&self) -> bool {
        self.text.len() < self.bytes
    }
}

/// Whether a checked body can be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A message of `bytes` bytes; `binary` for a binary message.
    Ready {
        /// The payload's size.
        bytes: usize,
        /// Sent as a binary message.
        binary: bool,
    },
    /// A body too big to encode at each change (over 128 KiB): valid JSON
    /// (when its format takes JSON), encoded when sent.
    Deferred {
        /// The expanded body's size.
        body_bytes: usize,
    },
    /// A File body naming this (expanded) path; its size is looked up in the background.
    File(PathBuf),
    /// It cannot be sent, and this says why (and where).
    Invalid(String),
    /// Something is still missing (no file path yet); this says what.
    Incomplete(String),
}

/// A hash of user variables, so a change to them redoes the check.
pub fn variables_hash(variables: &[(String, String)]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    variables.hash(&mut hasher);
    hasher.finish()
}

/// Checks `body` in `format` with `ctx`: expands its variables and encodes it (except for
/// File bodies, whose file is looked up elsewhere: no I/O happens here). `encoding` gives
/// the Protobuf type and the limits.
pub fn check(
    key: CheckKey,
    body: &str,
    ctx: &VarContext<'_>,
    encoding: &CheckEncoding<'_>,
) -> Check {
    let references = variables::referenced(body);
    let uses_variables = variables::has_variables(body);
    let volatile = references.iter().any(|var| var.is_volatile());
    let mut result = Check {
        key,
        uses_variables,
        volatile,
        preview: None,
        outcome: Outcome::Invalid(String::new()),
        json_valid: false,
        encoded_as: key.format.chain().map(|_| match &encoding.proto {
            Ok(Some(ty)) if key.format == MessageFormat::Protobuf => {
                format!("{} {}", short_name(key.format), ty.name())
            }
            _ => short_name(key.format).to_owned(),
        }),
    };
    let expanded = match variables::expand(body, ctx) {
        Ok(expanded) => expanded,
        Err(error) => {
            let (line, column) = locate(body, error.position);
            result.outcome = Outcome::Invalid(format!("{error} (line {line}, column {column})"));
            return result;
        }
    };
    if uses_variables {
        result.preview = Some(preview(&expanded));
    }
    result.outcome = match key.format {
        MessageFormat::File => {
            let path = expanded.trim();
            if path.is_empty() {
                Outcome::Incomplete("Type the path of the file to send, or press Browse.".into())
            } else {
                Outcome::File(PathBuf::from(path))
            }
        }
        MessageFormat::Protobuf if !matches!(encoding.proto, Ok(Some(_))) => {
            result.json_valid = json::validate(&expanded).is_ok();
            match &encoding.proto {
                Err(why) => Outcome::Invalid(format!("Not sendable as Protobuf: {why}")),
                Ok(_) => Outcome::Invalid(format!(
                    "Not sendable as Protobuf: {}",
                    crate::app::proto_schema::ProtoTypeError::NoType
                )),
            }
        }
        format if format.chain().is_some() && expanded.len() > ENCODE_WHILE_TYPING_MAX => {
            let body_bytes = expanded.len();
            match format.takes_json().then(|| json::validate(&expanded)) {
                Some(Err(error)) => Outcome::Invalid(describe(
                    format,
                    &EncodeError::Json(error),
                    &expanded,
                    uses_variables,
                )),
                valid => {
                    result.json_valid = valid.is_some();
                    Outcome::Deferred { body_bytes }
                }
            }
        }
        format => {
            let with = EncodeWith {
                proto: encoding.proto.clone().ok().flatten(),
                limits: encoding.limits,
            };
            match template::encode(format, &expanded, &with) {
                Ok(template::Outgoing::Op(op)) => match op_problem(encoding.protocol, &op) {
                    Some(why) => Outcome::Invalid(why),
                    None => {
                        result.json_valid = true;
                        Outcome::Ready {
                            bytes: op.to_string().len(),
                            binary: false,
                        }
                    }
                },
                Ok(outgoing) => {
                    result.json_valid = format.takes_json();
                    Outcome::Ready {
                        bytes: outgoing.len(),
                        binary: format.is_binary(),
                    }
                }
                Err(error) => {
                    result.json_valid =
                        format.takes_json() && !matches!(error, EncodeError::Json(_));
                    Outcome::Invalid(describe(format, &error, &expanded, uses_variables))
                }
            }
        }
    };
    result
}

/// Why the tab's protocol cannot send `op`, if it cannot.
fn op_problem(
    protocol: Option<&crate::protocol::ProtocolSettings>,
    op: &serde_json::Value,
) -> Option<String> {
    let protocol = protocol?;
    if protocol.is_raw() {
        return Some(
            "The tab speaks plain WebSocket: choose its protocol (Socket.IO, GraphQL, STOMP, \
             MQTT, JSON-RPC) beside the URL to send operations."
                .to_owned(),
        );
    }
    crate::protocol::check_op(protocol, op).err().map(|error| {
        format!(
            "Not sendable as a {} operation: {error}",
            protocol.kind.label()
        )
    })
}

/// An encoding error as the composer shows it: with line and column, and saying when the
/// position is in the expanded body rather than in what was typed.
fn describe(
    format: MessageFormat,
    error: &EncodeError,
    expanded: &str,
    uses_variables: bool,
) -> String {
    let where_ = if uses_variables {
        " of the expanded body"
    } else {
        ""
    };
    match error {
        EncodeError::Json(json) => format!(
            "Invalid JSON: line {}, column {}{where_}: {}",
            json.line, json.column, json.message
        ),
        EncodeError::Hex(hex) => {
            let (line, column) = locate(expanded, hex.position());
            format!("{hex} (line {line}, column {column}{where_})")
        }
        EncodeError::Base64(base64) => match base64_position(base64) {
            Some(position) => {
                let (line, column) = locate(expanded, position);
                format!("{base64} (line {line}, column {column}{where_})")
            }
            None => base64.to_string(),
        },
        EncodeError::Binary(binary) => format!("Not sendable as {}: {binary}", short_name(format)),
        EncodeError::File { .. } => error.to_string(),
    }
}

/// The name of an encoding in the composer's status line, e.g. "MessagePack".
pub fn short_name(format: MessageFormat) -> &'static str {
    match format {
        MessageFormat::Msgpack => "MessagePack",
        MessageFormat::Cbor => "CBOR",
        MessageFormat::Protobuf => "Protobuf",
        MessageFormat::Gzip => "gzip",
        MessageFormat::Zlib => "zlib",
        MessageFormat::Deflate => "deflate",
        MessageFormat::Json => "JSON",
        MessageFormat::Op => "operation",
        MessageFormat::Text => "text",
        MessageFormat::Hex | MessageFormat::Base64 | MessageFormat::File => "binary",
    }
}

fn base64_position(error: &crate::format::base64::Base64Error) -> Option<usize> {
    use crate::format::base64::Base64Error;
    match error {
        Base64Error::InvalidCharacter { position, .. }
        | Base64Error::MixedAlphabets { position, .. } => Some(*position),
        Base64Error::Truncated { .. } => None,
    }
}

/// The 1-based line and column of the 0-based character `position` in `text`.
pub fn locate(text: &str, position: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for ch in text.chars().take(position) {
        if ch == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

fn preview(expanded: &str) -> Preview {
    let end = expanded.floor_char_boundary(PREVIEW_BYTES);
    Preview {
        text: expanded[..end].to_owned(),
        bytes: expanded.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(format: MessageFormat) -> CheckKey {
        CheckKey {
            revision: 0,
            format,
            variables: 0,
            counter: 3,
            encoding: 0,
        }
    }

    fn run(format: MessageFormat, body: &str) -> Check {
        let user = vec![("room".to_owned(), "lobby".to_owned())];
        let env = |name: &str| (name == "TOKEN").then(|| "t0k".to_owned());
        let ctx = VarContext {
            counter: 3,
            user: &user,
            env: &env,
            env_policy: variables::EnvPolicy::Any,
        };
        check(key(format), body, &ctx, &CheckEncoding::default())
    }

    #[test]
    fn ready_bodies_report_their_size() {
        let text = run(MessageFormat::Text, "hello");
        assert_eq!(
            text.outcome,
            Outcome::Ready {
                bytes: 5,
                binary: false
            }
        );
        assert!(!text.uses_variables && text.preview.is_none());
        let hex = run(MessageFormat::Hex, "0x01 02\n03");
        assert_eq!(
            hex.outcome,
            Outcome::Ready {
                bytes: 3,
                binary: true
            }
        );
        let json = run(
            MessageFormat::Json,
            r#"{"n": {{counter}}, "r": "{{room}}"}"#,
        );
        assert_eq!(
            json.outcome,
            Outcome::Ready {
                bytes: 22,
                binary: false
            }
        );
        let preview = json.preview.unwrap();
        assert_eq!(preview.text, r#"{"n": 3, "r": "lobby"}"#);
        assert!(!json.volatile);
        assert!(run(MessageFormat::Text, "{{ now }}").volatile);
    }

    #[test]
    fn errors_say_where() {
        let Outcome::Invalid(json) = run(MessageFormat::Json, "{\n  \"a\": }").outcome else {
            panic!("invalid JSON")
        };
        assert!(
            json.starts_with("Invalid JSON: line 2, column 8: "),
            "{json}"
        );
        let Outcome::Invalid(hex) = run(MessageFormat::Hex, "0a\n0b zz").outcome else {
            panic!("invalid hex")
        };
        assert_eq!(
            hex,
            "invalid hex digit 'z' at position 6 (line 2, column 4)"
        );
        let Outcome::Invalid(odd) = run(MessageFormat::Hex, "{{counter}}").outcome else {
            panic!("odd hex")
        };
        assert!(odd.contains("of the expanded body"), "{odd}");
        let Outcome::Invalid(base64) = run(MessageFormat::Base64, "aGV*").outcome else {
            panic!("invalid base64")
        };
        assert_eq!(
            base64,
            "invalid base64 character '*' at position 3 (line 1, column 4)"
        );
        let Outcome::Invalid(unknown) = run(MessageFormat::Text, "hi {{nobody}}").outcome else {
            panic!("unknown variable")
        };
        assert_eq!(
            unknown,
            "unknown variable {{nobody}} at position 3 (line 1, column 4)"
        );
        let Outcome::Invalid(env) = run(MessageFormat::Text, "{{env.NOPE}}").outcome else {
            panic!("missing env")
        };
        assert!(env.contains("NOPE is not set"), "{env}");
    }

    #[test]
    fn file_bodies_are_expanded_paths() {
        assert_eq!(
            run(MessageFormat::File, " /tmp/{{room}}.bin\n").outcome,
            Outcome::File(PathBuf::from("/tmp/lobby.bin"))
        );
        assert!(matches!(
            run(MessageFormat::File, "  ").outcome,
            Outcome::Incomplete(_)
        ));
    }

    #[test]
    fn previews_are_cut_on_a_character_boundary() {
        let long = format!("{{{{room}}}}{}", "é".repeat(PREVIEW_BYTES));
        let preview = run(MessageFormat::Text, &long).preview.unwrap();
        assert!(preview.is_cut());
        assert!(preview.text.len() <= PREVIEW_BYTES);
        assert_eq!(preview.bytes, 5 + 2 * PREVIEW_BYTES);
    }

    fn run_with(format: MessageFormat, body: &str, encoding: &CheckEncoding<'_>) -> Check {
        let ctx = VarContext {
            counter: 3,
            user: &[],
            env: &|_: &str| None,
            env_policy: variables::EnvPolicy::Any,
        };
        check(key(format), body, &ctx, encoding)
    }

    #[test]
    fn encoded_formats_report_their_size_or_the_field_that_does_not_fit() {
        let msgpack = run(MessageFormat::Msgpack, r#"{"a": 1}"#);
        // fixmap of 1, "a", 1
        assert_eq!(
            msgpack.outcome,
            Outcome::Ready {
                bytes: 4,
                binary: true
            }
        );
        assert!(msgpack.json_valid);
        let bad = run(MessageFormat::Cbor, r#"{"a": }"#);
        assert!(!bad.json_valid);
        let Outcome::Invalid(why) = bad.outcome else {
            panic!("invalid JSON")
        };
        assert!(why.starts_with("Invalid JSON: line 1, column 7"), "{why}");
        let schema = crate::format::decode::ProtoSchema::from_sources(&[(
            "o.proto",
            "syntax = \"proto3\"; package demo; message Order { double price = 1; string id = 2; }",
        )])
        .unwrap();
        let order = schema.message("demo.Order").unwrap();
        let with = CheckEncoding {
            proto: Ok(Some(&order)),
            limits: Limits::new(1 << 20),
            protocol: None,
        };
        let ok = run_with(
            MessageFormat::Protobuf,
            r#"{"price": 1.5, "id": "x"}"#,
            &with,
        );
        assert_eq!(
            ok.outcome,
            Outcome::Ready {
                bytes: 12,
                binary: true
            }
        );
        let wrong = run_with(MessageFormat::Protobuf, r#"{"price": "cheap"}"#, &with);
        assert!(wrong.json_valid, "the JSON itself is fine");
        let Outcome::Invalid(why) = wrong.outcome else {
            panic!("price does not fit")
        };
        assert!(
            why.starts_with("Not sendable as Protobuf: field `price`"),
            "{why}"
        );
        let none = CheckEncoding {
            proto: Err("the .proto files are still compiling".into()),
            limits: Limits::new(1 << 20),
            protocol: None,
        };
        let Outcome::Invalid(why) = run_with(MessageFormat::Protobuf, "{}", &none).outcome else {
            panic!("no type")
        };
        assert_eq!(
            why,
            "Not sendable as Protobuf: the .proto files are still compiling"
        );
    }

    #[test]
    fn a_big_body_is_checked_as_json_and_encoded_only_when_sent() {
        let item = r#"{"id": "o1", "price": 1.25},"#;
        let many = item.repeat(ENCODE_WHILE_TYPING_MAX / item.len() + 1);
        let big = format!("[{}0]", many);
        let check = run(MessageFormat::Msgpack, &big);
        assert_eq!(
            check.outcome,
            Outcome::Deferred {
                body_bytes: big.len()
            }
        );
        assert!(check.json_valid);
        let broken = format!("[{many}");
        let Outcome::Invalid(why) = run(MessageFormat::Cbor, &broken).outcome else {
            panic!("invalid JSON")
        };
        assert!(why.starts_with("Invalid JSON: line 1, column"), "{why}");
        let text = "x".repeat(ENCODE_WHILE_TYPING_MAX + 1);
        let gzip = run(MessageFormat::Gzip, &text);
        assert_eq!(
            gzip.outcome,
            Outcome::Deferred {
                body_bytes: text.len()
            }
        );
        assert!(!gzip.json_valid);
        // Just under the bound, it is encoded as typed.
        let small = "x".repeat(ENCODE_WHILE_TYPING_MAX);
        assert!(matches!(
            run(MessageFormat::Gzip, &small).outcome,
            Outcome::Ready { binary: true, .. }
        ));
    }

    #[test]
    fn locate_counts_characters() {
        assert_eq!(locate("ab\ncé\nd", 0), (1, 1));
        assert_eq!(locate("ab\ncé\nd", 4), (2, 2));
        assert_eq!(locate("ab\ncé\nd", 6), (3, 1));
    }
}
