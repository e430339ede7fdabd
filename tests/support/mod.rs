//! Shared test support: the demo server on port 0, and helpers that run a connection to its
//! close event.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sockscope::demo_server::{self, DemoServer};
use sockscope::engine::{
    CloseInfo, ConnectionConfig, ConnectionHandle, ErrorInfo, Event, EventKind,
};

pub mod cli;
pub mod debian;
pub mod json_lines_process;
pub mod keyring;
pub mod node;
pub mod python;
pub mod recording;
pub mod servers;
pub mod tls;
pub mod window;
pub mod ws_peer;

/// A loopback port nothing listens on (bound once to find it free, then released), for
/// refused connections.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The demo server on a free loopback port.
pub async fn demo() -> DemoServer {
    demo_server::start("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("demo server starts")
}

/// Connects with a default configuration for `url`.
pub fn connect(url: &str) -> ConnectionHandle {
    connect_with(&ConnectionConfig::new(url))
}

/// Connects with `config` on the current runtime.
pub fn connect_with(config: &ConnectionConfig) -> ConnectionHandle {
    ConnectionHandle::connect(config, &tokio::runtime::Handle::current(), Arc::new(|| {}))
        .expect("valid config")
}

/// Waits (at most 20 s) for the next event.
pub async fn next(handle: &mut ConnectionHandle) -> Event {
    tokio::time::timeout(Duration::from_secs(20), handle.recv())
        .await
        .expect("an event within 20 s")
        .expect("the attempt ends with a close event before the channel closes")
}

/// Waits for an event of the given kind name, returning it and everything before it.
pub async fn until(handle: &mut ConnectionHandle, kind: &str) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = next(handle).await;
        let done = event.kind.name() == kind;
        let is_close = matches!(event.kind, EventKind::Close(_));
        seen.push(event);
        if done {
            return seen;
        }
        assert!(!is_close, "closed before a {kind} event: {seen:#?}");
    }
}

/// Reads events into `events` until it holds `count` messages (both directions).
pub async fn until_messages(handle: &mut ConnectionHandle, events: &mut Vec<Event>, count: usize) {
    while events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Message { .. }))
        .count()
        < count
    {
        events.extend(until(handle, "message").await);
    }
}

/// Reads events up to and including the close event; checks that nothing follows it and
/// that sequence numbers have no gaps.
pub async fn to_close(handle: &mut ConnectionHandle) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = next(handle).await;
        let is_close = matches!(event.kind, EventKind::Close(_));
        seen.push(event);
        if is_close {
            break;
        }
    }
    let after = tokio::time::timeout(Duration::from_secs(5), handle.recv()).await;
    assert!(
        matches!(after, Ok(None)),
        "nothing may follow the close event: {after:?}"
    );
    for pair in seen.windows(2) {
        assert_eq!(
            pair[1].seq,
            pair[0].seq + 1,
            "sequence numbers are gap-free"
        );
    }
    seen
}

/// The first error event in `events`.
pub fn error_of(events: &[Event]) -> ErrorInfo {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Error(error) => Some((**error).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no error event in {events:#?}"))
}

/// The close event at the end of `events`.
pub fn close_of(events: &[Event]) -> CloseInfo {
    match events.last().map(|e| &e.kind) {
        Some(EventKind::Close(close)) => (**close).clone(),
        other => panic!("the last event is not a close: {other:?}"),
    }
}

/// The kind names, in order.
pub fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}
