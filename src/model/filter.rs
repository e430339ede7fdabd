//! Timeline filters: direction, kind, text (contains or regex) and a JSON path predicate.
//! Pure functions over events; no egui. [`FilteredView`] keeps the matching indices of a
//! timeline up to date incrementally: only entries not yet tested are tested.
//!
//! JSON filter syntax (`$` is the message's JSON document):
//!
//! ```text
//! $.type == "trade"          equal (strings in double quotes, numbers, true, false, null)
//! $.price > 100              >, >=, <, <= compare numbers
//! $.status != "ok"           not equal
//! $.user.name contains "ada" the string contains the text (or the array contains the value)
//! $.items[0].id == 7         [n] indexes an array
//! $.error                    the path exists
//! ```

use std::borrow::Cow;

use regex::Regex;

pub use super::filtered_view::{FilteredView, filter_parallel};
pub use super::json_filter::{JsonPredicate, Op, ParseError, Segment};
use crate::engine::{Direction, EventKind, Payload};

/// What the user chose in a filter bar. Compile it with [`FilterSpec::compile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterSpec {
    /// Show events received from the server.
    pub incoming: bool,
    /// Show events we sent.
    pub outgoing: bool,
    /// Show text messages (and Server-Sent Events).
    pub text: bool,
    /// Show binary messages.
    pub binary: bool,
    /// Show pings and pongs.
    pub ping_pong: bool,
    /// Show connecting, open, close and error events.
    pub lifecycle: bool,
    /// Text the payload (or preview) must contain; empty means any.
    pub query: String,
    /// Read `query` as a regular expression.
    pub regex: bool,
    /// A JSON path predicate (see the module docs); empty means any.
    pub json: String,
    /// Show a protocol's handshake and heartbeat messages (a tab that speaks no protocol
    /// has none).
    pub housekeeping: bool,
    /// Show only the protocol units of this group (a GraphQL operation, an MQTT topic, a
    /// Socket.IO namespace, …); other messages are hidden, the rest of the timeline stays.
    pub group: Option<String>,
}

impl Default for FilterSpec {
    fn default() -> Self {
        Self {
            incoming: true,
            outgoing: true,
            text: true,
            binary: true,
            ping_pong: true,
            lifecycle: true,
            query: String::new(),
            regex: false,
            json: String::new(),
            housekeeping: true,
            group: None,
        }
    }
}

impl FilterSpec {
    /// Compiles the spec. A bad regex or JSON filter is reported in the returned
    /// [`CompiledFilter`]'s errors and that part is not applied.
    pub fn compile(&self) -> CompiledFilter {
        let mut text_error = None;
        let text = if self.query.is_empty() {
            None
        } else if self.regex {
            match Regex::new(&self.query) {
                Ok(regex) => Some(TextMatch::Regex(regex)),
                Err(error) => {
                    text_error = Some(format!("invalid regex: {error}"));
                    None
                }
            }
        } else {
            Some(TextMatch::Contains(self.query.clone()))
        };
        let (json, json_error) = if self.json.trim().is_empty() {
            (None, None)
        } else {
            match JsonPredicate::parse(&self.json) {
                Ok(predicate) => (Some(predicate), None),
                Err(error) => (None, Some(error.to_string())),
            }
        };
        CompiledFilter {
            spec: self.clone(),
            text,
            json,
            text_error,
            json_error,
        }
    }
}

/// How the text part matches.
#[derive(Clone, Debug)]
pub enum TextMatch {
    /// Plain substring (case-sensitive).
    Contains(String),
    /// A regular expression.
    Regex(Regex),
}

impl TextMatch {
    /// True when `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            TextMatch::Contains(needle) => text.contains(needle.as_str()),
            TextMatch::Regex(regex) => regex.is_match(text),
        }
    }

    /// The byte ranges of the matches in `text`.
    pub fn find_ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        match self {
            TextMatch::Contains(needle) if needle.is_empty() => Vec::new(),
            TextMatch::Contains(needle) => text
                .match_indices(needle.as_str())
                .map(|(start, m)| start..start + m.len())
                .collect(),
            TextMatch::Regex(regex) => regex
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| m.range())
                .collect(),
        }
    }
}

/// A [`FilterSpec`] ready to test events.
#[derive(Clone, Debug)]
pub struct CompiledFilter {
    /// The spec it was compiled from.
    pub spec: FilterSpec,
    text: Option<TextMatch>,
    json: Option<JsonPredicate>,
    /// Why the text part is not applied (an invalid regex).
    pub text_error: Option<String>,
    /// Why the JSON part is not applied (a syntax error).
    pub json_error: Option<String>,
}

impl CompiledFilter {
    /// True when every event passes (all kinds and directions, no text or JSON part).
    pub fn is_everything(&self) -> bool {
        let s = &self.spec;
        s.incoming
            && s.outgoing
            && s.text
            && s.binary
            && s.ping_pong
            && s.lifecycle
            && s.housekeeping
            && s.group.is_none()
            && self.text.is_none()
            && self.json.is_none()
    }

