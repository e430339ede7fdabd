//! What a replay sends and expects, taken from one recorded attempt.

use std::time::Duration;

use bytes::Bytes;

use super::ReplayError;
use super::compare::MessageRef;
use crate::engine::close_code;
use crate::engine::{CloseInfo, Direction, EventKind, Initiator, Leg, Payload};
use crate::model::timeline::TimelineEntry;

/// Something the replay sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendAction {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping with this payload.
    Ping(Bytes),
    /// An unsolicited pong with this payload (automatic pongs are not replayed: the engine
    /// answers pings by itself).
    Pong(Bytes),
    /// An operation in the tab's protocol (a recorded unit sent again through the new
    /// connection's protocol session, which gives it fresh ids and does its acks).
    Op(serde_json::Value),
}

/// One send, at its recorded time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptedSend {
    /// Time after the recorded open event at which it was sent.
    pub at: Duration,
    /// The index of the recorded event in the tab's timeline.
    pub index: usize,
    /// What to send.
    pub action: SendAction,
}

/// One recorded attempt, ready to replay.
#[derive(Clone, Debug)]
pub struct ReplayScript {
    /// The recorded attempt this script comes from.
    pub attempt: u32,
    /// The outgoing messages, pings and unsolicited pongs, in order.
    pub sends: Vec<ScriptedSend>,
    /// The recorded incoming messages, in order (indices into the tab's timeline).
    pub expected: Vec<MessageRef>,
    /// The recorded close; `None` when the recording has none (e.g. a HAR import).
    pub close: Option<CloseInfo>,
    /// When the recording ended, after its open: the start of the closing handshake for a
    /// close, else the last event.
    pub end_at: Duration,
    /// For a tab that speaks a protocol: how many of the protocol's incoming handshake and
    /// heartbeat messages the recording had received before its first send. The replay
    /// sends nothing until as many have arrived (its own handshake is done), and the times
    /// of `sends` and `end_at` count from then. 0 for plain WebSocket.
    pub ready_after: usize,
}

impl ReplayScript {
    /// The script of `attempt`, or by default of the last attempt that opened (the last
    /// attempt when none did). An empty timeline is an error. A proxy recording (entries
    /// marked with legs) plays its client leg's sends (see [`ReplayScript::playing`]).
    pub fn from_entries(
        entries: &[TimelineEntry],
        attempt: Option<u32>,
    ) -> Result<Self, ReplayError> {
        Self::playing(entries, attempt, Leg::Client)
    }

    /// [`ReplayScript::from_entries`] for a proxy recording, whose entries are marked with
    /// the leg they happened on: the replay is always the upstream leg again (Sockscope as
    /// the client of the real server), expecting what the server sent on it; `play` picks
    /// whose sends go: [`Leg::Client`] sends what the client sent (as it arrived at the
    /// proxy, before intercept edits), [`Leg::Upstream`] what the proxy passed to the
    /// server (edits, drops and injections included). Unmarked entries read as always.
    pub fn playing(
        entries: &[TimelineEntry],
        attempt: Option<u32>,
        play: Leg,
    ) -> Result<Self, ReplayError> {
        let chosen = match attempt {
            Some(attempt) => {
                if !entries.iter().any(|e| e.attempt == attempt) {
                    return Err(ReplayError::NoSuchAttempt(attempt));
                }
                attempt
            }
            None => entries
                .iter()
                .rev()
                .find(|e| matches!(e.event.kind, EventKind::Open(_)))
                .or(entries.last())
                .map(|e| e.attempt)
                .ok_or(ReplayError::NothingRecorded)?,
        };
        let of_attempt = || {
            entries
                .iter()
                .enumerate()
                .filter(move |(_, e)| e.attempt == chosen)
        };
        let opened_at = of_attempt()
            .filter(|(_, e)| e.leg != Some(Leg::Client))
            .find_map(|(_, e)| matches!(e.event.kind, EventKind::Open(_)).then_some(e.event.offset))
            .unwrap_or_default();
        let since_open = |offset: Duration| offset.saturating_sub(opened_at);
        let mut sends = Vec::new();
        let mut expected = Vec::new();
        let mut close = None;
        let mut end_at = Duration::ZERO;
        for (index, entry) in of_attempt() {
            let event = &entry.event;
            // The direction whose messages are sent: `in` on the client leg (what the
            // client sent), `out` elsewhere; `None`: the entry takes no part.
            let Some(sent) = sent_direction(entry.leg, play, &event.kind) else {
                continue;
            };
            let at = since_open(event.offset);
            end_at = end_at.max(at);
            let action = match &event.kind {
                EventKind::Message { dir, payload } if *dir == sent => Some(match payload {
                    Payload::Text(text) => SendAction::Text(text.as_str().to_owned()),
                    Payload::Binary(bytes) => SendAction::Binary(bytes.clone()),
                }),
                EventKind::Ping { dir, payload } if *dir == sent => {
                    Some(SendAction::Ping(payload.clone()))
                }
                EventKind::Pong {
                    dir,
                    payload,
                    auto: false,
                } if *dir == sent => Some(SendAction::Pong(payload.clone())),
                EventKind::Message {
                    dir: Direction::In,
                    payload,
                } if sent == Direction::Out => {
                    expected.push(MessageRef {
                        index,
                        offset: event.offset,
                        payload: payload.clone(),
                        not_kept: None,
                    });
                    None
                }
                EventKind::Close(info) => {
                    end_at = at.saturating_sub(info.closing_handshake.unwrap_or_default());
                    close = Some((**info).clone());
                    None
                }
                _ => None,
            };
            if let Some(action) = action {
                sends.push(ScriptedSend { at, index, action });
            }
        }
        Ok(Self {
            attempt: chosen,
            sends,
            expected,
            close,
            end_at,
            ready_after: 0,
        })
    }

