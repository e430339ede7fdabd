//! JSON for people: validation with a line and column, pretty-printing that keeps the
//! message exactly as sent (key order, duplicate keys, number spelling and string escapes),
//! a per-line tokenizer for syntax colouring, and a line index so a view can fetch any line
//! of a many-megabyte text in O(1) and lay out only the visible ones.
//!
//! A view of a payload is bounded whatever the input: [`pretty_lines`] refuses nesting
//! deeper than [`MAX_DEPTH`] and output larger than [`MAX_PRETTY_BYTES`], and keeps each
//! line's depth as a number instead of indentation (indentation grows with depth times
//! lines, which made a 200 KB `[[[…]]]` need gigabytes), so its output is at most about
//! eleven bytes per input byte.

use std::fmt;
use std::ops::Range;

/// Why a text is not JSON, and where (1-based line and column, as serde_json counts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line of the first problem.
    pub line: usize,
    /// 1-based column (in bytes) of the first problem.
    pub column: usize,
    /// What is wrong, e.g. "expected value".
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for JsonError {}

impl From<serde_json::Error> for JsonError {
    fn from(err: serde_json::Error) -> Self {
        let (line, column) = (err.line(), err.column());
        let full = err.to_string();
        // serde_json appends " at line L column C"; the position is kept in its own fields.
        let suffix = format!(" at line {line} column {column}");
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        JsonError {
            line,
            column,
            message,
        }
    }
}

/// The indentation of one nesting level in [`pretty`]'s output.
pub const INDENT: &str = "  ";

/// The deepest nesting [`pretty_lines`] (and the tree view) follows: serde_json's own
/// default recursion limit (it refuses a 128th level). Deeper texts are shown raw.
pub const MAX_DEPTH: usize = 127;

/// The most bytes [`pretty_lines`] may use for its text and line tables, whatever the
/// input's size; a larger pretty view is refused and the text shown raw.
pub const MAX_PRETTY_BYTES: usize = 256 << 20;

/// The bytes one line costs in [`Lines`] besides its text: its start and its depth.
const LINE_TABLE_BYTES: usize = size_of::<usize>() + size_of::<u8>();

/// Why a text has no pretty view.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrettyError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    NotJson(JsonError),
    /// The text nests deeper than [`MAX_DEPTH`] levels.
    #[error("nested {depth} levels deep")]
    TooDeep {
        /// How deep the text nests.
        depth: usize,
    },
    /// The pretty view would take more than [`MAX_PRETTY_BYTES`].
    #[error("too large to pretty-print (over {} MiB)", MAX_PRETTY_BYTES >> 20)]
    TooLarge,
}

impl From<JsonError> for PrettyError {
    fn from(err: JsonError) -> Self {
        PrettyError::NotJson(err)
    }
}

/// Checks that `text` is one JSON value (surrounding white space allowed), without building
/// it in memory and without a nesting limit.
pub fn validate(text: &str) -> Result<(), JsonError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)?;
    Ok(())
}

/// Parses `text` as one JSON value, for encoding it in another format. Positions in the
/// error are the text's own.
pub fn parse_value(text: &str) -> Result<serde_json::Value, JsonError> {
    Ok(serde_json::from_str(text)?)
}

/// Pretty-prints JSON with a two-space indent, one value per line, `"key": value`.
///
/// The text is checked by serde_json first; it is then re-indented token by token, so what
/// the message said is kept as it was: key order, duplicate keys, the spelling of numbers
/// (`1.50`, `1e3`, integers beyond 64 bits) and string escapes (`\u00e9`). Empty objects and
/// arrays print as `{}` and `[]`. Nesting depth is not limited, and the output grows with
/// depth times lines: for texts a person wrote; a view of a payload uses [`pretty_lines`].
pub fn pretty(text: &str) -> Result<String, JsonError> {
    validate(text)?;
    Ok(relayout(text, true, Mode::UNBOUNDED)
        .map(|layout| layout.out)
        .unwrap_or_default())
}

