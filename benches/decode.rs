//! Decode throughput per format: Sockscope's decoders (`format::decode`, what the window
//! and `connect --decode` run on every message) beside the crate each one is built on,
//! decoding the same payloads: rmpv for MessagePack, ciborium for CBOR, prost-reflect's
//! `DynamicMessage` for Protobuf, flate2 then serde_json for gzip+json and zlib-stream+json,
//! serde_json for JSON. Two payloads per format: a market tick of about 200 bytes (the demo
//! server's `/msgpack` tick) and an order-book snapshot of about 64 KiB (the same tick
//! with 1,500 levels a side). `auto` is timed on each payload too (detection, then the
//! decode).
//!
//!   cargo bench --bench decode           (prints a Markdown table)
//!   cargo bench --bench decode -- cbor   (only rows naming "cbor")
//!
//! Each row is the median of [`ROUNDS`] rounds of at least [`ROUND_TIME`] each; a round
//! decodes the payload over and over (a `zlib-stream` round decodes its 64 messages in
//! order from a fresh context, as a connection would).

/// The allocator the `sockscope` binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sockscope::format::decode::{
    Compression, DecodeSpec, Decoder, Limits, ProtoSchema, ProtoType, ZlibStreamEncoder,
    bytes_value, compress, encode_cbor, encode_msgpack, encode_protobuf,
};

const ROUNDS: usize = 5;
const ROUND_TIME: Duration = Duration::from_millis(300);
/// Messages in a `zlib-stream` round: one connection's worth, decoded in order.
const STREAM_MESSAGES: usize = 64;
/// The connection's message size limit the decoders get (the engine's default, 64 MiB).
const LIMITS: Limits = Limits {
    max_output: 64 << 20,
    max_depth: 127,
};

/// The demo server's tick (`sockscope.demo.Tick`, see `saved_sessions/demo.proto`) with
/// `levels` price levels a side; `bytes` makes `trade_id` bytes rather than hex text.
fn tick(seq: u64, levels: u64, bytes: bool) -> Value {
    let price = 43_125.0 + (seq % 64) as f64 / 8.0;
    let level = |step: u64, sign: f64| json!({"price": price + sign * step as f64 / 2.0, "size": ((seq + step) * 7 % 80 + 1) as f64 / 8.0});
    let id = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes();
    json!({
        "seq": seq,
        "symbol": "BTC-USD",
        "price": price,
        "size": ((seq * 13) % 40 + 1) as f64 / 8.0,
        "side": if seq % 2 == 1 { "BUY" } else { "SELL" },
        "timestamp": "2026-12-06T09:00:00.125Z",
        "bids": (1..=levels).map(|s| level(s, -1.0)).collect::<Vec<_>>(),
        "asks": (1..=levels).map(|s| level(s, 1.0)).collect::<Vec<_>>(),
        "trade_id": if bytes { bytes_value(&id) } else { Value::String(sockscope::format::hex::to_hex(&id)) },
    })
}

/// A size class: its name and the levels a side that make it.
const SIZES: &[(&str, u64)] = &[("~200 B", 1), ("~64 KiB", 1500)];

/// One timed thing: a name, the wire bytes of one iteration, the messages in it, and the
/// work.
struct Case<'a> {
    format: String,
    size: &'static str,
    who: &'static str,
    wire: usize,
    messages: usize,
    run: Box<dyn FnMut() + 'a>,
}

/// Median seconds per iteration of `case`.
fn time(case: &mut Case) -> f64 {
    let mut rounds = Vec::with_capacity(ROUNDS);
    (case.run)(); // warm up
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut iterations = 0u64;
        while started.elapsed() < ROUND_TIME {
            (case.run)();
            iterations += 1;
        }
        rounds.push(started.elapsed().as_secs_f64() / iterations as f64);
    }
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn ours<'a>(spec: &str, proto: &'a ProtoType, payload: &'a [u8]) -> Box<dyn FnMut() + 'a> {
    let spec: DecodeSpec = spec.parse().expect("a spec");
    let mut decoder = Decoder::new(spec, Some(proto.clone()), LIMITS).expect("a decoder");
    Box::new(move || {
        let decoded = decoder.decode(black_box(payload)).expect("decodes");
        assert!(decoded.is_some());
        black_box(decoded);
    })
}

