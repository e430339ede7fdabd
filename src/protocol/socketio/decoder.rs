//! The viewer's half: each frame as a unit, acks paired with the event they answer (with
//! the round trip), binary packets whole once their attachments have arrived.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::binary::resolve;
use super::options::Options;
use super::packet::{EnginePacket, Kind, Packet, parse_engine, parse_open};
use super::refusal;
use super::session::{NO_OPEN, PING_TIMEOUT};
use super::units::{args_summary, connect_error_message, engine_unit, in_namespace};
use crate::engine::{Direction, Payload};
use crate::protocol::Unit;

/// Events waiting for their ack are remembered up to this many (the oldest go first).
const MAX_ASKED: usize = 4096;

/// A binary packet whose attachments are still coming.
#[derive(Debug)]
struct Pending {
    packet: Packet,
    attachments: Vec<Bytes>,
}

/// An event that asked for an ack.
#[derive(Debug)]
struct Asked {
    event: String,
    at: Duration,
}

/// One attempt's decoding state.
#[derive(Debug)]
pub struct Decoder {
    v3: bool,
    /// Per direction (in, out): the binary packet being completed.
    pending: [Option<Box<Pending>>; 2],
    /// Events asking for an ack, by (the event went out, namespace, id).
    asked: BTreeMap<(bool, String, u64), Asked>,
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::In => 0,
        Direction::Out => 1,
    }
}

impl Decoder {
    /// A fresh decoder.
    pub fn new(options: &Options) -> Self {
        Self {
            v3: options.engine_v3(),
            pending: [None, None],
            asked: BTreeMap::new(),
        }
    }

    /// The unit a frame carries; `None` for a binary packet until its last attachment.
    pub fn decode(&mut self, dir: Direction, payload: &Payload, offset: Duration) -> Option<Unit> {
        match payload {
            Payload::Binary(bytes) => self.attachment(dir, bytes, offset),
            Payload::Text(text) => {
                // A text message ends any binary packet still waiting (it will not complete).
                self.pending[side(dir)] = None;
                self.text(dir, text.as_str(), offset)
            }
        }
    }

    /// What a refused upgrade means: a server that offers only long-polling, or does not
    /// speak this Engine.IO version, is explained.
    pub fn on_refusal(&mut self, status: u16, body: &[u8]) -> Option<Unit> {
        refusal::unit(status, &String::from_utf8_lossy(body), self.v3)
    }

    /// What the WebSocket's close means: Sockscope's own close after a silent server or a
    /// missing open packet is explained.
    pub fn on_close(&mut self, _code: u16, reason: &str) -> Option<Unit> {
        if reason == PING_TIMEOUT {
            let mut unit = Unit::new(json!({"type": "ping_timeout"}), "ping timeout");
            unit.problem = Some(
                "the server sent nothing for pingInterval + pingTimeout: Sockscope gave up on it"
                    .into(),
            );
            return Some(unit);
        }
        if reason.starts_with(NO_OPEN) {
            let mut unit = Unit::new(json!({"type": "no_open"}), "no Engine.IO open packet");
            unit.problem = Some(reason.to_owned());
            unit.refused = true;
            return Some(unit);
        }
        None
    }

    fn attachment(&mut self, dir: Direction, bytes: &Bytes, offset: Duration) -> Option<Unit> {
        let Some(pending) = &mut self.pending[side(dir)] else {
            return Some(Unit::malformed(
                "a binary message that no BINARY_EVENT or BINARY_ACK announced",
            ));
        };
        // Engine.IO 3 starts a binary message with its packet type, 4.
        let bytes = match (self.v3, bytes.first()) {
            (true, Some(4)) => bytes.slice(1..),
            _ => bytes.clone(),
        };
        pending.attachments.push(bytes);
        if pending.attachments.len() < pending.packet.attachments {
            return None;
        }
        let pending = self.pending[side(dir)].take()?;
        Some(self.packet_unit(dir, pending.packet, &pending.attachments, offset))
    }

