//! The consumer's side of an event stream: its events, its readyState, its counters, and
//! the way to close it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;

use super::config::SseConfig;
use super::queued::Queued;
use super::task::{self, Stream};
use crate::engine::{ConfigError, ReadyState, SharedState, WakeFn};
use crate::model::timeline::TimelineEntry;

/// Why a stream ended for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SseEnd {
    /// The server answered 204 No Content: it asked the client not to reconnect.
    NoContent,
    /// `max_events` events arrived; the client closed the stream.
    MaxEvents,
    /// [`SseHandle::close`] was called (or the handle was dropped).
    Closed,
    /// The stream was failed: a status other than 200, a Content-Type other than
    /// `text/event-stream`, or an event larger than the limit. EventSource does not
    /// reconnect after these.
    Failed,
    /// `max_reconnects` reconnects were made and the last attempt ended too.
    GaveUp,
}

impl SseEnd {
    /// `no-content`, `max-events`, `closed`, `failed` or `gave-up`.
    pub fn as_str(self) -> &'static str {
        match self {
            SseEnd::NoContent => "no-content",
            SseEnd::MaxEvents => "max-events",
            SseEnd::Closed => "closed",
            SseEnd::Failed => "failed",
            SseEnd::GaveUp => "gave-up",
        }
    }

    /// True for an end the client or the server chose (204, max events, close); false when
    /// the stream could not go on.
    pub fn is_normal(self) -> bool {
        matches!(self, SseEnd::NoContent | SseEnd::MaxEvents | SseEnd::Closed)
    }
}

/// A stream's counters, read at any time with [`SseHandle::stats`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseStats {
    /// Attempts started so far (the first is 1).
    pub attempts: u32,
    /// Events received, over all attempts.
    pub events: u64,
    /// Comment lines (keep-alives) received, over all attempts, shown or not.
    pub comments: u64,
    /// The current reconnection time (the server's latest `retry`, or the configured one).
    pub reconnection_time: Duration,
    /// The last event id, sent as `Last-Event-ID` on the next reconnect (empty: none).
    pub last_event_id: String,
    /// Why the stream ended, once it has for good.
    pub end: Option<SseEnd>,
}

/// What the task and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: SharedState,
    stats: Mutex<SseStats>,
}

impl Shared {
    pub(crate) fn new(stats: SseStats) -> Self {
        Self {
            state: SharedState::new(),
            stats: Mutex::new(stats),
        }
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        self.state.ready_state()
    }

    pub(crate) fn set_ready_state(&self, state: ReadyState) {
        self.state.set_ready_state(state);
    }

    pub(crate) fn stats(&self) -> MutexGuard<'_, SseStats> {
        self.stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the handle asks of the task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Close the stream and stop reconnecting, as `EventSource.close()`.
    Close,
}

/// An event stream, reconnecting as EventSource does. Its task owns the HTTP connection;
/// this handle owns the events (each with its attempt number, ready for a
/// [`crate::model::timeline::Timeline`]), the readyState and the counters. Dropping the
/// handle closes the stream.
///
/// Each attempt reports `connecting`, then `open` (200 with `text/event-stream`) or an
/// `error`, then `sse` events, and always ends with one `close` event; a reconnect starts a
/// new attempt with `seq` and `offset` from 0 again.
pub struct SseHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<TimelineEntry>,
    /// What the waiting events hold; the task stops reading while it is full.
    queued: Queued,
    shared: Arc<Shared>,
}

impl SseHandle {
    /// Validates `config` and opens the stream on `runtime`. `wake` is called after events
    /// have been delivered (and when the readyState changes between attempts). A bad
    /// configuration is refused before any traffic.
    pub fn connect(
        config: &SseConfig,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) -> Result<Self, ConfigError> {
        let prepared = config.prepare()?;
        let (command_sender, commands) = mpsc::unbounded_channel();
        let (event_sender, events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(SseStats {
            attempts: 0,
            events: 0,
            comments: 0,
            reconnection_time: config.reconnect_time,
            last_event_id: config.last_event_id.clone().unwrap_or_default(),
            end: None,
        }));
        let queued = Queued::default();
        runtime.spawn(task::run(Stream {
            prepared,
            config: config.clone(),
            commands,
            events: event_sender,
            queued: queued.clone(),
            wake,
            shared: Arc::clone(&shared),
        }));
        Ok(Self {
            commands: command_sender,
            events,
            queued,
            shared,
        })
    }

    /// The readyState, as `EventSource.readyState`: CONNECTING (also while waiting to
    /// reconnect), OPEN, or CLOSED once the stream ended for good.
    pub fn ready_state(&self) -> ReadyState {
        self.shared.ready_state()
    }

    /// The counters: attempts, events, comments, reconnection time, last event id, end.
    pub fn stats(&self) -> SseStats {
        self.shared.stats().clone()
    }

    /// Closes the stream and stops reconnecting, as `EventSource.close()`. The current
    /// attempt (if any) ends with its close event; nothing follows.
    pub fn close(&self) {
        let _already_over = self.commands.send(Command::Close);
    }

    /// The next event, with its attempt number, if one is waiting; never blocks.
    pub fn try_recv(&mut self) -> Option<TimelineEntry> {
        let entry = self.events.try_recv().ok()?;
        self.queued.take(entry.event.queued_bytes());
        Some(entry)
    }

    /// Waits for the next event; `None` once the stream ended for good and every event was
    /// read.
    pub async fn recv(&mut self) -> Option<TimelineEntry> {
        let entry = self.events.recv().await?;
        self.queued.take(entry.event.queued_bytes());
        Some(entry)
    }
}
