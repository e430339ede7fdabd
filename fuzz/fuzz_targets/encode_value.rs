//! Any JSON text, encoded in every format that takes a value, then decoded: the same value
//! back, or a clean error on encoding; never a panic, never a payload our own decoder
//! refuses. A value holding `$` objects (`{"$bytes": "00AF"}`) may come back in the
//! decoders' canonical spelling (`"00af"`, found by this target): then it must mean the
//! same, i.e. encoding what was decoded gives the very same bytes. Protobuf (the decoding tests' `sockscope.test.Tick`) normalises what it takes
//! (JSON names, integers as strings, `null`, defaults), so there decoding is checked to be
//! a fixed point: encoding what was decoded decodes to the same value. The text itself also
//! goes through gzip, zlib and raw deflate and must come back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sockscope::format::decode::{
    Content, DecodeSpec, Decoder, Limits, ProtoSchema, ProtoType, encode,
};
use std::sync::OnceLock;

const LIMITS: Limits = Limits {
    max_output: 1 << 20,
    max_depth: 127,
};

/// Chains that encode a value and decode it back to the same value.
const VALUE_SPECS: &[&str] = &[
    "msgpack",
    "cbor",
    "json",
    "gzip+json",
    "zlib+msgpack",
    "deflate+cbor",
];

/// Chains that compress text.
const TEXT_SPECS: &[&str] = &["gzip", "zlib", "deflate", "gzip+deflate"];

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

fn decode(spec: &DecodeSpec, bytes: &[u8], proto: Option<&ProtoType>) -> Content {
    let mut decoder = Decoder::new(spec.clone(), proto.cloned(), LIMITS).expect("a decoder");
    match decoder.decode(bytes) {
        Ok(Some(decoded)) => decoded.content,
        other => panic!("{spec}: our own encoding does not decode: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for spec in TEXT_SPECS {
        let spec: DecodeSpec = spec.parse().expect("a spec");
        let input = Content::Text(text.to_owned());
        let bytes = encode(&spec, &input, None, LIMITS).expect("text always compresses");
        assert_eq!(decode(&spec, &bytes, None), input, "{spec}");
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let input = Content::Value(value);
    for spec in VALUE_SPECS {
        let spec: DecodeSpec = spec.parse().expect("a spec");
        if let Ok(bytes) = encode(&spec, &input, None, LIMITS) {
            let back = decode(&spec, &bytes, None);
            if back != input {
                assert!(text.contains('$'), "{spec}: {back:?} is not {input:?}");
                let again = encode(&spec, &back, None, LIMITS).expect("a decoded value encodes");
                assert_eq!(again, bytes, "{spec}: {back:?} does not mean {input:?}");
            }
        }
    }
    let proto = tick().expect("the reference schema compiles");
    let spec: DecodeSpec = "protobuf".parse().expect("a spec");
    if let Ok(bytes) = encode(&spec, &input, Some(proto), LIMITS) {
        let once = decode(&spec, &bytes, Some(proto));
        let again = encode(&spec, &once, Some(proto), LIMITS).expect("a decoded value encodes");
        assert_eq!(decode(&spec, &again, Some(proto)), once);
    }
});
