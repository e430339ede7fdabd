//! What feeds a tab's timeline while it runs: a WebSocket connection, an SSE stream or a
//! replay. One enum with one way to take what arrived ([`LiveSource::try_next`]), so the
//! tab has one drain loop whatever the source; a new kind of source is one variant here.

use super::proxy_run::ProxyRun;
use crate::engine::{ConnectionHandle, Event, EventKind, ReadyState};
use crate::replay::{ReplayHandle, ReplayReport, ReplayUpdate};
use crate::sse::{SseHandle, SseStats};

/// The live side of a tab.
#[derive(Default)]
pub enum LiveSource {
    /// Nothing runs.
    #[default]
    Idle,
    /// A WebSocket connection, until its close event has been taken.
    WebSocket(ConnectionHandle),
    /// An SSE stream, kept after it ends (its counters stay readable) until the next
    /// connect.
    Sse {
        /// The stream.
        handle: SseHandle,
        /// The tab's attempt count when the stream started: the stream's attempts are
        /// numbered after it.
        base: u32,
    },
    /// A replay of a recording, until its report (or failure) has been taken.
    Replay(ReplayHandle),
    /// A proxy tab's proxy, kept after it stops (its last close events still come) until
    /// the next start.
    Proxy(ProxyRun),
}

/// One thing a source delivered.
#[derive(Debug)]
pub enum Arrival {
    /// An event of attempt `attempt`, for the timeline.
    Event {
        /// The attempt it belongs to, from 1.
        attempt: u32,
        /// The event.
        event: Event,
    },
    /// The replay is over: its report, with the comparison.
    ReplayFinished(Box<ReplayReport>),
    /// The replay could not run: why.
    ReplayFailed(String),
    /// The proxy bound its address (or could not: why).
    ProxyStarted(Result<std::net::SocketAddr, String>),
    /// An event of one leg of one of the proxy's connections.
    Proxy(Box<crate::proxy::ProxyEvent>),
}

impl LiveSource {
    /// The readyState the tab shows: the connection's or the stream's; CLOSED when idle or
    /// replaying (a replay's connection is its own).
    pub fn ready_state(&self) -> ReadyState {
        match self {
            LiveSource::WebSocket(handle) => handle.ready_state(),
            LiveSource::Sse { handle, .. } => handle.ready_state(),
            LiveSource::Proxy(run) => run.ready_state(),
            LiveSource::Idle | LiveSource::Replay(_) => ReadyState::Closed,
        }
    }

    /// The live WebSocket connection, if that is what runs.
    pub fn connection(&self) -> Option<&ConnectionHandle> {
        match self {
            LiveSource::WebSocket(handle) => Some(handle),
            _ => None,
        }
    }

    /// The counters of the SSE stream, if the source is (or was) one.
    pub fn sse_stats(&self) -> Option<SseStats> {
        match self {
            LiveSource::Sse { handle, .. } => Some(handle.stats()),
            _ => None,
        }
    }

    /// The proxy, if that is what runs (or ran).
    pub fn proxy(&self) -> Option<&ProxyRun> {
        match self {
            LiveSource::Proxy(run) => Some(run),
            _ => None,
        }
    }

    /// The proxy, to stop it.
    pub fn proxy_mut(&mut self) -> Option<&mut ProxyRun> {
        match self {
            LiveSource::Proxy(run) => Some(run),
            _ => None,
        }
    }

    /// True while a replay runs.
    pub fn is_replaying(&self) -> bool {
        matches!(self, LiveSource::Replay(_))
    }

    /// The next thing that arrived, if any; `attempt` is the tab's current attempt (what a
    /// WebSocket event belongs to). A source that has delivered its last event (a
    /// connection's close, a replay's report) becomes [`LiveSource::Idle`].
    pub fn try_next(&mut self, attempt: u32) -> Option<Arrival> {
        let (arrival, finished) = match self {
            LiveSource::Idle => return None,
            LiveSource::WebSocket(handle) => {
                let event = handle.try_recv()?;
                let closed = matches!(event.kind, EventKind::Close(_));
                (Arrival::Event { attempt, event }, closed)
            }
            LiveSource::Sse { handle, base } => {
                let entry = handle.try_recv()?;
                let attempt = *base + entry.attempt;
                let event = entry.event;
                return Some(Arrival::Event { attempt, event });
            }
            LiveSource::Proxy(run) => {
                if let Some(started) = run.poll_started() {
                    return Some(Arrival::ProxyStarted(started));
                }
                return run.try_recv().map(|event| Arrival::Proxy(Box::new(event)));
            }
            LiveSource::Replay(handle) => match handle.try_recv()? {
                ReplayUpdate::Event(event) => (Arrival::Event { attempt: 1, event }, false),
                ReplayUpdate::Finished(report) => (Arrival::ReplayFinished(report), true),
                ReplayUpdate::Failed(error) => (Arrival::ReplayFailed(error.to_string()), true),
            },
        };
        if finished {
            *self = LiveSource::Idle;
        }
        Some(arrival)
    }
}
