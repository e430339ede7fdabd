//! Comparing what a replay received with what was recorded: pure functions, no I/O.
//!
//! Incoming messages are aligned in order. Messages that are equal (JSON compared
//! structurally, key order ignored, ignored paths removed first) are matched along the
//! longest common subsequence; between two matches, recorded and received messages are
//! paired in order as *different* (with a [`Diff`]), and what is left over is *missing*
//! (recorded, not received) or *unexpected* (received, not recorded). The close code and
//! reason are compared when the recording has a close.

use std::time::Duration;

use serde_json::Value;

use crate::engine::{CloseInfo, Initiator, Payload};
use crate::format::json_path::JsonPath;

use super::diff::diff;
pub use super::diff::{Diff, JsonDifference, MAX_JSON_DIFFERENCES};

/// How messages are compared.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// JSON paths removed from both sides before JSON messages are compared.
    pub ignore: Vec<JsonPath>,
}

/// One message taking part in a comparison.
#[derive(Clone, Debug)]
pub struct MessageRef {
    /// Where it is: the index in the recorded tab's timeline (expected side) or in the new
    /// run's list of events (actual side).
    pub index: usize,
    /// Its offset from the start of its attempt.
    pub offset: Duration,
    /// Its payload.
    pub payload: Payload,
    /// Set when its payload was not kept (past a memory budget): the payload's size. Such
    /// a message cannot be compared, so it never matches.
    pub not_kept: Option<usize>,
}

/// The outcome for one recorded or received message.
#[derive(Clone, Debug)]
pub enum ComparisonItem {
    /// Recorded and received, equal.
    Matched {
        /// The recorded message.
        expected: MessageRef,
        /// The received message.
        actual: MessageRef,
    },
    /// Recorded and received at the same place, but not equal.
    Different {
        /// The recorded message.
        expected: MessageRef,
        /// The received message.
        actual: MessageRef,
        /// How they differ.
        diff: Diff,
    },
    /// Recorded but not received.
    Missing {
        /// The recorded message.
        expected: MessageRef,
    },
    /// Received but not recorded.
    Unexpected {
        /// The received message.
        actual: MessageRef,
    },
}

impl ComparisonItem {
    /// `matched`, `different`, `missing` or `unexpected`.
    pub fn status(&self) -> &'static str {
        match self {
            ComparisonItem::Matched { .. } => "matched",
            ComparisonItem::Different { .. } => "different",
            ComparisonItem::Missing { .. } => "missing",
            ComparisonItem::Unexpected { .. } => "unexpected",
        }
    }

    /// The recorded message, if there is one.
    pub fn expected(&self) -> Option<&MessageRef> {
        match self {
            ComparisonItem::Matched { expected, .. }
            | ComparisonItem::Different { expected, .. }
            | ComparisonItem::Missing { expected } => Some(expected),
            ComparisonItem::Unexpected { .. } => None,
        }
    }

    /// The received message, if there is one.
    pub fn actual(&self) -> Option<&MessageRef> {
        match self {
            ComparisonItem::Matched { actual, .. }
            | ComparisonItem::Different { actual, .. }
            | ComparisonItem::Unexpected { actual } => Some(actual),
            ComparisonItem::Missing { .. } => None,
        }
    }
}

/// How an attempt ended, as compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseSummary {
    /// The close code.
    pub code: u16,
    /// The close reason.
    pub reason: String,
    /// Who started the close.
    pub initiator: Initiator,
    /// Whether the closing handshake completed.
    pub was_clean: bool,
}

impl From<&CloseInfo> for CloseSummary {
    fn from(close: &CloseInfo) -> Self {
        Self {
            code: close.code,
            reason: close.reason.clone(),
            initiator: close.initiator,
            was_clean: close.was_clean,
        }
    }
}

/// The recorded close against the new one: they match when code and reason are equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseComparison {
    /// The recorded close.
    pub expected: CloseSummary,
    /// The new run's close (`None` if the run had none, e.g. cancelled).
    pub actual: Option<CloseSummary>,
    /// Code and reason are equal.
    pub matches: bool,
}

/// What a replay received compared with what was recorded.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// Every recorded and received incoming message, in order.
    pub items: Vec<ComparisonItem>,
    /// The close comparison; `None` when the recording has no close (e.g. a HAR import).
    pub close: Option<CloseComparison>,
}

impl Comparison {
    /// Compares `expected` (recorded incoming messages) with `actual` (received ones), and
    /// the closes.
    pub fn new(
        expected: &[MessageRef],
        actual: &[MessageRef],
        expected_close: Option<&CloseInfo>,
        actual_close: Option<&CloseInfo>,
        options: &CompareOptions,
    ) -> Self {
        Self {
            items: compare_messages(expected, actual, options),
            close: compare_close(expected_close, actual_close),
        }
    }

