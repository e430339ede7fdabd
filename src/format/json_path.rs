//! A small JSONPath subset, enough to name the fields a comparison should ignore
//! (timestamps, ids): `$`, `.key`, `['key']` or `["key"]`, `[N]`, `.*` and `[*]`, and
//! recursive descent `..key` / `..*`. `$.timestamp`, `$.items[*].id`, `$..id`.
//!
//! A path that does not start with `$` is read as if it did (`timestamp` = `$.timestamp`,
//! `[0]` = `$[0]`).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    /// `..`: the selector applies at this level and every level below.
    recursive: bool,
    selector: Selector,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Selector {
    Key(String),
    Index(usize),
    Wildcard,
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
    /// Parses a path such as `$.items[*].id`.
    pub fn parse(input: &str) -> Result<Self, JsonPathError> {
        let trimmed = input.trim();
        let chars: Vec<char> = trimmed.chars().collect();
        let error = |position: usize, message: &str| JsonPathError {
            path: input.to_owned(),
            position,
            message: message.to_owned(),
        };
        let mut i = 0;
        if chars.first() == Some(&'$') {
            i = 1;
        } else if chars.is_empty() {
            return Err(error(0, "the path is empty"));
        }
        let mut segments = Vec::new();
        // A path without `$` starts with an implied `$.`.
        let mut implied_dot = i == 0 && !matches!(chars.first(), Some('.' | '['));
        while i < chars.len() || implied_dot {
            let (recursive, bracket) = if implied_dot {
                implied_dot = false;
                (false, false)
            } else {
                match chars[i] {
                    '.' if chars.get(i + 1) == Some(&'.') => {
                        i += 2;
                        let bracket = chars.get(i) == Some(&'[');
                        (true, bracket)
                    }
                    '.' => {
                        i += 1;
                        (false, false)
                    }
                    '[' => (false, true),
                    other => {
                        return Err(error(i, &format!("expected '.' or '[', found {other:?}")));
                    }
                }
            };
            let selector = if bracket {
                let (selector, next) = parse_bracket(&chars, i).map_err(|(p, m)| error(p, &m))?;
                i = next;
                selector
            } else {
                let start = i;
                while i < chars.len() && !matches!(chars[i], '.' | '[') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                match name.as_str() {
                    "" => return Err(error(start, "expected a key name after '.'")),
                    "*" => Selector::Wildcard,
                    _ => Selector::Key(name),
                }
            };
            segments.push(Segment {
                recursive,
                selector,
            });
        }
        Ok(Self {
            text: trimmed.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Removes every value the path selects from `value` (object keys are removed, array
    /// elements taken out). `$` alone selects the whole value, which is set to null.
    pub fn remove_from(&self, value: &mut Value) {
        if self.segments.is_empty() {
            *value = Value::Null;
        } else {
            remove(value, &self.segments);
        }
    }
}

/// Parses `[...]` starting at `start` (the `[`); returns the selector and the position after
/// the `]`.
fn parse_bracket(chars: &[char], start: usize) -> Result<(Selector, usize), (usize, String)> {
    let mut i = start + 1;
    let selector = match chars.get(i) {
        Some(&quote @ ('\'' | '"')) => {
            i += 1;
            let mut key = String::new();
            loop {
                match chars.get(i) {
                    None => return Err((start, "unclosed quoted key".into())),
                    Some('\\') if chars.get(i + 1).is_some() => {
                        key.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(&c) if c == quote => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        key.push(c);
                        i += 1;
                    }
                }
            }
            Selector::Key(key)
        }
        Some('*') => {
            i += 1;
            Selector::Wildcard
        }
        Some(c) if c.is_ascii_digit() => {
            let digits_start = i;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            let digits: String = chars[digits_start..i].iter().collect();
            let index = digits
                .parse()
                .map_err(|_| (digits_start, format!("index {digits} is too large")))?;
            Selector::Index(index)
        }
        Some(other) => {
            return Err((
                i,
                format!("expected a quoted key, an index or '*', found {other:?}"),
            ));
        }
        None => return Err((start, "unclosed '['".into())),
    };
    if chars.get(i) != Some(&']') {
        return Err((i, "expected ']'".into()));
    }
    Ok((selector, i + 1))
}

fn remove(value: &mut Value, segments: &[Segment]) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    apply(value, &first.selector, rest);
    if first.recursive {
        match value {
            Value::Object(map) => map.values_mut().for_each(|child| remove(child, segments)),
            Value::Array(items) => items.iter_mut().for_each(|child| remove(child, segments)),
            _ => {}
        }
    }
}

/// Applies one selector at this level: removes what it selects when it is the last
/// segment, else goes on with `rest` inside what it selects.
fn apply(value: &mut Value, selector: &Selector, rest: &[Segment]) {
    if rest.is_empty() {
        match (value, selector) {
            (Value::Object(map), Selector::Key(key)) => {
                map.shift_remove(key);
            }
            (Value::Object(map), Selector::Wildcard) => map.clear(),
            (Value::Array(items), Selector::Index(index)) if *index < items.len() => {
                items.remove(*index);
            }
            (Value::Array(items), Selector::Wildcard) => items.clear(),
            _ => {}
        }
        return;
    }
    match (value, selector) {
        (Value::Object(map), Selector::Key(key)) => {
            if let Some(child) = map.get_mut(key) {
                remove(child, rest);
            }
        }
        (Value::Object(map), Selector::Wildcard) => {
            map.values_mut().for_each(|child| remove(child, rest));
        }
        (Value::Array(items), Selector::Index(index)) => {
            if let Some(child) = items.get_mut(*index) {
                remove(child, rest);
            }
        }
        (Value::Array(items), Selector::Wildcard) => {
            items.iter_mut().for_each(|child| remove(child, rest));
        }
        _ => {}
    }
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