fn main() {
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let source = include_str!("../saved_sessions/demo.proto");
    let schema = ProtoSchema::from_sources(&[("demo.proto", source)]).expect("compiles");
    let proto = schema.message("sockscope.demo.Tick").expect("the Tick");
    let pool = {
        let mut compiler = protox::Compiler::new(["saved_sessions"]).expect("a compiler");
        compiler.open_file("demo.proto").expect("compiles");
        compiler.descriptor_pool()
    };
    let desc = pool
        .get_message_by_name("sockscope.demo.Tick")
        .expect("the Tick");

    let mut results: Vec<(String, &str, &str, usize, f64, usize)> = Vec::new();
    for &(size, levels) in SIZES {
        let value = tick(7, levels, true);
        let text = tick(7, levels, false).to_string().into_bytes();
        let msgpack = encode_msgpack(&value, LIMITS).expect("msgpack");
        let cbor = encode_cbor(&value, LIMITS).expect("cbor");
        let protobuf = encode_protobuf(&value, &proto, LIMITS).expect("protobuf");
        let gzip = compress(Compression::Gzip, &text);
        let mut sender = ZlibStreamEncoder::new();
        let stream: Vec<Vec<u8>> = (1..=STREAM_MESSAGES as u64)
            .map(|seq| sender.push(tick(seq, levels, false).to_string().as_bytes()))
            .collect();
        let stream_wire: usize = stream.iter().map(Vec::len).sum();

        let mut cases: Vec<Case> = Vec::new();
        let mut add = |format: &str, who, wire, messages, run| {
            cases.push(Case {
                format: format.to_owned(),
                size,
                who,
                wire,
                messages,
                run,
            })
        };
        // MessagePack
        add(
            "msgpack",
            "sockscope",
            msgpack.len(),
            1,
            ours("msgpack", &proto, &msgpack),
        );
        add(
            "msgpack",
            "auto",
            msgpack.len(),
            1,
            ours("auto", &proto, &msgpack),
        );
        add(
            "msgpack",
            "rmpv",
            msgpack.len(),
            1,
            Box::new(|| {
                let value =
                    rmpv::decode::read_value(&mut black_box(msgpack.as_slice())).expect("rmpv");
                black_box(value);
            }),
        );
        // CBOR
        add(
            "cbor",
            "sockscope",
            cbor.len(),
            1,
            ours("cbor", &proto, &cbor),
        );
        add("cbor", "auto", cbor.len(), 1, ours("auto", &proto, &cbor));
        add(
            "cbor",
            "ciborium",
            cbor.len(),
            1,
            Box::new(|| {
                let value: ciborium::Value =
                    ciborium::from_reader(black_box(cbor.as_slice())).expect("ciborium");
                black_box(value);
            }),
        );
        // Protobuf
        add(
            "protobuf",
            "sockscope",
            protobuf.len(),
            1,
            ours("protobuf", &proto, &protobuf),
        );
        add(
            "protobuf",
            "auto",
            protobuf.len(),
            1,
            ours("auto", &proto, &protobuf),
        );
        add(
            "protobuf-raw",
            "sockscope",
            protobuf.len(),
            1,
            ours("protobuf-raw", &proto, &protobuf),
        );
        let desc = desc.clone();
        let bare_proto = protobuf.clone();
        add(
            "protobuf",
            "prost-reflect",
            protobuf.len(),
            1,
            Box::new(move || {
                let message = prost_reflect::DynamicMessage::decode(
                    desc.clone(),
                    black_box(bare_proto.as_slice()),
                )
                .expect("prost-reflect");
                black_box(message);
            }),
        );
        // gzip + JSON
        add(
            "gzip+json",
            "sockscope",
            gzip.len(),
            1,
            ours("gzip+json", &proto, &gzip),
        );
        add(
            "gzip+json",
            "auto",
            gzip.len(),
            1,
            ours("auto", &proto, &gzip),
        );
        add(
            "gzip+json",
            "flate2 + serde_json",
            gzip.len(),
            1,
            Box::new(|| {
                let mut out = Vec::new();
                flate2::read::MultiGzDecoder::new(black_box(gzip.as_slice()))
                    .read_to_end(&mut out)
                    .expect("gzip");
                let value: Value = serde_json::from_slice(&out).expect("json");
                black_box(value);
            }),
        );
        // zlib-stream + JSON: a connection's messages in order, from a fresh context.
        let stream_ref = &stream;
        add(
            "zlib-stream+json",
            "sockscope",
            stream_wire,
            STREAM_MESSAGES,
            Box::new(move || {
                let mut decoder =
                    Decoder::new("zlib-stream+json".parse().expect("spec"), None, LIMITS)
                        .expect("decoder");
                for message in stream_ref {
                    black_box(decoder.decode(black_box(message)).expect("decodes"));
                }
            }),
        );
        add(
            "zlib-stream+json",
            "flate2 + serde_json",
            stream_wire,
            STREAM_MESSAGES,
            Box::new(move || {
                let mut inflate = flate2::Decompress::new(true);
                let mut buf = vec![0u8; 256 << 10];
                for message in stream_ref {
                    let before = inflate.total_out();
                    inflate
                        .decompress(black_box(message), &mut buf, flate2::FlushDecompress::Sync)
                        .expect("inflate");
                    let made = (inflate.total_out() - before) as usize;
                    let value: Value = serde_json::from_slice(&buf[..made]).expect("json");
                    black_box(value);
                }
            }),
        );
        // JSON
        add(
            "json",
            "sockscope",
            text.len(),
            1,
            ours("json", &proto, &text),
        );
        add("json", "auto", text.len(), 1, ours("auto", &proto, &text));
        add(
            "json",
            "serde_json",
            text.len(),
            1,
            Box::new(|| {
                let value: Value =
                    serde_json::from_slice(black_box(text.as_slice())).expect("json");
                black_box(value);
            }),
        );

        for mut case in cases {
            let name = format!("{} {} {}", case.format, case.size, case.who);
            if only.as_deref().is_some_and(|only| !name.contains(only)) {
                continue;
            }
            let seconds = time(&mut case);
            eprintln!("{name}: {:.2} µs", seconds * 1e6);
            results.push((
                case.format,
                case.size,
                case.who,
                case.wire,
                seconds,
                case.messages,
            ));
        }
    }

    println!(
        "| format | payload | decoder | wire bytes/msg | msgs/s | MB/s (wire) | vs bare crate |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: |");
    for (format, size, who, wire, seconds, messages) in &results {
        let bare = results
            .iter()
            .find(|(f, s, w, ..)| f == format && s == size && !matches!(*w, "sockscope" | "auto"))
            .map(|r| r.4);
        let ratio = match (who, bare) {
            (&"sockscope" | &"auto", Some(bare)) => format!("{:.2}x", bare / seconds),
            (&"sockscope" | &"auto", None) => "—".to_owned(),
            _ => "1.00x".to_owned(),
        };
        println!(
            "| {format} | {size} | {who} | {} | {:.0} | {:.1} | {ratio} |",
            wire / messages,
            *messages as f64 / seconds,
            *wire as f64 / seconds / 1e6,
        );
    }
}
