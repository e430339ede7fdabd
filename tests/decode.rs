//! The decoding library (src/format/decode) against implementations someone else wrote
//! (Python's msgpack, cbor2, protobuf, gzip and zlib), property tests that encoding then
//! decoding is the identity, and its bounds: a decompression bomb and deep nesting.

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Value, json};
use sockscope::format::decode::{
    Compression, Content, DecodeError, DecodeSpec, Decoder, EncodeError, Limits, ProtoSchema,
    ProtoType, SchemaError, ZlibStreamEncoder, compress, encode,
};

const LIMITS: Limits = Limits {
    max_output: 16 << 20,
    max_depth: 127,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name)
}

/// The test schema's `sockscope.test.<name>`.
fn proto(name: &str) -> ProtoType {
    ProtoSchema::compile(&[fixture("reference.proto")], &[])
        .expect("the fixture compiles")
        .message(&format!("sockscope.test.{name}"))
        .expect("the fixture has the message")
}

fn decoder(spec: &str) -> Decoder {
    let spec: DecodeSpec = spec.parse().expect("a valid spec");
    let proto =
        matches!(&spec, DecodeSpec::Chain(steps) if steps.iter().any(|s| s.name() == "protobuf"))
            .then(|| proto("Tick"));
    Decoder::new(spec, proto, LIMITS).expect("a decoder")
}

// ---- Other implementations ----------------------------------------------------------------

