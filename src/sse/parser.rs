//! The `text/event-stream` format, as the WHATWG HTML standard's EventSource parses it:
//! incremental (any split of the bytes gives the same items), lossless about what a browser
//! would see, and total (no input makes it panic).
//!
//! - Lines end with CRLF, LF or CR; a CR at the end of one chunk and an LF at the start of
//!   the next are one line break.
//! - One UTF-8 byte order mark at the very start of the stream is skipped. Bytes that are
//!   not UTF-8 are decoded with U+FFFD, as a browser does.
//! - `:` starts a comment. `field: value` sets a field (one space after the colon is
//!   dropped); a line without a colon is a field with an empty value.
//! - `event` sets the type, `data` appends a line, `id` sets the last event id (unless it
//!   contains NUL), `retry` (ASCII digits only) sets the reconnection time; other fields
//!   are ignored.
//! - A blank line dispatches the event if it has data; its type defaults to `message`. A
//!   block the stream ends in the middle of is not dispatched.

use std::time::Duration;

use crate::engine::SseMessage;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The event type of an event without an `event` field.
pub const DEFAULT_EVENT_TYPE: &str = "message";

/// Something the parser found in the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseItem {
    /// A dispatched event.
    Event(SseMessage),
    /// A comment line, without the colon and the one space after it.
    Comment(String),
    /// A valid `retry` field: the new reconnection time (it applies at once, even if the
    /// block is never dispatched).
    Retry(Duration),
}

/// Why the parser gave up on a stream.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A line or an event's data grew past the limit.
    #[error("an event or line is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// An incremental `text/event-stream` parser for one response body. The last event id is
/// the only state that outlives a connection: seed the next connection's parser with
/// [`Parser::last_event_id`].
#[derive(Debug)]
pub struct Parser {
    /// How many bytes of the BOM matched so far; `None` once the start is behind us.
    bom_matched: Option<usize>,
    /// The current line's bytes (without its line break).
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF at the start of this one belongs to it.
    after_cr: bool,
    /// The `event` field of the current block.
    event_type: String,
    /// The `data` lines of the current block, each followed by `\n`.
    data: String,
    /// The `id` field of the current block, if any.
    block_id: Option<String>,
    /// The `retry` field of the current block, if any.
    block_retry: Option<Duration>,
    /// The last event ID buffer: set by `id`, kept across blocks.
    id_buffer: String,
    /// The last event ID string: the buffer, as of the latest blank line; shared by the
    /// events dispatched while it stays the same.
    last_event_id: std::sync::Arc<str>,
    /// Largest line and largest data, in bytes.
    limit: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new(String::new(), usize::MAX)
    }
}

impl Parser {
    /// A parser for a new stream that starts with `last_event_id` (empty for none) and
    /// refuses lines and events larger than `limit` bytes.
    pub fn new(last_event_id: String, limit: usize) -> Self {
        Self {
            bom_matched: Some(0),
            line: Vec::new(),
            after_cr: false,
            event_type: String::new(),
            data: String::new(),
            block_id: None,
            block_retry: None,
            last_event_id: std::sync::Arc::from(last_event_id.as_str()),
            id_buffer: last_event_id,
            limit,
        }
    }

