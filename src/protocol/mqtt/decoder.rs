//! The viewer's half of MQTT: each message's packets as units, acknowledgements paired to
//! the publish they answer, SUBACK's codes paired to the filters asked for.

use crate::format::preview::ellipsize;
use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::options::{Options, V5};
use super::packet::{AckKind, Packet, Props, Publish};
use super::reasons;
use super::stream::PacketStream;
use crate::engine::{Direction, Payload};
use crate::protocol::Unit;

/// At most this many publishes and subscriptions wait to be paired with their answers
/// (older ones are forgotten when a broker never answers).
const MAX_WAITING: usize = 4096;

/// One attempt's decoding state.
#[derive(Debug)]
pub struct Decoder {
    /// The protocol level (from the options, then from the CONNECT seen).
    level: u8,
    /// The broker's bytes and ours not yet read as packets.
    incoming: PacketStream,
    outgoing: PacketStream,
    /// Publishes waiting for their acknowledgements: (sent by us, packet id) → (topic, when).
    publishes: HashMap<(bool, u16), (String, Duration)>,
    /// Subscribes and unsubscribes waiting for their answers: (sent by us, id) → filters.
    filters: HashMap<(bool, u16), Vec<String>>,
    /// MQTT 5 topic aliases per direction (sent by us, alias) → topic.
    aliases: HashMap<(bool, u16), String>,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new(options: &Options) -> Self {
        Self {
            level: options.level(),
            incoming: PacketStream::default(),
            outgoing: PacketStream::default(),
            publishes: HashMap::new(),
            filters: HashMap::new(),
            aliases: HashMap::new(),
        }
    }

    /// What the WebSocket's close means in MQTT: our QoS 1/2 publishes the broker had not
    /// finished acknowledging (a broker that keeps the session may still deliver them).
    pub fn on_close(&mut self, _code: u16, _reason: &str) -> Option<Unit> {
        let mut waiting: Vec<(u16, &str)> = self
            .publishes
            .iter()
            .filter(|((ours, _), _)| *ours)
            .map(|((_, id), (topic, _))| (*id, topic.as_str()))
            .collect();
        if waiting.is_empty() {
            return None;
        }
        waiting.sort_unstable();
        let listed: Vec<String> = waiting
            .iter()
            .map(|(id, topic)| format!("{topic} #{id}"))
            .collect();
        let publishes: Vec<Value> = waiting
            .iter()
            .map(|(id, topic)| json!({"packet_id": id, "topic": topic}))
            .collect();
        let count = waiting.len();
        let what = if count == 1 { "publish" } else { "publishes" };
        let text = format!(
            "MQTT: {count} {what} not acknowledged when the connection closed: {}",
            listed.join(", ")
        );
        let mut unit = Unit::new(
            json!({"type": "unacknowledged", "publishes": publishes}),
            text.clone(),
        );
        unit.problem = Some(text);
        Some(unit)
    }

    /// What a refused upgrade means in this protocol: nothing more than it says.
    pub fn on_refusal(&mut self, _status: u16, _body: &[u8]) -> Option<Unit> {
        None
    }

    /// The attempt opened with this subprotocol (MQTT's version is in CONNECT, not here).
    pub fn on_open(&mut self, _subprotocol: Option<&str>) {}

    /// The unit a message carries: one packet's, or a `packets` unit for several; `None`
    /// while a packet is still incomplete.
    pub fn decode(&mut self, dir: Direction, payload: &Payload, offset: Duration) -> Option<Unit> {
        let ours = dir == Direction::Out;
        let stream = if ours {
            &mut self.outgoing
        } else {
            &mut self.incoming
        };
        let packets = match stream.push(payload.as_bytes(), self.level) {
            Ok(packets) => packets,
            Err(error) => return Some(Unit::malformed(format!("MQTT: {error}"))),
        };
        let mut units: Vec<Unit> = packets
            .into_iter()
            .map(|packet| self.describe(packet, ours, offset))
            .collect();
        match units.len() {
            0 => None,
            1 => units.pop(),
            _ => Some(Unit::combine("packets", units)),
        }
    }