#[test]
fn payloads_from_python_decode_and_ours_read_back_in_python() {
    let Some(python) = support::python::env(
        "payloads_from_python_decode_and_ours_read_back_in_python",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let made = python.run("decode/reference.py", &["make"], "");
    let mut decoders: HashMap<String, Decoder> = HashMap::new();
    let mut senders: HashMap<String, ZlibStreamEncoder> = HashMap::new();
    let mut asks = String::new();
    let mut count = 0;
    for line in made.lines() {
        let case: Value = serde_json::from_str(line).expect("a JSON line");
        let name = case["name"].as_str().expect("name");
        let spec = case["spec"].as_str().expect("spec");
        let payload =
            sockscope::format::hex::parse_hex(case["hex"].as_str().expect("hex")).expect("hex");
        // Decode what Python made.
        let key = case["stream"]
            .as_str()
            .map_or(name.to_owned(), str::to_owned);
        let decoder = decoders.entry(key.clone()).or_insert_with(|| decoder(spec));
        match decoder.decode(&payload) {
            Ok(Some(decoded)) => assert_eq!(decoded.to_json(), case["expect"], "{name}"),
            Ok(None) => panic!("{name}: nothing decoded"),
            Err(DecodeError::Partial) => assert!(case["expect"].is_null(), "{name}: held"),
            Err(err) => panic!("{name}: {err}"),
        }
        count += 1;
        if !case["encode"].as_bool().unwrap_or(false) {
            continue;
        }
        // Encode the expected value back, for Python to read.
        let expect = &case["expect"];
        let content = match (expect.get("value"), expect.get("text")) {
            (Some(value), _) => Content::Value(value.clone()),
            (_, Some(text)) => Content::Text(text.as_str().expect("text").to_owned()),
            _ => panic!("{name}: expect has neither value nor text"),
        };
        let ours = if spec.starts_with("zlib-stream") {
            let Content::Value(value) = &content else {
                panic!("{name}")
            };
            senders
                .entry(key)
                .or_default()
                .push(value.to_string().as_bytes())
        } else {
            let ty = (spec == "protobuf").then(|| proto("Tick"));
            encode(&spec.parse().expect("spec"), &content, ty.as_ref(), LIMITS)
                .unwrap_or_else(|err| panic!("{name}: {err}"))
        };
        asks.push_str(
            &json!({"name": name, "hex": sockscope::format::hex::to_hex(&ours)}).to_string(),
        );
        asks.push('\n');
    }
    assert!(count >= 14, "every case of reference.py ran ({count})");
    let checked = python.run("decode/reference.py", &["check"], &asks);
    let mut read_back = 0;
    for line in checked.lines() {
        let report: Value = serde_json::from_str(line).expect("a JSON line");
        assert_eq!(
            report["ok"],
            json!(true),
            "Python could not read ours: {report}"
        );
        read_back += 1;
    }
    assert_eq!(
        read_back,
        asks.lines().count(),
        "every encoding was checked"
    );
}

// ---- Protobuf with a schema -------------------------------------------------------------

#[test]
fn a_field_that_does_not_fit_is_an_error_naming_it() {
    let tick = proto("Tick");
    let err = |value: Value| {
        sockscope::format::decode::encode_protobuf(&value, &tick, LIMITS)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(json!({"price": "abc"})),
        "field `price`: expected a number (double), got \"abc\""
    );
    assert_eq!(
        err(json!({"inner": {"children": [{"note": "a"}, {"nope": 1}]}})),
        "field `inner.children[1].nope`: sockscope.test.Inner has no such field"
    );
    assert_eq!(
        err(json!({"ids": [1, -1]})),
        "field `ids[1]`: expected a uint32, got -1"
    );
    assert_eq!(
        err(json!({"side": "SIDEWAYS"})),
        "field `side`: expected a value of sockscope.test.Side, got \"SIDEWAYS\""
    );
    assert_eq!(
        err(json!({"extra": {"@type": "type.googleapis.com/nowhere.Thing"}})),
        "field `extra.@type`: nowhere.Thing is not in the .proto files"
    );
    assert_eq!(
        err(json!([1])),
        "field `(the message)`: expected an object for sockscope.test.Tick, got [1]"
    );
}

#[test]
fn json_names_and_string_integers_are_accepted() {
    let tick = proto("Tick");
    let bytes = sockscope::format::decode::encode_protobuf(
        &json!({"symbol": "X", "volume": "-9007199254740993", "side": 1, "live": null}),
        &tick,
        LIMITS,
    )
    .unwrap();
    assert_eq!(
        sockscope::format::decode::decode_protobuf(&bytes, &tick, LIMITS).unwrap(),
        json!({"symbol": "X", "volume": -9007199254740993_i64, "side": "BUY"})
    );
}

#[test]
fn schema_problems_are_clear() {
    let schema = ProtoSchema::from_sources(&[(
        "a.proto",
        "syntax = \"proto3\"; message A { int32 x = 1; }",
    )])
    .unwrap();
    assert_eq!(schema.message_names(), ["A"]);
    assert_eq!(
        schema.message("B").unwrap_err(),
        SchemaError::UnknownMessage {
            name: "B".into(),
            known: "A".into()
        }
    );
    let err =
        ProtoSchema::from_sources(&[("bad.proto", "syntax = \"proto3\"; message {")]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the .proto files do not compile"),
        "{err}"
    );
    let err = ProtoSchema::compile(&[fixture("missing.proto")], &[]).unwrap_err();
    assert!(matches!(err, SchemaError::Compile(_)), "{err}");
    // Without a message type, a protobuf chain is refused up front.
    let err = Decoder::new("protobuf".parse().unwrap(), None, LIMITS).unwrap_err();
    assert_eq!(
        err.to_string(),
        "protobuf needs a Protobuf schema and message type (--proto and --message)"
    );
}

#[test]
fn auto_tries_the_schema_before_guessing() {
    let tick = proto("Tick");
    let bytes = sockscope::format::decode::encode_protobuf(
        &json!({"symbol": "X", "live": true}),
        &tick,
        LIMITS,
    )
    .unwrap();
    let found = sockscope::format::decode::detect(&bytes, Some(&tick), LIMITS)
        .unwrap()
        .unwrap();
    assert_eq!(found.format(), "protobuf");
    assert_eq!(
        found.reason.as_deref(),
        Some("the whole payload decodes as sockscope.test.Tick")
    );
    let guessed = sockscope::format::decode::detect(&bytes, None, LIMITS)
        .unwrap()
        .unwrap();
    assert_eq!(guessed.format(), "protobuf-raw");
    assert_eq!(
        guessed.to_json(),
        json!({"format": "protobuf-raw", "value": {"1": "X", "11": 1}})
    );
}

#[test]
fn unknown_fields_and_unknown_any_types_are_shown_not_dropped() {
    // Tick with field 99 (varint 5), and an Any whose type the schema lacks.
    let mut payload = vec![0x98, 0x06, 0x05];
    let any = [
        0x0a, 0x0b, b'x', b'/', b'n', b'o', b'.', b'S', b'u', b'c', b'h', b'_', b'T', 0x12, 0x01,
        0x08,
    ];
    payload.push(0x4a);
    payload.push(any.len() as u8);
    payload.extend_from_slice(&any);
    assert_eq!(
        sockscope::format::decode::decode_protobuf(&payload, &proto("Tick"), LIMITS).unwrap(),
        json!({"extra": {"@type": "x/no.Such_T", "value": {"$bytes": "08"}}, "$unknown": {"99": 5}})
    );
}

#[test]
fn bytes_written_in_capitals_come_back_in_the_canonical_lowercase() {
    // Found by the encode_value fuzz target: `$bytes` hex is read in either case (people
    // paste capitals), and decoding writes it in lowercase, the same bytes.
    let typed = json!([{"$bytes": "00Af"}]);
    for spec in ["msgpack", "cbor", "zlib+msgpack"] {
        let bytes = encode(
            &spec.parse().unwrap(),
            &Content::Value(typed.clone()),
            None,
            LIMITS,
        )
        .unwrap();
        assert_eq!(
            round_trip(spec, &typed),
            json!([{"$bytes": "00af"}]),
            "{spec}"
        );
        assert_eq!(
            encode(
                &spec.parse().unwrap(),
                &Content::Value(json!([{"$bytes": "00af"}])),
                None,
                LIMITS
            )
            .unwrap(),
            bytes,
            "{spec}"
        );
    }
}

// ---- Bounds ---------------------------------------------------------------------------

#[test]
fn a_gzip_bomb_stops_at_the_message_size_limit() {
    // 1 GiB of zeros, gzipped: about 1 MB on the wire.
    let mut packer = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0; 1 << 20];
    for _ in 0..1024 {
        packer.write_all(&zeros).unwrap();
    }
    let bomb = packer.finish().unwrap();
    assert!(
        bomb.len() < 2 << 20,
        "the bomb is small: {} bytes",
        bomb.len()
    );
    let limits = Limits::new(64 << 20);
    for spec in ["gzip", "gzip+json", "auto"] {
        let mut decoder = Decoder::new(spec.parse().unwrap(), None, limits).unwrap();
        let err = decoder.decode(&bomb).unwrap_err();
        assert_eq!(
            err.to_string(),
            "gzip: the decoded output passes the limit of 67108864 bytes",
            "{spec}"
        );
    }
}

