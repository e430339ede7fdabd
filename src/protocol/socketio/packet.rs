//! The wire formats: Engine.IO packets (one per WebSocket text message) and the Socket.IO
//! packets that Engine.IO `message` packets carry.
//!
//! Engine.IO: a type digit, then its data: `0{…}` open, `1` close, `2` ping, `3` pong,
//! `4…` message, `5` upgrade, `6` noop. Socket.IO inside a message:
//! `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`, with types `0` CONNECT,
//! `1` DISCONNECT, `2` EVENT, `3` ACK, `4` CONNECT_ERROR, `5` BINARY_EVENT, `6` BINARY_ACK;
//! the namespace is written only when it is not `/`.

use serde_json::Value;

/// One Engine.IO packet of a text message, borrowing its data.
#[derive(Clone, Debug, PartialEq)]
pub enum EnginePacket<'a> {
    /// `0`: the handshake, with the session id and heartbeat intervals (JSON).
    Open(&'a str),
    /// `1`: the other side closes the Engine.IO session.
    Close,
    /// `2`: a heartbeat ping (data such as `probe` is kept).
    Ping(&'a str),
    /// `3`: the answer to a ping.
    Pong(&'a str),
    /// `4`: a Socket.IO packet.
    Message(&'a str),
    /// `5`: switch from long-polling to this transport.
    Upgrade,
    /// `6`: nothing (flushes a poll).
    Noop,
}

/// Reads one Engine.IO packet from a text message.
pub fn parse_engine(text: &str) -> Result<EnginePacket<'_>, String> {
    let mut chars = text.chars();
    let Some(kind) = chars.next() else {
        return Err("an empty message is not an Engine.IO packet".into());
    };
    let rest = chars.as_str();
    match kind {
        '0' => Ok(EnginePacket::Open(rest)),
        '1' => Ok(EnginePacket::Close),
        '2' => Ok(EnginePacket::Ping(rest)),
        '3' => Ok(EnginePacket::Pong(rest)),
        '4' => Ok(EnginePacket::Message(rest)),
        '5' => Ok(EnginePacket::Upgrade),
        '6' => Ok(EnginePacket::Noop),
        other => Err(format!(
            "{other:?} is not an Engine.IO packet type (0 open … 6 noop)"
        )),
    }
}

/// What the Engine.IO open packet says.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenInfo {
    /// The Engine.IO session id.
    pub sid: String,
    /// The transports the server would upgrade to.
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings (Engine.IO 4) or the client's (3).
    pub ping_interval: u64,
    /// Milliseconds a ping's answer may take.
    pub ping_timeout: u64,
    /// The largest payload the server accepts, when it says.
    pub max_payload: Option<u64>,
}

/// Reads the open packet's JSON.
pub fn parse_open(json: &str) -> Result<OpenInfo, String> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| format!("the Engine.IO open packet is not JSON: {e}"))?;
    let number = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("the Engine.IO open packet has no number `{name}`"))
    };
    Ok(OpenInfo {
        sid: value
            .get("sid")
            .and_then(Value::as_str)
            .ok_or("the Engine.IO open packet has no `sid`")?
            .to_owned(),
        upgrades: value
            .get("upgrades")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        ping_interval: number("pingInterval")?,
        ping_timeout: number("pingTimeout")?,
        max_payload: value.get("maxPayload").and_then(Value::as_u64),
    })
}

/// The Socket.IO packet types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `0`: join a namespace (client) / joined (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event with arguments.
    Event,
    /// `3`: the answer to an event that asked for one.
    Ack,
    /// `4`: the server refused to join the namespace.
    ConnectError,
    /// `5`: an event with binary arguments sent as attachments.
    BinaryEvent,
    /// `6`: an ack with binary arguments sent as attachments.
    BinaryAck,
}

impl Kind {
    fn from_digit(digit: char) -> Option<Self> {
        Some(match digit {
            '0' => Kind::Connect,
            '1' => Kind::Disconnect,
            '2' => Kind::Event,
            '3' => Kind::Ack,
            '4' => Kind::ConnectError,
            '5' => Kind::BinaryEvent,
            '6' => Kind::BinaryAck,
            _ => return None,
        })
    }

    fn digit(self) -> char {
        match self {
            Kind::Connect => '0',
            Kind::Disconnect => '1',
            Kind::Event => '2',
            Kind::Ack => '3',
            Kind::ConnectError => '4',
            Kind::BinaryEvent => '5',
            Kind::BinaryAck => '6',
        }
    }

    /// True for the types followed by binary attachment frames.
    pub fn is_binary(self) -> bool {
        matches!(self, Kind::BinaryEvent | Kind::BinaryAck)
    }
}

