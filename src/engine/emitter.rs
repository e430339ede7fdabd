//! Numbers and timestamps events, puts them where the consumer takes them, then wakes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::event::{Event, EventKind, ReadyState, WireForm};
use super::inbox::Outbox;

/// A wake-up callback the engine calls after it has delivered events, e.g. one that asks a
/// window to repaint. It must be cheap and must not block.
pub type WakeFn = Arc<dyn Fn() + Send + Sync>;

/// The state a connection's task shares with its handle: its readyState, set by the task
/// and read by the handle. The WebSocket and SSE engines both keep theirs in one.
#[derive(Debug)]
pub(crate) struct SharedState {
    ready_state: AtomicU8,
}

impl SharedState {
    /// CONNECTING.
    pub(crate) fn new() -> Self {
        Self {
            ready_state: AtomicU8::new(ReadyState::Connecting as u8),
        }
    }

    /// The readyState the task last set.
    pub(crate) fn ready_state(&self) -> ReadyState {
        match self.ready_state.load(Ordering::Acquire) {
            0 => ReadyState::Connecting,
            1 => ReadyState::Open,
            2 => ReadyState::Closing,
            _ => ReadyState::Closed,
        }
    }

    /// Sets the readyState the handle reads.
    pub(crate) fn set_ready_state(&self, state: ReadyState) {
        self.ready_state.store(state as u8, Ordering::Release);
    }
}

/// Times an attempt's events: one monotonic clock read per emitted batch, and a wall time derived
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
        self.emit_all(std::iter::once(kind));
    }

    /// Numbers and times events that were handled together (frames read in one batch):
    /// one lock and one clock read for all of them, which then share the time they were
    /// handed over. The clock is read under the lock, so times never go backwards along the
    /// sequence, whichever of the reader and the writer emits first.
    pub(crate) fn emit_all(&self, kinds: impl IntoIterator<Item = EventKind>) {
        self.emit_all_wired(kinds.into_iter().map(|kind| (kind, None)));
    }

    /// Like [`Emitter::emit_all`], each event with the wire form of its message
    /// (permessage-deflate), if it had one.
    pub(crate) fn emit_all_wired(
        &self,
        kinds: impl IntoIterator<Item = (EventKind, Option<Box<WireForm>>)>,
    ) {
        let mut pending = self.outbox.lock();
        let (offset, wall_time) = self.clock.now();
        let before = pending.events.len();
        let first = pending.next_seq;
        let mut bytes = 0;
        pending
            .events
            .extend(kinds.into_iter().zip(first..).map(|((kind, wire), seq)| {
                let event = Event {
                    wire,
                    seq,
                    wall_time,
                    offset,
                    kind,
                };
                bytes += event.queued_bytes();
                event
            }));
        let added = pending.events.len() - before;
        pending.next_seq = first + added as u64;
        pending.bytes += bytes;
        pending.unannounced |= added > 0;
    }

    /// True while the consumer's queue is full: the reader waits for [`Emitter::room`].
    pub(crate) fn is_full(&self) -> bool {
        self.outbox.is_full()
    }

    /// Resolves once the consumer has taken events.
    pub(crate) async fn room(&self) {
        self.outbox.room().await;
    }

    /// Tells the consumer about the events emitted since the last call, and calls the
    /// wake-up callback; true if there was anything to tell. A consumer that has gone away
    /// is not an error: the connection still closes properly.
    pub(crate) fn wake(&self) -> bool {
        let told = self.outbox.announce();
        if told {
            (self.wake)();
        }
        told
    }

    /// Whether events were emitted since the consumer was last told.
    pub(crate) fn has_unannounced(&self) -> bool {
        self.outbox.lock().unannounced
    }

    /// When the attempt started.
    pub(crate) fn started(&self) -> Instant {
        self.clock.started()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{Direction, Payload};
    use crate::engine::inbox::inbox;

    fn text(body: &str) -> EventKind {
        EventKind::Message {
            dir: Direction::In,
            payload: Payload::Text(body.into()),
        }
    }

    #[test]
    fn a_batch_is_numbered_without_gaps_and_shares_one_time() {
        let (outbox, mut inbox) = inbox();
        let emitter = Emitter::new(outbox, Arc::new(|| {}));
        emitter.emit(text("alone"));
        emitter.emit_all(["a", "b", "c"].map(text));
        emitter.emit_all(Vec::new());
        emitter.emit(text("after"));
        emitter.wake();
        let events: Vec<Event> = std::iter::from_fn(|| inbox.try_recv()).collect();
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4]);
        assert!(events[1].offset == events[2].offset && events[2].offset == events[3].offset);
        assert!(events.windows(2).all(|w| w[0].offset <= w[1].offset));
        assert!(
            events
                .iter()
                .all(|e| e.wall_time == emitter.clock.started_wall + e.offset)
        );
    }
}
