//! The persisted form of engine events: [`RecordedEvent`] holds everything an [`Event`]
//! holds (times in microseconds, binary data in base64), so a saved timeline reopens exactly
//! as it was shown. Conversions go both ways: [`RecordedEvent::from_entry`] cannot fail;
//! [`RecordedEvent::to_entry`] checks what came from a file (base64, category and initiator
//! names) and says which event is wrong.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::timeline::TimelineEntry;
use crate::engine::{
    CloseInfo, Direction, DropCause, DroppedMessage, ErrorCategory, ErrorInfo, Event, EventKind,
    HttpRejection, Initiator, Leg, OpenInfo, Payload, ScriptNote, SseEvent, SseMessage,
    TokenExchange, TokenGranted,
};
use crate::format::base64::{Base64Error, parse_base64, to_base64};

/// One event of a recorded timeline, as saved in a session file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// The attempt (connection) number within the tab, from 1.
    pub attempt: u32,
    /// Position in the attempt's stream of events, from 0.
    pub seq: u64,
    /// Microseconds since the attempt started (monotonic clock).
    pub offset_us: u64,
    /// Wall-clock time, in microseconds since the Unix epoch (negative before 1970).
    pub wall_time_us: i64,
    /// What happened.
    pub kind: RecordedKind,
    /// For a message whose payload the tab did not keep (its memory budget was reached):
    /// the payload's size. The saved payload is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_kept: Option<u64>,
    /// The leg of a proxied connection it happened on (`client` or `upstream`); absent
    /// for a connection of its own, and in files written before legs existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leg: Option<Leg>,
}

/// What happened, with every field of [`EventKind`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordedKind {
    /// The attempt started.
    Connecting {
        /// The URL connected to.
        url: String,
    },
    /// The opening handshake completed.
    Open {
        /// HTTP status of the upgrade response (101).
        status: u16,
        /// The request headers sent, in order.
        #[serde(default)]
        request_headers: Vec<(String, String)>,
        /// The response headers, in order, names lower-case.
        #[serde(default)]
        response_headers: Vec<(String, String)>,
        /// The subprotocol the server selected.
        #[serde(default)]
        subprotocol: Option<String>,
        /// The extensions the server accepted.
        #[serde(default)]
        extensions: Option<String>,
        /// Microseconds from the start of the attempt to the end of the handshake.
        #[serde(default)]
        handshake_us: u64,
    },
    /// A data message.
    Message {
        /// `in` (from the server) or `out`.
        dir: Direction,
        /// The payload: text as it is, binary as base64.
        payload: RecordedPayload,
    },
    /// A ping control frame.
    Ping {
        /// `in` or `out`.
        dir: Direction,
        /// The application data, base64.
        #[serde(default)]
        payload_base64: String,
    },
    /// A pong control frame.
    Pong {
        /// `in` or `out`.
        dir: Direction,
        /// The application data, base64.
        #[serde(default)]
        payload_base64: String,
        /// True when the engine sent it by itself in answer to a ping.
        #[serde(default)]
        auto: bool,
    },
    /// Something failed.
    Error {
        /// `dns`, `refused`, `timeout`, `tls`, `http`, `protocol`, `io` or `send`.
        category: String,
        /// The message shown.
        message: String,
        /// For a rejected handshake: the server's answer.
        #[serde(default)]
        http: Option<RecordedHttp>,
    },
    /// The attempt ended.
    Close {
        /// The close code.
        code: u16,
        /// The close reason.
        #[serde(default)]
        reason: String,
        /// Whether the closing handshake completed in both directions.
        was_clean: bool,
        /// `client`, `server` or `none`.
        initiator: String,
        /// Microseconds from the first close frame to the end of the connection.
        #[serde(default)]
        closing_handshake_us: Option<u64>,
    },
    /// A Server-Sent Event (an SSE tab).
    Sse {
        /// The event type (`message` by default).
        event_type: String,
        /// The data lines, joined with `\n`.
        data: String,
        /// The block's `id` field, if it had one.
        #[serde(default)]
        id: Option<String>,
        /// The stream's last event id after this event.
        #[serde(default)]
        last_event_id: String,
        /// The block's `retry` field in milliseconds, if it had one.
        #[serde(default)]
        retry_ms: Option<u64>,
    },
    /// A comment line of a Server-Sent Events stream (kept only when comments are shown).
    SseComment {
        /// The comment, without the colon.
        text: String,
    },
    /// An OAuth 2.0 token request before a handshake and its answer (never the client
    /// secret or the token).
    OAuthToken {
        /// The token endpoint.
        url: String,
        /// The client id sent.
        client_id: String,
        /// The scope asked for.
        #[serde(default)]
        scope: String,
        /// The HTTP status of a granted token.
        #[serde(default)]
        status: Option<u16>,
        /// The granted token's type.
        #[serde(default)]
        token_type: Option<String>,
        /// The granted token's lifetime in seconds.
        #[serde(default)]
        expires_in: Option<u64>,
        /// The scope granted.
        #[serde(default)]
        granted_scope: Option<String>,
        /// Why no token came.
        #[serde(default)]
        error: Option<String>,
    },
    /// A line a tab's script put on the timeline. Kept for a lossless round trip, but
    /// [`record_all`] leaves it out: session files never hold it (older builds load them).
    Script {
        /// `log`, `error` or `test`.
        note: String,
        /// The log's text, the error, or the test's name.
        text: String,
        /// A test's result.
        #[serde(default)]
        passed: Option<bool>,
        /// Why a test failed.
        #[serde(default)]
        message: Option<String>,
    },
    /// A proxied message a rule or the user dropped instead of passing it on.
    Dropped {
        /// `rule` or `user`.
        by: String,
        /// The rule's number, when a rule dropped it.
        #[serde(default)]
        rule: Option<usize>,
        /// True for a binary message.
        binary: bool,
        /// Its size in bytes.
        len: usize,
    },
}

