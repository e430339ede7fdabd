//! A structural JSON scanner: finds the raw text of the value at a path without building
//! values, so that a JSON filter over a million messages reads each one once and allocates
//! nothing. The whole document's structure is checked (brackets, strings, commas, colons,
//! literals, number syntax), so a broken document never matches; but [`PathScan`] stops at
//! the value first, so a filter checks the rest only of the messages whose value passes.

use super::json_filter::Segment;
use super::json_number::number_end;

/// Nesting deeper than this is refused, as serde_json refuses it (one bit per level of
/// nesting is kept in a `u128`).
const MAX_DEPTH: usize = 128;

/// The raw text of the first value at `path` in `json` (`path` empty: the whole document),
/// when `json` is one well-formed JSON value surrounded only by whitespace.
pub fn value_at<'a>(json: &'a [u8], path: &[Segment]) -> Option<&'a [u8]> {
    let mut scan = PathScan::new(json, path);
    let raw = scan.find()?;
    scan.finish().then_some(raw)
}

/// True when `json` nests no deeper than `max` arrays and objects (brackets outside
/// strings counted in one pass, without recursion or allocation).
pub fn nesting_within(json: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// The unescaped text of a JSON string literal's raw bytes (quotes included), borrowed when
/// it has no escapes.
pub fn string_text(raw: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.contains(&b'\\') {
        serde_json::from_slice::<String>(raw).ok().map(Into::into)
    } else {
        std::str::from_utf8(inner).ok().map(Into::into)
    }
}

/// Where a scan stopped.
enum Stop<'a> {
    /// At the end of the value at the path (its raw text).
    Found(&'a [u8]),
    /// The value is not in the document (a container on the path closed without it, or
    /// the path goes on into a scalar); the rest was not checked.
    Missing,
    /// At the end of a well-formed document.
    End,
    /// At a byte that breaks the document.
    Broken,
}

/// One JSON document scanned for the value at a path, without recursion, so that the scan
/// can stop at the value ([`PathScan::find`]) and later check the rest of the document
/// ([`PathScan::finish`]).
pub struct PathScan<'a, 'p> {
    bytes: &'a [u8],
    pos: usize,
    path: &'p [Segment],
    /// Open containers.
    depth: usize,
    /// Bit `d` set: the container at depth `d + 1` is an array.
    arrays: u128,
    /// Open containers on the path (always the outermost ones).
    on_path: usize,
    /// The innermost container on the path has given its member on the path: as serde_json
    /// reads a path, only the first member with the wanted name counts.
    taken: bool,
    /// Elements seen so far in the innermost container on the path (when an array).
    index: usize,
    /// The value about to be read lies on the path.
    next_on_path: bool,
    /// Where the wanted value starts and, when it is a container, its depth.
    target: Option<(usize, usize)>,
    /// Still looking for the value; once it is found, only the checking goes on.
    searching: bool,
    /// A value is expected next (else: what follows a value).
    expect_value: bool,
}

impl<'a, 'p> PathScan<'a, 'p> {
    /// A scan of `json` for the value at `path` (empty: the whole document).
    pub fn new(json: &'a [u8], path: &'p [Segment]) -> Self {
        Self {
            bytes: json,
            pos: 0,
            path,
            depth: 0,
            arrays: 0,
            on_path: 0,
            taken: false,
            index: 0,
            next_on_path: true,
            target: None,
            searching: true,
            expect_value: true,
        }
    }

    /// Scans up to the end of the value at the path and returns its raw text; `None` when
    /// the document lacks it or breaks before it. Everything up to the value is checked.
    pub fn find(&mut self) -> Option<&'a [u8]> {
        match self.run() {
            Stop::Found(raw) => Some(raw),
            Stop::Missing | Stop::End | Stop::Broken => None,
        }
    }

    /// Checks the rest of the document after [`PathScan::find`]: true when the whole
    /// document is one well-formed JSON value surrounded only by whitespace.
    pub fn finish(&mut self) -> bool {
        self.searching = false;
        matches!(self.run(), Stop::End)
    }

    fn run(&mut self) -> Stop<'a> {
        loop {
            let stop = if self.expect_value {
                self.value()
            } else {
                self.after_value()
            };
            if let Some(stop) = stop {
                return stop;
            }
        }
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Reads one value's first step: a whole scalar, or a container's opening (and its
    /// first member's name, or its closing when empty).
    #[inline(always)]
    fn value(&mut self) -> Option<Stop<'a>> {
        self.skip_whitespace();
        let start = self.pos;
        let on_path = std::mem::take(&mut self.next_on_path);
        let Some(&byte) = self.bytes.get(start) else {
            return Some(Stop::Broken);
        };
        let scalar_end = match byte {
            b'{' | b'[' => return self.open(byte == b'[', start, on_path),
            b'"' => self.string().map(|_| self.pos),
            b'-' | b'0'..=b'9' => number_end(self.bytes, start),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        };
        let Some(end) = scalar_end else {
            return Some(Stop::Broken);
        };
        self.pos = end;
        self.expect_value = false;
        if !on_path {
            None
        } else if self.depth == self.path.len() {
            self.searching = false;
            Some(Stop::Found(&self.bytes[start..end]))
        } else {
            Some(Stop::Missing)
        }
    }

    /// Opens a container whose opening bracket is at `start`.
    #[inline(always)]
    fn open(&mut self, array: bool, start: usize, on_path: bool) -> Option<Stop<'a>> {
        if self.depth == MAX_DEPTH {
            return Some(Stop::Broken);
        }
        let bit = 1u128 << self.depth;
        self.arrays = if array {
            self.arrays | bit
        } else {
            self.arrays & !bit
        };
        self.depth += 1;
        self.pos = start + 1;
        if on_path {
            if self.depth > self.path.len() {
                self.target = Some((start, self.depth));
            } else {
                self.on_path = self.depth;
                self.taken = false;
                self.index = 0;
            }
        }
        self.skip_whitespace();
        let close = if array { b']' } else { b'}' };
        if self.bytes.get(self.pos) == Some(&close) {
            self.expect_value = false;
            return self.close();
        }
        if array {
            self.next_on_path = self.element_on_path();
            None
        } else {
            self.member_name()
        }
    }

    /// What follows a value: a comma and the next member or element, a closing bracket,
    /// or (outside every container) the end.
    #[inline(always)]
    fn after_value(&mut self) -> Option<Stop<'a>> {
        self.skip_whitespace();
        if self.depth == 0 {
            return Some(if self.pos == self.bytes.len() {
                Stop::End
            } else {
                Stop::Broken
            });
        }
        let array = (self.arrays >> (self.depth - 1)) & 1 == 1;
        match (self.bytes.get(self.pos), array) {
            (Some(b','), true) => {
                self.pos += 1;
                self.next_on_path = self.element_on_path();
                self.expect_value = true;
                None
            }
            (Some(b','), false) => {
                self.pos += 1;
                self.expect_value = true;
                self.member_name()
            }
            (Some(b']'), true) | (Some(b'}'), false) => self.close(),
            _ => Some(Stop::Broken),
        }
    }

    /// Closes the innermost container (its closing bracket is at the position).
    #[inline(always)]
    fn close(&mut self) -> Option<Stop<'a>> {
        self.pos += 1;
        let closed = self.depth;
        self.depth -= 1;
        if !self.searching {
            return None;
        }
        match self.target {
            Some((start, depth)) if depth == closed => {
                self.searching = false;
                Some(Stop::Found(&self.bytes[start..self.pos]))
            }
            _ if self.on_path == closed => Some(Stop::Missing),
            _ => None,
        }
    }

    /// Reads a member's name and its colon; notes whether the member lies on the path.
    #[inline(always)]
    fn member_name(&mut self) -> Option<Stop<'a>> {
        self.skip_whitespace();
        let start = self.pos;
        if self.bytes.get(start) != Some(&b'"') {
            return Some(Stop::Broken);
        }
        let Some(escaped) = self.string() else {
            return Some(Stop::Broken);
        };
        let name_end = self.pos;
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Some(Stop::Broken);
        }
        self.pos += 1;
        if self.searching
            && self.on_path == self.depth
            && !self.taken
            && let Some(Segment::Key(wanted)) = self.path.get(self.depth - 1)
            && key_is(&self.bytes[start..name_end], escaped, wanted)
        {
            self.taken = true;
            self.next_on_path = true;
        }
        None
    }

    /// Counts an element of the innermost container on the path; true when it is the
    /// element on the path.
    #[inline(always)]
    fn element_on_path(&mut self) -> bool {
        if !self.searching || self.on_path != self.depth || self.taken {
            return false;
        }
        let Some(Segment::Index(wanted)) = self.path.get(self.depth - 1) else {
            return false;
        };
        let here = self.index;
        self.index += 1;
        self.taken = here == *wanted;
        self.taken
    }

    /// A string, from its opening quote to after its closing one. True when it holds an
    /// escape.
    #[inline(always)]
    fn string(&mut self) -> Option<bool> {
        let mut pos = self.pos + 1;
        let mut escaped = false;
        loop {
            pos = skip_plain(self.bytes, pos);
            match *self.bytes.get(pos)? {
                b'"' => {
                    self.pos = pos + 1;
                    return Some(escaped);
                }
                // An escape: the backslash and the character it escapes.
                b'\\' => {
                    escaped = true;
                    pos += 2;
                }
                _ => return None,
            }
        }
    }

    /// Where `word` ends when it is at the position.
    #[inline(always)]
    fn literal(&self, word: &[u8]) -> Option<usize> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then_some(end)
    }
}

