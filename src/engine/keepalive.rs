//! Keepalive: a ping every interval while OPEN, and what to do when its pong does not come.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Keepalive settings of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Keepalive {
    /// Time between keepalive pings.
    #[serde(with = "super::config::millis")]
    pub interval: Duration,
    /// How long a pong may take.
    #[serde(with = "super::config::millis")]
    pub pong_timeout: Duration,
    /// What a missing pong does.
    pub on_missing_pong: MissingPong,
}

impl Default for Keepalive {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(10),
            on_missing_pong: MissingPong::Warn,
        }
    }
}

/// What a missing keepalive pong does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingPong {
    /// Report an error and keep the connection.
    #[default]
    Warn,
    /// Report an error and close the connection (1001).
    Close,
}

/// The keepalive pings in flight and when the next one is due.
pub(crate) struct KeepaliveState {
    settings: Keepalive,
    next_ping: Instant,
    sent: u64,
    waiting: VecDeque<(Bytes, Instant)>,
}

impl KeepaliveState {
    pub(crate) fn new(settings: Keepalive) -> Self {
        let interval = settings.interval.max(Duration::from_millis(10));
        Self {
            next_ping: Instant::now() + interval,
            settings: Keepalive {
                interval,
                ..settings
            },
            sent: 0,
            waiting: VecDeque::new(),
        }
    }

    /// The next moment something is due: a ping, or a pong's deadline.
    pub(crate) fn next_due(&self) -> Instant {
        self.waiting
            .front()
            .map_or(self.next_ping, |(_, deadline)| {
                (*deadline).min(self.next_ping)
            })
    }

    /// A pong arrived: it answers the keepalive ping with the same payload, if any.
    pub(crate) fn pong(&mut self, payload: &[u8]) {
        if let Some(index) = self.waiting.iter().position(|(p, _)| p.as_ref() == payload) {
            self.waiting.drain(..=index);
        }
    }

    /// What is due now: a ping payload to send, and/or a missed pong's description.
    pub(crate) fn due(&mut self, now: Instant) -> (Option<Bytes>, Option<String>) {
        let mut missed = None;
        if let Some((payload, deadline)) = self.waiting.front()
            && *deadline <= now
        {
            missed = Some(format!(
                "no pong within {} ms for keepalive ping {:?}",
                self.settings.pong_timeout.as_millis(),
                String::from_utf8_lossy(payload)
            ));
            self.waiting.pop_front();
        }
        let mut ping = None;
        if self.next_ping <= now {
            self.sent += 1;
            let payload = Bytes::from(format!("keepalive-{}", self.sent));
            self.waiting
                .push_back((payload.clone(), now + self.settings.pong_timeout));
            self.next_ping = now + self.settings.interval;
            ping = Some(payload);
        }
        (ping, missed)
    }

    /// Whether a missing pong closes the connection.
    pub(crate) fn closes_on_missing_pong(&self) -> bool {
        self.settings.on_missing_pong == MissingPong::Close
    }
}
