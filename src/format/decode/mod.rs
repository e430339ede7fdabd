//! Binary payloads as JSON, and JSON back as binary payloads: MessagePack, CBOR, Protobuf
//! (with a schema compiled at run time, or without one like `protoc --decode_raw`), gzip,
//! zlib, raw deflate and the per-connection `zlib-stream`, alone or chained (`gzip+json`,
//! `zlib+msgpack`). Pure functions (and one small stateful struct for `zlib-stream`): no
//! UI, no I/O besides reading `.proto` files when a schema is compiled.
//!
//! # The JSON shape of a decoded value
//! Decoded values are [`serde_json::Value`]s. What JSON has no word for is written as a
//! one-key (or two-key) object whose keys start with `$`, and the encoders read them back:
//! - bytes: `{"$bytes": "<lowercase hex>"}` (the command line's contract);
//! - a float that is not finite: `{"$float": "NaN" | "inf" | "-inf"}`;
//! - a CBOR integer outside 64 bits: `{"$int": "<decimal>"}`;
//! - a CBOR tag: `{"$tag": <number>, "$value": <value>}`;
//! - a MessagePack extension: `{"$ext": <type>, "$bytes": "<hex>"}`.
//!
//! Map keys that are not strings (MessagePack and CBOR allow any value) are written as
//! their compact JSON text (`1` becomes `"1"`); a map whose keys collide that way, or that
//! repeats a key, is an error rather than a value that silently lost an entry. Text that is
//! not UTF-8 where a string was announced is written as bytes.
//!
//! # Bounds
//! Every decoder takes [`Limits`]: the output may not pass `max_output` bytes (the
//! decompressed bytes, or the compact JSON text of a value, counting `$bytes` hex at two
//! characters a byte), and values may not nest deeper than `max_depth` levels. A
//! decompression bomb stops at the limit with [`DecodeError::TooLarge`]; deep nesting is
//! [`DecodeError::TooDeep`], never a stack overflow.
//!
//! # Auto-detection
//! [`detect`] says which chain a payload looks like, and why, in words a person can check.
//! The rules, in order (the first that holds wins):
//! 1. An empty payload is nothing.
//! 2. Valid UTF-8 that parses as JSON is `json` (so `[1]` is JSON, never MessagePack).
//! 3. `1f 8b 08` is gzip, `78 01|5e|9c|da` (any valid zlib header) is zlib, when the whole
//!    payload inflates; what comes out is detected again (at most three layers).
//! 4. Other valid UTF-8 without control characters (but tab, CR, LF) is text: nothing to
//!    decode.
//! 5. CBOR's self-describe tag `d9 d9 f7` is CBOR.
//! 6. The whole payload is one MessagePack map or array: `msgpack`.
//! 7. The whole payload is one CBOR map or array (or a tag around one): `cbor`.
//! 8. With a Protobuf schema, the whole payload decodes as that message, with no field the
//!    schema lacks: `protobuf`.
//! 9. The whole payload inflates as raw deflate to UTF-8 text: `deflate`.
//! 10. The whole payload parses as Protobuf fields: `protobuf-raw` (a guess, said so).
//!
//! Scalars alone are never detected as MessagePack or CBOR (almost any byte is one).
//! `zlib-stream` is never detected: it needs every message of the connection, in order.

mod cbor;
mod compress;
mod decoder;
mod detect;
mod error;
mod json;
mod msgpack;
mod protobuf;
mod protobuf_raw;
mod spec;
mod value;
mod zlib_stream;

pub use cbor::{decode_cbor, encode_cbor};
pub use compress::{compress, decompress};
pub use decoder::{Content, Decoded, Decoder, encode};
pub use detect::detect;
pub use error::{DecodeError, EncodeError};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use protobuf::{ProtoSchema, ProtoType, SchemaError, decode_protobuf, encode_protobuf};
pub use protobuf_raw::decode_protobuf_raw;
pub use spec::{Compression, DecodeSpec, MAX_STEPS, SpecError, Step};
pub use value::bytes_value;
pub use zlib_stream::{SYNC_FLUSH_SUFFIX, ZlibStream, ZlibStreamEncoder};

/// How much a decoder may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of output: decompressed bytes, or a value's compact JSON text. Callers
    /// pass the connection's message size limit.
    pub max_output: usize,
    /// The deepest nesting of a decoded value (arrays, objects, messages).
    pub max_depth: usize,
}

/// The limits the decoders' unit tests use: 1 MiB of output, the JSON views' depth.
#[cfg(test)]
const TEST_LIMITS: Limits = Limits {
    max_output: 1 << 20,
    max_depth: 127,
};

impl Limits {
    /// `max_output` bytes, and the JSON views' depth ([`super::json::MAX_DEPTH`]).
    pub fn new(max_output: usize) -> Self {
        Limits {
            max_output,
            max_depth: super::json::MAX_DEPTH,
        }
    }
}
