//! The command line's public output format: one JSON object per event (`connect` and
//! `replay` print it; session exports use it too). Field names are a public interface that
//! scripts depend on: extend, never rename.

use serde_json::{Map, Value, json};

use super::hex::to_hex;
use crate::engine::close_code;
use crate::engine::{DropCause, Event, EventKind, HttpRejection, Payload, ScriptNote, SseEvent};

/// Milliseconds with microsecond precision, as a JSON number.
fn millis(duration: std::time::Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

fn header_object(headers: &[(String, String)]) -> Value {
    let mut object = Map::new();
    for (name, value) in headers {
        match object.get_mut(name) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            _ => {
                object.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    Value::Object(object)
}

/// The JSON object for one event: `seq`, `t_ms`, `event`, then the event's own fields.
pub fn event_json(event: &Event) -> Value {
    let mut line = Map::new();
    line.insert("seq".into(), json!(event.seq));
    line.insert("t_ms".into(), json!(millis(event.offset)));
    line.insert("event".into(), json!(event.kind.name()));
    let time: chrono::DateTime<chrono::Utc> = event.wall_time.into();
    line.insert(
        "time".into(),
        json!(time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    );
    let fields = match &event.kind {
        EventKind::Connecting { url } => json!({ "url": url }),
        EventKind::Open(open) => json!({
            "status": open.status,
            "subprotocol": open.subprotocol,
            "extensions": open.extensions,
            "headers": header_object(&open.response_headers),
            "request_headers": header_object(&open.request_headers),
            "handshake_ms": millis(open.handshake),
        }),
        EventKind::Message { dir, payload } => match payload {
            Payload::Text(text) => json!({
                "dir": dir.as_str(), "type": "text", "len": text.len(), "text": text.as_str(),
            }),
            Payload::Binary(bytes) => json!({
                "dir": dir.as_str(), "type": "binary", "len": bytes.len(), "hex": to_hex(bytes),
            }),
        },
        EventKind::Ping { dir, payload } => json!({
            "dir": dir.as_str(), "len": payload.len(), "hex": to_hex(payload),
        }),
        EventKind::Pong { dir, payload, auto } => json!({
            "dir": dir.as_str(), "len": payload.len(), "hex": to_hex(payload), "auto": auto,
        }),
        EventKind::Error(error) => {
            let mut fields = json!({
                "category": error.category.as_str(),
                "message": error.message,
            });
            if let (Some(http), Value::Object(map)) = (&error.http, &mut fields) {
                add_rejection(map, http);
            }
            fields
        }
        EventKind::Close(close) => json!({
            "code": close.code,
            "reason": close.reason,
            "was_clean": close.was_clean,
            "initiator": close.initiator.as_str(),
            "code_name": close_code::describe(close.code).name,
            "closing_handshake_ms": close.closing_handshake.map(millis),
        }),
        EventKind::Sse(SseEvent::Message(message)) => {
            let mut fields = json!({
                "type": message.event_type,
                "data": message.data,
                "id": message.id,
                "last_event_id": &*message.last_event_id,
            });
            if let (Some(retry), Value::Object(map)) = (message.retry, &mut fields) {
                map.insert("retry".into(), json!(retry.as_millis() as u64));
            }
            fields
        }
        EventKind::Sse(SseEvent::Comment(text)) => json!({ "text": text }),
        // The command line's `oauth-token` line, plus what was asked.
        EventKind::Token(token) => match &token.answer {
            Ok(granted) => json!({
                "url": token.url,
                "client_id": token.client_id,
                "requested_scope": token.scope,
                "status": granted.status,
                "token_type": granted.token_type,
                "expires_in": granted.expires_in,
                "scope": granted.scope,
            }),
            Err(error) => json!({
                "url": token.url,
                "client_id": token.client_id,
                "requested_scope": token.scope,
                "error": error,
            }),
        },
        // The command line's `log`, script `error` and `test` lines.
        EventKind::Script(note) => match &**note {
            ScriptNote::Log(text) => json!({ "text": text }),
            ScriptNote::Error(message) => json!({ "category": "script", "message": message }),
            ScriptNote::Test {
                name,
                passed,
                message,
            } => json!({ "name": name, "passed": passed, "message": message }),
        },
        // A proxied message not passed on: `{"by":"rule","rule":2,"type":"text","len":17}`.
        EventKind::Dropped(dropped) => json!({
            "by": dropped.by.as_str(),
            "rule": match dropped.by {
                DropCause::Rule(number) => Some(number),
                DropCause::User => None,
            },
            "type": if dropped.binary { "binary" } else { "text" },
            "len": dropped.size,
        }),
    };
    if let Value::Object(fields) = fields {
        line.extend(fields);
    }
    // permessage-deflate: the compressed size, only when it differs from `len`.
    if let (EventKind::Message { payload, .. }, Some(wire)) = (&event.kind, &event.wire)
        && wire.size != payload.len()
    {
        line.insert("wire_size".into(), json!(wire.size));
    }
    Value::Object(line)
}

/// Events as JSON lines, one object per line each ending with a newline, exactly as
/// `connect` prints them: the export of a timeline for scripts.
pub fn to_json_lines<'a>(events: impl IntoIterator<Item = &'a Event>) -> String {
    let mut out = String::new();
    for event in events {
        out.push_str(&event_json(event).to_string());
        out.push('\n');
    }
    out
}

fn add_rejection(map: &mut Map<String, Value>, http: &HttpRejection) {
    map.insert("status".into(), json!(http.status));
    map.insert("headers".into(), header_object(&http.headers));
    map.insert(
        "body".into(),
        json!(String::from_utf8_lossy(&http.body).into_owned()),
    );
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::engine::Direction;

    #[test]
    fn a_dropped_message_says_by_whom_and_its_type_and_length() {
        let event = |by| Event {
            wire: None,
            seq: 3,
            wall_time: SystemTime::UNIX_EPOCH,
            offset: Duration::ZERO,
            kind: EventKind::Dropped(Box::new(crate::engine::DroppedMessage {
                by,
                size: 16,
                binary: false,
            })),
        };
        let line = event_json(&event(DropCause::Rule(2)));
        assert_eq!(
            (&line["event"], &line["by"], &line["rule"]),
            (&json!("dropped"), &json!("rule"), &json!(2))
        );
        assert_eq!((&line["type"], &line["len"]), (&json!("text"), &json!(16)));
        let line = event_json(&event(DropCause::User));
        assert_eq!((&line["by"], &line["rule"]), (&json!("user"), &Value::Null));
    }

    #[test]
    fn json_lines_are_one_object_per_line() {
        let event = |seq, kind| Event {
            wire: None,
            seq,
            wall_time: SystemTime::UNIX_EPOCH,
            offset: Duration::from_micros(1500),
            kind,
        };
        let events = [
            event(
                0,
                EventKind::Connecting {
                    url: "ws://a/".into(),
                },
            ),
            event(
                1,
                EventKind::Message {
                    dir: Direction::In,
                    payload: Payload::Text("two\nlines".into()),
                },
            ),
        ];
        let text = to_json_lines(&events);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["t_ms"], 1.5);
        assert_eq!(lines[0]["time"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(lines[1]["text"], "two\nlines");
        assert!(text.ends_with('\n'));
    }
}
