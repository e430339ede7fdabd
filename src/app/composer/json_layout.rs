//! Pretty-printing and minifying a JSON body that may hold `{{variables}}`: the text is
//! re-laid out token by token by [`crate::format::json::reformat`], so strings, numbers and
//! variable references stay exactly as written.

pub use crate::format::json::reformat;

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
