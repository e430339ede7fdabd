//! What the engine reports: one [`Event`] per thing that happened on a connection.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One thing that happened on a connection attempt, numbered and timed.
#[derive(Clone, Debug)]
pub struct Event {
    /// Position in the attempt's stream of events, from 0, without gaps.
    pub seq: u64,
    /// Wall-clock time at which the engine saw it.
    pub wall_time: SystemTime,
    /// Monotonic time since the attempt started (the `connecting` event is at ~0).
    pub offset: Duration,
    /// What happened.
    pub kind: EventKind,
    /// How a compressed message travelled (permessage-deflate): its size on the wire and,
    /// when kept, the compressed bytes. `None` for everything else, and for a message that
    /// went uncompressed (its wire size is its size).
    pub wire: Option<Box<WireForm>>,
}

/// The wire form of a compressed data message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireForm {
    /// Payload bytes on the wire: the compressed data of all its frames, without the
    /// `00 00 ff ff` tail that RFC 7692 removes.
    pub size: usize,
    /// Those bytes, kept when the message was small enough
    /// ([`crate::engine::limits::WIRE_BYTES_KEPT`]).
    pub bytes: Option<Bytes>,
}

#[cfg(test)]
impl Event {
    /// A text message event for unit tests: sequence 0, now, at offset zero.
    pub(crate) fn text_for_test(dir: Direction, text: &str) -> Self {
        Self {
            seq: 0,
            wall_time: SystemTime::now(),
            offset: Duration::ZERO,
            wire: None,
            kind: EventKind::Message {
                dir,
                payload: Payload::Text(text.to_owned().into()),
            },
        }
    }
}

/// What happened.
#[derive(Clone, Debug)]
pub enum EventKind {
    /// The attempt started; DNS, TCP, TLS and the HTTP upgrade follow.
    Connecting {
        /// The URL being connected to, after http(s) → ws(s) mapping.
        url: String,
    },
    /// The opening handshake completed; the connection is OPEN. (Boxed, like the other rare
    /// kinds, so that a stored message is not as large as a handshake.)
    Open(Box<OpenInfo>),
    /// A whole data message, sent or received.
    Message {
        /// Which way it went.
        dir: Direction,
        /// Its payload, stored once, as sent or received.
        payload: Payload,
    },
    /// A ping control frame.
    Ping {
        /// Which way it went.
        dir: Direction,
        /// Application data of the ping (at most 125 bytes).
        payload: Bytes,
    },
    /// A pong control frame.
    Pong {
        /// Which way it went.
        dir: Direction,
        /// Application data of the pong (at most 125 bytes).
        payload: Bytes,
        /// True when the engine sent it by itself in answer to a ping.
        auto: bool,
    },
    /// Something failed; a close event follows if the attempt is over.
    Error(Box<ErrorInfo>),
    /// The attempt is over. Always the last event of an attempt, and always present.
    Close(Box<CloseInfo>),
    /// Something that arrived on a Server-Sent Events stream (an `SseHandle` of
    /// [`crate::sse`]); WebSocket connections never report it.
    Sse(SseEvent),
    /// An OAuth 2.0 token was asked for before a handshake, and what the endpoint answered
    /// (the window puts it on the tab's timeline; it holds neither the client secret nor
    /// the token, so nothing in it needs redacting).
    Token(Box<TokenExchange>),
    /// A line a tab's script put on the timeline (a `log`, an error, a test's result): the
    /// window adds it; it is never sent, never replayed, and not saved in a session.
    Script(Box<ScriptNote>),
    /// A proxied message that was not passed on to the other leg: a rule or the user
    /// dropped it (its leg is the one it would have gone out on; its arrival is the
    /// message row before it).
    Dropped(Box<DroppedMessage>),
}

/// A proxied message that was dropped instead of passed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedMessage {
    /// Who dropped it.
    pub by: DropCause,
    /// Its size in bytes.
    pub size: usize,
    /// True for a binary message, false for text.
    pub binary: bool,
}

