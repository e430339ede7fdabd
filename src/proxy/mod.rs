//! The recording proxy (`sockscope proxy`): accepts WebSocket clients, dials the upstream
//! for each with the client's own request (path, query, subprotocol offer, Origin, cookies,
//! authorization), answers the client with the upstream's answer (a refusal with its
//! status, headers and body), then relays message by message both ways, byte for byte.
//! Every event of both legs comes out in the engine's event shape, one [`ProxyEvent`] at a
//! time ([`start`], the window) or in [`EventBatch`]es per connection ([`start_batched`],
//! the command line).
//!
//! The upstream leg is a direct tokio-tungstenite client rather than the engine's
//! `ConnectionHandle`: a proxy must pass on pings, pongs, close frames and abrupt drops as
//! they came, must hand the upstream's raw handshake answer back to the client, and must
//! hold one leg back while the other is slow (one message in flight per direction). The
//! engine does the opposite on each point: it answers pings and closes by itself, closes
//! cleanly when dropped, and queues what the window sends.

mod answer;
pub mod client_stream;
mod conn_log;
pub mod intercept;
pub mod listen_tls;
mod relay;
pub mod replay_config;
pub mod request_head;
pub mod rules;
pub mod upstream;

pub(crate) use conn_log::ConnLog;
pub use conn_log::{EVENT_QUEUE_BYTES, EventBatch, EventSink, Leg, ProxyEvent};
pub use intercept::{ConnControl, ControlError, HeldMessage, Intercept};
pub use listen_tls::ListenTls;
pub use rules::{ProxyRuleSpec, ProxyRules, RuleAction, RuleMatch};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;
use tokio_tungstenite::tungstenite::handshake::server::Response;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use url::Url;

use crate::engine::{
    CloseInfo, ErrorCategory, ErrorInfo, EventKind, HttpRejection, Initiator, OpenInfo,
};
use client_stream::ClientStream;
use request_head::RequestHead;
use upstream::UpstreamFailure;

/// How long a client may take to send its handshake request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest message (and frame) either leg takes; a bigger one ends that connection.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What the proxy does.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where clients connect.
    pub listen: SocketAddr,
    /// The upstream base URL (`ws://` or `wss://`); each client's path and query follow it.
    pub upstream: Url,
    /// Headers added to (or replacing those of) every upstream request.
    pub add_headers: Vec<(String, String)>,
    /// Header names removed from every upstream request.
    pub strip_headers: Vec<String>,
    /// TLS for the clients (`wss://` on the listen address); plain `ws://` without it.
    pub tls: Option<ListenTls>,
}

/// How much each leg reads from its socket at a time. tungstenite zero-fills its whole read
/// buffer before every read, so its default (128 KiB) made every idle proxied connection
/// cost ~250 KiB of resident memory (two legs) and every small read a 128 KiB memset.
const READ_BUFFER_BYTES: usize = 32 << 10;

/// The WebSocket limits and buffers of both legs; the client's leg accepts
/// permessage-deflate when the client offers it, as a server would.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .read_buffer_size(READ_BUFFER_BYTES)
        .deflate(Some(DeflateParams::default()))
}

/// The upstream leg's configuration: permessage-deflate offered only when the client
/// offered it (its own offer when it made one offer, else as browsers do), so that the
/// upstream sees what it would have seen without the proxy. Each leg compresses on its
/// own; the relay and the recording see messages. An answer that selects none of the
/// offered subprotocols is accepted.
fn upstream_config(head: &RequestHead) -> WebSocketConfig {
    let offered: Vec<&str> = head
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, value)| value.as_str())
        .collect();
    let deflate = offered
        .iter()
        .any(|value| value.to_ascii_lowercase().contains("permessage-deflate"))
        .then(|| match offered[..] {
            [one] if !one.contains(',') => {
                DeflateParams::parse(one).unwrap_or_else(|_| DeflateParams::browser_offer())
            }
            _ => DeflateParams::browser_offer(),
        });
    // RFC 6455 lets a server select none of the offered subprotocols: that answer goes
    // back to the client as it came (the client judges it), not as a 502.
    ws_config().deflate(deflate).accept_no_subprotocol(true)
}

