//! The engine's half: the Engine.IO handshake and heartbeats, joining namespaces, and the
//! user's operations as packets, held until the namespace they go to has been joined
//! (a Socket.IO server closes the whole connection on a packet for a namespace it has not
//! joined the client to).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use serde_json::Value;

use super::binary::to_placeholders;
use super::heartbeat::Heartbeat;
use super::ops::Op;
use super::options::Options;
use super::packet::{EnginePacket, Kind, Packet, parse_engine, parse_open};
use crate::engine::Payload;
use crate::protocol::{Frame, OpError, Reaction};

/// How long the server has to send the Engine.IO open packet after the WebSocket opened.
const OPEN_WAIT: Duration = Duration::from_secs(20);

/// The close reason when the server went silent.
pub const PING_TIMEOUT: &str = "Socket.IO ping timeout";

/// How the close reason starts when the server sent no open packet.
pub const NO_OPEN: &str = "Socket.IO: no Engine.IO open packet";

/// Where a namespace stands, as the server has answered so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Joined {
    /// The CONNECT went (or the server connects it by itself); no answer yet.
    Waiting,
    /// The server's CONNECT reply came.
    Yes,
    /// The server answered CONNECT_ERROR.
    Refused,
}

/// Frames held until they may go.
#[derive(Debug)]
struct Held {
    frames: Vec<Frame>,
    /// The namespace whose CONNECT reply must have come first.
    after: Option<String>,
    /// Sending these frames joins this namespace (a CONNECT).
    joins: Option<String>,
    /// Sending these frames leaves this namespace (a DISCONNECT).
    leaves: Option<String>,
}

/// One attempt's Socket.IO state. Times are since the attempt started.
#[derive(Debug)]
pub struct Session {
    v3: bool,
    namespace: String,
    auth: Option<Box<Value>>,
    /// The WebSocket opened and the Engine.IO open packet has not come yet: wait until.
    open_wait: Option<Duration>,
    /// Set by the Engine.IO open packet.
    heartbeat: Option<Box<Heartbeat>>,
    /// Namespaces as the server answered.
    joined: BTreeMap<String, Joined>,
    /// Namespaces joined (or being joined) once the held frames have gone.
    planned: BTreeSet<String>,
    held: VecDeque<Held>,
    next_ack_id: u64,
    /// The session gave up or the server closed it: nothing more is sent.
    ended: bool,
}

impl Session {
    /// A fresh session: the tab's namespace will be joined once the server's open packet
    /// has come.
    pub fn new(options: &Options) -> Self {
        let mut session = Self {
            v3: options.engine_v3(),
            namespace: options.namespace(),
            auth: options.auth_payload().map(Box::new),
            open_wait: None,
            heartbeat: None,
            joined: BTreeMap::new(),
            planned: BTreeSet::new(),
            held: VecDeque::new(),
            next_ack_id: 0,
            ended: false,
        };
        if session.v3 {
            // Engine.IO 3: the server joins the client to `/` by itself.
            session.joined.insert("/".into(), Joined::Waiting);
            session.planned.insert("/".into());
        }
        let namespace = session.namespace.clone();
        session.plan_join(&namespace);
        session
    }

    /// The WebSocket opened: the server's Engine.IO open packet is awaited.
    pub fn on_open(&mut self, _subprotocol: Option<&str>, now: Duration) -> Reaction {
        self.open_wait = Some(now.saturating_add(OPEN_WAIT));
        Reaction::none()
    }

    /// A data message arrived.
    pub fn on_frame(&mut self, payload: &Payload, now: Duration) -> Reaction {
        if let Some(heartbeat) = &mut self.heartbeat {
            heartbeat.heard(now);
        }
        let Payload::Text(text) = payload else {
            // A binary attachment: nothing to answer.
            return Reaction::none();
        };
        let Ok(packet) = parse_engine(text.as_str()) else {
            return Reaction::none();
        };
        match packet {
            EnginePacket::Open(json) => self.on_engine_open(json, now),
            EnginePacket::Ping(data) => Reaction::text(format!("3{data}")),
            EnginePacket::Close => {
                self.ended = true;
                Reaction::none()
            }
            EnginePacket::Message(text) => match Packet::parse(text) {
                Ok(packet) => self.on_packet(packet),
                Err(_) => Reaction::none(),
            },
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => Reaction::none(),
        }
    }

