//! Matches pongs to the pings they answer, for round-trip times.

use std::time::Duration;

use bytes::Bytes;

use crate::engine::{Direction, Event, EventKind};

/// How many unanswered pings are remembered (the oldest are forgotten).
const REMEMBERED: usize = 64;

/// Pings we sent that no pong has answered yet.
#[derive(Debug, Default)]
pub struct PingTracker {
    unanswered: Vec<(u32, Bytes, Duration)>,
}

impl PingTracker {
    /// Looks at the next event of `attempt`; for a pong that answers one of our pings (same
    /// attempt, same payload), returns the round-trip time.
    pub fn observe(&mut self, attempt: u32, event: &Event) -> Option<Duration> {
        match &event.kind {
            EventKind::Ping {
                dir: Direction::Out,
                payload,
            } => {
                if self.unanswered.len() == REMEMBERED {
                    self.unanswered.remove(0);
                }
                self.unanswered
                    .push((attempt, payload.clone(), event.offset));
                None
            }
            EventKind::Pong {
                dir: Direction::In,
                payload,
                ..
            } => {
                let position = self
                    .unanswered
                    .iter()
                    .rposition(|(a, p, _)| *a == attempt && p == payload)?;
                let (_, _, sent) = self.unanswered.remove(position);
                Some(event.offset.saturating_sub(sent))
            }
            _ => None,
        }
    }
}
