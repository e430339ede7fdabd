//! The engine's half of STOMP: CONNECT on open, operations held until CONNECTED,
//! heart-beats both ways, subscription ids and DISCONNECT with a receipt.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::frame::{FrameStream, Item, StompFrame};
use super::options::{Options, parse_heart_beat};
use crate::engine::Payload;
use crate::protocol::{Frame, OpError, Reaction};

/// How long the server has to answer CONNECT, and a DISCONNECT's receipt.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a receipt for DISCONNECT is waited for before closing anyway.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the STOMP session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// CONNECT is sent; operations wait for CONNECTED.
    Connecting,
    /// CONNECTED came.
    Connected,
    /// DISCONNECT went out; waiting for its receipt.
    Disconnecting,
    /// Refused, disconnected or given up.
    Over,
}

/// One attempt's STOMP state.
#[derive(Debug)]
pub struct Session {
    options: Options,
    state: State,
    /// The version spoken: from the subprotocol, then CONNECTED's `version`.
    version: String,
    stream: FrameStream,
    /// Frames of operations made before CONNECTED, in order.
    held: Vec<StompFrame>,
    /// The next `sub-N` id given to a SUBSCRIBE without one.
    next_sub: u64,
    /// The receipt asked for by our DISCONNECT.
    disconnect_receipt: Option<String>,
    /// How often we send a heart-beat (zero: never), as negotiated.
    send_every: Duration,
    /// How long the server may stay silent (zero: no limit), as negotiated.
    silence_limit: Duration,
    /// When CONNECT or DISCONNECT went out (their answers' deadlines count from it).
    asked_at: Duration,
    last_sent: Duration,
    last_received: Duration,
}

impl Session {
    /// A fresh session.
    pub fn new(options: &Options) -> Self {
        Self {
            options: options.clone(),
            state: State::Connecting,
            version: "1.2".to_owned(),
            stream: FrameStream::default(),
            held: Vec::new(),
            next_sub: 0,
            disconnect_receipt: None,
            send_every: Duration::ZERO,
            silence_limit: Duration::ZERO,
            asked_at: Duration::ZERO,
            last_sent: Duration::ZERO,
            last_received: Duration::ZERO,
        }
    }

    /// The WebSocket opened: CONNECT goes out, offering the version the subprotocol names
    /// (or all three when none was agreed).
    pub fn on_open(&mut self, subprotocol: Option<&str>, now: Duration) -> Reaction {
        let accept = match subprotocol {
            Some("v12.stomp") => "1.2",
            Some("v11.stomp") => "1.1",
            Some("v10.stomp") => "1.0",
            _ => "1.0,1.1,1.2",
        };
        self.version = accept.rsplit(',').next().unwrap_or("1.2").to_owned();
        let mut headers = vec![("accept-version".to_owned(), accept.to_owned())];
        for (name, value) in [
            ("host", &self.options.host),
            ("login", &self.options.login),
            ("passcode", &self.options.passcode),
            ("heart-beat", &self.options.heart_beat),
        ] {
            if !value.is_empty() {
                headers.push((name.to_owned(), value.clone()));
            }
        }
        for (name, value) in &self.options.headers {
            headers.push((name.clone(), value.clone()));
        }
        self.asked_at = now;
        self.last_received = now;
        let mut reaction = Reaction::none();
        self.send(
            &mut reaction,
            &StompFrame::new("CONNECT", headers, Bytes::new()),
            now,
        );
        reaction
    }

    /// A data message arrived.
    pub fn on_frame(&mut self, payload: &Payload, now: Duration) -> Reaction {
        let mut reaction = Reaction::none();
        if self.state == State::Over {
            return reaction;
        }
        self.last_received = now;
        let items = match self.stream.push(payload.as_bytes(), &self.version) {
            Ok(items) => items,
            Err(error) => {
                self.state = State::Over;
                reaction.close = Some((
                    1002,
                    format!("STOMP: malformed frame from the server: {error}"),
                ));
                return reaction;
            }
        };
        for item in items {
            if let Item::Frame(frame) = item {
                self.on_server_frame(&frame, now, &mut reaction);
            }
            if self.state == State::Over {
                break;
            }
        }
        reaction
    }

    /// Answers one frame from the server.
    fn on_server_frame(&mut self, frame: &StompFrame, now: Duration, reaction: &mut Reaction) {
        match (frame.command.as_str(), self.state) {
            ("CONNECTED", State::Connecting) => {
                if let Some(version) = frame.header("version") {
                    self.version = version.to_owned();
                }
                self.negotiate(frame.header("heart-beat"));
                self.state = State::Connected;
                for held in std::mem::take(&mut self.held) {
                    self.send(reaction, &held, now);
                    if held.command == "DISCONNECT" {
                        self.state = State::Disconnecting;
                        self.asked_at = now;
                        break;
                    }
                }
            }
            ("ERROR", State::Connecting) => {
                self.state = State::Over;
                reaction.close = Some((
                    1000,
                    format!("STOMP ERROR before CONNECTED: {}", error_text(frame)),
                ));
            }
            ("RECEIPT", State::Disconnecting)
                if frame.header("receipt-id") == self.disconnect_receipt.as_deref() =>
            {
                self.state = State::Over;
                reaction.close = Some((1000, "STOMP DISCONNECT receipt".to_owned()));
            }
            _ => {}
        }
    }

