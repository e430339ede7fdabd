//! A tab's timeline: every event of every attempt, in arrival order, stored once.

use std::time::Duration;

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
        let opened = (*self.opened_at.get(entry.attempt.saturating_sub(1) as usize)?)?;
        entry.event.offset.checked_sub(opened)
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.opened_at.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::engine::{Direction, OpenInfo, Payload};

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
        let url = || EventKind::Connecting { url: "ws://x/".into() };
        let message = || EventKind::Message {
            dir: Direction::In,
            payload: Payload::Text("hi".into()),
        };
        timeline.push(1, event(0, url()));
        timeline.push(1, event(5, EventKind::Open(OpenInfo::default())));
        timeline.push(1, event(12, message()));
        timeline.push(2, event(0, url()));
        timeline.push(2, event(100, EventKind::Open(OpenInfo::default())));
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
