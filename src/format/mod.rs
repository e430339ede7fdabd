//! Pure functions that turn text into bytes and bytes into text: hex and base64 parsing,
//! hex and base64 rendering, hex dump rows, JSON pretty-printing. No I/O, no UI; each is
//! unit-tested.

pub mod base64;
pub mod event_json;
pub mod hex;
pub mod hex_dump;
pub mod json;
pub mod json_path;
pub mod variables;