    /// One packet as a unit.
    fn describe(&mut self, packet: Packet, ours: bool, offset: Duration) -> Unit {
        let v5 = self.level == V5;
        match packet {
            Packet::Connect(connect) => {
                self.level = connect.level;
                let mut fields = json!({
                    "type": "connect",
                    "protocol_level": connect.level,
                    "client_id": connect.client_id,
                    "clean_start": connect.clean_start,
                    "keep_alive": connect.keep_alive,
                    "username": connect.username,
                    "password": connect.password.is_some(),
                });
                if let Some(will) = &connect.will {
                    fields["will"] = json!({
                        "topic": will.topic,
                        "qos": will.qos,
                        "retain": will.retain,
                    });
                }
                add_props(&mut fields, &connect.properties);
                let version = if connect.level == V5 { "5" } else { "3.1.1" };
                Unit::new(
                    fields,
                    format!(
                        "connect {} (MQTT {version}, keep-alive {} s)",
                        connect.client_id, connect.keep_alive
                    ),
                )
                .housekeeping()
            }
            Packet::Connack {
                session_present,
                code,
                properties,
            } => {
                let words = reasons::connack(self.level, code);
                let code_name = if v5 { "reason_code" } else { "return_code" };
                let mut fields = json!({
                    "type": "connack",
                    "session_present": session_present,
                    code_name: code,
                    "reason": words,
                });
                add_props(&mut fields, &properties);
                if code == 0 {
                    return Unit::new(fields, "connack accepted").housekeeping();
                }
                let mut unit = Unit::new(fields, format!("connack refused: {words}"));
                unit.problem = Some(format!("MQTT CONNACK refused: {words}"));
                unit.refused = true;
                unit
            }
            Packet::Publish(publish) => self.publish(publish, ours, offset),
            Packet::Ack {
                kind,
                packet_id,
                code,
                properties,
            } => {
                // PUBREL comes from the publisher; the others from its peer.
                let publisher_is_us = if kind == AckKind::Pubrel { ours } else { !ours };
                let key = (publisher_is_us, packet_id);
                let paired = if matches!(kind, AckKind::Puback | AckKind::Pubcomp) {
                    self.publishes.remove(&key)
                } else {
                    self.publishes.get(&key).cloned()
                };
                let mut fields = json!({"type": kind.name(), "packet_id": packet_id});
                if v5 {
                    fields["reason_code"] = json!(code);
                }
                add_props(&mut fields, &properties);
                let mut summary = format!("{} {packet_id}", kind.name());
                let mut unit_group = None;
                if let Some((topic, sent)) = paired {
                    fields["topic"] = json!(topic);
                    let rtt = offset.saturating_sub(sent).as_micros() as f64 / 1000.0;
                    fields["rtt_ms"] = json!(rtt);
                    summary.push_str(&format!(" {topic}"));
                    unit_group = Some(topic);
                }
                let mut unit = Unit::new(fields, summary).housekeeping();
                unit.group = unit_group;
                if code >= 0x80 {
                    unit.problem = Some(format!("{}: {}", kind.name(), reasons::reason(code)));
                }
                unit
            }
            Packet::Subscribe {
                packet_id,
                filters,
                properties,
            } => {
                let topics: Vec<Value> = filters
                    .iter()
                    .map(|(filter, options)| {
                        let mut topic = json!({"topic": filter, "qos": options & 3});
                        if v5 {
                            topic["no_local"] = json!(options & 0x04 != 0);
                            topic["retain_as_published"] = json!(options & 0x08 != 0);
                            topic["retain_handling"] = json!((options >> 4) & 3);
                        }
                        topic
                    })
                    .collect();
                let names: Vec<String> = filters.into_iter().map(|(filter, _)| filter).collect();
                let qos: Vec<String> = topics
                    .iter()
                    .map(|t| format!("{} (QoS {})", t["topic"].as_str().unwrap_or(""), t["qos"]))
                    .collect();
                let mut fields =
                    json!({"type": "subscribe", "packet_id": packet_id, "topics": topics});
                add_props(&mut fields, &properties);
                let group = names.join(", ");
                self.remember_filters(ours, packet_id, names);
                Unit::new(fields, format!("subscribe {}", qos.join(", "))).in_group(group)
            }
            Packet::Unsubscribe {
                packet_id,
                filters,
                properties,
            } => {
                let mut fields =
                    json!({"type": "unsubscribe", "packet_id": packet_id, "topics": filters});
                add_props(&mut fields, &properties);
                let group = filters.join(", ");
                self.remember_filters(ours, packet_id, filters);
                Unit::new(fields, format!("unsubscribe {group}")).in_group(group)
            }
            Packet::Suback {
                packet_id,
                codes,
                properties,
            } => self.suback(packet_id, &codes, properties, ours, true),
            Packet::Unsuback {
                packet_id,
                codes,
                properties,
            } => self.suback(packet_id, &codes, properties, ours, false),
            Packet::Pingreq => Unit::new(json!({"type": "pingreq"}), "pingreq").housekeeping(),
            Packet::Pingresp => Unit::new(json!({"type": "pingresp"}), "pingresp").housekeeping(),
            Packet::Disconnect { code, properties } => {
                let mut fields = json!({"type": "disconnect"});
                let mut summary = "disconnect".to_owned();
                if v5 {
                    let words = if code == 0 {
                        "Normal disconnection (0x00)".to_owned()
                    } else {
                        reasons::reason(code)
                    };
                    fields["reason_code"] = json!(code);
                    fields["reason"] = json!(words);
                    summary = format!("disconnect: {words}");
                }
                add_props(&mut fields, &properties);
                let mut unit = Unit::new(fields, summary);
                if code >= 0x80 {
                    let who = if ours { "we" } else { "the broker" };
                    unit.problem = Some(format!(
                        "MQTT: {who} disconnected: {}",
                        reasons::reason(code)
                    ));
                }
                unit
            }
            Packet::Auth { code, properties } => {
                let mut fields =
                    json!({"type": "auth", "reason_code": code, "reason": reasons::reason(code)});
                add_props(&mut fields, &properties);
                Unit::new(fields, format!("auth: {}", reasons::reason(code))).housekeeping()
            }
        }
    }

