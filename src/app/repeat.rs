//! Sending the composer's message again and again at a fixed interval (an application
//! heartbeat, a poll) until the user stops it, the connection leaves OPEN, or a send fails.
//! Plain state and a schedule; the app sends, the composer draws the controls.

use std::time::{Duration, Instant};

use super::action::Draft;

/// The shortest interval offered: faster is a flood, which the demo server's /flood does.
pub const MIN_EVERY: Duration = Duration::from_millis(10);
/// The longest interval offered.
pub const MAX_EVERY: Duration = Duration::from_secs(3600);

/// A running repeat: what is sent, how often, and when next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// The message as it was when the repeat started (variables are expanded per send).
    pub draft: Draft,
    /// The interval between sends.
    pub every: Duration,
    /// How many sends went out.
    pub sent: u64,
    next: Instant,
}

impl Repeat {
    /// A repeat of `draft` every `every` (clamped to [`MIN_EVERY`]..=[`MAX_EVERY`]) whose
    /// first send is due at `now`.
    pub fn start(draft: Draft, every: Duration, now: Instant) -> Self {
        Self {
            draft,
            every: every.clamp(MIN_EVERY, MAX_EVERY),
            sent: 0,
            next: now,
        }
    }

    /// When the next send is due.
    pub fn next_due(&self) -> Instant {
        self.next
    }

    /// Whether a send is due at `now`; if so the schedule moves on by one interval, or to
    /// `now` plus one when the window was held up for longer (no burst to catch up).
    pub fn take_due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next += self.every;
        if self.next <= now {
            self.next = now + self.every;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::MessageFormat;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn sends_at_once_then_every_interval_without_bursts() {
        let t0 = Instant::now();
        let mut repeat = Repeat::start(Draft::new(MessageFormat::Text, "hi"), ms(100), t0);
        assert!(repeat.take_due(t0), "the first send is at once");
        assert!(!repeat.take_due(t0 + ms(99)));
        assert!(repeat.take_due(t0 + ms(100)));
        assert_eq!(repeat.next_due(), t0 + ms(200), "on the original grid");
        // Held up for a second: one send, then the next interval from now.
        assert!(repeat.take_due(t0 + ms(1250)));
        assert!(!repeat.take_due(t0 + ms(1300)));
        assert_eq!(repeat.next_due(), t0 + ms(1350));
    }

    #[test]
    fn the_interval_is_kept_within_bounds() {
        let now = Instant::now();
        let draft = Draft::new(MessageFormat::Text, "x");
        assert_eq!(Repeat::start(draft.clone(), ms(0), now).every, MIN_EVERY);
        assert_eq!(
            Repeat::start(draft, Duration::from_secs(9999), now).every,
            MAX_EVERY
        );
    }
}
