//! The Server-Sent Events engine against the demo server's `/sse` and small raw HTTP servers
//! written for one rule each: EventSource's parsing, reconnects and ways of ending.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sockscope::engine::{CloseInfo, ErrorCategory, EventKind, Initiator, ReadyState};
use sockscope::model::timeline::TimelineEntry;
use sockscope::sse::{SseConfig, SseEnd, SseEvent, SseHandle, SseMessage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

fn open(config: &SseConfig) -> SseHandle {
    SseHandle::connect(config, &tokio::runtime::Handle::current(), Arc::new(|| {}))
        .expect("valid config")
}

/// Every entry until the stream ends for good (at most 20 s), checked.
async fn drain(handle: &mut SseHandle) -> Vec<TimelineEntry> {
    let entries = rest(handle, Vec::new()).await;
    check_attempts(&entries);
    entries
}

/// `entries`, then every entry until the stream ends for good (at most 20 s).
async fn rest(handle: &mut SseHandle, mut entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    let all = async {
        while let Some(entry) = handle.recv().await {
            entries.push(entry);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), all)
        .await
        .expect("the stream ends within 20 s");
    entries
}

/// Each attempt starts with connecting at seq 0, has gap-free seqs, and ends with one close.
fn check_attempts(entries: &[TimelineEntry]) {
    let mut expected_attempt = 1;
    let mut expected_seq = 0;
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.attempt, expected_attempt, "entry {i}: {entries:#?}");
        assert_eq!(entry.event.seq, expected_seq, "entry {i}: {entries:#?}");
        if expected_seq == 0 {
            assert!(matches!(entry.event.kind, EventKind::Connecting { .. }));
        }
        expected_seq += 1;
        if let EventKind::Close(_) = entry.event.kind {
            expected_attempt += 1;
            expected_seq = 0;
        }
    }
    assert_eq!(expected_seq, 0, "the last attempt ends with a close event");
}

fn messages(entries: &[TimelineEntry]) -> Vec<(u32, &SseMessage)> {
    entries
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::Sse(SseEvent::Message(message)) => Some((e.attempt, &**message)),
            _ => None,
        })
        .collect()
}

fn closes(entries: &[TimelineEntry]) -> Vec<&CloseInfo> {
    entries
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::Close(close) => Some(&**close),
            _ => None,
        })
        .collect()
}

fn kinds(entries: &[TimelineEntry]) -> Vec<&'static str> {
    entries.iter().map(|e| e.event.kind.name()).collect()
}

/// A raw HTTP server: connection `i` gets `responses[i]` (the last one again after that),
/// then the connection is closed. Each request head goes to `heads`.
async fn scripted(responses: Vec<String>) -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (heads_tx, heads) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut index = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = responses[index.min(responses.len() - 1)].clone();
            index += 1;
            let heads_tx = heads_tx.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = heads_tx.send(String::from_utf8_lossy(&head).to_lowercase());
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (addr, heads)
}

fn event_stream(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nConnection: close\r\n\r\n{body}"
    )
}

const NO_CONTENT: &str = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

