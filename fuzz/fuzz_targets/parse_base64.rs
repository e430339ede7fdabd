//! Base64 parsing never panics, and what parses renders back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::format::base64::{parse_base64, to_base64};

fuzz_target!(|text: &str| {
    if let Ok(bytes) = parse_base64(text) {
        assert_eq!(parse_base64(&to_base64(&bytes)).ok(), Some(bytes));
    }
});
