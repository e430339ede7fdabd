//! The time limit of one call into a script, kept by QuickJS's interrupt handler.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// How long the current call into the script has run, for the interrupt handler. A call
/// reads no clock: QuickJS calls the handler every few thousand operations, and its first
/// call within a call starts the clock (a call that ends before it costs none). A batch of
/// messages is one call into QuickJS but a call per message for the limit: the batch's
/// dispatcher [restarts](Self::restart) the clock before each message.
pub(super) struct CallClock {
    in_call: Cell<bool>,
    started: Cell<Option<Instant>>,
    limit: Duration,
}

impl CallClock {
    /// A clock for calls of at most `limit`.
    pub(super) fn new(limit: Duration) -> Self {
        Self {
            in_call: Cell::new(false),
            started: Cell::new(None),
            limit,
        }
    }

    /// A call starts.
    pub(super) fn begin(&self) {
        self.started.set(None);
        self.in_call.set(true);
    }

    /// The next message of a batch starts: its limit is counted from now on.
    pub(super) fn restart(&self) {
        self.started.set(None);
    }

    /// The call ended.
    pub(super) fn end(&self) {
        self.in_call.set(false);
    }

    /// True when the current call has run past the limit.
    pub(super) fn over(&self) -> bool {
        if !self.in_call.get() {
            return false;
        }
        let now = Instant::now();
        match self.started.get() {
            None => {
                self.started.set(Some(now));
                false
            }
            Some(at) => now.duration_since(at) >= self.limit,
        }
    }
}