#[test]
fn many_small_values_are_refused_before_they_are_built() {
    // Tick.ids (repeated uint32, packed) with 4 Mi one-byte values: 4 MiB on the wire,
    // about 128 MiB as prost-reflect values.
    let count = 4 << 20;
    let mut payload = vec![0x22, 0x80, 0x80, 0x80, 0x02];
    payload.resize(5 + count, 0x01);
    let limits = Limits::new(64 << 20);
    let err =
        sockscope::format::decode::decode_protobuf(&payload, &proto("Tick"), limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "protobuf: the decoded output passes the limit of 67108864 bytes"
    );
    // The same as MessagePack (an array32 of 4 Mi nils) and as JSON text.
    let mut msgpack = vec![0xdd, 0x00, 0x40, 0x00, 0x00];
    msgpack.resize(5 + count, 0xc0);
    let json_text = format!("[{}0]", "0,".repeat(count));
    for (spec, payload) in [
        ("msgpack", msgpack.as_slice()),
        ("json", json_text.as_bytes()),
    ] {
        let mut decoder = Decoder::new(spec.parse().unwrap(), None, limits).unwrap();
        let err = decoder.decode(payload).unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { .. }), "{spec}: {err}");
    }
}

#[test]
fn deep_nesting_is_an_error_in_every_format() {
    let depth = 100_000;
    let json_text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let gz = compress(Compression::Gzip, json_text.as_bytes());
    let msgpack = vec![0x91; depth];
    let cbor = vec![0x81; depth];
    for (spec, payload) in [
        ("gzip+json", gz.as_slice()),
        ("json", json_text.as_bytes()),
        ("msgpack", &msgpack),
        ("cbor", &cbor),
    ] {
        let err = decoder(spec).decode(payload).unwrap_err();
        assert!(matches!(err, DecodeError::TooDeep { .. }), "{spec}: {err}");
        assert!(
            err.to_string().contains("nested deeper than 127 levels"),
            "{err}"
        );
    }
    // Protobuf: Inner { children: [Inner { children: [ … ] }] } 5000 levels deep.
    let mut inner: Vec<u8> = Vec::new();
    for _ in 0..5000 {
        let mut outer = vec![0x12];
        let mut len = inner.len();
        while len >= 0x80 {
            outer.push((len as u8) | 0x80);
            len >>= 7;
        }
        outer.push(len as u8);
        outer.extend_from_slice(&inner);
        inner = outer;
    }
    let err =
        sockscope::format::decode::decode_protobuf(&inner, &proto("Inner"), LIMITS).unwrap_err();
    assert!(err.to_string().starts_with("not protobuf"), "{err}");
    assert!(
        sockscope::format::decode::decode_protobuf_raw(&inner, LIMITS).is_ok(),
        "raw guesses stop at the limit"
    );
    // And encoding refuses a value nested past the limit.
    let deep: Value =
        serde_json::from_str(&format!("{}{}", "[".repeat(120), "]".repeat(120))).unwrap();
    let mut deeper = deep;
    for _ in 0..20 {
        deeper = json!([deeper]);
    }
    let err = encode(
        &"msgpack".parse().unwrap(),
        &Content::Value(deeper),
        None,
        LIMITS,
    )
    .unwrap_err();
    assert!(matches!(err, EncodeError::Invalid { .. }), "{err}");
}