fn config(addr: SocketAddr, path: &str) -> SseConfig {
    let mut config = SseConfig::new(format!("http://{addr}{path}"));
    config.reconnect_time = Duration::from_millis(50);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_stream_reconnects_with_last_event_id_and_ends_on_204() {
    let server = support::demo().await;
    let mut handle = open(&SseConfig::new(server.http_url("/sse?count=7")));
    let entries = drain(&mut handle).await;
    let received: Vec<_> = messages(&entries)
        .iter()
        .map(|(attempt, m)| (*attempt, m.id.clone(), m.data.clone(), m.event_type.clone()))
        .collect();
    let expected: Vec<_> = (1..=7u32)
        .map(|n| {
            let attempt = if n <= 5 { 1 } else { 2 };
            (
                attempt,
                Some(n.to_string()),
                format!("{{\"n\":{n}}}"),
                "tick".to_owned(),
            )
        })
        .collect();
    assert_eq!(received, expected);
    // The reconnect sent the last id it had seen.
    let opens: Vec<_> = entries
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::Open(open) => Some(open),
            _ => None,
        })
        .collect();
    assert_eq!(opens.len(), 2, "{:?}", kinds(&entries));
    let sent = |i: usize, name: &str| {
        opens[i]
            .request_headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(sent(0, "accept").as_deref(), Some("text/event-stream"));
    assert_eq!(sent(0, "cache-control").as_deref(), Some("no-cache"));
    assert_eq!(sent(0, "last-event-id"), None);
    assert_eq!(sent(1, "last-event-id").as_deref(), Some("5"));
    let ends: Vec<_> = closes(&entries)
        .iter()
        .map(|c| (c.code, c.was_clean, c.initiator))
        .collect();
    assert_eq!(
        ends,
        [
            (1000, true, Initiator::Server),
            (1000, true, Initiator::Server),
            (1000, true, Initiator::Server)
        ]
    );
    assert!(
        closes(&entries)[0]
            .reason
            .contains("reconnecting in 500 ms"),
        "{:?}",
        closes(&entries)[0]
    );
    assert!(closes(&entries)[2].reason.contains("204"));
    let stats = handle.stats();
    assert_eq!(stats.end, Some(SseEnd::NoContent));
    assert_eq!((stats.attempts, stats.events), (3, 7));
    assert_eq!(stats.comments, 2, "keep-alives before events 3 and 6");
    assert_eq!(stats.reconnection_time, Duration::from_millis(500));
    assert_eq!(stats.last_event_id, "7");
    assert_eq!(handle.ready_state(), ReadyState::Closed);
    assert!(
        !kinds(&entries).contains(&"sse-comment"),
        "comments are counted, not shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_are_shown_when_asked_and_a_given_last_event_id_resumes() {
    let server = support::demo().await;
    let mut config = SseConfig::new(server.http_url("/sse?count=6&drop=0&interval=20"));
    config.show_comments = true;
    config.last_event_id = Some("2".into());
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    let ids: Vec<_> = messages(&entries)
        .iter()
        .map(|(_, m)| m.id.clone().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["3", "4", "5", "6"]);
    let comments: Vec<_> = entries
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::Sse(SseEvent::Comment(text)) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(comments, ["keep-alive", "keep-alive"]);
    assert_eq!(handle.stats().comments, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_multi_line_data_and_max_events() {
    let body = "retry: 40\n\n: hello\nevent: update\nid: 9\ndata: {\"a\":1,\ndata: \"b\":2}\n\n\
                data: plain\r\n\r\nevent: never\ndata: third\n\n";
    let (addr, _heads) = scripted(vec![event_stream(body)]).await;
    let mut config = config(addr, "/");
    config.max_events = Some(2);
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    assert_eq!(
        kinds(&entries),
        ["connecting", "open", "sse", "sse", "close"]
    );
    let messages = messages(&entries);
    assert_eq!(
        *messages[0].1,
        SseMessage {
            event_type: "update".into(),
            data: "{\"a\":1,\n\"b\":2}".into(),
            id: Some("9".into()),
            last_event_id: "9".into(),
            retry: None,
        }
    );
    assert_eq!(
        (
            messages[1].1.event_type.as_str(),
            messages[1].1.data.as_str()
        ),
        ("message", "plain")
    );
    assert_eq!(messages[1].1.id, None);
    assert_eq!(
        &*messages[1].1.last_event_id, "9",
        "the last event id persists"
    );
    let close = closes(&entries)[0];
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1000, true, Initiator::Client)
    );
    let stats = handle.stats();
    assert_eq!(stats.end, Some(SseEnd::MaxEvents));
    assert_eq!(stats.reconnection_time, Duration::from_millis(40));
    assert_eq!(stats.comments, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_waits_the_servers_retry_and_sends_last_event_id() {
    let first = event_stream("retry: 150\nid: 41\ndata: a\n\n");
    let (addr, mut heads) = scripted(vec![first, NO_CONTENT.to_owned()]).await;
    let mut config = config(addr, "/events?x=1");
    config.reconnect_time = Duration::from_secs(30);
    config
        .headers
        .push(sockscope::engine::HeaderEntry::new("X-Token", "abc"));
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    assert_eq!(
        kinds(&entries),
        ["connecting", "open", "sse", "close", "connecting", "close"]
    );
    let closed = entries[3].event.wall_time;
    let reconnected = entries[4].event.wall_time;
    let waited = reconnected.duration_since(closed).unwrap();
    assert!(
        waited >= Duration::from_millis(140) && waited < Duration::from_secs(5),
        "waited {waited:?}: the server's retry (150 ms) replaces the configured 30 s"
    );
    let first_head = heads.recv().await.unwrap();
    assert!(
        first_head.starts_with("get /events?x=1 http/1.1\r\n"),
        "{first_head}"
    );
    assert!(first_head.contains("\r\naccept: text/event-stream\r\n"));
    assert!(first_head.contains("\r\ncache-control: no-cache\r\n"));
    assert!(first_head.contains("\r\nx-token: abc\r\n"));
    assert!(!first_head.contains("last-event-id"));
    let second_head = heads.recv().await.unwrap();
    assert!(
        second_head.contains("\r\nlast-event-id: 41\r\n"),
        "{second_head}"
    );
    assert_eq!(handle.stats().end, Some(SseEnd::NoContent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_fails_the_stream_with_status_headers_and_body_without_reconnecting() {
    let response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Why: test\r\nContent-Length: 4\r\n\r\nnope";
    let (addr, mut heads) = scripted(vec![response.to_owned()]).await;
    let mut handle = open(&config(addr, "/missing"));
    let entries = drain(&mut handle).await;
    assert_eq!(kinds(&entries), ["connecting", "error", "close"]);
    let EventKind::Error(error) = &entries[1].event.kind else {
        unreachable!()
    };
    assert_eq!(error.category, ErrorCategory::Http);
    assert!(error.message.contains("404"), "{}", error.message);
    let http = error.http.as_ref().expect("the server's answer");
    assert_eq!(http.status, 404);
    assert_eq!(&http.body[..], b"nope");
    assert!(http.headers.contains(&("x-why".into(), "test".into())));
    let close = closes(&entries)[0];
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::Server)
    );
    assert_eq!(handle.stats().end, Some(SseEnd::Failed));
    assert_eq!(handle.ready_state(), ReadyState::Closed);
    heads.recv().await.expect("one request");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(heads.try_recv().is_err(), "no second request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_type_fails_the_stream() {
    let response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>";
    let (addr, mut heads) = scripted(vec![response.to_owned()]).await;
    let mut handle = open(&config(addr, "/"));
    let entries = drain(&mut handle).await;
    assert_eq!(kinds(&entries), ["connecting", "error", "close"]);
    let EventKind::Error(error) = &entries[1].event.kind else {
        unreachable!()
    };
    assert!(error.message.contains("text/html"), "{}", error.message);
    let http = error.http.as_ref().expect("the answer");
    assert_eq!((http.status, &http.body[..]), (200, &b"<html>"[..]));
    assert_eq!(handle.stats().end, Some(SseEnd::Failed));
    heads.recv().await.expect("one request");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(heads.try_recv().is_err(), "no second request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_content_ends_the_stream_normally() {
    let (addr, mut heads) = scripted(vec![NO_CONTENT.to_owned()]).await;
    let mut handle = open(&config(addr, "/"));
    let entries = drain(&mut handle).await;
    assert_eq!(kinds(&entries), ["connecting", "close"]);
    let close = closes(&entries)[0];
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1000, true, Initiator::Server)
    );
    assert_eq!(handle.stats().end, Some(SseEnd::NoContent));
    heads.recv().await.expect("one request");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(heads.try_recv().is_err(), "no second request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_stream_reconnects_until_max_reconnects() {
    // A chunked body cut in the middle of a chunk: the transport broke.
    let response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
                    9\r\ndata: a\n\n\r\n20\r\ndata: cut";
    let (addr, _heads) = scripted(vec![response.to_owned()]).await;
    let mut config = config(addr, "/");
    config.max_reconnects = Some(1);
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    assert_eq!(
        kinds(&entries),
        [
            "connecting",
            "open",
            "sse",
            "error",
            "close",
            "connecting",
            "open",
            "sse",
            "error",
            "close"
        ]
    );
    let EventKind::Error(error) = &entries[3].event.kind else {
        unreachable!()
    };
    assert_eq!(error.category, ErrorCategory::Io);
    let ends: Vec<_> = closes(&entries)
        .iter()
        .map(|c| (c.code, c.was_clean))
        .collect();
    assert_eq!(ends, [(1006, false), (1006, false)]);
    assert!(
        closes(&entries)[1]
            .reason
            .contains("gave up after 1 reconnect")
    );
    assert_eq!(handle.stats().end, Some(SseEnd::GaveUp));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_retried_as_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = config(addr, "/");
    config.max_reconnects = Some(2);
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    assert_eq!(closes(&entries).len(), 3);
    let refused = entries
        .iter()
        .filter(|e| {
            matches!(&e.event.kind, EventKind::Error(error) if error.category == ErrorCategory::Refused)
        })
        .count();
    assert_eq!(refused, 3);
    assert_eq!(handle.stats().end, Some(SseEnd::GaveUp));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed() {
    let server = support::demo().await;
    let location = server.http_url("/sse?count=2&drop=0&interval=10");
    let response = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    );
    let (addr, _heads) = scripted(vec![response]).await;
    let mut config = config(addr, "/old");
    config.max_events = Some(2);
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    assert_eq!(messages(&entries).len(), 2);
    assert_eq!(handle.stats().end, Some(SseEnd::MaxEvents));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_over_the_size_limit_fails_the_stream() {
    let body = format!("data: {}\n\n", "x".repeat(100));
    let (addr, _heads) = scripted(vec![event_stream(&body)]).await;
    let mut config = config(addr, "/");
    config.max_event_size = 16;
    let mut handle = open(&config);
    let entries = drain(&mut handle).await;
    assert_eq!(kinds(&entries), ["connecting", "open", "error", "close"]);
    assert_eq!(closes(&entries)[0].code, 1009);
    assert_eq!(handle.stats().end, Some(SseEnd::Failed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_stops_the_stream_and_ready_state_follows() {
    let server = support::demo().await;
    let mut handle = open(&SseConfig::new(server.http_url("/sse?drop=0&interval=20")));
    // The stream starts on another thread: against a server on 127.0.0.1 it may already be
    // open by the time this thread looks.
    assert!(
        matches!(
            handle.ready_state(),
            ReadyState::Connecting | ReadyState::Open
        ),
        "{:?}",
        handle.ready_state()
    );
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|e: &TimelineEntry| e.event.kind.name() == "sse")
    {
        let entry = tokio::time::timeout(Duration::from_secs(10), handle.recv())
            .await
            .unwrap()
            .unwrap();
        seen.push(entry);
    }
    assert_eq!(handle.ready_state(), ReadyState::Open);
    handle.close();
    let seen = rest(&mut handle, seen).await;
    check_attempts(&seen);
    let close = closes(&seen)[0];
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1000, true, Initiator::Client)
    );
    assert_eq!(handle.ready_state(), ReadyState::Closed);
    assert_eq!(handle.stats().end, Some(SseEnd::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_paths_still_upgrade_and_plain_gets_elsewhere_are_404() {
    let server = support::demo().await;
    let mut ws = support::connect(&server.url("/echo"));
    let events = support::until(&mut ws, "open").await;
    assert_eq!(support::kinds(&events), ["connecting", "open"]);
    let mut handle = open(&SseConfig::new(server.http_url("/echo")));
    let entries = drain(&mut handle).await;
    let EventKind::Error(error) = &entries[1].event.kind else {
        panic!("{entries:#?}")
    };
    assert_eq!(error.http.as_ref().map(|h| h.status), Some(404));
    assert_eq!(handle.stats().end, Some(SseEnd::Failed));
}

#[test]
fn bad_urls_are_refused_before_any_traffic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for url in ["", "ws://127.0.0.1/sse", "ftp://x/", "not a url"] {
        let result = SseHandle::connect(&SseConfig::new(url), runtime.handle(), Arc::new(|| {}));
        assert!(result.is_err(), "{url:?}");
    }
}