/// A data message's payload as saved: text verbatim, binary as base64.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordedPayload {
    /// A text message.
    Text(String),
    /// A binary message, base64 (standard alphabet, padded).
    Binary(String),
}

/// The HTTP answer of a server that rejected the upgrade, as saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedHttp {
    /// The status code.
    pub status: u16,
    /// The response headers, in order.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The response body, base64.
    #[serde(default)]
    pub body_base64: String,
}

/// A recorded event that cannot be turned back into an engine event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// The tab, as the caller names it (e.g. `tab 1 "echo"`); empty when not known.
    pub tab: String,
    /// The 0-based index of the event in the tab's timeline.
    pub index: usize,
    /// What is wrong with it.
    pub problem: RecordProblem,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tab.is_empty() {
            write!(f, "event {}: {}", self.index, self.problem)
        } else {
            write!(f, "{}, event {}: {}", self.tab, self.index, self.problem)
        }
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.problem)
    }
}

/// What is wrong with one recorded event, whatever tab and index it has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    /// Base64 data (a binary payload, a ping or pong payload, an HTTP body) does not decode.
    #[error("the {what} is not valid base64: {source}")]
    NotBase64 {
        /// Which data: `binary payload`, `ping payload`, `pong payload` or `HTTP body`.
        what: &'static str,
        /// What the decoder said.
        source: Base64Error,
    },
    /// An error event's category is not one of the engine's.
    #[error(
        "unknown error category {0:?} (expected dns, refused, timeout, tls, http, protocol, io or send)"
    )]
    UnknownCategory(String),
    /// A close event's initiator is not one of the engine's.
    #[error("unknown close initiator {0:?} (expected client, server or none)")]
    UnknownInitiator(String),
}

/// Microseconds in a duration, saturating.
pub fn duration_to_us(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A wall-clock time as microseconds since the Unix epoch (negative before it), saturating.
pub fn system_time_to_us(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_micros())
            .map(|us| -us)
            .unwrap_or(i64::MIN),
    }
}

/// Microseconds since the Unix epoch as a wall-clock time (clamped to what the platform
/// can represent).
pub fn us_to_system_time(us: i64) -> SystemTime {
    let magnitude = Duration::from_micros(us.unsigned_abs());
    let time = if us >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    time.unwrap_or(UNIX_EPOCH)
}

/// Parses an error category's name (as [`ErrorCategory::as_str`] writes it).
pub fn parse_category(name: &str) -> Option<ErrorCategory> {
    Some(match name {
        "dns" => ErrorCategory::Dns,
        "refused" => ErrorCategory::Refused,
        "timeout" => ErrorCategory::Timeout,
        "tls" => ErrorCategory::Tls,
        "http" => ErrorCategory::Http,
        "protocol" => ErrorCategory::Protocol,
        "io" => ErrorCategory::Io,
        "send" => ErrorCategory::Send,
        _ => return None,
    })
}

