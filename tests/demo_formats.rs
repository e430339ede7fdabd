//! The demo server's format paths (`/msgpack`, `/cbor`, `/protobuf`, `/gzip`, `/deflate`,
//! `/zlib-stream`) read by libraries that are not Sockscope's (Python's msgpack, cbor2,
//! protobuf, gzip and zlib) and by Sockscope's own decoders, which must agree; and the
//! command line's `--decode` on them, as the README shows it.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sockscope::demo_server::{DEMO_MESSAGE, DemoServer};
use sockscope::format::decode::{
    DecodeSpec, Decoder, Limits, ProtoSchema, ProtoType, SYNC_FLUSH_SUFFIX,
};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const LIMITS: Limits = Limits {
    max_output: 16 << 20,
    max_depth: 127,
};

/// `saved_sessions/demo.proto`, the file the README tells people to load.
fn demo_proto() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("saved_sessions/demo.proto")
}

/// `sockscope.demo.Tick`, compiled from the file on disk as a user's tab would.
fn demo_tick() -> ProtoType {
    ProtoSchema::compile(&[demo_proto()], &[])
        .expect("saved_sessions/demo.proto compiles")
        .message(DEMO_MESSAGE)
        .expect("it has sockscope.demo.Tick")
}

/// One connection to `path`: its binary messages, in order, and the close frame's code and
/// reason. A text message fails the test.
async fn messages(server: &DemoServer, path: &str) -> (Vec<Vec<u8>>, (u16, String)) {
    let (mut ws, _) = connect_async(server.url(path))
        .await
        .unwrap_or_else(|err| panic!("{path}: {err}"));
    let mut got = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("{path}: nothing for 10 s"));
        match next {
            Some(Ok(Message::Binary(bytes))) => got.push(bytes.to_vec()),
            Some(Ok(Message::Close(frame))) => {
                let frame = frame.expect("a close code");
                return (got, (u16::from(frame.code), frame.reason.to_string()));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("{path}: expected binary messages then a close, got {other:?}"),
        }
    }
}

/// What our decoder makes of one connection's messages: the `decoded` objects.
fn ours(spec: &str, messages: &[Vec<u8>]) -> Vec<Value> {
    let spec: DecodeSpec = spec.parse().expect("a spec");
    let mut decoder = Decoder::new(spec, Some(demo_tick()), LIMITS).expect("a decoder");
    messages
        .iter()
        .map(|message| match decoder.decode(message) {
            Ok(Some(decoded)) => decoded.to_json(),
            other => panic!("not decoded: {other:?}"),
        })
        .collect()
}

