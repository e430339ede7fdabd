//! `/sse`: a Server-Sent Events ticker over plain HTTP/1.1, beside the WebSocket paths.
//!
//! A `GET /sse` without `Upgrade: websocket` is answered with `text/event-stream`: first
//! `retry: 500`, then `id: N`, `event: tick`, `data: {"n":N}` every 100 ms from N = 1 (or
//! from K+1 when the request carries `Last-Event-ID: K`), with a `: keep-alive` comment
//! before every third event. After 5 events the connection is dropped, to show the client
//! reconnecting with `Last-Event-ID`.
//!
//! Any other plain HTTP GET (one without `Upgrade: websocket`) gets 404: the other paths
//! are WebSocket paths.
//!
//! Query: `count=N` ends the stream for good after event N: the connection is dropped and
//! the next request (which resumes after N) gets 204 No Content. `drop=K` drops after K
//! events per connection instead of 5 (0: never). `interval=MS` changes the 100 ms.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The request line's start that this module answers.
const PREFIX: &[u8] = b"GET ";
/// The largest request head read; a larger one is left to the WebSocket handshake.
const MAX_HEAD: usize = 8 * 1024;
/// Events per connection before the demo drops it.
const DEFAULT_DROP: u64 = 5;
/// Time between events.
const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);
/// The reconnection time the demo asks for.
const RETRY_MS: u64 = 500;
/// A keep-alive comment goes before every this many events.
const KEEPALIVE_EVERY: u64 = 3;

/// Whether the connection's request (not yet read, only peeked at) is a plain HTTP GET
/// rather than a WebSocket upgrade. Decides as soon as the bytes allow: anything that does
/// not start with `GET ` is left alone at once.
pub(super) async fn is_plain_get(tcp: &TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = vec![0u8; MAX_HEAD];
    loop {
        let peeked = tokio::time::timeout_at(deadline, tcp.peek(&mut buf)).await;
        let n = match peeked {
            Ok(Ok(n)) if n > 0 => n,
            _ => return false,
        };
        let head = &buf[..n];
        let known = head.len().min(PREFIX.len());
        if head[..known] != PREFIX[..known] {
            return false;
        }
        if let Some(end) = find_head_end(head) {
            return !wants_websocket(&head[..end]);
        }
        if n == buf.len() {
            return false;
        }
        // Only part of the head has arrived; look again shortly.
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// Whether a request head has `Upgrade: websocket`.
fn wants_websocket(head: &[u8]) -> bool {
    String::from_utf8_lossy(head).lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("upgrade")
                && value
                    .split(',')
                    .any(|v| v.trim().eq_ignore_ascii_case("websocket"))
        })
    })
}

/// What the request asked for.
#[derive(Debug, PartialEq, Eq)]
struct Ticker {
    first: u64,
    count: Option<u64>,
    drop_after: u64,
    interval: Duration,
}

/// Why a plain request is refused: the status line and a plain-text body.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    status: &'static str,
    body: String,
}

/// Parses the request head into the ticker to run, or the refusal to answer (403 for a
/// foreign `Origin`, first).
fn parse_request(head: &str) -> Result<Ticker, Refusal> {
    let header = |wanted: &str| {
        head.lines().skip(1).find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    let origin = header("origin");
    if !super::origin::allowed(origin.as_deref()) {
        return Err(Refusal {
            status: "403 Forbidden",
            body: super::origin::refusal(origin.as_deref().unwrap_or("")),
        });
    }
    let host = header("host");
    if !super::origin::host_allowed(host.as_deref()) {
        return Err(Refusal {
            status: "403 Forbidden",
            body: super::origin::host_refusal(host.as_deref().unwrap_or("")),
        });
    }
    let target = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path.trim_end_matches('/') != "/sse" {
        let shown: String = path.chars().take(200).collect();
        return Err(Refusal {
            status: "404 Not Found",
            body: format!(
                "no such plain HTTP path: {shown}; the event stream is /sse?count=N, and the \
                 other demo paths are WebSocket paths (send an upgrade)"
            ),
        });
    }
    let mut ticker = Ticker {
        first: 1,
        count: None,
        drop_after: DEFAULT_DROP,
        interval: DEFAULT_INTERVAL,
    };
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if value.trim().is_empty() {
            continue;
        }
        let number = value.trim().parse::<u64>().map_err(|_| {
            let shown: String = value.chars().take(40).collect();
            Refusal {
                status: "400 Bad Request",
                body: format!("bad {key} \"{shown}\": expected a whole number"),
            }
        });
        match key.as_ref() {
            "count" => ticker.count = Some(number?),
            "drop" => ticker.drop_after = number?,
            "interval" => ticker.interval = Duration::from_millis(number?.min(60_000)),
            _ => {}
        }
    }
    let last_id = header("last-event-id");
    if let Some(last) = last_id.and_then(|id| id.parse::<u64>().ok()) {
        ticker.first = last.saturating_add(1);
    }
    Ok(ticker)
}

