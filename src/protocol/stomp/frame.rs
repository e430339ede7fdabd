//! STOMP frames: a command line, header lines, a blank line, a body and a NUL; lone EOLs
//! between frames are heart-beats. Header values are escaped (`\r`, `\n`, `\c`, `\\`) in
//! every frame but CONNECT and CONNECTED (STOMP 1.1 escapes only `\n`, `\c`, `\\`; 1.0
//! nothing).

use bytes::Bytes;

/// The largest frame kept while it arrives (16 MiB): a bigger one is refused rather than
/// buffered without bound.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// One STOMP frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StompFrame {
    /// The command (`SEND`, `MESSAGE`, …).
    pub command: String,
    /// Headers in order, as on the wire (a repeated header's first value is the one that
    /// counts).
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    pub body: Bytes,
}

/// What a stream holds: frames and heart-beats, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A frame.
    Frame(StompFrame),
    /// A heart-beat (an EOL between frames).
    HeartBeat,
}

impl StompFrame {
    /// A frame with `command`, `headers` and `body`.
    pub fn new(command: &str, headers: Vec<(String, String)>, body: Bytes) -> Self {
        Self {
            command: command.to_owned(),
            headers,
            body,
        }
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// True for the frames whose headers are never escaped.
    fn raw_headers(command: &str) -> bool {
        command == "CONNECT" || command == "CONNECTED" || command == "STOMP"
    }

    /// The frame's bytes for STOMP `version` (`1.0`, `1.1`, `1.2`).
    pub fn write(&self, version: &str) -> Vec<u8> {
        let escape = !Self::raw_headers(&self.command) && version != "1.0";
        let mut out = Vec::with_capacity(self.command.len() + self.body.len() + 64);
        out.extend_from_slice(self.command.as_bytes());
        out.push(b'\n');
        for (name, value) in &self.headers {
            for (at, text) in [name, value].into_iter().enumerate() {
                if at == 1 {
                    out.push(b':');
                }
                if escape {
                    out.extend_from_slice(escape_value(text, version).as_bytes());
                } else {
                    out.extend_from_slice(text.as_bytes());
                }
            }
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out.push(0);
        out
    }
}

/// Escapes a header name or value.
fn escape_value(text: &str, version: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            ':' => out.push_str("\\c"),
            '\r' if version != "1.1" => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape_value`]; an escape STOMP does not define is an error.
fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('c') => out.push(':'),
            other => {
                let what = other.map(String::from).unwrap_or_default();
                return Err(format!("undefined escape `\\{what}` in a header"));
            }
        }
    }
    Ok(out)
}

/// One direction's bytes not yet read as frames.
#[derive(Debug, Default)]
pub struct FrameStream {
    pending: Vec<u8>,
}

impl FrameStream {
    /// Appends `bytes` and reads every frame and heart-beat now complete, for STOMP
    /// `version`. On an error the stream starts afresh.
    pub fn push(&mut self, bytes: &[u8], version: &str) -> Result<Vec<Item>, String> {
        self.pending.extend_from_slice(bytes);
        let mut items = Vec::new();
        let mut used = 0;
        loop {
            let rest = &self.pending[used..];
            if rest.first() == Some(&b'\n') {
                items.push(Item::HeartBeat);
                used += 1;
                continue;
            }
            if rest.starts_with(b"\r\n") {
                items.push(Item::HeartBeat);
                used += 2;
                continue;
            }
            match read_frame(rest, version) {
                Ok(Some((frame, length))) => {
                    items.push(Item::Frame(frame));
                    used += length;
                }
                Ok(None) if rest.len() > MAX_FRAME => {
                    self.pending.clear();
                    return Err(format!("a frame longer than the {MAX_FRAME} bytes kept"));
                }
                Ok(None) => break,
                Err(error) => {
                    self.pending.clear();
                    return Err(error);
                }
            }
        }
        self.pending.drain(..used);
        Ok(items)
    }
}

/// Reads one frame from the start of `data`: the frame and how many bytes it took, or
/// `None` when it is not all there yet.
fn read_frame(data: &[u8], version: &str) -> Result<Option<(StompFrame, usize)>, String> {
    // A command is letters: anything else before the first EOL is not STOMP, even before
    // the line is whole.
    let head = data.iter().take_while(|b| **b != b'\n');
    if let Some(bad) = head
        .into_iter()
        .position(|b| !b.is_ascii_alphabetic() && *b != b'\r')
    {
        let shown: String = String::from_utf8_lossy(&data[..data.len().min(bad + 20)]).into();
        return Err(format!("{shown:?} is not a STOMP command"));
    }
    let mut at = 0;
    let line = |at: &mut usize| -> Result<Option<String>, String> {
        let Some(end) = data[*at..].iter().position(|b| *b == b'\n') else {
            return Ok(None);
        };
        let mut text = &data[*at..*at + end];
        if text.last() == Some(&b'\r') {
            text = &text[..text.len() - 1];
        }
        *at += end + 1;
        String::from_utf8(text.to_vec())
            .map(Some)
            .map_err(|_| "a command or header line that is not UTF-8".to_owned())
    };
    let Some(command) = line(&mut at)? else {
        return Ok(None);
    };
    if command.is_empty() || !command.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!("{command:?} is not a STOMP command"));
    }
    let escaped = !StompFrame::raw_headers(&command) && version != "1.0";
    let mut headers = Vec::new();
    loop {
        let Some(text) = line(&mut at)? else {
            return Ok(None);
        };
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(format!("header line {text:?} has no `:`"));
        };
        if escaped {
            headers.push((unescape(name)?, unescape(value)?));
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map(|(_, value)| {
            value
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("content-length {value:?} is not a number"))
        })
        .transpose()?;
    let body_end = match length {
        Some(length) => {
            if length > MAX_FRAME {
                return Err(format!(
                    "a {length}-byte body is more than the {MAX_FRAME} bytes kept"
                ));
            }
            if data.len() < at + length + 1 {
                return Ok(None);
            }
            if data[at + length] != 0 {
                return Err("the body does not end with NUL where content-length says".to_owned());
            }
            at + length
        }
        None => match data[at..].iter().position(|b| *b == 0) {
            Some(end) => at + end,
            None => return Ok(None),
        },
    };
    let body = Bytes::copy_from_slice(&data[at..body_end]);
    Ok(Some((
        StompFrame {
            command,
            headers,
            body,
        },
        body_end + 1,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn frames_round_trip_with_escaped_headers_and_binary_bodies() {
        let frame = StompFrame::new(
            "SEND",
            headers(&[
                ("destination", "/q/a:b"),
                ("note", "two\nlines\\\r"),
                ("content-length", "3"),
            ]),
            Bytes::from_static(&[0, 1, 0]),
        );
        let bytes = frame.write("1.2");
        assert!(bytes.starts_with(b"SEND\ndestination:/q/a\\cb\nnote:two\\nlines\\\\\\r\n"));
        let items = FrameStream::default().push(&bytes, "1.2").unwrap();
        assert_eq!(items, vec![Item::Frame(frame)]);
    }

    #[test]
    fn connect_headers_are_not_escaped() {
        let frame = StompFrame::new("CONNECT", headers(&[("passcode", "a:b\\c")]), Bytes::new());
        assert_eq!(frame.write("1.2"), b"CONNECT\npasscode:a:b\\c\n\n\0");
        let items = FrameStream::default()
            .push(b"CONNECTED\nserver:x\\y\n\n\0", "1.2")
            .unwrap();
        assert!(matches!(&items[..], [Item::Frame(f)] if f.header("server") == Some("x\\y")));
    }

    #[test]
    fn heart_beats_several_frames_and_split_frames_are_read() {
        let mut stream = FrameStream::default();
        let items = stream
            .push(
                b"\n\r\nMESSAGE\r\na:1\r\n\r\nhi\0\nRECEIPT\nreceipt-id:7\n\n\0",
                "1.2",
            )
            .unwrap();
        assert_eq!(items.len(), 5);
        assert_eq!(items[0], Item::HeartBeat);
        assert!(
            matches!(&items[2], Item::Frame(f) if f.command == "MESSAGE" && &f.body[..] == b"hi")
        );
        assert!(
            stream
                .push(b"MESSAGE\ncontent-length:5\n\nab", "1.2")
                .unwrap()
                .is_empty()
        );
        let items = stream.push(b"\0de\0", "1.2").unwrap();
        assert!(matches!(&items[..], [Item::Frame(f)] if &f.body[..] == b"ab\0de"));
    }

    #[test]
    fn malformed_frames_are_errors() {
        let mut stream = FrameStream::default();
        assert!(
            stream
                .push(b"SEND\nbad\n\n\0", "1.2")
                .unwrap_err()
                .contains("no `:`")
        );
        assert!(
            stream
                .push(b"SEND\na:\\t\n\n\0", "1.2")
                .unwrap_err()
                .contains("undefined escape")
        );
        assert!(
            stream
                .push(b"SEND\ncontent-length:1\n\nab\0", "1.2")
                .unwrap_err()
                .contains("NUL")
        );
        assert!(
            stream
                .push(b"{\"json\":1}\0", "1.2")
                .unwrap_err()
                .contains("not a STOMP command")
        );
    }

    proptest::proptest! {
        /// Whatever the server sends, reading it is an error or items, never a panic; and a
        /// valid stream cut anywhere reads as the same frames.
        #[test]
        fn any_bytes_read_without_panic_and_any_cut_reads_the_same(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            cut in 0usize..80,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            value in "[a-z:\\\\\n\r]{0,8}",
        ) {
            let _ = FrameStream::default().push(&noise, "1.2");
            let frame = StompFrame::new(
                "MESSAGE",
                vec![("v".into(), value), ("content-length".into(), body.len().to_string())],
                Bytes::from(body),
            );
            let mut all = frame.write("1.2");
            all.extend_from_slice(b"\n");
            let cut = cut.min(all.len());
            let mut stream = FrameStream::default();
            let mut read = stream.push(&all[..cut], "1.2").unwrap();
            read.extend(stream.push(&all[cut..], "1.2").unwrap());
            proptest::prop_assert_eq!(read, vec![Item::Frame(frame), Item::HeartBeat]);
        }
    }
}
