//! A tab's memory budget: how many payload bytes its timeline keeps. A server that sends
//! without end must not exhaust memory silently, so once the budget is reached new payloads
//! are not kept: their rows stay (kind, direction, time and original size) and the tab says
//! how many messages and bytes it did not keep.

use std::sync::Arc;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::engine::{EventKind, Payload, SseEvent, WireForm};

/// Payload bytes a tab keeps unless told otherwise: 512 MiB.
pub const DEFAULT_LIMIT: usize = 512 << 20;

/// How much of an SSE event's name and id is kept once its data is not.
pub const KEPT_LABEL: usize = 64;

fn cut(text: &mut String) {
    let end = text.floor_char_boundary(KEPT_LABEL);
    text.truncate(end);
}

/// What a timeline did not keep because its budget was reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotKept {
    /// Messages whose payloads were not kept.
    pub messages: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

/// Counts what a timeline keeps and decides what it no longer can.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    kept: usize,
    /// Rows whose payload was not kept, with the payload's size, in index order.
    dropped: Vec<(usize, usize)>,
    not_kept: NotKept,
    /// The SSE last event id counted last (shared by the events until it changes).
    last_event_id: Option<Arc<str>>,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        Self::new(DEFAULT_LIMIT)
    }
}

impl MemoryBudget {
    /// A budget of `limit` payload bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            kept: 0,
            dropped: Vec::new(),
            not_kept: NotKept::default(),
            last_event_id: None,
        }
    }

    /// The limit in payload bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the limit for the payloads that arrive from now on.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Payload bytes kept so far.
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// What was not kept so far.
    pub fn not_kept(&self) -> NotKept {
        self.not_kept
    }

    /// The original payload size of the row at `index`, when its payload was not kept.
    pub fn dropped_len(&self, index: usize) -> Option<usize> {
        let found = self
            .dropped
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()?;
        Some(self.dropped[found].1)
    }

    /// The wire form of a compressed message (permessage-deflate), to be stored beside it:
    /// its compressed bytes count towards the budget like payloads; past it, only the wire
    /// size is kept.
    pub fn admit_wire(&mut self, wire: Option<Box<WireForm>>) -> Option<Box<WireForm>> {
        let mut wire = wire?;
        let cost = wire.bytes.as_ref().map_or(0, |bytes| bytes.len());
        if self.kept.saturating_add(cost) <= self.limit {
            self.kept = self.kept.saturating_add(cost);
        } else {
            // Past the budget the wire size stays; the compressed bytes go.
            wire.bytes = None;
        }
        Some(wire)
    }

    /// `kind`, to be stored at `index`: as it is while the budget allows it, or with its
    /// payload emptied (and counted) once it does not. Every byte the event holds counts
    /// towards the budget: payloads, and strings too (headers, reasons, error texts, SSE
    /// event names and ids; a stream's shared last event id once per change). Past the
    /// budget, a message or SSE event keeps its row but not its payload (an SSE event's name
    /// and id are cut to [`KEPT_LABEL`] bytes); control frames (at most 125 bytes) and the
    /// rare events (open, error, close) are always kept.
    pub fn admit(&mut self, index: usize, kind: EventKind) -> EventKind {
        let mut cost = kind.heap_bytes();
        if let EventKind::Sse(SseEvent::Message(message)) = &kind
            && !self
                .last_event_id
                .as_ref()
                .is_some_and(|last| Arc::ptr_eq(last, &message.last_event_id))
        {
            cost += message.last_event_id.len();
            self.last_event_id = Some(Arc::clone(&message.last_event_id));
        }
        let payload = match &kind {
            EventKind::Message { payload, .. } => payload.len(),
            EventKind::Sse(SseEvent::Message(message)) => message.data.len(),
            EventKind::Sse(SseEvent::Comment(text)) => text.len(),
            _ => 0,
        };
        if payload == 0 || self.kept.saturating_add(cost) <= self.limit {
            self.kept = self.kept.saturating_add(cost);
            return kind;
        }
        self.record_dropped(index, payload);
        let kind = match kind {
            EventKind::Message { dir, payload } => EventKind::Message {
                dir,
                payload: match payload {
                    Payload::Text(_) => Payload::Text(Utf8Bytes::from_static("")),
                    Payload::Binary(_) => Payload::Binary(Bytes::new()),
                },
            },
            EventKind::Sse(SseEvent::Message(mut message)) => {
                message.data = String::new();
                cut(&mut message.event_type);
                if let Some(id) = &mut message.id {
                    cut(id);
                }
                EventKind::Sse(SseEvent::Message(message))
            }
            EventKind::Sse(SseEvent::Comment(_)) => {
                EventKind::Sse(SseEvent::Comment(String::new()))
            }
            other => other,
        };
        self.kept = self.kept.saturating_add(kind.heap_bytes());
        kind
    }

    /// The rows whose payload was not kept, with the payload's size, in index order.
    pub fn dropped(&self) -> &[(usize, usize)] {
        &self.dropped
    }

    /// Records that the payload of the row at `index` (of `len` bytes) was not kept: when
    /// it arrived, or in a session saved after it was not kept.
    pub fn record_dropped(&mut self, index: usize, len: usize) {
        if self.dropped.last().is_some_and(|(last, _)| *last >= index) {
            return;
        }
        self.dropped.push((index, len));
        self.not_kept.messages += 1;
        self.not_kept.bytes += len as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Direction;

    fn message(len: usize) -> EventKind {
        EventKind::Message {
            dir: Direction::In,
            payload: Payload::Text("x".repeat(len).into()),
        }
    }

    fn payload_len(kind: &EventKind) -> usize {
        match kind {
            EventKind::Message { payload, .. } => payload.len(),
            _ => usize::MAX,
        }
    }

    #[test]
    fn payloads_past_the_limit_are_not_kept_but_counted() {
        let mut budget = MemoryBudget::new(250);
        assert_eq!(payload_len(&budget.admit(0, message(100))), 100);
        assert_eq!(payload_len(&budget.admit(1, message(100))), 100);
        assert_eq!(payload_len(&budget.admit(2, message(100))), 0, "over 250");
        assert_eq!(payload_len(&budget.admit(3, message(50))), 50, "still fits");
        let ping = budget.admit(
            4,
            EventKind::Ping {
                dir: Direction::Out,
                payload: Bytes::from_static(b"p"),
            },
        );
        assert!(matches!(ping, EventKind::Ping { .. }));
        assert_eq!(payload_len(&budget.admit(5, message(1))), 0);
        assert_eq!(
            budget.kept(),
            251,
            "the ping's byte counts, though it is kept"
        );
        assert_eq!(
            budget.not_kept(),
            NotKept {
                messages: 2,
                bytes: 101
            }
        );
        assert_eq!(budget.dropped_len(2), Some(100));
        assert_eq!(budget.dropped_len(3), None);
        assert_eq!(budget.dropped_len(5), Some(1));
    }

    fn sse(event_type: &str, data: &str, last_event_id: &Arc<str>) -> EventKind {
        EventKind::sse_message(crate::engine::SseMessage {
            event_type: event_type.to_owned(),
            data: data.to_owned(),
            id: None,
            last_event_id: Arc::clone(last_event_id),
            retry: None,
        })
    }

    #[test]
    fn strings_count_and_a_shared_last_event_id_counts_once() {
        let id: Arc<str> = Arc::from("i".repeat(1000).as_str());
        let mut budget = MemoryBudget::new(1 << 20);
        budget.admit(0, sse("tick", "d", &id));
        let first = budget.kept();
        assert!(first > 1000, "the id, the name and the data count: {first}");
        budget.admit(1, sse("tick", "d", &id));
        assert!(
            budget.kept() - first < 1000,
            "the same id is not counted again"
        );

        // A huge event name past the budget: the row stays, cut short, without its data.
        let mut budget = MemoryBudget::new(100);
        let kept = budget.admit(0, sse(&"n".repeat(10_000), "data", &id));
        let EventKind::Sse(SseEvent::Message(message)) = kept else {
            panic!("still an SSE event");
        };
        assert_eq!(
            (message.event_type.len(), message.data.as_str()),
            (KEPT_LABEL, "")
        );
        assert_eq!(budget.not_kept().messages, 1);
    }
}
