//! The JSON filter's scanner reads every message a server sends. It must never panic, must
//! accept every document serde_json accepts (so a valid message is never hidden from a
//! filter), and what it finds at a path must be a JSON value serde_json reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::model::json_filter::{JsonPredicate, Segment};
use sockscope::model::json_scan::value_at;

fuzz_target!(|text: &str| {
    // The first line is a filter, the rest a message.
    let (filter, message) = text.split_once('\n').unwrap_or(("$", text));
    if let Ok(predicate) = JsonPredicate::parse(filter) {
        let _ = predicate.matches(message);
    }
    let Ok(parsed) = serde_json::from_str::<serde_json::Value>(message) else {
        return;
    };
    assert_eq!(
        value_at(message.as_bytes(), &[]),
        Some(message.trim_matches([' ', '\t', '\n', '\r']).as_bytes()),
        "serde_json accepts {message:?}; the scanner must too"
    );
    if let serde_json::Value::Object(map) = parsed {
        for key in map.keys() {
            let raw = value_at(message.as_bytes(), &[Segment::Key(key.clone())])
                .expect("a member serde_json read is found");
            assert!(serde_json::from_slice::<serde_json::Value>(raw).is_ok());
        }
    }
});
