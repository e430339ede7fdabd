//! Protocol decoding throughput: what the window and `connect --protocol` run on every
//! message of a protocol tab (`protocol::Decoder::decode`), beside a bare `serde_json`
//! parse of the same frame's JSON (the least any viewer of it does). One typical incoming
//! frame per protocol, about 150-200 bytes: a Socket.IO event, a GraphQL `next`, a JSON-RPC
//! response (paired with its request, which is decoded too), a STOMP `MESSAGE` and an MQTT
//! QoS 1 `PUBLISH` with a JSON payload.
//!
//!   cargo bench --bench protocol           (prints a Markdown table)
//!
//! Each row is the median of [`ROUNDS`] rounds of at least [`ROUND_TIME`] each.

/// The allocator the `sockscope` binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use sockscope::engine::{Direction, Payload};
use sockscope::protocol::{Decoder, ProtocolKind, ProtocolSettings};
use tokio_tungstenite::tungstenite::Utf8Bytes;

const ROUNDS: usize = 5;
const ROUND_TIME: Duration = Duration::from_millis(300);

/// The JSON every frame carries: a market tick.
fn tick(seq: u64) -> String {
    format!(
        r#"{{"seq":{seq},"symbol":"BTC-USD","price":43125.5,"size":1.25,"side":"BUY","timestamp":"2026-12-06T09:00:00.125Z"}}"#
    )
}

fn text(text: String) -> Payload {
    Payload::Text(Utf8Bytes::from(text))
}

/// An MQTT 3.1.1 PUBLISH, QoS 1, packet id 7, on `demo/tick`.
fn mqtt_publish(payload: &str) -> Payload {
    let topic = b"demo/tick";
    let mut body = Vec::new();
    body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    body.extend_from_slice(topic);
    body.extend_from_slice(&7u16.to_be_bytes());
    body.extend_from_slice(payload.as_bytes());
    let mut packet = vec![0x32];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        packet.push(byte);
        if len == 0 {
            break;
        }
    }
    packet.extend_from_slice(&body);
    Payload::Binary(Bytes::from(packet))
}

/// One case: the protocol, the frames a round decodes in order (the first ones may only
/// set the decoder up), and the JSON text a bare parse reads.
struct Case {
    name: &'static str,
    kind: ProtocolKind,
    subprotocol: Option<&'static str>,
    /// Frames sent before the measured one (a request to pair a response with).
    before: Vec<(Direction, Payload)>,
    frame: Payload,
    json: String,
}

fn cases() -> Vec<Case> {
    let body = tick(42);
    vec![
        Case {
            name: "Socket.IO event",
            kind: ProtocolKind::SocketIo,
            subprotocol: None,
            before: Vec::new(),
            frame: text(format!(r#"42["tick",{body}]"#)),
            json: format!(r#"["tick",{body}]"#),
        },
        Case {
            name: "GraphQL next",
            kind: ProtocolKind::Graphql,
            subprotocol: Some("graphql-transport-ws"),
            before: Vec::new(),
            frame: text(format!(
                r#"{{"id":"1","type":"next","payload":{{"data":{{"tick":{body}}}}}}}"#
            )),
            json: format!(r#"{{"id":"1","type":"next","payload":{{"data":{{"tick":{body}}}}}}}"#),
        },
        Case {
            name: "JSON-RPC request + response",
            kind: ProtocolKind::JsonRpc,
            subprotocol: None,
            before: vec![(
                Direction::Out,
                text(r#"{"jsonrpc":"2.0","id":1,"method":"tick","params":[]}"#.to_owned()),
            )],
            frame: text(format!(r#"{{"jsonrpc":"2.0","id":1,"result":{body}}}"#)),
            json: format!(r#"{{"jsonrpc":"2.0","id":1,"result":{body}}}"#),
        },
        Case {
            name: "STOMP MESSAGE",
            kind: ProtocolKind::Stomp,
            subprotocol: Some("v12.stomp"),
            before: Vec::new(),
            frame: text(format!(
                "MESSAGE\ndestination:/topic/tick\nsubscription:sub-0\nmessage-id:42\ncontent-type:application/json\n\n{body}\0"
            )),
            json: body.clone(),
        },
        Case {
            name: "MQTT PUBLISH (QoS 1)",
            kind: ProtocolKind::Mqtt,
            subprotocol: Some("mqtt"),
            before: Vec::new(),
            frame: mqtt_publish(&body),
            json: body.clone(),
        },
    ]
}

/// Frames per second over one round of at least [`ROUND_TIME`].
fn round(mut step: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < ROUND_TIME {
        for _ in 0..256 {
            step();
        }
        done += 256;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn main() {
    println!(
        "| frame | bytes | Sockscope decoder (frames/s) | ns per frame | serde_json parse (frames/s) | ratio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for case in cases() {
        let settings = ProtocolSettings::new(case.kind);
        let decoder_rate = median(
            (0..ROUNDS)
                .map(|_| {
                    round(|| {
                        // A fresh decoder per frame would overstate the cost of a stream;
                        // one per round that sees the set-up frames once would hide the
                        // pairing. Each step decodes the set-up frames and the frame.
                        let mut decoder = Decoder::new(&settings);
                        decoder.on_open(case.subprotocol);
                        for (dir, payload) in &case.before {
                            black_box(decoder.decode(*dir, payload, Duration::ZERO));
                        }
                        black_box(decoder.decode(
                            Direction::In,
                            black_box(&case.frame),
                            Duration::from_millis(1),
                        ));
                    })
                })
                .collect(),
        );
        let parse_rate = median(
            (0..ROUNDS)
                .map(|_| {
                    round(|| {
                        black_box(serde_json::from_str::<Value>(black_box(&case.json)).ok());
                    })
                })
                .collect(),
        );
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.2} |",
            case.name,
            case.frame.len(),
            decoder_rate,
            1e9 / decoder_rate,
            parse_rate,
            decoder_rate / parse_rate
        );
    }
}
