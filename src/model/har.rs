//! HAR 1.2 (HTTP Archive) export and import of WebSocket timelines.
//!
//! Export: one entry per attempt: the upgrade request (GET, URL, headers sent), the response
//! (101 and its headers), and Chrome's `_webSocketMessages` list
//! (`{type: "send"|"receive", time: Unix seconds, opcode: 1|2, data}`, binary data base64).
//!
//! Import: a HAR saved by Chrome or Firefox DevTools (both write `_webSocketMessages`).
//! Each WebSocket entry (with `_webSocketMessages`, a 101 response or a ws(s) URL) becomes a
//! [`SessionTab`]: the URL (http(s) → ws(s)), the request headers a user would set (not the
//! ones the handshake makes itself, nor HTTP/2 pseudo-headers), `Sec-WebSocket-Protocol` as
//! the subprotocol list, and the messages as recorded events timed from the entry's
//! `startedDateTime`. A HAR has no close, so a replay of an import does not compare one.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::recorded::{
    RecordError, RecordedEvent, RecordedKind, RecordedPayload, duration_to_us, system_time_to_us,
};
use super::redact::Redactor;
use super::session::SessionTab;
use super::storage::{FileError, write_atomic};
use super::tab_setup::TabSetup;
use super::timeline::TimelineEntry;
use crate::engine::{
    ConfigError, ConnectionConfig, Direction, EventKind, HeaderEntry, Payload, normalize_url,
};
use crate::format::base64::{Base64Error, parse_base64, to_base64};

/// Request headers the WebSocket handshake (or the HTTP layer) makes by itself; an import
/// drops them, since the engine sends its own.
pub const HANDSHAKE_HEADERS: &[&str] = &[
    "host",
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "content-length",
    "transfer-encoding",
    "accept-encoding",
    "cache-control",
    "pragma",
];

fn millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

fn header_list(headers: &[(String, String)]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect(),
    )
}

fn unix_seconds(us: i64) -> f64 {
    us as f64 / 1_000_000.0
}

fn iso_time(us: i64) -> String {
    let time: chrono::DateTime<chrono::Utc> = super::recorded::us_to_system_time(us).into();
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The HAR entries of a timeline, one per attempt, in order, through `redactor` (see
/// [`Redactor::entries`]: no secret header value, known secret or URL password is written).
/// `config_url` is used when an attempt has no connecting event.
pub fn timeline_entries(
    config_url: &str,
    entries: &[TimelineEntry],
    redactor: &Redactor,
) -> Vec<Value> {
    let redactor = redactor.learned_from(entries);
    let config_url = redactor.url(config_url);
    let entries = &redactor.entries(entries);
    let mut attempts: Vec<u32> = entries.iter().map(|e| e.attempt).collect();
    attempts.dedup();
    attempts
        .into_iter()
        .map(|attempt| {
            let events: Vec<RecordedEvent> = entries
                .iter()
                .filter(|e| e.attempt == attempt)
                .filter(|e| !matches!(e.event.kind, crate::engine::EventKind::Script(_)))
                .map(RecordedEvent::from_entry)
                .collect();
            attempt_entry(&config_url, &events)
        })
        .collect()
}

/// One attempt's HAR entry.
fn attempt_entry(config_url: &str, events: &[RecordedEvent]) -> Value {
    let mut url = config_url.to_owned();
    let mut started_us = events.first().map(|e| e.wall_time_us).unwrap_or_default();
    let mut request_headers = Value::Array(Vec::new());
    let mut response = json!({
        "status": 0,
        "statusText": "",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [],
        "content": { "size": 0, "mimeType": "x-unknown" },
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    });
    let mut handshake_ms = 0.0;
    let mut messages = Vec::new();
    for event in events {
        match &event.kind {
            RecordedKind::Connecting { url: connected } => {
                url = connected.clone();
                started_us = event.wall_time_us;
            }
            RecordedKind::Open {
                status,
                request_headers: sent,
                response_headers,
                handshake_us,
                ..
            } => {
                request_headers = header_list(sent);
                response["status"] = json!(status);
                response["statusText"] = json!("Switching Protocols");
                response["headers"] = header_list(response_headers);
                handshake_ms = millis(Duration::from_micros(*handshake_us));
            }
            RecordedKind::Error {
                http: Some(http), ..
            } => {
                response["status"] = json!(http.status);
                response["headers"] = header_list(&http.headers);
                let body = parse_base64(&http.body_base64).unwrap_or_default();
                response["content"] = match String::from_utf8(body) {
                    Ok(text) => {
                        json!({ "size": text.len(), "mimeType": "text/plain", "text": text })
                    }
                    Err(bytes) => json!({
                        "size": bytes.as_bytes().len(),
                        "mimeType": "application/octet-stream",
                        "encoding": "base64",
                        "text": to_base64(bytes.as_bytes()),
                    }),
                };
            }
            RecordedKind::Message { dir, payload } => {
                let (opcode, data) = match payload {
                    RecordedPayload::Text(text) => (1, text.clone()),
                    RecordedPayload::Binary(b64) => (2, b64.clone()),
                };
                messages.push(json!({
                    "type": if *dir == Direction::Out { "send" } else { "receive" },
                    "time": unix_seconds(event.wall_time_us),
                    "opcode": opcode,
                    "data": data,
                }));
            }
            _ => {}
        }
    }
    json!({
        "startedDateTime": iso_time(started_us),
        "time": handshake_ms,
        "request": {
            "method": "GET",
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": request_headers,
            "queryString": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": response,
        "cache": {},
        "timings": {
            "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
            "send": 0, "wait": handshake_ms, "receive": 0,
        },
        "_resourceType": "websocket",
        "_webSocketMessages": messages,
    })
}

/// A HAR 1.2 document holding `entries`.
pub fn document(entries: Vec<Value>) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "Sockscope", "version": env!("CARGO_PKG_VERSION") },
            "pages": [],
            "entries": entries,
        }
    })
}

