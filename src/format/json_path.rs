//! The one path language of Sockscope: RFC 9535 JSONPath, parsed and evaluated by the
//! `serde_json_path` crate, for the JSON filter (window and command line), the live
//! state's paths (select, key, filter and delete conditions), replay's ignored paths and
//! the mock server's rules. Descendants (`$..price`), wildcards (`$.items[*].id`, `$.*`),
//! slices, unions and filter selectors (`$.items[?@.qty > 1]`) work everywhere.
//!
//! Today's shorter forms are still read, and rewritten into RFC 9535 before the crate
//! parses them: a `.name` may hold characters RFC 9535 keeps for brackets (`$.a-b`,
//! `$.@type` become `$['a-b']`, `$['@type']`), and [`JsonPath::parse`] (a path on its own,
//! as replay's `--ignore`) may leave out the `$` (`timestamp` is `$.timestamp`).
//!
//! A path is compiled once. A path of names and indices only (RFC 9535's singular query)
//! also keeps its steps, so a filter can read its value straight from a message's text
//! (`crate::model::json_scan`) without building the message: the same answer, which the
//! tests check against the crate.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// One step of a path of names and indices.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// `.name` or `['name']`: an object member.
    Key(String),
    /// `[n]`: an array element.
    Index(usize),
}

/// A compiled path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    /// As written.
    text: String,
    compiled: serde_json_path::JsonPath,
    /// The steps, when the path is only names and indices.
    singular: Option<Vec<Segment>>,
    /// The member names every value it selects is reached through (`.name`, `..name`).
    names: Vec<String>,
}

/// Why a path does not parse, and where (0-based character position).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON path {path:?} at position {position}: {message}")]
pub struct JsonPathError {
    /// The path as given.
    pub path: String,
    /// The 0-based character position of the problem.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl JsonPath {
    /// Parses a whole path such as `$.items[*].id`; without `$` it is read as if it
    /// started with `$.` (`timestamp`) or `$` (`[0]`).
    pub fn parse(input: &str) -> Result<Self, JsonPathError> {
        let trimmed = input.trim();
        let chars: Vec<char> = trimmed.chars().collect();
        let error = |position: usize, message: String| JsonPathError {
            path: input.to_owned(),
            position,
            message,
        };
        if chars.is_empty() {
            return Err(error(0, "the path is empty".into()));
        }
        let scanned = scan(&chars, true).map_err(|(at, message)| error(at, message))?;
        if let Some(other) = chars.get(scanned.end) {
            return Err(error(
                scanned.end,
                format!("expected '.' or '[', found {other:?}"),
            ));
        }
        scanned
            .compile(trimmed)
            .map_err(|(at, message)| error(at, message))
    }

    /// Parses the path at the start of `input` (which starts with `$`), and gives back the
    /// rest (for a filter: `$.type == "trade"` is the path `$.type` and `== "trade"`).
    pub fn parse_prefix(input: &str) -> Result<(Self, &str), JsonPathError> {
        let trimmed = input.trim_start();
        let chars: Vec<char> = trimmed.chars().collect();
        let error = |position: usize, message: String| JsonPathError {
            path: input.to_owned(),
            position,
            message,
        };
        if chars.first() != Some(&'$') {
            return Err(error(0, "a path starts with $, e.g. $.type".into()));
        }
        let scanned = scan(&chars, false).map_err(|(at, message)| error(at, message))?;
        let split = trimmed
            .char_indices()
            .nth(scanned.end)
            .map_or(trimmed.len(), |(at, _)| at);
        let (path, rest) = trimmed.split_at(split);
        let path = scanned
            .compile(path)
            .map_err(|(at, message)| error(at, message))?;
        Ok((path, rest))
    }

    /// The whole document (`$`).
    pub fn root() -> Self {
        Self {
            text: "$".into(),
            compiled: serde_json_path::JsonPath::default(),
            singular: Some(Vec::new()),
            names: Vec::new(),
        }
    }

