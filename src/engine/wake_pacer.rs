//! Paces the reader's wake-ups of the consumer: a lone message is announced at once, but
//! while a flood lasts the consumer is woken at most once per [`WAKE_INTERVAL`]. A window
//! repaints at most every few milliseconds, so waking it for every read batch (ten thousand
//! times a second in a flood of small messages) bought nothing and cost a context switch
//! each. Events keep the time they were read at; only their delivery is gathered.

use std::time::Duration;

use tokio::time::Instant;

use super::emitter::Emitter;

/// The shortest time between two wake-ups from the reader.
pub(crate) const WAKE_INTERVAL: Duration = Duration::from_millis(1);

/// When the consumer was last woken and when the events since then are due.
#[derive(Debug, Default)]
pub(crate) struct WakePacer {
    last_woken: Option<Instant>,
    due: Option<Instant>,
}

impl WakePacer {
    /// When events emitted since the last wake-up must be announced, if any wait.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Called after each step of the connection's loop: wakes the consumer now if it was
    /// last woken at least [`WAKE_INTERVAL`] ago, otherwise makes sure it is woken then.
    pub(crate) fn after_step(&mut self, emitter: &Emitter) {
        self.after_step_at(Instant::now(), emitter);
    }

    fn after_step_at(&mut self, now: Instant, emitter: &Emitter) {
        match self.last_woken {
            Some(last) if now < last + WAKE_INTERVAL => {
                if self.due.is_none() && emitter.has_unannounced() {
                    self.due = Some(last + WAKE_INTERVAL);
                }
            }
            _ => {
                self.due = None;
                if emitter.wake() {
                    self.last_woken = Some(now);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::engine::event::EventKind;
    use crate::engine::inbox::inbox;

    #[test]
    fn a_lone_event_wakes_at_once_and_a_flood_once_per_interval() {
        let (outbox, mut inbox) = inbox();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let emitter = Emitter::new(
            outbox,
            Arc::new(move || {
                counter.fetch_add(1, Ordering::Relaxed);
            }),
        );
        let woken = || wakes.load(Ordering::Relaxed);
        let mut pacer = WakePacer::default();
        let start = Instant::now();
        let ping = || EventKind::Pong {
            dir: crate::engine::Direction::In,
            payload: Default::default(),
            auto: false,
        };

        // Nothing emitted: nobody is woken, nothing is due.
        pacer.after_step_at(start, &emitter);
        assert_eq!((woken(), pacer.due()), (0, None));

        emitter.emit(ping());
        pacer.after_step_at(start, &emitter);
        assert_eq!(
            (woken(), pacer.due()),
            (1, None),
            "a lone event is told at once"
        );
        assert!(inbox.try_recv().is_some());

        let soon = start + WAKE_INTERVAL / 4;
        emitter.emit(ping());
        pacer.after_step_at(soon, &emitter);
        emitter.emit(ping());
        pacer.after_step_at(soon + WAKE_INTERVAL / 4, &emitter);
        assert_eq!(
            woken(),
            1,
            "within the interval the consumer is not woken again"
        );
        assert_eq!(pacer.due(), Some(start + WAKE_INTERVAL));

        pacer.after_step_at(start + WAKE_INTERVAL, &emitter);
        assert_eq!(
            (woken(), pacer.due()),
            (2, None),
            "but it is when the interval is over"
        );
        assert_eq!(std::iter::from_fn(|| inbox.try_recv()).count(), 2);
    }
}
