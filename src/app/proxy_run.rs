//! A proxy tab's live proxy, or a server tab's mock server: started on the window's
//! runtime, its events handed over through a bounded channel (a window that does not
//! drain holds the connections back), with a wake-up after each so the window repaints.
//! No drawing here.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::engine::{ReadyState, WakeFn};
use crate::mock::control::MockControl;
use crate::mock::{self, MockConfig, MockServer};
use crate::proxy::{self, Intercept, ProxyConfig, ProxyEvent, ProxyServer};

/// What runs: the proxy or the mock server.
enum Served {
    Proxy(ProxyServer),
    Mock(MockServer),
}

impl Served {
    fn addr(&self) -> SocketAddr {
        match self {
            Served::Proxy(server) => server.addr(),
            Served::Mock(server) => server.addr(),
        }
    }

    /// Closes every connection with 1001, on `runtime`.
    fn shut_down(self, runtime: &tokio::runtime::Handle) {
        match self {
            Served::Proxy(server) => runtime.spawn(server.shutdown()),
            Served::Mock(server) => runtime.spawn(server.shutdown()),
        };
    }
}

/// Events waiting for the window; past it the relays wait.
const EVENT_QUEUE: usize = 1024;

/// A running (or starting, or stopped) proxy.
pub struct ProxyRun {
    starting: Option<oneshot::Receiver<std::io::Result<Served>>>,
    server: Option<Served>,
    events: mpsc::Receiver<ProxyEvent>,
    runtime: tokio::runtime::Handle,
    stopped: bool,
}

impl ProxyRun {
    /// Binds and starts the proxy on `runtime`; [`ProxyRun::poll_started`] says how that
    /// went.
    pub fn start(config: ProxyConfig, runtime: &tokio::runtime::Handle, wake: WakeFn) -> Self {
        Self::serve(runtime, wake, |sender| async move {
            proxy::start(config, sender).await.map(Served::Proxy)
        })
    }

    /// Binds and starts the mock server on `runtime` (see [`ProxyRun::start`]).
    pub fn start_mock(config: MockConfig, runtime: &tokio::runtime::Handle, wake: WakeFn) -> Self {
        Self::serve(runtime, wake, |sender| async move {
            mock::start(config, sender).await.map(Served::Mock)
        })
    }

    fn serve<F, Fut>(runtime: &tokio::runtime::Handle, wake: WakeFn, start: F) -> Self
    where
        F: FnOnce(mpsc::Sender<ProxyEvent>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = std::io::Result<Served>> + Send,
    {
        let (to_window, events) = mpsc::channel(EVENT_QUEUE);
        let (started, starting) = oneshot::channel();
        runtime.spawn(async move {
            let (sender, mut from_proxy) = mpsc::channel(EVENT_QUEUE);
            let server = start(sender).await;
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
                    server.shut_down(&self.runtime);
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
        match self.server.as_ref()? {
            Served::Proxy(server) => Some(server.intercept()),
            Served::Mock(_) => None,
        }
    }

    /// The running mock server's hand controls.
    pub fn mock_control(&self) -> Option<&Arc<MockControl>> {
        match self.server.as_ref()? {
            Served::Mock(server) => Some(server.control()),
            Served::Proxy(_) => None,
        }
    }

    /// Stops accepting and closes every connection's legs with 1001 (their close events
    /// still arrive).
    pub fn stop(&mut self) {
        self.stopped = true;
        if let Some(server) = self.server.take() {
            server.shut_down(&self.runtime);
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