    /// True when `event` passes every part of the filter.
    pub fn matches(&self, kind: &EventKind) -> bool {
        self.matches_with(kind, || None)
    }

    /// True when the entry at `index` (`kind`) passes every part of the filter, reading
    /// `lookup` for what a message decodes to and whether it is protocol housekeeping.
    pub fn matches_in(&self, kind: &EventKind, index: usize, lookup: &dyn DecodedLookup) -> bool {
        if !self.spec.housekeeping
            && matches!(kind, EventKind::Message { .. })
            && lookup.housekeeping(index)
        {
            return false;
        }
        if let (Some(group), EventKind::Message { .. }) = (&self.spec.group, kind)
            && lookup.group(index) != Some(group.as_str())
        {
            return false;
        }
        self.matches_with(kind, || lookup.decoded_text(index))
    }

    /// True when `event` passes every part of the filter, a message's text and JSON parts
    /// reading `decoded()` (its decoded value or protocol unit as compact JSON text, asked
    /// only for a message and only when the filter has a text or JSON part; a text message
    /// without one reads its own text).
    pub fn matches_with<'a>(
        &self,
        kind: &'a EventKind,
        decoded: impl FnOnce() -> Option<&'a str>,
    ) -> bool {
        let spec = &self.spec;
        let (dir, kind_ok) = match kind {
            EventKind::Message { dir, payload } => (
                Some(*dir),
                match payload {
                    Payload::Text(_) => spec.text,
                    Payload::Binary(_) => spec.binary,
                },
            ),
            EventKind::Ping { dir, .. } | EventKind::Pong { dir, .. } => {
                (Some(*dir), spec.ping_pong)
            }
            EventKind::Sse(_) => (Some(Direction::In), spec.text),
            EventKind::Connecting { .. }
            | EventKind::Open(_)
            | EventKind::Error(_)
            | EventKind::Close(_)
            | EventKind::Token(_)
            | EventKind::Script(_)
            | EventKind::Dropped(_) => (None, spec.lifecycle),
        };
        if !kind_ok {
            return false;
        }
        match dir {
            Some(Direction::In) if !spec.incoming => return false,
            Some(Direction::Out) if !spec.outgoing => return false,
            _ => {}
        }
        if self.text.is_none() && self.json.is_none() {
            return true;
        }
        let text = match kind {
            EventKind::Message { payload, .. } => match decoded() {
                Some(decoded) => Some(Cow::Borrowed(decoded)),
                None => payload.as_text().map(Cow::Borrowed),
            },
            _ => searchable_text(kind),
        };
        if let Some(matcher) = &self.text {
            match &text {
                Some(text) if matcher.is_match(text) => {}
                _ => return false,
            }
        }
        if let Some(predicate) = &self.json {
            match &text {
                Some(text) if predicate.matches(text) => {}
                _ => return false,
            }
        }
        true
    }
}

/// The decoded values of a timeline's binary messages, as compact JSON text by entry
/// index, for the filters and the search (the window's decoding keeps them; the model
/// knows nothing of decoders). Shared by the filter's worker threads.
pub trait DecodedLookup: Sync {
    /// The decoded text of the binary message at `index`, if it was decoded.
    fn decoded_text(&self, index: usize) -> Option<&str>;
    /// The entries before this index are decoded for good: a filter tests no further.
    fn settled(&self) -> usize;
    /// Changes whenever an entry already settled may read differently (a new decoding
    /// choice): what was tested is tested again.
    fn generation(&self) -> u64;
    /// True when the message at `index` is a protocol's handshake or heartbeat traffic.
    fn housekeeping(&self, _index: usize) -> bool {
        false
    }
    /// The protocol group the message at `index` belongs to, if any.
    fn group(&self, _index: usize) -> Option<&str> {
        None
    }
}

/// No decoding: binary messages have no text.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDecoding;

impl DecodedLookup for NoDecoding {
    fn decoded_text(&self, _index: usize) -> Option<&str> {
        None
    }
    fn settled(&self) -> usize {
        usize::MAX
    }
    fn generation(&self) -> u64 {
        0
    }
}

/// The text a text filter or search looks in: a text payload, an SSE event's data, an
/// error's message, a close's reason. `None` for binary data.
pub fn searchable_text(kind: &EventKind) -> Option<Cow<'_, str>> {
    match kind {
        EventKind::Message { payload, .. } => payload.as_text().map(Cow::Borrowed),
        EventKind::Sse(sse) => Some(Cow::Borrowed(sse.text())),
        EventKind::Error(error) => Some(Cow::Borrowed(&error.message)),
        EventKind::Close(close) => Some(Cow::Borrowed(&close.reason)),
        EventKind::Connecting { url } => Some(Cow::Borrowed(url)),
        EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => {
            Some(String::from_utf8_lossy(payload))
        }
        EventKind::Token(token) => {
            Some(Cow::Owned(crate::engine::oauth2::describe_exchange(token)))
        }
        EventKind::Script(note) => Some(Cow::Owned(note.line())),
        EventKind::Dropped(dropped) => Some(Cow::Owned(dropped.line())),
        EventKind::Open(_) => None,
    }
}