/// The first position from `pos` holding a quote, a backslash or a control character (or
/// the end): eight bytes at a time, then byte by byte.
#[inline(always)]
fn skip_plain(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Sets the high bit of the lowest byte that is zero (bytes above it may be wrong).
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    while let Some(eight) = bytes.get(pos..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*eight);
        let special = zero_byte(word ^ (ONES * u64::from(b'"')))
            | zero_byte(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if special != 0 {
            return pos + (special.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&byte) = bytes.get(pos) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            break;
        }
        pos += 1;
    }
    pos
}

/// True when the raw key (quotes included; `escaped` when it holds an escape) names `name`.
#[inline(always)]
fn key_is(raw: &[u8], escaped: bool, name: &str) -> bool {
    if escaped {
        escaped_key_is(raw, name)
    } else {
        raw.len() == name.len() + 2 && raw[1..raw.len() - 1] == *name.as_bytes()
    }
}

/// [`key_is`] for a key with escapes (rare): unescaped first.
#[inline(never)]
fn escaped_key_is(raw: &[u8], name: &str) -> bool {
    string_text(raw).is_some_and(|text| text == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json_number::number_value;

    fn at<'a>(json: &'a str, path: &[Segment]) -> Option<&'a str> {
        value_at(json.as_bytes(), path).map(|raw| std::str::from_utf8(raw).expect("utf-8"))
    }

    fn at_str(json: &str) -> Option<String> {
        at(json, &[key("k")]).map(str::to_owned)
    }

    #[test]
    fn nesting_is_measured_outside_strings() {
        assert!(nesting_within(br#"{"a":[[1]]}"#, 3));
        assert!(!nesting_within(br#"{"a":[[1]]}"#, 2));
        assert!(nesting_within(br#"{"a":"[[[[\"[["}"#, 1));
    }

    fn key(name: &str) -> Segment {
        Segment::Key(name.into())
    }

    #[test]
    fn finds_the_raw_value_at_a_path() {
        let doc = r#" {"a": {"b": [10, {"c": "x\"y"}, true]}, "a": 5, "n": null} "#;
        assert_eq!(at(doc, &[]), Some(doc.trim()));
        assert_eq!(
            at(doc, &[key("a"), key("b"), Segment::Index(0)]),
            Some("10")
        );
        assert_eq!(
            at(doc, &[key("a"), key("b"), Segment::Index(1), key("c")]),
            Some(r#""x\"y""#)
        );
        assert_eq!(
            at(doc, &[key("a"), key("b"), Segment::Index(2)]),
            Some("true")
        );
        assert_eq!(at(doc, &[key("n")]), Some("null"));
        assert_eq!(at(doc, &[key("a"), key("b"), Segment::Index(3)]), None);
        assert_eq!(at(doc, &[key("missing")]), None);
        assert_eq!(at(doc, &[key("n"), key("deeper")]), None);
        assert_eq!(at(r#"{"é\u00e9": 1}"#, &[key("éé")]), Some("1"));
    }

    #[test]
    fn broken_documents_never_match() {
        for broken in [
            r#"{"type":"trade""#,
            r#"{"type":"trade"} extra"#,
            r#"{"type" "trade"}"#,
            r#"{"type":"trade",}"#,
            r#"{"type":tru}"#,
            r#"["a" "b"]"#,
            "{\"type\":\"tr\nade\"}",
            r#"{"type":"trade\"}"#,
            "",
            "   ",
        ] {
            assert_eq!(at(broken, &[key("type")]), None, "{broken:?}");
        }
        for bad_number in ["01", "1.", ".5", "+1", "1e", "-", "1.2.3", "0x10"] {
            let doc = format!(r#"{{"n":{bad_number}}}"#);
            assert_eq!(at(&doc, &[key("n")]), None, "{doc}");
        }
        assert_eq!(number_value(b"-12.5e2"), Some(-1250.0));
        assert_eq!(number_value(b"0"), Some(0.0));
        assert_eq!(number_value(b"\"1\""), None);
        // Quotes, escapes and control characters at every offset of the eight-byte steps.
        for at in 0..20 {
            let plain = "x".repeat(at);
            assert_eq!(
                at_str(&format!(r#"{{"k":"{plain}\"q"}}"#)),
                Some(format!(r#""{plain}\"q""#))
            );
            assert_eq!(at_str(&format!("{{\"k\":\"{plain}\u{1}\"}}")), None, "{at}");
        }
        let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(
            at(&deep, &[]),
            None,
            "nesting deeper than serde_json allows"
        );
    }

    #[test]
    fn a_scan_stops_at_the_value_and_checks_the_rest_on_request() {
        let path = [key("a")];
        let mut scan = PathScan::new(br#"{"a": [1, {}], "b": tru}"#, &path);
        assert_eq!(scan.find(), Some(&b"[1, {}]"[..]));
        assert!(!scan.finish(), "the rest is broken");
        let mut scan = PathScan::new(br#"{"x": {"a": 1}, "a": 2 , "a": 3} "#, &path);
        assert_eq!(
            scan.find(),
            Some(&b"2"[..]),
            "the first member named a, at the top"
        );
        assert!(scan.finish());
        let missing = [
            (r#"{"b":1}"#, vec![key("a")]),
            (r#"{"a":1}"#, vec![key("a"), key("b")]),
            (r#"[[],[5]]"#, vec![Segment::Index(1), Segment::Index(1)]),
            (r#"{"a":{"b":1},"a":{"c":2}}"#, vec![key("a"), key("c")]),
            (r#"{"a":[1,2]}"#, vec![key("a"), key("b")]),
            (r#"[{"a":1}]"#, vec![key("a")]),
        ];
        for (doc, path) in missing {
            assert_eq!(PathScan::new(doc.as_bytes(), &path).find(), None, "{doc}");
        }
        assert_eq!(
            at(
                r#"[[],[5, [6, 7]]]"#,
                &[Segment::Index(1), Segment::Index(1)]
            ),
            Some("[6, 7]")
        );
        for valid in [
            "{}",
            "[]",
            "[[]]",
            r#"{"a":{}}"#,
            " [ { } , [ ] ] ",
            "1",
            r#""s""#,
        ] {
            assert_eq!(at(valid, &[]), Some(valid.trim()), "{valid}");
        }
        for broken in [
            "{,}",
            "[,]",
            "[1,]",
            r#"{"a":1,}"#,
            "[1 2]",
            "}",
            "]",
            "[}",
            "{]",
            "1 2",
        ] {
            assert_eq!(at(broken, &[]), None, "{broken}");
        }
    }
}