// ---- Encode then decode is the identity --------------------------------------------------

/// A map key: empty, ASCII or any printable Unicode, never starting with `$` (the prefix of
/// the decoded shape's own objects).
fn key() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{0,6}", "[^$\\p{C}]\\PC{0,6}"]
}

/// Any JSON value without `$` keys, with `$bytes` objects among the leaves when `bytes`:
/// integers across both 64-bit ranges, finite floats of every magnitude, Unicode strings,
/// nested arrays and objects.
fn json_value(bytes: bool) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(move |raw| {
            if bytes {
                sockscope::format::decode::bytes_value(&raw)
            } else {
                Value::String(sockscope::format::hex::to_hex(&raw))
            }
        }),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A `sockscope.test.Inner` tree as its decoded JSON: a note (set, so never empty) and
/// children only when there are some (proto3 leaves empty fields out).
fn inner_message() -> impl Strategy<Value = Value> {
    let leaf = "\\PC{1,8}".prop_map(|note| json!({ "note": note }));
    leaf.prop_recursive(5, 32, 4, |inner| {
        ("\\PC{1,8}", proptest::collection::vec(inner, 1..4))
            .prop_map(|(note, children)| json!({"note": note, "children": children}))
    })
}

fn round_trip(spec: &str, value: &Value) -> Value {
    let content = Content::Value(value.clone());
    let bytes = encode(&spec.parse().unwrap(), &content, None, LIMITS).unwrap();
    match decoder(spec)
        .decode(&bytes)
        .unwrap()
        .map(|decoded| decoded.content)
    {
        Some(Content::Value(value)) => value,
        other => panic!("{spec}: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_then_decode_is_the_identity(value in json_value(true)) {
        for spec in ["msgpack", "cbor", "gzip+msgpack", "zlib+cbor", "deflate+msgpack"] {
            prop_assert_eq!(&round_trip(spec, &value), &value, "{}", spec);
        }
    }

    #[test]
    fn json_chains_are_the_identity(value in json_value(false)) {
        for spec in ["json", "gzip+json", "zlib+json", "deflate+json", "gzip+zlib+json"] {
            prop_assert_eq!(&round_trip(spec, &value), &value, "{}", spec);
        }
    }

    #[test]
    fn compressing_text_or_bytes_is_the_identity(
        text in "\\PC{0,200}",
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        value in json_value(false),
    ) {
        // The JSON text of a value, any text, and bytes that need not be UTF-8.
        let inputs = [
            Content::Text(value.to_string()),
            Content::Text(text),
            Content::from_bytes(raw),
        ];
        for spec in ["gzip", "zlib", "deflate", "gzip+zlib", "zlib+deflate"] {
            for input in &inputs {
                let bytes = encode(&spec.parse().unwrap(), input, None, LIMITS).unwrap();
                let decoded = decoder(spec).decode(&bytes).unwrap().map(|decoded| decoded.content);
                prop_assert_eq!(decoded.as_ref(), Some(input), "{}", spec);
            }
        }
    }

    #[test]
    fn zlib_stream_is_the_identity_message_after_message(values in proptest::collection::vec(json_value(true), 1..6)) {
        let mut sender = ZlibStreamEncoder::new();
        let mut receiver = decoder("zlib-stream+msgpack");
        for value in &values {
            let packed = encode(&"msgpack".parse().unwrap(), &Content::Value(value.clone()), None, LIMITS).unwrap();
            let decoded = receiver.decode(&sender.push(&packed)).unwrap().unwrap();
            prop_assert_eq!(decoded.content, Content::Value(value.clone()));
        }
    }

    #[test]
    fn protobuf_is_the_identity_for_set_fields(
        symbol in "\\PC{1,10}",
        price in any::<f64>().prop_filter("finite, not zero", |f| f.is_finite() && *f != 0.0),
        volume in any::<i64>().prop_filter("not zero", |n| *n != 0),
        ids in proptest::collection::vec(any::<u32>(), 0..5),
        raw in proptest::collection::vec(any::<u8>(), 1..8),
        side in prop_oneof![Just("BUY"), Just("SELL")],
        counts in proptest::collection::btree_map("[a-z]{1,4}", any::<i32>(), 0..4),
    ) {
        let tick = proto("Tick");
        let mut value = json!({
            "symbol": symbol, "price": price, "volume": volume,
            "raw": sockscope::format::decode::bytes_value(&raw), "side": side, "live": true,
            "inner": {"note": "n", "children": [{"note": "c"}]},
        });
        if !ids.is_empty() {
            value["ids"] = json!(ids);
        }
        if !counts.is_empty() {
            value["counts"] = json!(counts);
        }
        let bytes = sockscope::format::decode::encode_protobuf(&value, &tick, LIMITS).unwrap();
        let back = sockscope::format::decode::decode_protobuf(&bytes, &tick, LIMITS).unwrap();
        prop_assert_eq!(back, value);
    }

    #[test]
    fn protobuf_is_the_identity_for_generated_messages(
        tree in inner_message(),
        delta in any::<i64>().prop_filter("not zero", |n| *n != 0),
        ratio in any::<f32>().prop_filter("finite, not zero", |f| f.is_finite() && *f != 0.0),
        counts in proptest::collection::btree_map("\\PC{1,4}", any::<i32>().prop_filter("not zero", |n| *n != 0), 0..4),
        symbol in "\\PC{0,10}",
    ) {
        // Every field kind of the test schema: recursion (Inner), sint64, float, a map,
        // and a string that may be empty (then unset, so absent once decoded).
        let tick = proto("Tick");
        let mut value = json!({"delta": delta, "ratio": f64::from(ratio), "inner": tree});
        if !symbol.is_empty() {
            value["symbol"] = json!(symbol);
        }
        if !counts.is_empty() {
            value["counts"] = json!(counts);
        }
        let bytes = sockscope::format::decode::encode_protobuf(&value, &tick, LIMITS).unwrap();
        let back = decoder("protobuf").decode(&bytes).unwrap().unwrap().content;
        prop_assert_eq!(back, Content::Value(value));
    }

    #[test]
    fn no_decoder_panics_on_noise(payload in proptest::collection::vec(any::<u8>(), 0..256)) {
        let tick = proto("Tick");
        for spec in ["auto", "msgpack", "cbor", "protobuf-raw", "gzip", "zlib", "deflate", "zlib-stream", "json"] {
            let _ = Decoder::new(spec.parse().unwrap(), None, LIMITS).unwrap().decode(&payload);
        }
        let _ = sockscope::format::decode::decode_protobuf(&payload, &tick, LIMITS);
        let _ = sockscope::format::decode::detect(&payload, Some(&tick), LIMITS);
    }
}