    /// The member names a document must have somewhere for the path to select anything
    /// (its `.name`, `['name']` and `..name` steps): a filter rejects a message whose text
    /// lacks one of them without parsing it.
    pub fn required_names(&self) -> &[String] {
        &self.names
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps of a path of names and indices only (`None` for any other path).
    pub fn singular(&self) -> Option<&[Segment]> {
        self.singular.as_deref()
    }

    /// True for `$` (the whole document).
    pub fn is_root(&self) -> bool {
        self.singular.as_ref().is_some_and(Vec::is_empty)
    }

    /// Every value the path selects in `document`, in document order.
    pub fn query<'v>(&self, document: &'v Value) -> Vec<&'v Value> {
        match &self.singular {
            Some(steps) => walk(document, steps).into_iter().collect(),
            None => self.compiled.query(document).all(),
        }
    }

    /// The first value the path selects, if any.
    pub fn get<'v>(&self, document: &'v Value) -> Option<&'v Value> {
        match &self.singular {
            Some(steps) => walk(document, steps),
            None => self.compiled.query(document).first(),
        }
    }

    /// Takes what the path selects out of an owned document: the value of a path of names
    /// and indices (no copy), or an array of every value another path selects (`None`
    /// when it selects nothing).
    pub fn take(&self, mut document: Value) -> Option<Value> {
        let Some(steps) = &self.singular else {
            let found: Vec<Value> = self.query(&document).into_iter().cloned().collect();
            return (!found.is_empty()).then_some(Value::Array(found));
        };
        for step in steps {
            document = match (step, document) {
                (Segment::Key(key), Value::Object(mut map)) => map.swap_remove(key)?,
                (Segment::Index(index), Value::Array(mut items)) if *index < items.len() => {
                    items.swap_remove(*index)
                }
                _ => return None,
            };
        }
        Some(document)
    }

    /// Removes every value the path selects from `value` (object members removed, array
    /// elements taken out). `$` alone selects the whole value, which is set to null.
    pub fn remove_from(&self, value: &mut Value) {
        if self.is_root() {
            *value = Value::Null;
            return;
        }
        let mut places: Vec<Vec<Segment>> = self
            .compiled
            .query_located(value)
            .locations()
            .map(|location| {
                location
                    .iter()
                    .map(|step| match step {
                        serde_json_path::PathElement::Name(name) => {
                            Segment::Key((*name).to_owned())
                        }
                        serde_json_path::PathElement::Index(index) => Segment::Index(*index),
                    })
                    .collect()
            })
            .collect();
        // The last places first: taking an array's later elements out keeps the earlier
        // ones where they were, and a place inside another goes before it.
        places.sort();
        places.dedup();
        for place in places.iter().rev() {
            remove_at(value, place);
        }
    }
}

/// The value at `steps`, if the document has one.
fn walk<'v>(document: &'v Value, steps: &[Segment]) -> Option<&'v Value> {
    steps.iter().try_fold(document, |value, step| match step {
        Segment::Key(key) => value.as_object()?.get(key),
        Segment::Index(index) => value.as_array()?.get(*index),
    })
}