/// The HAR document of saved tabs: every attempt of every tab, in order. `labels[i]` names
/// tab `i` in errors (a recorded event that cannot be restored). Each tab goes through a
/// [`Redactor`] that knows its config's secret headers (a file written by hand or by an
/// older version may hold some).
pub fn export_tabs(tabs: &[(&SessionTab, String)]) -> Result<Value, RecordError> {
    let mut entries = Vec::new();
    for (tab, label) in tabs {
        // Restoring checks every recorded event (base64, names) before anything is written.
        let restored = tab.entries(label)?;
        let mut redactor = Redactor::new();
        redactor.add_config(&tab.setup.config, &tab.setup.secret_headers);
        entries.extend(timeline_entries(
            &tab.setup.config.url,
            &restored,
            &redactor,
        ));
    }
    Ok(document(entries))
}

/// Writes a HAR document atomically, pretty-printed.
pub fn save(path: &Path, har: &Value) -> Result<(), FileError> {
    let mut text =
        serde_json::to_string_pretty(har).map_err(|e| FileError::Serialize(e.to_string()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes()).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })
}

#[derive(Deserialize)]
struct Har {
    log: HarLog,
}

#[derive(Deserialize)]
struct HarLog {
    #[serde(default)]
    entries: Vec<HarEntry>,
}

#[derive(Deserialize)]
struct HarEntry {
    #[serde(default, rename = "startedDateTime")]
    started: Option<String>,
    request: HarRequest,
    #[serde(default)]
    response: Option<HarResponse>,
    #[serde(default, rename = "_webSocketMessages")]
    messages: Option<Vec<HarMessage>>,
}

#[derive(Deserialize)]
struct HarRequest {
    url: String,
    #[serde(default)]
    headers: Vec<HarHeader>,
}

#[derive(Deserialize)]
struct HarResponse {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    headers: Vec<HarHeader>,
}