/// Parses an initiator's name (as [`Initiator::as_str`] writes it).
pub fn parse_initiator(name: &str) -> Option<Initiator> {
    Some(match name {
        "client" => Initiator::Client,
        "server" => Initiator::Server,
        "none" => Initiator::None,
        _ => return None,
    })
}

impl RecordedPayload {
    /// The saved form of a payload.
    pub fn from_payload(payload: &Payload) -> Self {
        match payload {
            Payload::Text(text) => RecordedPayload::Text(text.as_str().to_owned()),
            Payload::Binary(bytes) => RecordedPayload::Binary(to_base64(bytes)),
        }
    }

    /// Back to an engine payload; a binary payload that is not base64 is an error.
    pub fn to_payload(&self) -> Result<Payload, RecordProblem> {
        match self {
            RecordedPayload::Text(text) => Ok(Payload::Text(text.clone().into())),
            RecordedPayload::Binary(b64) => decode(b64, "binary payload").map(Payload::Binary),
        }
    }
}

fn decode(b64: &str, what: &'static str) -> Result<Bytes, RecordProblem> {
    parse_base64(b64)
        .map(Bytes::from)
        .map_err(|source| RecordProblem::NotBase64 { what, source })
}

impl RecordedEvent {
    /// The saved form of a timeline entry. Lossless, except that times are kept to the
    /// microsecond.
    pub fn from_entry(entry: &TimelineEntry) -> Self {
        let mut recorded = Self::from_event(entry.attempt, &entry.event);
        recorded.leg = entry.leg;
        recorded
    }

    /// The saved form of an event of `attempt`.
    pub fn from_event(attempt: u32, event: &Event) -> Self {
        let kind = match &event.kind {
            EventKind::Connecting { url } => RecordedKind::Connecting { url: url.clone() },
            EventKind::Open(open) => RecordedKind::Open {
                status: open.status,
                request_headers: open.request_headers.clone(),
                response_headers: open.response_headers.clone(),
                subprotocol: open.subprotocol.clone(),
                extensions: open.extensions.clone(),
                handshake_us: duration_to_us(open.handshake),
            },
            EventKind::Message { dir, payload } => RecordedKind::Message {
                dir: *dir,
                payload: RecordedPayload::from_payload(payload),
            },
            EventKind::Ping { dir, payload } => RecordedKind::Ping {
                dir: *dir,
                payload_base64: to_base64(payload),
            },
            EventKind::Pong { dir, payload, auto } => RecordedKind::Pong {
                dir: *dir,
                payload_base64: to_base64(payload),
                auto: *auto,
            },
            EventKind::Error(error) => RecordedKind::Error {
                category: error.category.as_str().to_owned(),
                message: error.message.clone(),
                http: error.http.as_ref().map(|http| RecordedHttp {
                    status: http.status,
                    headers: http.headers.clone(),
                    body_base64: to_base64(&http.body),
                }),
            },
            EventKind::Close(close) => RecordedKind::Close {
                code: close.code,
                reason: close.reason.clone(),
                was_clean: close.was_clean,
                initiator: close.initiator.as_str().to_owned(),
                closing_handshake_us: close.closing_handshake.map(duration_to_us),
            },
            EventKind::Sse(SseEvent::Message(message)) => RecordedKind::Sse {
                event_type: message.event_type.clone(),
                data: message.data.clone(),
                id: message.id.clone(),
                last_event_id: message.last_event_id.to_string(),
                retry_ms: message
                    .retry
                    .map(|retry| u64::try_from(retry.as_millis()).unwrap_or(u64::MAX)),
            },
            EventKind::Sse(SseEvent::Comment(text)) => {
                RecordedKind::SseComment { text: text.clone() }
            }
            EventKind::Token(token) => {
                let granted = token.answer.as_ref().ok();
                RecordedKind::OAuthToken {
                    url: token.url.clone(),
                    client_id: token.client_id.clone(),
                    scope: token.scope.clone(),
                    status: granted.map(|g| g.status),
                    token_type: granted.map(|g| g.token_type.clone()),
                    expires_in: granted.and_then(|g| g.expires_in),
                    granted_scope: granted.and_then(|g| g.scope.clone()),
                    error: token.answer.as_ref().err().cloned(),
                }
            }
            EventKind::Script(note) => match &**note {
                ScriptNote::Log(text) | ScriptNote::Error(text) => RecordedKind::Script {
                    note: event.kind.name().to_owned(),
                    text: text.clone(),
                    passed: None,
                    message: None,
                },
                ScriptNote::Test {
                    name,
                    passed,
                    message,
                } => RecordedKind::Script {
                    note: "test".into(),
                    text: name.clone(),
                    passed: Some(*passed),
                    message: message.clone(),
                },
            },
            EventKind::Dropped(dropped) => RecordedKind::Dropped {
                by: dropped.by.as_str().to_owned(),
                rule: match dropped.by {
                    DropCause::Rule(number) => Some(number),
                    DropCause::User => None,
                },
                binary: dropped.binary,
                len: dropped.size,
            },
        };
        Self {
            attempt,
            seq: event.seq,
            offset_us: duration_to_us(event.offset),
            wall_time_us: system_time_to_us(event.wall_time),
            kind,
            not_kept: None,
            leg: None,
        }
    }

