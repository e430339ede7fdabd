//! The `--summary` line: counts and bytes in each direction, and the duration.

use serde_json::{Value, json};

use crate::engine::{Direction, Event, EventKind};

/// Running counts for `--summary`.
#[derive(Debug, Default)]
pub struct Summary {
    messages_in: u64,
    messages_out: u64,
    bytes_in: u64,
    bytes_out: u64,
    pings_in: u64,
    pings_out: u64,
    pongs_in: u64,
    pongs_out: u64,
    open_ms: Option<f64>,
    close_ms: Option<f64>,
}

impl Summary {
    /// Counts one event.
    pub fn count(&mut self, event: &Event) {
        let ms = event.offset.as_micros() as f64 / 1000.0;
        match &event.kind {
            EventKind::Message { dir, payload } => {
                let len = payload.len() as u64;
                match dir {
                    Direction::In => (self.messages_in += 1, self.bytes_in += len),
                    Direction::Out => (self.messages_out += 1, self.bytes_out += len),
                };
            }
            EventKind::Ping { dir, .. } => match dir {
                Direction::In => self.pings_in += 1,
                Direction::Out => self.pings_out += 1,
            },
            EventKind::Pong { dir, .. } => match dir {
                Direction::In => self.pongs_in += 1,
                Direction::Out => self.pongs_out += 1,
            },
            EventKind::Open(_) => self.open_ms = Some(ms),
            EventKind::Close(_) => self.close_ms = Some(ms),
            // Only SSE streams report these; `connect` never sees them.
            EventKind::Connecting { .. }
            | EventKind::Error(_)
            | EventKind::Sse(_)
            | EventKind::Token(_)
            | EventKind::Script(_)
            | EventKind::Dropped(_) => {}
        }
    }

    /// The summary line.
    pub fn to_json(&self) -> Value {
        let open_ms = match (self.open_ms, self.close_ms) {
            (Some(open), Some(close)) => Some(close - open),
            _ => None,
        };
        json!({
            "event": "summary",
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "pings_in": self.pings_in,
            "pings_out": self.pings_out,
            "pongs_in": self.pongs_in,
            "pongs_out": self.pongs_out,
            "duration_ms": self.close_ms,
            "open_ms": open_ms,
        })
    }
}
