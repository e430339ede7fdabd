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
use std::fmt;
use std::time::Instant;

use regex::Regex;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

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

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// `.name` or `["name"]`: an object member.
    Key(String),
    /// `[n]`: an array element.
    Index(usize),
}

/// How a path's value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The path exists.
    Exists,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `contains`: substring of a string, or element of an array.
    Contains,
}

/// A parsed JSON filter: a path, an operator and a literal.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPredicate {
    /// The path from the document's root.
    pub path: Vec<Segment>,
    /// The comparison.
    pub op: Op,
    /// The literal compared with (`Null` for [`Op::Exists`]).
    pub value: Value,
}

/// Why a JSON filter does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON filter: {}", self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(message.into()))
}

impl JsonPredicate {
    /// Parses `$.path OP literal` (see the module docs).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let Some(mut rest) = s.strip_prefix('$') else {
            return err("a filter starts with $, e.g. $.type == \"trade\"");
        };
        let mut path = Vec::new();
        loop {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(after.len());
                if end == 0 {
                    return err("a name is expected after '.'");
                }
                path.push(Segment::Key(after[..end].to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let Some(close) = after.find(']') else {
                    return err("'[' without ']'");
                };
                let inner = after[..close].trim();
                if let Ok(index) = inner.parse::<usize>() {
                    path.push(Segment::Index(index));
                } else if let Ok(Value::String(key)) = serde_json::from_str::<Value>(inner) {
                    path.push(Segment::Key(key));
                } else {
                    return err(format!("[{inner}] is not an index or a quoted name"));
                }
                rest = &after[close + 1..];
            } else {
                break;
            }
        }
        let rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(Self {
                path,
                op: Op::Exists,
                value: Value::Null,
            });
        }
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("contains", Op::Contains),
        ];
        let Some((op, literal)) = ops
            .iter()
            .find_map(|(token, op)| rest.strip_prefix(token).map(|lit| (*op, lit.trim())))
        else {
            return err(format!(
                "expected ==, !=, >, >=, <, <= or contains at \"{rest}\""
            ));
        };
        if literal.is_empty() {
            return err("a value is expected after the operator");
        }
        let value: Value = serde_json::from_str(literal).map_err(|_| {
            ParseError(format!(
                "{literal} is not a value: use \"text\", a number, true, false or null"
            ))
        })?;
        if matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le) && !value.is_number() {
            return err("<, <=, >, >= compare with a number");
        }
        Ok(Self { path, op, value })
    }

    /// True when `json` is a JSON document whose value at the path satisfies the predicate.
    /// Only the path is built into values; everything else is skipped while parsing.
    pub fn matches(&self, json: &str) -> bool {
        let trimmed = json.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            return false;
        }
        // Cheap rejection: the first key of the path must appear in the text.
        if let Some(Segment::Key(key)) = self.path.first()
            && !json.contains(key.as_str())
        {
            return false;
        }
        // Without escapes, an equal string appears in the text verbatim, quotes included.
        if let (Op::Eq, Value::String(wanted)) = (self.op, &self.value)
            && !json.contains('\\')
            && !contains_quoted(json, wanted)
        {
            return false;
        }
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let Ok(Some(found)) = (PathSeed { path: &self.path }).deserialize(&mut deserializer) else {
            return false;
        };
        self.test(&found)
    }

    /// True when `found` (the value at the path) satisfies the predicate.
    pub fn test(&self, found: &Value) -> bool {
        match self.op {
            Op::Exists => true,
            Op::Eq => values_equal(found, &self.value),
            Op::Ne => !values_equal(found, &self.value),
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                let (Some(a), Some(b)) = (found.as_f64(), self.value.as_f64()) else {
                    return false;
                };
                match self.op {
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                    Op::Lt => a < b,
                    _ => a <= b,
                }
            }
            Op::Contains => match (found, &self.value) {
                (Value::String(s), Value::String(needle)) => s.contains(needle.as_str()),
                (Value::Array(items), needle) => items.iter().any(|v| values_equal(v, needle)),
                _ => false,
            },
        }
    }
}