    fn count(&self, status: &str) -> usize {
        self.items.iter().filter(|i| i.status() == status).count()
    }

    /// How many messages were recorded (matched + different + missing).
    pub fn expected(&self) -> usize {
        self.items.iter().filter(|i| i.expected().is_some()).count()
    }

    /// How many messages were received (matched + different + unexpected).
    pub fn received(&self) -> usize {
        self.items.iter().filter(|i| i.actual().is_some()).count()
    }

    /// How many recorded messages arrived unchanged.
    pub fn matched(&self) -> usize {
        self.count("matched")
    }

    /// How many arrived different.
    pub fn different(&self) -> usize {
        self.count("different")
    }

    /// How many recorded messages did not arrive.
    pub fn missing(&self) -> usize {
        self.count("missing")
    }

    /// How many arrived that were not recorded.
    pub fn unexpected(&self) -> usize {
        self.count("unexpected")
    }

    /// Whether the close matched; `None` when it was not compared.
    pub fn close_matches(&self) -> Option<bool> {
        self.close.as_ref().map(|c| c.matches)
    }

    /// Every message matched and the close (if compared) matched.
    pub fn all_match(&self) -> bool {
        self.items
            .iter()
            .all(|i| matches!(i, ComparisonItem::Matched { .. }))
            && self.close_matches() != Some(false)
    }
}

/// Compares the closes; `None` when nothing was recorded.
pub fn compare_close(
    expected: Option<&CloseInfo>,
    actual: Option<&CloseInfo>,
) -> Option<CloseComparison> {
    let expected = CloseSummary::from(expected?);
    let actual = actual.map(CloseSummary::from);
    let matches = actual
        .as_ref()
        .is_some_and(|a| a.code == expected.code && a.reason == expected.reason);
    Some(CloseComparison {
        expected,
        actual,
        matches,
    })
}

/// A message prepared for comparison: JSON parsed with ignored paths removed.
pub(super) enum Normal<'a> {
    Json(Value),
    Text(&'a str),
    Binary(&'a [u8]),
}

impl<'a> Normal<'a> {
    fn new(payload: &'a Payload, options: &CompareOptions) -> Self {
        match payload {
            Payload::Binary(bytes) => Normal::Binary(bytes),
            Payload::Text(text) => match serde_json::from_str::<Value>(text.as_str()) {
                Ok(mut value) => {
                    for path in &options.ignore {
                        path.remove_from(&mut value);
                    }
                    Normal::Json(value)
                }
                Err(_) => Normal::Text(text.as_str()),
            },
        }
    }

    /// A key equal for equal messages: JSON in a canonical form (keys sorted).
    fn key(&self) -> Vec<u8> {
        let mut key = Vec::new();
        match self {
            Normal::Json(value) => {
                key.push(b'j');
                canonical(value, &mut key);
            }
            Normal::Text(text) => {
                key.push(b't');
                key.extend_from_slice(text.as_bytes());
            }
            Normal::Binary(bytes) => {
                key.push(b'b');
                key.extend_from_slice(bytes);
            }
        }
        key
    }
}

/// JSON text with object keys sorted, so that key order does not matter.
fn canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(key.clone()).to_string().as_bytes());
                out.push(b':');
                if let Some(child) = map.get(key) {
                    canonical(child, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// The largest table (recorded × received messages between the common prefix and suffix)
/// for which the longest common subsequence is computed; beyond it, messages are paired
/// in order.
const MAX_LCS_CELLS: usize = 4_000_000;

/// The key of a message on one `side`: its normal form's, or one that matches nothing when
/// its payload was not kept.
fn key<'a>(side: u8) -> impl Fn((&MessageRef, &Normal<'a>)) -> Vec<u8> {
    move |(message, normal)| match message.not_kept {
        Some(_) => [b'n', side]
            .into_iter()
            .chain(message.index.to_le_bytes())
            .collect(),
        None => normal.key(),
    }
}