/// Who dropped a proxied message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropCause {
    /// The proxy's rule with this number (1 for the first rule of the list).
    Rule(usize),
    /// The user, from the held messages of a paused direction.
    User,
}

impl DropCause {
    /// `"rule"` or `"user"`, as the JSON lines say it.
    pub fn as_str(self) -> &'static str {
        match self {
            DropCause::Rule(_) => "rule",
            DropCause::User => "user",
        }
    }
}

impl DroppedMessage {
    /// The row's one line: `dropped by rule 2 (text, 17 bytes)`.
    pub fn line(&self) -> String {
        let kind = if self.binary { "binary" } else { "text" };
        let by = match self.by {
            DropCause::Rule(number) => format!("rule {number}"),
            DropCause::User => "the user".to_owned(),
        };
        format!("dropped by {by} ({kind}, {} bytes)", self.size)
    }
}

/// What a tab's script put on the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptNote {
    /// `log(...)`.
    Log(String),
    /// An exception out of the script, or a limit that stopped it.
    Error(String),
    /// A `test(name, fn)` came to its result.
    Test {
        /// The test's name.
        name: String,
        /// True when it passed.
        passed: bool,
        /// Why it failed.
        message: Option<String>,
    },
}

impl ScriptNote {
    /// The row's one line: the log's text, the error, or `✔ name` / `✘ name: why`.
    pub fn line(&self) -> String {
        match self {
            ScriptNote::Log(text) => text.clone(),
            ScriptNote::Error(text) => format!("script error: {text}"),
            ScriptNote::Test {
                name, passed: true, ..
            } => format!("test passed: {name}"),
            ScriptNote::Test { name, message, .. } => match message {
                Some(why) => format!("test failed: {name}: {why}"),
                None => format!("test failed: {name}"),
            },
        }
    }
}

/// An OAuth 2.0 client-credentials token request (RFC 6749 4.4) and its answer, without the
/// client secret and the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenExchange {
    /// The token endpoint.
    pub url: String,
    /// The client id sent.
    pub client_id: String,
    /// The scope asked for (empty: none).
    pub scope: String,
    /// The answer: the granted token's type, lifetime, scope and the HTTP status, or why
    /// no token came.
    pub answer: Result<TokenGranted, String>,
}

/// What a token endpoint granted (the token itself left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGranted {
    /// The HTTP status (200).
    pub status: u16,
    /// `Bearer`.
    pub token_type: String,
    /// Its lifetime in seconds, when the endpoint said.
    pub expires_in: Option<u64>,
    /// The scope granted, when the endpoint said.
    pub scope: Option<String>,
}

impl EventKind {
    /// An open event.
    pub fn open(info: OpenInfo) -> Self {
        EventKind::Open(Box::new(info))
    }

    /// An error event.
    pub fn error(info: ErrorInfo) -> Self {
        EventKind::Error(Box::new(info))
    }

    /// A close event.
    pub fn close(info: CloseInfo) -> Self {
        EventKind::Close(Box::new(info))
    }

    /// A Server-Sent Event with data.
    pub fn sse_message(message: SseMessage) -> Self {
        EventKind::Sse(SseEvent::Message(Box::new(message)))
    }

    /// A short lower-case name of the kind, as the command line prints it in `event`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Connecting { .. } => "connecting",
            EventKind::Open(_) => "open",
            EventKind::Message { .. } => "message",
            EventKind::Ping { .. } => "ping",
            EventKind::Pong { .. } => "pong",
            EventKind::Error(_) => "error",
            EventKind::Close(_) => "close",
            EventKind::Sse(SseEvent::Message(_)) => "sse",
            EventKind::Sse(SseEvent::Comment(_)) => "sse-comment",
            EventKind::Token(_) => "oauth-token",
            EventKind::Script(note) => match **note {
                ScriptNote::Log(_) => "log",
                ScriptNote::Error(_) => "error",
                ScriptNote::Test { .. } => "test",
            },
            EventKind::Dropped(_) => "dropped",
        }
    }
}

