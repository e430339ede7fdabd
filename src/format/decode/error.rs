//! Why a payload could not be decoded, or a value not encoded.

use super::spec::Step;

/// Why a payload did not decode. The text names the format and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The output would pass the limit (a decompression bomb, or a huge value).
    #[error("{format}: the decoded output passes the limit of {limit} bytes")]
    TooLarge {
        /// The step that was decoding.
        format: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The value nests deeper than the limit.
    #[error("{format}: nested deeper than {limit} levels")]
    TooDeep {
        /// The step that was decoding.
        format: &'static str,
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// The payload is not valid in this format.
    #[error("not {format}: {why}")]
    Invalid {
        /// The step that was decoding.
        format: &'static str,
        /// What is wrong, as the underlying decoder said it.
        why: String,
    },
    /// The payload decoded, but its value has no JSON shape (a repeated or colliding key).
    #[error("{format}: {why}")]
    Shape {
        /// The step that was decoding.
        format: &'static str,
        /// What does not fit.
        why: String,
    },
    /// A step needs something the decoder was not given (a Protobuf message type).
    #[error("{0} needs a Protobuf schema and message type (--proto and --message)")]
    NoSchema(Step),
    /// A `zlib-stream` message does not end with `00 00 ff ff`: it is held until the rest
    /// of it comes.
    #[error("zlib-stream: the message does not end with 00 00 ff ff; held for the next one")]
    Partial,
    /// An earlier `zlib-stream` message failed, so the connection's context is lost.
    #[error("zlib-stream: the stream broke at an earlier message; reconnect to read it again")]
    StreamBroken,
}

/// Why a value could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A field of the value does not fit the chosen Protobuf message type.
    #[error("field `{path}`: {why}")]
    Field {
        /// Where the field is, e.g. `order.items[2].price`.
        path: String,
        /// What does not fit.
        why: String,
    },
    /// The value cannot be written in this format.
    #[error("{format}: {why}")]
    Invalid {
        /// The format being written.
        format: &'static str,
        /// What does not fit.
        why: String,
    },
    /// The step takes text (compression alone) or a value, and got the other.
    #[error("{0}")]
    WrongInput(String),
    /// A step needs a Protobuf message type that was not given.
    #[error("{0} needs a Protobuf schema and message type (--proto and --message)")]
    NoSchema(Step),
    /// The step cannot encode (`protobuf-raw`, `auto`, `zlib-stream` outside its encoder).
    #[error("{0} cannot encode")]
    CannotEncode(String),
}