/// [`pretty`]'s lines, each without its indentation but with its depth, and a
/// [`LineIndex`] of them (lines longer than `max_line_bytes` cut into segments), made in one
/// pass: what a line view of a message needs. Bounded whatever the input: nesting deeper
/// than [`MAX_DEPTH`] is refused ([`PrettyError::TooDeep`], with the depth), so is a view
/// that would take more than [`MAX_PRETTY_BYTES`]; the text is at most twice the input and
/// each line costs nine bytes more. Time is linear in the input.
pub fn pretty_lines(text: &str, max_line_bytes: usize) -> Result<Lines, PrettyError> {
    pretty_lines_within(text, max_line_bytes, MAX_PRETTY_BYTES)
}

/// [`pretty_lines`] with another ceiling than [`MAX_PRETTY_BYTES`].
fn pretty_lines_within(
    text: &str,
    max_line_bytes: usize,
    ceiling: usize,
) -> Result<Lines, PrettyError> {
    validate(text)?;
    let depth = nesting_depth(text.as_bytes());
    if depth > MAX_DEPTH {
        return Err(PrettyError::TooDeep { depth });
    }
    let mut layout = relayout(text, true, Mode::Depths { ceiling })?;
    layout.out.shrink_to_fit();
    layout.depths.shrink_to_fit();
    let mut index = LineIndex::from_line_starts(&layout.out, layout.starts, max_line_bytes);
    index.starts.shrink_to_fit();
    Ok(Lines {
        text: layout.out,
        index,
        depths: layout.depths,
    })
}

/// How deep `bytes` nest: the most brackets open at once (outside strings). Linear, no
/// recursion; any bytes are accepted.
pub fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = string_end(bytes, i);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Lays JSON out again with a two-space indent, one value per line and `"key": value`, or,
/// when `pretty` is false, with no white space at all. Strings, numbers and `{{variable}}`
/// references outside strings are copied exactly as written, so it also serves a composer
/// body that expands to JSON. Input that is not JSON is still laid out, without panicking.
pub fn reformat(text: &str, pretty: bool) -> String {
    // Without a limit the layout cannot fail.
    relayout(text, pretty, Mode::UNBOUNDED)
        .map(|layout| layout.out)
        .unwrap_or_default()
}

/// [`reformat`], or `None` when its output would pass `max_bytes`: indentation grows with
/// depth times lines, so a deeply nested text can need gigabytes. Stops at the first line
/// break past the limit, so time and memory stay within about `max_bytes` plus one line.
pub fn reformat_within(text: &str, pretty: bool, max_bytes: usize) -> Option<String> {
    relayout(text, pretty, Mode::Indented { max_bytes })
        .ok()
        .map(|layout| layout.out)
}

/// How [`relayout`] lays lines out, and when it gives up.
#[derive(Clone, Copy)]
enum Mode {
    /// Indentation spelled out; stops with [`PrettyError::TooLarge`] once the text passes
    /// `max_bytes`.
    Indented {
        /// The most bytes of output.
        max_bytes: usize,
    },
    /// Lines not indented: each line's depth kept in [`Layout::depths`]; stops with
    /// [`PrettyError::TooLarge`] once the text and line tables would pass `ceiling` bytes.
    Depths {
        /// The most bytes of text and line tables.
        ceiling: usize,
    },
}

impl Mode {
    /// Indented, without a limit: never fails.
    const UNBOUNDED: Mode = Mode::Indented {
        max_bytes: usize::MAX,
    };
}

/// What [`relayout`] made.
struct Layout {
    /// The text laid out.
    out: String,
    /// Where each line starts.
    starts: Vec<usize>,
    /// Each line's depth, when lines are not indented (else empty).
    depths: Vec<u8>,
}