/// What arrived on a Server-Sent Events stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseEvent {
    /// An event: a block of fields with at least one `data` line, ended by a blank line.
    Message(Box<SseMessage>),
    /// A comment line (`: text`, keep-alives included), without the colon and the one space
    /// after it. Reported only when comments are asked for; otherwise only counted.
    Comment(String),
}

impl SseEvent {
    /// The text a row shows: the event's data, or the comment.
    pub fn text(&self) -> &str {
        match self {
            SseEvent::Message(message) => &message.data,
            SseEvent::Comment(text) => text,
        }
    }

    /// A short label: the event type (`message` by default), or `comment`.
    pub fn label(&self) -> &str {
        match self {
            SseEvent::Message(message) => &message.event_type,
            SseEvent::Comment(_) => "comment",
        }
    }
}

/// One dispatched Server-Sent Event, as a browser's `MessageEvent` sees it, plus the fields
/// of its block that a browser does not show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseMessage {
    /// The `event` field, or `message` when the block had none.
    pub event_type: String,
    /// The `data` lines, joined with `\n`.
    pub data: String,
    /// The `id` field of this block, if it had one (an id with a NUL is ignored).
    pub id: Option<String>,
    /// The stream's last event id after this block (`MessageEvent.lastEventId`): the latest
    /// `id` seen, which persists across events and reconnects. Stored once and shared by
    /// every event until the id changes, so a long id is not copied into each event.
    pub last_event_id: std::sync::Arc<str>,
    /// The `retry` field of this block (the new reconnection time), if it had a valid one.
    pub retry: Option<Duration>,
}

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the server to us.
    In,
    /// From us to the server.
    Out,
}

impl Direction {
    /// `"in"` or `"out"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// A data message's payload: text (valid UTF-8) or binary. Its bytes are stored once and
/// shared by reference count: a received payload up to 4 KiB sits in a chunk with its
/// neighbours (copied there once, as it arrived), a larger one in the buffer it was read
/// into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A text message; cheap to clone.
    Text(Utf8Bytes),
    /// A binary message; cheap to clone.
    Binary(Bytes),
}

impl From<Payload> for tokio_tungstenite::tungstenite::Message {
    /// The data message that carries the payload.
    fn from(payload: Payload) -> Self {
        match payload {
            Payload::Text(text) => Self::Text(text),
            Payload::Binary(bytes) => Self::Binary(bytes),
        }
    }
}

impl TryFrom<tokio_tungstenite::tungstenite::Message> for Payload {
    type Error = tokio_tungstenite::tungstenite::Message;

    /// A data message's payload; any other message is given back.
    fn try_from(message: tokio_tungstenite::tungstenite::Message) -> Result<Self, Self::Error> {
        use tokio_tungstenite::tungstenite::Message;
        match message {
            Message::Text(text) => Ok(Payload::Text(text)),
            Message::Binary(bytes) => Ok(Payload::Binary(bytes)),
            other => Err(other),
        }
    }
}

impl Payload {
    /// The payload's size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Payload::Text(text) => text.len(),
            Payload::Binary(bytes) => bytes.len(),
        }
    }

    /// True when the payload has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes, whatever the type.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Payload::Text(text) => text.as_bytes(),
            Payload::Binary(bytes) => bytes,
        }
    }

    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Payload::Text(text) => Some(text.as_str()),
            Payload::Binary(_) => None,
        }
    }
}

/// What the opening handshake established.
#[derive(Clone, Debug, Default)]
pub struct OpenInfo {
    /// The HTTP status of the upgrade response (101).
    pub status: u16,
    /// The request headers we sent, in order, names as sent.
    pub request_headers: Vec<(String, String)>,
    /// The response headers, in order, names lower-case.
    pub response_headers: Vec<(String, String)>,
    /// The subprotocol the server selected, if any.
    pub subprotocol: Option<String>,
    /// The extensions the server accepted (Sec-WebSocket-Extensions), if any.
    pub extensions: Option<String>,
    /// From the start of the attempt to the end of the handshake (DNS, TCP, TLS, HTTP).
    pub handshake: Duration,
}

