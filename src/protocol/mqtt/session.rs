//! The engine's half of MQTT: CONNECT on open, operations held until CONNACK, packet ids,
//! the QoS 1 and 2 flows in both directions, and keep-alive pings.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::options::{Options, V5};
use super::packet::{AckKind, Connect, Packet, Props};
use super::reasons;
use super::stream::PacketStream;
use crate::engine::Payload;
use crate::protocol::{Frame, OpError, Reaction};

/// How long the broker has to answer CONNECT.
const CONNACK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a DISCONNECT waits for the flows in progress to finish before it goes anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the MQTT session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// CONNECT is sent (or about to be); operations wait for CONNACK.
    Connecting,
    /// CONNACK accepted.
    Connected,
    /// The user's DISCONNECT waits for the acknowledgements still to come.
    Draining,
    /// Refused, disconnected or given up: nothing more is sent.
    Over,
}

/// An outgoing publish waiting for its acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiting {
    /// QoS 1: PUBACK.
    Puback,
    /// QoS 2: PUBREC.
    Pubrec,
    /// QoS 2: PUBCOMP (after our PUBREL).
    Pubcomp,
}

/// One attempt's MQTT state.
#[derive(Debug)]
pub struct Session {
    /// The protocol level spoken.
    level: u8,
    /// The CONNECT sent on open.
    connect: Box<Connect>,
    state: State,
    /// The broker's bytes not yet read as packets.
    stream: PacketStream,
    /// Packets of operations made before CONNACK, in order; a DISCONNECT among them ends
    /// the session once they are sent.
    held: Vec<Packet>,
    /// The last packet id given out.
    last_id: u16,
    /// Our publishes waiting for an acknowledgement, by packet id.
    outgoing: BTreeMap<u16, Waiting>,
    /// Our SUBSCRIBE/UNSUBSCRIBE ids waiting for their answer.
    pending: BTreeSet<u16>,
    /// The broker's QoS 2 publishes we received (PUBREC sent), waiting for PUBREL.
    releasing: BTreeSet<u16>,
    /// The DISCONNECT waiting for the flows in progress, and when it was asked for.
    draining: Option<(Box<Packet>, Duration)>,
    /// The keep-alive in force (the broker's `server_keep_alive` wins over ours).
    keep_alive: Duration,
    /// When CONNECT went out.
    connect_sent: Duration,
    /// When we last sent a packet.
    last_sent: Duration,
    /// When the unanswered PINGREQ went out.
    ping_sent: Option<Duration>,
}

impl Session {
    /// A fresh session; the client id is made up when none is set.
    pub fn new(options: &Options) -> Self {
        let client_id = if options.client_id.is_empty() {
            let tail: String = std::iter::repeat_with(fastrand::alphanumeric)
                .take(8)
                .collect();
            format!("sockscope-{tail}")
        } else {
            options.client_id.clone()
        };
        let level = options.level();
        let mut properties = Props::new();
        if level == V5 && options.session_expiry > 0 {
            properties.insert(
                "session_expiry_interval".into(),
                Value::from(options.session_expiry),
            );
        }
        let connect = Box::new(Connect {
            level,
            client_id,
            clean_start: options.clean_start,
            keep_alive: options.keep_alive,
            username: (!options.username.is_empty()).then(|| options.username.clone()),
            password: (!options.password.is_empty())
                .then(|| Bytes::copy_from_slice(options.password.as_bytes())),
            will: None,
            properties,
        });
        Self {
            level,
            connect,
            state: State::Connecting,
            stream: PacketStream::default(),
            held: Vec::new(),
            last_id: 0,
            outgoing: BTreeMap::new(),
            pending: BTreeSet::new(),
            releasing: BTreeSet::new(),
            draining: None,
            keep_alive: Duration::from_secs(u64::from(options.keep_alive)),
            connect_sent: Duration::ZERO,
            last_sent: Duration::ZERO,
            ping_sent: None,
        }
    }

    /// The WebSocket opened: CONNECT goes out.
    pub fn on_open(&mut self, _subprotocol: Option<&str>, now: Duration) -> Reaction {
        self.connect_sent = now;
        let connect = Packet::Connect(self.connect.clone());
        let mut reaction = Reaction::none();
        self.send(&mut reaction, &connect, now);
        reaction
    }

