//! One proxied connection's events: numbered and timed from the client's arrival, tagged
//! with the connection and the leg, and sent to whoever prints or records them. The
//! events waiting to be taken are bounded in number and in payload bytes
//! ([`EVENT_QUEUE_BYTES`] for all connections together), so a slow reader of events holds
//! the relays back rather than letting events pile up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::request_head::RequestHead;
use crate::engine::{Event, EventKind};

/// The payload bytes of events sent but not yet taken, for all connections together; one
/// event may go beyond it.
pub const EVENT_QUEUE_BYTES: usize = 32 << 20;

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

/// The event log of one connection.
pub(crate) struct ConnLog {
    conn: u64,
    start: Instant,
    /// The wall-clock time at `start`: an event's wall time is this plus its offset, so
    /// that a timeline stores a connection's events as one run.
    start_wall: SystemTime,
    seq: AtomicU64,
    request: Arc<RequestHead>,
    events: mpsc::Sender<ProxyEvent>,
    room: Arc<Semaphore>,
}

impl ConnLog {
    /// The log of connection `conn`, which arrived just now.
    pub(crate) fn new(conn: u64, events: mpsc::Sender<ProxyEvent>, room: Arc<Semaphore>) -> Self {
        Self {
            room,
            conn,
            start: Instant::now(),
            start_wall: SystemTime::now(),
            seq: AtomicU64::new(0),
            request: Arc::new(RequestHead::default()),
            events,
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

    /// Sends one event, waiting for room; an event nobody listens to any more is dropped.
    pub(crate) async fn emit(&self, leg: Leg, kind: EventKind) {
        let bytes = kind.heap_bytes().clamp(1, EVENT_QUEUE_BYTES);
        let room = u32::try_from(bytes).unwrap_or(u32::MAX);
        // The semaphore is never closed, so this only fails if it were.
        let room = Arc::clone(&self.room).acquire_many_owned(room).await.ok();
        let offset = self.start.elapsed();
        let event = Event {
            wire: None,
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            wall_time: self.start_wall + offset,
            offset,
            kind,
        };
        let _ = self
            .events
            .send(ProxyEvent {
                conn: self.conn,
                leg,
                event,
                request: Arc::clone(&self.request),
                _room: room,
            })
            .await;
    }
}
