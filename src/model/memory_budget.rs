//! A tab's memory budget: how many payload bytes its timeline keeps. A server that sends
//! without end must not exhaust memory silently, so once the budget is reached new payloads
//! are not kept: their rows stay (kind, direction, time and original size) and the tab says
//! how many messages and bytes it did not keep.

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::engine::{EventKind, Payload, SseEvent};

/// Payload bytes a tab keeps unless told otherwise: 512 MiB.
pub const DEFAULT_LIMIT: usize = 512 << 20;

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

    /// `kind`, to be stored at `index`: as it is while the budget allows its payload, or
    /// with the payload emptied (and counted) once it does not. Control frames (at most 125
    /// bytes) are always kept.
    pub fn admit(&mut self, index: usize, kind: EventKind) -> EventKind {
        let len = match &kind {
            EventKind::Message { payload, .. } => payload.len(),
            EventKind::Sse(SseEvent::Message(message)) => message.data.len(),
            _ => return kind,
        };
        if self.kept.saturating_add(len) <= self.limit || len == 0 {
            self.kept += len;
            return kind;
        }
        self.record_dropped(index, len);
        match kind {
            EventKind::Message { dir, payload } => EventKind::Message {
                dir,
                payload: match payload {
                    Payload::Text(_) => Payload::Text(Utf8Bytes::from_static("")),
                    Payload::Binary(_) => Payload::Binary(Bytes::new()),
                },
            },
            EventKind::Sse(SseEvent::Message(mut message)) => {
                message.data = String::new();
                EventKind::Sse(SseEvent::Message(message))
            }
            other => other,
        }
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
        assert_eq!(budget.kept(), 250);
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
}
