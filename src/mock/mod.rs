//! The mock server (`sockscope listen`): accepts WebSocket clients, shows each one's
//! handshake request and what it sends, and answers by [`rules::Rules`] (texts on connect,
//! replies to matching messages, a close after N messages). Every event comes out as a
//! [`ProxyEvent`] of the client leg, numbered per connection like the proxy's.

mod client;
pub mod control;
mod reply;
pub mod rules;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::proxy::{ConnLog, EVENT_QUEUE_BYTES, EventSink, ListenTls, ProxyEvent, listen_url};
use control::MockControl;
use rules::Rules;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How long [`MockServer::shutdown`] waits for the closing handshakes.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// What the mock server does.
#[derive(Debug)]
pub struct MockConfig {
    /// Where clients connect.
    pub listen: SocketAddr,
    /// The auto-responses.
    pub rules: Rules,
    /// TLS for the clients (`wss://`); plain `ws://` without it.
    pub tls: Option<ListenTls>,
}

/// A running mock server; dropping it stops accepting and drops every connection
/// (abruptly: [`MockServer::shutdown`] closes them with 1001 first).
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    tls: bool,
    accept_task: JoinHandle<()>,
    stop: watch::Sender<bool>,
    control: Arc<MockControl>,
}

impl MockServer {
    /// The bound address (port 0 resolved).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address clients connect to: `ws://IP:PORT`, or `wss://IP:PORT` with TLS.
    pub fn url(&self) -> String {
        listen_url(self.addr, self.tls)
    }

    /// The hand controls: each client's commands, send to all, the next handshake.
    pub fn control(&self) -> &Arc<MockControl> {
        &self.control
    }

    /// Stops accepting, closes every client with 1001 (Going Away) and waits for the
    /// closing handshakes (at most 5 s). Keep taking events meanwhile.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let wait = SHUTDOWN_WAIT + Duration::from_secs(1);
        let _ = tokio::time::timeout(wait, &mut self.accept_task).await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Binds the listen address and serves in tasks on the current runtime; every event goes
/// to `events` (bounded: a slow reader holds the connections back).
pub async fn start(
    config: MockConfig,
    events: mpsc::Sender<ProxyEvent>,
) -> std::io::Result<MockServer> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopping) = watch::channel(false);
    let tls = config.tls.is_some();
    let control = Arc::new(MockControl::new(config.rules));
    let accept_task = tokio::spawn(accept_loop(
        listener,
        config.tls,
        events,
        stopping,
        Arc::clone(&control),
    ));
    Ok(MockServer {
        addr,
        tls,
        accept_task,
        stop,
        control,
    })
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<ListenTls>,
    events: mpsc::Sender<ProxyEvent>,
    mut stopping: watch::Receiver<bool>,
    control: Arc<MockControl>,
) {
    let mut connections = JoinSet::new();
    let next = AtomicU64::new(1);
    let room = Arc::new(Semaphore::new(EVENT_QUEUE_BYTES));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    let log = ConnLog::new(
                        next.fetch_add(1, Ordering::Relaxed),
                        EventSink::Each(events.clone()),
                        Arc::clone(&room),
                    );
                    let tls = tls.clone();
                    let control = Arc::clone(&control);
                    connections.spawn(client::serve(
                        tcp,
                        tls,
                        log,
                        stopping.clone(),
                        control,
                    ));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopping.changed() => break,
        }
    }
    let closing = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_WAIT, closing).await;
}
