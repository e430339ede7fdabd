//! `connect --decode SPEC` and the encoded sends (`--send-msgpack`, `--send-cbor`,
//! `--send-protobuf`, `--send-gzip`, `--send-zlib`, `--send-deflate`), as scripts use them:
//! the `decoded` object or `decode_error` on message lines, exit statuses, usage errors.
//! Payloads made by Python's reference packages are decoded through the binary, and what
//! the binary sends is read back by them.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use support::cli::{Run, messages, sockscope};
use support::demo;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name)
}

fn reference_proto() -> String {
    fixture("reference.proto").display().to_string()
}

/// The `decoded` objects of the incoming message lines, in order (`Null` where none).
fn decoded_in(run: &Run) -> Vec<Value> {
    messages(run, "in")
        .iter()
        .map(|line| line.get("decoded").cloned().unwrap_or(Value::Null))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_encoded_send_comes_back_decoded_by_the_matching_spec() {
    let server = demo().await;
    let url = server.url("/echo");
    let cases = [
        (
            "--send-msgpack",
            r#"{"op":"sub","ids":[1,2],"px":1.5}"#,
            "msgpack",
        ),
        (
            "--send-cbor",
            r#"{"op":"sub","ids":[1,2],"px":1.5}"#,
            "cbor",
        ),
        (
            "--send-zlib",
            r#"{"op":"sub","ids":[1,2],"px":1.5}"#,
            "zlib+json",
        ),
        (
            "--send-gzip",
            r#"{"op":"sub","ids":[1,2],"px":1.5}"#,
            "gzip+json",
        ),
        (
            "--send-deflate",
            r#"{"op":"sub","ids":[1,2],"px":1.5}"#,
            "deflate+json",
        ),
    ];
    let expected = json!({"op": "sub", "ids": [1, 2], "px": 1.5});
    for (flag, body, spec) in cases {
        let run = sockscope(&[
            "connect", &url, flag, body, "--decode", spec, "--wait", "300",
        ])
        .await;
        assert_eq!(run.status, 0, "{flag}: {}", run.stderr);
        let out = messages(&run, "out");
        let back = messages(&run, "in");
        assert_eq!((out.len(), back.len()), (1, 1), "{flag}: {:?}", run.lines);
        assert_eq!(out[0]["type"], "binary", "{flag}");
        assert_eq!(back[0]["hex"], out[0]["hex"], "{flag}: echoed as sent");
        for line in [out[0], back[0]] {
            assert_eq!(
                line["decoded"],
                json!({"format": spec, "value": expected}),
                "{flag}: {line}"
            );
            assert!(line.get("decode_error").is_none(), "{flag}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_is_not_json_is_decoded_as_text_and_auto_names_what_it_found() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(&[
        "connect",
        &url,
        "--send-gzip",
        "plain text ✓",
        "--send",
        r#"{"a":1}"#,
        "--send-msgpack",
        r#"{"k":[true,null]}"#,
        "--send-hex",
        "00",
        "--decode",
        "auto",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let decoded = decoded_in(&run);
    assert_eq!(
        decoded,
        [
            json!({"format": "gzip", "text": "plain text ✓"}),
            json!({"format": "json", "value": {"a": 1}}),
            json!({"format": "msgpack", "value": {"k": [true, null]}}),
            // A single zero byte matches nothing: neither field.
            Value::Null,
        ]
    );
    let last = messages(&run, "in")[3];
    assert!(last.get("decode_error").is_none(), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_an_explicit_spec_cannot_read_gets_decode_error_and_the_run_goes_on() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--send-hex",
        "c1",
        "--send-msgpack",
        "[1]",
        "--send",
        "not binary",
        "--decode",
        "msgpack",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let back = messages(&run, "in");
    assert_eq!(back.len(), 3);
    let why = back[0]["decode_error"].as_str().expect("a decode_error");
    assert!(
        why.contains("MessagePack") || why.contains("msgpack"),
        "{why}"
    );
    assert!(back[0].get("decoded").is_none());
    assert_eq!(
        back[1]["decoded"],
        json!({"format": "msgpack", "value": [1]})
    );
    // A text message is left to auto and json: neither field.
    assert!(back[2].get("decoded").is_none() && back[2].get("decode_error").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_decode_lines_have_no_new_fields() {
    let server = demo().await;
    for extra in [&[][..], &["--decode", "none"][..]] {
        let mut args = vec![
            "connect".to_owned(),
            server.url("/echo"),
            "--send-msgpack".into(),
            r#"{"a":1}"#.into(),
            "--wait".into(),
            "300".into(),
            // Uncompressed: a compressed message's line also has `wire_size`.
            "--deflate".into(),
            "off".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = sockscope(&args).await;
        assert_eq!(run.status, 0, "{}", run.stderr);
        for line in &run.lines {
            assert!(
                line.get("decoded").is_none() && line.get("decode_error").is_none(),
                "{line}"
            );
        }
        let keys: Vec<&String> = messages(&run, "in")[0]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(
            keys,
            [
                "seq", "t_ms", "event", "time", "dir", "type", "len", "hex", "attempt"
            ],
            "today's message line, field for field"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_bad_specs_and_missing_schemas_are_usage_errors_before_anything_is_sent() {
    let server = demo().await;
    let url = server.url("/echo");
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("t.proto");
    std::fs::write(
        &proto,
        "syntax = \"proto3\"; package t; message Order { string id = 1; double price = 2; }\n\
         message Other { int32 x = 1; }",
    )
    .unwrap();
    let proto = proto.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--send-msgpack", "{\"a\": }"], "--send-msgpack"),
        (vec!["--send-cbor", "[1,"], "invalid JSON"),
        (vec!["--decode", "msgpak"], "unknown decode step \"msgpak\""),
        (vec!["--decode", "msgpack+gzip"], "nothing can follow it"),
        (vec!["--decode", "protobuf"], "--proto"),
        (vec!["--send-protobuf", "{}"], "--proto"),
        (vec!["--proto", "/no/such.proto"], "--proto"),
        (
            vec!["--proto", &proto, "--send-protobuf", "{}"],
            "choose one with --message (t.Order, t.Other)",
        ),
        (
            vec!["--proto", &proto, "--message", "t.Nope"],
            "--message \"t.Nope\"",
        ),
        (
            vec![
                "--proto",
                &proto,
                "--message",
                "t.Order",
                "--send-protobuf",
                r#"{"price": "high"}"#,
            ],
            "price",
        ),
    ];
    for (extra, says) in cases {
        let mut args = vec!["connect", url.as_str(), "--wait", "0"];
        args.extend(&extra);
        let run = sockscope(&args).await;
        assert_eq!(run.status, 2, "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{extra:?}: {}", run.stderr);
        assert!(
            run.lines.is_empty(),
            "{extra:?}: nothing was sent: {:?}",
            run.lines
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_sends_and_decodes_with_a_schema_and_python_reads_what_was_sent() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--proto",
        &reference_proto(),
        "--message",
        "sockscope.test.Tick",
        "--send-protobuf",
        r#"{"symbol":"BTC-USD","price":43210.5,"volume":-5,"ids":[1,2,300],"raw":{"$bytes":"0001"},"side":"SELL"}"#,
        "--decode",
        "protobuf",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let back = messages(&run, "in");
    assert_eq!(
        back[0]["decoded"],
        json!({"format": "protobuf", "value": {
            "symbol": "BTC-USD", "price": 43210.5, "volume": -5, "ids": [1, 2, 300],
            "raw": {"$bytes": "0001"}, "side": "SELL"
        }})
    );
    let Some(python) = support::python::env(
        "protobuf_sends_and_decodes_with_a_schema_and_python_reads_what_was_sent",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let hex = back[0]["hex"].as_str().unwrap();
    let script = format!(
        "import sys; sys.path.insert(0, {dir:?}); import reference_pb2 as pb\n\
         t = pb.Tick.FromString(bytes.fromhex({hex:?}))\n\
         print(t.symbol, t.price, t.volume, list(t.ids), t.raw.hex(), pb.Side.Name(t.side))",
        dir = fixture("").display().to_string(),
    );
    let printed = python.run_code(&script);
    assert_eq!(printed.trim(), "BTC-USD 43210.5 -5 [1, 2, 300] 0001 SELL");
}

/// Every payload `reference.py` makes with msgpack, cbor2, protobuf, gzip and zlib, sent by
/// a server and decoded by the binary with the case's spec, gives the case's `decoded`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_made_by_the_reference_packages_decode_through_the_command_line() {
    let Some(python) = support::python::env(
        "payloads_made_by_the_reference_packages_decode_through_the_command_line",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let made = python.run("decode/reference.py", &["make"], "");
    // The cases of one spec (a zlib-stream's frames in order) go down one connection.
    let mut by_spec: BTreeMap<String, Vec<(String, Vec<u8>, Value)>> = BTreeMap::new();
    for line in made.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let payload = sockscope::format::hex::parse_hex(case["hex"].as_str().unwrap()).unwrap();
        by_spec
            .entry(case["spec"].as_str().unwrap().to_owned())
            .or_default()
            .push((
                case["name"].as_str().unwrap().to_owned(),
                payload,
                case["expect"].clone(),
            ));
    }
    let mut checked = 0;
    for (spec, cases) in &by_spec {
        let payloads = cases
            .iter()
            .map(|(_, payload, _)| payload.clone())
            .collect();
        let addr = support::servers::sends_binary(payloads).await;
        let url = format!("ws://{addr}/");
        let proto = reference_proto();
        let mut args = vec!["connect", url.as_str(), "--decode", spec, "--wait", "inf"];
        if spec == "protobuf" {
            args.extend(["--proto", &proto, "--message", "sockscope.test.Tick"]);
        }
        let run = sockscope(&args).await;
        assert_eq!(run.status, 0, "{spec}: {}", run.stderr);
        let lines = messages(&run, "in");
        assert_eq!(lines.len(), cases.len(), "{spec}");
        for ((name, _, expect), line) in cases.iter().zip(lines) {
            assert_eq!(line["decoded"], *expect, "{name}: {line}");
            assert!(line.get("decode_error").is_none(), "{name}: {line}");
            checked += 1;
        }
    }
    assert!(checked >= 14, "every case of reference.py ran ({checked})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_inside_a_compressed_payload_is_redacted_once_decoded() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "-H",
        "Authorization: Bearer s3cret-token",
        "--send-gzip",
        "token=Bearer s3cret-token",
        "--decode",
        "gzip",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let back = messages(&run, "in")[0];
    assert_eq!(back["decoded"]["format"], "gzip");
    let text = back["decoded"]["text"].as_str().unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert_eq!(back["redacted"], true);
    let all: String = run.lines.iter().map(Value::to_string).collect();
    assert!(!all.contains("s3cret"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_keeps_the_decode_flags_as_the_tab_settings() {
    let server = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.session.ron");
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--send-zlib",
        "{}",
        "--decode",
        "zlib+json",
        "--record",
        &file.display().to_string(),
        "--wait",
        "200",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let session = sockscope::model::session::SessionFile::load(&file).unwrap();
    assert_eq!(session.tabs[0].setup.decode.spec.to_string(), "zlib+json");
    // The wire bytes are what was kept: decoding is a view.
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("spec: \"zlib+json\""), "{text}");
}
