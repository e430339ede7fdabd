//! The viewer's half of STOMP: each frame as a unit (its command as `type`, headers, body),
//! heart-beats and the handshake as housekeeping, ERROR as a problem.

use crate::format::preview::ellipsize;
use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::frame::{FrameStream, Item, StompFrame};
use super::options::Options;
use super::session::error_text;
use crate::engine::{Direction, Payload};
use crate::protocol::Unit;

/// At most this many receipts asked for by DISCONNECT are remembered.
const MAX_RECEIPTS: usize = 64;

/// One attempt's decoding state.
#[derive(Debug)]
pub struct Decoder {
    /// The version: from the subprotocol, then CONNECTED.
    version: String,
    incoming: FrameStream,
    outgoing: FrameStream,
    /// CONNECTED came (an ERROR before it is a refusal).
    connected: bool,
    /// Receipts our DISCONNECTs asked for (their RECEIPT is housekeeping).
    disconnect_receipts: HashSet<String>,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new(_options: &Options) -> Self {
        Self {
            version: "1.2".to_owned(),
            incoming: FrameStream::default(),
            outgoing: FrameStream::default(),
            connected: false,
            disconnect_receipts: HashSet::new(),
        }
    }

    /// What the WebSocket's close means in this protocol: nothing more than it says.
    pub fn on_close(&mut self, _code: u16, _reason: &str) -> Option<Unit> {
        None
    }

    /// What a refused upgrade means in this protocol: nothing more than it says.
    pub fn on_refusal(&mut self, _status: u16, _body: &[u8]) -> Option<Unit> {
        None
    }

    /// The attempt opened with this subprotocol, which names the version.
    pub fn on_open(&mut self, subprotocol: Option<&str>) {
        self.version = match subprotocol {
            Some("v11.stomp") => "1.1",
            Some("v10.stomp") => "1.0",
            _ => "1.2",
        }
        .to_owned();
    }

    /// The unit a message carries: one frame's, a `frames` unit for several, a
    /// `heartbeat` for EOLs alone; `None` while a frame is still incomplete.
    pub fn decode(&mut self, dir: Direction, payload: &Payload, _offset: Duration) -> Option<Unit> {
        let ours = dir == Direction::Out;
        let stream = if ours {
            &mut self.outgoing
        } else {
            &mut self.incoming
        };
        let items = match stream.push(payload.as_bytes(), &self.version) {
            Ok(items) => items,
            Err(error) => return Some(Unit::malformed(format!("STOMP: {error}"))),
        };
        let beats = items
            .iter()
            .filter(|item| **item == Item::HeartBeat)
            .count();
        let mut units: Vec<Unit> = items
            .into_iter()
            .filter_map(|item| match item {
                Item::Frame(frame) => Some(self.describe(frame, ours)),
                Item::HeartBeat => None,
            })
            .collect();
        match units.len() {
            0 if beats > 0 => {
                Some(Unit::new(json!({"type": "heartbeat"}), "heart-beat").housekeeping())
            }
            0 => None,
            1 => units.pop(),
            _ => Some(Unit::combine("frames", units)),
        }
    }

