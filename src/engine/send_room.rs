//! The bound on what waits to be sent: the bytes of messages a handle has queued that the
//! writer has not handed to the socket yet. A server that stops reading fills it; then a
//! send is refused ([`super::SendError::QueueFull`]) and a producer that can wait (the
//! command line's `--stdin`) waits for [`SendRoom::wait`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// The bytes of messages that may wait to be sent; one message may go beyond it.
pub const SEND_QUEUE_BYTES: usize = 16 << 20;

#[derive(Debug)]
struct Shared {
    queued: AtomicUsize,
    limit: usize,
    waiting: AtomicBool,
    room: Notify,
}

/// A connection's outgoing queue, as its senders see it: how full it is, and a way to wait
/// for room. Clones share the same queue.
#[derive(Clone, Debug)]
pub struct SendRoom {
    shared: Arc<Shared>,
}

impl Default for SendRoom {
    fn default() -> Self {
        Self::with_limit(SEND_QUEUE_BYTES)
    }
}

impl SendRoom {
    /// A queue that is full once `limit` bytes wait.
    pub(crate) fn with_limit(limit: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                queued: AtomicUsize::new(0),
                limit,
                waiting: AtomicBool::new(false),
                room: Notify::new(),
            }),
        }
    }

    /// The bytes waiting to be sent.
    pub fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }

    /// The bytes that may wait before sends are refused.
    pub fn limit(&self) -> usize {
        self.shared.limit
    }

    /// True while another message may be queued.
    pub fn available(&self) -> bool {
        self.queued() < self.shared.limit
    }

    /// Waits until another message may be queued.
    pub async fn wait(&self) {
        loop {
            let notified = self.shared.room.notified();
            self.shared.waiting.store(true, Ordering::Release);
            if self.available() {
                return;
            }
            notified.await;
        }
    }

    /// Counts `len` more bytes waiting.
    pub(crate) fn reserve(&self, len: usize) {
        self.shared.queued.fetch_add(len, Ordering::AcqRel);
    }

    /// Counts `len` bytes as gone (sent or dropped), and tells whoever waits.
    pub(crate) fn release(&self, len: usize) {
        if len == 0 {
            return;
        }
        // Never below zero, whatever the order of reserve and release.
        let _ = self
            .shared
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                Some(queued.saturating_sub(len))
            });
        if self.shared.waiting.swap(false, Ordering::AcqRel) {
            self.shared.room.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_has_room_again_once_bytes_are_released() {
        let room = SendRoom::with_limit(100);
        assert!(room.available());
        room.reserve(150);
        assert!(
            !room.available(),
            "one message may go beyond the limit, then it is full"
        );
        let waiter = {
            let room = room.clone();
            tokio::spawn(async move { room.wait().await })
        };
        tokio::task::yield_now().await;
        room.release(60);
        waiter.await.expect("woken");
        assert_eq!(room.queued(), 90);
        room.release(1000);
        assert_eq!(room.queued(), 0);
    }
}