    fn text(&mut self, dir: Direction, text: &str, offset: Duration) -> Option<Unit> {
        let packet = match parse_engine(text) {
            Ok(packet) => packet,
            Err(error) => return Some(Unit::malformed(error)),
        };
        Some(match packet {
            EnginePacket::Message(text) => match Packet::parse(text) {
                Ok(packet) if packet.kind.is_binary() && packet.attachments > 0 => {
                    // The unit comes whole with the last attachment.
                    self.pending[side(dir)] = Some(Box::new(Pending {
                        packet,
                        attachments: Vec::new(),
                    }));
                    return None;
                }
                Ok(packet) => self.packet_unit(dir, packet, &[], offset),
                Err(error) => Unit::malformed(error),
            },
            EnginePacket::Open(json) => match parse_open(json) {
                Ok(open) => engine_unit(&packet, Some(&open)),
                Err(error) => Unit::malformed(error),
            },
            other => engine_unit(&other, None),
        })
    }

    fn packet_unit(
        &mut self,
        dir: Direction,
        packet: Packet,
        attachments: &[Bytes],
        offset: Duration,
    ) -> Unit {
        let data = match &packet.data {
            Some(data) if packet.kind.is_binary() => match resolve(data, attachments) {
                Ok(data) => Some(data),
                Err(error) => return Unit::malformed(error),
            },
            data => data.clone(),
        };
        let packet = Packet { data, ..packet };
        let namespace = packet.namespace.clone();
        let unit = match packet.kind {
            Kind::Connect => connect_unit(dir, &packet),
            Kind::Disconnect => {
                let mut unit = Unit::new(
                    json!({"type": "disconnect", "namespace": namespace}),
                    format!("disconnect {namespace}"),
                );
                if dir == Direction::In {
                    unit.problem = Some(format!("the server left namespace {namespace}"));
                }
                unit
            }
            Kind::ConnectError => {
                let message = connect_error_message(packet.data.as_ref());
                let mut fields = json!({
                    "type": "connect_error",
                    "namespace": namespace,
                    "message": message,
                });
                if let (Value::Object(map), Some(Value::Object(data))) = (&mut fields, &packet.data)
                    && let Some(extra) = data.get("data")
                {
                    map.insert("data".into(), extra.clone());
                }
                let mut unit = Unit::new(fields, format!("connect_error {namespace}: {message}"));
                unit.problem = Some(format!(
                    "the server refused namespace {namespace}: {message}"
                ));
                unit.refused = dir == Direction::In;
                unit
            }
            Kind::Event | Kind::BinaryEvent => self.event_unit(dir, &packet, offset),
            Kind::Ack | Kind::BinaryAck => self.ack_unit(dir, &packet, offset),
        };
        unit.in_group(namespace)
    }

    fn event_unit(&mut self, dir: Direction, packet: &Packet, offset: Duration) -> Unit {
        let event = packet.event_name().unwrap_or_default();
        let args = packet.args();
        let kind = if packet.kind.is_binary() {
            "binary_event"
        } else {
            "event"
        };
        let mut fields = Map::new();
        fields.insert("type".into(), json!(kind));
        fields.insert("namespace".into(), json!(packet.namespace));
        fields.insert("event".into(), json!(event));
        fields.insert("args".into(), Value::Array(args.clone()));
        fields.insert("ack_id".into(), json!(packet.id));
        if packet.kind.is_binary() {
            fields.insert("attachments".into(), json!(packet.attachments));
        }
        let mut summary = format!(
            "{kind} {event} {}{}",
            args_summary(&args),
            in_namespace(&packet.namespace)
        );
        if let Some(id) = packet.id {
            summary.push_str(&format!(" (ack {id})"));
            if self.asked.len() >= MAX_ASKED {
                self.asked.pop_first();
            }
            self.asked.insert(
                (dir == Direction::Out, packet.namespace.clone(), id),
                Asked { event, at: offset },
            );
        }
        Unit::new(Value::Object(fields), summary)
    }

