//! A path to a part of a JSON document (`$`, `$.data`, `$.items[0]["a b"]`), in the JSON
//! filter's own syntax ([`crate::model::json_filter`]).

use std::fmt;

use serde_json::Value;

use crate::model::json_filter::{JsonPredicate, Op, Segment};

/// A parsed path; `$` alone is the whole document.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    segments: Vec<Segment>,
    text: String,
}

impl JsonPath {
    /// Parses `$` followed by `.name`, `["name"]` and `[n]` steps.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let predicate = JsonPredicate::parse(text).map_err(|e| e.0)?;
        if predicate.op != Op::Exists {
            return Err(format!(
                "{text} is a condition; a path is expected here, e.g. $.data"
            ));
        }
        Ok(Self {
            segments: predicate.path,
            text: text.to_owned(),
        })
    }

    /// The whole document (`$`).
    pub fn root() -> Self {
        Self {
            segments: Vec::new(),
            text: "$".into(),
        }
    }

    /// The value at the path, if the document has one.
    pub fn get<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        self.segments
            .iter()
            .try_fold(document, |value, segment| match segment {
                Segment::Key(key) => value.as_object()?.get(key),
                Segment::Index(index) => value.as_array()?.get(*index),
            })
    }

    /// Takes the value at the path out of an owned document (no copy).
    pub fn take(&self, mut document: Value) -> Option<Value> {
        for segment in &self.segments {
            document = match (segment, document) {
                (Segment::Key(key), Value::Object(mut map)) => map.swap_remove(key)?,
                (Segment::Index(index), Value::Array(mut items)) if *index < items.len() => {
                    items.swap_remove(*index)
                }
                _ => return None,
            };
        }
        Some(document)
    }

    /// True for `$` (the whole document).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
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

    #[test]
    fn finds_and_takes_values() {
        let doc = json!({"data": {"items": [1, {"a b": true}]}});
        let path = JsonPath::parse(r#"$.data.items[1]["a b"]"#).unwrap();
        assert_eq!(path.get(&doc), Some(&json!(true)));
        assert_eq!(path.take(doc.clone()), Some(json!(true)));
        assert_eq!(JsonPath::parse("$").unwrap().get(&doc), Some(&doc));
        assert_eq!(JsonPath::parse("$.nope").unwrap().get(&doc), None);
        assert_eq!(JsonPath::parse("$.data.items[5]").unwrap().take(doc), None);
    }

    #[test]
    fn refuses_conditions_and_junk() {
        assert!(JsonPath::parse("$.op == 1").is_err());
        assert!(JsonPath::parse("data").is_err());
    }
}
