//! Every decoder on any payload, with small limits: none may panic, what comes out stays
//! within the limit (decompressed bytes at most `max_output`; a value's compact JSON within
//! a small multiple of it, the escapes of control characters being the most it can grow),
//! and a decompression bomb stops at the limit with `TooLarge`.
//!
//! Input: `[spec, limit, depth, messages…]`: `spec` picks from [`SPECS`] (mod its length),
//! `limit` gives `max_output = 16 << (limit % 13)` (16 B to 64 KiB), `depth` gives
//! `max_depth = 1 + depth % 130`, and the rest is one connection's messages, each a
//! little-endian `u16` length then that many bytes (the last takes what is left). One
//! [`Decoder`] reads them in order, so `zlib-stream` keeps its context across them.
//! `fuzz/seeds/make_seeds.py` writes seeds in this shape, among them gzip, zlib, deflate
//! and zlib-stream bombs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::format::decode::{
    Content, DecodeError, DecodeSpec, Decoder, Limits, ProtoSchema, ProtoType,
};
use std::sync::OnceLock;

/// The specs a seed's first byte picks from; keep the order (the seeds rely on it).
const SPECS: &[&str] = &[
    "auto",
    "msgpack",
    "cbor",
    "protobuf",
    "protobuf-raw",
    "gzip",
    "zlib",
    "deflate",
    "zlib-stream",
    "json",
    "gzip+json",
    "zlib+msgpack",
    "deflate+cbor",
    "zlib-stream+json",
    "zlib-stream+msgpack",
    "gzip+zlib+json",
    "gzip+protobuf",
];

/// The decoding tests' schema (`sockscope.test.Tick`: scalars, an enum, a map, nested and
/// recursive messages, `google.protobuf.Any`).
fn tick() -> Option<&'static ProtoType> {
    static TICK: OnceLock<Option<ProtoType>> = OnceLock::new();
    TICK.get_or_init(|| {
        let source = include_str!("../../tests/fixtures/decode/reference.proto");
        ProtoSchema::from_sources(&[("reference.proto", source)])
            .and_then(|schema| schema.message("sockscope.test.Tick"))
            .ok()
    })
    .as_ref()
}

fn messages(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        let (message, after) = rest.split_at(len.min(rest.len()));
        out.push(message);
        rest = after;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [spec, limit, depth, rest @ ..] = data else {
        return;
    };
    let spec: DecodeSpec = SPECS[usize::from(*spec) % SPECS.len()]
        .parse()
        .expect("the specs parse");
    let limits = Limits {
        max_output: 16 << (limit % 13),
        max_depth: 1 + usize::from(*depth) % 130,
    };
    let proto = tick().expect("the reference schema compiles").clone();
    let compresses = match &spec {
        DecodeSpec::Chain(steps) => steps.iter().any(|step| step.compression().is_some()
            || step.name() == "zlib-stream"),
        _ => true,
    };
    let mut decoder = Decoder::new(spec, Some(proto), limits).expect("a schema is given");
    for message in messages(rest) {
        match decoder.decode(message) {
            Ok(Some(decoded)) => {
                if compresses {
                    assert!(
                        decoded.unpacked_size <= limits.max_output.max(message.len()),
                        "{} bytes unpacked past the limit {}",
                        decoded.unpacked_size,
                        limits.max_output
                    );
                }
                match &decoded.content {
                    Content::Value(value) => {
                        let text = value.to_string();
                        assert!(
                            text.len() <= 6 * limits.max_output.max(message.len()) + 64,
                            "a value of {} bytes of JSON from a limit of {}",
                            text.len(),
                            limits.max_output
                        );
                    }
                    Content::Text(text) => assert!(text.len() <= limits.max_output.max(message.len())),
                    Content::Bytes(bytes) => assert!(bytes.len() <= limits.max_output.max(message.len())),
                }
                let _ = decoded.to_json();
            }
            Ok(None) | Err(DecodeError::Partial) => {}
            Err(err) => {
                let said = err.to_string();
                assert!(!said.is_empty());
            }
        }
    }
});