/// One Socket.IO packet.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    /// Its type.
    pub kind: Kind,
    /// How many binary attachment frames follow (binary types only).
    pub attachments: usize,
    /// The namespace, `/` when the packet does not name one.
    pub namespace: String,
    /// The ack id (an event asking for an answer, or the ack giving it).
    pub id: Option<u64>,
    /// The JSON data, if any.
    pub data: Option<Value>,
}

/// More attachments than this in one packet is not believed.
pub const MAX_ATTACHMENTS: usize = 10_000;

impl Packet {
    /// A packet of `kind` in `namespace` with `data`, no id, no attachments.
    pub fn new(kind: Kind, namespace: &str, data: Option<Value>) -> Self {
        Self {
            kind,
            attachments: 0,
            namespace: namespace.to_owned(),
            id: None,
            data,
        }
    }

    /// The packet as the text after Engine.IO's `4`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        out.push(self.kind.digit());
        if self.kind.is_binary() {
            out.push_str(&self.attachments.to_string());
            out.push('-');
        }
        if self.namespace != "/" {
            out.push_str(&self.namespace);
            out.push(',');
        }
        if let Some(id) = self.id {
            out.push_str(&id.to_string());
        }
        if let Some(data) = &self.data {
            out.push_str(&data.to_string());
        }
        out
    }

    /// Reads a Socket.IO packet (the text after Engine.IO's `4`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut chars = text.chars();
        let digit = chars
            .next()
            .ok_or("an empty Engine.IO message carries no Socket.IO packet")?;
        let kind = Kind::from_digit(digit).ok_or_else(|| {
            format!("{digit:?} is not a Socket.IO packet type (0 CONNECT … 6 BINARY_ACK)")
        })?;
        let mut rest = chars.as_str();
        let mut attachments = 0;
        if kind.is_binary() {
            let (count, after) = rest
                .split_once('-')
                .ok_or("a binary packet does not say how many attachments follow (`5<n>-`)")?;
            attachments = count
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_ATTACHMENTS)
                .ok_or_else(|| format!("{count:?} is not an attachment count"))?;
            rest = after;
        }
        let mut namespace = "/".to_owned();
        if rest.starts_with('/') {
            let end = rest.find(',').unwrap_or(rest.len());
            namespace = rest[..end].to_owned();
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let id = if digits > 0 {
            let id = rest[..digits]
                .parse::<u64>()
                .map_err(|_| format!("the ack id {} is too large", &rest[..digits]))?;
            rest = &rest[digits..];
            Some(id)
        } else {
            None
        };
        let data = if rest.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str::<Value>(rest)
                    .map_err(|e| format!("the packet's data is not JSON: {e}"))?,
            )
        };
        let packet = Packet {
            kind,
            attachments,
            namespace,
            id,
            data,
        };
        packet.check()?;
        Ok(packet)
    }

    /// Checks the data's shape for the packet's type.
    fn check(&self) -> Result<(), String> {
        match self.kind {
            Kind::Event | Kind::BinaryEvent => match &self.data {
                Some(Value::Array(items)) if !items.is_empty() => Ok(()),
                _ => Err("an EVENT's data must be an array starting with the event name".into()),
            },
            Kind::Ack | Kind::BinaryAck => {
                if self.id.is_none() {
                    return Err("an ACK has no ack id".into());
                }
                match &self.data {
                    Some(Value::Array(_)) | None => Ok(()),
                    _ => Err("an ACK's data must be an array of arguments".into()),
                }
            }
            Kind::Connect | Kind::ConnectError | Kind::Disconnect => Ok(()),
        }
    }

    /// An event's name (its first item; a non-string name is shown as JSON).
    pub fn event_name(&self) -> Option<String> {
        let first = self.data.as_ref()?.as_array()?.first()?;
        Some(match first {
            Value::String(name) => name.clone(),
            other => other.to_string(),
        })
    }

    /// An event's arguments (after its name) or an ack's arguments.
    pub fn args(&self) -> Vec<Value> {
        let Some(Value::Array(items)) = &self.data else {
            return Vec::new();
        };
        match self.kind {
            Kind::Event | Kind::BinaryEvent => items.iter().skip(1).cloned().collect(),
            _ => items.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn engine_packets_by_type_digit() {
        assert_eq!(parse_engine("2"), Ok(EnginePacket::Ping("")));
        assert_eq!(parse_engine("3probe"), Ok(EnginePacket::Pong("probe")));
        assert_eq!(
            parse_engine("42[\"a\"]"),
            Ok(EnginePacket::Message("2[\"a\"]"))
        );
        assert_eq!(parse_engine("6"), Ok(EnginePacket::Noop));
        assert_eq!(parse_engine("1"), Ok(EnginePacket::Close));
        assert!(parse_engine("").is_err());
        assert!(
            parse_engine("9")
                .unwrap_err()
                .contains("not an Engine.IO packet type")
        );
    }

    #[test]
    fn open_packet_fields() {
        let open = parse_open(
            r#"{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#,
        )
        .unwrap();
        assert_eq!(open.sid, "abc");
        assert_eq!((open.ping_interval, open.ping_timeout), (300, 200));
        assert_eq!(open.max_payload, Some(1_000_000));
        assert!(
            parse_open(r#"{"sid":"abc"}"#)
                .unwrap_err()
                .contains("pingInterval")
        );
        assert!(parse_open("nope").is_err());
    }

    #[test]
    fn event_with_namespace_and_ack_id() {
        let packet = Packet::parse(r#"2/admin,12["chat","hi",{"n":1}]"#).unwrap();
        assert_eq!(packet.kind, Kind::Event);
        assert_eq!(packet.namespace, "/admin");
        assert_eq!(packet.id, Some(12));
        assert_eq!(packet.event_name().as_deref(), Some("chat"));
        assert_eq!(packet.args(), vec![json!("hi"), json!({"n": 1})]);
        assert_eq!(packet.encode(), r#"2/admin,12["chat","hi",{"n":1}]"#);
    }

    #[test]
    fn default_namespace_is_not_written() {
        let packet = Packet::parse(r#"2["chat"]"#).unwrap();
        assert_eq!(packet.namespace, "/");
        assert_eq!(packet.id, None);
        assert_eq!(packet.encode(), r#"2["chat"]"#);
        let connect = Packet::new(Kind::Connect, "/", Some(json!({"token": "t"})));
        assert_eq!(connect.encode(), r#"0{"token":"t"}"#);
        assert_eq!(Packet::new(Kind::Connect, "/x", None).encode(), "0/x,");
    }

    #[test]
    fn binary_packets_count_their_attachments() {
        let text = r#"51-/up,3["file",{"_placeholder":true,"num":0}]"#;
        let packet = Packet::parse(text).unwrap();
        assert_eq!(packet.kind, Kind::BinaryEvent);
        assert_eq!(packet.attachments, 1);
        assert_eq!(packet.namespace, "/up");
        assert_eq!(packet.id, Some(3));
        assert_eq!(packet.encode(), text);
        assert!(
            Packet::parse(r#"5["file"]"#)
                .unwrap_err()
                .contains("attachments")
        );
        assert!(Packet::parse(r#"5x-["file"]"#).is_err());
        assert!(Packet::parse(r#"599999-["file"]"#).is_err());
    }

    #[test]
    fn connect_replies_of_both_versions() {
        let v4 = Packet::parse(r#"0/admin,{"sid":"xyz"}"#).unwrap();
        assert_eq!((v4.kind, v4.namespace.as_str()), (Kind::Connect, "/admin"));
        assert_eq!(v4.data, Some(json!({"sid": "xyz"})));
        let v2 = Packet::parse("0/admin,").unwrap();
        assert_eq!((v2.kind, v2.data), (Kind::Connect, None));
        let error = Packet::parse(r#"4{"message":"not allowed"}"#).unwrap();
        assert_eq!(error.kind, Kind::ConnectError);
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panicking(text in "\\PC{0,64}") {
            let _ = parse_engine(&text);
            let _ = Packet::parse(&text);
            let _ = parse_open(&text);
        }

        #[test]
        fn events_and_acks_read_back_as_written(
            ack in proptest::bool::ANY,
            namespace in "/|/[a-z,]{1,6}",
            id in proptest::option::of(proptest::num::u64::ANY),
            words in proptest::collection::vec("[a-z0-9 ]{0,6}", 1..4),
        ) {
            // A namespace cannot hold `,`: what follows it is the packet's data.
            let namespace = namespace.replace(',', "");
            let namespace = if namespace.is_empty() { "/".to_owned() } else { namespace };
            let kind = if ack { Kind::Ack } else { Kind::Event };
            let mut packet = Packet::new(kind, &namespace, Some(json!(words)));
            packet.id = if ack { Some(id.unwrap_or(0)) } else { id };
            proptest::prop_assert_eq!(Packet::parse(&packet.encode()), Ok(packet));
        }
    }

    #[test]
    fn malformed_packets_say_why() {
        assert!(Packet::parse("").is_err());
        assert!(
            Packet::parse("7")
                .unwrap_err()
                .contains("not a Socket.IO packet type")
        );
        assert!(Packet::parse("2[\"a\"").unwrap_err().contains("not JSON"));
        assert!(Packet::parse("2{}").unwrap_err().contains("array"));
        assert!(Packet::parse("2[]").is_err());
        assert!(Packet::parse("3[1]").unwrap_err().contains("ack id"));
        assert!(
            Packet::parse("299999999999999999999999[\"a\"]")
                .unwrap_err()
                .contains("too large")
        );
        // A namespace that runs to the end of the text, with nothing after it.
        assert_eq!(Packet::parse("1/admin").unwrap().namespace, "/admin");
    }
}