    /// A data message arrived: its packets are answered (acks, CONNACK's held operations).
    pub fn on_frame(&mut self, payload: &Payload, now: Duration) -> Reaction {
        let mut reaction = Reaction::none();
        if self.state == State::Over {
            return reaction;
        }
        let packets = match self.stream.push(payload.as_bytes(), self.level) {
            Ok(packets) => packets,
            Err(error) => {
                self.state = State::Over;
                reaction.close = Some((
                    1002,
                    format!("MQTT: malformed packet from the broker: {error}"),
                ));
                return reaction;
            }
        };
        for packet in packets {
            self.on_packet(packet, now, &mut reaction);
            if self.state == State::Over {
                break;
            }
        }
        if self.state == State::Draining && self.settled() {
            self.disconnect_now(&mut reaction, now);
        }
        reaction
    }

    /// Answers one packet from the broker.
    fn on_packet(&mut self, packet: Packet, now: Duration, reaction: &mut Reaction) {
        match packet {
            Packet::Connack {
                code, properties, ..
            } if self.state == State::Connecting => {
                if code != 0 {
                    self.state = State::Over;
                    reaction.close = Some((
                        1000,
                        format!(
                            "MQTT CONNACK refused: {}",
                            reasons::connack(self.level, code)
                        ),
                    ));
                    return;
                }
                if let Some(seconds) = properties.get("server_keep_alive").and_then(Value::as_u64) {
                    self.keep_alive = Duration::from_secs(seconds);
                }
                self.state = State::Connected;
                for packet in std::mem::take(&mut self.held) {
                    if matches!(packet, Packet::Disconnect { .. }) {
                        self.state = State::Draining;
                        self.draining = Some((Box::new(packet), now));
                        return;
                    }
                    self.send(reaction, &packet, now);
                }
            }
            Packet::Publish(publish) => match (publish.qos, publish.packet_id) {
                (1, Some(packet_id)) => self.send(reaction, &ack(AckKind::Puback, packet_id), now),
                (2, Some(packet_id)) => {
                    self.releasing.insert(packet_id);
                    self.send(reaction, &ack(AckKind::Pubrec, packet_id), now);
                }
                _ => {}
            },
            Packet::Ack {
                kind, packet_id, ..
            } => match (kind, self.outgoing.get(&packet_id)) {
                (AckKind::Puback, Some(Waiting::Puback))
                | (AckKind::Pubcomp, Some(Waiting::Pubcomp)) => {
                    self.outgoing.remove(&packet_id);
                }
                (AckKind::Pubrec, Some(Waiting::Pubrec | Waiting::Pubcomp)) => {
                    self.outgoing.insert(packet_id, Waiting::Pubcomp);
                    self.send(reaction, &ack(AckKind::Pubrel, packet_id), now);
                }
                // The broker releases its QoS 2 publish: complete it.
                (AckKind::Pubrel, _) => {
                    self.releasing.remove(&packet_id);
                    self.send(reaction, &ack(AckKind::Pubcomp, packet_id), now);
                }
                _ => {}
            },
            Packet::Suback { packet_id, .. } | Packet::Unsuback { packet_id, .. } => {
                self.pending.remove(&packet_id);
            }
            Packet::Pingresp => self.ping_sent = None,
            Packet::Disconnect { code, .. } => {
                self.state = State::Over;
                reaction.close = Some((
                    1000,
                    format!("MQTT: the broker disconnected: {}", reasons::reason(code)),
                ));
            }
            _ => {}
        }
    }