/// The extensions a 101 answer agreed to.
fn extensions(answer: &Response) -> Option<String> {
    answer
        .headers()
        .get("sec-websocket-extensions")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// How long [`ProxyServer::shutdown`] waits for the closing handshakes.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// A running proxy; dropping it stops accepting and drops every connection (abruptly:
/// [`ProxyServer::shutdown`] closes them with 1001 first).
#[derive(Debug)]
pub struct ProxyServer {
    addr: SocketAddr,
    tls: bool,
    accept_task: JoinHandle<()>,
    stop: watch::Sender<bool>,
    intercept: Arc<Intercept>,
}

impl ProxyServer {
    /// The bound address (port 0 resolved).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address clients connect to: `ws://IP:PORT`, or `wss://IP:PORT` with TLS.
    pub fn url(&self) -> String {
        listen_url(self.addr, self.tls)
    }

    /// The intercept: paused directions and rules for every connection, and each live
    /// connection's held messages and commands.
    pub fn intercept(&self) -> &Arc<Intercept> {
        &self.intercept
    }

    /// Stops accepting, closes both legs of every open connection with 1001 (Going Away)
    /// and waits for their closing handshakes (at most 5 s; what is left is dropped).
    /// Keep taking events meanwhile: the connections wait for room to report their close.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(
            SHUTDOWN_WAIT + Duration::from_secs(1),
            &mut self.accept_task,
        )
        .await;
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// `ws://IP:PORT`, or `wss://IP:PORT` when the listener speaks TLS.
pub fn listen_url(addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "wss" } else { "ws" };
    format!("{scheme}://{addr}")
}

/// Binds the listen address and proxies in tasks on the current runtime; every event goes
/// to `events` (bounded: a slow reader holds the relays back).
pub async fn start(
    config: ProxyConfig,
    events: mpsc::Sender<ProxyEvent>,
) -> std::io::Result<ProxyServer> {
    start_with(config, EventSink::Each(events)).await
}

/// [`start`], the events going to `events` in batches: each connection's events of a
/// burst of messages together (bounded in bytes as [`start`]'s are).
pub async fn start_batched(
    config: ProxyConfig,
    events: mpsc::Sender<EventBatch>,
) -> std::io::Result<ProxyServer> {
    start_with(config, EventSink::Batches(events)).await
}

/// [`start`] with the events going to `events`.
pub async fn start_with(config: ProxyConfig, events: EventSink) -> std::io::Result<ProxyServer> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopping) = watch::channel(false);
    let tls = config.tls.is_some();
    let intercept = Arc::new(Intercept::default());
    let accept_task = tokio::spawn(accept_loop(
        listener,
        Arc::new(config),
        events,
        stopping,
        Arc::clone(&intercept),
    ));
    Ok(ProxyServer {
        addr,
        tls,
        accept_task,
        stop,
        intercept,
    })
}

async fn accept_loop(
    listener: TcpListener,
    config: Arc<ProxyConfig>,
    events: EventSink,
    mut stopping: watch::Receiver<bool>,
    intercept: Arc<Intercept>,
) {
    let mut connections = JoinSet::new();
    let next = AtomicU64::new(1);
    let room = Arc::new(Semaphore::new(EVENT_QUEUE_BYTES));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    let config = Arc::clone(&config);
                    let log = ConnLog::new(
                        next.fetch_add(1, Ordering::Relaxed),
                        events.clone(),
                        Arc::clone(&room),
                    );
                    let intercept = Arc::clone(&intercept);
                    connections.spawn(serve_connection(tcp, log, config, stopping.clone(), intercept));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopping.changed() => break,
        }
    }
    // Shutting down: the relays are closing their legs; wait for them, then drop the rest.
    let closing = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_WAIT, closing).await;
}

