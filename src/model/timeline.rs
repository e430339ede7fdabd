//! A tab's timeline: every event of every attempt, in arrival order, stored once.
//!
//! A stored row is only what cannot be derived: the event's kind (payloads shared, as
//! received) and its offset, 56 bytes. The attempt, sequence number and wall time of a row
//! follow from the run of consecutive rows it belongs to: a live attempt is one run, since
//! the engine numbers its events without gaps and derives wall times from offsets. Rows sit
//! in fixed-size chunks, so growing never copies what is stored (no pause at a million
//! rows) and no more than one chunk is ever allocated ahead.

use std::ops::Range;
use std::time::{Duration, SystemTime};

use super::memory_budget::{MemoryBudget, NotKept};
use super::round_trip::PingTracker;
use crate::engine::{Event, EventKind, Leg, WireForm};

/// Rows per chunk (56 B each: 224 KiB).
const CHUNK: usize = 4096;

/// An event of an attempt, owned: what the SSE engine hands over and what sessions save.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    /// The attempt (connection) number within the tab, from 1.
    pub attempt: u32,
    /// The event as the engine reported it.
    pub event: Event,
    /// The leg of a proxied connection it happened on (`None`: a connection of its own).
    pub leg: Option<Leg>,
}

impl TimelineEntry {
    /// An event of `attempt` that belongs to no proxy leg.
    pub fn new(attempt: u32, event: Event) -> Self {
        Self {
            attempt,
            event,
            leg: None,
        }
    }
}

/// A stored event, borrowed from the timeline, with its derived numbers.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    /// The attempt (connection) number within the tab, from 1.
    pub attempt: u32,
    /// Position in the attempt's stream of events.
    pub seq: u64,
    /// Wall-clock time at which the engine saw it.
    pub wall_time: SystemTime,
    /// Time since the attempt started.
    pub offset: Duration,
    /// What happened.
    pub kind: &'a EventKind,
    /// The leg of a proxied connection it happened on (`None`: a connection of its own).
    pub leg: Option<Leg>,
    /// How a compressed message travelled (permessage-deflate), if it did.
    pub wire: Option<&'a WireForm>,
}

impl<'a> EntryRef<'a> {
    /// A view of `event` of `attempt`, as if it were stored.
    pub fn of(attempt: u32, event: &'a Event) -> Self {
        EntryRef {
            attempt,
            seq: event.seq,
            wall_time: event.wall_time,
            offset: event.offset,
            kind: &event.kind,
            leg: None,
            wire: event.wire.as_deref(),
        }
    }

    /// An owned copy (payloads are shared, not copied).
    pub fn to_entry(&self) -> TimelineEntry {
        TimelineEntry {
            attempt: self.attempt,
            event: Event {
                wire: self.wire.map(|wire| Box::new(wire.clone())),
                seq: self.seq,
                wall_time: self.wall_time,
                offset: self.offset,
                kind: self.kind.clone(),
            },
            leg: self.leg,
        }
    }
}

/// What a row stores.
#[derive(Debug)]
struct Row {
    /// Offset from the attempt's start in nanoseconds (clamped at 584 years).
    offset_nanos: u64,
    kind: EventKind,
    /// The wire form of a compressed message (`None` for everything else).
    wire: Option<Box<WireForm>>,
}

/// Consecutive rows of one attempt whose sequence numbers count up by one and whose wall
/// times move with their offsets.
#[derive(Clone, Copy, Debug)]
struct Run {
    first: usize,
    attempt: u32,
    seq: u64,
    wall_time: SystemTime,
    offset: Duration,
}

impl Run {
    /// The entry of `row`, stored at `index` within this run.
    fn entry<'a>(&self, index: usize, row: &'a Row) -> EntryRef<'a> {
        let offset = Duration::from_nanos(row.offset_nanos);
        EntryRef {
            attempt: self.attempt,
            seq: self.seq_at(index),
            // A run only holds rows whose wall time follows from it.
            wall_time: self.wall_time_at(offset).unwrap_or(self.wall_time),
            offset,
            kind: &row.kind,
            leg: None,
            wire: row.wire.as_deref(),
        }
    }

    fn seq_at(&self, index: usize) -> u64 {
        self.seq + (index - self.first) as u64
    }

    fn wall_time_at(&self, offset: Duration) -> Option<SystemTime> {
        self.wall_time.checked_add(offset.checked_sub(self.offset)?)
    }
}