/// What kind of failure an error is; stable names, printed by the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCategory {
    /// The host name could not be resolved.
    Dns,
    /// The server refused the TCP connection.
    Refused,
    /// A deadline passed (handshake).
    Timeout,
    /// The TLS handshake failed.
    Tls,
    /// The server answered the upgrade with something other than 101.
    Http,
    /// The peer broke the WebSocket protocol (handshake or frames).
    Protocol,
    /// The transport failed (reset, broken pipe, …).
    Io,
    /// A message could not be sent.
    Send,
}

impl ErrorCategory {
    /// The lower-case name: `dns`, `refused`, `timeout`, `tls`, `http`, `protocol`, `io`, `send`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Dns => "dns",
            ErrorCategory::Refused => "refused",
            ErrorCategory::Timeout => "timeout",
            ErrorCategory::Tls => "tls",
            ErrorCategory::Http => "http",
            ErrorCategory::Protocol => "protocol",
            ErrorCategory::Io => "io",
            ErrorCategory::Send => "send",
        }
    }

    /// Who ended an attempt that failed this way before it opened: the server for an HTTP
    /// refusal, the client for a protocol or TLS failure it detected, nobody otherwise.
    pub(crate) fn initiator(self) -> Initiator {
        match self {
            ErrorCategory::Http => Initiator::Server,
            ErrorCategory::Protocol | ErrorCategory::Tls => Initiator::Client,
            _ => Initiator::None,
        }
    }
}

impl fmt::Display for ErrorCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error, in plain words, with the server's answer when it rejected the handshake.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    /// What kind of failure.
    pub category: ErrorCategory,
    /// A sentence a person can act on.
    pub message: String,
    /// For a rejected handshake: what the server answered.
    pub http: Option<HttpRejection>,
}

impl ErrorInfo {
    /// An error without an HTTP answer.
    pub fn new(category: ErrorCategory, message: impl Into<String>) -> Self {
        Self {
            category,
            message: message.into(),
            http: None,
        }
    }
}

/// The HTTP answer of a server that rejected the upgrade.
#[derive(Clone, Debug)]
pub struct HttpRejection {
    /// The status code, e.g. 401.
    pub status: u16,
    /// The response headers, in order, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The response body as received (possibly empty), with a chunked transfer coding
    /// taken off when the whole body came.
    pub body: Bytes,
}

/// Who started the close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    /// We did: a close frame we sent first, or a connection we failed or dropped.
    Client,
    /// The server sent the first close frame.
    Server,
    /// Nobody: the transport just ended.
    None,
}

impl Initiator {
    /// `client`, `server` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Initiator::Client => "client",
            Initiator::Server => "server",
            Initiator::None => "none",
        }
    }
}

/// How an attempt ended, as a browser's CloseEvent reports it, plus who closed and how long
/// the closing handshake took.
#[derive(Clone, Debug)]
pub struct CloseInfo {
    /// The close code (1005 for a close frame without one, 1006 when no close frame came).
    pub code: u16,
    /// The close reason (empty when none).
    pub reason: String,
    /// True only when the closing handshake completed in both directions.
    pub was_clean: bool,
    /// Who started the close.
    pub initiator: Initiator,
    /// From the first close frame (sent or received) to the end of the connection.
    pub closing_handshake: Option<Duration>,
}

/// The connection's state, as a browser's `WebSocket.readyState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReadyState {
    /// The opening handshake is under way.
    Connecting = 0,
    /// Messages can be sent and received.
    Open = 1,
    /// A close frame was sent or received; the closing handshake is under way.
    Closing = 2,
    /// The connection is over.
    Closed = 3,
}

impl ReadyState {
    /// `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadyState::Connecting => "CONNECTING",
            ReadyState::Open => "OPEN",
            ReadyState::Closing => "CLOSING",
            ReadyState::Closed => "CLOSED",
        }
    }
}

impl fmt::Display for ReadyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