#[derive(Deserialize)]
struct HarHeader {
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct HarMessage {
    #[serde(rename = "type")]
    kind: String,
    time: f64,
    opcode: i64,
    #[serde(default)]
    data: String,
}

impl HarEntry {
    fn is_websocket(&self) -> bool {
        let url = self.request.url.trim_start().to_ascii_lowercase();
        self.messages.is_some()
            || self.response.as_ref().is_some_and(|r| r.status == 101)
            || url.starts_with("ws://")
            || url.starts_with("wss://")
    }
}

/// Unix microseconds of a `_webSocketMessages` time: seconds (Chrome, Firefox), or
/// milliseconds when the number is too large to be seconds.
fn message_time_us(time: f64) -> i64 {
    let seconds = if time > 1e11 { time / 1000.0 } else { time };
    (seconds * 1_000_000.0).round() as i64
}

/// Parses a HAR file's `text` (`path` names it in errors) into one tab per WebSocket entry.
/// Bad JSON gives the line and column; a message that cannot be read names the entry and
/// message (1-based).
pub fn import(path: &Path, text: &str) -> Result<Vec<SessionTab>, FileError> {
    let har: Har = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        FileError::Parse {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: full.strip_suffix(&position).unwrap_or(&full).to_owned(),
        }
    })?;
    let invalid = |message: String| FileError::Invalid {
        path: path.to_owned(),
        message,
    };
    let mut tabs = Vec::new();
    for (index, entry) in har.log.entries.iter().enumerate() {
        if entry.is_websocket() {
            tabs.push(
                import_entry(entry).map_err(|e| invalid(format!("entry {}: {e}", index + 1)))?,
            );
        }
    }
    if tabs.is_empty() {
        return Err(invalid(
            "no WebSocket entries (entries with _webSocketMessages, a 101 response or a ws:// URL)"
                .into(),
        ));
    }
    Ok(tabs)
}

/// Reads and imports a HAR file (see [`import`]).
pub fn load(path: &Path) -> Result<Vec<SessionTab>, FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })?;
    import(path, &text)
}

/// Why one WebSocket entry of a HAR file cannot be imported; [`import`] says which entry.
#[derive(Debug, thiserror::Error)]
enum EntryError {
    /// The entry's URL is not a WebSocket URL.
    #[error(transparent)]
    Url(#[from] ConfigError),
    /// A message is neither sent nor received.
    #[error("message {number}: unknown type {kind:?} (expected \"send\" or \"receive\")")]
    UnknownType {
        /// The message, from 1.
        number: usize,
        /// Its `type`.
        kind: String,
    },
    /// A binary message's data does not decode.
    #[error("message {number}: binary data is not base64: {source}")]
    NotBase64 {
        /// The message, from 1.
        number: usize,
        /// What the decoder said.
        source: Base64Error,
    },
}

fn import_entry(entry: &HarEntry) -> Result<SessionTab, EntryError> {
    let url = normalize_url(&entry.request.url)?;
    let mut config = ConnectionConfig::new(url.as_str());
    for header in &entry.request.headers {
        let name = header.name.trim();
        let lower = name.to_ascii_lowercase();
        if lower == "sec-websocket-protocol" {
            config.subprotocols.extend(
                header
                    .value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            );
        }
        if name.is_empty() || name.starts_with(':') || HANDSHAKE_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        config
            .headers
            .push(HeaderEntry::new(name, header.value.clone()));
    }

    let messages = entry.messages.as_deref().unwrap_or_default();
    let started = entry
        .started
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| system_time_to_us(t.with_timezone(&chrono::Utc).into()));
    let first_message = messages.iter().map(|m| message_time_us(m.time)).min();
    let start_us = match (started, first_message) {
        (Some(s), Some(f)) => s.min(f),
        (Some(s), None) => s,
        (None, Some(f)) => f,
        (None, None) => 0,
    };
    let offset_us = |wall: i64| u64::try_from(wall.saturating_sub(start_us)).unwrap_or_default();

