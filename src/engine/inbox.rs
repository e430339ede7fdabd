//! Where an attempt's events wait for its consumer: two queues that trade places (the
//! engine fills one while the consumer empties the other), so a steady flood allocates
//! nothing per batch, and a signal channel that wakes an async consumer and closes when the
//! engine is done with the attempt.
//!
//! The queue is bounded in bytes (what its events hold, strings and payloads alike): once
//! [`QUEUE_BYTES`] wait, the reader stops reading the socket until the consumer takes them
//! (TCP flow control holds the server back), so a slow consumer never grows memory and never
//! loses an event. The consumer holds at most one queue's worth more, the batch it took.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, mpsc};

use super::event::Event;

/// The bytes of events that may wait for the consumer before the reader stops reading.
pub(crate) const QUEUE_BYTES: usize = 8 << 20;

/// The events emitted and not taken yet, with the numbering state that must change with
/// them under one lock (so events arrive in sequence order).
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// The sequence number of the next event.
    pub(crate) next_seq: u64,
    /// Emitted, not taken.
    pub(crate) events: VecDeque<Event>,
    /// Events were added since the consumer was last told.
    pub(crate) unannounced: bool,
    /// A signal is on its way to the consumer and it has not taken events since.
    signalled: bool,
    /// What the waiting events hold, in bytes ([`Event::queued_bytes`]).
    pub(crate) bytes: usize,
}

/// The engine's side: adds events and tells the consumer.
#[derive(Debug)]
pub(crate) struct Outbox {
    pending: Arc<Mutex<Pending>>,
    signal: mpsc::UnboundedSender<()>,
    /// Told when the consumer takes events.
    room: Arc<Notify>,
    /// [`QUEUE_BYTES`], or less in tests.
    limit: usize,
}

/// The consumer's side: takes events in order.
#[derive(Debug)]
pub(crate) struct Inbox {
    pending: Arc<Mutex<Pending>>,
    signal: mpsc::UnboundedReceiver<()>,
    room: Arc<Notify>,
    /// Taken from the engine, not handed out yet.
    ready: VecDeque<Event>,
}

/// A connected outbox and inbox, bounded at [`QUEUE_BYTES`].
pub(crate) fn inbox() -> (Outbox, Inbox) {
    inbox_of(QUEUE_BYTES)
}

/// A connected outbox and inbox, full once `limit` bytes wait.
pub(crate) fn inbox_of(limit: usize) -> (Outbox, Inbox) {
    let pending = Arc::new(Mutex::new(Pending::default()));
    let (sender, receiver) = mpsc::unbounded_channel();
    let room = Arc::new(Notify::new());
    (
        Outbox {
            pending: Arc::clone(&pending),
            signal: sender,
            room: Arc::clone(&room),
            limit,
        },
        Inbox {
            pending,
            signal: receiver,
            room,
            ready: VecDeque::new(),
        },
    )
}

fn lock(pending: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    // A panic elsewhere while holding the lock leaves whole events behind: keep going.
    pending
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Outbox {
    /// The pending events, to add to (under the lock).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Pending> {
        lock(&self.pending)
    }

    /// Tells the consumer about the events added since it was last told. Returns false
    /// when there was nothing new, or nobody to tell (the events are then dropped).
    pub(crate) fn announce(&self) -> bool {
        let mut pending = self.lock();
        if !std::mem::take(&mut pending.unannounced) {
            return false;
        }
        if self.signal.is_closed() {
            // The consumer has gone away: nobody will take these (the attempt is closing).
            pending.events.clear();
            pending.bytes = 0;
            return false;
        }
        if !std::mem::replace(&mut pending.signalled, true) {
            let _consumer_gone = self.signal.send(()).is_err();
        }
        true
    }

    /// True while the waiting events hold the limit or more: time to stop reading.
    pub(crate) fn is_full(&self) -> bool {
        self.lock().bytes >= self.limit
    }

    /// Resolves once the consumer has taken events since the last time it resolved (at once
    /// if it did in between).
    pub(crate) async fn room(&self) {
        self.room.notified().await;
    }
}

impl Inbox {
    /// The next event if one is waiting; never blocks.
    pub(crate) fn try_recv(&mut self) -> Option<Event> {
        if self.ready.is_empty() {
            let mut pending = lock(&self.pending);
            // The queues trade places: both keep their capacity for the next batches.
            std::mem::swap(&mut self.ready, &mut pending.events);
            pending.signalled = false;
            if std::mem::take(&mut pending.bytes) > 0 {
                self.room.notify_one();
            }
        }
        self.ready.pop_front()
    }

    /// Waits for the next event; `None` once the engine is done with the attempt and every
    /// event was taken.
    pub(crate) async fn recv(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.try_recv() {
                return Some(event);
            }
            if self.signal.recv().await.is_none() {
                return self.try_recv();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::engine::EventKind;

    fn post(outbox: &Outbox, count: u64) {
        let mut pending = outbox.lock();
        for _ in 0..count {
            let seq = pending.next_seq;
            pending.events.push_back(Event {
                wire: None,
                seq,
                wall_time: SystemTime::UNIX_EPOCH,
                offset: Duration::ZERO,
                kind: EventKind::Connecting { url: String::new() },
            });
            pending.next_seq += 1;
            pending.bytes += 100;
            pending.unannounced = true;
        }
    }

    #[tokio::test]
    async fn events_arrive_in_order_across_swaps_and_end_with_the_outbox() {
        let (outbox, mut inbox) = inbox();
        assert!(inbox.try_recv().is_none());
        assert!(!outbox.announce(), "nothing to announce");
        post(&outbox, 3);
        assert!(outbox.announce());
        assert_eq!(inbox.recv().await.map(|e| e.seq), Some(0));
        post(&outbox, 2);
        assert!(outbox.announce());
        let mut seen = Vec::new();
        while let Some(event) = inbox.try_recv() {
            seen.push(event.seq);
        }
        assert_eq!(seen, vec![1, 2, 3, 4]);
        post(&outbox, 1);
        outbox.announce();
        drop(outbox);
        assert_eq!(inbox.recv().await.map(|e| e.seq), Some(5));
        assert!(inbox.recv().await.is_none(), "the engine is done");
    }

    #[tokio::test]
    async fn the_queue_is_full_at_its_limit_and_has_room_once_taken() {
        let (outbox, mut inbox) = inbox_of(250);
        post(&outbox, 2);
        assert!(!outbox.is_full());
        post(&outbox, 1);
        assert!(outbox.is_full(), "300 bytes wait");
        outbox.announce();
        assert_eq!(inbox.recv().await.map(|e| e.seq), Some(0));
        assert!(!outbox.is_full(), "the consumer took them");
        outbox.room().await;
    }

    #[test]
    fn events_nobody_will_take_are_dropped() {
        let (outbox, inbox) = inbox();
        drop(inbox);
        post(&outbox, 3);
        assert!(!outbox.announce(), "nobody to tell");
        assert!(outbox.lock().events.is_empty());
    }
}