    /// A PUBLISH as a unit, noted for pairing with its acknowledgements.
    fn publish(&mut self, publish: Publish, ours: bool, offset: Duration) -> Unit {
        let mut topic = publish.topic;
        if let Some(alias) = publish
            .properties
            .get("topic_alias")
            .and_then(Value::as_u64)
        {
            let key = (ours, alias as u16);
            if topic.is_empty() {
                topic = self.aliases.get(&key).cloned().unwrap_or_default();
            } else if self.aliases.len() < MAX_WAITING {
                self.aliases.insert(key, topic.clone());
            }
        }
        let mut fields = json!({
            "type": "publish",
            "topic": topic,
            "qos": publish.qos,
            "retain": publish.retain,
            "dup": publish.dup,
            "packet_id": publish.packet_id,
        });
        let preview = match std::str::from_utf8(&publish.payload) {
            Ok(text) => {
                fields["payload"] = json!(text);
                ellipsize(text, 80).into_owned()
            }
            Err(_) => {
                // The command line's contract (issue #17) names bytes `payload_hex`.
                fields["payload_hex"] = json!(crate::format::hex::to_hex(&publish.payload));
                format!("{} bytes", publish.payload.len())
            }
        };
        add_props(&mut fields, &publish.properties);
        if let Some(packet_id) = publish.packet_id {
            if self.publishes.len() >= MAX_WAITING {
                self.publishes.clear();
            }
            self.publishes
                .insert((ours, packet_id), (topic.clone(), offset));
        }
        let retained = if publish.retain { ", retained" } else { "" };
        let dup = if publish.dup { ", dup" } else { "" };
        Unit::new(
            fields,
            format!(
                "publish {topic} (QoS {}{retained}{dup}) {preview}",
                publish.qos
            ),
        )
        .in_group(topic)
    }

