//! The fold rules and their names on the command line (`replace`, `merge`, `patch`,
//! `keyed:PATH`, `pathdata`).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use super::path::{JsonPath, parse_path};

/// How each message changes the state.
#[derive(Clone, Debug, PartialEq)]
pub enum FoldRule {
    /// Each message is the state.
    Replace,
    /// Each message is an RFC 7386 JSON Merge Patch applied to the state.
    Merge,
    /// Each message is an RFC 6902 JSON Patch (an array of operations, or one operation).
    Patch,
    /// The state is an object from each message's key (the value at the path, as text) to
    /// the latest message with that key; a message matching the delete condition removes
    /// its key.
    Keyed(JsonPath),
    /// Each message is `{"path": POINTER, "data": VALUE}`: `data` is set at the RFC 6901
    /// JSON pointer `path` (`""` is the whole state), making missing objects on the way.
    PathData,
}

impl FoldRule {
    /// The state before any message: `null` for replace, `{}` for the others.
    pub fn initial_state(&self) -> Value {
        match self {
            FoldRule::Replace => Value::Null,
            _ => Value::Object(Map::new()),
        }
    }
}

impl FromStr for FoldRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "replace" => Ok(FoldRule::Replace),
            "merge" => Ok(FoldRule::Merge),
            "patch" => Ok(FoldRule::Patch),
            "pathdata" => Ok(FoldRule::PathData),
            other => match other.strip_prefix("keyed:") {
                Some(path) => Ok(FoldRule::Keyed(
                    parse_path(path).map_err(|e| format!("keyed:{path}: {e}"))?,
                )),
                None if other == "keyed" => {
                    Err("keyed needs the key's path, e.g. keyed:$.id".into())
                }
                None => Err(format!(
                    "unknown fold rule {other:?}: use replace, merge, patch, keyed:PATH or \
                     pathdata"
                )),
            },
        }
    }
}

impl fmt::Display for FoldRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FoldRule::Replace => f.write_str("replace"),
            FoldRule::Merge => f.write_str("merge"),
            FoldRule::Patch => f.write_str("patch"),
            FoldRule::Keyed(path) => write!(f, "keyed:{path}"),
            FoldRule::PathData => f.write_str("pathdata"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for name in ["replace", "merge", "patch", "keyed:$.id", "pathdata"] {
            let rule: FoldRule = name.parse().unwrap();
            assert_eq!(rule.to_string(), name);
        }
        assert!(
            "keyed"
                .parse::<FoldRule>()
                .unwrap_err()
                .contains("keyed:$.id")
        );
        assert!("keyed:id".parse::<FoldRule>().is_err());
        assert!("sum".parse::<FoldRule>().unwrap_err().contains("unknown"));
    }
}