/// [`reformat`], also returning where each output line starts. Works on bytes but only ever
/// cuts at ASCII bytes, so every slice it copies is whole UTF-8. `mode` says how lines are
/// indented and when to give up ([`PrettyError::TooLarge`]).
fn relayout(text: &str, pretty: bool, mode: Mode) -> Result<Layout, PrettyError> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 2 + 16);
    let mut starts = vec![0];
    let mut depths = Vec::new();
    if let Mode::Depths { .. } = mode {
        depths.push(0);
    }
    let mut depth = 0usize;
    let mut i = 0;
    // "\n" and then indentation, grown as the nesting deepens; one copy per new line.
    let mut break_and_indent = String::from("\n");
    let mut newline = |out: &mut String, starts: &mut Vec<usize>, depth: usize| {
        if !pretty {
            return Ok(());
        }
        let max_bytes = match mode {
            Mode::Indented { max_bytes } => max_bytes,
            Mode::Depths { ceiling } => {
                out.push('\n');
                starts.push(out.len());
                depths.push(u8::try_from(depth).unwrap_or(u8::MAX));
                if out.len() + starts.len() * LINE_TABLE_BYTES > ceiling {
                    return Err(PrettyError::TooLarge);
                }
                return Ok(());
            }
        };
        let len = 1 + depth * INDENT.len();
        if out.len().saturating_add(len) > max_bytes {
            return Err(PrettyError::TooLarge);
        }
        while break_and_indent.len() < len {
            break_and_indent.push_str(INDENT);
        }
        out.push_str(break_and_indent.get(..len).unwrap_or_default());
        starts.push(out.len() - (len - 1));
        Ok(())
    };
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                let end = string_end(bytes, i);
                out.push_str(text.get(i..end).unwrap_or_default());
                i = end;
            }
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                // A `{{variable}}` reference (never valid JSON by itself): copied whole.
                let end = text[i + 2..]
                    .find("}}")
                    .map_or(bytes.len(), |at| i + 2 + at + 2);
                out.push_str(text.get(i..end).unwrap_or_default());
                i = end;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let next = skip_space(bytes, i + 1);
                if bytes.get(next) == Some(&close) {
                    out.push(char::from(open));
                    out.push(char::from(close));
                    i = next + 1;
                } else {
                    out.push(char::from(open));
                    depth += 1;
                    newline(&mut out, &mut starts, depth)?;
                    i += 1;
                }
            }
            close @ (b'}' | b']') => {
                depth = depth.saturating_sub(1);
                newline(&mut out, &mut starts, depth)?;
                out.push(char::from(close));
                i += 1;
            }
            b',' => {
                out.push(',');
                newline(&mut out, &mut starts, depth)?;
                i += 1;
            }
            b':' => {
                out.push_str(if pretty { ": " } else { ":" });
                i += 1;
            }
            _ => {
                // A number or a literal: copy up to the next structural byte or space.
                let end = bytes[i..]
                    .iter()
                    .position(|b| {
                        matches!(
                            b,
                            b' ' | b'\t'
                                | b'\n'
                                | b'\r'
                                | b','
                                | b':'
                                | b'['
                                | b']'
                                | b'{'
                                | b'}'
                                | b'"'
                        )
                    })
                    .map_or(bytes.len(), |n| i + n.max(1));
                out.push_str(text.get(i..end).unwrap_or_default());
                i = end;
            }
        }
    }
    if let Mode::Indented { max_bytes } = mode
        && out.len() > max_bytes
    {
        return Err(PrettyError::TooLarge);
    }
    Ok(Layout {
        out,
        starts,
        depths,
    })
}

/// The index just past the closing quote of the string opening at `start` (or the end of the
/// input when it is unterminated).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// What a piece of a pretty-printed line is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonToken {
    /// An object key, quotes included.
    Key,
    /// A string value, quotes included.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// `{ } [ ] , :` and anything unexpected.
    Punct,
    /// White space (indentation, the space after a colon).
    Space,
}

/// Splits one line of [`pretty`]'s output into coloured pieces. The ranges are byte ranges
/// into `line`, in order, covering it whole, each on character boundaries. Any text is
/// accepted: what is not JSON comes out as [`JsonToken::Punct`], an unterminated string runs
/// to the end of the line.
pub fn tokens(line: &str) -> Vec<(Range<usize>, JsonToken)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let token = match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i = skip_space(bytes, i);
                JsonToken::Space
            }
            b'"' => {
                i = string_end(bytes, i).min(bytes.len());
                if bytes.get(skip_space(bytes, i)) == Some(&b':') {
                    JsonToken::Key
                } else {
                    JsonToken::String
                }
            }
            b'-' | b'0'..=b'9' => {
                i += bytes[i..]
                    .iter()
                    .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .count();
                JsonToken::Number
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                i += bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
                match &line[start..i] {
                    "true" | "false" => JsonToken::Bool,
                    "null" => JsonToken::Null,
                    _ => JsonToken::Punct,
                }
            }
            _ => {
                // One character, whatever its length in bytes.
                i += line[i..].chars().next().map_or(1, char::len_utf8);
                JsonToken::Punct
            }
        };
        out.push((start..i, token));
    }
    out
}

