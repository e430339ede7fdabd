//! One proxied connection's events: numbered and timed from the client's arrival, tagged
//! with the connection and the leg, and sent to whoever prints or records them. The
//! channel is bounded, so a slow reader of events holds the relay back rather than
//! letting events pile up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc;

use super::request_head::RequestHead;
use crate::engine::{Event, EventKind};

/// Which side of the proxy an event happened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leg {
    /// Between the client and Sockscope (Sockscope is the server).
    Client,
    /// Between Sockscope and the upstream server (Sockscope is the client).
    Upstream,
}

impl Leg {
    /// `"client"` or `"upstream"`, as the JSON lines say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Leg::Client => "client",
            Leg::Upstream => "upstream",
        }
    }

    /// The other leg.
    pub fn other(self) -> Leg {
        match self {
            Leg::Client => Leg::Upstream,
            Leg::Upstream => Leg::Client,
        }
    }

    pub(super) fn index(self) -> usize {
        match self {
            Leg::Client => 0,
            Leg::Upstream => 1,
        }
    }
}

/// One event of one leg of one proxied connection.
#[derive(Clone, Debug)]
pub struct ProxyEvent {
    /// Which client connection: 1, 2, ... in the order they were accepted.
    pub conn: u64,
    /// Which leg.
    pub leg: Leg,
    /// What happened, in the engine's event shape (`dir` as seen by Sockscope on that leg).
    pub event: Event,
    /// The client's handshake request, so that every path out can learn its secrets.
    pub request: Arc<RequestHead>,
}

/// The event log of one connection.
pub(super) struct ConnLog {
    conn: u64,
    start: Instant,
    seq: AtomicU64,
    request: Arc<RequestHead>,
    events: mpsc::Sender<ProxyEvent>,
}

impl ConnLog {
    pub(super) fn new(conn: u64, request: RequestHead, events: mpsc::Sender<ProxyEvent>) -> Self {
        Self {
            conn,
            start: Instant::now(),
            seq: AtomicU64::new(0),
            request: Arc::new(request),
            events,
        }
    }

    /// Sends one event, waiting for room; an event nobody listens to any more is dropped.
    pub(super) async fn emit(&self, leg: Leg, kind: EventKind) {
        let event = Event {
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            wall_time: SystemTime::now(),
            offset: self.start.elapsed(),
            kind,
        };
        let _ = self
            .events
            .send(ProxyEvent {
                conn: self.conn,
                leg,
                event,
                request: Arc::clone(&self.request),
            })
            .await;
    }
}
