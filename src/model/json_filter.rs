//! The JSON part of a timeline filter: `$.path OP literal` (syntax in [`super::filter`]),
//! evaluated by scanning the message's text for the path's value ([`super::json_scan`]).

use std::fmt;

use memchr::memmem::Finder;
use serde_json::Value;

use super::json_number;
use super::json_scan::{self, PathScan};

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
#[derive(Clone, Debug)]
pub struct JsonPredicate {
    /// The path from the document's root.
    pub path: Vec<Segment>,
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
        let (op, value) = comparison(rest.trim_start())?;
        // Derived once here rather than for every message tested.
        let quoted = match (op, &value) {
            (Op::Eq, Value::String(text)) => {
                Some(Finder::new(format!("\"{text}\"").as_bytes()).into_owned())
            }
            _ => None,
        };
        let number = value.as_f64();
        Ok(Self {
            path,
            op,
            value,
            quoted,
            number,
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
        // The value first; the rest of the document is checked only when the value passes.
        let mut scan = PathScan::new(json.as_bytes(), &self.path);
        let Some(raw) = scan.find() else {
            return false;
        };
        self.test_raw(raw) && scan.finish()
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
