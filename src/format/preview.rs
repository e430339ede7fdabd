//! One-line previews of payloads for the timeline's rows: made from at most
//! [`PREVIEW_BYTES`] of the payload whatever its size, so a row costs the same for a
//! 10-byte and a 64 MiB message.

use super::head;

/// How much of a payload a preview shows; the rest is in the detail pane.
pub const PREVIEW_BYTES: usize = 160;

/// The first [`PREVIEW_BYTES`] of `text` (cut at a character boundary) on one line:
/// control characters (line breaks, tabs) become spaces.
pub fn text_preview(text: &str) -> String {
    head(text, PREVIEW_BYTES)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Cuts `text` to at most `max_chars` characters, adding `…` when it was longer (a
/// summary line, a tree's string, a name in a menu).
pub fn ellipsize(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}

/// The first bytes of `bytes` in hex (`0a 0b 0c`), `…` after them when there are more; at
/// most [`PREVIEW_BYTES`] characters.
pub fn hex_preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(PREVIEW_BYTES / 3)];
    let mut text: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
    if shown.len() < bytes.len() {
        text.push("…".to_owned());
    }
    text.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_short_line_whatever_the_payload() {
        assert_eq!(text_preview("a\nb\tc"), "a b c");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(text_preview(&deep), "[".repeat(PREVIEW_BYTES));
        let wide = "é".repeat(1 << 20);
        assert_eq!(text_preview(&wide).len(), PREVIEW_BYTES);
        assert_eq!(hex_preview(&[0x0a, 0xff]), "0a ff");
        let long = hex_preview(&[0u8; 1 << 20]);
        assert!(
            long.chars().count() <= PREVIEW_BYTES && long.ends_with('…'),
            "{long}"
        );
    }
}
