//! A message event's JSON line written straight into a byte buffer: the same bytes as
//! [`super::event_json::event_json`] gives for it (with `seq` and `len` as the caller
//! says), then the caller's own fields. The command line prints one such line per message
//! (two through the proxy, one per leg), so this path builds no `serde_json::Value`, copies
//! the payload only into the line itself, and formats the wall-clock time's date and
//! seconds once per second rather than once per line.

use std::time::{SystemTime, UNIX_EPOCH};

use super::json_bytes::{push_hex_str, push_millis, push_str, push_str_runs, push_u64};
use crate::engine::{Direction, Event, Payload};

/// Writes message lines; keeps the last second's formatted date and time.
#[derive(Debug, Default)]
pub struct MessageLines {
    /// The last whole second seen since the epoch and its RFC 3339 text up to and including
    /// the decimal point (`2026-12-06T23:28:45.`).
    second: Option<(u64, String)>,
}

/// The parts of a message line that are not in the event itself.
#[derive(Clone, Copy, Debug)]
pub struct MessageFields<'a> {
    /// The line's `seq` (the printer's running number, not the event's own).
    pub seq: u64,
    /// Which way the message went.
    pub dir: Direction,
    /// The payload as it may be shown (redacted or not).
    pub shown: &'a Payload,
    /// The payload's size on the wire (`len`), whatever redaction made of it.
    pub len: usize,
}

impl MessageLines {
    /// Appends `{"seq":…,"t_ms":…,"event":"message","time":…,"dir":…,"type":…,"len":…,`
    /// and `"text":…` or `"hex":…`, without the closing brace: add fields with
    /// [`push_key`](super::json_bytes::push_key) and their values, then [`end_line`].
    pub fn begin(&mut self, out: &mut Vec<u8>, event: &Event, fields: MessageFields<'_>) {
        let copy = |out: &mut Vec<u8>, run: &[u8]| {
            out.extend_from_slice(run);
            Ok::<(), std::convert::Infallible>(())
        };
        // Copying cannot fail.
        let _ = self.begin_runs(out, event, fields, usize::MAX, copy);
    }