/// Where each line of a text starts, so line `i` is found in O(1). Lines are split at `\n`
/// (a `\r` before it is left out of the line), like `str::split('\n')`: an empty text has
/// one empty line and a text ending in `\n` has an empty last line. Optionally, long lines
/// are cut into segments of at most `max_line_bytes` (at character boundaries) so that a
/// view never lays out megabytes of one line.
///
/// The index holds no text: pass the text it was built from to [`LineIndex::line`]. Given
/// another text it returns empty or wrong lines, never panics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    /// Where each line (segment) starts; never empty once built.
    starts: Vec<usize>,
    /// The indices of the segments that continue a cut line, ascending.
    continuations: Vec<usize>,
    /// The length of the indexed text.
    text_len: usize,
}

impl LineIndex {
    /// Indexes `text`'s lines without cutting long ones.
    pub fn new(text: &str) -> Self {
        Self::with_max_line_bytes(text, usize::MAX)
    }

    /// Indexes `text`'s lines, cutting lines longer than `max_line_bytes` (at least 4) into
    /// segments; [`LineIndex::is_continuation`] tells the segments after the first apart.
    pub fn with_max_line_bytes(text: &str, max_line_bytes: usize) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, byte)| byte == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self::from_line_starts(text, line_starts, max_line_bytes)
    }

    /// Builds the index from the known starts of `text`'s lines (0, then one past each
    /// `\n`), cutting lines longer than `max_line_bytes` (at least 4).
    fn from_line_starts(text: &str, line_starts: Vec<usize>, max_line_bytes: usize) -> Self {
        let max = max_line_bytes.max(4);
        let text_len = text.len();
        let line_end = |n: usize| line_starts.get(n + 1).map_or(text_len, |&next| next - 1);
        let has_long_line = (0..line_starts.len()).any(|n| line_end(n) - line_starts[n] > max);
        if !has_long_line {
            return LineIndex {
                starts: line_starts,
                continuations: Vec::new(),
                text_len,
            };
        }
        let mut index = LineIndex {
            starts: Vec::with_capacity(line_starts.len() + 16),
            continuations: Vec::new(),
            text_len,
        };
        for (n, &start) in line_starts.iter().enumerate() {
            index.starts.push(start);
            index.cut(text, start, line_end(n), max);
        }
        index
    }

    /// Adds segment starts inside the line `from..to` when it is longer than `max`.
    fn cut(&mut self, text: &str, from: usize, to: usize, max: usize) {
        let mut start = from;
        while to - start > max {
            let cut = text.floor_char_boundary(start + max);
            self.continuations.push(self.starts.len());
            self.starts.push(cut);
            start = cut;
        }
    }

    /// The number of lines (segments, when long lines were cut); at least 1.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Always false: even an empty text has one (empty) line.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The byte range of line `i` in the text (given as bytes, so a caller holding bytes it
    /// validated once need not validate them again), without its `\n` or `\r\n`; empty
    /// when `i` is out of range. The range lies on character boundaries of the text.
    pub fn range(&self, bytes: &[u8], i: usize) -> Range<usize> {
        let Some(&start) = self.starts.get(i) else {
            return 0..0;
        };
        let start = start.min(bytes.len());
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text_len);
        let mut end = end.clamp(start, bytes.len());
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        start..end
    }

    /// Line `i` of `text` (the text the index was built from), without its line ending.
    pub fn line<'t>(&self, text: &'t str, i: usize) -> &'t str {
        text.get(self.range(text.as_bytes(), i)).unwrap_or_default()
    }

    /// True when line `i` is the second or later segment of a cut long line.
    pub fn is_continuation(&self, i: usize) -> bool {
        self.continuations.binary_search(&i).is_ok()
    }

    /// The 1-based number of the text line that segment `i` belongs to (`i + 1` when no
    /// line was cut). O(log n).
    pub fn line_number(&self, i: usize) -> usize {
        i + 1 - self.continuations.partition_point(|&c| c <= i)
    }
}