    fn on_engine_open(&mut self, json: &str, now: Duration) -> Reaction {
        if self.heartbeat.is_some() {
            return Reaction::none();
        }
        self.open_wait = None;
        match parse_open(json) {
            Ok(open) => {
                self.heartbeat = Some(Box::new(Heartbeat::new(&open, self.v3, now)));
                Reaction::send(self.flush())
            }
            Err(error) => {
                self.ended = true;
                Reaction {
                    send: Vec::new(),
                    close: Some((1002, format!("Socket.IO: {error}"))),
                }
            }
        }
    }

    fn on_packet(&mut self, packet: Packet) -> Reaction {
        let namespace = packet.namespace.clone();
        match packet.kind {
            Kind::Connect => {
                self.joined.insert(namespace.clone(), Joined::Yes);
                self.planned.insert(namespace);
                Reaction::send(self.flush())
            }
            Kind::ConnectError => {
                self.joined.insert(namespace.clone(), Joined::Refused);
                self.planned.remove(&namespace);
                let send = self.flush();
                let none_left = !self
                    .joined
                    .values()
                    .any(|state| matches!(state, Joined::Yes | Joined::Waiting))
                    && !self.held.iter().any(|held| held.joins.is_some());
                if none_left {
                    // As the official client does when its last namespace is gone.
                    self.ended = true;
                    let why = super::units::connect_error_message(packet.data.as_ref());
                    return Reaction {
                        send,
                        close: Some((
                            1000,
                            format!("Socket.IO: the server refused namespace {namespace}: {why}"),
                        )),
                    };
                }
                Reaction::send(send)
            }
            Kind::Disconnect => {
                self.joined.remove(&namespace);
                self.planned.remove(&namespace);
                Reaction::send(self.flush())
            }
            Kind::Event | Kind::Ack | Kind::BinaryEvent | Kind::BinaryAck => Reaction::none(),
        }
    }

    /// The user's operation; its frames go once the namespace has been joined.
    pub fn on_op(&mut self, op: &Value, _now: Duration) -> Result<Reaction, OpError> {
        if self.ended {
            return Err(OpError::new("the Socket.IO session has ended"));
        }
        let op = Op::parse(op, &self.namespace)?;
        let opened = self.heartbeat.is_some();
        match op {
            Op::Event {
                namespace,
                event,
                mut args,
                ack,
            } => {
                self.plan_join(&namespace);
                let id = ack.then(|| {
                    let id = self.next_ack_id;
                    self.next_ack_id += 1;
                    id
                });
                args.insert(0, Value::String(event));
                let frames = self.data_frames(Kind::Event, &namespace, id, args)?;
                self.hold(frames, Some(namespace), None, None);
            }
            Op::Ack {
                namespace,
                id,
                args,
            } => {
                if opened && !self.planned.contains(&namespace) {
                    return Err(OpError::new(format!(
                        "namespace {namespace} is not joined: there is no event to answer there"
                    )));
                }
                let frames = self.data_frames(Kind::Ack, &namespace, Some(id), args)?;
                self.hold(frames, Some(namespace), None, None);
            }
            Op::Connect { namespace, auth } => {
                if self.planned.contains(&namespace) {
                    return Err(OpError::new(format!(
                        "namespace {namespace} is already joined (or being joined)"
                    )));
                }
                let frame = self.connect_frame(&namespace, auth.as_ref());
                self.planned.insert(namespace.clone());
                self.hold(vec![frame], None, Some(namespace), None);
            }
            Op::Disconnect { namespace } => {
                if opened && !self.planned.contains(&namespace) {
                    return Err(OpError::new(format!(
                        "namespace {namespace} is not joined: nothing to leave"
                    )));
                }
                self.planned.remove(&namespace);
                let frame = Frame::Text(format!(
                    "4{}",
                    Packet::new(Kind::Disconnect, &namespace, None).encode()
                ));
                self.hold(vec![frame], Some(namespace.clone()), None, Some(namespace));
            }
        }
        Ok(Reaction::send(self.flush()))
    }