    /// The last event id as of the latest blank line (what a reconnect sends).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Parses the next chunk of the body and appends what it completes to `out`. After an
    /// error the stream must be abandoned; items before the error are in `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseItem>) -> Result<(), ParseError> {
        let mut rest = chunk;
        if let Some(matched) = self.bom_matched {
            rest = self.skip_bom(matched, rest)?;
        }
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.append(&rest[..end])?;
            self.end_line(out)?;
            let is_cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if is_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.append(rest)
    }

    /// Parses a whole body at once (for tests and tools).
    pub fn parse_all(&mut self, body: &[u8]) -> Result<Vec<SseItem>, ParseError> {
        let mut out = Vec::new();
        self.feed(body, &mut out)?;
        Ok(out)
    }

    /// Skips the BOM's bytes at the start of the stream; anything else ends the check, and
    /// a partial match turns out to be ordinary bytes.
    fn skip_bom<'a>(
        &mut self,
        mut matched: usize,
        chunk: &'a [u8],
    ) -> Result<&'a [u8], ParseError> {
        let mut rest = chunk;
        while let Some(&byte) = rest.first() {
            if byte != BOM[matched] {
                self.bom_matched = None;
                // A partial BOM was data after all (it holds no line break).
                self.append(&BOM[..matched])?;
                return Ok(rest);
            }
            matched += 1;
            rest = &rest[1..];
            if matched == BOM.len() {
                self.bom_matched = None;
                return Ok(rest);
            }
        }
        self.bom_matched = Some(matched);
        Ok(rest)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.line.len() + bytes.len() > self.limit {
            return Err(ParseError::TooLarge { limit: self.limit });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self, out: &mut Vec<SseItem>) -> Result<(), ParseError> {
        let bytes = std::mem::take(&mut self.line);
        if bytes.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        let line = String::from_utf8_lossy(&bytes);
        let (field, value) = match line.find(':') {
            Some(0) => {
                let text = &line[1..];
                let text = text.strip_prefix(' ').unwrap_or(text);
                out.push(SseItem::Comment(text.to_owned()));
                return Ok(());
            }
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                if self.data.len() + value.len() + 1 > self.limit {
                    return Err(ParseError::TooLarge { limit: self.limit });
                }
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => {
                value.clone_into(&mut self.id_buffer);
                self.block_id = Some(value.to_owned());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // More digits than a u64 holds: the longest wait there is.
                let ms = value.parse::<u64>().unwrap_or(u64::MAX);
                let retry = Duration::from_millis(ms);
                self.block_retry = Some(retry);
                out.push(SseItem::Retry(retry));
            }
            _ => {}
        }
        Ok(())
    }

    /// A blank line: the last event id takes the buffer's value; an event with data is
    /// dispatched; the block's buffers are emptied either way.
    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        if *self.last_event_id != *self.id_buffer {
            self.last_event_id = std::sync::Arc::from(self.id_buffer.as_str());
        }
        let event_type = std::mem::take(&mut self.event_type);
        let mut data = std::mem::take(&mut self.data);
        let id = self.block_id.take();
        let retry = self.block_retry.take();
        if data.is_empty() {
            return;
        }
        data.pop();
        let event_type = if event_type.is_empty() {
            DEFAULT_EVENT_TYPE.to_owned()
        } else {
            event_type
        };
        out.push(SseItem::Event(SseMessage {
            event_type,
            data,
            id,
            last_event_id: std::sync::Arc::clone(&self.last_event_id),
            retry,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(items: &[SseItem]) -> Vec<&SseMessage> {
        items
            .iter()
            .filter_map(|item| match item {
                SseItem::Event(event) => Some(event),
                _ => None,
            })
            .collect()
    }

    fn parse(body: &str) -> Vec<SseItem> {
        Parser::default().parse_all(body.as_bytes()).unwrap()
    }

    #[test]
    fn data_lines_join_with_newlines_and_type_defaults_to_message() {
        let items = parse("data: first\ndata:second\ndata\n\n");
        let events = events(&items);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "first\nsecond\n");
        assert_eq!(events[0].event_type, "message");
        assert_eq!(events[0].id, None);
    }

    #[test]
    fn only_one_space_after_the_colon_is_dropped() {
        let items = parse("event:  spaced\ndata:  two\n\n");
        assert_eq!(events(&items)[0].data, " two");
        assert_eq!(events(&items)[0].event_type, " spaced");
    }

    #[test]
    fn blocks_without_data_are_not_dispatched_but_set_the_id() {
        let items = parse("event: x\nid: 7\n\ndata: y\n\n");
        let events = events(&items);
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].event_type, "message",
            "the type did not carry over"
        );
        assert_eq!(events[0].id, None);
        assert_eq!(&*events[0].last_event_id, "7", "the id did");
        let items = parse("data:\n\n");
        assert_eq!(
            self::events(&items)[0].data,
            "",
            "an empty data line is still data"
        );
    }

    #[test]
    fn ids_persist_and_ids_with_nul_are_ignored() {
        let mut parser = Parser::default();
        let items = parser
            .parse_all(b"id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n")
            .unwrap();
        let events = events(&items);
        let ids: Vec<_> = events
            .iter()
            .map(|e| (e.id.as_deref(), &*e.last_event_id))
            .collect();
        assert_eq!(
            ids,
            [(Some("1"), "1"), (None, "1"), (None, "1"), (Some(""), "")]
        );
        assert_eq!(parser.last_event_id(), "");
        let mut seeded = Parser::new("41".into(), usize::MAX);
        assert_eq!(seeded.last_event_id(), "41");
        let items = seeded.parse_all(b"data: z\n\n").unwrap();
        assert_eq!(&*self::events(&items)[0].last_event_id, "41");
    }

    #[test]
    fn the_last_event_id_changes_only_at_a_blank_line() {
        let mut parser = Parser::new("1".into(), usize::MAX);
        parser.parse_all(b"id: 2\ndata: half").unwrap();
        assert_eq!(parser.last_event_id(), "1");
        parser.parse_all(b"\n\n").unwrap();
        assert_eq!(parser.last_event_id(), "2");
    }

    #[test]
    fn retry_takes_digits_only() {
        let items = parse("retry: 1500\nretry: 1.5\nretry: -1\nretry:\nretry: 12a\ndata: x\n\n");
        let retries: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                SseItem::Retry(d) => Some(d.as_millis()),
                _ => None,
            })
            .collect();
        assert_eq!(retries, [1500]);
        assert_eq!(
            events(&items)[0].retry,
            Some(Duration::from_millis(1500)),
            "the event shows its block's retry"
        );
        assert!(matches!(
            parse("retry: 99999999999999999999999\n")[..],
            [SseItem::Retry(_)]
        ));
    }

    #[test]
    fn comments_and_unknown_fields() {
        let items = parse(": keep-alive\n:no space\nfoo: bar\ndata: x\n\n");
        assert_eq!(
            items,
            [
                SseItem::Comment("keep-alive".into()),
                SseItem::Comment("no space".into()),
                SseItem::Event(SseMessage {
                    event_type: "message".into(),
                    data: "x".into(),
                    ..SseMessage::default()
                }),
            ]
        );
    }

    #[test]
    fn every_line_ending_works_and_cr_lf_may_straddle_chunks() {
        for body in [
            "data: a\r\ndata: b\r\n\r\n",
            "data: a\rdata: b\r\r",
            "data: a\ndata: b\n\n",
            "data: a\r\ndata: b\n\r",
        ] {
            let items = parse(body);
            assert_eq!(events(&items)[0].data, "a\nb", "{body:?}");
            assert_eq!(events(&items).len(), 1, "{body:?}");
        }
        let mut parser = Parser::default();
        let mut out = Vec::new();
        parser.feed(b"data: a\r", &mut out).unwrap();
        parser.feed(b"\ndata: b\r", &mut out).unwrap();
        parser.feed(b"\n\r", &mut out).unwrap();
        parser.feed(b"\n", &mut out).unwrap();
        assert_eq!(events(&out).len(), 1, "CR LF across chunks is one break");
        assert_eq!(events(&out)[0].data, "a\nb");
    }

    #[test]
    fn a_leading_bom_is_skipped_once_even_split() {
        let items = parse("\u{FEFF}data: x\n\n");
        assert_eq!(events(&items)[0].data, "x");
        let mut parser = Parser::default();
        let mut out = Vec::new();
        parser.feed(&[0xEF], &mut out).unwrap();
        parser.feed(&[0xBB], &mut out).unwrap();
        parser.feed(&[0xBF, b'd'], &mut out).unwrap();
        parser.feed(b"ata: y\n\n", &mut out).unwrap();
        assert_eq!(events(&out)[0].data, "y");
        let items = parse("\u{FEFF}\u{FEFF}data: z\n\n");
        assert!(
            events(&items).is_empty(),
            "a second BOM is part of the field name"
        );
        let items = Parser::default().parse_all(b"\xEF\xBBdata: q\n\n").unwrap();
        assert!(events(&items).is_empty(), "a partial BOM is data");
    }

    #[test]
    fn an_unfinished_block_is_not_dispatched() {
        assert!(events(&parse("data: x\n")).is_empty());
        assert!(events(&parse("data: x")).is_empty());
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let items = Parser::default().parse_all(b"data: a\xFFb\n\n").unwrap();
        assert_eq!(events(&items)[0].data, "a\u{FFFD}b");
    }

    #[test]
    fn oversized_lines_and_events_are_refused() {
        let mut parser = Parser::new(String::new(), 16);
        assert!(parser.parse_all(&[b'x'; 17]).is_err());
        let mut parser = Parser::new(String::new(), 16);
        assert!(
            parser
                .parse_all(b"data: 12345\ndata: 12345\ndata: 12345\n")
                .is_err()
        );
    }

    /// Any split of a body gives the same items as the whole; nothing panics.
    #[test]
    fn random_input_and_random_splits() {
        let alphabet: &[u8] = b"\r\n:\0 \xEF\xBB\xBF\xFFdataeventidretry0123456789x";
        let mut rng = fastrand::Rng::with_seed(0x5EE5);
        for _ in 0..2000 {
            let len = rng.usize(0..200);
            let body: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let whole = Parser::default().parse_all(&body).unwrap();
            let mut parser = Parser::default();
            let mut pieces = Vec::new();
            let mut rest = &body[..];
            while !rest.is_empty() {
                let take = rng.usize(1..=rest.len().min(7));
                parser.feed(&rest[..take], &mut pieces).unwrap();
                rest = &rest[take..];
            }
            assert_eq!(whole, pieces, "{body:?}");
            let mut small = Parser::new(String::new(), rng.usize(0..20));
            let _ = small.parse_all(&body);
        }
    }
}
