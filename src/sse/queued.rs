//! The bound on an event stream's queue to its consumer, in bytes (what the events hold,
//! strings included). While it is full the task stops reading the body: TCP holds the
//! server back, and no event is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// The bytes of events that may wait for the consumer before the body is no longer read.
pub(crate) const QUEUE_BYTES: usize = 8 << 20;

/// The bytes waiting, shared by the task (adds) and the handle (takes).
#[derive(Clone, Debug, Default)]
pub(crate) struct Queued {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    bytes: AtomicUsize,
    taken: Notify,
}

impl Queued {
    /// `bytes` more wait.
    pub(crate) fn add(&self, bytes: usize) {
        self.shared.bytes.fetch_add(bytes, Ordering::AcqRel);
    }

    /// The consumer took an event of `bytes`.
    pub(crate) fn take(&self, bytes: usize) {
        let _ = self
            .shared
            .bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_sub(bytes))
            });
        self.shared.taken.notify_one();
    }

    /// True while the limit or more waits.
    pub(crate) fn is_full(&self) -> bool {
        self.shared.bytes.load(Ordering::Acquire) >= QUEUE_BYTES
    }

    /// Resolves once the consumer has taken an event (at once if it did since the last
    /// time this resolved).
    pub(crate) async fn taken(&self) {
        self.shared.taken.notified().await;
    }
}