/// Every event a tab has seen, in order. The engine's events are applied by [`Timeline::push`]
/// only; views read it.
#[derive(Debug, Default)]
pub struct Timeline {
    chunks: Vec<Vec<Row>>,
    len: usize,
    runs: Vec<Run>,
    /// For each attempt (index = attempt - 1), the offset of its open event, once open.
    opened_at: Vec<Option<Duration>>,
    /// Matches pongs to our pings.
    pings: PingTracker,
    /// Round-trip times, by the index of the pong that answered: in index order.
    round_trips: Vec<(usize, Duration)>,
    /// How many payload bytes are kept, and what was not.
    budget: MemoryBudget,
    /// Each row's proxy leg, one byte a row; empty until a row with a leg arrives (a
    /// timeline of a connection of its own never has one).
    legs: Vec<Option<Leg>>,
}

impl Timeline {
    /// Appends an event of `attempt` (attempts are numbered from 1, in order).
    pub fn push(&mut self, attempt: u32, event: Event) {
        self.push_on(attempt, None, event);
    }

    /// Appends an event of `attempt` that happened on proxy leg `leg` (`None`: no leg).
    pub fn push_on(&mut self, attempt: u32, leg: Option<Leg>, event: Event) {
        if leg.is_some() || !self.legs.is_empty() {
            self.legs.resize(self.len, None);
            self.legs.push(leg);
        }
        let slot = attempt.saturating_sub(1) as usize;
        if self.opened_at.len() <= slot {
            self.opened_at.resize(slot + 1, None);
        }
        if let EventKind::Open(_) = event.kind {
            self.opened_at[slot] = Some(event.offset);
        }
        if let Some(rtt) = self.pings.observe(attempt, &event) {
            self.round_trips.push((self.len, rtt));
        }
        let offset_nanos = u64::try_from(event.offset.as_nanos()).unwrap_or(u64::MAX);
        let offset = Duration::from_nanos(offset_nanos);
        let continues = self.runs.last().is_some_and(|run| {
            run.attempt == attempt
                && run.seq_at(self.len) == event.seq
                && run.wall_time_at(offset) == Some(event.wall_time)
        });
        if !continues {
            self.runs.push(Run {
                first: self.len,
                attempt,
                seq: event.seq,
                wall_time: event.wall_time,
                offset,
            });
        }
        if self.chunks.last().is_none_or(|chunk| chunk.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let kind = self.budget.admit(self.len, event.kind);
        let wire = self.budget.admit_wire(event.wire);
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(Row {
                offset_nanos,
                kind,
                wire,
            });
            self.len += 1;
        }
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing happened yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn row(&self, index: usize) -> Option<&Row> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    fn run_of(&self, index: usize) -> Option<&Run> {
        let after = self.runs.partition_point(|run| run.first <= index);
        self.runs.get(after.checked_sub(1)?)
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<EntryRef<'_>> {
        let row = self.row(index)?;
        let run = self.run_of(index)?;
        let mut entry = run.entry(index, row);
        entry.leg = self.leg(index);
        Some(entry)
    }

    /// The proxy leg of the entry at `index` (`None`: no leg, or no such entry).
    pub fn leg(&self, index: usize) -> Option<Leg> {
        self.legs.get(index).copied().flatten()
    }

    /// True when some entry belongs to a proxy leg (the timeline of a proxied connection).
    pub fn has_legs(&self) -> bool {
        // Rows get a leg slot only from the first row with a leg on.
        !self.legs.is_empty()
    }

    /// What happened at `index`, without the derived numbers (the quickest look).
    pub fn kind(&self, index: usize) -> Option<&EventKind> {
        self.row(index).map(|row| &row.kind)
    }

    /// The rows in `range` (clamped to the timeline), with their indices, walking the chunks
    /// directly.
    fn rows(&self, range: Range<usize>) -> impl Iterator<Item = (usize, &Row)> {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        let first_chunk = start / CHUNK;
        self.chunks
            .iter()
            .skip(first_chunk)
            .flat_map(|chunk| chunk.iter())
            .skip(start - first_chunk * CHUNK)
            .take(end - start)
            .enumerate()
            .map(move |(n, row)| (start + n, row))
    }

    /// The kinds of the entries in `range` (clamped to the timeline), with their indices:
    /// the quickest walk, for filters.
    pub fn kinds(&self, range: Range<usize>) -> impl Iterator<Item = (usize, &EventKind)> {
        self.rows(range).map(|(index, row)| (index, &row.kind))
    }

    /// The entries in `range` (clamped to the timeline), in order.
    pub fn range(&self, range: Range<usize>) -> impl Iterator<Item = EntryRef<'_>> {
        let first_run = self.runs.partition_point(|run| run.first <= range.start);
        let mut runs = self.runs[first_run.saturating_sub(1)..].iter().peekable();
        let mut current = runs.next().copied();
        self.rows(range).filter_map(move |(index, row)| {
            while let Some(next) = runs.peek()
                && next.first <= index
            {
                current = runs.next().copied();
            }
            current.map(|run| {
                let mut entry = run.entry(index, row);
                entry.leg = self.leg(index);
                entry
            })
        })
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> {
        self.range(0..self.len)
    }

    /// Owned copies of every entry (payloads shared), for saving and exporting.
    pub fn to_entries(&self) -> Vec<TimelineEntry> {
        self.iter().map(|entry| entry.to_entry()).collect()
    }

    /// Time from its attempt's open event to the entry (`None` before open).
    pub fn since_open(&self, index: usize) -> Option<Duration> {
        let entry = self.get(index)?;
        let opened = (*self
            .opened_at
            .get(entry.attempt.saturating_sub(1) as usize)?)?;
        entry.offset.checked_sub(opened)
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

    /// The payload bytes the timeline keeps before it stops keeping payloads.
    pub fn memory_budget(&self) -> usize {
        self.budget.limit()
    }

    /// Changes the memory budget for the payloads that arrive from now on.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.budget.set_limit(bytes);
    }

    /// Payload bytes kept.
    pub fn kept_bytes(&self) -> usize {
        self.budget.kept()
    }

    /// What was not kept because the memory budget was reached.
    pub fn not_kept(&self) -> NotKept {
        self.budget.not_kept()
    }

    /// The original payload size of the entry at `index`, when its payload was not kept.
    pub fn not_kept_len(&self, index: usize) -> Option<usize> {
        self.budget.dropped_len(index)
    }

    /// The entries whose payload was not kept, with the payload's size, in order.
    pub fn not_kept_rows(&self) -> &[(usize, usize)] {
        self.budget.dropped()
    }

    /// Marks the latest entry's payload (of `len` bytes) as not kept: for timelines restored
    /// from a session saved after the budget was reached.
    pub fn mark_last_not_kept(&mut self, len: usize) {
        if let Some(last) = self.len.checked_sub(1) {
            self.budget.record_dropped(last, len);
        }
    }

    /// Forgets every entry, as the user's Clear does, but keeps what later events of the
    /// same attempts are measured by: when each attempt opened (for "+since open") and the
    /// pings still waiting for their pong (for round trips). The memory budget's limit stays.
    pub fn clear_rows(&mut self) {
        let limit = self.budget.limit();
        self.chunks = Vec::new();
        self.len = 0;
        self.runs.clear();
        self.legs = Vec::new();
        self.round_trips.clear();
        self.budget = MemoryBudget::new(limit);
    }

    /// Forgets every entry; the memory budget stays.
    pub fn clear(&mut self) {
        let limit = self.budget.limit();
        *self = Self::default();
        self.budget.set_limit(limit);
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
            wire: None,
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
        timeline.push(1, event(5, EventKind::open(OpenInfo::default())));
        timeline.push(1, event(12, message()));
        timeline.push(2, event(0, url()));
        timeline.push(2, event(100, EventKind::open(OpenInfo::default())));
        timeline.push(2, event(130, message()));
        assert_eq!(timeline.len(), 6);
        assert_eq!(timeline.since_open(0), None, "connecting comes before open");
        assert_eq!(timeline.since_open(2), Some(Duration::from_millis(7)));
        assert_eq!(timeline.since_open(5), Some(Duration::from_millis(30)));
        assert_eq!(timeline.since_open(9), None);
        timeline.clear();
        assert!(timeline.is_empty());
    }

    #[test]
    fn clearing_rows_keeps_times_since_open_and_pending_pings() {
        let mut timeline = Timeline::default();
        timeline.set_memory_budget(4);
        let text = |t: &'static str| EventKind::Message {
            dir: Direction::In,
            payload: Payload::Text(t.into()),
        };
        timeline.push(1, event(5, EventKind::open(OpenInfo::default())));
        timeline.push(1, event(6, text("over the budget")));
        timeline.push(
            1,
            event(
                10,
                EventKind::Ping {
                    dir: Direction::Out,
                    payload: Bytes::from_static(b"p"),
                },
            ),
        );
        assert!(timeline.not_kept().messages == 1);
        timeline.clear_rows();
        assert!(timeline.is_empty());
        assert_eq!(
            timeline.not_kept().messages,
            0,
            "what was not kept went too"
        );
        assert_eq!(timeline.memory_budget(), 4, "the limit stays");
        timeline.push(1, event(25, text("ok")));
        timeline.push(
            1,
            event(
                40,
                EventKind::Pong {
                    dir: Direction::In,
                    payload: Bytes::from_static(b"p"),
                    auto: false,
                },
            ),
        );
        assert_eq!(timeline.len(), 2);
        assert_eq!(timeline.since_open(0), Some(Duration::from_millis(20)));
        assert_eq!(timeline.round_trip(1), Some(Duration::from_millis(30)));
        assert_eq!(timeline.kept_bytes(), 3, "the text, and the pong's byte");
    }

