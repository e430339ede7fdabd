//! One proxied connection's events: numbered and timed from the client's arrival, tagged
//! with the connection and the leg, and sent to whoever prints or records them. The
//! events waiting to be taken are bounded in number and in bytes ([`EVENT_QUEUE_BYTES`]
//! for all connections together), so a slow reader of events holds the relays back rather
//! than letting events pile up.
//!
//! Two ways out ([`EventSink`]): one [`ProxyEvent`] per event (the window), or
//! [`EventBatch`]es (the command line): the events of a burst of messages gathered per
//! connection and handed over together once the relay would wait (or a batch is full), so
//! that a burst costs one clock read, one acquisition of room, one channel operation and at
//! most one wake-up of the reader, instead of one of each per event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::request_head::RequestHead;
use crate::engine::{Event, EventKind};

/// The bytes of events sent but not yet taken (each event counted with its payload), for
/// all connections together; one event may go beyond it.
pub const EVENT_QUEUE_BYTES: usize = 32 << 20;

/// A batch is handed over once it holds this many events, even while more arrive.
const BATCH_EVENTS: usize = 1024;

/// ... or once its events count this many bytes.
const BATCH_BYTES: usize = 1 << 20;

pub use crate::engine::Leg;

/// One event of one leg of one proxied connection. Its payload bytes count against
/// [`EVENT_QUEUE_BYTES`] until it is dropped.
#[derive(Debug)]
pub struct ProxyEvent {
    /// Which client connection: 1, 2, ... in the order they were accepted.
    pub conn: u64,
    /// Which leg.
    pub leg: Leg,
    /// What happened, in the engine's event shape (`dir` as seen by Sockscope on that leg).
    pub event: Event,
    /// The client's handshake request, so that every path out can learn its secrets.
    pub request: Arc<RequestHead>,
    /// The room this event takes in the queue, given back when it is dropped.
    _room: Option<OwnedSemaphorePermit>,
}

/// Consecutive events of one proxied connection, in order. Their bytes count against
/// [`EVENT_QUEUE_BYTES`] until the batch is dropped.
#[derive(Debug)]
pub struct EventBatch {
    /// Which client connection: 1, 2, ... in the order they were accepted.
    pub conn: u64,
    /// The client's handshake request, so that every path out can learn its secrets.
    pub request: Arc<RequestHead>,
    /// The events with their legs, oldest first.
    pub events: Vec<(Leg, Event)>,
    /// The room these events take in the queue, given back when the batch is dropped.
    _room: Option<OwnedSemaphorePermit>,
}

/// Where a connection's events go.
#[derive(Clone, Debug)]
pub enum EventSink {
    /// One [`ProxyEvent`] per event, sent as it happens.
    Each(mpsc::Sender<ProxyEvent>),
    /// [`EventBatch`]es: the events of a burst together.
    Batches(mpsc::Sender<EventBatch>),
}

/// The events of a connection not handed over yet (batches only).
#[derive(Default)]
struct Pending {
    events: Vec<(Leg, Event)>,
    /// Their bytes as the queue counts them.
    bytes: usize,
    /// The time of this burst's events, read once (cleared by [`ConnLog::tick`] and when the
    /// batch is handed over).
    clock: Option<Duration>,
}

/// The event log of one connection.
pub(crate) struct ConnLog {
    conn: u64,
    start: Instant,
    /// The wall-clock time at `start`: an event's wall time is this plus its offset, so
    /// that a timeline stores a connection's events as one run.
    start_wall: SystemTime,
    seq: AtomicU64,
    request: Arc<RequestHead>,
    sink: EventSink,
    room: Arc<Semaphore>,
    /// Events gathered for the next batch, numbered as they were pushed.
    pending: Mutex<Pending>,
    /// Taken while a batch is handed over, so that batches leave in the order of their
    /// events even when both directions hand over at once.
    turn: tokio::sync::Mutex<()>,
}

