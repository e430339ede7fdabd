//! When to try again after an attempt ends: off, a fixed delay, or exponential backoff with
//! jitter, up to a number of attempts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::event::{CloseInfo, Initiator};

/// How long to wait between attempts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReconnectDelay {
    /// Never reconnect.
    #[default]
    Off,
    /// Always the same delay.
    Fixed(#[serde(with = "super::config::millis")] Duration),
    /// `initial`, doubling each time up to `max`, each delay drawn at random from its upper
    /// half ("equal jitter") so that many clients do not return in step.
    Backoff {
        /// The first delay.
        #[serde(with = "super::config::millis")]
        initial: Duration,
        /// The longest delay.
        #[serde(with = "super::config::millis")]
        max: Duration,
    },
}

/// A tab's or a command's reconnect policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReconnectPolicy {
    /// The delay between attempts (or off).
    pub delay: ReconnectDelay,
    /// How many reconnects at most after the first attempt (0: unlimited).
    pub max_reconnects: u32,
}

impl ReconnectPolicy {
    /// Whether an attempt that ended with `close` calls for another: yes unless we closed on
    /// purpose (a close we started that completed cleanly), or reconnecting is off.
    pub fn wants_another(&self, close: &CloseInfo) -> bool {
        let closed_on_purpose = close.initiator == Initiator::Client && close.was_clean;
        self.delay != ReconnectDelay::Off && !closed_on_purpose
    }

    /// The delay before reconnect number `reconnect` (1 for the first reconnect), or `None`
    /// when the policy allows no more. `random` is a number in [0, 1) for the jitter.
    pub fn delay_before(&self, reconnect: u32, random: f64) -> Option<Duration> {
        if reconnect == 0 || (self.max_reconnects != 0 && reconnect > self.max_reconnects) {
            return None;
        }
        match self.delay {
            ReconnectDelay::Off => None,
            ReconnectDelay::Fixed(delay) => Some(delay),
            ReconnectDelay::Backoff { initial, max } => {
                let doublings = (reconnect - 1).min(30);
                let ceiling = initial.saturating_mul(1 << doublings).min(max.max(initial));
                let half = ceiling / 2;
                Some(half + half.mul_f64(random.clamp(0.0, 1.0)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(code: u16, clean: bool, initiator: Initiator) -> CloseInfo {
        CloseInfo {
            code,
            reason: String::new(),
            was_clean: clean,
            initiator,
            closing_handshake: None,
        }
    }

    #[test]
    fn reconnects_unless_off_or_closed_on_purpose() {
        let policy = ReconnectPolicy {
            delay: ReconnectDelay::Fixed(Duration::from_secs(1)),
            max_reconnects: 3,
        };
        assert!(policy.wants_another(&close(1006, false, Initiator::None)));
        assert!(policy.wants_another(&close(1001, true, Initiator::Server)));
        assert!(
            policy.wants_another(&close(1006, false, Initiator::Client)),
            "a close timeout"
        );
        assert!(!policy.wants_another(&close(1000, true, Initiator::Client)));
        assert!(!ReconnectPolicy::default().wants_another(&close(1006, false, Initiator::None)));
    }

    #[test]
    fn fixed_delays_stop_after_the_maximum() {
        let policy = ReconnectPolicy {
            delay: ReconnectDelay::Fixed(Duration::from_millis(250)),
            max_reconnects: 2,
        };
        assert_eq!(
            policy.delay_before(1, 0.9),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            policy.delay_before(2, 0.1),
            Some(Duration::from_millis(250))
        );
        assert_eq!(policy.delay_before(3, 0.5), None);
        let unlimited = ReconnectPolicy {
            max_reconnects: 0,
            ..policy
        };
        assert!(unlimited.delay_before(1000, 0.5).is_some());
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_maximum() {
        let policy = ReconnectPolicy {
            delay: ReconnectDelay::Backoff {
                initial: Duration::from_millis(100),
                max: Duration::from_secs(1),
            },
            max_reconnects: 0,
        };
        assert_eq!(policy.delay_before(1, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(
            policy.delay_before(1, 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            policy.delay_before(2, 1.0),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            policy.delay_before(3, 0.5),
            Some(Duration::from_millis(300))
        );
        assert_eq!(
            policy.delay_before(10, 1.0),
            Some(Duration::from_secs(1)),
            "capped"
        );
        assert_eq!(
            policy.delay_before(64, 1.0),
            Some(Duration::from_secs(1)),
            "no overflow"
        );
    }
}