    /// One frame as a unit.
    fn describe(&mut self, frame: StompFrame, ours: bool) -> Unit {
        let mut headers = Map::new();
        for (name, value) in &frame.headers {
            if !headers.contains_key(name) {
                let value = if name == "passcode" {
                    "********"
                } else {
                    value.as_str()
                };
                headers.insert(name.clone(), Value::from(value));
            }
        }
        let mut fields = json!({"type": frame.command, "headers": headers});
        let body = match std::str::from_utf8(&frame.body) {
            Ok(text) => {
                fields["body"] = json!(text);
                ellipsize(text, 80).into_owned()
            }
            Err(_) => {
                fields["body_base64"] =
                    json!(base64::engine::general_purpose::STANDARD.encode(&frame.body));
                format!("{} bytes", frame.body.len())
            }
        };
        let command = frame.command.as_str();
        let destination = frame.header("destination");
        let subscription = match command {
            "MESSAGE" => frame.header("subscription"),
            "SUBSCRIBE" | "UNSUBSCRIBE" => frame.header("id"),
            _ => None,
        };
        let mut summary = command.to_owned();
        for part in [destination, subscription].into_iter().flatten() {
            summary.push(' ');
            summary.push_str(part);
        }
        if !body.is_empty() {
            summary.push(' ');
            summary.push_str(&body);
        }
        let mut unit = Unit::new(fields, summary);
        unit.group = subscription.or(destination).map(str::to_owned);
        match command {
            "CONNECT" | "STOMP" => unit.housekeeping = true,
            "CONNECTED" => {
                self.connected = true;
                if let Some(version) = frame.header("version") {
                    self.version = version.to_owned();
                }
                unit.summary = format!(
                    "CONNECTED {} heart-beat {}",
                    frame.header("version").unwrap_or("1.0"),
                    frame.header("heart-beat").unwrap_or("0,0")
                );
                unit.housekeeping = true;
            }
            "DISCONNECT" if ours => {
                if let Some(receipt) = frame.header("receipt") {
                    if self.disconnect_receipts.len() >= MAX_RECEIPTS {
                        self.disconnect_receipts.clear();
                    }
                    self.disconnect_receipts.insert(receipt.to_owned());
                }
            }
            "RECEIPT" if !ours => {
                if let Some(id) = frame.header("receipt-id") {
                    unit.housekeeping = self.disconnect_receipts.remove(id);
                    unit.summary = format!("RECEIPT {id}");
                }
            }
            "ERROR" => {
                let text = error_text(&frame);
                unit.summary = format!("ERROR: {text}");
                if self.connected {
                    unit.problem = Some(format!("STOMP ERROR: {text}"));
                } else {
                    unit.problem = Some(format!("STOMP ERROR before CONNECTED: {text}"));
                    unit.refused = true;
                }
            }
            _ => {}
        }
        unit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn text(text: &str) -> Payload {
        Payload::Text(text.to_owned().into())
    }

    #[test]
    fn a_message_shows_its_command_headers_and_body_grouped_by_subscription() {
        let mut decoder = Decoder::new(&Options::default());
        decoder.on_open(Some("v12.stomp"));
        let unit = decoder
            .decode(
                Direction::In,
                &text("MESSAGE\ndestination:/topic/a\nsubscription:sub-0\nmessage-id:1\n\nhello\0"),
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(
            unit.fields,
            json!({"type": "MESSAGE", "headers": {"destination": "/topic/a", "subscription": "sub-0", "message-id": "1"}, "body": "hello"})
        );
        assert_eq!(unit.summary, "MESSAGE /topic/a sub-0 hello");
        assert_eq!(unit.group.as_deref(), Some("sub-0"));
        assert!(!unit.housekeeping);
        let unit = decoder
            .decode(Direction::In, &text("\n"), Duration::ZERO)
            .unwrap();
        assert_eq!((unit.kind(), unit.housekeeping), ("heartbeat", true));
        let unit = decoder
            .decode(
                Direction::In,
                &Payload::Binary(Bytes::from_static(b"MESSAGE\n\n\xff\0")),
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(unit.fields["body_base64"], "/w==");
    }

    #[test]
    fn an_error_before_connected_is_a_refusal_and_the_passcode_is_hidden() {
        let mut decoder = Decoder::new(&Options::default());
        let unit = decoder
            .decode(
                Direction::Out,
                &text("CONNECT\nlogin:guest\npasscode:bad\n\n\0"),
                Duration::ZERO,
            )
            .unwrap();
        assert!(unit.housekeeping);
        assert_eq!(unit.fields["headers"]["passcode"], "********");
        let unit = decoder
            .decode(
                Direction::In,
                &text("ERROR\nmessage:Access refused\n\n\0"),
                Duration::ZERO,
            )
            .unwrap();
        assert!(unit.refused);
        assert_eq!(
            unit.problem.as_deref(),
            Some("STOMP ERROR before CONNECTED: Access refused")
        );
    }

    #[test]
    fn the_disconnect_receipt_is_housekeeping_and_several_frames_are_one_unit() {
        let mut decoder = Decoder::new(&Options::default());
        decoder.decode(
            Direction::Out,
            &text("DISCONNECT\nreceipt:disconnect\n\n\0"),
            Duration::ZERO,
        );
        let unit = decoder
            .decode(
                Direction::In,
                &text("RECEIPT\nreceipt-id:7\n\n\0RECEIPT\nreceipt-id:disconnect\n\n\0"),
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(unit.kind(), "frames");
        assert_eq!(unit.summary, "2 frames: RECEIPT 7; RECEIPT disconnect");
        assert!(!unit.housekeeping);
        assert_eq!(
            unit.fields["frames"][1]["headers"]["receipt-id"],
            "disconnect"
        );
    }
}