impl ConnLog {
    /// The log of connection `conn`, which arrived just now.
    pub(crate) fn new(conn: u64, sink: EventSink, room: Arc<Semaphore>) -> Self {
        Self {
            room,
            conn,
            start: Instant::now(),
            start_wall: SystemTime::now(),
            seq: AtomicU64::new(0),
            request: Arc::new(RequestHead::default()),
            sink,
            pending: Mutex::new(Pending::default()),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// The connection's number.
    pub(crate) fn conn(&self) -> u64 {
        self.conn
    }

    /// Time since the client arrived.
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.start.elapsed()
    }

    /// The client's handshake request, once read (before any event).
    pub(crate) fn set_request(&mut self, request: RequestHead) {
        self.request = Arc::new(request);
    }

    /// The event with its number and time.
    fn event(&self, kind: EventKind, offset: Duration) -> Event {
        Event {
            wire: None,
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            wall_time: self.start_wall + offset,
            offset,
            kind,
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends one event (after those gathered before it), waiting for room; an event nobody
    /// listens to any more is dropped.
    pub(crate) async fn emit(&self, leg: Leg, kind: EventKind) {
        match &self.sink {
            EventSink::Each(events) => {
                let bytes = kind.heap_bytes().clamp(1, EVENT_QUEUE_BYTES);
                let room = u32::try_from(bytes).unwrap_or(u32::MAX);
                // The semaphore is never closed, so this only fails if it were.
                let room = Arc::clone(&self.room).acquire_many_owned(room).await.ok();
                let event = self.event(kind, self.start.elapsed());
                let _ = events
                    .send(ProxyEvent {
                        conn: self.conn,
                        leg,
                        event,
                        request: Arc::clone(&self.request),
                        _room: room,
                    })
                    .await;
            }
            EventSink::Batches(_) => {
                self.gather(leg, kind, false);
                self.hand_over().await;
            }
        }
    }

    /// Gives one event of a burst (a message relayed): with batches it waits with the
    /// others of its burst, timed like them, until [`ConnLog::hand_over`] or a full batch;
    /// one at a time it is sent as [`ConnLog::emit`] sends it.
    pub(crate) async fn emit_soon(&self, leg: Leg, kind: EventKind) {
        if matches!(self.sink, EventSink::Each(_)) {
            return self.emit(leg, kind).await;
        }
        if self.gather(leg, kind, true) {
            self.hand_over().await;
        }
    }

    /// Adds an event to the next batch (`burst`: with the burst's time); whether the batch
    /// is full.
    fn gather(&self, leg: Leg, kind: EventKind, burst: bool) -> bool {
        let mut pending = self.pending();
        let offset = match (burst, pending.clock) {
            (true, Some(clock)) => clock,
            (true, None) => *pending.clock.insert(self.start.elapsed()),
            (false, _) => self.start.elapsed(),
        };
        // Numbered under the lock, so that a batch's events are in the order of their `seq`.
        let event = self.event(kind, offset);
        pending.bytes += event.queued_bytes();
        pending.events.push((leg, event));
        pending.events.len() >= BATCH_EVENTS || pending.bytes >= BATCH_BYTES
    }

    /// The next event of a burst reads the clock again (the relay waited since the last).
    pub(crate) fn tick(&self) {
        self.pending().clock = None;
    }

    /// Sends the gathered events as one batch, waiting for room; nothing when none wait.
    pub(crate) async fn hand_over(&self) {
        let EventSink::Batches(batches) = &self.sink else {
            return;
        };
        if self.pending().events.is_empty() {
            // (What another hand-over took is on its way already.)
            return;
        }
        let _turn = self.turn.lock().await;
        let (events, bytes) = {
            let mut pending = self.pending();
            pending.clock = None;
            let bytes = std::mem::take(&mut pending.bytes);
            // The next batch starts with room for as many, so a burst does not grow it
            // step by step.
            let room = pending.events.len().min(BATCH_EVENTS);
            (
                std::mem::replace(&mut pending.events, Vec::with_capacity(room)),
                bytes,
            )
        };
        if events.is_empty() {
            return;
        }
        let room = u32::try_from(bytes.clamp(1, EVENT_QUEUE_BYTES)).unwrap_or(u32::MAX);
        // The semaphore is never closed, so this only fails if it were.
        let room = Arc::clone(&self.room).acquire_many_owned(room).await.ok();
        let _ = batches
            .send(EventBatch {
                conn: self.conn,
                request: Arc::clone(&self.request),
                events,
                _room: room,
            })
            .await;
    }
}