/// A text together with its [`LineIndex`], e.g. pretty-printed JSON, and optionally each
/// line's depth: [`pretty_lines`] keeps indentation as a number per line, which a view
/// draws (see [`Lines::indent`]) and [`Lines::indented`] spells out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    text: String,
    index: LineIndex,
    /// The depth of each text line (not segment); empty when the text is not indented.
    depths: Vec<u8>,
}

impl Lines {
    /// Indexes `text` (long lines are not cut).
    pub fn new(text: String) -> Self {
        let index = LineIndex::new(&text);
        Lines {
            text,
            index,
            depths: Vec::new(),
        }
    }

    /// Indexes `text`, cutting lines longer than `max_line_bytes` into segments.
    pub fn with_max_line_bytes(text: String, max_line_bytes: usize) -> Self {
        let index = LineIndex::with_max_line_bytes(&text, max_line_bytes);
        Lines {
            text,
            index,
            depths: Vec::new(),
        }
    }

    /// How many [`INDENT`]s go before line (segment) `i`: its line's depth for a line's
    /// first segment, 0 for a continuation, out of range, or a text without depths.
    pub fn indent(&self, i: usize) -> usize {
        if self.is_continuation(i) {
            return 0;
        }
        let line = self.line_number(i).saturating_sub(1);
        self.depths.get(line).map_or(0, |&depth| usize::from(depth))
    }

    /// The length of [`Lines::indented`]'s text, without making it.
    pub fn indented_len(&self) -> usize {
        let indents: usize = self.depths.iter().map(|&depth| usize::from(depth)).sum();
        self.text.len() + indents * INDENT.len()
    }

