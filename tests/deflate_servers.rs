//! permessage-deflate (RFC 7692) against servers Sockscope did not write: Node's `ws` with
//! perMessageDeflate and Python's `websockets`, for every parameter each side can ask for;
//! context takeover over 1,000 messages; uncompressed frames on a compressed connection; a
//! deflate bomb (1009); and answers that do not fit the offer (the handshake fails).

mod support;

use std::io::{BufRead, BufReader};

use bytes::Bytes;
use serde_json::json;
use sockscope::engine::{
    ConnectionConfig, DeflateSetting, Direction, ErrorCategory, Event, EventKind, Payload,
};
use support::{close_of, connect_with, error_of, next, servers, to_close, until};

/// Messages a compressor can get wrong: repetitive text (back-references, also across
/// messages), text with multi-byte UTF-8, incompressible binary, an empty message and one
/// bigger than a 32 KiB window.
fn samples() -> Vec<Payload> {
    let sentence = "the quick brown fox jumps over the lazy dog; ";
    let noise: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let big: String = (0..6000).map(|i| format!("{i}:{sentence}")).collect();
    vec![
        Payload::Text(sentence.repeat(20).into()),
        Payload::Text("héllo wörld, ünïcödé ✓ — 日本語".repeat(10).into()),
        Payload::Binary(Bytes::from(noise)),
        Payload::Text("".into()),
        Payload::Text(big.into()),
        Payload::Text(sentence.repeat(20).into()),
    ]
}

/// Connects with `deflate`, sends every payload, waits for as many echoes; returns the
/// open event's extensions and the echoes, after a clean close.
async fn echo_through(
    url: &str,
    deflate: DeflateSetting,
    sent: &[Payload],
) -> (String, Vec<Payload>) {
    let mut config = ConnectionConfig::new(url);
    config.deflate = deflate;
    let mut handle = connect_with(&config);
    let opened = until(&mut handle, "open").await;
    let extensions = match &opened.last().expect("an open event").kind {
        EventKind::Open(open) => open.extensions.clone().unwrap_or_default(),
        _ => unreachable!(),
    };
    for payload in sent {
        match payload {
            Payload::Text(text) => handle.send_text(text.as_str()).unwrap(),
            Payload::Binary(bytes) => handle.send_binary(bytes.clone()).unwrap(),
        }
    }
    let mut echoes = Vec::new();
    while echoes.len() < sent.len() {
        let event = next(&mut handle).await;
        match event.kind {
            EventKind::Message {
                dir: Direction::In,
                payload,
            } => echoes.push(payload),
            EventKind::Close(close) => panic!("closed after {} echoes: {close:?}", echoes.len()),
            _ => {}
        }
    }
    handle.close(1000, "done").unwrap();
    let close = close_of(&to_close(&mut handle).await);
    assert_eq!((close.code, close.was_clean), (1000, true), "{close:?}");
    (extensions, echoes)
}

fn assert_same(echoes: &[Payload], sent: &[Payload], what: &str) {
    assert_eq!(echoes.len(), sent.len(), "{what}");
    for (index, (echo, sent)) in echoes.iter().zip(sent).enumerate() {
        assert!(echo == sent, "{what}: message {index} came back different");
    }
}

