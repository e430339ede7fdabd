//! Numbers, timestamps and delivers events to the consumer, then wakes it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc::UnboundedSender;

use super::event::{Event, EventKind, ReadyState};

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
/// alike. Events are gathered and handed over in batches, one per [`Emitter::wake`], so a
/// flood costs one channel send and one wake-up per batch rather than per message.
pub(crate) struct Emitter {
    pending: Mutex<Pending>,
    events: UnboundedSender<Vec<Event>>,
    clock: AttemptClock,
    wake: WakeFn,
}

/// Events numbered but not yet handed over.
struct Pending {
    next_seq: u64,
    batch: Vec<Event>,
}

impl Emitter {
    pub(crate) fn new(events: UnboundedSender<Vec<Event>>, wake: WakeFn) -> Self {
        Self {
            pending: Mutex::new(Pending {
                next_seq: 0,
                batch: Vec::new(),
            }),
            events,
            clock: AttemptClock::start(),
            wake,
        }
    }

    /// Numbers and times one event; it is handed over at the next [`Emitter::wake`].
    pub(crate) fn emit(&self, kind: EventKind) {
        let (offset, wall_time) = self.clock.now();
        let mut pending = self.lock();
        let event = Event {
            seq: pending.next_seq,
            wall_time,
            offset,
            kind,
        };
        pending.next_seq += 1;
        pending.batch.push(event);
    }

    /// Hands the waiting events over and tells the consumer. A consumer that has gone away
    /// is not an error: the connection still closes properly.
    pub(crate) fn wake(&self) {
        {
            let mut pending = self.lock();
            if pending.batch.is_empty() {
                return;
            }
            // The next batch starts as large as this one, not growing from empty again.
            let capacity = pending.batch.len();
            let batch = std::mem::replace(&mut pending.batch, Vec::with_capacity(capacity));
            // Sent under the lock, so batches arrive in sequence order.
            let _consumer_gone = self.events.send(batch).is_err();
        }
        (self.wake)();
    }

    /// When the attempt started.
    pub(crate) fn started(&self) -> Instant {
        self.clock.started()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