    fn ack_unit(&mut self, dir: Direction, packet: &Packet, offset: Duration) -> Unit {
        let id = packet.id.unwrap_or_default();
        let args = packet.args();
        let kind = if packet.kind.is_binary() {
            "binary_ack"
        } else {
            "ack"
        };
        // The event went the other way.
        let asked = self
            .asked
            .remove(&(dir == Direction::In, packet.namespace.clone(), id));
        let mut fields = Map::new();
        fields.insert("type".into(), json!(kind));
        fields.insert("namespace".into(), json!(packet.namespace));
        fields.insert("id".into(), json!(id));
        fields.insert("args".into(), Value::Array(args.clone()));
        if packet.kind.is_binary() {
            fields.insert("attachments".into(), json!(packet.attachments));
        }
        let mut summary = format!(
            "{kind} {id} {}{}",
            args_summary(&args),
            in_namespace(&packet.namespace)
        );
        if let Some(asked) = asked {
            let rtt = offset.saturating_sub(asked.at);
            let rtt_ms = rtt.as_micros() as f64 / 1000.0;
            summary.push_str(&format!(" for {} in {rtt_ms} ms", asked.event));
            fields.insert("event".into(), json!(asked.event));
            fields.insert("rtt_ms".into(), json!(rtt_ms));
        }
        Unit::new(Value::Object(fields), summary)
    }
}