    /// A SUBACK or UNSUBACK as a unit, its codes paired to the filters asked for.
    fn suback(
        &mut self,
        packet_id: u16,
        codes: &[u8],
        properties: Props,
        ours: bool,
        sub: bool,
    ) -> Unit {
        let filters = self.filters.remove(&(!ours, packet_id)).unwrap_or_default();
        let name = if sub { "suback" } else { "unsuback" };
        let mut results = Vec::new();
        let mut failures = Vec::new();
        for (at, code) in codes.iter().enumerate() {
            let topic = filters.get(at).cloned();
            let mut result = json!({"topic": topic, "code": code});
            if sub && *code <= 2 {
                result["granted_qos"] = json!(code);
            } else {
                result["reason"] = json!(reasons::reason(*code));
            }
            if *code >= 0x80 {
                failures.push(format!(
                    "{} {}: {}",
                    topic.as_deref().unwrap_or("?"),
                    if sub { "refused" } else { "not removed" },
                    reasons::reason(*code)
                ));
            }
            results.push(result);
        }
        let mut fields = json!({"type": name, "packet_id": packet_id, "results": results});
        add_props(&mut fields, &properties);
        let summary = if sub {
            let granted: Vec<String> = results
                .iter()
                .map(|r| match r.get("granted_qos") {
                    Some(qos) => format!("{} QoS {qos}", r["topic"].as_str().unwrap_or("?")),
                    None => format!("{} refused", r["topic"].as_str().unwrap_or("?")),
                })
                .collect();
            format!("suback {}", granted.join(", "))
        } else {
            format!("unsuback {}", filters.join(", "))
        };
        let mut unit = Unit::new(fields, summary);
        if !filters.is_empty() {
            unit.group = Some(filters.join(", "));
        }
        if !failures.is_empty() {
            unit.problem = Some(failures.join("; "));
        }
        unit
    }

    /// Notes a SUBSCRIBE's or UNSUBSCRIBE's filters until its answer comes.
    fn remember_filters(&mut self, ours: bool, packet_id: u16, filters: Vec<String>) {
        if self.filters.len() >= MAX_WAITING {
            self.filters.clear();
        }
        self.filters.insert((ours, packet_id), filters);
    }
}

