//! JSON values written straight into a byte buffer, byte for byte as `serde_json` writes
//! them (strings escaped the same way, numbers the same digits), without building a
//! `serde_json::Value` first: for lines printed once per message, where building a value
//! (a map, its keys, a copy of the payload) cost more than the message itself.

/// `\u00XX` escapes use these digits, as serde_json does (lower case).
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// What follows the backslash for each byte that JSON must escape (0: written as it is).
/// The same table as serde_json's: `"`, `\` and the control characters below 0x20
/// (`\b`, `\t`, `\n`, `\f`, `\r` by name, the others as `\u00XX`). 0x7f and every byte of
/// a multi-byte character are written as they are.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Eight copies of a byte in a word.
const fn splat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

/// Non-zero when some byte of `word` is below `n` (n <= 128); exact as a yes/no.
const fn has_byte_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(splat(n)) & !word & splat(0x80)
}

/// The bytes of `word` that need an escape (below 0x20, `"` or `\`) as high bits;
/// non-zero exactly when there is one.
const fn escape_bits(word: u64) -> u64 {
    has_byte_below(word, 0x20)
        | has_byte_below(word ^ splat(b'"'), 1)
        | has_byte_below(word ^ splat(b'\\'), 1)
}

/// How many leading bytes of `bytes` need no escape, counted in whole blocks of 32 bytes
/// (four words checked together, which the compiler turns into vector instructions).
fn clean_blocks(bytes: &[u8]) -> usize {
    let mut clean = 0;
    for block in bytes.chunks_exact(32) {
        let mut bits = 0;
        for chunk in block.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            bits |= escape_bits(u64::from_ne_bytes(word));
        }
        if bits != 0 {
            break;
        }
        clean += 32;
    }
    clean
}

/// Appends `text` as a JSON string (quotes included), escaped exactly as serde_json does.
/// Runs without anything to escape, most of a typical payload, are found 32 bytes at a
/// time and copied whole; a block with an escape in it is done byte by byte.
pub fn push_str(out: &mut Vec<u8>, text: &str) {
    let copy = |out: &mut Vec<u8>, run: &[u8]| {
        out.extend_from_slice(run);
        Ok::<(), std::convert::Infallible>(())
    };
    out.reserve(text.len() + 2);
    // Copying cannot fail.
    let _ = push_str_runs(out, text, usize::MAX, copy);
}

/// [`push_str`], except that each run of at least `direct` bytes that needs no escape is
/// not copied into `out`: `run(out, bytes)` gets it, with `out` holding what comes before
/// it (to write out first, e.g. to stdout, then the run straight from the payload). `out`
/// then goes on after the run. The first error of `run` stops the writing and is returned.
pub fn push_str_runs<E>(
    out: &mut Vec<u8>,
    text: &str,
    direct: usize,
    mut run: impl FnMut(&mut Vec<u8>, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let bytes = text.as_bytes();
    // Copies a run into `out`, or hands a long one to `run`.
    let mut pass = |out: &mut Vec<u8>, part: &[u8]| {
        if part.len() >= direct {
            run(out, part)
        } else {
            out.extend_from_slice(part);
            Ok(())
        }
    };
    out.push(b'"');
    // Bytes before `start` are written; `at` is the next byte to look at.
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        at += clean_blocks(&bytes[at..]);
        let end = (at + 32).min(bytes.len());
        for (offset, &byte) in bytes[at..end].iter().enumerate() {
            let escape = ESCAPE[usize::from(byte)];
            if escape == 0 {
                continue;
            }
            let here = at + offset;
            pass(out, &bytes[start..here])?;
            start = here + 1;
            if escape == b'u' {
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX_DIGITS[usize::from(byte >> 4)],
                    HEX_DIGITS[usize::from(byte & 0xf)],
                ]);
            } else {
                out.extend_from_slice(&[b'\\', escape]);
            }
        }
        at = end;
    }
    pass(out, &bytes[start..])?;
    out.push(b'"');
    Ok(())
}

/// Each byte's two lower-case hex digits.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = [HEX_DIGITS[byte >> 4], HEX_DIGITS[byte & 0xf]];
        byte += 1;
    }
    table
};

/// Appends `bytes` as a JSON string of lower-case hex digits, quotes included (what
/// [`super::hex::to_hex`] gives, without the intermediate `String`). Written 32 bytes at a
/// time through a small array, which stays quick in unoptimised (test) builds too.
pub fn push_hex_str(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() * 2 + 2);
    out.push(b'"');
    let mut digits = [0u8; 64];
    for part in bytes.chunks(32) {
        let mut at = 0;
        for &byte in part {
            let [high, low] = HEX_PAIRS[usize::from(byte)];
            digits[at] = high;
            digits[at + 1] = low;
            at += 2;
        }
        out.extend_from_slice(&digits[..at]);
    }
    out.push(b'"');
}

/// Appends an unsigned integer in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends a float as serde_json writes it (`1.5`, `2.0`; `null` when not finite).
pub fn push_f64(out: &mut Vec<u8>, value: f64) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &value);
}

/// Appends `micros / 1000` as [`push_f64`] writes that float (`1.5`, `2.0`, `0.001`),
/// without formatting a float: the digits of the whole milliseconds, a point, then the
/// three decimals without trailing zeros (one at least). Exact as long as the float holds
/// every value to a thousandth (below 2^43 ms, 278 years); beyond that through the float.
pub fn push_millis(out: &mut Vec<u8>, micros: u64) {
    if micros >= 1 << 43 {
        push_f64(out, micros as f64 / 1000.0);
        return;
    }
    push_u64(out, micros / 1000);
    let fraction = micros % 1000;
    let digits = [
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ];
    let used = if fraction.is_multiple_of(100) {
        1
    } else if fraction.is_multiple_of(10) {
        2
    } else {
        3
    };
    out.push(b'.');
    out.extend_from_slice(&digits[..used]);
}