#[cfg(test)]
mod tests {

    use bytes::Bytes;

    use super::*;
    use crate::engine::Event;

    fn msg(dir: Direction, text: &str) -> Event {
        Event::text_for_test(dir, text)
    }

    #[test]
    fn filters_by_direction_kind_text_and_json() {
        let events = [
            msg(Direction::In, r#"{"type":"trade","price":5}"#),
            msg(Direction::Out, "hello"),
            Event {
                wire: None,
                kind: EventKind::Ping {
                    dir: Direction::Out,
                    payload: Bytes::from_static(b"p"),
                },
                ..msg(Direction::Out, "")
            },
        ];
        let run = |spec: FilterSpec| -> Vec<usize> {
            let f = spec.compile();
            (0..events.len())
                .filter(|&i| f.matches(&events[i].kind))
                .collect()
        };
        assert_eq!(run(FilterSpec::default()), vec![0, 1, 2]);
        let only_in = FilterSpec {
            outgoing: false,
            ..FilterSpec::default()
        };
        assert_eq!(run(only_in), vec![0]);
        let no_ping = FilterSpec {
            ping_pong: false,
            ..FilterSpec::default()
        };
        assert_eq!(run(no_ping), vec![0, 1]);
        let text = FilterSpec {
            query: "hel".into(),
            ..FilterSpec::default()
        };
        assert_eq!(run(text), vec![1]);
        let regex = FilterSpec {
            query: r#""price":\d+"#.into(),
            regex: true,
            ..FilterSpec::default()
        };
        assert_eq!(run(regex), vec![0]);
        let json = FilterSpec {
            json: r#"$.type == "trade""#.into(),
            ..FilterSpec::default()
        };
        assert_eq!(run(json), vec![0]);
        let bad = FilterSpec {
            query: "(".into(),
            regex: true,
            ..FilterSpec::default()
        };
        let compiled = bad.compile();
        assert!(compiled.text_error.is_some());
        assert_eq!(run(bad), vec![0, 1, 2], "an invalid regex is not applied");
    }

    /// A protocol's reading of four messages: a housekeeping one, two of group `a`, one
    /// of group `b`; the fifth entry is not a message.
    struct Units;

    impl DecodedLookup for Units {
        fn decoded_text(&self, _index: usize) -> Option<&str> {
            None
        }
        fn settled(&self) -> usize {
            usize::MAX
        }
        fn generation(&self) -> u64 {
            0
        }
        fn housekeeping(&self, index: usize) -> bool {
            index == 0
        }
        fn group(&self, index: usize) -> Option<&str> {
            [None, Some("a"), Some("b"), Some("a")]
                .get(index)
                .copied()
                .flatten()
        }
    }

    #[test]
    fn hides_housekeeping_and_shows_one_group_keeping_lifecycle_rows() {
        let close = Event {
            wire: None,
            kind: EventKind::close(crate::engine::CloseInfo {
                code: 1000,
                reason: String::new(),
                was_clean: true,
                initiator: crate::engine::Initiator::Client,
                closing_handshake: None,
            }),
            ..msg(Direction::In, "")
        };
        let events = [
            msg(Direction::In, "2"),
            msg(Direction::In, "a1"),
            msg(Direction::Out, "b1"),
            msg(Direction::In, "a2"),
            close,
        ];
        let run = |spec: FilterSpec| -> Vec<usize> {
            let f = spec.compile();
            (0..events.len())
                .filter(|&i| f.matches_in(&events[i].kind, i, &Units))
                .collect()
        };
        assert_eq!(run(FilterSpec::default()), vec![0, 1, 2, 3, 4]);
        let quiet = FilterSpec {
            housekeeping: false,
            ..FilterSpec::default()
        };
        assert!(!quiet.compile().is_everything());
        assert_eq!(run(quiet), vec![1, 2, 3, 4]);
        let only_a = FilterSpec {
            group: Some("a".into()),
            ..FilterSpec::default()
        };
        assert!(!only_a.compile().is_everything());
        assert_eq!(run(only_a), vec![1, 3, 4], "the close row stays");
    }

    #[test]
    fn finds_ranges_for_highlighting() {
        let m = TextMatch::Contains("ab".into());
        assert_eq!(m.find_ranges("xabab"), vec![1..3, 3..5]);
        let r = TextMatch::Regex(Regex::new("a+").expect("regex"));
        assert_eq!(r.find_ranges("baab a"), vec![1..3, 5..6]);
    }
}
