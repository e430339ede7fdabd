//! A JSON tree for a view, bounded whatever the input: at most [`MAX_CHILDREN`] children
//! kept per object or array (the rest only counted), at most [`MAX_NODES`] nodes in all,
//! strings and keys cut to [`MAX_CHARS`] characters, and nesting refused past serde_json's
//! own recursion limit (as [`super::json::MAX_DEPTH`]). Skipped values are checked without
//! being built and without recursion, so memory does not grow with the input's size.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::JsonError;

/// How many children of an object or array are kept; the others are counted.
pub const MAX_CHILDREN: usize = 500;

/// How many nodes a tree keeps in all; containers past it keep counts only.
pub const MAX_NODES: usize = 20_000;

/// How many characters of a string or key are kept (a cut one ends in `…`).
pub const MAX_CHARS: usize = 300;

/// One node of a [`parse`]d tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A string (as JSON spells it: quoted and escaped, cut to [`MAX_CHARS`]), a number,
    /// `true`, `false` or `null`.
    Scalar {
        /// The value's text.
        text: String,
        /// What kind of value it is.
        kind: ScalarKind,
    },
    /// An object: its first members (keys cut to [`MAX_CHARS`]) and how many it has.
    Object {
        /// The members kept, in order.
        members: Vec<(String, Node)>,
        /// How many members the object has.
        len: usize,
    },
    /// An array: its first items and how many it has.
    Array {
        /// The items kept, in order.
        items: Vec<Node>,
        /// How many items the array has.
        len: usize,
    },
}

/// The kind of a [`Node::Scalar`], for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    /// A string.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// Parses `text` into a bounded tree; an error (with line and column) when it is not JSON
/// or nests deeper than serde_json's recursion limit.
pub fn parse(text: &str) -> Result<Node, JsonError> {
    let budget = Cell::new(MAX_NODES);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let node = NodeSeed { budget: &budget }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(node)
}

/// Makes a bounded tree of a value already parsed (the same tree as [`parse`] of its
/// text, without writing the text); values past the bounds are visited, not copied.
pub fn from_value(value: &serde_json::Value) -> Result<Node, serde_json::Error> {
    let budget = Cell::new(MAX_NODES);
    NodeSeed { budget: &budget }.deserialize(value)
}

/// Builds one node, taking from a budget of nodes shared by the whole tree.
#[derive(Clone, Copy)]
struct NodeSeed<'b> {
    budget: &'b Cell<usize>,
}

impl NodeSeed<'_> {
    /// Takes one node from the budget; false when it is spent.
    fn take(self) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(1));
        left > 0
    }

    /// Gives back a node taken for a child that was not there.
    fn give_back(self) {
        self.budget.set(self.budget.get() + 1);
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// `"text"`, cut to [`MAX_CHARS`] characters (the cut one ends in `…` after the quote).
fn quoted(text: &str) -> String {
    let (kept, cut) = cut(text);
    let quoted = serde_json::to_string(kept).unwrap_or_else(|_| format!("{kept:?}"));
    if cut { format!("{quoted}…") } else { quoted }
}

/// The first [`MAX_CHARS`] characters of `text`, and whether it was longer.
fn cut(text: &str) -> (&str, bool) {
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    }
}

