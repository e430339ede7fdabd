//! `/socket.io/`: a minimal Socket.IO v4 server (Engine.IO 4, websocket transport only), so
//! the Socket.IO protocol can be tried offline. It sends the Engine.IO open packet, pings
//! every 25 s, joins any namespace the client connects to (and greets it with a `welcome`
//! event), emits every event back with the same name and arguments (binary attachments
//! included), and answers an event that asks for an ack with its arguments. Packets for a
//! namespace the client has not joined are ignored.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::closing::answer_close;
use super::{MAX_MESSAGE_BYTES, Ws, WsResult};
use crate::protocol::socketio::packet::{EnginePacket, Kind, Packet, parse_engine};

/// Time between the server's pings.
const PING_INTERVAL: Duration = Duration::from_secs(25);
/// How long the client has to answer one (announced; the demo does not enforce it).
const PING_TIMEOUT: Duration = Duration::from_secs(20);
/// At most this many namespaces joined at once.
const MAX_NAMESPACES: usize = 64;
/// At most this many attachments in one packet.
const MAX_ATTACHMENTS: usize = 16;

/// Serves one Socket.IO client until it closes.
pub async fn serve(ws: &mut Ws) -> WsResult {
    let mut demo = Demo::new(format!("{:016x}", fastrand::u64(..)));
    ws.send(Message::text(demo.open_packet())).await?;
    let mut pings = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let replies = tokio::select! {
            _ = pings.tick() => vec![Message::text("2")],
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => demo.on_text(text.as_str()),
                Some(Ok(Message::Binary(bytes))) => demo.on_binary(bytes),
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => Vec::new(),
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            },
        };
        for reply in replies {
            ws.feed(reply).await?;
        }
        ws.flush().await?;
    }
}

/// A binary packet whose attachments are still coming.
#[derive(Debug)]
struct Pending {
    packet: Packet,
    attachments: Vec<Bytes>,
    bytes: usize,
}

/// One client's Socket.IO state, without I/O: messages in, replies out.
#[derive(Debug)]
struct Demo {
    sid: String,
    /// Joined namespaces and the socket id each was given.
    joined: BTreeMap<String, String>,
    pending: Option<Pending>,
}

impl Demo {
    fn new(sid: String) -> Self {
        Self {
            sid,
            joined: BTreeMap::new(),
            pending: None,
        }
    }

    fn open_packet(&self) -> String {
        let open = json!({
            "sid": self.sid,
            "upgrades": [],
            "pingInterval": PING_INTERVAL.as_millis() as u64,
            "pingTimeout": PING_TIMEOUT.as_millis() as u64,
            "maxPayload": MAX_MESSAGE_BYTES,
        });
        format!("0{open}")
    }