    /// The close to send when the replay ends it: the recorded one when the client closed
    /// in the recording with a code that may be sent, else 1000 with no reason.
    pub fn client_close(&self) -> (u16, String) {
        match &self.close {
            Some(close)
                if close.initiator == Initiator::Client
                    && close_code::check_sendable(close.code).is_ok() =>
            {
                (close.code, close.reason.clone())
            }
            _ => (1000, String::new()),
        }
    }

    /// True when the recording ended by the client's doing (or has no close): the replay
    /// may close once everything expected has arrived. Otherwise it waits for the server.
    pub fn client_ends(&self) -> bool {
        self.close
            .as_ref()
            .is_none_or(|close| close.initiator == Initiator::Client)
    }

    /// How long the recording went on after its last send (or its open): from there to
    /// [`ReplayScript::end_at`].
    pub fn tail(&self) -> Duration {
        let last_send = self.sends.last().map(|s| s.at).unwrap_or_default();
        self.end_at.saturating_sub(last_send)
    }

    /// How long to wait after the last send for the server (see [`super::ReplayOptions`]):
    /// twice the recorded tail plus half a second, at least 1 s and at most 30 s.
    pub fn default_grace(&self) -> Duration {
        self.tail()
            .saturating_mul(2)
            .saturating_add(Duration::from_millis(500))
            .clamp(Duration::from_secs(1), Duration::from_secs(30))
    }
}