    /// Sets the heart-beat intervals from ours and the server's `heart-beat` header.
    fn negotiate(&mut self, theirs: Option<&str>) {
        let (cx, cy) = parse_heart_beat(&self.options.heart_beat).unwrap_or((0, 0));
        let (sx, sy) = theirs
            .and_then(|value| parse_heart_beat(value).ok())
            .unwrap_or((0, 0));
        let every = |ours: u64, theirs: u64| {
            if ours == 0 || theirs == 0 {
                Duration::ZERO
            } else {
                Duration::from_millis(ours.max(theirs))
            }
        };
        self.send_every = every(cx, sy);
        // Twice the agreed interval: network delays do not count as silence.
        self.silence_limit = every(cy, sx) * 2;
    }

    /// The user's operation: its frame goes out now, or after CONNECTED.
    pub fn on_op(&mut self, op: &Value, now: Duration) -> Result<Reaction, OpError> {
        let mut frame = super::ops::read(op)?;
        if matches!(self.state, State::Over | State::Disconnecting) {
            return Err(OpError::new(
                "the STOMP session is over (DISCONNECT was sent or the server refused)",
            ));
        }
        match frame.command.as_str() {
            "SUBSCRIBE" if frame.header("id").is_none() => {
                frame
                    .headers
                    .push(("id".to_owned(), format!("sub-{}", self.next_sub)));
                self.next_sub += 1;
            }
            "DISCONNECT" => {
                let receipt = match frame.header("receipt") {
                    Some(receipt) => receipt.to_owned(),
                    None => {
                        frame
                            .headers
                            .push(("receipt".to_owned(), "disconnect".to_owned()));
                        "disconnect".to_owned()
                    }
                };
                self.disconnect_receipt = Some(receipt);
            }
            _ => {}
        }
        if !frame.body.is_empty() && frame.header("content-length").is_none() {
            frame
                .headers
                .push(("content-length".to_owned(), frame.body.len().to_string()));
        }
        let mut reaction = Reaction::none();
        if self.state == State::Connecting {
            self.held.push(frame);
            return Ok(reaction);
        }
        self.send(&mut reaction, &frame, now);
        if frame.command == "DISCONNECT" {
            self.state = State::Disconnecting;
            self.asked_at = now;
        }
        Ok(reaction)
    }