/// Aligns and compares the messages (see the module documentation).
pub fn compare_messages(
    expected: &[MessageRef],
    actual: &[MessageRef],
    options: &CompareOptions,
) -> Vec<ComparisonItem> {
    let exp: Vec<Normal<'_>> = expected
        .iter()
        .map(|m| Normal::new(&m.payload, options))
        .collect();
    let act: Vec<Normal<'_>> = actual
        .iter()
        .map(|m| Normal::new(&m.payload, options))
        .collect();
    let exp_keys: Vec<Vec<u8>> = expected.iter().zip(&exp).map(key(b'e')).collect();
    let act_keys: Vec<Vec<u8>> = actual.iter().zip(&act).map(key(b'a')).collect();
    let pairs = matching_pairs(&exp_keys, &act_keys);

    let mut items = Vec::with_capacity(expected.len().max(actual.len()));
    let (mut i, mut j) = (0, 0);
    let ends = pairs.iter().copied().map(Some).chain(std::iter::once(None));
    for anchor in ends {
        let (stop_i, stop_j) = anchor.unwrap_or((expected.len(), actual.len()));
        // The gap before this anchor: pair in order, then what is left over.
        while i < stop_i && j < stop_j {
            items.push(ComparisonItem::Different {
                expected: expected[i].clone(),
                actual: actual[j].clone(),
                diff: diff(&exp[i], &act[j]),
            });
            i += 1;
            j += 1;
        }
        for missing in &expected[i..stop_i] {
            items.push(ComparisonItem::Missing {
                expected: missing.clone(),
            });
        }
        for unexpected in &actual[j..stop_j] {
            items.push(ComparisonItem::Unexpected {
                actual: unexpected.clone(),
            });
        }
        if let Some((a, b)) = anchor {
            items.push(ComparisonItem::Matched {
                expected: expected[a].clone(),
                actual: actual[b].clone(),
            });
            i = a + 1;
            j = b + 1;
        } else {
            break;
        }
    }
    items
}