/// `FORMAT`, what our chain for it is, and what `auto` calls it.
const PATHS: &[(&str, &str, &str)] = &[
    ("msgpack", "msgpack", "msgpack"),
    ("cbor", "cbor", "cbor"),
    ("protobuf", "protobuf", "protobuf"),
    ("gzip", "gzip+json", "gzip+json"),
    ("deflate", "deflate+json", "deflate+json"),
    ("zlib-stream", "zlib-stream+json", ""),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_path_reads_the_same_in_python_and_in_sockscope() {
    let Some(python) = support::python::env(
        "every_format_path_reads_the_same_in_python_and_in_sockscope",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let server = support::demo().await;
    // google.protobuf builds the message class from a descriptor set of the shipped file.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let descriptors = dir.path().join("demo.pb");
    let mut compiler =
        protox::Compiler::new([demo_proto().parent().expect("a folder")]).expect("a compiler");
    compiler
        .open_file("demo.proto")
        .expect("demo.proto compiles");
    std::fs::write(&descriptors, compiler.encode_file_descriptor_set()).expect("write");
    let descriptors = descriptors.to_str().expect("a UTF-8 path");

    for (format, spec, auto) in PATHS {
        let path = format!("/{format}?count=4");
        let (got, close) = messages(&server, &path).await;
        assert_eq!(close, (1000, "done".to_owned()), "{path}");
        assert_eq!(got.len(), 4, "{path}");
        if *format == "zlib-stream" {
            assert!(
                got.iter().all(|m| m.ends_with(&SYNC_FLUSH_SUFFIX)),
                "{path}"
            );
        }

        let hex: String = got
            .iter()
            .map(|m| format!("{}\n", sockscope::format::hex::to_hex(m)))
            .collect();
        let theirs: Vec<Value> = python
            .run("demo/read_demo.py", &[format, descriptors], &hex)
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        let decoded = ours(spec, &got);
        assert_eq!(theirs.len(), 4, "{path}: Python read every message");
        for (seq, (theirs, decoded)) in theirs.iter().zip(&decoded).enumerate() {
            assert_eq!(decoded["format"], json!(spec), "{path}");
            assert_eq!(&decoded["value"], theirs, "{path}: message {seq}");
            // What a person sees: the tick, in order, with its bytes where the format has
            // bytes and hex text where it is JSON.
            let tick = &decoded["value"];
            assert_eq!(tick["seq"], json!(seq + 1), "{path}");
            assert!(tick["symbol"].as_str().is_some_and(|s| s.ends_with("-USD")));
            assert_eq!(tick["bids"].as_array().map(Vec::len), Some(3), "{path}");
            let id = &tick["trade_id"];
            if spec.ends_with("json") {
                assert!(
                    id.as_str().is_some_and(|hex| hex.len() == 16),
                    "{path}: {id}"
                );
            } else {
                assert!(
                    id["$bytes"].as_str().is_some_and(|h| h.len() == 16),
                    "{path}: {id}"
                );
            }
        }

        // Auto-detection names the chain (zlib-stream is never guessed: it needs the
        // connection's first message and every one after, in order).
        let detected: Vec<String> = {
            let mut decoder = Decoder::new(DecodeSpec::Auto, Some(demo_tick()), LIMITS).unwrap();
            got.iter()
                .map(|m| {
                    decoder
                        .decode(m)
                        .ok()
                        .flatten()
                        .map(|d| d.format())
                        .unwrap_or_default()
                })
                .collect()
        };
        assert!(
            detected.iter().all(|f| f == auto),
            "{path}: auto says {detected:?}"
        );
    }
}

#[tokio::test]
async fn without_count_the_ticks_go_on_until_the_client_closes() {
    let server = support::demo().await;
    let (mut ws, _) = connect_async(server.url("/cbor")).await.expect("connects");
    let mut seen = 0;
    while seen < 3 {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Binary(_)))) => seen += 1,
            other => panic!("expected ticks, got {other:?}"),
        }
    }
    ws.close(None).await.expect("the close is sent");
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => break,
            Ok(Some(Ok(_))) => {}
            other => panic!("expected the close to be answered, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_decodes_the_protobuf_path_with_the_shipped_schema() {
    let server = support::demo().await;
    let url = server.url("/protobuf?count=2");
    let proto = demo_proto();
    let run = support::cli::sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--decode",
        "protobuf",
        "--proto",
        proto.to_str().expect("a UTF-8 path"),
        "--message",
        DEMO_MESSAGE,
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let decoded: Vec<&Value> = run
        .lines
        .iter()
        .filter(|line| line["event"] == "message")
        .map(|line| &line["decoded"])
        .collect();
    assert_eq!(decoded.len(), 2, "{:?}", run.lines);
    for (n, decoded) in decoded.iter().enumerate() {
        assert_eq!(decoded["format"], "protobuf");
        assert_eq!(decoded["value"]["seq"], json!(n + 1));
        assert_eq!(
            decoded["value"]["side"],
            if n == 0 { "BUY" } else { "SELL" }
        );
        assert!(decoded["value"]["trade_id"]["$bytes"].is_string());
    }
    // And the zlib-stream path with the chain the README gives.
    let url = server.url("/zlib-stream?count=3");
    let run = support::cli::sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--decode",
        "zlib-stream+json",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let seqs: Vec<&Value> = run
        .lines
        .iter()
        .filter(|line| line["event"] == "message")
        .map(|line| &line["decoded"]["value"]["seq"])
        .collect();
    assert_eq!(seqs, [&json!(1), &json!(2), &json!(3)], "{:?}", run.lines);
}
