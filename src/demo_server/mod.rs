//! The embedded demo server: a real WebSocket server with one scenario per path, used by
//! the app as an offline target and by the project's tests.
//!
//! Paths: `/echo`, `/json?count=N`, `/close/CODE?reason=R`, `/close/none`, `/drop`,
//! `/binary`, `/headers`, `/subproto`, `/flood?n=N&size=S`, `/ping`, `/evil/invalid-utf8`,
//! `/evil/ignore-close`. Any other path gets HTTP 404; a bad number gets HTTP 400.
//! A plain HTTP `GET /sse` (no WebSocket upgrade) gets a Server-Sent Events ticker; any
//! other plain GET gets 404.
//!
//! Each connection runs in its own task; an error on one never affects the others, and
//! nothing is printed (stdout belongs to the command line).

mod clock;
mod closing;
mod echo;
mod evil;
mod flood;
mod handshake;
mod payload;
mod routes;
mod sse;
mod ticker;

pub use payload::big_json;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::WebSocketStream;

use routes::Scenario;

/// A server-side WebSocket over plain TCP, as every scenario sees it.
type Ws = WebSocketStream<TcpStream>;

/// What a scenario returns; errors only end that one connection.
type WsResult = Result<(), tokio_tungstenite::tungstenite::Error>;

/// How long a client may take to send its handshake request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
/// this future, so when the loop is aborted they are aborted with it.
async fn accept_loop(listener: TcpListener) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    connections.spawn(serve_connection(tcp));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
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
    }
}
