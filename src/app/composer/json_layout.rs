//! Pretty-printing and minifying a JSON body that may hold `{{variables}}`: the text is
//! re-laid out token by token, so strings, numbers and variable references stay exactly as
//! written. Call it only on bodies whose expansion is valid JSON (the composer checks), so
//! the structure is sound; anything else is still laid out without panicking.

use crate::format::json::INDENT;

/// Lays `text` out with a two-space indent, one value per line, `"key": value` (as
/// [`crate::format::json::pretty`] does), or, when `pretty` is false, with no white space
/// at all. `{{…}}` references outside strings are copied as they are.
pub fn reformat(text: &str, pretty: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 8);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        if pretty {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(INDENT);
            }
        }
    };
    // Every cut below is at an ASCII byte, so each slice is whole UTF-8.
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                let end = string_end(bytes, i);
                out.push_str(text.get(i..end).unwrap_or_default());
                i = end;
            }
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                let end = text[i + 2..]
                    .find("}}")
                    .map_or(bytes.len(), |at| i + 2 + at + 2);
                out.push_str(text.get(i..end).unwrap_or_default());
                i = end;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let next = skip_space(bytes, i + 1);
                out.push(char::from(open));
                if bytes.get(next) == Some(&close) {
                    out.push(char::from(close));
                    i = next + 1;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                    i += 1;
                }
            }
            close @ (b'}' | b']') => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(char::from(close));
                i += 1;
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
                i += 1;
            }
            b':' => {
                out.push_str(if pretty { ": " } else { ":" });
                i += 1;
            }
            _ => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| {
                        matches!(
                            b,
                            b' ' | b'\t'
                                | b'\n'
                                | b'\r'
                                | b','
                                | b':'
                                | b'['
                                | b']'
                                | b'{'
                                | b'}'
                                | b'"'
                        )
                    })
                    .map_or(bytes.len(), |n| i + n.max(1));
                out.push_str(text.get(i..end).unwrap_or_default());
                i = end;
            }
        }
    }
    out
}

/// The index just past the closing quote of the string opening at `start` (or the end).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::json;

    #[test]
    fn pretty_matches_the_json_module_without_variables() {
        for text in [
            r#"{"a":[1,2,{}],"b":{"c":null,"d":[]},"e":"x, y: {z}","f":1.50e3}"#,
            "[]",
            "  \"é \\\" ok\"  ",
            "[[[1]],{\"k\":true}]",
        ] {
            assert_eq!(reformat(text, true), json::pretty(text).unwrap(), "{text}");
            let minified = reformat(text, false);
            json::validate(&minified).unwrap();
            assert_eq!(reformat(&minified, true), json::pretty(text).unwrap());
        }
    }

    #[test]
    fn variables_are_kept_as_written() {
        let text = r#"{"n":{{counter}}, "at": "x {{ now }} y",
            "id":{{uuid}} }"#;
        assert_eq!(
            reformat(text, true),
            "{\n  \"n\": {{counter}},\n  \"at\": \"x {{ now }} y\",\n  \"id\": {{uuid}}\n}"
        );
        assert_eq!(
            reformat(text, false),
            r#"{"n":{{counter}},"at":"x {{ now }} y","id":{{uuid}}}"#
        );
    }

    #[test]
    fn never_panics_on_junk() {
        let mut rng = fastrand::Rng::with_seed(3);
        let alphabet = ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'é', '1', 'a'];
        for _ in 0..3_000 {
            let len = rng.usize(0..20);
            let text: String = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let _ = reformat(&text, true);
            let _ = reformat(&text, false);
        }
    }
}
