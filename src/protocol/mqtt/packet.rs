//! MQTT control packets (3.1.1 and 5): read from a packet's bytes and written to bytes.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::options::V5;
use super::properties;
use super::wire::{Reader, put_binary, put_string, put_varint};

/// MQTT 5 properties, by name (see [`properties`]).
pub type Props = Map<String, Value>;

/// The four acknowledgements of the QoS 1 and 2 flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckKind {
    /// QoS 1: the publish arrived.
    Puback,
    /// QoS 2, step 1: the publish was received.
    Pubrec,
    /// QoS 2, step 2: the publisher releases it.
    Pubrel,
    /// QoS 2, step 3: complete.
    Pubcomp,
}

impl AckKind {
    /// The packet's name in units (`puback`, …).
    pub fn name(self) -> &'static str {
        match self {
            AckKind::Puback => "puback",
            AckKind::Pubrec => "pubrec",
            AckKind::Pubrel => "pubrel",
            AckKind::Pubcomp => "pubcomp",
        }
    }

    /// The packet type in the fixed header.
    fn code(self) -> u8 {
        match self {
            AckKind::Puback => 4,
            AckKind::Pubrec => 5,
            AckKind::Pubrel => 6,
            AckKind::Pubcomp => 7,
        }
    }
}

/// A will message, set in CONNECT.
#[derive(Clone, Debug, PartialEq)]
pub struct Will {
    /// Its topic.
    pub topic: String,
    /// Its payload.
    pub payload: Bytes,
    /// Its QoS.
    pub qos: u8,
    /// Whether it is retained.
    pub retain: bool,
    /// Its MQTT 5 properties.
    pub properties: Props,
}

/// CONNECT's fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Connect {
    /// The protocol level (4: 3.1.1, 5: 5).
    pub level: u8,
    /// The client identifier.
    pub client_id: String,
    /// Clean session / clean start.
    pub clean_start: bool,
    /// The keep-alive in seconds.
    pub keep_alive: u16,
    /// The user name.
    pub username: Option<String>,
    /// The password.
    pub password: Option<Bytes>,
    /// The will message.
    pub will: Option<Will>,
    /// MQTT 5 properties.
    pub properties: Props,
}

/// PUBLISH's fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Publish {
    /// A redelivery.
    pub dup: bool,
    /// The QoS (0, 1 or 2).
    pub qos: u8,
    /// Retained.
    pub retain: bool,
    /// The topic name (empty with an MQTT 5 topic alias).
    pub topic: String,
    /// The packet identifier (QoS 1 and 2 only).
    pub packet_id: Option<u16>,
    /// MQTT 5 properties.
    pub properties: Props,
    /// The application message.
    pub payload: Bytes,
}

