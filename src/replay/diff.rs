//! How two replayed messages differ: structural JSON differences by path, the first
//! differing character of a text or byte of a binary message, or a change of type.

use serde_json::Value;

use super::compare::Normal;

/// How two messages differ.
#[derive(Clone, Debug, PartialEq)]
pub enum Diff {
    /// Both are JSON: the paths whose values differ (after ignored paths were removed).
    Json {
        /// The differences, at most [`MAX_JSON_DIFFERENCES`] of them.
        differences: Vec<JsonDifference>,
        /// How many differences there are in all.
        total: usize,
    },
    /// Texts (not both JSON) that differ.
    Text {
        /// The 0-based character position of the first difference.
        position: usize,
        /// The recorded text's length in characters.
        expected_len: usize,
        /// The received text's length in characters.
        actual_len: usize,
        /// The recorded text around the difference.
        expected_excerpt: String,
        /// The received text around the difference.
        actual_excerpt: String,
    },
    /// Binary messages that differ.
    Binary {
        /// The 0-based offset of the first differing byte (the shorter length when one is a
        /// prefix of the other).
        offset: usize,
        /// The recorded length in bytes.
        expected_len: usize,
        /// The received length in bytes.
        actual_len: usize,
    },
    /// One is text and the other binary.
    Type {
        /// `text` or `binary`.
        expected: &'static str,
        /// `text` or `binary`.
        actual: &'static str,
    },
}

/// At most this many JSON differences are listed per message.
pub const MAX_JSON_DIFFERENCES: usize = 50;

/// One JSON path whose value differs.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonDifference {
    /// Where, as a JSONPath: `$.items[2].name`.
    pub path: String,
    /// The recorded value; `None` when the received message has a field the recording lacks.
    pub expected: Option<Value>,
    /// The received value; `None` when the field is missing.
    pub actual: Option<Value>,
}

impl Diff {
    /// The difference in plain words, one line per difference.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Diff::Json { differences, total } => {
                let mut lines: Vec<String> = differences
                    .iter()
                    .map(|d| match (&d.expected, &d.actual) {
                        (Some(e), Some(a)) => {
                            format!("{}: expected {}, got {}", d.path, shown(e), shown(a))
                        }
                        (Some(e), None) => format!("{}: missing (expected {})", d.path, shown(e)),
                        (None, Some(a)) => format!("{}: unexpected (got {})", d.path, shown(a)),
                        (None, None) => d.path.clone(),
                    })
                    .collect();
                if *total > differences.len() {
                    lines.push(format!("… and {} more", total - differences.len()));
                }
                lines
            }
            Diff::Text {
                position,
                expected_len,
                actual_len,
                expected_excerpt,
                actual_excerpt,
            } => vec![format!(
                "texts differ at character {position} (lengths {expected_len} and \
                 {actual_len}): expected {expected_excerpt:?}, got {actual_excerpt:?}"
            )],
            Diff::Binary {
                offset,
                expected_len,
                actual_len,
            } => vec![format!(
                "binary differs at byte {offset} (expected {expected_len} bytes, got \
                 {actual_len} bytes)"
            )],
            Diff::Type { expected, actual } => {
                vec![format!(
                    "expected a {expected} message, got a {actual} message"
                )]
            }
        }
    }
}

/// A value as compact JSON, cut to 200 characters.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// How `actual` differs from `expected` (which are known to differ).
pub(super) fn diff(expected: &Normal<'_>, actual: &Normal<'_>) -> Diff {
    match (expected, actual) {
        (Normal::Json(e), Normal::Json(a)) => {
            let mut differences = Vec::new();
            let mut total = 0;
            json_diff("$".to_owned(), e, a, &mut differences, &mut total);
            Diff::Json { differences, total }
        }
        (Normal::Binary(e), Normal::Binary(a)) => Diff::Binary {
            offset: first_difference(e.iter(), a.iter()),
            expected_len: e.len(),
            actual_len: a.len(),
        },
        (Normal::Binary(_), _) => Diff::Type {
            expected: "binary",
            actual: "text",
        },
        (_, Normal::Binary(_)) => Diff::Type {
            expected: "text",
            actual: "binary",
        },
        (e, a) => text_diff(&text_of(e), &text_of(a)),
    }
}

fn text_of(normal: &Normal<'_>) -> String {
    match normal {
        Normal::Json(value) => value.to_string(),
        Normal::Text(text) => (*text).to_owned(),
        Normal::Binary(_) => String::new(),
    }
}

fn first_difference<T: PartialEq>(
    mut a: impl Iterator<Item = T>,
    mut b: impl Iterator<Item = T>,
) -> usize {
    let mut position = 0;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => position += 1,
            _ => return position,
        }
    }
}

fn text_diff(expected: &str, actual: &str) -> Diff {
    let position = first_difference(expected.chars(), actual.chars());
    let excerpt = |text: &str| -> String {
        let start = position.saturating_sub(20);
        let mut cut: String = text.chars().skip(start).take(60).collect();
        if start > 0 {
            cut.insert(0, '…');
        }
        if text.chars().count() > start + 60 {
            cut.push('…');
        }
        cut
    };
    Diff::Text {
        position,
        expected_len: expected.chars().count(),
        actual_len: actual.chars().count(),
        expected_excerpt: excerpt(expected),
        actual_excerpt: excerpt(actual),
    }
}

fn push_difference(
    out: &mut Vec<JsonDifference>,
    total: &mut usize,
    path: String,
    expected: Option<&Value>,
    actual: Option<&Value>,
) {
    *total += 1;
    if out.len() < MAX_JSON_DIFFERENCES {
        out.push(JsonDifference {
            path,
            expected: expected.cloned(),
            actual: actual.cloned(),
        });
    }
}

fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", Value::String(key.to_owned()))
    }
}

fn json_diff(
    path: String,
    expected: &Value,
    actual: &Value,
    out: &mut Vec<JsonDifference>,
    total: &mut usize,
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, e_value) in e {
                let child = key_path(&path, key);
                match a.get(key) {
                    Some(a_value) => json_diff(child, e_value, a_value, out, total),
                    None => push_difference(out, total, child, Some(e_value), None),
                }
            }
            for (key, a_value) in a {
                if !e.contains_key(key) {
                    push_difference(out, total, key_path(&path, key), None, Some(a_value));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (index, (e_item, a_item)) in e.iter().zip(a).enumerate() {
                json_diff(format!("{path}[{index}]"), e_item, a_item, out, total);
            }
            for (index, e_item) in e.iter().enumerate().skip(a.len()) {
                push_difference(out, total, format!("{path}[{index}]"), Some(e_item), None);
            }
            for (index, a_item) in a.iter().enumerate().skip(e.len()) {
                push_difference(out, total, format!("{path}[{index}]"), None, Some(a_item));
            }
        }
        (e, a) if e == a => {}
        (e, a) => push_difference(out, total, path, Some(e), Some(a)),
    }
}