    /// Back to a timeline entry. `tab` names the tab and `index` is this event's position
    /// in it; both only go into the error.
    pub fn to_entry(&self, tab: &str, index: usize) -> Result<TimelineEntry, RecordError> {
        let error = |problem: RecordProblem| RecordError {
            tab: tab.to_owned(),
            index,
            problem,
        };
        let kind = match &self.kind {
            RecordedKind::Connecting { url } => EventKind::Connecting { url: url.clone() },
            RecordedKind::Open {
                status,
                request_headers,
                response_headers,
                subprotocol,
                extensions,
                handshake_us,
            } => EventKind::Open(Box::new(OpenInfo {
                status: *status,
                request_headers: request_headers.clone(),
                response_headers: response_headers.clone(),
                subprotocol: subprotocol.clone(),
                extensions: extensions.clone(),
                handshake: Duration::from_micros(*handshake_us),
            })),
            RecordedKind::Message { dir, payload } => EventKind::Message {
                dir: *dir,
                payload: payload.to_payload().map_err(error)?,
            },
            RecordedKind::Ping {
                dir,
                payload_base64,
            } => EventKind::Ping {
                dir: *dir,
                payload: decode(payload_base64, "ping payload").map_err(error)?,
            },
            RecordedKind::Pong {
                dir,
                payload_base64,
                auto,
            } => EventKind::Pong {
                dir: *dir,
                payload: decode(payload_base64, "pong payload").map_err(error)?,
                auto: *auto,
            },
            RecordedKind::Error {
                category,
                message,
                http,
            } => {
                let category = parse_category(category)
                    .ok_or_else(|| error(RecordProblem::UnknownCategory(category.clone())))?;
                let http = match http {
                    Some(http) => Some(HttpRejection {
                        status: http.status,
                        headers: http.headers.clone(),
                        body: decode(&http.body_base64, "HTTP body").map_err(error)?,
                    }),
                    None => None,
                };
                EventKind::Error(Box::new(ErrorInfo {
                    category,
                    message: message.clone(),
                    http,
                }))
            }
            RecordedKind::Close {
                code,
                reason,
                was_clean,
                initiator,
                closing_handshake_us,
            } => EventKind::Close(Box::new(CloseInfo {
                code: *code,
                reason: reason.clone(),
                was_clean: *was_clean,
                initiator: parse_initiator(initiator)
                    .ok_or_else(|| error(RecordProblem::UnknownInitiator(initiator.clone())))?,
                closing_handshake: closing_handshake_us.map(Duration::from_micros),
            })),
            RecordedKind::Sse {
                event_type,
                data,
                id,
                last_event_id,
                retry_ms,
            } => EventKind::Sse(SseEvent::Message(Box::new(SseMessage {
                event_type: event_type.clone(),
                data: data.clone(),
                id: id.clone(),
                last_event_id: last_event_id.as_str().into(),
                retry: retry_ms.map(Duration::from_millis),
            }))),
            RecordedKind::SseComment { text } => EventKind::Sse(SseEvent::Comment(text.clone())),
            RecordedKind::OAuthToken {
                url,
                client_id,
                scope,
                status,
                token_type,
                expires_in,
                granted_scope,
                error,
            } => EventKind::Token(Box::new(TokenExchange {
                url: url.clone(),
                client_id: client_id.clone(),
                scope: scope.clone(),
                answer: match error {
                    Some(error) => Err(error.clone()),
                    None => Ok(TokenGranted {
                        status: status.unwrap_or(200),
                        token_type: token_type.clone().unwrap_or_default(),
                        expires_in: *expires_in,
                        scope: granted_scope.clone(),
                    }),
                },
            })),
            RecordedKind::Script {
                note,
                text,
                passed,
                message,
            } => EventKind::Script(Box::new(match (note.as_str(), passed) {
                ("test", passed) => ScriptNote::Test {
                    name: text.clone(),
                    passed: passed.unwrap_or(false),
                    message: message.clone(),
                },
                ("error", _) => ScriptNote::Error(text.clone()),
                _ => ScriptNote::Log(text.clone()),
            })),
            RecordedKind::Dropped {
                by,
                rule,
                binary,
                len,
            } => EventKind::Dropped(Box::new(DroppedMessage {
                by: match (by.as_str(), rule) {
                    ("rule", Some(number)) => DropCause::Rule(*number),
                    ("rule", None) => DropCause::Rule(0),
                    _ => DropCause::User,
                },
                size: *len,
                binary: *binary,
            })),
        };
        Ok(TimelineEntry {
            attempt: self.attempt,
            event: Event {
                wire: None,
                seq: self.seq,
                wall_time: us_to_system_time(self.wall_time_us),
                offset: Duration::from_micros(self.offset_us),
                kind,
            },
            leg: self.leg,
        })
    }