    /// The user's operation: its packet goes out now, or after CONNACK.
    pub fn on_op(&mut self, op: &Value, now: Duration) -> Result<Reaction, OpError> {
        let mut packet = super::ops::read(op, self.level)?;
        match self.state {
            State::Over => return Err(OpError::new("the MQTT session is over")),
            State::Draining => {
                return Err(OpError::new(
                    "DISCONNECT was asked for: it waits for the acknowledgements still to come",
                ));
            }
            State::Connecting | State::Connected => {}
        }
        self.assign_id(&mut packet)?;
        let mut reaction = Reaction::none();
        if self.state == State::Connecting {
            self.held.push(packet);
            return Ok(reaction);
        }
        if matches!(packet, Packet::Disconnect { .. }) {
            self.state = State::Draining;
            self.draining = Some((Box::new(packet), now));
            if self.settled() {
                self.disconnect_now(&mut reaction, now);
            }
            return Ok(reaction);
        }
        self.send(&mut reaction, &packet, now);
        Ok(reaction)
    }

    /// When [`Session::on_timer`] wants to run: the CONNACK deadline, the PINGRESP
    /// deadline or the next PINGREQ.
    pub fn next_timer(&self) -> Option<Duration> {
        match self.state {
            State::Over => None,
            State::Connecting => Some(self.connect_sent + CONNACK_TIMEOUT),
            State::Draining => self
                .draining
                .as_ref()
                .map(|(_, asked)| *asked + DRAIN_TIMEOUT),
            State::Connected if self.keep_alive.is_zero() => None,
            State::Connected => Some(match self.ping_sent {
                Some(sent) => sent + self.keep_alive,
                None => self.last_sent + self.keep_alive,
            }),
        }
    }

    /// A deadline came: give up on a silent broker, or ping it.
    pub fn on_timer(&mut self, now: Duration) -> Reaction {
        let mut reaction = Reaction::none();
        match self.state {
            State::Over => {}
            State::Connecting => {
                if now >= self.connect_sent + CONNACK_TIMEOUT {
                    self.state = State::Over;
                    reaction.close = Some((
                        1001,
                        format!(
                            "MQTT: no CONNACK within {} s of CONNECT",
                            CONNACK_TIMEOUT.as_secs()
                        ),
                    ));
                }
            }
            State::Draining => {
                if self
                    .draining
                    .as_ref()
                    .is_some_and(|(_, asked)| now >= *asked + DRAIN_TIMEOUT)
                {
                    self.disconnect_now(&mut reaction, now);
                }
            }
            State::Connected => match self.ping_sent {
                Some(sent) if now >= sent + self.keep_alive => {
                    self.state = State::Over;
                    reaction.close = Some((
                        1001,
                        format!(
                            "MQTT keep-alive: no PINGRESP within {} s of PINGREQ",
                            self.keep_alive.as_secs()
                        ),
                    ));
                }
                None if !self.keep_alive.is_zero() && now >= self.last_sent + self.keep_alive => {
                    self.send(&mut reaction, &Packet::Pingreq, now);
                    self.ping_sent = Some(now);
                }
                _ => {}
            },
        }
        reaction
    }

    /// Gives a packet that needs one a free packet id, and notes what it waits for.
    fn assign_id(&mut self, packet: &mut Packet) -> Result<(), OpError> {
        let slot = match packet {
            Packet::Publish(publish) if publish.qos > 0 => &mut publish.packet_id,
            Packet::Subscribe { packet_id, .. } | Packet::Unsubscribe { packet_id, .. } => {
                let id = self.free_id()?;
                *packet_id = id;
                self.pending.insert(id);
                return Ok(());
            }
            _ => return Ok(()),
        };
        let id = self.free_id()?;
        *slot = Some(id);
        if let Packet::Publish(publish) = packet {
            let waiting = if publish.qos == 1 {
                Waiting::Puback
            } else {
                Waiting::Pubrec
            };
            self.outgoing.insert(id, waiting);
        }
        Ok(())
    }

    /// The next packet id not in use (1 to 65535, wrapping).
    fn free_id(&mut self) -> Result<u16, OpError> {
        for _ in 0..u16::MAX {
            self.last_id = self.last_id.checked_add(1).unwrap_or(1);
            if !self.outgoing.contains_key(&self.last_id) && !self.pending.contains(&self.last_id) {
                return Ok(self.last_id);
            }
        }
        Err(OpError::new(
            "all 65535 MQTT packet ids are waiting for acknowledgements",
        ))
    }