/// Reads the request head and answers it with the event stream (or 204, 400, 404).
pub(super) async fn serve(mut tcp: TcpStream, within: Duration) {
    let Ok(Some(head)) = tokio::time::timeout(within, read_head(&mut tcp)).await else {
        return;
    };
    let ticker = match parse_request(&head) {
        Ok(ticker) => ticker,
        Err(Refusal { status, body }) => {
            let body = format!("{body}\n");
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tcp.write_all(response.as_bytes()).await;
            let _ = tcp.shutdown().await;
            return;
        }
    };
    if ticker.count.is_some_and(|count| ticker.first > count) {
        let response = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
        let _ = tcp.write_all(response.as_bytes()).await;
        let _ = tcp.shutdown().await;
        return;
    }
    let _ = stream(&mut tcp, &ticker).await;
}

/// Reads up to the end of the request head; `None` when the client left or it is too big.
async fn read_head(tcp: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while find_head_end(&head).is_none() {
        if head.len() > MAX_HEAD {
            return None;
        }
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

async fn stream(tcp: &mut TcpStream, ticker: &Ticker) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\nretry: {RETRY_MS}\n\n"
    );
    tcp.write_all(head.as_bytes()).await?;
    let mut ticks = tokio::time::interval_at(Instant::now() + ticker.interval, ticker.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = ticker.first;
    let mut sent: u64 = 0;
    let mut discard = [0u8; 256];
    loop {
        if ticker.count.is_some_and(|count| n > count)
            || (ticker.drop_after != 0 && sent >= ticker.drop_after)
        {
            // Dropped without more ado: the client is expected to reconnect.
            return Ok(());
        }
        tokio::select! {
            _ = ticks.tick() => {}
            read = tcp.read(&mut discard) => match read {
                Ok(0) | Err(_) => return Ok(()),
                Ok(_) => continue,
            },
        }
        let mut chunk = String::new();
        if n.is_multiple_of(KEEPALIVE_EVERY) {
            chunk.push_str(": keep-alive\n\n");
        }
        chunk.push_str(&format!("id: {n}\nevent: tick\ndata: {{\"n\":{n}}}\n\n"));
        tcp.write_all(chunk.as_bytes()).await?;
        n += 1;
        sent += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_resume_after_the_last_event_id() {
        let ticker = parse_request(
            "GET /sse?count=7&drop=2 HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nLast-Event-ID: 5\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            ticker,
            Ticker {
                first: 6,
                count: Some(7),
                drop_after: 2,
                interval: DEFAULT_INTERVAL
            }
        );
        let ticker = parse_request("GET /sse HTTP/1.1\r\nlast-event-id: nope\r\n\r\n").unwrap();
        assert_eq!((ticker.first, ticker.count), (1, None));
        let refusal = parse_request("GET /sse?count=x HTTP/1.1\r\n\r\n").unwrap_err();
        assert_eq!(refusal.status, "400 Bad Request");
        assert!(refusal.body.contains("count"), "{}", refusal.body);
        let refusal = parse_request("GET /echo HTTP/1.1\r\n\r\n").unwrap_err();
        assert_eq!(refusal.status, "404 Not Found");
        assert!(parse_request("GET /sse/ HTTP/1.1\r\n\r\n").is_ok());
        let refusal =
            parse_request("GET /sse HTTP/1.1\r\nHost: rebind.example:9001\r\n\r\n").unwrap_err();
        assert_eq!(refusal.status, "403 Forbidden");
    }

    #[test]
    fn websocket_upgrades_are_told_apart() {
        assert!(wants_websocket(
            b"GET /sse HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n\r\n"
        ));
        assert!(!wants_websocket(
            b"GET /sse HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n"
        ));
    }
}