    let mut timeline = Vec::new();
    let mut push = |offset_us: u64, wall_time_us: i64, kind: RecordedKind| {
        let seq = timeline.len() as u64;
        timeline.push(RecordedEvent {
            attempt: 1,
            seq,
            offset_us,
            wall_time_us,
            kind,
            not_kept: None,
            leg: None,
        });
    };
    push(
        0,
        start_us,
        RecordedKind::Connecting {
            url: url.as_str().to_owned(),
        },
    );
    let response_headers: Vec<(String, String)> = entry
        .response
        .as_ref()
        .map(|r| {
            r.headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let response_header = |name: &str| {
        response_headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let status = entry
        .response
        .as_ref()
        .and_then(|r| u16::try_from(r.status).ok())
        .filter(|s| *s != 0)
        .unwrap_or(101);
    push(
        0,
        start_us,
        RecordedKind::Open {
            status,
            request_headers: entry
                .request
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            subprotocol: response_header("sec-websocket-protocol"),
            extensions: response_header("sec-websocket-extensions"),
            response_headers: response_headers.clone(),
            handshake_us: duration_to_us(Duration::ZERO),
        },
    );
    for (index, message) in messages.iter().enumerate() {
        let dir = match message.kind.as_str() {
            "send" => Direction::Out,
            "receive" => Direction::In,
            other => {
                return Err(EntryError::UnknownType {
                    number: index + 1,
                    kind: other.to_owned(),
                });
            }
        };
        let payload = match message.opcode {
            1 => RecordedPayload::Text(message.data.clone()),
            2 => {
                let bytes =
                    parse_base64(&message.data).map_err(|source| EntryError::NotBase64 {
                        number: index + 1,
                        source,
                    })?;
                RecordedPayload::Binary(to_base64(&bytes))
            }
            // Control frames (close, ping, pong) that some tools list: not messages.
            _ => continue,
        };
        let wall = message_time_us(message.time);
        push(
            offset_us(wall),
            wall,
            RecordedKind::Message { dir, payload },
        );
    }
    Ok(SessionTab {
        name: url.as_str().to_owned(),
        setup: TabSetup::with_config(config),
        timeline,
    })
}

/// The data messages of a timeline as `(dir, payload)`, for comparing an import with what
/// was exported.
pub fn messages_of(entries: &[TimelineEntry]) -> Vec<(Direction, Payload)> {
    entries
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::Message { dir, payload } => Some((*dir, payload.clone())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_times_in_seconds_or_milliseconds() {
        assert_eq!(message_time_us(1_700_000_000.25), 1_700_000_000_250_000);
        assert_eq!(message_time_us(1_700_000_000_250.0), 1_700_000_000_250_000);
    }

    #[test]
    fn headers_a_user_would_set_are_kept() {
        let text = r#"{"log":{"entries":[{"request":{"url":"https://a.test/ws","headers":[
            {"name":":authority","value":"a.test"},{"name":"Host","value":"a.test"},
            {"name":"Upgrade","value":"websocket"},{"name":"Sec-WebSocket-Key","value":"k"},
            {"name":"Sec-WebSocket-Protocol","value":"v1, v2"},
            {"name":"Authorization","value":"Bearer x"},{"name":"Origin","value":"https://a.test"}
        ]},"response":{"status":101,"headers":[]}}]}}"#;
        let tabs = import(Path::new("a.har"), text).unwrap();
        let config = &tabs[0].setup.config;
        assert_eq!(config.url, "wss://a.test/ws");
        let names: Vec<&str> = config.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Authorization", "Origin"]);
        assert_eq!(config.subprotocols, ["v1", "v2"]);
    }

    #[test]
    fn a_bad_message_is_a_typed_error_said_as_before() {
        let text = r#"{"log":{"entries":[{"request":{"url":"wss://a.test/"},
            "_webSocketMessages":[{"type":"sent","time":1,"opcode":1,"data":"x"}]}]}}"#;
        let har: Har = serde_json::from_str(text).unwrap();
        let error = import_entry(&har.log.entries[0]).unwrap_err();
        assert!(matches!(error, EntryError::UnknownType { number: 1, .. }));
        let error = import(Path::new("a.har"), text).unwrap_err().to_string();
        let expected =
            r#"a.har: entry 1: message 1: unknown type "sent" (expected "send" or "receive")"#;
        assert_eq!(error, expected);
    }

    #[test]
    fn non_websocket_entries_are_skipped() {
        let text = r#"{"log":{"entries":[{"request":{"url":"https://a.test/"},"response":{"status":200}}]}}"#;
        let error = import(Path::new("a.har"), text).unwrap_err().to_string();
        assert!(error.starts_with("a.har: no WebSocket entries"), "{error}");
    }
}
