//! Numbers and timestamps events, puts them where the consumer takes them, then wakes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::event::{Event, EventKind, ReadyState};
use super::inbox::Outbox;

/// A wake-up callback the engine calls after it has delivered events, e.g. one that asks a
/// window to repaint. It must be cheap and must not block.
pub type WakeFn = Arc<dyn Fn() + Send + Sync>;

/// The state a connection's task shares with its handle.
#[derive(Debug)]
pub(crate) struct SharedState {
    ready_state: AtomicU8,
}

impl SharedState {
    pub(crate) fn new() -> Self {
        Self {
            ready_state: AtomicU8::new(ReadyState::Connecting as u8),
        }
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        ReadyState::from_u8(self.ready_state.load(Ordering::Acquire))
    }

    pub(crate) fn set_ready_state(&self, state: ReadyState) {
        self.ready_state.store(state as u8, Ordering::Release);
    }
}

/// Times an attempt's events: one monotonic clock read per event, and a wall time derived
/// from it (the attempt's start plus the offset), so offsets and wall times always agree and
/// a timeline can store offsets only. Shared by the WebSocket and SSE engines.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttemptClock {
    started: Instant,
    started_wall: SystemTime,
}

impl AttemptClock {
    /// A clock starting now.
    pub(crate) fn start() -> Self {
        Self {
            started: Instant::now(),
            started_wall: SystemTime::now(),
        }
    }

    /// When the attempt started.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The offset since the start and the wall time now.
    pub(crate) fn now(&self) -> (Duration, SystemTime) {
        let offset = self.started.elapsed();
        (offset, self.started_wall + offset)
    }
}

/// Delivers events in order with gap-free sequence numbers, from the reader and writer
/// alike, into the attempt's [`Outbox`]. The consumer is told once per [`Emitter::wake`],
/// so a flood costs one signal and one wake-up per batch rather than per message.
pub(crate) struct Emitter {
    outbox: Outbox,
    clock: AttemptClock,
    wake: WakeFn,
}

impl Emitter {
    pub(crate) fn new(outbox: Outbox, wake: WakeFn) -> Self {
        Self {
            outbox,
            clock: AttemptClock::start(),
            wake,
        }
    }

    /// Numbers and times one event; the consumer is told at the next [`Emitter::wake`].
    pub(crate) fn emit(&self, kind: EventKind) {
        let (offset, wall_time) = self.clock.now();
        let mut pending = self.outbox.lock();
        let event = Event {
            seq: pending.next_seq,
            wall_time,
            offset,
            kind,
        };
        pending.next_seq += 1;
        pending.events.push_back(event);
        pending.unannounced = true;
    }

    /// Tells the consumer about the events emitted since the last call, and calls the
    /// wake-up callback. A consumer that has gone away is not an error: the connection
    /// still closes properly.
    pub(crate) fn wake(&self) {
        if self.outbox.announce() {
            (self.wake)();
        }
    }

    /// When the attempt started.
    pub(crate) fn started(&self) -> Instant {
        self.clock.started()
    }
}
