//! `.env` files (dotenv syntax), as `--env-file` reads them: one `NAME=value` per line,
//! optionally after `export `; `#` starts a comment line (and a comment after an unquoted
//! value, when preceded by white space); values may be quoted with `'…'` (taken as written)
//! or `"…"` (with `\n`, `\t`, `\"` and `\\` escapes). Blank lines are skipped.

/// Why a `.env` file cannot be read, with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct DotenvError {
    /// The line the problem is on.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// The `(name, value)` pairs of a `.env` file's text, in order.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |why: &str| DotenvError {
            line: index + 1,
            why: why.to_owned(),
        };
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, value)) = line.split_once('=') else {
            return Err(error("expected NAME=value"));
        };
        let name = name.trim();
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        if !valid {
            return Err(error(&format!(
                "{name:?} is not a variable name (letters, digits, _, . and -, not starting with a digit)"
            )));
        }
        let value = value.trim_start();
        let value = if let Some(rest) = value.strip_prefix('\'') {
            let Some(end) = rest.find('\'') else {
                return Err(error("a ' quote is not closed"));
            };
            rest[..end].to_owned()
        } else if let Some(rest) = value.strip_prefix('"') {
            unescape_double(rest).ok_or_else(|| error("a \" quote is not closed"))?
        } else {
            let cut = value.find(" #").or_else(|| value.find("\t#"));
            cut.map_or(value, |at| &value[..at]).trim_end().to_owned()
        };
        pairs.push((name.to_owned(), value));
    }
    Ok(pairs)
}

/// The text of a `"…"` value up to its closing quote, escapes applied; `None` when the
/// quote is not closed.
fn unescape_double(rest: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_dotenv_forms_read() {
        let text = "# settings\n\
                    HOST=127.0.0.1\n\
                    export TOKEN = abc123 # a comment\n\
                    EMPTY=\n\
                    SINGLE='a # b \\n'\n\
                    DOUBLE=\"line\\nnext \\\"q\\\"\"\n\
                    \n\
                    URL=ws://h/p?x=1#frag\n";
        assert_eq!(
            parse(text).unwrap(),
            [
                ("HOST".into(), "127.0.0.1".into()),
                ("TOKEN".into(), "abc123".into()),
                ("EMPTY".into(), String::new()),
                ("SINGLE".into(), "a # b \\n".into()),
                ("DOUBLE".into(), "line\nnext \"q\"".into()),
                ("URL".into(), "ws://h/p?x=1#frag".into()),
            ]
        );
    }

    #[test]
    fn problems_name_their_line() {
        assert_eq!(parse("A=1\nnonsense\n").unwrap_err().line, 2);
        assert!(
            parse("1A=x")
                .unwrap_err()
                .why
                .contains("not a variable name")
        );
        assert!(parse("A=\"open").unwrap_err().why.contains("not closed"));
        assert!(parse("A='open").unwrap_err().why.contains("not closed"));
    }
}