    /// Adds `packet` to the frames sent, one packet per WebSocket message.
    fn send(&mut self, reaction: &mut Reaction, packet: &Packet, now: Duration) {
        match packet.write(self.level) {
            Ok(bytes) => {
                reaction.send.push(Frame::Binary(Bytes::from(bytes)));
                self.last_sent = now;
            }
            Err(error) => {
                // Checked when the op was read; a packet that still cannot be written
                // ends the session rather than going out wrong.
                self.state = State::Over;
                reaction.close = Some((1011, format!("MQTT: could not write a packet: {error}")));
            }
        }
    }

    /// True when no flow we take part in waits for a packet.
    fn settled(&self) -> bool {
        self.outgoing.is_empty() && self.pending.is_empty() && self.releasing.is_empty()
    }

    /// Sends the waiting DISCONNECT; then the client closes the connection.
    fn disconnect_now(&mut self, reaction: &mut Reaction, now: Duration) {
        if let Some((packet, _)) = self.draining.take() {
            self.send(reaction, &packet, now);
        }
        self.state = State::Over;
        if reaction.close.is_none() {
            reaction.close = Some((1000, "MQTT DISCONNECT".to_owned()));
        }
    }
}

/// An acknowledgement of `kind` for `packet_id`.
fn ack(kind: AckKind, packet_id: u16) -> Packet {
    Packet::Ack {
        kind,
        packet_id,
        code: 0,
        properties: Props::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mqtt::options::V311;
    use serde_json::json;

    fn packets(reaction: &Reaction, level: u8) -> Vec<Packet> {
        let mut stream = PacketStream::default();
        reaction
            .send
            .iter()
            .flat_map(|frame| match frame {
                Frame::Binary(bytes) => stream.push(bytes, level).unwrap(),
                Frame::Text(_) => panic!("MQTT sends binary messages"),
            })
            .collect()
    }

    fn from_broker(packet: Packet) -> Payload {
        Payload::Binary(Bytes::from(packet.write(V311).unwrap()))
    }

    fn connack(code: u8) -> Payload {
        from_broker(Packet::Connack {
            session_present: false,
            code,
            properties: Props::new(),
        })
    }

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn connect_goes_out_on_open_and_operations_wait_for_connack() {
        let options = Options {
            client_id: "me".into(),
            username: "u".into(),
            password: "p".into(),
            ..Options::default()
        };
        let mut session = Session::new(&options);
        let sent = packets(&session.on_open(Some("mqtt"), Duration::ZERO), V311);
        let [Packet::Connect(connect)] = &sent[..] else {
            panic!("{sent:?}")
        };
        assert_eq!(connect.client_id, "me");
        assert_eq!(connect.password.as_deref(), Some(&b"p"[..]));
        let held = session
            .on_op(
                &json!({"type": "subscribe", "topic": "a/#", "qos": 1}),
                Duration::ZERO,
            )
            .unwrap();
        assert!(held.send.is_empty());
        let sent = packets(&session.on_frame(&connack(0), SEC), V311);
        assert_eq!(
            sent,
            vec![Packet::Subscribe {
                packet_id: 1,
                filters: vec![("a/#".into(), 1)],
                properties: Props::new()
            }]
        );
    }

    #[test]
    fn a_refused_connack_closes_saying_why() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, Duration::ZERO);
        let reaction = session.on_frame(&connack(4), SEC);
        let (code, reason) = reaction.close.unwrap();
        assert_eq!(code, 1000);
        assert!(reason.contains("bad user name or password"), "{reason}");
        assert!(session.on_op(&json!({"type": "pingreq"}), SEC).is_err());
        assert_eq!(session.next_timer(), None);
    }

    #[test]
    fn qos_flows_are_answered_in_both_directions() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, Duration::ZERO);
        session.on_frame(&connack(0), Duration::ZERO);
        // Ours, QoS 2: PUBREC is answered by PUBREL; PUBCOMP frees the id.
        let sent = packets(
            &session
                .on_op(
                    &json!({"type": "publish", "topic": "t", "payload": "x", "qos": 2}),
                    SEC,
                )
                .unwrap(),
            V311,
        );
        assert!(matches!(&sent[..], [Packet::Publish(p)] if p.packet_id == Some(1)));
        let sent = packets(
            &session.on_frame(&from_broker(ack(AckKind::Pubrec, 1)), SEC),
            V311,
        );
        assert_eq!(sent, vec![ack(AckKind::Pubrel, 1)]);
        session.on_frame(&from_broker(ack(AckKind::Pubcomp, 1)), SEC);
        assert!(session.outgoing.is_empty());
        // The broker's, QoS 1 and 2, packed in one message.
        let mut both = from_broker(Packet::Publish(super::super::packet::Publish {
            dup: false,
            qos: 1,
            retain: false,
            topic: "t".into(),
            packet_id: Some(7),
            properties: Props::new(),
            payload: Bytes::new(),
        }))
        .as_bytes()
        .to_vec();
        both.extend_from_slice(from_broker(ack(AckKind::Pubrel, 8)).as_bytes());
        let sent = packets(&session.on_frame(&Payload::Binary(both.into()), SEC), V311);
        assert_eq!(
            sent,
            vec![ack(AckKind::Puback, 7), ack(AckKind::Pubcomp, 8)]
        );
    }

    #[test]
    fn pings_keep_the_connection_and_a_missing_pingresp_closes_it() {
        let options = Options {
            keep_alive: 2,
            ..Options::default()
        };
        let mut session = Session::new(&options);
        session.on_open(None, Duration::ZERO);
        session.on_frame(&connack(0), Duration::ZERO);
        assert_eq!(session.next_timer(), Some(2 * SEC));
        let sent = packets(&session.on_timer(2 * SEC), V311);
        assert_eq!(sent, vec![Packet::Pingreq]);
        session.on_frame(&from_broker(Packet::Pingresp), 2 * SEC);
        assert_eq!(session.next_timer(), Some(4 * SEC));
        assert_eq!(
            packets(&session.on_timer(4 * SEC), V311),
            vec![Packet::Pingreq]
        );
        assert_eq!(session.next_timer(), Some(6 * SEC));
        let (code, reason) = session.on_timer(6 * SEC).close.unwrap();
        assert_eq!(code, 1001);
        assert!(reason.contains("no PINGRESP within 2 s"), "{reason}");
    }

    #[test]
    fn disconnect_waits_for_the_flows_in_progress() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, Duration::ZERO);
        session.on_frame(&connack(0), Duration::ZERO);
        session
            .on_op(&json!({"type": "publish", "topic": "t", "qos": 1}), SEC)
            .unwrap();
        let waiting = session.on_op(&json!({"type": "disconnect"}), SEC).unwrap();
        assert!(waiting.send.is_empty() && waiting.close.is_none());
        assert!(session.on_op(&json!({"type": "pingreq"}), SEC).is_err());
        let reaction = session.on_frame(&from_broker(ack(AckKind::Puback, 1)), 2 * SEC);
        assert_eq!(
            packets(&reaction, V311),
            vec![Packet::Disconnect {
                code: 0,
                properties: Props::new()
            }]
        );
        assert_eq!(reaction.close, Some((1000, "MQTT DISCONNECT".to_owned())));
        // A broker that never answers: DISCONNECT goes after DRAIN_TIMEOUT.
        let mut session = Session::new(&Options::default());
        session.on_open(None, Duration::ZERO);
        session.on_frame(&connack(0), Duration::ZERO);
        session
            .on_op(&json!({"type": "subscribe", "topic": "t"}), SEC)
            .unwrap();
        session.on_op(&json!({"type": "disconnect"}), SEC).unwrap();
        assert_eq!(session.next_timer(), Some(SEC + DRAIN_TIMEOUT));
        assert!(session.on_timer(SEC + DRAIN_TIMEOUT).close.is_some());
    }

    #[test]
    fn disconnect_goes_out_then_the_connection_closes() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, Duration::ZERO);
        session.on_frame(&connack(0), Duration::ZERO);
        let reaction = session.on_op(&json!({"type": "disconnect"}), SEC).unwrap();
        assert_eq!(
            packets(&reaction, V311),
            vec![Packet::Disconnect {
                code: 0,
                properties: Props::new()
            }]
        );
        assert_eq!(reaction.close, Some((1000, "MQTT DISCONNECT".to_owned())));
    }
}