/// One client: its request, the upstream's answer passed back, then the relay.
async fn serve_connection(
    tcp: TcpStream,
    mut log: ConnLog,
    config: Arc<ProxyConfig>,
    stopping: watch::Receiver<bool>,
    intercept: Arc<Intercept>,
) {
    // Not a (TLS, with --cert) WebSocket request in time: closed without a number's worth
    // of events.
    let accepted = ClientStream::accept(tcp, config.tls.as_ref(), HANDSHAKE_TIMEOUT).await;
    let Some((tcp, head)) = accepted else {
        return;
    };
    let url = upstream::upstream_url(&config.upstream, &head.target);
    let headers = upstream::upstream_headers(&config, &head);
    log.set_request(head.clone());
    log.emit(
        Leg::Upstream,
        EventKind::Connecting {
            url: url.to_string(),
        },
    )
    .await;
    let started = Instant::now();
    let dialed = upstream::connect(&url, &headers, upstream_config(&head)).await;
    let handshake = started.elapsed();
    match dialed {
        Ok((upstream_ws, answer)) => {
            let open = OpenInfo {
                status: answer.status().as_u16(),
                request_headers: headers,
                response_headers: upstream::header_pairs(answer.headers()),
                subprotocol: subprotocol(&answer),
                extensions: extensions(&answer),
                handshake,
            };
            log.emit(Leg::Upstream, EventKind::Open(Box::new(open)))
                .await;
            let client_started = Instant::now();
            let mut sent = None;
            let accepting = tokio_tungstenite::accept_hdr_async_with_config(
                tcp,
                answer::Accept {
                    upstream: &answer,
                    sent: &mut sent,
                },
                Some(ws_config()),
            );
            let accepted = tokio::time::timeout(HANDSHAKE_TIMEOUT, accepting).await;
            match (accepted, sent) {
                (Ok(Ok(client_ws)), Some(sent)) => {
                    let open = OpenInfo {
                        status: sent.status().as_u16(),
                        request_headers: head.headers.clone(),
                        response_headers: upstream::header_pairs(sent.headers()),
                        subprotocol: subprotocol(&sent),
                        extensions: extensions(&sent),
                        handshake: client_started.elapsed() + handshake,
                    };
                    log.emit(Leg::Client, EventKind::Open(Box::new(open))).await;
                    let (control, sides) = intercept::ConnControl::new();
                    intercept.register(log.conn(), control);
                    relay::relay(client_ws, upstream_ws, &log, stopping, &intercept, sides).await;
                    intercept.unregister(log.conn());
                }
                _ => {
                    // The client went away or spoke no WebSocket: the upstream is dropped
                    // as the client dropped.
                    fail(
                        &log,
                        Leg::Client,
                        ErrorCategory::Protocol,
                        "the client's handshake failed",
                        None,
                    )
                    .await;
                    drop(upstream_ws);
                    close_abruptly(&log, Leg::Upstream, Initiator::None).await;
                }
            }
        }
        Err(UpstreamFailure::Refused {
            status,
            headers,
            body,
        }) => {
            let rejection = HttpRejection {
                status,
                headers: headers.clone(),
                body: bytes::Bytes::from(body.clone()),
            };
            let message = format!("the upstream refused the handshake with HTTP {status}");
            fail(
                &log,
                Leg::Upstream,
                ErrorCategory::Http,
                &message,
                Some(rejection.clone()),
            )
            .await;
            close_abruptly(&log, Leg::Upstream, Initiator::Server).await;
            refuse(tcp, upstream::client_refusal(status, &headers, &body)).await;
            let message = format!("the client was refused with the upstream's HTTP {status}");
            fail(
                &log,
                Leg::Client,
                ErrorCategory::Http,
                &message,
                Some(rejection),
            )
            .await;
            close_abruptly(&log, Leg::Client, Initiator::Server).await;
        }
        Err(UpstreamFailure::Failed(why)) => {
            fail(&log, Leg::Upstream, ErrorCategory::Io, &why, None).await;
            close_abruptly(&log, Leg::Upstream, Initiator::None).await;
            refuse(tcp, upstream::bad_gateway(&why)).await;
            let message = "the client was refused with HTTP 502 (the upstream failed)";
            fail(&log, Leg::Client, ErrorCategory::Http, message, None).await;
            close_abruptly(&log, Leg::Client, Initiator::Server).await;
        }
    }
}

/// Answers the client's handshake with `refusal` (written by tungstenite's server side).
async fn refuse(
    tcp: ClientStream,
    refusal: tokio_tungstenite::tungstenite::handshake::server::ErrorResponse,
) {
    let answer = tokio_tungstenite::accept_hdr_async_with_config(
        tcp,
        answer::Refuse(refusal),
        Some(ws_config()),
    );
    let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, answer).await;
}

/// The selected subprotocol of a 101 answer.
fn subprotocol(answer: &Response) -> Option<String> {
    answer
        .headers()
        .get("sec-websocket-protocol")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

async fn fail(
    log: &ConnLog,
    leg: Leg,
    category: ErrorCategory,
    message: &str,
    http: Option<HttpRejection>,
) {
    let error = ErrorInfo {
        category,
        message: message.to_string(),
        http,
    };
    log.emit(leg, EventKind::Error(Box::new(error))).await;
}

async fn close_abruptly(log: &ConnLog, leg: Leg, initiator: Initiator) {
    let close = CloseInfo {
        code: 1006,
        reason: String::new(),
        was_clean: false,
        initiator,
        closing_handshake: None,
    };
    log.emit(leg, EventKind::Close(Box::new(close))).await;
}