/// Appends `,"key":` (`first`: without the comma). Keys are written escaped, like values.
pub fn push_key(out: &mut Vec<u8>, key: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    push_str(out, key);
    out.push(b':');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        push_str(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    fn written_str(text: &str) -> String {
        serde_json::to_string(text).unwrap()
    }

    #[test]
    fn millis_at_the_edges_come_out_as_the_float_does() {
        let edges = [0, 1, 10, 100, 999, 1000, 1001, 1010, 1100, 123_456_789];
        let limit = 1u64 << 43;
        for micros in edges
            .into_iter()
            .chain([limit - 1, limit, limit + 1, u64::MAX])
        {
            let mut out = Vec::new();
            push_millis(&mut out, micros);
            let expected = serde_json::json!(micros as f64 / 1000.0).to_string();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{micros}");
        }
    }

    #[test]
    fn a_run_handed_out_stops_the_string_at_its_first_error() {
        let mut out = Vec::new();
        let text = format!("{}\n{}", "a".repeat(100), "b".repeat(100));
        let mut calls = 0;
        let failed = push_str_runs(&mut out, &text, 50, |_: &mut Vec<u8>, _: &[u8]| {
            calls += 1;
            Err("closed")
        });
        assert_eq!((failed, calls), (Err("closed"), 1));
    }

    #[test]
    fn every_ascii_byte_is_escaped_as_serde_json_escapes_it() {
        for byte in 0u8..=0x7f {
            let text = char::from(byte).to_string();
            assert_eq!(
                written(&text),
                serde_json::to_string(&text).unwrap(),
                "{byte:#x}"
            );
            // Also where the word-at-a-time check sees it, at each position of a word.
            for at in 0..70 {
                let mut long = "a".repeat(at);
                long.push(char::from(byte));
                long.push_str(&"bcdefghijklmnopq".repeat(at % 5));
                assert_eq!(written(&long), serde_json::to_string(&long).unwrap());
            }
        }
    }

    #[test]
    fn strings_come_out_as_serde_json_writes_them() {
        for text in [
            "",
            "plain",
            "exactly8",
            "two\nlines\r\n\tand a tab",
            "quote \" backslash \\ slash / del \u{7f}",
            "\u{0}\u{1}\u{1f} \u{8}\u{c}",
            "héllo wörld, 日本語, emoji 🦀 and \u{2028}\u{2029}",
            "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
            "{\"json\":[1,2,{\"a\":\"b\\n\"}]}",
        ] {
            assert_eq!(
                written(text),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_string_comes_out_as_serde_json_writes_it(text in any::<String>()) {
            prop_assert_eq!(written(&text), serde_json::to_string(&text).unwrap());
        }

        #[test]
        fn control_heavy_strings_come_out_as_serde_json_writes_them(
            text in "[\\x00-\\x7f\"\\\\é]{0,64}",
        ) {
            prop_assert_eq!(written(&text), serde_json::to_string(&text).unwrap());
        }

        #[test]
        fn long_runs_with_rare_escapes_come_out_as_serde_json_writes_them(
            parts in proptest::collection::vec(("[a-z é]{0,80}", "[\\x00-\\x1f\"\\\\🦀]"), 0..8),
        ) {
            let text: String = parts.iter().flat_map(|(run, odd)| [run.as_str(), odd.as_str()]).collect();
            prop_assert_eq!(written(&text), serde_json::to_string(&text).unwrap());
        }

        #[test]
        fn long_runs_handed_out_and_the_rest_make_the_same_string(
            parts in proptest::collection::vec(("[a-z é]{0,80}", "[\\x00-\\x1f\"\\\\🦀]"), 0..8),
            direct in 1usize..100,
        ) {
            let text: String = parts.iter().flat_map(|(run, odd)| [run.as_str(), odd.as_str()]).collect();
            // What a printer would have written out: the line so far, then each run.
            let mut written = Vec::new();
            let mut out = Vec::new();
            let handed = push_str_runs(&mut out, &text, direct, |out: &mut Vec<u8>, run: &[u8]| {
                assert!(run.len() >= direct && !run.is_empty());
                written.append(out);
                written.extend_from_slice(run);
                Ok::<(), ()>(())
            });
            prop_assert!(handed.is_ok());
            written.append(&mut out);
            prop_assert_eq!(String::from_utf8(written).unwrap(), written_str(&text));
        }

        #[test]
        fn millis_come_out_as_the_float_does(micros in any::<u64>(), small in 0u64..100_000_000) {
            for micros in [micros, small, micros >> 20, micros >> 21] {
                let mut out = Vec::new();
                push_millis(&mut out, micros);
                let expected = serde_json::json!(micros as f64 / 1000.0).to_string();
                prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
            }
        }

        #[test]
        fn numbers_come_out_as_serde_json_writes_them(int in any::<u64>(), micros in any::<u64>()) {
            let mut out = Vec::new();
            push_u64(&mut out, int);
            out.push(b' ');
            let float = micros as f64 / 1000.0;
            push_f64(&mut out, float);
            let expected = format!("{} {}", serde_json::json!(int), serde_json::json!(float));
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
        }

        #[test]
        fn hex_is_to_hex_in_quotes(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let mut out = Vec::new();
            push_hex_str(&mut out, &bytes);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("\"{}\"", crate::format::hex::to_hex(&bytes))
            );
        }
    }
}
