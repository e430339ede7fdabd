//! `/mqtt`: a one-connection MQTT 3.1.1/5 broker, so the MQTT tab does something offline.
//! It answers CONNECT (user name `denied` is refused), SUBSCRIBE, UNSUBSCRIBE and PINGREQ,
//! runs the QoS 1 and 2 flows both ways, keeps retained messages, sends what the client
//! publishes back to its matching subscriptions, and publishes `{"counter":N}` to
//! `demo/tick` every second.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::closing::{answer_close, close_and_wait, frame};
use super::{Ws, WsResult};
use crate::protocol::mqtt::options::{V5, V311};
use crate::protocol::mqtt::packet::{AckKind, Packet, Props, Publish};
use crate::protocol::mqtt::stream::PacketStream;

/// The topic of the broker's own ticks.
pub const TICK_TOPIC: &str = "demo/tick";

/// One connection's broker state.
struct Broker {
    level: u8,
    connected: bool,
    /// Topic filter → granted QoS.
    subscriptions: BTreeMap<String, u8>,
    /// Topic → retained message.
    retained: BTreeMap<String, Publish>,
    last_id: u16,
}

/// Runs the broker until the client disconnects or closes.
pub async fn mqtt(ws: &mut Ws) -> WsResult {
    let mut broker = Broker {
        level: V311,
        connected: false,
        subscriptions: BTreeMap::new(),
        retained: BTreeMap::new(),
        last_id: 0,
    };
    let mut stream = PacketStream::default();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut counter: u64 = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if broker.connected {
                    counter += 1;
                    let tick = publish(TICK_TOPIC, format!("{{\"counter\":{counter}}}"), 1, false);
                    let out = broker.deliver(&tick);
                    send(ws, broker.level, out).await?;
                }
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    let packets = match stream.push(&bytes, broker.level) {
                        Ok(packets) => packets,
                        Err(error) => {
                            let reason = format!("malformed MQTT: {error}");
                            return close_and_wait(ws, Some(frame(1002, truncate(reason)))).await;
                        }
                    };
                    for packet in packets {
                        if matches!(packet, Packet::Disconnect { .. }) {
                            return close_and_wait(ws, Some(frame(1000, "MQTT DISCONNECT"))).await;
                        }
                        let (out, refused) = broker.answer(packet);
                        send(ws, broker.level, out).await?;
                        if refused {
                            return close_and_wait(ws, Some(frame(1000, "CONNECT refused"))).await;
                        }
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    let reason = "MQTT over WebSocket is binary messages";
                    return close_and_wait(ws, Some(frame(1003, reason))).await;
                }
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

impl Broker {
    /// The packets answering one of the client's, and whether the connection is refused.
    fn answer(&mut self, packet: Packet) -> (Vec<Packet>, bool) {
        match packet {
            Packet::Connect(connect) => {
                self.level = connect.level;
                let refused = connect.username.as_deref() == Some("denied");
                let code = match (refused, self.level == V5) {
                    (false, _) => 0,
                    (true, true) => 0x87,
                    (true, false) => 5,
                };
                self.connected = !refused;
                let connack = Packet::Connack {
                    session_present: false,
                    code,
                    properties: Props::new(),
                };
                (vec![connack], refused)
            }
            Packet::Publish(incoming) => {
                let mut out = Vec::new();
                match (incoming.qos, incoming.packet_id) {
                    (1, Some(id)) => out.push(ack(AckKind::Puback, id)),
                    (2, Some(id)) => out.push(ack(AckKind::Pubrec, id)),
                    _ => {}
                }
                if incoming.retain {
                    if incoming.payload.is_empty() {
                        self.retained.remove(&incoming.topic);
                    } else {
                        self.retained
                            .insert(incoming.topic.clone(), incoming.clone());
                    }
                }
                let mut copy = incoming;
                copy.retain = false;
                out.extend(self.deliver(&copy));
                (out, false)
            }
            Packet::Ack {
                kind, packet_id, ..
            } => match kind {
                AckKind::Pubrel => (vec![ack(AckKind::Pubcomp, packet_id)], false),
                AckKind::Pubrec => (vec![ack(AckKind::Pubrel, packet_id)], false),
                AckKind::Puback | AckKind::Pubcomp => (Vec::new(), false),
            },
            Packet::Subscribe {
                packet_id, filters, ..
            } => {
                let mut codes = Vec::new();
                let mut retained = Vec::new();
                for (filter, options) in filters {
                    let qos = (options & 3).min(2);
                    codes.push(qos);
                    for message in self.retained.values() {
                        if matches(&filter, &message.topic) {
                            retained.push((message.clone(), qos));
                        }
                    }
                    self.subscriptions.insert(filter, qos);
                }
                let mut out = vec![Packet::Suback {
                    packet_id,
                    codes,
                    properties: Props::new(),
                }];
                for (message, qos) in retained {
                    out.push(self.copy_for(&message, qos));
                }
                (out, false)
            }
            Packet::Unsubscribe {
                packet_id, filters, ..
            } => {
                let codes = filters
                    .iter()
                    .map(|filter| match self.subscriptions.remove(filter) {
                        Some(_) => 0x00,
                        None => 0x11,
                    })
                    .collect();
                let unsuback = Packet::Unsuback {
                    packet_id,
                    codes,
                    properties: Props::new(),
                };
                (vec![unsuback], false)
            }
            Packet::Pingreq => (vec![Packet::Pingresp], false),
            _ => (Vec::new(), false),
        }
    }

    /// Copies of `message` for each matching subscription, at the lower of the two QoS.
    fn deliver(&mut self, message: &Publish) -> Vec<Packet> {
        let granted: Vec<u8> = self
            .subscriptions
            .iter()
            .filter(|(filter, _)| matches(filter, &message.topic))
            .map(|(_, qos)| *qos)
            .collect();
        granted
            .into_iter()
            .map(|qos| self.copy_for(message, qos.min(message.qos)))
            .collect()
    }

    /// `message` as sent to the client at `qos`, with a fresh packet id when it needs one.
    fn copy_for(&mut self, message: &Publish, qos: u8) -> Packet {
        let mut copy = message.clone();
        copy.qos = qos.min(message.qos);
        copy.dup = false;
        copy.packet_id = (copy.qos > 0).then(|| {
            self.last_id = self.last_id.checked_add(1).unwrap_or(1);
            self.last_id
        });
        Packet::Publish(copy)
    }
}

/// A PUBLISH of `payload` to `topic`.
fn publish(topic: &str, payload: String, qos: u8, retain: bool) -> Publish {
    Publish {
        dup: false,
        qos,
        retain,
        topic: topic.to_owned(),
        packet_id: None,
        properties: Props::new(),
        payload: Bytes::from(payload),
    }
}

/// An acknowledgement.
fn ack(kind: AckKind, packet_id: u16) -> Packet {
    Packet::Ack {
        kind,
        packet_id,
        code: 0,
        properties: Props::new(),
    }
}

/// Sends each packet as one binary message.
async fn send(ws: &mut Ws, level: u8, packets: Vec<Packet>) -> WsResult {
    for packet in packets {
        if let Ok(bytes) = packet.write(level) {
            ws.send(Message::Binary(Bytes::from(bytes))).await?;
        }
    }
    Ok(())
}

/// A close reason cut to what a close frame carries.
fn truncate(mut reason: String) -> String {
    while reason.len() > 120 {
        reason.pop();
    }
    reason
}

/// Whether topic filter `filter` (with `+` and `#`) matches topic name `topic`.
pub fn matches(filter: &str, topic: &str) -> bool {
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        match (level, topic_levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (level, Some(name)) if level == name => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filters_match_like_mqtt_says() {
        assert!(matches("a/#", "a/b/c"));
        assert!(matches("a/#", "a"));
        assert!(matches("a/+/c", "a/b/c"));
        assert!(!matches("a/+", "a/b/c"));
        assert!(matches("#", "demo/tick"));
        assert!(!matches("a/b", "a"));
    }
}
