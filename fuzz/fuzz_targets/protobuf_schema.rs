//! Any text as a `.proto` file: compiling it never panics; when it compiles, every message
//! it lists can be looked up, and decoding a few fixed payloads and encoding `{}` with each
//! never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use sockscope::format::decode::{Limits, ProtoSchema, decode_protobuf, encode_protobuf};

const LIMITS: Limits = Limits {
    max_output: 4096,
    max_depth: 32,
};

/// A varint, a length-delimited field (also a nested message), a fixed64 and a fixed32.
const PAYLOADS: &[&[u8]] = &[
    b"",
    b"\x08\x96\x01",
    b"\x12\x03abc",
    b"\x0a\x02\x08\x01\x19\x00\x00\x00\x00\x00\x00\xf0\x3f\x25\x00\x00\x80\x3f",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schema) = ProtoSchema::from_sources(&[("fuzz.proto", text)]) else {
        return;
    };
    for name in schema.message_names() {
        let ty = schema.message(&name).expect("a listed message exists");
        for payload in PAYLOADS {
            let _ = decode_protobuf(payload, &ty, LIMITS);
        }
        let _ = encode_protobuf(&json!({}), &ty, LIMITS);
    }
});