/// Removes the value at `place` (not empty), if there is one.
fn remove_at(value: &mut Value, place: &[Segment]) {
    let Some((last, parents)) = place.split_last() else {
        return;
    };
    let mut target = value;
    for step in parents {
        let next = match (step, target) {
            (Segment::Key(key), Value::Object(map)) => map.get_mut(key),
            (Segment::Index(index), Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        let Some(next) = next else {
            return;
        };
        target = next;
    }
    match (last, target) {
        (Segment::Key(key), Value::Object(map)) => {
            map.shift_remove(key);
        }
        (Segment::Index(index), Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
        }
        _ => {}
    }
}

/// A path read up to where it ends, rewritten into RFC 9535.
struct Scanned {
    /// The path in RFC 9535 syntax.
    rfc: String,
    /// The steps, while the path is only names and indices.
    singular: Option<Vec<Segment>>,
    /// The names of its name steps.
    names: Vec<String>,
    /// The character position where the path ends.
    end: usize,
}

impl Scanned {
    /// Compiles the rewritten path; `text` is the path as written.
    fn compile(self, text: &str) -> Result<JsonPath, (usize, String)> {
        let compiled = serde_json_path::JsonPath::parse(&self.rfc).map_err(|error| {
            let at = error.position().min(text.chars().count());
            (at, format!("not an RFC 9535 JSONPath: {}", error.message()))
        })?;
        Ok(JsonPath {
            text: text.trim().to_owned(),
            compiled,
            singular: self.singular,
            names: self.names,
        })
    }
}

/// Characters that end a `.name` (besides white space): the brackets, quotes and
/// operators around a path.
const NAME_ENDS: &[char] = &[
    '.', '[', ']', '=', '!', '<', '>', '~', '(', ')', ',', '\'', '"', '?', '&', '|',
];

/// Reads a path from the start of `chars`. `lenient`: the `$` may be left out.
fn scan(chars: &[char], lenient: bool) -> Result<Scanned, (usize, String)> {
    let mut i = 0;
    let mut implied_dot = false;
    match chars.first() {
        Some('$') => i = 1,
        Some('.' | '[') if lenient => {}
        Some(_) if lenient => implied_dot = true,
        _ => return Err((0, "a path starts with $, e.g. $.type".into())),
    }
    let mut rfc = String::from("$");
    let mut steps = Some(Vec::new());
    let mut names = Vec::new();
    loop {
        let descendant;
        if implied_dot {
            implied_dot = false;
            descendant = false;
        } else {
            match chars.get(i) {
                Some('.') if chars.get(i + 1) == Some(&'.') => {
                    i += 2;
                    descendant = true;
                }
                Some('.') => {
                    i += 1;
                    descendant = false;
                }
                Some('[') => {
                    let (selector, next) = bracket(chars, i)?;
                    i = next;
                    if let Selector::Name(name) = &selector {
                        names.push(name.clone());
                    }
                    push(&mut rfc, &mut steps, false, selector);
                    continue;
                }
                _ => break,
            }
        }
        // After `.` or `..`: a name, `*`, or (after `..`) a bracket.
        let selector = match chars.get(i) {
            Some('[') if descendant => {
                let (selector, next) = bracket(chars, i)?;
                i = next;
                selector
            }
            Some('*') => {
                i += 1;
                Selector::Wildcard
            }
            _ => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| !c.is_whitespace() && !NAME_ENDS.contains(c))
                {
                    i += 1;
                }
                if start == i {
                    return Err((start, "expected a key name after '.'".into()));
                }
                Selector::Name(chars[start..i].iter().collect())
            }
        };
        if let Selector::Name(name) = &selector {
            names.push(name.clone());
        }
        push(&mut rfc, &mut steps, descendant, selector);
    }
    Ok(Scanned {
        rfc,
        singular: steps,
        names,
        end: i,
    })
}

/// What one segment selects.
enum Selector {
    /// A member name.
    Name(String),
    /// An array index.
    Index(usize),
    /// `*`.
    Wildcard,
    /// Any other RFC 9535 bracket (slices, unions, filters, negative indices), as written.
    Other(String),
}

/// Adds a segment to the rewritten path; the steps end at anything but a name or an index.
fn push(rfc: &mut String, steps: &mut Option<Vec<Segment>>, descendant: bool, selector: Selector) {
    if descendant {
        rfc.push_str("..");
        *steps = None;
    }
    match selector {
        Selector::Name(name) => {
            rfc.push('[');
            quote(rfc, &name);
            rfc.push(']');
            if let Some(steps) = steps {
                steps.push(Segment::Key(name));
            }
        }
        Selector::Index(index) => {
            rfc.push_str(&format!("[{index}]"));
            if let Some(steps) = steps {
                steps.push(Segment::Index(index));
            }
        }
        Selector::Wildcard => {
            rfc.push_str("[*]");
            *steps = None;
        }
        Selector::Other(inner) => {
            rfc.push('[');
            rfc.push_str(&inner);
            rfc.push(']');
            *steps = None;
        }
    }
}

/// `name` as an RFC 9535 single-quoted string.
fn quote(out: &mut String, name: &str) {
    out.push('\'');
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Reads `[...]` starting at `start` (the `[`); returns the selector and the position after
/// the `]`.
fn bracket(chars: &[char], start: usize) -> Result<(Selector, usize), (usize, String)> {
    let close = matching_close(chars, start)?;
    let inner: String = chars[start + 1..close].iter().collect();
    let trimmed = inner.trim();
    let first = start + 1 + inner.chars().take_while(|c| c.is_whitespace()).count();
    let selector = if trimmed == "*" {
        Selector::Wildcard
    } else if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let index = trimmed
            .parse()
            .map_err(|_| (first, format!("index {trimmed} is too large")))?;
        Selector::Index(index)
    } else if let Some(name) = quoted_name(trimmed) {
        Selector::Name(name)
    } else if trimmed.starts_with(['?', '-', '\'', '"'])
        || trimmed.contains([':', ','])
        || trimmed.starts_with(|c: char| c.is_ascii_digit())
    {
        Selector::Other(trimmed.to_owned())
    } else {
        let found = trimmed
            .chars()
            .next()
            .map_or("']'".into(), |c| format!("{c:?}"));
        return Err((
            first,
            format!("expected a quoted key, an index or '*', found {found}"),
        ));
    };
    Ok((selector, close + 1))
}

