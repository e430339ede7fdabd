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
use std::time::Instant;

use regex::Regex;

pub use super::json_filter::{JsonPredicate, Op, ParseError, Segment};
use super::timeline::Timeline;
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
            && self.text.is_none()
            && self.json.is_none()
    }

    /// True when `event` passes every part of the filter.
    pub fn matches(&self, kind: &EventKind) -> bool {
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
            | EventKind::Close(_) => (None, spec.lifecycle),
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
        let text = searchable_text(kind);
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
        EventKind::Open(_) => None,
    }
}

/// The indices of a timeline's entries that pass a filter, kept up to date incrementally.
#[derive(Debug)]
pub struct FilteredView {
    filter: CompiledFilter,
    matching: Vec<usize>,
    tested: usize,
}

impl Default for FilteredView {
    fn default() -> Self {
        Self::new(FilterSpec::default().compile())
    }
}

impl FilteredView {
    /// A view that has tested nothing yet.
    pub fn new(filter: CompiledFilter) -> Self {
        Self {
            filter,
            matching: Vec::new(),
            tested: 0,
        }
    }

    /// The filter in use.
    pub fn filter(&self) -> &CompiledFilter {
        &self.filter
    }

    /// Replaces the filter; everything is tested again (from [`FilteredView::update`]).
    pub fn set_filter(&mut self, filter: CompiledFilter) {
        *self = Self::new(filter);
    }

    /// The matching entry indices found so far, in order.
    pub fn matching(&self) -> &[usize] {
        &self.matching
    }

    /// How many entries have been tested.
    pub fn tested(&self) -> usize {
        self.tested
    }

    /// Tests the entries not yet tested, stopping at `deadline` (checked every 4096
    /// entries, or 16,384 per thread on a backlog). A backlog (a new filter over a long timeline) is split over two
    /// threads; a few new entries are tested on this one. Returns true when entries are left
    /// to test. A cleared (shorter) timeline starts the view again.
    pub fn update(&mut self, timeline: &Timeline, deadline: Option<Instant>) -> bool {
        const STEP: usize = 4096;
        // Each thread's share of a backlog step: large enough that starting a thread is
        // noise, small enough (a few ms) to keep within a frame's budget.
        const HALF: usize = 16_384;
        let len = timeline.len();
        if len < self.tested {
            self.matching.clear();
            self.tested = 0;
        }
        while self.tested < len {
            let start = self.tested;
            if len - start >= 2 * HALF {
                let middle = start + HALF;
                let filter = &self.filter;
                let test = move |range: std::ops::Range<usize>| -> Vec<usize> {
                    timeline
                        .kinds(range)
                        .filter(|(_, kind)| filter.matches(kind))
                        .map(|(index, _)| index)
                        .collect()
                };
                let (first, second) = std::thread::scope(|scope| {
                    let second = scope.spawn(move || test(middle..middle + HALF));
                    let first = test(start..middle);
                    (first, second.join())
                });
                self.matching.extend(first);
                match second {
                    Ok(found) => {
                        self.matching.extend(found);
                        self.tested = middle + HALF;
                    }
                    // Never expected (filters do not panic); that half is tested again.
                    Err(_) => self.tested = middle,
                }
            } else {
                let end = (start + STEP).min(len);
                for (index, kind) in timeline.kinds(start..end) {
                    if self.filter.matches(kind) {
                        self.matching.push(index);
                    }
                }
                self.tested = end;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        self.tested < len
    }
}

/// Filters every entry at once, split over `threads` threads (for benchmarks and large
/// one-off passes). Returns the matching indices in order.
pub fn filter_parallel(timeline: &Timeline, filter: &CompiledFilter, threads: usize) -> Vec<usize> {
    let len = timeline.len();
    let threads = threads.max(1);
    let chunk = len.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..len)
            .step_by(chunk)
            .map(|start| {
                scope.spawn(move || {
                    timeline
                        .kinds(start..start + chunk)
                        .filter(|(_, kind)| filter.matches(kind))
                        .map(|(index, _)| index)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::engine::Event;

    fn msg(dir: Direction, text: &str) -> Event {
        Event {
            seq: 0,
            wall_time: SystemTime::now(),
            offset: Duration::ZERO,
            kind: EventKind::Message {
                dir,
                payload: Payload::Text(text.to_owned().into()),
            },
        }
    }

    #[test]
    fn filters_by_direction_kind_text_and_json() {
        let events = [
            msg(Direction::In, r#"{"type":"trade","price":5}"#),
            msg(Direction::Out, "hello"),
            Event {
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

    #[test]
    fn the_view_tests_only_new_entries() {
        let mut timeline = Timeline::default();
        let mut view = FilteredView::new(
            FilterSpec {
                query: "x".into(),
                ..FilterSpec::default()
            }
            .compile(),
        );
        timeline.push(1, msg(Direction::In, "x1"));
        timeline.push(1, msg(Direction::In, "y"));
        assert!(!view.update(&timeline, None));
        assert_eq!(view.matching(), &[0]);
        timeline.push(1, msg(Direction::In, "x2"));
        view.update(&timeline, None);
        assert_eq!(view.matching(), &[0, 2]);
        assert_eq!(view.tested(), 3);
        let all = filter_parallel(&timeline, view.filter(), 2);
        assert_eq!(all, vec![0, 2]);
    }

    #[test]
    fn finds_ranges_for_highlighting() {
        let m = TextMatch::Contains("ab".into());
        assert_eq!(m.find_ranges("xabab"), vec![1..3, 3..5]);
        let r = TextMatch::Regex(Regex::new("a+").expect("regex"));
        assert_eq!(r.find_ranges("baab a"), vec![1..3, 5..6]);
    }

    #[test]
    fn a_backlog_split_over_two_threads_keeps_every_match_in_order() {
        let mut timeline = Timeline::default();
        let count = 40_000;
        for n in 0..count {
            let dir = if n % 3 == 0 {
                Direction::In
            } else {
                Direction::Out
            };
            let mut event = msg(dir, &format!("{{\"n\":{n}}}"));
            event.seq = n as u64;
            timeline.push(1, event);
        }
        let spec = FilterSpec {
            outgoing: false,
            json: "$.n >= 10".into(),
            ..FilterSpec::default()
        };
        let mut view = FilteredView::new(spec.compile());
        assert!(!view.update(&timeline, None), "everything tested");
        let expected: Vec<usize> = (0..count).filter(|n| n % 3 == 0 && *n >= 10).collect();
        assert_eq!(view.matching(), expected.as_slice());
        assert_eq!(view.tested(), count);
        assert_eq!(filter_parallel(&timeline, view.filter(), 3), expected);
    }
}
