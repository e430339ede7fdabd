//! Every view of a payload a server sends must be bounded whatever it holds: the pretty
//! view (output linear in the input, depth refused past the limit, the same text as
//! `pretty` once indented), the tree (it exists whenever the pretty view does, but for a
//! number beyond f64's range, which it names), the row
//! preview (one short line), the composer's bounded Pretty-print and the JSON filter. None
//! may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::format::json::{self, MAX_DEPTH, PrettyError};
use sockscope::format::json_tree;
use sockscope::format::preview::{PREVIEW_BYTES, hex_preview, text_preview};
use sockscope::model::json_filter::JsonPredicate;

fuzz_target!(|data: &[u8]| {
    let hex = hex_preview(data);
    assert!(hex.chars().count() <= PREVIEW_BYTES, "{hex}");
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let preview = text_preview(text);
    assert!(preview.len() <= PREVIEW_BYTES && !preview.contains(['\n', '\r']));

    match json::pretty_lines(text, 64) {
        Ok(lines) => {
            assert!(lines.text().len() <= 2 * text.len() + 16);
            assert!(lines.heap_bytes() <= 12 * text.len() + 64);
            assert!(json::nesting_depth(text.as_bytes()) <= MAX_DEPTH);
            for i in 0..lines.len() {
                assert!(lines.indent(i) <= MAX_DEPTH);
            }
            if lines.indented_len() <= 1 << 20 {
                assert_eq!(Ok(lines.indented()), json::pretty(text));
            }
            // The tree reads numbers as f64: one beyond its range (`8e838`, found by this
            // target) is valid JSON the pretty view shows, and the tree says why it cannot.
            if let Err(error) = json_tree::parse(text) {
                assert!(
                    error.message.contains("number out of range"),
                    "a pretty view has a tree: {error}"
                );
            }
        }
        Err(PrettyError::TooDeep { depth }) => {
            assert!(depth > MAX_DEPTH);
            assert_eq!(depth, json::nesting_depth(text.as_bytes()));
        }
        Err(PrettyError::NotJson(_)) => assert!(json::validate(text).is_err()),
        Err(PrettyError::TooLarge) => panic!("a fuzz input is far below the ceiling"),
    }
    let _ = json_tree::parse(text);
    // The composer's Pretty-print: within its limit it is reformat exactly, else nothing.
    if let Some(out) = json::reformat_within(text, true, 1 << 20) {
        assert!(out.len() <= 1 << 20);
        assert_eq!(out, json::reformat(text, true));
    }

    // The first line is a filter, the rest a message.
    let (filter, message) = text.split_once('\n').unwrap_or(("$", text));
    if let Ok(predicate) = JsonPredicate::parse(filter) {
        let _ = predicate.matches(message);
    }
});