    /// The text with each line's indentation spelled out (what [`pretty`] returns for
    /// the same JSON). Its size is [`Lines::indented_len`], up to [`MAX_DEPTH`] indents per
    /// line: check it before making it for a large text.
    pub fn indented(&self) -> String {
        if self.depths.is_empty() {
            return self.text.clone();
        }
        let mut out = String::with_capacity(self.indented_len());
        for (n, line) in self.text.split('\n').enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let depth = self.depths.get(n).map_or(0, |&depth| usize::from(depth));
            for _ in 0..depth {
                out.push_str(INDENT);
            }
            out.push_str(line);
        }
        out
    }

    /// The bytes this holds on the heap (text, line tables), by capacity.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.depths.capacity()
            + (self.index.starts.capacity() + self.index.continuations.capacity())
                * size_of::<usize>()
    }

    /// The number of lines (segments); at least 1.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Always false: even an empty text has one (empty) line.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Line (segment) `i`, without its line ending; empty when out of range.
    pub fn line(&self, i: usize) -> &str {
        self.index.line(&self.text, i)
    }

    /// True when line `i` is the second or later segment of a cut long line.
    pub fn is_continuation(&self, i: usize) -> bool {
        self.index.is_continuation(i)
    }

    /// The 1-based number of the text line that segment `i` belongs to.
    pub fn line_number(&self, i: usize) -> usize {
        self.index.line_number(i)
    }

    /// The whole text (without indentation when the lines have depths: see
    /// [`Lines::indented`]).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The index.
    pub fn index(&self) -> &LineIndex {
        &self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(line: &str) -> Vec<(&str, JsonToken)> {
        tokens(line)
            .into_iter()
            .map(|(range, token)| (&line[range], token))
            .collect()
    }

    #[test]
    fn pretty_prints_nested_values_with_two_spaces() {
        let text = r#"{"a":1,"b":[true,false,null,{"c":"d"}],"e":{},"f":[]}"#;
        let expected = "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    false,\n    null,\n    {\n      \"c\": \"d\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}";
        assert_eq!(pretty(text).unwrap(), expected);
        // Pretty output is a fixed point, and agrees with serde_json's own pretty printer.
        assert_eq!(pretty(expected).unwrap(), expected);
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string_pretty(&value).unwrap(), expected);
    }

    #[test]
    fn keeps_key_order_and_spelling() {
        let text = "{ \"z\" : 1.50, \"a\" : 1e3, \"big\": 123456789012345678901234567890 }";
        assert_eq!(
            pretty(text).unwrap(),
            "{\n  \"z\": 1.50,\n  \"a\": 1e3,\n  \"big\": 123456789012345678901234567890\n}"
        );
        assert_eq!(pretty(" 42 ").unwrap(), "42");
        assert_eq!(pretty("\"x\"").unwrap(), "\"x\"");
        assert_eq!(pretty("[ ]").unwrap(), "[]");
        assert_eq!(pretty("{\n}").unwrap(), "{}");
    }

    #[test]
    fn strings_with_escapes_and_unicode_are_copied_verbatim() {
        let text = r#"{"quote \" and \\":"a,b:{c}[d] \"\\","é😀":"\u00e9\n"}"#;
        let out = pretty(text).unwrap();
        assert_eq!(
            out,
            "{\n  \"quote \\\" and \\\\\": \"a,b:{c}[d] \\\"\\\\\",\n  \"é😀\": \"\\u00e9\\n\"\n}"
        );
        let lines = Lines::new(out);
        assert_eq!(lines.len(), 4);
        assert_eq!(
            colour(lines.line(1)),
            vec![
                ("  ", JsonToken::Space),
                (r#""quote \" and \\""#, JsonToken::Key),
                (":", JsonToken::Punct),
                (" ", JsonToken::Space),
                (r#""a,b:{c}[d] \"\\""#, JsonToken::String),
                (",", JsonToken::Punct),
            ]
        );
        assert_eq!(
            colour(lines.line(2))[1],
            ("\"é😀\"", JsonToken::Key),
            "a unicode key"
        );
    }

    #[test]
    fn deep_nesting_has_no_limit() {
        let text = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let out = pretty(&text).unwrap();
        assert_eq!(Lines::new(out).len(), 1999);
    }

    #[test]
    fn tokens_tell_keys_from_string_values() {
        assert_eq!(
            colour(r#"    "name": "value","#),
            vec![
                ("    ", JsonToken::Space),
                ("\"name\"", JsonToken::Key),
                (":", JsonToken::Punct),
                (" ", JsonToken::Space),
                ("\"value\"", JsonToken::String),
                (",", JsonToken::Punct),
            ]
        );
        assert_eq!(
            colour(r#"  "just a string value""#),
            vec![
                ("  ", JsonToken::Space),
                ("\"just a string value\"", JsonToken::String),
            ]
        );
        assert_eq!(
            colour(r#""k": {"#),
            vec![
                ("\"k\"", JsonToken::Key),
                (":", JsonToken::Punct),
                (" ", JsonToken::Space),
                ("{", JsonToken::Punct),
            ]
        );
    }

    #[test]
    fn tokens_of_numbers_and_literals() {
        assert_eq!(
            colour(r#""n": -1.5e+10,"#)[3],
            ("-1.5e+10", JsonToken::Number)
        );
        assert_eq!(colour("2E-3")[0], ("2E-3", JsonToken::Number));
        assert_eq!(
            colour("true,"),
            vec![("true", JsonToken::Bool), (",", JsonToken::Punct)]
        );
        assert_eq!(colour("false")[0].1, JsonToken::Bool);
        assert_eq!(colour("null")[0].1, JsonToken::Null);
        assert_eq!(colour("],")[0], ("]", JsonToken::Punct));
    }

    #[test]
    fn tokens_never_panic_on_odd_lines() {
        for line in [
            "\"unterminated",
            "\"ends in backslash\\",
            "é ü 😀",
            "nul",
            "{}:,",
            "",
            "\"\\é\" é",
            "\\😀-é1e",
        ] {
            let pieces = tokens(line);
            let covered: String = pieces.iter().map(|(r, _)| &line[r.clone()]).collect();
            assert_eq!(covered, line);
        }
        assert_eq!(colour("\"abc")[0], ("\"abc", JsonToken::String));
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let err = pretty("{\n  \"a\": 1,\n  \"b\": \n}").unwrap_err();
        assert_eq!((err.line, err.column), (4, 1));
        assert_eq!(err.message, "expected value");
        assert_eq!(err.to_string(), "line 4, column 1: expected value");

        let err = pretty("[1, 2,]").unwrap_err();
        assert_eq!((err.line, err.column), (1, 7));
        let err = pretty("{\"a\" 1}").unwrap_err();
        assert_eq!(err.message, "expected `:`");
        assert!(pretty("hello").is_err());
        assert!(pretty("").is_err());
        assert!(pretty("[1] [2]").is_err());
        assert!(pretty("01").is_err());
        assert!(pretty("\"tab\tinside\"").is_err());
        assert!(pretty("[\"\\x\"]").is_err());
    }

    #[test]
    fn pretty_lines_indexes_in_the_same_pass() {
        let text = r#"{"a":[1,2],"long":"abcdefghijklmnopqrstuvwxyz","e":[]}"#;
        let pretty_text = pretty(text).unwrap();
        let lines = pretty_lines(text, 10_000).unwrap();
        assert_eq!(lines.indented(), pretty_text);
        assert_eq!(lines.indented_len(), pretty_text.len());
        assert_eq!(lines.len(), Lines::new(pretty_text.clone()).len());
        assert_eq!((lines.indent(2), lines.line(2)), (2, "1,"));
        assert_eq!((lines.indent(7), lines.line(7)), (0, "}"));

        let cut = pretty_lines(text, 16).unwrap();
        assert_eq!(cut.indented(), pretty_text);
        assert_eq!((cut.indent(5), cut.line(5)), (1, r#""long": "abcdefg"#));
        assert!(cut.is_continuation(6));
        assert_eq!(cut.indent(6), 0, "a continuation is not indented");
        assert_eq!(cut.line_number(7), 6);
        assert!(matches!(
            pretty_lines("{", 16),
            Err(PrettyError::NotJson(_))
        ));
    }

    #[test]
    fn line_index_fetches_lines() {
        let text = "one\r\ntwo\n\nfour\n";
        let index = LineIndex::new(text);
        assert_eq!(index.len(), 5);
        let lines: Vec<&str> = (0..index.len()).map(|i| index.line(text, i)).collect();
        assert_eq!(lines, vec!["one", "two", "", "four", ""]);
        assert_eq!(index.line(text, 99), "");
        assert_eq!(LineIndex::new("").len(), 1);
        assert_eq!(LineIndex::new("").line("", 0), "");
        // Given another text, no panic.
        assert_eq!(index.line("o", 1), "");
    }

    #[test]
    fn long_lines_are_cut_at_character_boundaries() {
        let text = "ééééé\nabcdefghij";
        let index = LineIndex::with_max_line_bytes(text, 4);
        let lines: Vec<&str> = (0..index.len()).map(|i| index.line(text, i)).collect();
        assert_eq!(lines, vec!["éé", "éé", "é", "abcd", "efgh", "ij"]);
        let continued: Vec<bool> = (0..index.len()).map(|i| index.is_continuation(i)).collect();
        assert_eq!(continued, vec![false, true, true, false, true, true]);
        let numbers: Vec<usize> = (0..index.len()).map(|i| index.line_number(i)).collect();
        assert_eq!(numbers, vec![1, 1, 1, 2, 2, 2]);
        assert_eq!(LineIndex::new(text).line_number(1), 2);
    }

    /// Hostile shapes: deep arrays and objects, long strings, many tiny values.
    fn hostile_inputs() -> Vec<(&'static str, String)> {
        vec![
            (
                "deep arrays",
                format!("{}{}", "[".repeat(3000), "]".repeat(3000)),
            ),
            (
                "deep objects",
                format!("{}1{}", "{\"a\":".repeat(3000), "}".repeat(3000)),
            ),
            ("long string", format!("[\"{}\"]", "x".repeat(1 << 20))),
            (
                "tiny values at depth 127",
                format!(
                    "{}{}1{}",
                    "[".repeat(127),
                    "1,".repeat(100_000),
                    "]".repeat(127)
                ),
            ),
            (
                "a value at every level",
                format!("{}1{}", "{\"k\":1,\"a\":".repeat(127), "}".repeat(127)),
            ),
        ]
    }

    #[test]
    fn pretty_lines_output_is_linear_in_the_input() {
        for (name, text) in hostile_inputs() {
            let lines = match pretty_lines(&text, 1000) {
                Ok(lines) => lines,
                Err(PrettyError::TooDeep { depth }) if depth > MAX_DEPTH => continue,
                Err(err) => panic!("{name}: {err}"),
            };
            let output = lines.text().len();
            assert!(
                output <= 2 * text.len() + 16,
                "{name}: {output} bytes of pretty text from {} bytes",
                text.len()
            );
            let held = lines.heap_bytes();
            assert!(
                held <= 12 * text.len() + 64,
                "{name}: {held} bytes held for {} bytes",
                text.len()
            );
        }
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_with_its_depth() {
        let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(pretty_lines(&deep(MAX_DEPTH), 1000).is_ok());
        let err = pretty_lines(&deep(MAX_DEPTH + 1), 1000).unwrap_err();
        assert_eq!(
            err,
            PrettyError::TooDeep {
                depth: MAX_DEPTH + 1
            }
        );
        // The example of the issue: 200 KB of brackets, which needed gigabytes.
        let err = pretty_lines(&deep(100_000), 1000).unwrap_err();
        assert_eq!(err.to_string(), "nested 100000 levels deep");
        let objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert_eq!(
            pretty_lines(&objects, 1000),
            Err(PrettyError::TooDeep { depth: 10_000 })
        );
        // Brackets inside strings do not count.
        assert_eq!(nesting_depth(br#"["[[[{{{", {"a": "]]]"}]"#), 2);
    }

    #[test]
    fn validating_a_million_levels_does_not_overflow_the_stack() {
        // serde_json skips ignored values without recursion; checked on a small stack.
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let checked = std::thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(move || (validate(&deep).is_ok(), pretty_lines(&deep, 1000).is_err()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(checked, (true, true));
    }

    #[test]
    fn a_pretty_view_over_the_ceiling_is_refused() {
        // Within the depth limit, the layout stops at its ceiling (MAX_PRETTY_BYTES for
        // pretty_lines): many tiny values make nine bytes of line table per two of input.
        let text = format!("[{}1]", "1,".repeat(100_000));
        assert!(pretty_lines_within(&text, 1000, 2 << 20).is_ok());
        assert_eq!(
            pretty_lines_within(&text, 1000, 1 << 20),
            Err(PrettyError::TooLarge)
        );
        assert_eq!(
            PrettyError::TooLarge.to_string(),
            "too large to pretty-print (over 256 MiB)"
        );
    }

    #[test]
    fn reformat_within_gives_up_past_its_limit() {
        // 200 KB of brackets would indent into 20 GB: refused at the limit instead.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(reformat_within(&deep, true, 1 << 20), None);
        assert_eq!(reformat_within(&deep, false, 1 << 20), Some(deep.clone()));
        let text = r#"{"a":[1,{{n}}]}"#;
        assert_eq!(
            reformat_within(text, true, 1 << 20),
            Some(reformat(text, true))
        );
        let pretty_len = reformat(text, true).len();
        assert!(reformat_within(text, true, pretty_len).is_some());
        assert!(reformat_within(text, true, pretty_len - 1).is_none());
    }

    #[test]
    fn reformat_matches_pretty_without_variables() {
        for text in [
            r#"{"a":[1,2,{}],"b":{"c":null,"d":[]},"e":"x, y: {z}","f":1.50e3}"#,
            "[]",
            "  \"é \\\" ok\"  ",
            "[[[1]],{\"k\":true}]",
        ] {
            assert_eq!(reformat(text, true), pretty(text).unwrap(), "{text}");
            let minified = reformat(text, false);
            validate(&minified).unwrap();
            assert_eq!(reformat(&minified, true), pretty(text).unwrap());
        }
    }

    #[test]
    fn reformat_keeps_variables_as_written() {
        let text = r#"{"n":{{counter}}, "at": "x {{ now }} y",
            "id":{{uuid}} }"#;
        assert_eq!(
            reformat(text, true),
            "{\n  \"n\": {{counter}},\n  \"at\": \"x {{ now }} y\",\n  \"id\": {{uuid}}\n}"
        );
        assert_eq!(
            reformat(text, false),
            r#"{"n":{{counter}},"at":"x {{ now }} y","id":{{uuid}}}"#
        );
    }

    #[test]
    fn reformat_never_panics_on_junk() {
        let mut rng = fastrand::Rng::with_seed(3);
        let alphabet = ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'é', '1', 'a'];
        for _ in 0..3_000 {
            let len = rng.usize(0..20);
            let text: String = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let _ = reformat(&text, true);
            let _ = reformat(&text, false);
        }
    }
}