/// Adds MQTT 5 properties, when there are any.
fn add_props(fields: &mut Value, properties: &Map<String, Value>) {
    if !properties.is_empty()
        && let Value::Object(map) = fields
    {
        map.insert("properties".into(), Value::Object(properties.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mqtt::options::V311;
    use bytes::Bytes;

    fn bytes(packets: &[Packet], level: u8) -> Payload {
        let mut out = Vec::new();
        for packet in packets {
            out.extend(packet.write(level).unwrap());
        }
        Payload::Binary(Bytes::from(out))
    }

    fn publish(qos: u8, packet_id: Option<u16>, payload: &'static [u8]) -> Packet {
        Packet::Publish(Publish {
            dup: false,
            qos,
            retain: true,
            topic: "a/b".into(),
            packet_id,
            properties: Props::new(),
            payload: Bytes::from_static(payload),
        })
    }

    #[test]
    fn a_publish_shows_its_topic_and_payload_and_its_ack_is_paired() {
        let mut decoder = Decoder::new(&Options::default());
        let ms = Duration::from_millis;
        let unit = decoder
            .decode(
                Direction::Out,
                &bytes(&[publish(1, Some(7), b"hi")], V311),
                ms(10),
            )
            .unwrap();
        assert_eq!(
            unit.fields,
            json!({"type": "publish", "topic": "a/b", "qos": 1, "retain": true, "dup": false, "packet_id": 7, "payload": "hi"})
        );
        assert_eq!(unit.summary, "publish a/b (QoS 1, retained) hi");
        assert_eq!(unit.group.as_deref(), Some("a/b"));
        let ack = Packet::Ack {
            kind: AckKind::Puback,
            packet_id: 7,
            code: 0,
            properties: Props::new(),
        };
        let unit = decoder
            .decode(Direction::In, &bytes(&[ack], V311), ms(13))
            .unwrap();
        assert_eq!(
            unit.fields,
            json!({"type": "puback", "packet_id": 7, "topic": "a/b", "rtt_ms": 3.0})
        );
        assert!(unit.housekeeping);
        let unit = decoder
            .decode(
                Direction::In,
                &bytes(&[publish(0, None, &[0xFF, 0])], V311),
                ms(20),
            )
            .unwrap();
        assert_eq!(unit.fields["payload_hex"], "ff00");
        assert_eq!(unit.fields["packet_id"], Value::Null);
    }

    #[test]
    fn a_refused_connack_is_a_refusal_and_suback_failures_are_problems() {
        let mut decoder = Decoder::new(&Options::default());
        let connack = Packet::Connack {
            session_present: false,
            code: 5,
            properties: Props::new(),
        };
        let unit = decoder
            .decode(Direction::In, &bytes(&[connack], V311), Duration::ZERO)
            .unwrap();
        assert!(unit.refused);
        assert_eq!(
            unit.problem.as_deref(),
            Some("MQTT CONNACK refused: not authorized (5)")
        );
        let subscribe = Packet::Subscribe {
            packet_id: 1,
            filters: vec![("a/#".into(), 1), ("b".into(), 2)],
            properties: Props::new(),
        };
        let unit = decoder
            .decode(Direction::Out, &bytes(&[subscribe], V311), Duration::ZERO)
            .unwrap();
        assert_eq!(unit.summary, "subscribe a/# (QoS 1), b (QoS 2)");
        let suback = Packet::Suback {
            packet_id: 1,
            codes: vec![1, 0x80],
            properties: Props::new(),
        };
        let unit = decoder
            .decode(Direction::In, &bytes(&[suback], V311), Duration::ZERO)
            .unwrap();
        assert_eq!(
            unit.fields["results"][0],
            json!({"topic": "a/#", "code": 1, "granted_qos": 1})
        );
        assert_eq!(unit.summary, "suback a/# QoS 1, b refused");
        assert!(
            unit.problem
                .unwrap()
                .contains("b refused: Unspecified error (0x80)")
        );
    }

    #[test]
    fn the_close_lists_our_publishes_left_unacknowledged() {
        let mut decoder = Decoder::new(&Options::default());
        assert!(decoder.on_close(1000, "").is_none());
        decoder.decode(
            Direction::Out,
            &bytes(&[publish(2, Some(4), b"x")], V311),
            Duration::ZERO,
        );
        decoder.decode(
            Direction::In,
            &bytes(&[publish(1, Some(9), b"y")], V311),
            Duration::ZERO,
        );
        let unit = decoder.on_close(1006, "").unwrap();
        assert_eq!(
            unit.fields,
            json!({"type": "unacknowledged", "publishes": [{"packet_id": 4, "topic": "a/b"}]})
        );
        assert_eq!(
            unit.problem.as_deref(),
            Some("MQTT: 1 publish not acknowledged when the connection closed: a/b #4")
        );
    }

    #[test]
    fn several_packets_in_one_message_are_one_unit_and_a_partial_one_waits() {
        let mut decoder = Decoder::new(&Options::default());
        let all = bytes(&[Packet::Pingresp, publish(0, None, b"x")], V311);
        let unit = decoder.decode(Direction::In, &all, Duration::ZERO).unwrap();
        assert_eq!(unit.kind(), "packets");
        assert_eq!(unit.fields["packets"][0], json!({"type": "pingresp"}));
        assert_eq!(
            unit.summary,
            "2 packets: pingresp; publish a/b (QoS 0, retained) x"
        );
        assert!(!unit.housekeeping);
        let whole = bytes(&[publish(0, None, b"split")], V311);
        let (head, tail) = whole.as_bytes().split_at(4);
        assert!(
            decoder
                .decode(
                    Direction::In,
                    &Payload::Binary(Bytes::copy_from_slice(head)),
                    Duration::ZERO
                )
                .is_none()
        );
        let unit = decoder
            .decode(
                Direction::In,
                &Payload::Binary(Bytes::copy_from_slice(tail)),
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(unit.fields["payload"], "split");
        let unit = decoder
            .decode(
                Direction::In,
                &Payload::Binary(Bytes::from_static(&[0x00, 0x00])),
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(unit.kind(), "malformed");
    }
}