    fn numbered(seq: u64, start: SystemTime, offset: Duration) -> Event {
        Event {
            wire: None,
            seq,
            wall_time: start + offset,
            offset,
            kind: EventKind::Message {
                dir: Direction::In,
                payload: Payload::Text(seq.to_string().into()),
            },
        }
    }

    #[test]
    fn derived_numbers_and_times_are_exactly_what_was_pushed() {
        let start = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let mut pushed = Vec::new();
        // Two attempts spanning chunk boundaries, then an event that breaks the numbering
        // (as a hand-edited session might) and one whose wall clock jumped.
        for seq in 0..(CHUNK as u64 + 10) {
            pushed.push((1, numbered(seq, start, Duration::from_nanos(seq * 1_001))));
        }
        for seq in 0..(CHUNK as u64 * 2) {
            pushed.push((2, numbered(seq, start, Duration::from_micros(seq * 3 + 7))));
        }
        pushed.push((2, numbered(99_999, start, Duration::from_secs(1))));
        let mut jumped = numbered(100_000, start, Duration::from_secs(2));
        jumped.wall_time += Duration::from_millis(1);
        pushed.push((2, jumped));
        let mut timeline = Timeline::default();
        for (attempt, event) in &pushed {
            timeline.push(*attempt, event.clone());
        }
        assert_eq!(timeline.len(), pushed.len());
        assert_eq!(timeline.runs.len(), 4, "one run per attempt, one per break");
        let check = |index: usize, entry: EntryRef<'_>| {
            let (attempt, event) = &pushed[index];
            assert_eq!(entry.attempt, *attempt, "entry {index}");
            assert_eq!(entry.seq, event.seq, "entry {index}");
            assert_eq!(entry.offset, event.offset, "entry {index}");
            assert_eq!(entry.wall_time, event.wall_time, "entry {index}");
            assert_eq!(entry.kind.name(), "message");
        };
        for (index, entry) in timeline.iter().enumerate() {
            check(index, entry);
        }
        for index in [0, CHUNK - 1, CHUNK, CHUNK + 9, CHUNK + 10, pushed.len() - 1] {
            check(index, timeline.get(index).expect("stored"));
        }
        let middle: Vec<usize> = timeline
            .range(CHUNK + 5..CHUNK + 15)
            .map(|e| e.seq as usize)
            .collect();
        assert_eq!(
            middle,
            vec![
                CHUNK + 5,
                CHUNK + 6,
                CHUNK + 7,
                CHUNK + 8,
                CHUNK + 9,
                0,
                1,
                2,
                3,
                4
            ]
        );
        let kinds: Vec<usize> = timeline
            .kinds(pushed.len() - 2..usize::MAX)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            kinds,
            vec![pushed.len() - 2, pushed.len() - 1],
            "clamped to the end"
        );
        assert!(timeline.get(pushed.len()).is_none());
        let owned = timeline.to_entries();
        assert_eq!(owned.len(), pushed.len());
        assert_eq!(owned[CHUNK + 10].event.seq, 0);
        assert_eq!(owned[CHUNK + 10].attempt, 2);
    }

    #[test]
    fn legs_are_kept_per_row_and_a_plain_timeline_has_none() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut plain = Timeline::default();
        plain.push(1, numbered(0, start, Duration::ZERO));
        assert!(!plain.has_legs() && plain.legs.is_empty(), "no byte spent");
        assert_eq!(plain.get(0).and_then(|e| e.leg), None);

        let mut proxied = Timeline::default();
        proxied.push(1, numbered(0, start, Duration::ZERO));
        proxied.push_on(
            1,
            Some(Leg::Client),
            numbered(1, start, Duration::from_millis(1)),
        );
        proxied.push_on(
            1,
            Some(Leg::Upstream),
            numbered(2, start, Duration::from_millis(2)),
        );
        let legs: Vec<_> = proxied.iter().map(|e| e.leg).collect();
        assert_eq!(legs, [None, Some(Leg::Client), Some(Leg::Upstream)]);
        assert_eq!(proxied.runs.len(), 1, "a connection's legs are one run");
        assert_eq!(proxied.to_entries()[2].leg, Some(Leg::Upstream));
        assert!(proxied.has_legs());
        proxied.clear_rows();
        assert!(!proxied.has_legs());
    }
}
