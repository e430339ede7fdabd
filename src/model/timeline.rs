//! A tab's timeline: every event of every attempt, in arrival order, stored once.

use std::time::Duration;

use super::round_trip::PingTracker;
use crate::engine::{Event, EventKind};

/// One row of the timeline: an engine event and the attempt it belongs to.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    /// The attempt (connection) number within the tab, from 1.
    pub attempt: u32,
    /// The event as the engine reported it.
    pub event: Event,
}

/// Every event a tab has seen, in order. The engine's events are applied by [`Timeline::push`]
/// only; views read it.
#[derive(Debug, Default)]
pub struct Timeline {
    entries: Vec<TimelineEntry>,
    /// For each attempt (index = attempt - 1), the offset of its open event, once open.
    opened_at: Vec<Option<Duration>>,
    /// Matches pongs to our pings.
    pings: PingTracker,
    /// Round-trip times, by the index of the pong that answered: in index order.
    round_trips: Vec<(usize, Duration)>,
}

impl Timeline {
    /// Appends an event of `attempt` (attempts are numbered from 1, in order).
    pub fn push(&mut self, attempt: u32, event: Event) {
        let slot = attempt.saturating_sub(1) as usize;
        if self.opened_at.len() <= slot {
            self.opened_at.resize(slot + 1, None);
        }
        if let EventKind::Open(_) = event.kind {
            self.opened_at[slot] = Some(event.offset);
        }
        if let Some(rtt) = self.pings.observe(attempt, &event) {
            self.round_trips.push((self.entries.len(), rtt));
        }
        self.entries.push(TimelineEntry { attempt, event });
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing happened yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<&TimelineEntry> {
        self.entries.get(index)
    }

    /// All entries, in order.
    pub fn entries(&self) -> &[TimelineEntry] {
        &self.entries
    }

    /// Time from its attempt's open event to the entry (`None` before open).
    pub fn since_open(&self, index: usize) -> Option<Duration> {
        let entry = self.entries.get(index)?;
        let opened = (*self
            .opened_at
            .get(entry.attempt.saturating_sub(1) as usize)?)?;
        entry.event.offset.checked_sub(opened)
    }

    /// The round-trip time of the pong at `index`: from the ping it answers (same attempt,
    /// same payload) to its arrival.
    pub fn round_trip(&self, index: usize) -> Option<Duration> {
        let found = self
            .round_trips
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()?;
        Some(self.round_trips[found].1)
    }

    /// The latest round-trip time, if any ping was answered.
    pub fn last_round_trip(&self) -> Option<Duration> {
        self.round_trips.last().map(|(_, rtt)| *rtt)
    }

    /// Every round trip: the pong's index and the time.
    pub fn round_trips(&self) -> &[(usize, Duration)] {
        &self.round_trips
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;
    use crate::engine::{Direction, OpenInfo, Payload};

    #[test]
    fn pongs_answer_the_ping_with_their_payload() {
        let mut timeline = Timeline::default();
        let ping = |p: &'static [u8]| EventKind::Ping {
            dir: Direction::Out,
            payload: Bytes::from_static(p),
        };
        let pong = |p: &'static [u8]| EventKind::Pong {
            dir: Direction::In,
            payload: Bytes::from_static(p),
            auto: false,
        };
        timeline.push(1, event(10, ping(b"a")));
        timeline.push(1, event(12, ping(b"b")));
        timeline.push(1, event(15, pong(b"b")));
        timeline.push(1, event(40, pong(b"a")));
        timeline.push(1, event(41, pong(b"zzz")));
        assert_eq!(timeline.round_trip(2), Some(Duration::from_millis(3)));
        assert_eq!(timeline.round_trip(3), Some(Duration::from_millis(30)));
        assert_eq!(
            timeline.round_trip(4),
            None,
            "an unsolicited pong has no round trip"
        );
        assert_eq!(timeline.last_round_trip(), Some(Duration::from_millis(30)));
        timeline.push(2, event(50, pong(b"a")));
        assert_eq!(
            timeline.round_trip(5),
            None,
            "pings do not carry over attempts"
        );
    }

    fn event(offset_ms: u64, kind: EventKind) -> Event {
        Event {
            seq: 0,
            wall_time: SystemTime::now(),
            offset: Duration::from_millis(offset_ms),
            kind,
        }
    }

    #[test]
    fn times_are_measured_from_each_attempts_open() {
        let mut timeline = Timeline::default();
        let url = || EventKind::Connecting {
            url: "ws://x/".into(),
        };
        let message = || EventKind::Message {
            dir: Direction::In,
            payload: Payload::Text("hi".into()),
        };
        timeline.push(1, event(0, url()));
        timeline.push(1, event(5, EventKind::Open(Box::new(OpenInfo::default()))));
        timeline.push(1, event(12, message()));
        timeline.push(2, event(0, url()));
        timeline.push(
            2,
            event(100, EventKind::Open(Box::new(OpenInfo::default()))),
        );
        timeline.push(2, event(130, message()));
        assert_eq!(timeline.len(), 6);
        assert_eq!(timeline.since_open(0), None, "connecting comes before open");
        assert_eq!(timeline.since_open(2), Some(Duration::from_millis(7)));
        assert_eq!(timeline.since_open(5), Some(Duration::from_millis(30)));
        assert_eq!(timeline.since_open(9), None);
        timeline.clear();
        assert!(timeline.is_empty());
    }
}
