//! Pure functions that turn text into bytes and bytes into text: hex and base64 parsing,
//! hex and base64 rendering, hex dump rows, JSON pretty-printing. No I/O, no UI; each is
//! unit-tested.

pub mod base64;
pub mod decode;
pub mod dotenv;
pub mod event_json;
pub mod hex;
pub mod hex_dump;
pub mod json;
pub mod json_bytes;
pub mod json_path;
pub mod json_tree;
pub mod message_line;
pub mod preview;
pub mod query;
pub mod userinfo;
pub mod variables;

/// The first `max_bytes` bytes of `text`, cut back to a character boundary; all of `text`
/// when it is shorter.
pub fn head(text: &str, max_bytes: usize) -> &str {
    &text[..text.floor_char_boundary(max_bytes)]
}

#[cfg(test)]
mod tests {
    use super::head;

    #[test]
    fn head_cuts_at_a_character_boundary() {
        assert_eq!(
            head("héllo", 2),
            "h",
            "é is two bytes: cutting inside it backs off"
        );
        assert_eq!(head("héllo", 3), "hé");
        assert_eq!(head("héllo", 99), "héllo");
        assert_eq!(head("", 4), "");
    }
}