/// One MQTT control packet.
#[derive(Clone, Debug, PartialEq)]
pub enum Packet {
    /// The client's hello.
    Connect(Box<Connect>),
    /// The server's answer to CONNECT.
    Connack {
        /// The server kept a session.
        session_present: bool,
        /// The return code (3.1.1) or reason code (5); 0 is success.
        code: u8,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// An application message.
    Publish(Publish),
    /// PUBACK, PUBREC, PUBREL or PUBCOMP.
    Ack {
        /// Which one.
        kind: AckKind,
        /// The publish's packet identifier.
        packet_id: u16,
        /// MQTT 5's reason code (0: success).
        code: u8,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// Subscribe to topic filters, each with its options byte (QoS in the low two bits).
    Subscribe {
        /// The packet identifier.
        packet_id: u16,
        /// `(topic filter, options)`.
        filters: Vec<(String, u8)>,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// The answer to SUBSCRIBE: a granted QoS or a failure code per filter.
    Suback {
        /// The packet identifier.
        packet_id: u16,
        /// One code per filter.
        codes: Vec<u8>,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// Unsubscribe from topic filters.
    Unsubscribe {
        /// The packet identifier.
        packet_id: u16,
        /// The topic filters.
        filters: Vec<String>,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// The answer to UNSUBSCRIBE (MQTT 5: a reason code per filter).
    Unsuback {
        /// The packet identifier.
        packet_id: u16,
        /// MQTT 5's reason codes.
        codes: Vec<u8>,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// The client's keep-alive ping.
    Pingreq,
    /// The server's answer to it.
    Pingresp,
    /// The end of the session (MQTT 5: with a reason code).
    Disconnect {
        /// The reason code (0: normal).
        code: u8,
        /// MQTT 5 properties.
        properties: Props,
    },
    /// MQTT 5's extended authentication exchange.
    Auth {
        /// The reason code.
        code: u8,
        /// MQTT 5 properties.
        properties: Props,
    },
}

impl Packet {
    /// Reads one packet from its first byte and its body (the bytes after the remaining
    /// length), at protocol `level`.
    pub fn read(first: u8, body: &[u8], level: u8) -> Result<Packet, String> {
        let v5 = level == V5;
        let flags = first & 0x0F;
        let mut r = Reader::new(body);
        let props = |r: &mut Reader<'_>| {
            if v5 && !r.is_empty() {
                properties::read(r)
            } else {
                Ok(Props::new())
            }
        };
        let packet = match first >> 4 {
            1 => Packet::Connect(Box::new(read_connect(&mut r)?)),
            2 => {
                let session_present = r.u8()? & 1 == 1;
                let code = r.u8()?;
                Packet::Connack {
                    session_present,
                    code,
                    properties: props(&mut r)?,
                }
            }
            3 => {
                let qos = (flags >> 1) & 3;
                if qos == 3 {
                    return Err("a PUBLISH with QoS 3".to_owned());
                }
                let topic = r.string()?;
                let packet_id = if qos > 0 { Some(r.u16()?) } else { None };
                let properties = if v5 {
                    properties::read(&mut r)?
                } else {
                    Props::new()
                };
                Packet::Publish(Publish {
                    dup: flags & 8 != 0,
                    qos,
                    retain: flags & 1 != 0,
                    topic,
                    packet_id,
                    properties,
                    payload: Bytes::copy_from_slice(r.rest()),
                })
            }
            kind @ 4..=7 => {
                let kind = match kind {
                    4 => AckKind::Puback,
                    5 => AckKind::Pubrec,
                    6 => AckKind::Pubrel,
                    _ => AckKind::Pubcomp,
                };
                let packet_id = r.u16()?;
                let code = if v5 && !r.is_empty() { r.u8()? } else { 0 };
                Packet::Ack {
                    kind,
                    packet_id,
                    code,
                    properties: props(&mut r)?,
                }
            }
            8 => {
                let packet_id = r.u16()?;
                let properties = if v5 {
                    properties::read(&mut r)?
                } else {
                    Props::new()
                };
                let mut filters = Vec::new();
                while !r.is_empty() {
                    filters.push((r.string()?, r.u8()?));
                }
                Packet::Subscribe {
                    packet_id,
                    filters,
                    properties,
                }
            }
            9 | 11 => {
                let packet_id = r.u16()?;
                let properties = if v5 {
                    properties::read(&mut r)?
                } else {
                    Props::new()
                };
                let codes = r.rest().to_vec();
                if first >> 4 == 9 {
                    Packet::Suback {
                        packet_id,
                        codes,
                        properties,
                    }
                } else {
                    Packet::Unsuback {
                        packet_id,
                        codes,
                        properties,
                    }
                }
            }
            10 => {
                let packet_id = r.u16()?;
                let properties = if v5 {
                    properties::read(&mut r)?
                } else {
                    Props::new()
                };
                let mut filters = Vec::new();
                while !r.is_empty() {
                    filters.push(r.string()?);
                }
                Packet::Unsubscribe {
                    packet_id,
                    filters,
                    properties,
                }
            }
            12 => Packet::Pingreq,
            13 => Packet::Pingresp,
            14 | 15 => {
                let code = if r.is_empty() { 0 } else { r.u8()? };
                let properties = props(&mut r)?;
                if first >> 4 == 14 {
                    Packet::Disconnect { code, properties }
                } else {
                    Packet::Auth { code, properties }
                }
            }
            other => return Err(format!("packet type {other} does not exist")),
        };
        if !r.is_empty() {
            return Err(format!(
                "{} bytes left over after a {} packet",
                r.remaining(),
                packet.name()
            ));
        }
        Ok(packet)
    }

    /// The packet's name in units: `connect`, `publish`, `suback`, …
    pub fn name(&self) -> &'static str {
        match self {
            Packet::Connect(_) => "connect",
            Packet::Connack { .. } => "connack",
            Packet::Publish(_) => "publish",
            Packet::Ack { kind, .. } => kind.name(),
            Packet::Subscribe { .. } => "subscribe",
            Packet::Suback { .. } => "suback",
            Packet::Unsubscribe { .. } => "unsubscribe",
            Packet::Unsuback { .. } => "unsuback",
            Packet::Pingreq => "pingreq",
            Packet::Pingresp => "pingresp",
            Packet::Disconnect { .. } => "disconnect",
            Packet::Auth { .. } => "auth",
        }
    }

    /// The packet's bytes at protocol `level`.
    pub fn write(&self, level: u8) -> Result<Vec<u8>, String> {
        let v5 = level == V5;
        let mut body = Vec::new();
        let props = |body: &mut Vec<u8>, props: &Props| {
            if v5 {
                properties::write(body, props)
            } else {
                Ok(())
            }
        };
        let first = match self {
            Packet::Connect(connect) => {
                write_connect(&mut body, connect)?;
                0x10
            }
            Packet::Connack {
                session_present,
                code,
                properties,
            } => {
                body.push(u8::from(*session_present));
                body.push(*code);
                props(&mut body, properties)?;
                0x20
            }
            Packet::Publish(publish) => {
                put_string(&mut body, &publish.topic)?;
                if publish.qos > 0 {
                    body.extend_from_slice(&publish.packet_id.unwrap_or(0).to_be_bytes());
                }
                props(&mut body, &publish.properties)?;
                body.extend_from_slice(&publish.payload);
                0x30 | (u8::from(publish.dup) << 3)
                    | ((publish.qos & 3) << 1)
                    | u8::from(publish.retain)
            }
            Packet::Ack {
                kind,
                packet_id,
                code,
                properties,
            } => {
                body.extend_from_slice(&packet_id.to_be_bytes());
                if v5 && (*code != 0 || !properties.is_empty()) {
                    body.push(*code);
                    props(&mut body, properties)?;
                }
                (kind.code() << 4) | if *kind == AckKind::Pubrel { 2 } else { 0 }
            }
            Packet::Subscribe {
                packet_id,
                filters,
                properties,
            } => {
                body.extend_from_slice(&packet_id.to_be_bytes());
                props(&mut body, properties)?;
                for (filter, options) in filters {
                    put_string(&mut body, filter)?;
                    body.push(*options);
                }
                0x82
            }
            Packet::Suback {
                packet_id,
                codes,
                properties,
            } => {
                body.extend_from_slice(&packet_id.to_be_bytes());
                props(&mut body, properties)?;
                body.extend_from_slice(codes);
                0x90
            }
            Packet::Unsubscribe {
                packet_id,
                filters,
                properties,
            } => {
                body.extend_from_slice(&packet_id.to_be_bytes());
                props(&mut body, properties)?;
                for filter in filters {
                    put_string(&mut body, filter)?;
                }
                0xA2
            }
            Packet::Unsuback {
                packet_id,
                codes,
                properties,
            } => {
                body.extend_from_slice(&packet_id.to_be_bytes());
                if v5 {
                    props(&mut body, properties)?;
                    body.extend_from_slice(codes);
                }
                0xB0
            }
            Packet::Pingreq => 0xC0,
            Packet::Pingresp => 0xD0,
            Packet::Disconnect { code, properties } | Packet::Auth { code, properties } => {
                if v5 && (*code != 0 || !properties.is_empty()) {
                    body.push(*code);
                    props(&mut body, properties)?;
                }
                if matches!(self, Packet::Disconnect { .. }) {
                    0xE0
                } else {
                    0xF0
                }
            }
        };
        let mut out = Vec::with_capacity(body.len() + 5);
        out.push(first);
        put_varint(&mut out, body.len())?;
        out.extend_from_slice(&body);
        Ok(out)
    }
}

/// Reads CONNECT's body.
fn read_connect(r: &mut Reader<'_>) -> Result<Connect, String> {
    let name = r.string()?;
    let level = r.u8()?;
    if !matches!((name.as_str(), level), ("MQTT", 4 | 5) | ("MQIsdp", 3)) {
        return Err(format!("CONNECT for protocol {name:?} level {level}"));
    }
    let flags = r.u8()?;
    let keep_alive = r.u16()?;
    let properties = if level == V5 {
        properties::read(r)?
    } else {
        Props::new()
    };
    let client_id = r.string()?;
    let will = if flags & 0x04 != 0 {
        let properties = if level == V5 {
            properties::read(r)?
        } else {
            Props::new()
        };
        let topic = r.string()?;
        let payload = Bytes::copy_from_slice(r.binary()?);
        Some(Will {
            topic,
            payload,
            qos: (flags >> 3) & 3,
            retain: flags & 0x20 != 0,
            properties,
        })
    } else {
        None
    };
    let username = if flags & 0x80 != 0 {
        Some(r.string()?)
    } else {
        None
    };
    let password = if flags & 0x40 != 0 {
        Some(Bytes::copy_from_slice(r.binary()?))
    } else {
        None
    };
    Ok(Connect {
        level,
        client_id,
        clean_start: flags & 0x02 != 0,
        keep_alive,
        username,
        password,
        will,
        properties,
    })
}

/// Writes CONNECT's body.
fn write_connect(body: &mut Vec<u8>, connect: &Connect) -> Result<(), String> {
    let v5 = connect.level == V5;
    put_string(body, "MQTT")?;
    body.push(connect.level);
    let mut flags = 0u8;
    if connect.clean_start {
        flags |= 0x02;
    }
    if let Some(will) = &connect.will {
        flags |= 0x04 | ((will.qos & 3) << 3) | if will.retain { 0x20 } else { 0 };
    }
    if connect.password.is_some() {
        flags |= 0x40;
    }
    if connect.username.is_some() {
        flags |= 0x80;
    }
    body.push(flags);
    body.extend_from_slice(&connect.keep_alive.to_be_bytes());
    if v5 {
        properties::write(body, &connect.properties)?;
    }
    put_string(body, &connect.client_id)?;
    if let Some(will) = &connect.will {
        if v5 {
            properties::write(body, &will.properties)?;
        }
        put_string(body, &will.topic)?;
        put_binary(body, &will.payload)?;
    }
    if let Some(username) = &connect.username {
        put_string(body, username)?;
    }
    if let Some(password) = &connect.password {
        put_binary(body, password)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mqtt::options::V311;
    use serde_json::json;

    fn round_trip(packet: Packet, level: u8) {
        let bytes = packet.write(level).unwrap();
        let mut r = Reader::new(&bytes[1..]);
        let length = r.varint().unwrap() as usize;
        assert_eq!(length, r.remaining());
        assert_eq!(Packet::read(bytes[0], r.rest(), level).unwrap(), packet);
    }

    #[test]
    fn every_packet_round_trips_in_both_versions() {
        for level in [V311, V5] {
            let props = |p: Value| {
                if level == V5 {
                    p.as_object().cloned().unwrap()
                } else {
                    Props::new()
                }
            };
            round_trip(
                Packet::Connect(Box::new(Connect {
                    level,
                    client_id: "me".into(),
                    clean_start: true,
                    keep_alive: 30,
                    username: Some("u".into()),
                    password: Some(Bytes::from_static(b"p")),
                    will: Some(Will {
                        topic: "w".into(),
                        payload: Bytes::from_static(b"bye"),
                        qos: 1,
                        retain: true,
                        properties: props(json!({"will_delay_interval": 5})),
                    }),
                    properties: props(json!({"session_expiry_interval": 60})),
                })),
                level,
            );
            round_trip(
                Packet::Publish(Publish {
                    dup: true,
                    qos: 2,
                    retain: true,
                    topic: "a/b".into(),
                    packet_id: Some(7),
                    properties: props(json!({"content_type": "text/plain"})),
                    payload: Bytes::from_static(&[0, 1, 0xFF]),
                }),
                level,
            );
            round_trip(
                Packet::Subscribe {
                    packet_id: 1,
                    filters: vec![("a/#".into(), 1), ("b".into(), 2)],
                    properties: props(json!({"subscription_identifier": 3})),
                },
                level,
            );
            round_trip(
                Packet::Ack {
                    kind: AckKind::Pubrel,
                    packet_id: 9,
                    code: 0,
                    properties: Props::new(),
                },
                level,
            );
            round_trip(Packet::Pingreq, level);
            round_trip(Packet::Pingresp, level);
        }
        round_trip(
            Packet::Disconnect {
                code: 0x8B,
                properties: json!({"reason_string": "bye"})
                    .as_object()
                    .cloned()
                    .unwrap(),
            },
            V5,
        );
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert!(
            Packet::read(0x36, &[0, 1, b'a'], V311)
                .unwrap_err()
                .contains("QoS 3")
        );
        assert!(
            Packet::read(0x00, &[], V311)
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            Packet::read(0xC0, &[1], V311)
                .unwrap_err()
                .contains("left over")
        );
        assert!(Packet::read(0x90, &[0], V311).is_err());
    }
}