/// ws's perMessageDeflate options, what Sockscope offers, and the answer expected.
const WS_CASES: &[(&str, &str, &str)] = &[
    ("{}", "on", "permessage-deflate"),
    (
        r#"{"serverNoContextTakeover": true}"#,
        "on",
        "permessage-deflate; server_no_context_takeover",
    ),
    (
        r#"{"clientNoContextTakeover": true}"#,
        "on",
        "permessage-deflate; client_no_context_takeover",
    ),
    (
        r#"{"serverMaxWindowBits": 10}"#,
        "on",
        "permessage-deflate; server_max_window_bits=10",
    ),
    (
        r#"{"clientMaxWindowBits": 9}"#,
        "on",
        "permessage-deflate; client_max_window_bits=9",
    ),
    // zlib has no 8-bit raw deflate window: Sockscope compresses with 9 bits and a fresh
    // context per message, which ws reads.
    (
        r#"{"clientMaxWindowBits": 8}"#,
        "on",
        "permessage-deflate; client_max_window_bits=8",
    ),
    (
        r#"{"serverNoContextTakeover": true, "clientNoContextTakeover": true, "serverMaxWindowBits": 9, "clientMaxWindowBits": 11}"#,
        "on",
        // (ws writes client_max_window_bits first; the open event shows the header as sent.)
        "permessage-deflate; client_max_window_bits=11; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9",
    ),
    // Sockscope's own offer asks for everything; ws accepts it as offered.
    (
        "{}",
        "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_ws_every_parameter_combination_round_trips() {
    let Some(node) = support::node::env("node_ws_every_parameter_combination_round_trips") else {
        return;
    };
    for (options, offer, answer) in WS_CASES {
        let mut server = node.server("deflate_server.js", &[options]);
        let url = format!("ws://127.0.0.1:{}/echo", server.port);
        let setting = DeflateSetting::parse(offer).unwrap();
        let (extensions, echoes) = echo_through(&url, setting, &samples()).await;
        assert_eq!(
            server.next_line().as_deref(),
            Some(&*format!("answered {answer}"))
        );
        assert_eq!(extensions, *answer, "ws {options}, offer {offer}");
        assert_same(&echoes, &samples(), &format!("ws {options}, offer {offer}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_sends_no_offer_and_ws_compresses_nothing() {
    let Some(node) = support::node::env("off_sends_no_offer_and_ws_compresses_nothing") else {
        return;
    };
    let mut server = node.server("deflate_server.js", &["{}"]);
    let url = format!("ws://127.0.0.1:{}/echo", server.port);
    let (extensions, echoes) = echo_through(&url, DeflateSetting::Off, &samples()).await;
    assert_eq!(server.next_line().as_deref(), Some("answered nothing"));
    assert_eq!(extensions, "");
    assert_same(&echoes, &samples(), "off");
}

/// 1,000 messages that mostly repeat each other, each direction keeping its context.
fn thousand() -> Vec<Payload> {
    (0..1000)
        .map(|i| {
            Payload::Text(
                format!(
                    "{{\"seq\":{i},\"symbol\":\"BTC-USD\",\"side\":\"buy\",\"qty\":{}}}",
                    i % 7
                )
                .into(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_ws_context_takeover_holds_over_a_thousand_messages() {
    let Some(node) = support::node::env("node_ws_context_takeover_holds_over_a_thousand_messages")
    else {
        return;
    };
    let server = node.server("deflate_server.js", &["{}"]);
    let url = format!("ws://127.0.0.1:{}/echo", server.port);
    let (extensions, echoes) = echo_through(&url, DeflateSetting::On, &thousand()).await;
    assert_eq!(extensions, "permessage-deflate");
    assert_same(&echoes, &thousand(), "1,000 messages through ws");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncompressed_frames_on_a_compressed_connection_are_read_as_they_are() {
    let Some(node) = support::node::env("uncompressed_frames_on_a_compressed_connection") else {
        return;
    };
    let server = node.server("deflate_server.js", &["{}"]);
    let mut config = ConnectionConfig::new(format!("ws://127.0.0.1:{}/plain", server.port));
    config.deflate = DeflateSetting::On;
    let mut handle = connect_with(&config);
    let mut texts = Vec::new();
    while texts.len() < 4 {
        if let EventKind::Message { payload, .. } = next(&mut handle).await.kind {
            texts.push(payload_text(&payload));
        }
    }
    assert_eq!(texts, ["plain 1", "plain 2", "plain 3", "compressed 4"]);
    handle.close(1000, "").unwrap();
    assert_eq!(close_of(&to_close(&mut handle).await).code, 1000);
}

fn payload_text(payload: &Payload) -> String {
    match payload {
        Payload::Text(text) => text.as_str().to_owned(),
        Payload::Binary(bytes) => format!("{bytes:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deflate_bomb_closes_1009_before_inflating_it_all() {
    let Some(node) = support::node::env("a_deflate_bomb_closes_1009") else {
        return;
    };
    let server = node.server("deflate_server.js", &["{}"]);
    // 64 MiB of zeros: about 64 KiB on the wire.
    let url = format!("ws://127.0.0.1:{}/bomb?size={}", server.port, 64 << 20);
    let mut config = ConnectionConfig::new(url);
    config.max_message_size = 1 << 20;
    let mut handle = connect_with(&config);
    let events = to_close(&mut handle).await;
    let close = close_of(&events);
    assert_eq!((close.code, close.was_clean), (1009, false), "{close:?}");
    assert!(
        close
            .reason
            .contains("inflates past the limit of 1048576 bytes"),
        "{}",
        close.reason
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Message { .. }))
    );
}

/// websockets' ServerPerMessageDeflateFactory arguments, what Sockscope offers, and the
/// answer expected.
const WEBSOCKETS_CASES: &[(&str, &str, &str)] = &[
    ("{}", "on", "permessage-deflate"),
    (
        r#"{"server_no_context_takeover": true}"#,
        "on",
        "permessage-deflate; server_no_context_takeover",
    ),
    (
        r#"{"client_no_context_takeover": true}"#,
        "on",
        "permessage-deflate; client_no_context_takeover",
    ),
    (
        r#"{"server_max_window_bits": 10}"#,
        "on",
        "permessage-deflate; server_max_window_bits=10",
    ),
    (
        r#"{"client_max_window_bits": 9}"#,
        "on",
        "permessage-deflate; client_max_window_bits=9",
    ),
    (
        r#"{"server_no_context_takeover": true, "client_no_context_takeover": true, "server_max_window_bits": 12, "client_max_window_bits": 10}"#,
        "on",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10",
    ),
    (
        "{}",
        "server_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12",
    ),
];

/// Starts tests/fixtures/deflate_server.py with `arguments`; its port.
fn python_server(
    python: &support::python::PythonEnv,
    arguments: &str,
) -> (std::process::Child, u16) {
    let mut child = python.spawn("deflate_server.py", &[arguments]);
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server prints its port");
    let port = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("deflate_server.py said {line:?}"));
    (child, port)
}

/// Kills the Python server when the test ends, whichever way.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websockets_every_parameter_combination_round_trips() {
    let Some(python) = support::python::env(
        "python_websockets_every_parameter_combination_round_trips",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    for (arguments, offer, answer) in WEBSOCKETS_CASES {
        let (child, port) = python_server(&python, arguments);
        let _server = Killed(child);
        let url = format!("ws://127.0.0.1:{port}/");
        let setting = DeflateSetting::parse(offer).unwrap();
        let (extensions, echoes) = echo_through(&url, setting, &samples()).await;
        assert_eq!(extensions, *answer, "websockets {arguments}, offer {offer}");
        assert_same(
            &echoes,
            &samples(),
            &format!("websockets {arguments}, offer {offer}"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websockets_context_takeover_holds_over_a_thousand_messages() {
    let Some(python) = support::python::env(
        "python_websockets_context_takeover_holds_over_a_thousand_messages",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let (child, port) = python_server(&python, "{}");
    let _server = Killed(child);
    let url = format!("ws://127.0.0.1:{port}/");
    let (extensions, echoes) = echo_through(&url, DeflateSetting::On, &thousand()).await;
    assert_eq!(extensions, "permessage-deflate");
    assert_same(&echoes, &thousand(), "1,000 messages through websockets");
}

/// Connects with `deflate` to a server answering `answer`; the handshake error's message.
async fn refused(answer: &'static str, deflate: DeflateSetting) -> String {
    let addr = servers::answers_extensions(answer).await;
    let mut config = ConnectionConfig::new(format!("ws://{addr}/"));
    config.deflate = deflate;
    let events: Vec<Event> = to_close(&mut connect_with(&config)).await;
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::Open(_))));
    let close = close_of(&events);
    assert_eq!((close.code, close.was_clean), (1006, false));
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Protocol);
    error.message
}

#[tokio::test]
async fn an_answer_with_parameters_that_were_not_offered_fails_the_handshake() {
    let offer = DeflateSetting::parse("client_no_context_takeover").unwrap();
    let message = refused("permessage-deflate; client_max_window_bits=10", offer).await;
    assert!(
        message.contains("client_max_window_bits=10, which was not offered")
            && message.contains("RFC 7692"),
        "{message}"
    );
    let message = refused(
        "permessage-deflate; server_max_window_bits=7",
        DeflateSetting::On,
    )
    .await;
    assert!(message.contains("server_max_window_bits=7"), "{message}");
    let message = refused("permessage-deflate; mystery=1", DeflateSetting::On).await;
    assert!(
        message.contains("unknown parameter \"mystery\""),
        "{message}"
    );
    let message = refused("x-webkit-deflate-frame", DeflateSetting::On).await;
    assert!(
        message.contains("\"x-webkit-deflate-frame\", which was not requested"),
        "{message}"
    );
    let offer = DeflateSetting::parse("server_max_window_bits=10").unwrap();
    let message = refused("permessage-deflate; server_max_window_bits=12", offer).await;
    assert!(message.contains("more than the 10 offered"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_offers_what_deflate_says_and_shows_the_answer() {
    let Some(node) = support::node::env("the_command_line_offers_what_deflate_says") else {
        return;
    };
    let server = node.server("deflate_server.js", &[r#"{"clientMaxWindowBits": 10}"#]);
    let url = format!("ws://127.0.0.1:{}/echo", server.port);
    let repeated = "abc".repeat(300);
    let run = support::cli::sockscope(&[
        "connect", &url, "--send", "hello", "--send", &repeated, "--wait", "500",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let open = run
        .lines
        .iter()
        .find(|l| l["event"] == "open")
        .expect("an open line");
    assert_eq!(
        open["extensions"],
        json!("permessage-deflate; client_max_window_bits=10")
    );
    assert_eq!(
        open["request_headers"]["sec-websocket-extensions"],
        json!("permessage-deflate; client_max_window_bits")
    );
    let texts: Vec<_> = support::cli::messages(&run, "in")
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, [json!("hello"), json!(repeated)]);
    // The size on the wire beside the size, both ways: 900 bytes of "abc" travel in a few.
    for dir in ["out", "in"] {
        let lines = support::cli::messages(&run, dir);
        let long = lines
            .iter()
            .find(|m| m["len"] == 900)
            .expect("the long message");
        let wire = long["wire_size"].as_u64().expect("a wire_size");
        assert!(wire < 50, "{dir}: {long}");
    }

    let run = support::cli::sockscope(&[
        "connect",
        &url,
        "--deflate",
        "off",
        "--send",
        "x",
        "--wait",
        "300",
    ])
    .await;
    let open = run
        .lines
        .iter()
        .find(|l| l["event"] == "open")
        .expect("an open line");
    assert_eq!(open["extensions"], json!(null));
    let lines: Vec<_> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "message")
        .collect();
    assert_eq!(lines.len(), 2, "x and its echo");
    assert!(
        lines.iter().all(|l| l.get("wire_size").is_none()),
        "{lines:?}"
    );
    assert!(
        open["request_headers"]
            .get("sec-websocket-extensions")
            .is_none()
    );

    let run =
        support::cli::sockscope(&["connect", &url, "--deflate", "server_max_window_bits=99"]).await;
    assert_eq!(run.status, 2, "a bad --deflate is a usage error");
    assert!(
        run.stderr.contains("--deflate") && run.stderr.contains("8 to 15"),
        "{}",
        run.stderr
    );
}