    /// When the timer is next due: the open packet's deadline, the next Engine.IO 3 ping,
    /// or the moment the server has been silent too long.
    pub fn next_timer(&self) -> Option<Duration> {
        if self.ended {
            return None;
        }
        match &self.heartbeat {
            Some(heartbeat) => Some(heartbeat.next_due()),
            None => self.open_wait,
        }
    }

    /// The timer is due: a ping to send, or a server given up on.
    pub fn on_timer(&mut self, now: Duration) -> Reaction {
        if self.ended {
            return Reaction::none();
        }
        let Some(heartbeat) = &mut self.heartbeat else {
            if self.open_wait.is_some_and(|until| now >= until) {
                self.ended = true;
                return Reaction {
                    send: Vec::new(),
                    close: Some((
                        1000,
                        format!(
                            "{NO_OPEN} within {} s: is this a Socket.IO endpoint?",
                            OPEN_WAIT.as_secs()
                        ),
                    )),
                };
            }
            return Reaction::none();
        };
        if heartbeat.silent_too_long(now) {
            self.ended = true;
            return Reaction {
                send: Vec::new(),
                close: Some((1000, PING_TIMEOUT.into())),
            };
        }
        if heartbeat.ping_due(now) {
            return Reaction::text("2");
        }
        Reaction::none()
    }

    /// Plans joining `namespace` unless it is (being) joined.
    fn plan_join(&mut self, namespace: &str) {
        if self.planned.contains(namespace) {
            return;
        }
        let auth = (namespace == self.namespace)
            .then(|| self.auth.as_deref().cloned())
            .flatten();
        let frame = self.connect_frame(namespace, auth.as_ref());
        self.planned.insert(namespace.to_owned());
        self.hold(vec![frame], None, Some(namespace.to_owned()), None);
    }

    /// A CONNECT: Socket.IO v3/v4 carry the auth payload; Engine.IO 3's has none.
    fn connect_frame(&self, namespace: &str, auth: Option<&Value>) -> Frame {
        let data = if self.v3 { None } else { auth.cloned() };
        Frame::Text(format!(
            "4{}",
            Packet::new(Kind::Connect, namespace, data).encode()
        ))
    }

    /// An event's or ack's frames: the packet, then its binary attachments.
    fn data_frames(
        &self,
        kind: Kind,
        namespace: &str,
        id: Option<u64>,
        items: Vec<Value>,
    ) -> Result<Vec<Frame>, OpError> {
        let (data, attachments) = to_placeholders(&Value::Array(items)).map_err(OpError::new)?;
        let mut packet = Packet::new(kind, namespace, Some(data));
        packet.id = id;
        if !attachments.is_empty() {
            packet.kind = match kind {
                Kind::Ack => Kind::BinaryAck,
                _ => Kind::BinaryEvent,
            };
            packet.attachments = attachments.len();
        }
        let mut frames = vec![Frame::Text(format!("4{}", packet.encode()))];
        for bytes in attachments {
            frames.push(Frame::Binary(if self.v3 {
                // Engine.IO 3 marks a binary message with its packet type, 4.
                let mut marked = Vec::with_capacity(bytes.len() + 1);
                marked.push(4);
                marked.extend_from_slice(&bytes);
                marked.into()
            } else {
                bytes
            }));
        }
        Ok(frames)
    }

    fn hold(
        &mut self,
        frames: Vec<Frame>,
        after: Option<String>,
        joins: Option<String>,
        leaves: Option<String>,
    ) {
        self.held.push_back(Held {
            frames,
            after,
            joins,
            leaves,
        });
    }