/// Which direction of an entry on `leg` the replay of `play`'s sends sends (see
/// [`ReplayScript::playing`]); `None` when the entry takes no part in it.
fn sent_direction(leg: Option<Leg>, play: Leg, kind: &EventKind) -> Option<Direction> {
    let outgoing = matches!(
        kind,
        EventKind::Message {
            dir: Direction::Out,
            ..
        } | EventKind::Ping {
            dir: Direction::Out,
            ..
        } | EventKind::Pong {
            dir: Direction::Out,
            ..
        }
    );
    match (leg, play) {
        (None, _) | (Some(Leg::Upstream), Leg::Upstream) => Some(Direction::Out),
        // The server's side is always the upstream leg's; the client's sends replace the
        // upstream leg's.
        (Some(Leg::Upstream), Leg::Client) => (!outgoing).then_some(Direction::Out),
        (Some(Leg::Client), Leg::Client) => {
            let incoming = matches!(
                kind,
                EventKind::Message {
                    dir: Direction::In,
                    ..
                } | EventKind::Ping {
                    dir: Direction::In,
                    ..
                } | EventKind::Pong {
                    dir: Direction::In,
                    ..
                }
            );
            incoming.then_some(Direction::In)
        }
        (Some(Leg::Client), Leg::Upstream) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::engine::{Event, OpenInfo};

    fn entry(attempt: u32, offset: Duration, kind: EventKind) -> TimelineEntry {
        TimelineEntry {
            attempt,
            event: Event {
                wire: None,
                seq: 0,
                wall_time: SystemTime::now(),
                offset,
                kind,
            },
            leg: None,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn sends_are_timed_from_open_and_auto_pongs_are_left_to_the_engine() {
        let text = |dir, t: &str| EventKind::Message {
            dir,
            payload: Payload::Text(t.to_owned().into()),
        };
        let entries = vec![
            entry(
                1,
                ms(0),
                EventKind::Connecting {
                    url: "ws://a/".into(),
                },
            ),
            entry(1, ms(5), EventKind::open(OpenInfo::default())),
            entry(1, ms(7), text(Direction::Out, "old attempt")),
            entry(
                2,
                ms(0),
                EventKind::Connecting {
                    url: "ws://a/".into(),
                },
            ),
            entry(2, ms(10), EventKind::open(OpenInfo::default())),
            entry(2, ms(15), text(Direction::Out, "a")),
            entry(2, ms(16), text(Direction::In, "a")),
            entry(
                2,
                ms(20),
                EventKind::Pong {
                    dir: Direction::Out,
                    payload: Bytes::new(),
                    auto: true,
                },
            ),
            entry(
                2,
                ms(30),
                EventKind::Ping {
                    dir: Direction::Out,
                    payload: Bytes::from_static(b"x"),
                },
            ),
            entry(
                2,
                ms(90),
                EventKind::Close(Box::new(CloseInfo {
                    code: 1006,
                    reason: String::new(),
                    was_clean: false,
                    initiator: Initiator::Client,
                    closing_handshake: Some(ms(10)),
                })),
            ),
        ];
        let script = ReplayScript::from_entries(&entries, None).unwrap();
        assert_eq!(script.attempt, 2);
        let sends: Vec<(Duration, usize)> = script.sends.iter().map(|s| (s.at, s.index)).collect();
        assert_eq!(sends, [(ms(5), 5), (ms(20), 8)]);
        assert_eq!(script.expected.len(), 1);
        assert_eq!(script.expected[0].index, 6);
        assert_eq!(
            script.end_at,
            ms(70),
            "the close started 10 ms before it ended"
        );
        assert_eq!(script.tail(), ms(50));
        assert_eq!(script.default_grace(), Duration::from_secs(1));
        assert_eq!(
            script.client_close(),
            (1000, String::new()),
            "1006 cannot be sent"
        );
        assert!(script.client_ends());
        let first = ReplayScript::from_entries(&entries, Some(1)).unwrap();
        assert_eq!(first.sends[0].at, ms(2));
        assert!(first.close.is_none() && first.client_ends());
        assert!(matches!(
            ReplayScript::from_entries(&entries, Some(3)),
            Err(ReplayError::NoSuchAttempt(3))
        ));
        assert!(matches!(
            ReplayScript::from_entries(&[], None),
            Err(ReplayError::NothingRecorded)
        ));
    }

    #[test]
    fn absurd_offsets_do_not_overflow() {
        let entries = vec![entry(
            1,
            Duration::from_micros(u64::MAX),
            EventKind::Connecting {
                url: "ws://a/".into(),
            },
        )];
        let script = ReplayScript::from_entries(&entries, None).unwrap();
        assert_eq!(script.default_grace(), Duration::from_secs(30));
    }

    #[test]
    fn a_proxy_recording_plays_the_client_legs_or_the_upstream_legs_sends() {
        let text = |dir, t: &str| EventKind::Message {
            dir,
            payload: Payload::Text(t.into()),
        };
        let on = |leg, offset_ms, kind| TimelineEntry {
            leg: Some(leg),
            ..entry(1, Duration::from_millis(offset_ms), kind)
        };
        let entries = vec![
            on(Leg::Upstream, 0, EventKind::open(Default::default())),
            on(Leg::Client, 1, EventKind::open(Default::default())),
            // The client sent "a"; an intercept edit passed "A" on; the proxy injected "i".
            on(Leg::Client, 10, text(Direction::In, "a")),
            on(Leg::Upstream, 12, text(Direction::Out, "A")),
            on(Leg::Upstream, 13, text(Direction::Out, "i")),
            on(Leg::Upstream, 20, text(Direction::In, "echo A")),
            on(Leg::Client, 21, text(Direction::Out, "echo A")),
        ];
        let sent = |play| {
            let script = ReplayScript::playing(&entries, None, play).unwrap();
            let sends: Vec<_> = script
                .sends
                .iter()
                .map(|s| (s.at, s.action.clone()))
                .collect();
            let expected: Vec<_> = script.expected.iter().map(|m| m.index).collect();
            (sends, expected)
        };
        let ms = Duration::from_millis;
        assert_eq!(
            sent(Leg::Client),
            (vec![(ms(10), SendAction::Text("a".into()))], vec![5])
        );
        assert_eq!(
            sent(Leg::Upstream),
            (
                vec![
                    (ms(12), SendAction::Text("A".into())),
                    (ms(13), SendAction::Text("i".into()))
                ],
                vec![5]
            )
        );
    }
}
