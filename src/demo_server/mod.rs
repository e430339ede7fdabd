//! The embedded demo server: a real WebSocket server with one scenario per path, used by
//! the app as an offline target and by the project's tests.
//!
//! Paths: `/echo`, `/json?count=N`, `/close/CODE?reason=R`, `/close/none`, `/drop`,
//! `/binary`, `/headers`, `/subproto`, `/flood?n=N&size=S`, `/ping`, `/evil/invalid-utf8`,
//! `/evil/ignore-close`, and the format paths `/msgpack`, `/cbor`, `/protobuf` (schema:
//! `saved_sessions/demo.proto`), `/gzip`, `/zlib-stream`, `/deflate` (a binary market tick
//! every 100 ms, `?count=N`), and the protocol paths `/socket.io/` (a minimal Socket.IO v4
//! server), `/graphql` (GraphQL over WebSocket), `/jsonrpc` (JSON-RPC 2.0), and the small
//! brokers `/mqtt` and `/stomp`, and `/book` (an order book's snapshot and deltas to fold). Any other path gets HTTP 404; a bad number gets HTTP 400.
//! A plain HTTP `GET /sse` (no WebSocket upgrade) gets a Server-Sent Events ticker; any
//! other plain GET gets 404.
//!
//! Each connection runs in its own task; an error on one never affects the others, and
//! nothing is printed (stdout belongs to the command line).
//!
//! It runs inside the window's own process and listens on 127.0.0.1, which web pages in the
//! user's browser can reach too, so it keeps to limits: requests from foreign web pages are
//! refused with 403 (see [`origin`]); at most [`MAX_CONNECTIONS`] connections are served at
//! once, more get 503; messages from clients are at most [`MAX_MESSAGE_BYTES`]; and big
//! messages are made and sent in fragments of 64 KiB, each written out before the next is
//! made, so a client that does not read holds about one fragment of the server's memory
//! rather than its whole message.

mod book;
mod busy;
mod clock;
mod closing;
mod echo;
mod evil;
mod flood;
mod formats;
mod fragments;
mod graphql;
mod handshake;
mod jsonrpc;
mod login;
mod market;
mod mqtt_broker;
pub mod origin;
mod payload;
mod routes;
mod socketio;
mod sse;
mod stomp_broker;
mod ticker;

pub use market::{DEMO_MESSAGE, DEMO_PROTO};
pub use payload::big_json;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use routes::Scenario;

/// A server-side WebSocket over plain TCP, as every scenario sees it.
type Ws = WebSocketStream<TcpStream>;

/// What a scenario returns; errors only end that one connection.
type WsResult = Result<(), tokio_tungstenite::tungstenite::Error>;

/// How long a client may take to send its handshake request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections (WebSocket and SSE) served at once; more are answered 503.
pub const MAX_CONNECTIONS: usize = 64;

/// The most refusals under way at once; past it a connection is closed unanswered.
const MAX_REFUSALS: usize = 64;

/// The largest message (and frame) a client may send; a bigger one ends its connection
/// with 1009 (Message Too Big). Echo holds one such message at a time.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// The most bytes waiting in a connection's write buffer: big messages leave in fragments
/// that each fit, so this is only a safety net against a send that would not.
const MAX_WRITE_BUFFER_BYTES: usize = 4 << 20;

/// The WebSocket limits of every demo connection; `permessage-deflate` is accepted when a
/// client offers it (as offered), as most servers behind a browser do.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
        .deflate(Some(DeflateParams::default()))
}

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A running demo server; dropping it stops accepting (and ends its connections' tasks).
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    /// The accept loop; it owns the connections' tasks, so aborting it ends them too.
    accept_task: JoinHandle<()>,
}

impl DemoServer {
    /// The bound address (port 0 resolved).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://ADDR{path}`, e.g. url("/echo").
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// `http://ADDR{path}`, e.g. http_url("/sse") for the Server-Sent Events ticker.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Binds `addr` (port 0 allowed) and serves in tasks spawned on the current tokio runtime.
pub async fn start(addr: SocketAddr) -> std::io::Result<DemoServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let accept_task = tokio::spawn(accept_loop(listener));
    Ok(DemoServer { addr, accept_task })
}

/// Accepts connections until aborted. The connections' tasks live in a `JoinSet` owned by
/// this future, so when the loop is aborted they are aborted with it. Each served
/// connection holds one of [`MAX_CONNECTIONS`] slots until its task ends.
async fn accept_loop(listener: TcpListener) {
    let mut connections = JoinSet::new();
    let mut refusals = JoinSet::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => match Arc::clone(&slots).try_acquire_owned() {
                    Ok(slot) => {
                        connections.spawn(async move {
                            serve_connection(tcp).await;
                            drop(slot);
                        });
                    }
                    Err(_) if refusals.len() < MAX_REFUSALS => {
                        refusals.spawn(busy::refuse(tcp, MAX_CONNECTIONS));
                    }
                    Err(_) => drop(tcp),
                },
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            // Reap finished tasks so the sets do not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(_) = refusals.join_next(), if !refusals.is_empty() => {}
        }
    }
}

/// Handshake, then the scenario the path asked for. Errors end only this connection.
async fn serve_connection(tcp: TcpStream) {
    // Small messages should leave at once rather than wait for Nagle's algorithm.
    let _ = tcp.set_nodelay(true);
    if sse::is_plain_get(&tcp, HANDSHAKE_TIMEOUT).await {
        sse::serve(tcp, HANDSHAKE_TIMEOUT).await;
        return;
    }
    let (ws, accepted) = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake::accept(tcp)).await
    {
        Ok(Ok(done)) => done,
        // A refused path was already answered with an HTTP error; nothing else to do.
        Ok(Err(_)) | Err(_) => return,
    };
    let _ = run_scenario(ws, accepted).await;
}

async fn run_scenario(mut ws: Ws, accepted: handshake::Accepted) -> WsResult {
    match accepted.scenario.clone() {
        Scenario::Echo | Scenario::Subproto => echo::echo(&mut ws).await,
        Scenario::Headers => echo::headers(&mut ws, &accepted).await,
        Scenario::Binary => echo::binary(&mut ws).await,
        Scenario::BigJson { mib } => echo::big_json(&mut ws, mib).await,
        Scenario::Json { count } => ticker::json(&mut ws, count).await,
        Scenario::Ping => ticker::ping(&mut ws).await,
        Scenario::Close { code, reason } => closing::close(&mut ws, code, reason).await,
        Scenario::Drop => closing::drop_connection(ws).await,
        Scenario::Flood { count, size } => flood::flood(&mut ws, count, size).await,
        Scenario::InvalidUtf8 => evil::invalid_utf8(&mut ws).await,
        Scenario::IgnoreClose => evil::ignore_close(&mut ws).await,
        Scenario::Encoded { format, count } => formats::send_ticks(&mut ws, format, count).await,
        Scenario::SocketIo => socketio::serve(&mut ws).await,
        Scenario::Graphql => graphql::serve(&mut ws).await,
        Scenario::JsonRpc => jsonrpc::serve(&mut ws).await,
        Scenario::Mqtt => mqtt_broker::mqtt(&mut ws).await,
        Scenario::Login { count } => login::serve(&mut ws, count).await,
        Scenario::Stomp => stomp_broker::stomp(&mut ws).await,
        Scenario::Book {
            count,
            interval_ms,
            style,
        } => book::serve(&mut ws, count, Duration::from_millis(interval_ms), style).await,
    }
}