fn connect_unit(dir: Direction, packet: &Packet) -> Unit {
    let namespace = &packet.namespace;
    let mut fields = Map::new();
    fields.insert("type".into(), json!("connect"));
    fields.insert("namespace".into(), json!(namespace));
    let mut summary = format!("connect {namespace}");
    match (dir, &packet.data) {
        (Direction::In, Some(Value::Object(data))) => {
            if let Some(sid) = data.get("sid") {
                fields.insert("sid".into(), sid.clone());
                if let Some(sid) = sid.as_str() {
                    summary.push_str(&format!(" sid {sid}"));
                }
            }
        }
        (Direction::Out, Some(auth)) => {
            fields.insert("auth".into(), auth.clone());
        }
        _ => {}
    }
    Unit::new(Value::Object(fields), summary).housekeeping()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(decoder: &mut Decoder, dir: Direction, text: &str, ms: u64) -> Unit {
        decoder
            .decode(dir, &Payload::Text(text.into()), Duration::from_millis(ms))
            .unwrap()
    }

    #[test]
    fn events_and_acks_pair_up_both_ways() {
        let mut decoder = Decoder::new(&Options::default());
        let out = decode(&mut decoder, Direction::Out, r#"420["chat","hi"]"#, 10);
        assert_eq!(
            out.fields,
            json!({"type": "event", "namespace": "/", "event": "chat", "args": ["hi"], "ack_id": 0})
        );
        assert_eq!(out.summary, r#"event chat ["hi"] (ack 0)"#);
        assert_eq!(out.group.as_deref(), Some("/"));
        let ack = decode(&mut decoder, Direction::In, r#"430["ok"]"#, 25);
        assert_eq!(ack.fields["event"], json!("chat"));
        assert_eq!(ack.fields["rtt_ms"], json!(15.0));
        assert_eq!(ack.summary, r#"ack 0 ["ok"] for chat in 15 ms"#);
        // The server's event asking us, answered by us.
        decode(&mut decoder, Direction::In, r#"42/admin,5["ask",1]"#, 30);
        let answer = decode(&mut decoder, Direction::Out, r#"43/admin,5["yes"]"#, 31);
        assert_eq!(answer.fields["event"], json!("ask"));
        assert_eq!(answer.group.as_deref(), Some("/admin"));
        // An ack nobody asked for is shown without a pairing.
        let stray = decode(&mut decoder, Direction::In, "439[]", 40);
        assert!(stray.fields.get("event").is_none());
    }

    #[test]
    fn binary_packets_come_whole_with_their_last_attachment() {
        let mut decoder = Decoder::new(&Options::default());
        let head = r#"452-["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        let head = Payload::Text(head.into());
        assert_eq!(decoder.decode(Direction::In, &head, Duration::ZERO), None);
        let first = Payload::Binary(Bytes::from_static(&[1, 2]));
        assert_eq!(decoder.decode(Direction::In, &first, Duration::ZERO), None);
        let last = Payload::Binary(Bytes::from_static(&[255]));
        let unit = decoder
            .decode(Direction::In, &last, Duration::ZERO)
            .unwrap();
        assert_eq!(unit.kind(), "binary_event");
        assert_eq!(
            unit.fields["args"],
            json!([{"$binary": "AQI="}, {"$binary": "/w=="}])
        );
        assert_eq!(unit.fields["attachments"], json!(2));
        let stray = decoder
            .decode(Direction::In, &last, Duration::ZERO)
            .unwrap();
        assert_eq!(stray.kind(), "malformed");
    }

    #[test]
    fn engine_io_3_attachments_lose_their_type_byte() {
        let mut options = Options::default();
        options.set("eio", "3").unwrap();
        let mut decoder = Decoder::new(&options);
        let head = Payload::Text(r#"461-3[{"_placeholder":true,"num":0}]"#.into());
        assert_eq!(decoder.decode(Direction::Out, &head, Duration::ZERO), None);
        let bytes = Payload::Binary(Bytes::from_static(&[4, 9]));
        let unit = decoder
            .decode(Direction::Out, &bytes, Duration::ZERO)
            .unwrap();
        assert_eq!(unit.kind(), "binary_ack");
        assert_eq!(unit.fields["args"], json!([{"$binary": "CQ=="}]));
    }

    #[test]
    fn handshake_units_are_housekeeping_and_errors_refuse() {
        let mut decoder = Decoder::new(&Options::default());
        let open = decode(
            &mut decoder,
            Direction::In,
            r#"0{"sid":"s","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1}"#,
            0,
        );
        assert!(open.housekeeping);
        assert_eq!(open.fields["ping_interval"], json!(300));
        let sent = decode(&mut decoder, Direction::Out, r#"40{"token":"t"}"#, 1);
        assert_eq!(
            sent.fields,
            json!({"type": "connect", "namespace": "/", "auth": {"token": "t"}})
        );
        let joined = decode(&mut decoder, Direction::In, r#"40{"sid":"x"}"#, 2);
        assert!(joined.housekeeping);
        assert_eq!(joined.summary, "connect / sid x");
        let refused = decode(
            &mut decoder,
            Direction::In,
            r#"44/admin,{"message":"not authorized","data":{"code":7}}"#,
            3,
        );
        assert!(refused.refused && !refused.housekeeping);
        assert_eq!(refused.fields["data"], json!({"code": 7}));
        assert_eq!(
            refused.problem.as_deref(),
            Some("the server refused namespace /admin: not authorized")
        );
        let left = decode(&mut decoder, Direction::In, "41/admin,", 4);
        assert!(left.problem.is_some());
    }

    proptest::proptest! {
        #[test]
        fn any_frames_decode_without_panicking(
            frames in proptest::collection::vec(
                (proptest::bool::ANY, proptest::bool::ANY, "[0-6][0-9/,\\-\\[\\]{}\"a-z:]{0,30}"),
                0..24,
            ),
        ) {
            for v3 in [false, true] {
                let options = Options {
                    eio: if v3 { 3 } else { 4 },
                    ..Options::default()
                };
                let mut decoder = Decoder::new(&options);
                for (incoming, binary, text) in &frames {
                    let dir = if *incoming { Direction::In } else { Direction::Out };
                    let payload = if *binary {
                        Payload::Binary(Bytes::copy_from_slice(text.as_bytes()))
                    } else {
                        Payload::Text(text.as_str().into())
                    };
                    let _ = decoder.decode(dir, &payload, Duration::from_millis(text.len() as u64));
                }
            }
        }
    }

    #[test]
    fn unreadable_frames_are_malformed() {
        let mut decoder = Decoder::new(&Options::default());
        for text in ["", "x", "0{", "42[", "47", r#"42{"a":1}"#] {
            let unit = decode(&mut decoder, Direction::In, text, 0);
            assert_eq!(unit.kind(), "malformed", "{text:?}");
            assert!(unit.problem.is_some());
        }
    }
}