/// The position of the `]` closing the `[` at `start` (quotes and nested brackets and
/// parentheses skipped).
fn matching_close(chars: &[char], start: usize) -> Result<usize, (usize, String)> {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' | '"' => {
                let quote = c;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err((start, "unclosed quoted key".into())),
                        Some('\\') => i += 2,
                        Some(&d) if d == quote => break,
                        Some(_) => i += 1,
                    }
                }
            }
            '[' | '(' => depth += 1,
            ']' | ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err((start, "unclosed '[': expected ']'".into()))
}

/// The name in a bracket that is one quoted string (`'a b'` or `"a b"`).
fn quoted_name(inner: &str) -> Option<String> {
    let quote = inner.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let body = inner.strip_prefix(quote)?.strip_suffix(quote)?;
    // The body must not close the string early (`'a','b'` is a union).
    let mut escaped = false;
    for c in body.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return None,
            _ => {}
        }
    }
    if escaped {
        return None;
    }
    // As a JSON string: `\'` is a quote; other escapes are JSON's.
    let mut json = String::with_capacity(body.len() + 2);
    json.push('"');
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\'') => json.push('\''),
                Some(next) => {
                    json.push('\\');
                    json.push(next);
                }
                None => {}
            },
            '"' => json.push_str("\\\""),
            c => json.push(c),
        }
    }
    json.push('"');
    // A backslash JSON does not know keeps the character after it, as paths always read.
    serde_json::from_str::<String>(&json).ok().or_else(|| {
        let mut name = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => name.extend(chars.next()),
                c => name.push(c),
            }
        }
        Some(name)
    })
}

impl FromStr for JsonPath {
    type Err = JsonPathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn removed(path: &str, mut value: Value) -> Value {
        JsonPath::parse(path).unwrap().remove_from(&mut value);
        value
    }

    #[test]
    fn keys_indexes_and_wildcards() {
        let doc = json!({"a": 1, "timestamp": "t", "items": [{"id": 1, "v": 2}, {"id": 3}]});
        assert_eq!(
            removed("$.timestamp", doc.clone()),
            json!({"a": 1, "items": [{"id": 1, "v": 2}, {"id": 3}]})
        );
        assert_eq!(
            removed("$.items[*].id", doc.clone()),
            json!({"a": 1, "timestamp": "t", "items": [{"v": 2}, {}]})
        );
        assert_eq!(
            removed("$['items'][1]", doc.clone()),
            json!({"a": 1, "timestamp": "t", "items": [{"id": 1, "v": 2}]})
        );
        assert_eq!(
            removed("$..id", doc.clone())["items"],
            json!([{"v": 2}, {}])
        );
        assert_eq!(
            removed("timestamp", doc.clone()),
            removed("$.timestamp", doc.clone())
        );
        assert_eq!(removed("$.*", doc.clone()), json!({}));
        assert_eq!(removed("$", doc.clone()), Value::Null);
        assert_eq!(removed("$.nope.deeper", doc.clone()), doc);
        assert_eq!(
            removed("$[\"a\"]", json!({"a": 1, "b": 2})),
            json!({"b": 2})
        );
        assert_eq!(
            removed("$..b", json!([{"b": 1}, [{"b": 2, "c": 3}]])),
            json!([{}, [{"c": 3}]])
        );
    }

