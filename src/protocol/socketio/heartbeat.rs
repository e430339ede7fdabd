//! Engine.IO heartbeats. Engine.IO 4: the server pings every `pingInterval` and the client
//! answers. Engine.IO 3: the client pings every `pingInterval` and the server answers.
//! Either way, a server silent for `pingInterval + pingTimeout` is gone.

use std::time::Duration;

use super::packet::OpenInfo;

/// The shortest ping interval believed (a smaller one would flood the server).
const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// The longest interval or timeout believed (a larger one is treated as this).
const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// When to ping and when to give up. Times are since the attempt started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    /// When the server was last heard from.
    heard_at: Duration,
    /// Engine.IO 3: when the client pings next.
    next_ping: Option<Duration>,
}

impl Heartbeat {
    /// The heartbeat the open packet asks for, starting `now`.
    pub fn new(open: &OpenInfo, v3: bool, now: Duration) -> Self {
        let interval = Duration::from_millis(open.ping_interval).clamp(MIN_INTERVAL, MAX_WAIT);
        let timeout = Duration::from_millis(open.ping_timeout).min(MAX_WAIT);
        Self {
            interval,
            timeout,
            heard_at: now,
            next_ping: v3.then(|| now.saturating_add(interval)),
        }
    }

    /// Something came from the server at `now`.
    pub fn heard(&mut self, now: Duration) {
        self.heard_at = self.heard_at.max(now);
    }

    /// When the server counts as gone if nothing comes before.
    fn silent_deadline(&self) -> Duration {
        self.heard_at
            .saturating_add(self.interval)
            .saturating_add(self.timeout)
    }

    /// The next moment something is due.
    pub fn next_due(&self) -> Duration {
        let silent = self.silent_deadline();
        self.next_ping.map_or(silent, |ping| ping.min(silent))
    }

    /// True when the server has been silent too long at `now`.
    pub fn silent_too_long(&self, now: Duration) -> bool {
        now >= self.silent_deadline()
    }

    /// True when the client should ping at `now` (Engine.IO 3); the next ping is then
    /// planned one interval later.
    pub fn ping_due(&mut self, now: Duration) -> bool {
        match self.next_ping {
            Some(at) if now >= at => {
                self.next_ping = Some(now.saturating_add(self.interval));
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(interval: u64, timeout: u64) -> OpenInfo {
        OpenInfo {
            sid: "s".into(),
            upgrades: Vec::new(),
            ping_interval: interval,
            ping_timeout: timeout,
            max_payload: None,
        }
    }

    #[test]
    fn hostile_intervals_are_bounded() {
        let beat = Heartbeat::new(&open(0, 0), true, Duration::ZERO);
        assert_eq!(beat.next_due(), MIN_INTERVAL);
        let beat = Heartbeat::new(&open(u64::MAX, u64::MAX), false, Duration::ZERO);
        assert_eq!(beat.next_due(), MAX_WAIT * 2);
    }

    #[test]
    fn hearing_from_the_server_moves_the_deadline() {
        let mut beat = Heartbeat::new(&open(300, 200), false, Duration::ZERO);
        assert!(!beat.silent_too_long(Duration::from_millis(499)));
        beat.heard(Duration::from_millis(400));
        assert!(!beat.silent_too_long(Duration::from_millis(899)));
        assert!(beat.silent_too_long(Duration::from_millis(900)));
        assert!(
            !beat.ping_due(Duration::from_secs(5)),
            "Engine.IO 4 clients do not ping"
        );
    }
}