/// Index pairs of equal keys, increasing in both: common prefix and suffix, and the
/// longest common subsequence of the middle when it is small enough.
fn matching_pairs(exp: &[Vec<u8>], act: &[Vec<u8>]) -> Vec<(usize, usize)> {
    let prefix = exp.iter().zip(act).take_while(|(a, b)| a == b).count();
    let suffix = exp[prefix..]
        .iter()
        .rev()
        .zip(act[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut pairs: Vec<(usize, usize)> = (0..prefix).map(|i| (i, i)).collect();
    let mid_exp = &exp[prefix..exp.len() - suffix];
    let mid_act = &act[prefix..act.len() - suffix];
    let (n, m) = (mid_exp.len(), mid_act.len());
    if n > 0 && m > 0 && n.saturating_mul(m) <= MAX_LCS_CELLS {
        // lengths[i][j] = LCS length of mid_exp[i..] and mid_act[j..].
        let width = m + 1;
        let mut lengths = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lengths[i * width + j] = if mid_exp[i] == mid_act[j] {
                    lengths[(i + 1) * width + j + 1] + 1
                } else {
                    lengths[(i + 1) * width + j].max(lengths[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if mid_exp[i] == mid_act[j] {
                pairs.push((prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    let exp_suffix_start = exp.len() - suffix;
    let act_suffix_start = act.len() - suffix;
    pairs.extend((0..suffix).map(|k| (exp_suffix_start + k, act_suffix_start + k)));
    pairs
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn text(index: usize, t: &str) -> MessageRef {
        MessageRef {
            index,
            offset: Duration::ZERO,
            payload: Payload::Text(t.to_owned().into()),
            not_kept: None,
        }
    }

    fn binary(index: usize, b: &'static [u8]) -> MessageRef {
        MessageRef {
            index,
            offset: Duration::ZERO,
            payload: Payload::Binary(Bytes::from_static(b)),
            not_kept: None,
        }
    }

    fn statuses(items: &[ComparisonItem]) -> Vec<&'static str> {
        items.iter().map(ComparisonItem::status).collect()
    }

    fn ignore(paths: &[&str]) -> CompareOptions {
        CompareOptions {
            ignore: paths.iter().map(|p| JsonPath::parse(p).unwrap()).collect(),
        }
    }

    #[test]
    fn json_key_order_does_not_matter_and_ignored_paths_are_removed() {
        let e = [text(0, r#"{"a":1,"b":[1,{"x":2}],"timestamp":"t1"}"#)];
        let a = [text(0, r#"{"timestamp":"t2","b":[1,{"x":2}],"a":1}"#)];
        let items = compare_messages(&e, &a, &CompareOptions::default());
        assert_eq!(statuses(&items), ["different"]);
        let ComparisonItem::Different { diff, .. } = &items[0] else {
            unreachable!()
        };
        assert_eq!(
            diff.lines(),
            [r#"$.timestamp: expected "t1", got "t2""#.to_owned()]
        );
        let items = compare_messages(&e, &a, &ignore(&["$.timestamp"]));
        assert_eq!(statuses(&items), ["matched"]);
    }

    #[test]
    fn json_differences_list_paths() {
        let e = [text(
            0,
            r#"{"items":[{"id":1,"n":"a"},{"id":2}],"gone":true,"k y":1}"#,
        )];
        let a = [text(
            0,
            r#"{"items":[{"id":9,"n":"b"}],"new":null,"k y":1}"#,
        )];
        let items = compare_messages(&e, &a, &ignore(&["$.items[*].id"]));
        let ComparisonItem::Different { diff, .. } = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(
            diff.lines(),
            [
                r#"$.items[0].n: expected "a", got "b""#,
                "$.items[1]: missing (expected {})",
                "$.gone: missing (expected true)",
                "$.new: unexpected (got null)",
            ]
        );
    }

    #[test]
    fn a_message_whose_payload_was_not_kept_never_matches() {
        let emptied = |index| MessageRef {
            not_kept: Some(5),
            ..text(index, "")
        };
        let items = compare_messages(
            &[text(0, "a"), text(1, "")],
            &[text(0, "a"), emptied(1)],
            &CompareOptions::default(),
        );
        assert_eq!(statuses(&items), ["matched", "different"]);
    }

    #[test]
    fn alignment_finds_missing_and_unexpected() {
        let e = [text(0, "a"), text(1, "b"), text(2, "c"), text(3, "d")];
        let a = [
            text(0, "a"),
            text(1, "x"),
            text(2, "c"),
            text(3, "d"),
            text(4, "e"),
        ];
        let items = compare_messages(&e, &a, &CompareOptions::default());
        assert_eq!(
            statuses(&items),
            ["matched", "different", "matched", "matched", "unexpected"]
        );
        let e = [text(0, "a"), text(1, "b"), text(2, "c")];
        let a = [text(0, "a"), text(1, "c")];
        let items = compare_messages(&e, &a, &CompareOptions::default());
        assert_eq!(statuses(&items), ["matched", "missing", "matched"]);
        assert_eq!(items[1].expected().map(|m| m.index), Some(1));
        let items = compare_messages(&e, &[], &CompareOptions::default());
        assert_eq!(statuses(&items), ["missing", "missing", "missing"]);
        let items = compare_messages(&[], &a, &CompareOptions::default());
        assert_eq!(statuses(&items), ["unexpected", "unexpected"]);
        let items = compare_messages(
            &[text(0, "1"), text(1, "2"), text(2, "3")],
            &[text(0, "2"), text(1, "3"), text(2, "1")],
            &CompareOptions::default(),
        );
        assert_eq!(
            statuses(&items),
            ["missing", "matched", "matched", "unexpected"]
        );
    }

    #[test]
    fn text_and_binary_diffs() {
        let items = compare_messages(
            &[
                text(0, "hello world"),
                binary(1, b"\x01\x02\x03"),
                text(2, "t"),
            ],
            &[
                text(0, "hello World"),
                binary(1, b"\x01\x02"),
                binary(2, b"t"),
            ],
            &CompareOptions::default(),
        );
        let diffs: Vec<Vec<String>> = items
            .iter()
            .map(|i| match i {
                ComparisonItem::Different { diff, .. } => diff.lines(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            diffs[0],
            [
                r#"texts differ at character 6 (lengths 11 and 11): expected "hello world", got "hello World""#
            ]
        );
        assert_eq!(
            diffs[1],
            ["binary differs at byte 2 (expected 3 bytes, got 2 bytes)"]
        );
        assert_eq!(diffs[2], ["expected a text message, got a binary message"]);
    }

    #[test]
    fn closes_compare_code_and_reason() {
        let close = |code, reason: &str, initiator| CloseInfo {
            code,
            reason: reason.into(),
            was_clean: true,
            initiator,
            closing_handshake: None,
        };
        let recorded = close(4001, "bye", Initiator::Server);
        assert_eq!(compare_close(None, Some(&recorded)), None);
        assert!(
            compare_close(
                Some(&recorded),
                Some(&close(4001, "bye", Initiator::Server))
            )
            .unwrap()
            .matches
        );
        assert!(
            !compare_close(
                Some(&recorded),
                Some(&close(4001, "bye!", Initiator::Server))
            )
            .unwrap()
            .matches
        );
        assert!(!compare_close(Some(&recorded), None).unwrap().matches);
        let comparison = Comparison::new(
            &[text(0, "a")],
            &[text(0, "a")],
            Some(&recorded),
            Some(&close(1000, "", Initiator::Client)),
            &CompareOptions::default(),
        );
        assert_eq!(comparison.close_matches(), Some(false));
        assert!(!comparison.all_match());
        assert_eq!((comparison.expected(), comparison.matched()), (1, 1));
    }
}