fn scalar(text: String, kind: ScalarKind) -> Node {
    Node::Scalar { text, kind }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(scalar(v.to_string(), ScalarKind::Bool))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), ScalarKind::Number))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), ScalarKind::Number))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        // As serde_json spells it (`1500.0` for `1.5e3`).
        let text = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        Ok(scalar(text, ScalarKind::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(scalar(quoted(v), ScalarKind::String))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(scalar("null".to_owned(), ScalarKind::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        let mut len = 0;
        loop {
            let present = if items.len() < MAX_CHILDREN && self.take() {
                match seq.next_element_seed(self)? {
                    Some(item) => {
                        items.push(item);
                        true
                    }
                    None => {
                        self.give_back();
                        false
                    }
                }
            } else {
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !present {
                break;
            }
            len += 1;
        }
        Ok(Node::Array { items, len })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        let mut len = 0;
        while let Some(key) = map.next_key::<Key>()? {
            if members.len() < MAX_CHILDREN && self.take() {
                let value = map.next_value_seed(self)?;
                members.push((key.0, value));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            len += 1;
        }
        Ok(Node::Object { members, len })
    }
}

/// An object key, cut to [`MAX_CHARS`] characters (a cut one ends in `…`).
struct Key(String);

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                let (kept, cut) = cut(v);
                Ok(Key(if cut {
                    format!("{kept}…")
                } else {
                    kept.to_owned()
                }))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_beyond_f64_says_why_the_tree_cannot_be_shown() {
        // Found by the payload_views fuzz target: valid JSON, which the pretty view shows.
        let error = parse("8e838").unwrap_err();
        assert!(error.message.contains("number out of range"), "{error}");
        assert_eq!(error.line, 1);
    }

    fn number(text: &str) -> Node {
        scalar(text.to_owned(), ScalarKind::Number)
    }

    #[test]
    fn keeps_values_as_json_spells_them() {
        let tree = parse(r#"{"s":"a\"b","n":1.5e3,"i":-7,"t":true,"z":null,"e":{},"a":[1]}"#);
        let Ok(Node::Object { members, len: 7 }) = tree else {
            panic!("{tree:?}");
        };
        let values: Vec<(&str, &Node)> = members.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(values[0].1, &scalar(r#""a\"b""#.into(), ScalarKind::String));
        assert_eq!(values[1].1, &number("1500.0"));
        assert_eq!(values[2].1, &number("-7"));
        assert_eq!(values[3].1, &scalar("true".into(), ScalarKind::Bool));
        assert_eq!(values[4].1, &scalar("null".into(), ScalarKind::Null));
        assert_eq!(
            values[5].1,
            &Node::Object {
                members: vec![],
                len: 0
            }
        );
        assert_eq!(
            values[6],
            (
                "a",
                &Node::Array {
                    items: vec![number("1")],
                    len: 1
                }
            )
        );
    }

    #[test]
    fn counts_children_past_the_limit_and_cuts_long_text() {
        let text = format!("[{}0]", "1,".repeat(1233));
        let Ok(Node::Array { items, len }) = parse(&text) else {
            panic!("an array");
        };
        assert_eq!((items.len(), len), (MAX_CHILDREN, 1234));

        let long = "é".repeat(1000);
        let Ok(Node::Object { members, .. }) = parse(&format!(r#"{{"{long}":"{long}"}}"#)) else {
            panic!("an object");
        };
        let (key, Node::Scalar { text, .. }) = &members[0] else {
            panic!("a scalar");
        };
        assert_eq!(key.chars().count(), MAX_CHARS + 1);
        assert!(key.ends_with('…'));
        assert_eq!(text.chars().count(), MAX_CHARS + 3, "quotes and …");
    }

    /// The nodes a tree holds.
    fn nodes(node: &Node) -> usize {
        1 + match node {
            Node::Scalar { .. } => 0,
            Node::Object { members, .. } => members.iter().map(|(_, v)| nodes(v)).sum(),
            Node::Array { items, .. } => items.iter().map(nodes).sum(),
        }
    }

    #[test]
    fn memory_is_bounded_whatever_the_input_size() {
        // 500 arrays of 500 items: 250k values, of which at most MAX_NODES are kept.
        let inner = format!("[{}0]", "0,".repeat(499));
        let text = format!("[{}{inner}]", format!("{inner},").repeat(499));
        let tree = parse(&text).unwrap();
        assert!(nodes(&tree) <= MAX_NODES + 1, "{}", nodes(&tree));
        let Node::Array { len, items } = &tree else {
            panic!("an array");
        };
        assert_eq!(
            (*len, items.len()),
            (500, 40),
            "later arrays are counted only"
        );
        assert!(
            matches!(&items[39], Node::Array { items, len: 500 } if items.len() == 460),
            "the budget ran out inside the 40th"
        );
    }

    #[test]
    fn a_parsed_value_makes_the_same_tree_as_its_text() {
        let inner = format!("[{}0]", "0,".repeat(499));
        let big = format!("[{}{inner}]", format!("{inner},").repeat(99));
        for text in [
            r#"{"s":"a\"b","n":1.5e3,"i":-7,"t":true,"z":null,"e":{},"a":[1]}"#,
            &big,
        ] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(from_value(&value).unwrap(), parse(text).unwrap());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || parse(&deep))
            .unwrap()
            .join()
            .unwrap()
            .unwrap_err();
        assert_eq!(err.message, "recursion limit exceeded");
        let at_limit = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(parse(&at_limit).is_ok());
        assert!(parse("[1,").is_err());
        assert!(parse("[1] 2").is_err());
    }
}
