//! A structural JSON scanner: finds the raw text of the value at a path without building
//! values, so that a JSON filter over a million messages reads each one once and allocates
//! nothing. The whole document's structure is checked (brackets, strings, commas, colons,
//! literals, number syntax), so a broken document never matches.

use super::json_filter::Segment;

/// Nesting deeper than this is refused, as serde_json refuses it: the scanner recurses.
const MAX_DEPTH: usize = 128;

/// The raw text of the first value at `path` in `json` (`path` empty: the whole document),
/// when `json` is one well-formed JSON value surrounded only by whitespace.
pub fn value_at<'a>(json: &'a [u8], path: &[Segment]) -> Option<&'a [u8]> {
    let mut scanner = Scanner {
        bytes: json,
        pos: 0,
        found: None,
    };
    scanner.value(Some(path), 0)?;
    scanner.skip_whitespace();
    if scanner.pos == json.len() {
        scanner.found
    } else {
        None
    }
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

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The value at the path, once scanned.
    found: Option<&'a [u8]>,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` (after whitespace), or fails.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Scans one value. `path` is what remains of the path while this value lies on it
    /// (`Some(&[])`: this is the wanted value), `None` off the path.
    fn value(&mut self, path: Option<&[Segment]>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        let start = self.pos;
        let next = path.and_then(<[Segment]>::split_first);
        match self.peek()? {
            b'{' => self.object(next, depth)?,
            b'[' => self.array(next, depth)?,
            b'"' => self.string()?,
            b'-' | b'0'..=b'9' => self.number()?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            _ => return None,
        }
        if path.is_some_and(<[Segment]>::is_empty) && self.found.is_none() {
            self.found = Some(&self.bytes[start..self.pos]);
        }
        Some(())
    }

    fn object(&mut self, next: Option<(&Segment, &[Segment])>, depth: usize) -> Option<()> {
        self.pos += 1;
        let mut wanted = match next {
            Some((Segment::Key(key), rest)) => Some((key.as_str(), rest)),
            _ => None,
        };
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.skip_whitespace();
            let key_start = self.pos;
            if self.peek()? != b'"' {
                return None;
            }
            self.string()?;
            let key = &self.bytes[key_start..self.pos];
            self.expect(b':')?;
            // The first member with the wanted name is on the path (as serde_json reads it).
            let on_path = match wanted {
                Some((name, rest)) if key_is(key, name) => {
                    wanted = None;
                    Some(rest)
                }
                _ => None,
            };
            self.value(on_path, depth + 1)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, next: Option<(&Segment, &[Segment])>, depth: usize) -> Option<()> {
        self.pos += 1;
        let wanted = match next {
            Some((Segment::Index(index), rest)) => Some((*index, rest)),
            _ => None,
        };
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        let mut index = 0;
        loop {
            let on_path = wanted.and_then(|(at, rest)| (at == index).then_some(rest));
            self.value(on_path, depth + 1)?;
            index += 1;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string, from its opening quote to after its closing one.
    fn string(&mut self) -> Option<()> {
        let mut pos = self.pos + 1;
        loop {
            pos = skip_plain(self.bytes, pos);
            match *self.bytes.get(pos)? {
                b'"' => {
                    self.pos = pos + 1;
                    return Some(());
                }
                // An escape: the backslash and the character it escapes.
                b'\\' => pos += 2,
                _ => return None,
            }
        }
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        self.pos = number_end(self.bytes, self.pos)?;
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }
}

/// The first position from `pos` holding a quote, a backslash or a control character (or
/// the end): eight bytes at a time, then byte by byte.
fn skip_plain(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Sets the high bit of the lowest byte that is zero (bytes above it may be wrong).
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(eight);
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

/// Where the JSON number starting at `start` ends, if one does.
fn number_end(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |mut pos: usize| {
        let from = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        (pos > from).then_some(pos)
    };
    let mut pos = start;
    if bytes.get(pos) == Some(&b'-') {
        pos += 1;
    }
    pos = match bytes.get(pos)? {
        b'0' => pos + 1,
        b'1'..=b'9' => digits(pos)?,
        _ => return None,
    };
    if bytes.get(pos) == Some(&b'.') {
        pos = digits(pos + 1)?;
    }
    if let Some(b'e' | b'E') = bytes.get(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = bytes.get(pos) {
            pos += 1;
        }
        pos = digits(pos)?;
    }
    Some(pos)
}

/// The value of raw JSON text that is exactly one number.
pub fn number_value(raw: &[u8]) -> Option<f64> {
    if number_end(raw, 0)? != raw.len() {
        return None;
    }
    std::str::from_utf8(raw).ok()?.parse().ok()
}

/// True when the raw key (quotes included) names `name`.
fn key_is(raw: &[u8], name: &str) -> bool {
    let inner = &raw[1..raw.len() - 1];
    if inner.contains(&b'\\') {
        string_text(raw).is_some_and(|text| text == name)
    } else {
        inner == name.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(json: &'a str, path: &[Segment]) -> Option<&'a str> {
        value_at(json.as_bytes(), path).map(|raw| std::str::from_utf8(raw).expect("utf-8"))
    }

    fn at_str(json: &str) -> Option<String> {
        at(json, &[key("k")]).map(str::to_owned)
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
}
