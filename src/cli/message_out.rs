//! A message event's JSON line as `proxy` and `listen` print it, written straight into the
//! printer's buffer: `connect`'s shape with `seq` replaced by the printer's running number,
//! `"redacted":true` when redaction changed the payload, then `"conn"` and, for the proxy,
//! `"leg"`. The same bytes as the `serde_json` value those commands build for other events.

use crate::engine::{Event, EventKind, Leg};
use crate::format::json_bytes;
use crate::format::message_line::{MessageFields, MessageLines, end_line};
use crate::model::redact::Redactor;

/// What a printer adds to an event's line.
#[derive(Clone, Copy, Debug)]
pub(super) struct LineTag {
    /// The printer's running number.
    pub(super) seq: u64,
    /// The client connection.
    pub(super) conn: u64,
    /// The proxy's leg (`listen` has none).
    pub(super) leg: Option<Leg>,
}

/// Appends `event`'s line when it is a message without a wire form (what the relay and the
/// mock server report), its text's clean runs of at least `direct` bytes going to `run`
/// (see [`MessageLines::begin_runs`]); `None` (nothing written) for any other event.
pub(super) fn write_message<E>(
    out: &mut Vec<u8>,
    messages: &mut MessageLines,
    redactor: &Redactor,
    event: &Event,
    tag: LineTag,
    direct: usize,
    run: impl FnMut(&mut Vec<u8>, &[u8]) -> Result<(), E>,
) -> Option<Result<(), E>> {
    let (EventKind::Message { dir, payload }, None) = (&event.kind, &event.wire) else {
        return None;
    };
    let redacted = redactor.payload(payload);
    let fields = MessageFields {
        seq: tag.seq,
        dir: *dir,
        shown: redacted.as_ref().unwrap_or(payload),
        len: payload.len(),
    };
    if let Err(error) = messages.begin_runs(out, event, fields, direct, run) {
        return Some(Err(error));
    }
    if redacted.is_some() {
        out.extend_from_slice(br#","redacted":true"#);
    }
    out.extend_from_slice(br#","conn":"#);
    json_bytes::push_u64(out, tag.conn);
    match tag.leg {
        Some(Leg::Client) => out.extend_from_slice(br#","leg":"client""#),
        Some(Leg::Upstream) => out.extend_from_slice(br#","leg":"upstream""#),
        None => {}
    }
    end_line(out);
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::engine::{Direction, Payload};

    /// The line `listen` and `proxy` build through a JSON value for the same event.
    fn value_line(redactor: &Redactor, event: &Event, tag: LineTag) -> String {
        format!(
            "{}\n",
            super::super::proxy::value_line(redactor, event, tag)
        )
    }

    #[test]
    fn message_lines_with_and_without_a_leg_are_the_json_values_bytes() {
        let mut secrets = Redactor::default();
        secrets.add_header("Authorization", "Bearer tok-123456");
        let payloads = [
            Payload::Text("plain".into()),
            Payload::Text("{\"token\":\"tok-123456\"} \" \n \u{1}".into()),
            Payload::Binary(Bytes::from_static(b"\x00tok-123456\xff")),
        ];
        let mut messages = MessageLines::default();
        for redactor in [Redactor::default(), secrets] {
            for payload in &payloads {
                for leg in [None, Some(Leg::Client), Some(Leg::Upstream)] {
                    let event = Event {
                        wire: None,
                        seq: 4,
                        wall_time: SystemTime::UNIX_EPOCH
                            + Duration::from_micros(1_796_599_725_123_456),
                        offset: Duration::from_micros(2_500),
                        kind: EventKind::Message {
                            dir: Direction::Out,
                            payload: payload.clone(),
                        },
                    };
                    let tag = LineTag {
                        seq: 11,
                        conn: 3,
                        leg,
                    };
                    let mut out = Vec::new();
                    let copy = |out: &mut Vec<u8>, run: &[u8]| {
                        out.extend_from_slice(run);
                        Ok::<(), ()>(())
                    };
                    let written =
                        write_message(&mut out, &mut messages, &redactor, &event, tag, 1, copy);
                    assert_eq!(written, Some(Ok(())));
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        value_line(&redactor, &event, tag)
                    );
                }
            }
        }
    }

    #[test]
    fn other_events_are_left_to_the_json_value() {
        let event = Event {
            wire: None,
            seq: 0,
            wall_time: SystemTime::UNIX_EPOCH,
            offset: Duration::ZERO,
            kind: EventKind::Ping {
                dir: Direction::In,
                payload: Bytes::new(),
            },
        };
        let tag = LineTag {
            seq: 0,
            conn: 1,
            leg: None,
        };
        let mut out = Vec::new();
        let copy = |_: &mut Vec<u8>, _: &[u8]| Ok::<(), ()>(());
        let written = write_message(
            &mut out,
            &mut MessageLines::default(),
            &Redactor::default(),
            &event,
            tag,
            usize::MAX,
            copy,
        );
        assert!(written.is_none() && out.is_empty());
    }
}