    /// The offset as a duration.
    pub fn offset(&self) -> Duration {
        Duration::from_micros(self.offset_us)
    }
}

/// The saved form of every entry, in order; a script's rows are left out (the script
/// writes them again when it runs).
pub fn record_all(entries: &[TimelineEntry]) -> Vec<RecordedEvent> {
    entries
        .iter()
        .filter(|entry| !matches!(entry.event.kind, EventKind::Script(_)))
        .map(RecordedEvent::from_entry)
        .collect()
}

/// Every recorded event back as a timeline entry; the first bad one is an error naming
/// `tab` and its index.
pub fn restore_all(events: &[RecordedEvent], tab: &str) -> Result<Vec<TimelineEntry>, RecordError> {
    events
        .iter()
        .enumerate()
        .map(|(index, event)| event.to_entry(tab, index))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: EventKind) -> TimelineEntry {
        TimelineEntry {
            attempt: 2,
            event: Event {
                wire: None,
                seq: 7,
                wall_time: UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456),
                offset: Duration::from_micros(1500),
                kind,
            },
            leg: None,
        }
    }

    #[test]
    fn times_convert_both_ways() {
        let t = UNIX_EPOCH + Duration::from_micros(1_700_000_000_000_001);
        assert_eq!(system_time_to_us(t), 1_700_000_000_000_001);
        assert_eq!(us_to_system_time(1_700_000_000_000_001), t);
        let before = UNIX_EPOCH - Duration::from_micros(5);
        assert_eq!(system_time_to_us(before), -5);
        assert_eq!(us_to_system_time(-5), before);
        assert_eq!(duration_to_us(Duration::from_nanos(2_999)), 2);
    }

    #[test]
    fn every_kind_round_trips() {
        let kinds = vec![
            EventKind::Connecting {
                url: "ws://a/".into(),
            },
            EventKind::Open(Box::new(OpenInfo {
                status: 101,
                request_headers: vec![("X-A".into(), "1".into())],
                response_headers: vec![("upgrade".into(), "websocket".into())],
                subprotocol: Some("chat".into()),
                extensions: None,
                handshake: Duration::from_micros(42),
            })),
            EventKind::Message {
                dir: Direction::Out,
                payload: Payload::Text("hé".into()),
            },
            EventKind::Message {
                dir: Direction::In,
                payload: Payload::Binary(Bytes::from_static(&[0, 1, 255])),
            },
            EventKind::Ping {
                dir: Direction::In,
                payload: Bytes::from_static(b"p"),
            },
            EventKind::Pong {
                dir: Direction::Out,
                payload: Bytes::new(),
                auto: true,
            },
            EventKind::Error(Box::new(ErrorInfo {
                category: ErrorCategory::Http,
                message: "401".into(),
                http: Some(HttpRejection {
                    status: 401,
                    headers: vec![("a".into(), "b".into())],
                    body: Bytes::from_static(b"no\x00"),
                }),
            })),
            EventKind::Close(Box::new(CloseInfo {
                code: 1000,
                reason: "bye".into(),
                was_clean: true,
                initiator: Initiator::Client,
                closing_handshake: Some(Duration::from_micros(9)),
            })),
            EventKind::Token(Box::new(TokenExchange {
                url: "http://127.0.0.1:9/token".into(),
                client_id: "cli".into(),
                scope: "read".into(),
                answer: Ok(TokenGranted {
                    status: 200,
                    token_type: "Bearer".into(),
                    expires_in: Some(60),
                    scope: None,
                }),
            })),
            EventKind::Token(Box::new(TokenExchange {
                url: "http://127.0.0.1:9/token".into(),
                client_id: "cli".into(),
                scope: String::new(),
                answer: Err("the endpoint answered 401".into()),
            })),
            EventKind::Dropped(Box::new(DroppedMessage {
                by: DropCause::Rule(2),
                size: 16,
                binary: false,
            })),
            EventKind::Dropped(Box::new(DroppedMessage {
                by: DropCause::User,
                size: 3,
                binary: true,
            })),
        ];
        for kind in kinds {
            let recorded = RecordedEvent::from_entry(&entry(kind));
            let back = recorded.to_entry("t", 0).unwrap();
            assert_eq!(RecordedEvent::from_entry(&back), recorded);
            assert_eq!(back.attempt, 2);
            assert_eq!(back.event.seq, 7);
            assert_eq!(back.event.offset, Duration::from_micros(1500));
        }
    }

    #[test]
    fn bad_fields_name_the_tab_and_event() {
        let mut recorded = RecordedEvent::from_entry(&entry(EventKind::Message {
            dir: Direction::In,
            payload: Payload::Binary(Bytes::from_static(b"x")),
        }));
        recorded.kind = RecordedKind::Message {
            dir: Direction::In,
            payload: RecordedPayload::Binary("not base64!".into()),
        };
        let error = recorded.to_entry("tab 1 \"echo\"", 3).unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("tab 1 \"echo\", event 3: "), "{text}");
        assert!(text.contains("base64"), "{text}");
        assert!(matches!(
            error.problem,
            RecordProblem::NotBase64 {
                what: "binary payload",
                ..
            }
        ));
        let payload = RecordedPayload::Binary("*".into());
        let why = payload.to_payload().unwrap_err().to_string();
        assert!(
            why.starts_with("the binary payload is not valid base64: "),
            "{why}"
        );
        recorded.kind = RecordedKind::Error {
            category: "weird".into(),
            message: String::new(),
            http: None,
        };
        assert!(
            recorded
                .to_entry("t", 4)
                .unwrap_err()
                .to_string()
                .contains("unknown error category \"weird\"")
        );
        recorded.kind = RecordedKind::Close {
            code: 1000,
            reason: String::new(),
            was_clean: true,
            initiator: "martians".into(),
            closing_handshake_us: None,
        };
        assert!(
            recorded
                .to_entry("t", 4)
                .unwrap_err()
                .to_string()
                .contains("martians")
        );
    }

    #[test]
    fn a_leg_is_saved_and_read_back_and_files_without_legs_still_load() {
        use crate::model::storage::{from_ron, to_ron};
        let mut marked = entry(EventKind::Message {
            dir: Direction::In,
            payload: Payload::Text("x".into()),
        });
        marked.leg = Some(Leg::Upstream);
        let saved = RecordedEvent::from_entry(&marked);
        let text = to_ron(&saved).unwrap();
        assert!(text.contains("leg: Some(upstream)"), "{text}");
        let back: RecordedEvent = from_ron(std::path::Path::new("t.ron"), &text).unwrap();
        assert_eq!(back.to_entry("t", 0).unwrap().leg, Some(Leg::Upstream));
        // An unmarked event writes no leg field, and an old file's event reads as no leg.
        let plain = to_ron(&RecordedEvent::from_entry(&entry(EventKind::Connecting {
            url: "ws://a/".into(),
        })))
        .unwrap();
        assert!(!plain.contains("leg"), "{plain}");
        let old = "(attempt: 1, seq: 0, offset_us: 0, wall_time_us: 0, kind: Connecting(url: \"ws://a/\"))";
        let old: RecordedEvent = from_ron(std::path::Path::new("t.ron"), old).unwrap();
        assert_eq!(old.leg, None);
    }
}