    /// The held frames that may go now, in order; those for a namespace the server refused
    /// (or left) are dropped.
    fn flush(&mut self) -> Vec<Frame> {
        let mut out = Vec::new();
        if self.heartbeat.is_none() || self.ended {
            return out;
        }
        while let Some(head) = self.held.front() {
            if let Some(namespace) = &head.after {
                match self.joined.get(namespace) {
                    Some(Joined::Yes) => {}
                    Some(Joined::Waiting) => break,
                    Some(Joined::Refused) | None => {
                        self.held.pop_front();
                        continue;
                    }
                }
            }
            let Some(held) = self.held.pop_front() else {
                break;
            };
            out.extend(held.frames);
            if let Some(namespace) = held.joins {
                self.joined.insert(namespace, Joined::Waiting);
            }
            if let Some(namespace) = held.leaves {
                self.joined.remove(&namespace);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const OPEN: &str = r#"0{"sid":"s1","upgrades":[],"pingInterval":300,"pingTimeout":200}"#;

    fn text(text: &str) -> Payload {
        Payload::Text(text.into())
    }

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn texts(reaction: &Reaction) -> Vec<String> {
        reaction
            .send
            .iter()
            .map(|frame| match frame {
                Frame::Text(text) => text.clone(),
                Frame::Binary(bytes) => format!("<binary {bytes:?}>"),
            })
            .collect()
    }

    fn options(pairs: &[(&str, &str)]) -> Options {
        let mut options = Options::default();
        for (key, value) in pairs {
            options.set(key, value).unwrap();
        }
        options
    }

    #[test]
    fn joins_after_open_and_holds_events_until_the_connect_reply() {
        let mut session = Session::new(&options(&[("auth", r#"{"token":"t"}"#)]));
        assert_eq!(session.on_open(None, ms(0)), Reaction::none());
        let early = session
            .on_op(
                &json!({"type": "event", "event": "chat", "args": ["hi"]}),
                ms(1),
            )
            .unwrap();
        assert!(early.send.is_empty(), "nothing goes before the open packet");
        let opened = session.on_frame(&text(OPEN), ms(2));
        assert_eq!(texts(&opened), vec![r#"40{"token":"t"}"#]);
        let joined = session.on_frame(&text(r#"40{"sid":"x"}"#), ms(3));
        assert_eq!(texts(&joined), vec![r#"42["chat","hi"]"#]);
        let later = session
            .on_op(
                &json!({"type": "event", "event": "chat", "ack": true}),
                ms(4),
            )
            .unwrap();
        assert_eq!(texts(&later), vec![r#"420["chat"]"#]);
    }

    #[test]
    fn other_namespaces_are_joined_first_and_left() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, ms(0));
        session.on_frame(&text(OPEN), ms(1));
        session.on_frame(&text(r#"40{"sid":"x"}"#), ms(2));
        let op = json!({"type": "event", "event": "e", "namespace": "/admin", "args": [1]});
        assert_eq!(
            texts(&session.on_op(&op, ms(3)).unwrap()),
            vec!["40/admin,"]
        );
        let joined = session.on_frame(&text(r#"40/admin,{"sid":"y"}"#), ms(4));
        assert_eq!(texts(&joined), vec![r#"42/admin,["e",1]"#]);
        let leave = json!({"type": "disconnect", "namespace": "/admin"});
        assert_eq!(
            texts(&session.on_op(&leave, ms(5)).unwrap()),
            vec!["41/admin,"]
        );
        assert!(
            session
                .on_op(&leave, ms(6))
                .unwrap_err()
                .0
                .contains("not joined")
        );
        let connect = json!({"type": "connect", "namespace": "/", "auth": {}});
        assert!(
            session
                .on_op(&connect, ms(7))
                .unwrap_err()
                .0
                .contains("already")
        );
    }

    #[test]
    fn binary_arguments_go_as_attachments() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, ms(0));
        session.on_frame(&text(OPEN), ms(1));
        session.on_frame(&text("40"), ms(2));
        let op = json!({"type": "ack", "id": 7, "args": [{"$binary": "AAE="}]});
        let sent = session.on_op(&op, ms(3)).unwrap();
        assert_eq!(
            sent.send,
            vec![
                Frame::Text(r#"461-7[{"_placeholder":true,"num":0}]"#.into()),
                Frame::Binary(vec![0u8, 1].into())
            ]
        );
    }

    #[test]
    fn engine_io_4_answers_pings_and_gives_up_on_a_silent_server() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, ms(0));
        session.on_frame(&text(OPEN), ms(10));
        assert_eq!(texts(&session.on_frame(&text("2"), ms(300))), vec!["3"]);
        assert_eq!(session.next_timer(), Some(ms(800)));
        assert_eq!(session.on_timer(ms(799)), Reaction::none());
        let gave_up = session.on_timer(ms(800));
        assert_eq!(gave_up.close, Some((1000, "Socket.IO ping timeout".into())));
        assert_eq!(session.next_timer(), None);
        assert!(
            session
                .on_op(&json!({"type": "event", "event": "e"}), ms(900))
                .is_err()
        );
    }

    #[test]
    fn engine_io_3_pings_and_is_joined_to_the_default_namespace_by_the_server() {
        let mut session = Session::new(&options(&[("eio", "3"), ("auth", r#"{"a":"b"}"#)]));
        session.on_open(None, ms(0));
        let op = json!({"type": "event", "event": "e", "args": [{"$binary": "AQ=="}]});
        session.on_op(&op, ms(0)).unwrap();
        assert!(
            session.on_frame(&text(OPEN), ms(0)).send.is_empty(),
            "no CONNECT for /"
        );
        let joined = session.on_frame(&text("40"), ms(5));
        assert_eq!(
            joined.send,
            vec![
                Frame::Text(r#"451-["e",{"_placeholder":true,"num":0}]"#.into()),
                Frame::Binary(vec![4u8, 1].into())
            ]
        );
        assert_eq!(session.next_timer(), Some(ms(300)));
        assert_eq!(texts(&session.on_timer(ms(300))), vec!["2"]);
        session.on_frame(&text("3"), ms(310));
        assert_eq!(session.next_timer(), Some(ms(600)));
        let named = Session::new(&options(&[("eio", "3"), ("namespace", "/admin")]));
        let mut named = named;
        named.on_open(None, ms(0));
        assert_eq!(
            texts(&named.on_frame(&text(OPEN), ms(1))),
            vec!["40/admin,"]
        );
    }

    #[test]
    fn a_refused_namespace_drops_its_frames_and_the_last_one_closes() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, ms(0));
        session
            .on_op(&json!({"type": "event", "event": "e"}), ms(0))
            .unwrap();
        session.on_frame(&text(OPEN), ms(1));
        let refused = session.on_frame(&text(r#"44{"message":"not allowed"}"#), ms(2));
        assert!(refused.send.is_empty());
        assert_eq!(
            refused.close,
            Some((
                1000,
                "Socket.IO: the server refused namespace /: not allowed".into()
            ))
        );
    }

    #[test]
    fn no_open_packet_closes_and_bad_ops_are_refused() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, ms(5));
        assert_eq!(session.next_timer(), Some(ms(5) + OPEN_WAIT));
        let closed = session.on_timer(ms(5) + OPEN_WAIT);
        assert!(
            closed
                .close
                .is_some_and(|(_, why)| why.contains("no Engine.IO open packet"))
        );
        let mut session = Session::new(&Options::default());
        assert!(session.on_op(&json!({"type": "nope"}), ms(0)).is_err());
        let bad = json!({"type": "event", "event": "e", "args": [{"$binary": 1}]});
        assert!(session.on_op(&bad, ms(0)).unwrap_err().0.contains("base64"));
    }
}
