//! Hex parsing never panics, and what parses renders back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::format::hex::{parse_hex, to_hex};

fuzz_target!(|text: &str| {
    if let Ok(bytes) = parse_hex(text) {
        assert_eq!(parse_hex(&to_hex(&bytes)).ok(), Some(bytes));
    } else if let Err(error) = parse_hex(text) {
        assert!(error.position() < text.chars().count().max(1));
    }
});