    fn on_text(&mut self, text: &str) -> Vec<Message> {
        self.pending = None;
        match parse_engine(text) {
            Ok(EnginePacket::Ping(data)) => vec![Message::text(format!("3{data}"))],
            Ok(EnginePacket::Message(text)) => match Packet::parse(text) {
                Ok(packet) if packet.kind.is_binary() && packet.attachments > 0 => {
                    if packet.attachments <= MAX_ATTACHMENTS {
                        self.pending = Some(Pending {
                            packet,
                            attachments: Vec::new(),
                            bytes: 0,
                        });
                    }
                    Vec::new()
                }
                Ok(packet) => self.on_packet(packet, Vec::new()),
                Err(_) => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn on_binary(&mut self, bytes: Bytes) -> Vec<Message> {
        let Some(pending) = &mut self.pending else {
            return Vec::new();
        };
        pending.bytes += bytes.len();
        if pending.bytes > MAX_MESSAGE_BYTES {
            self.pending = None;
            return Vec::new();
        }
        pending.attachments.push(bytes);
        if pending.attachments.len() < pending.packet.attachments {
            return Vec::new();
        }
        match self.pending.take() {
            Some(done) => self.on_packet(done.packet, done.attachments),
            None => Vec::new(),
        }
    }

    fn on_packet(&mut self, packet: Packet, attachments: Vec<Bytes>) -> Vec<Message> {
        let namespace = packet.namespace.clone();
        match packet.kind {
            Kind::Connect => self.join(&namespace),
            Kind::Disconnect => {
                self.joined.remove(&namespace);
                Vec::new()
            }
            Kind::Event | Kind::BinaryEvent if self.joined.contains_key(&namespace) => {
                let mut replies = Vec::new();
                let echo = Packet {
                    id: None,
                    ..packet.clone()
                };
                replies.push(Message::text(format!("4{}", echo.encode())));
                replies.extend(attachments.iter().cloned().map(Message::Binary));
                if let Some(id) = packet.id {
                    let args: Vec<Value> = packet.args();
                    let ack = Packet {
                        kind: if packet.kind.is_binary() {
                            Kind::BinaryAck
                        } else {
                            Kind::Ack
                        },
                        attachments: packet.attachments,
                        namespace,
                        id: Some(id),
                        data: Some(Value::Array(args)),
                    };
                    replies.push(Message::text(format!("4{}", ack.encode())));
                    replies.extend(attachments.into_iter().map(Message::Binary));
                }
                replies
            }
            _ => Vec::new(),
        }
    }

    fn join(&mut self, namespace: &str) -> Vec<Message> {
        if !self.joined.contains_key(namespace) && self.joined.len() >= MAX_NAMESPACES {
            let refused = Packet::new(
                Kind::ConnectError,
                namespace,
                Some(json!({"message": "too many namespaces"})),
            );
            return vec![Message::text(format!("4{}", refused.encode()))];
        }
        let socket = format!("{}-{}", self.sid, self.joined.len());
        self.joined.insert(namespace.to_owned(), socket.clone());
        let joined = Packet::new(Kind::Connect, namespace, Some(json!({"sid": socket})));
        let welcome = Packet::new(
            Kind::Event,
            namespace,
            Some(
                json!(["welcome", {"namespace": namespace, "text": "Sockscope demo: events come back as they went"}]),
            ),
        );
        vec![
            Message::text(format!("4{}", joined.encode())),
            Message::text(format!("4{}", welcome.encode())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(messages: &[Message]) -> Vec<String> {
        messages
            .iter()
            .map(|message| match message {
                Message::Text(text) => text.to_string(),
                Message::Binary(bytes) => format!("<{bytes:?}>"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn joins_echoes_and_acks() {
        let mut demo = Demo::new("s".into());
        assert!(
            demo.open_packet()
                .starts_with(r#"0{"sid":"s","upgrades":[],"pingInterval":25000"#)
        );
        let joined = texts(&demo.on_text("40/chat,"));
        assert_eq!(joined[0], r#"40/chat,{"sid":"s-0"}"#);
        assert!(joined[1].starts_with(r#"42/chat,["welcome""#));
        assert_eq!(
            texts(&demo.on_text(r#"42/chat,7["hi",1]"#)),
            vec![r#"42/chat,["hi",1]"#, r#"43/chat,7[1]"#]
        );
        assert!(demo.on_text(r#"42["not joined"]"#).is_empty());
        assert_eq!(texts(&demo.on_text("2")), vec!["3"]);
    }

    #[test]
    fn binary_events_come_back_with_their_attachments() {
        let mut demo = Demo::new("s".into());
        demo.on_text("40");
        assert!(
            demo.on_text(r#"451-3["up",{"_placeholder":true,"num":0}]"#)
                .is_empty()
        );
        let replies = demo.on_binary(Bytes::from_static(&[1, 2]));
        assert_eq!(
            texts(&replies),
            vec![
                r#"451-["up",{"_placeholder":true,"num":0}]"#.to_owned(),
                format!("<{:?}>", Bytes::from_static(&[1, 2])),
                r#"461-3[{"_placeholder":true,"num":0}]"#.to_owned(),
                format!("<{:?}>", Bytes::from_static(&[1, 2])),
            ]
        );
        assert!(
            demo.on_binary(Bytes::from_static(&[3])).is_empty(),
            "no packet waits"
        );
    }
}