    #[test]
    fn todays_forms_and_rfc_9535_select_the_same_values() {
        let doc = json!({"a-b": 1, "@type": "x", "items": [{"id": 1, "qty": 2}, {"id": 3, "qty": 0}], "o": {"id": 9}});
        let query = |path: &str| -> Vec<Value> {
            JsonPath::parse(path)
                .unwrap()
                .query(&doc)
                .into_iter()
                .cloned()
                .collect()
        };
        assert_eq!(query("$.a-b"), vec![json!(1)]);
        assert_eq!(query("$['a-b']"), vec![json!(1)]);
        assert_eq!(query("$.@type"), vec![json!("x")]);
        assert_eq!(query("items[1].id"), vec![json!(3)]);
        assert_eq!(query("$..id"), vec![json!(1), json!(3), json!(9)]);
        assert_eq!(query("$.items[*].id"), vec![json!(1), json!(3)]);
        assert_eq!(query("$.items.*.qty"), vec![json!(2), json!(0)]);
        assert_eq!(query("$.items[?@.qty > 1].id"), vec![json!(1)]);
        assert_eq!(query("$.items[-1].id"), vec![json!(3)]);
        assert_eq!(query("$.items[0:1].id"), vec![json!(1)]);
        assert_eq!(query("$['o','a-b']"), vec![json!({"id": 9}), json!(1)]);
        assert_eq!(query(r#"$["items"][0]["id"]"#), vec![json!(1)]);
        assert!(query("$.nope").is_empty());
        assert_eq!(query("$"), vec![doc.clone()]);
        // Names and indices keep their steps (read from text by the filter); others do not.
        assert!(
            JsonPath::parse("$.items[0]['id']")
                .unwrap()
                .singular()
                .is_some()
        );
        for other in [
            "$..id",
            "$.items[*]",
            "$.*",
            "$.items[-1]",
            "$.items[?@.id]",
        ] {
            assert!(
                JsonPath::parse(other).unwrap().singular().is_none(),
                "{other}"
            );
        }
        assert_eq!(JsonPath::parse(" $.a-b ").unwrap().to_string(), "$.a-b");
        let names = |path: &str| JsonPath::parse(path).unwrap().required_names().to_vec();
        assert_eq!(
            names("$..book.bids[*]['p q'][?@.x > 1]"),
            ["book", "bids", "p q"]
        );
        assert_eq!(names("$['a','b'].*"), Vec::<String>::new());
    }

    #[test]
    fn a_path_at_the_start_of_a_condition_leaves_the_rest() {
        let (path, rest) = JsonPath::parse_prefix(r#"$.items[?@.id == 1].qty >= 2"#).unwrap();
        assert_eq!(path.as_str(), "$.items[?@.id == 1].qty");
        assert_eq!(rest, " >= 2");
        let (path, rest) = JsonPath::parse_prefix("$..price>1").unwrap();
        assert_eq!((path.as_str(), rest), ("$..price", ">1"));
        assert!(
            JsonPath::parse_prefix("price > 1").is_err(),
            "a condition's path needs $"
        );
    }

    #[test]
    fn removing_by_a_filter_or_a_union_takes_every_selected_value_out() {
        assert_eq!(
            removed(
                "$.items[?@.qty == 0]",
                json!({"items": [{"qty": 0}, {"qty": 1}, {"qty": 0}]})
            ),
            json!({"items": [{"qty": 1}]})
        );
        assert_eq!(removed("$[0,2]", json!([1, 2, 3, 4])), json!([2, 4]));
        assert_eq!(
            removed("$..a", json!({"a": {"a": 1}, "b": {"a": 2}})),
            json!({"b": {}})
        );
    }

    #[test]
    fn errors_have_positions() {
        let error = |p: &str| JsonPath::parse(p).unwrap_err();
        assert_eq!(error("$.a[").position, 3);
        assert_eq!(error("$.a[x]").position, 4);
        assert_eq!(error("$.").position, 2);
        assert_eq!(error("$x").position, 1);
        assert!(error("").message.contains("empty"));
        assert!(error("$['a").to_string().contains("unclosed"));
        assert!(error("$[1").to_string().contains("']'"));
    }

    #[test]
    fn the_deepest_value_serde_json_reads_is_walked_within_a_small_stack() {
        // Values come from serde_json, which refuses a 128th level: recursive descent
        // (and dropping the value) recurses at most that deep.
        let too_deep = format!("{}1{}", r#"{"a":"#.repeat(128), "}".repeat(128));
        assert!(serde_json::from_str::<Value>(&too_deep).is_err());
        let deepest = format!("{}1{}", r#"{"a":"#.repeat(127), "}".repeat(127));
        let value: Value = serde_json::from_str(&deepest).unwrap();
        let left = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || removed("$..a", value))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(left, json!({}));
    }
}