/// True when `text` holds `"wanted"` (quotes included).
fn contains_quoted(text: &str, wanted: &str) -> bool {
    text.match_indices(wanted)
        .any(|(at, _)| text[..at].ends_with('"') && text[at + wanted.len()..].starts_with('"'))
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

/// Walks a path while deserializing, skipping everything off the path.
struct PathSeed<'p> {
    path: &'p [Segment],
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_> {
    type Value = Option<Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.path.is_empty() {
            return Value::deserialize(d).map(Some);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let wanted = match &self.path[0] {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        };
        let mut found = None;
        let mut seen = false;
        while let Some(is_wanted) = map.next_key_seed(KeyIs(if seen { None } else { wanted }))? {
            if is_wanted {
                seen = true;
                found = map.next_value_seed(PathSeed {
                    path: &self.path[1..],
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = match &self.path[0] {
            Segment::Index(index) => Some(*index),
            Segment::Key(_) => None,
        };
        let mut found = None;
        let mut i = 0;
        loop {
            if Some(i) == wanted {
                match seq.next_element_seed(PathSeed {
                    path: &self.path[1..],
                })? {
                    Some(value) => found = value,
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(found)
    }
}

/// Reads an object key and tells whether it is the wanted one, without allocating.
struct KeyIs<'k>(Option<&'k str>);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<bool, E> {
        Ok(Some(key) == self.0)
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
    /// entries). Returns true when entries are left to test. A cleared (shorter) timeline
    /// starts the view again.
    pub fn update(&mut self, timeline: &Timeline, deadline: Option<Instant>) -> bool {
        let len = timeline.len();
        if len < self.tested {
            self.matching.clear();
            self.tested = 0;
        }
        while self.tested < len {
            let end = (self.tested + 4096).min(len);
            for (index, kind) in timeline.kinds(self.tested..end) {
                if self.filter.matches(kind) {
                    self.matching.push(index);
                }
            }
            self.tested = end;
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

    fn pred(s: &str) -> JsonPredicate {
        JsonPredicate::parse(s).expect("parses")
    }

    #[test]
    fn parses_paths_operators_and_values() {
        let p = pred(r#"$.user.name contains "ada""#);
        assert_eq!(
            p.path,
            vec![Segment::Key("user".into()), Segment::Key("name".into())]
        );
        assert_eq!(p.op, Op::Contains);
        let p = pred(r#"$.items[2]["odd key"] >= 1.5"#);
        assert_eq!(
            p.path,
            vec![
                Segment::Key("items".into()),
                Segment::Index(2),
                Segment::Key("odd key".into())
            ]
        );
        assert_eq!(p.op, Op::Ge);
        assert_eq!(pred("$.error").op, Op::Exists);
        for bad in [
            "type == 1",
            "$.",
            "$.a ~ 1",
            "$.a == trade",
            "$.a > \"x\"",
            "$.a[",
            "$.a ==",
        ] {
            assert!(JsonPredicate::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn evaluates_against_documents() {
        let doc = r#"{"type":"trade","price":101.5,"user":{"name":"adam"},"tags":["a","b"],"items":[{"id":7}]}"#;
        assert!(pred(r#"$.type == "trade""#).matches(doc));
        assert!(!pred(r#"$.type == "quote""#).matches(doc));
        assert!(pred(r#"$.type != "quote""#).matches(doc));
        assert!(pred("$.price > 100").matches(doc));
        assert!(!pred("$.price < 100").matches(doc));
        assert!(pred(r#"$.user.name contains "ada""#).matches(doc));
        assert!(pred(r#"$.tags contains "b""#).matches(doc));
        assert!(pred("$.items[0].id == 7").matches(doc));
        assert!(pred("$.items[0].id == 7.0").matches(doc));
        assert!(!pred("$.items[1].id == 7").matches(doc));
        assert!(pred("$.user").matches(doc));
        assert!(!pred("$.missing").matches(doc));
        assert!(!pred("$.type.deeper").matches(doc));
        assert!(!pred("$.type == 1").matches("not json type"));
        assert!(!pred(r#"$.type == "trade""#).matches(r#"{"type":"trade""#));
        assert!(pred("$[1] == 2").matches("[1,2,3]"));
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
}
