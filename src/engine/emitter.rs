//! Numbers, timestamps and delivers events to the consumer, then wakes it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Instant, SystemTime};

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

/// Delivers events in order with gap-free sequence numbers, from the reader and writer alike.
pub(crate) struct Emitter {
    next_seq: Mutex<u64>,
    events: UnboundedSender<Event>,
    started: Instant,
    wake: WakeFn,
}

impl Emitter {
    pub(crate) fn new(events: UnboundedSender<Event>, wake: WakeFn) -> Self {
        Self {
            next_seq: Mutex::new(0),
            events,
            started: Instant::now(),
            wake,
        }
    }

    /// Delivers one event. A consumer that has gone away is not an error: the connection
    /// still closes properly.
    pub(crate) fn emit(&self, kind: EventKind) {
        let mut seq = self
            .next_seq
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let event = Event {
            seq: *seq,
            wall_time: SystemTime::now(),
            offset: self.started.elapsed(),
            kind,
        };
        *seq += 1;
        let _consumer_gone = self.events.send(event).is_err();
    }

    /// Tells the consumer that events are waiting.
    pub(crate) fn wake(&self) {
        (self.wake)();
    }

    /// When the attempt started.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }
}