    /// When [`Session::on_timer`] wants to run: an answer's deadline, the next heart-beat
    /// or the end of the server's allowed silence.
    pub fn next_timer(&self) -> Option<Duration> {
        match self.state {
            State::Over => None,
            State::Connecting => Some(self.asked_at + ANSWER_TIMEOUT),
            State::Disconnecting => Some(self.asked_at + RECEIPT_TIMEOUT),
            State::Connected => {
                let beat = (!self.send_every.is_zero()).then(|| self.last_sent + self.send_every);
                let silence = (!self.silence_limit.is_zero())
                    .then(|| self.last_received + self.silence_limit);
                match (beat, silence) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// A deadline came.
    pub fn on_timer(&mut self, now: Duration) -> Reaction {
        let mut reaction = Reaction::none();
        match self.state {
            State::Over => {}
            State::Connecting if now >= self.asked_at + ANSWER_TIMEOUT => {
                self.state = State::Over;
                reaction.close = Some((
                    1001,
                    format!(
                        "STOMP: no CONNECTED within {} s of CONNECT",
                        ANSWER_TIMEOUT.as_secs()
                    ),
                ));
            }
            State::Disconnecting if now >= self.asked_at + RECEIPT_TIMEOUT => {
                self.state = State::Over;
                reaction.close = Some((
                    1000,
                    format!(
                        "STOMP DISCONNECT: no receipt within {} s",
                        RECEIPT_TIMEOUT.as_secs()
                    ),
                ));
            }
            State::Connected => {
                if !self.silence_limit.is_zero() && now >= self.last_received + self.silence_limit {
                    self.state = State::Over;
                    reaction.close = Some((
                        1001,
                        format!(
                            "STOMP heart-beat: the server was silent for {} ms (limit {} ms, twice the agreed interval)",
                            (now - self.last_received).as_millis(),
                            self.silence_limit.as_millis()
                        ),
                    ));
                    return reaction;
                }
                if !self.send_every.is_zero() && now >= self.last_sent + self.send_every {
                    reaction.send.push(Frame::Text("\n".to_owned()));
                    self.last_sent = now;
                }
            }
            _ => {}
        }
        reaction
    }

    /// Adds `frame` to what is sent: a text message when it is UTF-8, else binary.
    fn send(&mut self, reaction: &mut Reaction, frame: &StompFrame, now: Duration) {
        let bytes = frame.write(&self.version);
        reaction.send.push(match String::from_utf8(bytes) {
            Ok(text) => Frame::Text(text),
            Err(error) => Frame::Binary(Bytes::from(error.into_bytes())),
        });
        self.last_sent = now;
    }
}

/// An ERROR frame's `message` header, and its body's first line.
pub fn error_text(frame: &StompFrame) -> String {
    let message = frame.header("message").unwrap_or("(no message header)");
    let body = String::from_utf8_lossy(&frame.body);
    match body.lines().map(str::trim).find(|line| !line.is_empty()) {
        Some(line) if line != message => format!("{message}: {line}"),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SEC: Duration = Duration::from_secs(1);

    fn texts(reaction: &Reaction) -> Vec<String> {
        reaction
            .send
            .iter()
            .map(|frame| match frame {
                Frame::Text(text) => text.clone(),
                Frame::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            })
            .collect()
    }

    fn from_server(text: &str) -> Payload {
        Payload::Binary(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn connect_then_held_operations_after_connected() {
        let options = Options {
            login: "guest".into(),
            passcode: "secret".into(),
            heart_beat: "1000,1000".into(),
            ..Options::default()
        };
        let mut session = Session::new(&options);
        let sent = texts(&session.on_open(Some("v12.stomp"), Duration::ZERO));
        assert_eq!(
            sent,
            [
                "CONNECT\naccept-version:1.2\nlogin:guest\npasscode:secret\nheart-beat:1000,1000\n\n\0"
            ]
        );
        let held = session
            .on_op(
                &json!({"type": "SUBSCRIBE", "headers": {"destination": "/q/a"}}),
                Duration::ZERO,
            )
            .unwrap();
        assert!(held.send.is_empty());
        let sent = texts(&session.on_frame(
            &from_server("CONNECTED\nversion:1.2\nheart-beat:2000,500\n\n\0"),
            SEC,
        ));
        assert_eq!(sent, ["SUBSCRIBE\ndestination:/q/a\nid:sub-0\n\n\0"]);
        // We beat every max(1000, 500) ms; the server must be heard every 2 × max(1000, 2000).
        assert_eq!(session.next_timer(), Some(2 * SEC));
        assert_eq!(texts(&session.on_timer(2 * SEC)), ["\n"]);
        assert_eq!(session.next_timer(), Some(3 * SEC));
        session.on_timer(3 * SEC);
        let (code, reason) = session.on_timer(5 * SEC).close.unwrap();
        assert_eq!(code, 1001);
        assert!(
            reason.contains("the server was silent for 4000 ms"),
            "{reason}"
        );
    }

    #[test]
    fn an_error_before_connected_is_a_refusal() {
        let mut session = Session::new(&Options::default());
        session.on_open(None, Duration::ZERO);
        let reaction = session.on_frame(
            &from_server("ERROR\nmessage:Access refused\n\nBad passcode\n\0"),
            SEC,
        );
        assert_eq!(
            reaction.close,
            Some((
                1000,
                "STOMP ERROR before CONNECTED: Access refused: Bad passcode".to_owned()
            ))
        );
        assert_eq!(session.next_timer(), None);
    }

    #[test]
    fn send_gets_a_content_length_and_disconnect_waits_for_its_receipt() {
        let mut session = Session::new(&Options {
            heart_beat: "0,0".into(),
            ..Options::default()
        });
        session.on_open(None, Duration::ZERO);
        session.on_frame(&from_server("CONNECTED\nversion:1.2\n\n\0"), Duration::ZERO);
        assert_eq!(session.next_timer(), None);
        let sent = texts(
            &session
                .on_op(
                    &json!({"type": "SEND", "headers": {"destination": "/q"}, "body": "héllo"}),
                    SEC,
                )
                .unwrap(),
        );
        assert_eq!(sent, ["SEND\ndestination:/q\ncontent-length:6\n\nhéllo\0"]);
        let sent = texts(&session.on_op(&json!({"type": "DISCONNECT"}), SEC).unwrap());
        assert_eq!(sent, ["DISCONNECT\nreceipt:disconnect\n\n\0"]);
        assert!(session.on_op(&json!({"type": "DISCONNECT"}), SEC).is_err());
        let reaction = session.on_frame(&from_server("RECEIPT\nreceipt-id:disconnect\n\n\0"), SEC);
        assert_eq!(
            reaction.close,
            Some((1000, "STOMP DISCONNECT receipt".to_owned()))
        );
    }
}
