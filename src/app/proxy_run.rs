//! A proxy tab's live proxy: started on the window's runtime, its events handed over
//! through a bounded channel (a window that does not drain holds the relays back), with a
//! wake-up after each so the window repaints. No drawing here.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::engine::{ReadyState, WakeFn};
use crate::proxy::{self, Intercept, ProxyConfig, ProxyEvent, ProxyServer};

/// Events waiting for the window; past it the relays wait.
const EVENT_QUEUE: usize = 1024;

/// A running (or starting, or stopped) proxy.
pub struct ProxyRun {
    starting: Option<oneshot::Receiver<std::io::Result<ProxyServer>>>,
    server: Option<ProxyServer>,
    events: mpsc::Receiver<ProxyEvent>,
    runtime: tokio::runtime::Handle,
    stopped: bool,
}

impl ProxyRun {
    /// Binds and starts the proxy on `runtime`; [`ProxyRun::poll_started`] says how that
    /// went.
    pub fn start(config: ProxyConfig, runtime: &tokio::runtime::Handle, wake: WakeFn) -> Self {
        let (to_window, events) = mpsc::channel(EVENT_QUEUE);
        let (started, starting) = oneshot::channel();
        runtime.spawn(async move {
            let (sender, mut from_proxy) = mpsc::channel(EVENT_QUEUE);
            let server = proxy::start(config, sender).await;
            let failed = server.is_err();
            let _ = started.send(server);
            wake();
            if failed {
                return;
            }
            while let Some(event) = from_proxy.recv().await {
                if to_window.send(event).await.is_err() {
                    break;
                }
                wake();
            }
        });
        Self {
            starting: Some(starting),
            server: None,
            events,
            runtime: runtime.clone(),
            stopped: false,
        }
    }

    /// Once the proxy has bound (or failed to): where it listens, or why not. `None`
    /// before that and after it was said once.
    pub fn poll_started(&mut self) -> Option<Result<SocketAddr, String>> {
        let starting = self.starting.as_mut()?;
        let result = match starting.try_recv() {
            Err(oneshot::error::TryRecvError::Empty) => return None,
            Err(oneshot::error::TryRecvError::Closed) => Err("the proxy did not start".into()),
            Ok(Ok(server)) => {
                let addr = server.addr();
                if self.stopped {
                    self.runtime.spawn(server.shutdown());
                } else {
                    self.server = Some(server);
                }
                Ok(addr)
            }
            Ok(Err(error)) => Err(error.to_string()),
        };
        self.starting = None;
        Some(result)
    }

    /// The next event of any connection, if one waits.
    pub fn try_recv(&mut self) -> Option<ProxyEvent> {
        self.events.try_recv().ok()
    }

    /// The intercept of the running proxy.
    pub fn intercept(&self) -> Option<&Arc<Intercept>> {
        self.server.as_ref().map(ProxyServer::intercept)
    }

    /// Stops accepting and closes every connection's legs with 1001 (their close events
    /// still arrive).
    pub fn stop(&mut self) {
        self.stopped = true;
        if let Some(server) = self.server.take() {
            self.runtime.spawn(server.shutdown());
        }
    }

    /// CONNECTING while binding, OPEN while listening, CLOSED once stopped or failed.
    pub fn ready_state(&self) -> ReadyState {
        if self.server.is_some() {
            ReadyState::Open
        } else if self.starting.is_some() && !self.stopped {
            ReadyState::Connecting
        } else {
            ReadyState::Closed
        }
    }
}