    /// [`MessageLines::begin`], except that the runs of a text of at least `direct` bytes
    /// that need no escape go to `run` instead of into `out` (see [`push_str_runs`]): a
    /// large text is written out from the payload itself, not copied into the line first.
    pub fn begin_runs<E>(
        &mut self,
        out: &mut Vec<u8>,
        event: &Event,
        fields: MessageFields<'_>,
        direct: usize,
        run: impl FnMut(&mut Vec<u8>, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        out.extend_from_slice(br#"{"seq":"#);
        push_u64(out, fields.seq);
        out.extend_from_slice(br#","t_ms":"#);
        push_millis(
            out,
            u64::try_from(event.offset.as_micros()).unwrap_or(u64::MAX),
        );
        out.extend_from_slice(br#","event":"message","time":"#);
        self.push_time(out, event.wall_time);
        out.extend_from_slice(match fields.dir {
            Direction::In => br#","dir":"in""#.as_slice(),
            Direction::Out => br#","dir":"out""#.as_slice(),
        });
        match fields.shown {
            Payload::Text(text) => {
                out.extend_from_slice(br#","type":"text","len":"#);
                push_u64(out, fields.len as u64);
                out.extend_from_slice(br#","text":"#);
                if text.len() < direct {
                    out.reserve(text.len() + 2);
                }
                push_str_runs(out, text.as_str(), direct, run)
            }
            Payload::Binary(bytes) => {
                out.extend_from_slice(br#","type":"binary","len":"#);
                push_u64(out, fields.len as u64);
                out.extend_from_slice(br#","hex":"#);
                push_hex_str(out, bytes);
                Ok(())
            }
        }
    }

    /// The time as `event_json` writes it: RFC 3339 in UTC with microseconds, quoted.
    fn push_time(&mut self, out: &mut Vec<u8>, time: SystemTime) {
        let Ok(since_epoch) = time.duration_since(UNIX_EPOCH) else {
            push_str(out, &rfc3339_micros(time));
            return;
        };
        let second = since_epoch.as_secs();
        let prefix = match &self.second {
            Some((cached, prefix)) if *cached == second => prefix,
            _ => {
                let whole = UNIX_EPOCH + std::time::Duration::from_secs(second);
                let text = rfc3339_micros(whole);
                // `….000000Z`: everything up to the decimal point is this second's.
                let Some(point) = text.rfind('.') else {
                    push_str(out, &rfc3339_micros(time));
                    return;
                };
                &self.second.insert((second, text[..=point].to_owned())).1
            }
        };
        out.push(b'"');
        out.extend_from_slice(prefix.as_bytes());
        let micros = since_epoch.subsec_micros();
        let mut digits = [b'0'; 6];
        let mut rest = micros;
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        out.extend_from_slice(&digits);
        out.extend_from_slice(b"Z\"");
    }
}

/// Closes a line begun with [`MessageLines::begin`]: `}` and a newline.
pub fn end_line(out: &mut Vec<u8>) {
    out.extend_from_slice(b"}\n");
}

/// `time` as `event_json` formats it.
fn rfc3339_micros(time: SystemTime) -> String {
    let time: chrono::DateTime<chrono::Utc> = time.into();
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use serde_json::json;

    use super::*;
    use crate::engine::EventKind;
    use crate::format::event_json::event_json;

    fn message(dir: Direction, payload: Payload, wall_time: SystemTime, offset: Duration) -> Event {
        Event {
            wire: None,
            seq: 7,
            wall_time,
            offset,
            kind: EventKind::Message { dir, payload },
        }
    }

    /// The fast line next to the `serde_json` one, for the same event and `seq`.
    fn both(lines: &mut MessageLines, event: &Event, seq: u64) -> (String, String) {
        let EventKind::Message { dir, payload } = &event.kind else {
            unreachable!()
        };
        let mut out = Vec::new();
        lines.begin(
            &mut out,
            event,
            MessageFields {
                seq,
                dir: *dir,
                shown: payload,
                len: payload.len(),
            },
        );
        end_line(&mut out);
        let mut value = event_json(event);
        value["seq"] = json!(seq);
        (String::from_utf8(out).unwrap(), format!("{value}\n"))
    }

    #[test]
    fn lines_are_the_bytes_event_json_gives() {
        let mut lines = MessageLines::default();
        let payloads = [
            Payload::Text("".into()),
            Payload::Text("hello".into()),
            Payload::Text("{\"a\":\"b\\n\"}\n\t\u{0}\u{1f}\u{7f} é 日本 🦀".into()),
            Payload::Binary(Bytes::new()),
            Payload::Binary(Bytes::from_static(b"\x00\x01\xfe\xff binary")),
        ];
        let times = [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_micros(1),
            UNIX_EPOCH + Duration::new(1_796_599_725, 999_999_999),
            UNIX_EPOCH + Duration::new(1_796_599_726, 1_000),
            UNIX_EPOCH + Duration::new(1_796_599_726, 500_000_000),
            UNIX_EPOCH + Duration::new(4_102_444_800, 123_456_789),
            SystemTime::now(),
        ];
        let offsets = [
            Duration::ZERO,
            Duration::from_nanos(999),
            Duration::from_micros(1500),
            Duration::from_micros(1_000_001),
            Duration::from_secs(86_400 * 400) + Duration::from_nanos(123_456_789),
        ];
        for payload in &payloads {
            for &time in &times {
                for &offset in &offsets {
                    for dir in [Direction::In, Direction::Out] {
                        let event = message(dir, payload.clone(), time, offset);
                        for seq in [0, 1, 12_345, u64::MAX] {
                            let (fast, slow) = both(&mut lines, &event, seq);
                            assert_eq!(fast, slow);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_time_before_the_epoch_is_written_as_chrono_writes_it() {
        let mut lines = MessageLines::default();
        let event = message(
            Direction::In,
            Payload::Text("x".into()),
            UNIX_EPOCH - Duration::from_micros(1_500_001),
            Duration::ZERO,
        );
        let (fast, slow) = both(&mut lines, &event, 1);
        assert_eq!(fast, slow);
    }
}
