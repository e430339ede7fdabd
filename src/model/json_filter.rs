//! The JSON part of a timeline filter: `$.path OP literal` (syntax in [`super::filter`]).
//! The path is RFC 9535 JSONPath ([`crate::format::json_path`], the one path language):
//! a path of names and indices is evaluated by scanning the message's text for its value
//! ([`super::json_scan`]) without building the message; any other path (`$..price`,
//! `$.items[*].id`) parses the message and asks the path for every value it selects.
//! With several values, `!=` holds when none equals the literal, every other operator when
//! one value satisfies it; a path that selects nothing never matches. (A name given twice
//! in one object is read at its first member from the text, at its last once parsed.)

use std::fmt;

use memchr::memmem::Finder;
use serde_json::Value;

use super::json_number;
use super::json_scan::{self, PathScan};

use crate::format::json_path::JsonPath;
pub use crate::format::json_path::Segment;

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

/// How deep a message may nest for a path other than names and indices (which reads the
/// text instead, to [`json_scan`]'s own limit).
pub const MAX_PARSED_DEPTH: usize = 64;

/// A parsed JSON filter: a path, an operator and a literal.
#[derive(Clone, Debug)]
pub struct JsonPredicate {
    /// The path from the document's root, compiled once.
    pub path: JsonPath,
    /// The comparison.
    pub op: Op,
    /// The literal compared with (`Null` for [`Op::Exists`]).
    pub value: Value,
    /// For `== "text"`: a searcher for `"text"` (quotes included), built once. A message
    /// without escapes that lacks it cannot match, which rejects most messages without
    /// scanning them.
    quoted: Option<Finder<'static>>,
    /// The literal as a number, read once, for the ordering operators.
    number: Option<f64>,
    /// For a path that parses messages: a searcher for each member name it needs
    /// (`"price"` for `$..price`), so a message without escapes that lacks one is rejected
    /// without being parsed.
    names: Vec<Finder<'static>>,
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
        if !s.starts_with('$') {
            return err("a filter starts with $, e.g. $.type == \"trade\"");
        }
        let (path, rest) = JsonPath::parse_prefix(s)
            .map_err(|e| ParseError(format!("{} (at character {})", e.message, e.position)))?;
        let (op, value) = comparison(rest.trim_start())?;
        // Derived once here rather than for every message tested.
        let quoted = match (op, &value) {
            (Op::Eq, Value::String(text)) => {
                Some(Finder::new(format!("\"{text}\"").as_bytes()).into_owned())
            }
            _ => None,
        };
        let number = value.as_f64();
        let names = if path.singular().is_some() {
            Vec::new()
        } else {
            path.required_names()
                .iter()
                .filter_map(|name| serde_json::to_string(name).ok())
                .map(|quoted| Finder::new(quoted.as_bytes()).into_owned())
                .collect()
        };
        Ok(Self {
            path,
            op,
            value,
            quoted,
            number,
            names,
        })
    }

    /// True when `json` is a JSON document whose value at the path satisfies the predicate.
    /// Only the path is built into values; everything else is skipped while parsing.
    pub fn matches(&self, json: &str) -> bool {
        let trimmed = json.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            return false;
        }
        // Without escapes, an equal string appears in the text verbatim, quotes included.
        if let Some(quoted) = &self.quoted
            && quoted.find(json.as_bytes()).is_none()
            && memchr::memchr(b'\\', json.as_bytes()).is_none()
        {
            return false;
        }
        let Some(steps) = self.path.singular() else {
            // Descendants, wildcards, filters: the message is parsed, if it nests no deeper
            // than MAX_PARSED_DEPTH (checked first without recursion, so a hostile one
            // costs one pass and a small stack).
            let bytes = json.as_bytes();
            let lacks_a_name = || {
                self.names.iter().any(|name| name.find(bytes).is_none())
                    && memchr::memchr(b'\\', bytes).is_none()
            };
            return !lacks_a_name()
                && json_scan::nesting_within(bytes, MAX_PARSED_DEPTH)
                && serde_json::from_str::<Value>(json).is_ok_and(|doc| self.matches_value(&doc));
        };
        // The value first; the rest of the document is checked only when the value passes.
        let mut scan = PathScan::new(json.as_bytes(), steps);
        let Some(raw) = scan.find() else {
            return false;
        };
        self.test_raw(raw) && scan.finish()
    }

    /// True when a document already parsed satisfies the predicate (the same answer as
    /// [`JsonPredicate::matches`] on its text).
    pub fn matches_value(&self, document: &Value) -> bool {
        let found = self.path.query(document);
        if found.is_empty() {
            return false;
        }
        match self.op {
            Op::Ne => found.iter().all(|value| self.test(value)),
            _ => found.iter().any(|value| self.test(value)),
        }
    }

    /// True when the raw text of the value at the path satisfies the predicate.
    fn test_raw(&self, raw: &[u8]) -> bool {
        match (self.op, &self.value) {
            (Op::Exists, _) => true,
            // The common cases read the raw text directly: a string compared for equality
            // and a number compared by size.
            (Op::Eq | Op::Ne, Value::String(wanted)) if raw.first() == Some(&b'"') => {
                let equal = json_scan::string_text(raw).is_some_and(|text| text == *wanted);
                equal == (self.op == Op::Eq)
            }
            (Op::Gt | Op::Ge | Op::Lt | Op::Le, _) => {
                json_number::number_value(raw).is_some_and(|found| self.compare(found))
            }
            _ => serde_json::from_slice::<Value>(raw).is_ok_and(|found| self.test(&found)),
        }
    }

    /// `found <op> literal` for the ordering operators.
    fn compare(&self, found: f64) -> bool {
        let Some(literal) = self.number else {
            return false;
        };
        match self.op {
            Op::Gt => found > literal,
            Op::Ge => found >= literal,
            Op::Lt => found < literal,
            Op::Le => found <= literal,
            _ => false,
        }
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

/// The operator and literal after the path: nothing at all is [`Op::Exists`].
fn comparison(rest: &str) -> Result<(Op, Value), ParseError> {
    if rest.is_empty() {
        return Ok((Op::Exists, Value::Null));
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
    Ok((op, value))
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(s: &str) -> JsonPredicate {
        JsonPredicate::parse(s).expect("parses")
    }

    #[test]
    fn parses_paths_operators_and_values() {
        let p = pred(r#"$.user.name contains "ada""#);
        assert_eq!(
            p.path.singular(),
            Some(&[Segment::Key("user".into()), Segment::Key("name".into())][..])
        );
        assert_eq!(p.op, Op::Contains);
        let p = pred(r#"$.items[2]["odd key"] >= 1.5"#);
        assert_eq!(
            p.path.singular(),
            Some(
                &[
                    Segment::Key("items".into()),
                    Segment::Index(2),
                    Segment::Key("odd key".into())
                ][..]
            )
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
    fn descendants_wildcards_and_rfc_9535_filters_match_anywhere() {
        let doc = r#"{"book":{"bids":[{"price":99.5,"qty":2},{"price":101,"qty":0}]},"meta":{"price":7},"tags":["a","b"],"a-b":1}"#;
        assert!(pred("$..price > 100").matches(doc));
        assert!(!pred("$..price > 200").matches(doc));
        assert!(pred("$..price == 7").matches(doc));
        assert!(pred("$.book.bids[*].qty == 0").matches(doc));
        assert!(pred("$.book.bids[*].price").matches(doc));
        assert!(
            !pred("$.book.asks[*].price").matches(doc),
            "selects nothing"
        );
        // With several values, != means none of them equals the literal.
        assert!(pred("$.book.bids[*].qty != 5").matches(doc));
        assert!(!pred("$.book.bids[*].qty != 0").matches(doc));
        assert!(pred(r#"$.tags[*] == "b""#).matches(doc));
        assert!(pred("$.book.bids[?@.qty > 1].price == 99.5").matches(doc));
        assert!(!pred("$.book.bids[?@.qty > 1].price == 101").matches(doc));
        assert!(pred("$.book.bids[-1].qty == 0").matches(doc));
        assert!(pred("$.book.bids[0:1].price < 100").matches(doc));
        assert!(pred("$['meta']['price'] == 7").matches(doc));
        // Today's names with characters RFC 9535 keeps for brackets still read.
        assert!(pred("$.a-b == 1").matches(doc));
        assert!(!pred("$..price > 1").matches("not json"));
        // A message without the name is rejected unparsed; with an escape, it is parsed.
        assert!(!pred("$..price").matches(r#"{"prices":[1]}"#));
        assert!(pred("$..price").matches(r#"{"a":{"pr\u0069ce":1}}"#));
        for bad in ["$..", "$.a[?@.x >]", "$.a[1:2:3:4]", "$[x]"] {
            assert!(JsonPredicate::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn a_path_of_names_and_indices_reads_the_text_as_the_crate_reads_the_value() {
        let docs = [
            r#"{"a":{"b":[1,{"c":"x"}]},"n":2.5,"s":"t\"q","e":[]}"#,
            r#"{"a":{"b":[{"c":"x"}]},"n":"2.5","s":null}"#,
            r#"[{"a":1},{"a":{"b":[2]}}]"#,
            r#"{"a":{"b":[1,{"c":"x"}]}"#,
        ];
        let filters = [
            "$.a",
            "$.a.b[1].c == \"x\"",
            "$.a.b[0] != 1",
            "$.n > 2",
            "$.n == 2.5",
            "$.s == \"t\\\"q\"",
            "$.e contains 1",
            "$[1].a.b contains 2",
            "$.a == 2",
            "$.missing",
        ];
        for filter in filters {
            let predicate = pred(filter);
            assert!(predicate.path.singular().is_some(), "{filter}");
            for doc in docs {
                let parsed = serde_json::from_str::<Value>(doc);
                let by_value = parsed.is_ok_and(|value| predicate.matches_value(&value));
                assert_eq!(predicate.matches(doc), by_value, "{filter} on {doc}");
            }
        }
    }

    #[test]
    fn deep_documents_never_match_and_never_overflow_the_stack() {
        let deep = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let hostile = [
            format!(r#"{{"a":{}}}"#, deep(100_000)),
            format!(r#"{{"type":"t","a":{}}}"#, deep(100_000)),
            deep(1_000_000),
            format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000)),
        ];
        let filters = [
            "$.a",
            "$..a",
            "$.a[*][0]",
            r#"$.type == "t""#,
            "$.a contains 1",
            "$.a == [1]",
            "$.a[0][0] > 0",
            "$[0][0][0]",
            "$.a.a.a == 1",
        ];
        let matched = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let mut matched = Vec::new();
                for doc in &hostile {
                    for filter in filters {
                        if pred(filter).matches(doc) {
                            matched.push(filter);
                        }
                    }
                }
                matched
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(matched.is_empty(), "{matched:?}");
        // Within the limit, a deep value is still compared.
        let within = format!(r#"{{"a":{}}}"#, deep(100));
        assert!(pred("$.a").matches(&within));
        assert!(pred(&format!("$.a == {}", deep(100))).matches(&within));
        assert!(!pred("$.a contains 2").matches(&within));
    }
}
