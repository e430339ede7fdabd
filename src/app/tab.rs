//! One tab: its connection settings, its live connection (if any), its timeline and the
//! user's unsent input. Plain state and the calls that act on it; no drawing.

use std::time::Instant;

use crate::engine::{ConnectionConfig, ConnectionHandle, EventKind, ReadyState, SendError, WakeFn};
use crate::model::timeline::Timeline;

use super::composer::ComposerState;

/// A tab's connection, timeline and input.
pub struct Tab {
    /// Stable identity, for egui ids and caches.
    pub id: u64,
    /// What the next attempt connects with (edited in the request section).
    pub config: ConnectionConfig,
    /// Every event of every attempt.
    pub timeline: Timeline,
    /// The selected timeline row.
    pub selected: Option<usize>,
    /// Keep the newest row in view.
    pub follow: bool,
    /// The composer and close/ping controls.
    pub composer: ComposerState,
    /// A problem with what the user typed (bad URL, refused send), shown where it happened.
    pub input_error: Option<String>,
    connection: Option<ConnectionHandle>,
    attempts: u32,
    last_close_clean: Option<bool>,
}

impl Tab {
    /// A new tab that will connect to `url`.
    pub fn new(id: u64, url: impl Into<String>) -> Self {
        Self {
            id,
            config: ConnectionConfig::new(url),
            timeline: Timeline::default(),
            selected: None,
            follow: true,
            composer: ComposerState::default(),
            input_error: None,
            connection: None,
            attempts: 0,
            last_close_clean: None,
        }
    }

    /// The readyState of the current attempt (CLOSED when there is none).
    pub fn ready_state(&self) -> ReadyState {
        self.connection
            .as_ref()
            .map_or(ReadyState::Closed, ConnectionHandle::ready_state)
    }

    /// Whether the last attempt ended with a clean close (`None` before any ended).
    pub fn last_close_clean(&self) -> Option<bool> {
        self.last_close_clean
    }

    /// The tab's title: host and path of its URL.
    pub fn title(&self) -> String {
        match url::Url::parse(self.config.url.trim()) {
            Ok(url) => {
                let host = url.host_str().unwrap_or("?");
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{host}{port}{}", url.path())
            }
            Err(_) if self.config.url.trim().is_empty() => "New tab".to_owned(),
            Err(_) => self.config.url.trim().to_owned(),
        }
    }

    /// Starts a new attempt with the tab's config. A bad config is shown at the URL field and
    /// nothing else changes.
    pub fn connect(&mut self, runtime: &tokio::runtime::Handle, wake: WakeFn) {
        if self.ready_state() != ReadyState::Closed {
            return;
        }
        match ConnectionHandle::connect(&self.config, runtime, wake) {
            Ok(handle) => {
                self.connection = Some(handle);
                self.attempts += 1;
                self.input_error = None;
                self.follow = true;
            }
            Err(error) => self.input_error = Some(error.to_string()),
        }
    }

    /// Asks the connection to end: closes cleanly when OPEN, abandons the handshake when
    /// CONNECTING, drops TCP when already CLOSING.
    pub fn disconnect(&mut self) {
        let Some(handle) = &self.connection else {
            return;
        };
        match handle.ready_state() {
            ReadyState::Connecting | ReadyState::Open => {
                let _ = handle.close(1000, "");
            }
            ReadyState::Closing => handle.abort(),
            ReadyState::Closed => {}
        }
    }

    /// Runs `send` against the live connection; a refusal is shown to the user.
    pub fn send_with(
        &mut self,
        send: impl FnOnce(&ConnectionHandle) -> Result<(), SendError>,
    ) -> bool {
        let result = match &self.connection {
            Some(handle) => send(handle),
            None => Err(SendError::NotOpen(ReadyState::Closed)),
        };
        match result {
            Ok(()) => {
                self.input_error = None;
                true
            }
            Err(error) => {
                self.input_error = Some(error.to_string());
                false
            }
        }
    }

    /// Moves waiting events into the timeline until `deadline`; returns true when events
    /// are still waiting (the caller asks for another frame).
    pub fn drain_events(&mut self, deadline: Instant) -> bool {
        let Some(handle) = &mut self.connection else {
            return false;
        };
        let mut finished = false;
        let mut budget_left = true;
        while let Some(event) = handle.try_recv() {
            if let EventKind::Close(close) = &event.kind {
                self.last_close_clean = Some(close.was_clean);
                finished = true;
            }
            self.timeline.push(self.attempts, event);
            if finished {
                break;
            }
            if self.timeline.len().is_multiple_of(256) && Instant::now() >= deadline {
                budget_left = false;
                break;
            }
        }
        if finished {
            self.connection = None;
        }
        !budget_left
    }
}
