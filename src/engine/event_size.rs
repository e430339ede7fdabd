//! What an event costs in memory: the bytes its queues and timelines hold for it, strings
//! included (headers, reasons, error texts, SSE names and ids), not only payloads.

use std::mem::size_of;

use super::event::{Event, EventKind, ScriptNote, SseEvent};

fn pairs(headers: &[(String, String)]) -> usize {
    headers
        .iter()
        .map(|(name, value)| size_of::<(String, String)>() + name.len() + value.len())
        .sum()
}

impl EventKind {
    /// The bytes this event holds outside itself: payloads, strings and boxes. Shared
    /// bytes (an SSE stream's last event id) are not counted here.
    pub fn heap_bytes(&self) -> usize {
        match self {
            EventKind::Connecting { url } => url.len(),
            EventKind::Open(open) => {
                size_of_val(&**open)
                    + pairs(&open.request_headers)
                    + pairs(&open.response_headers)
                    + open.subprotocol.as_ref().map_or(0, String::len)
                    + open.extensions.as_ref().map_or(0, String::len)
            }
            EventKind::Message { payload, .. } => payload.len(),
            EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => payload.len(),
            EventKind::Error(error) => {
                size_of_val(&**error)
                    + error.message.len()
                    + error
                        .http
                        .as_ref()
                        .map_or(0, |http| pairs(&http.headers) + http.body.len())
            }
            EventKind::Close(close) => size_of_val(&**close) + close.reason.len(),
            EventKind::Sse(SseEvent::Message(message)) => {
                size_of_val(&**message)
                    + message.event_type.len()
                    + message.data.len()
                    + message.id.as_ref().map_or(0, String::len)
            }
            EventKind::Sse(SseEvent::Comment(text)) => text.len(),
            EventKind::Token(token) => {
                let answer = match &token.answer {
                    Ok(granted) => {
                        granted.token_type.len() + granted.scope.as_ref().map_or(0, String::len)
                    }
                    Err(error) => error.len(),
                };
                size_of_val(&**token)
                    + token.url.len()
                    + token.client_id.len()
                    + token.scope.len()
                    + answer
            }
            EventKind::Script(note) => {
                size_of_val(&**note)
                    + match &**note {
                        ScriptNote::Log(text) | ScriptNote::Error(text) => text.len(),
                        ScriptNote::Test { name, message, .. } => {
                            name.len() + message.as_ref().map_or(0, String::len)
                        }
                    }
            }
            EventKind::Dropped(dropped) => size_of_val(&**dropped),
        }
    }
}

impl Event {
    /// The bytes a queue holds for this event: the event itself and what it points to.
    pub fn queued_bytes(&self) -> usize {
        let wire = self.wire.as_ref().map_or(0, |wire| {
            size_of::<super::event::WireForm>() + wire.bytes.as_ref().map_or(0, |b| b.len())
        });
        size_of::<Event>() + self.kind.heap_bytes() + wire
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{CloseInfo, Initiator, OpenInfo};

    #[test]
    fn strings_count_not_only_payloads() {
        let close = EventKind::close(CloseInfo {
            code: 1000,
            reason: "r".repeat(100),
            was_clean: true,
            initiator: Initiator::Server,
            closing_handshake: None,
        });
        assert!(close.heap_bytes() >= 100);
        let open = EventKind::open(OpenInfo {
            status: 101,
            request_headers: vec![("a".repeat(1000), "b".repeat(1000))],
            response_headers: vec![("c".into(), "d".repeat(5000))],
            subprotocol: None,
            extensions: None,
            handshake: std::time::Duration::ZERO,
        });
        assert!(open.heap_bytes() >= 7000);
    }
}
