//! The operation a GraphQL document runs, read from its text without a full parser: its
//! type (`query`, `mutation`, `subscription`) and name, for rows and groups.

/// An operation's type and name as written in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// `query`, `mutation` or `subscription` (a bare `{ … }` is a query).
    pub kind: &'static str,
    /// The operation's name, if it has one.
    pub name: Option<String>,
}

impl Operation {
    /// `subscription OnTick`, or just `query` when it has no name.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} {name}", self.kind),
            None => self.kind.to_owned(),
        }
    }
}

/// The operation `document` runs: the one named `operation_name` when given and found,
/// else the first one. `None` when the text holds no operation. Linear in the text.
pub fn operation(document: &str, operation_name: Option<&str>) -> Option<Operation> {
    let mut first = None;
    for found in operations(document) {
        if operation_name.is_none_or(|wanted| found.name.as_deref() == Some(wanted)) {
            return Some(found);
        }
        first.get_or_insert(found);
    }
    first
}

/// Every operation defined at the top level of `document`, in order.
fn operations(document: &str) -> Vec<Operation> {
    let mut found = Vec::new();
    let mut tokens = Tokens::new(document);
    while let Some(token) = tokens.next() {
        match token {
            Token::Open => {
                found.push(Operation {
                    kind: "query",
                    name: None,
                });
                tokens.skip_block();
            }
            Token::Name(word) => {
                let kind = match word {
                    "query" => "query",
                    "mutation" => "mutation",
                    "subscription" => "subscription",
                    _ => {
                        // A fragment or a type definition: skip its body.
                        tokens.skip_to_block_end();
                        continue;
                    }
                };
                let mut name = None;
                let mut next = tokens.next();
                if let Some(Token::Name(word)) = next {
                    name = Some(word.to_owned());
                    next = tokens.next();
                }
                found.push(Operation { kind, name });
                if next != Some(Token::Open) {
                    tokens.skip_to_block_end();
                } else {
                    tokens.skip_block();
                }
            }
            Token::Close | Token::Other => {}
        }
    }
    found
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Name(&'a str),
    Open,
    Close,
    Other,
}

/// GraphQL's lexical tokens, as far as finding operations needs: names and braces, with
/// strings, block strings and comments skipped.
struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        loop {
            let byte = *bytes.get(self.at)?;
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.at += 1,
                b'#' => {
                    while bytes.get(self.at).is_some_and(|b| *b != b'\n') {
                        self.at += 1;
                    }
                }
                b'"' => {
                    self.skip_string();
                    return Some(Token::Other);
                }
                b'{' => {
                    self.at += 1;
                    return Some(Token::Open);
                }
                b'}' => {
                    self.at += 1;
                    return Some(Token::Close);
                }
                b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                    let start = self.at;
                    while bytes
                        .get(self.at)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    {
                        self.at += 1;
                    }
                    return Some(Token::Name(self.text.get(start..self.at)?));
                }
                _ => {
                    // Punctuation, numbers, a UTF-8 byte: step one char on.
                    self.at += self.text.get(self.at..)?.chars().next()?.len_utf8();
                    return Some(Token::Other);
                }
            }
        }
    }

    fn skip_string(&mut self) {
        let rest = self.text.get(self.at..).unwrap_or_default();
        if rest.starts_with("\"\"\"") {
            self.at += 3;
            while self.at < self.text.len() {
                let rest = self.text.get(self.at..).unwrap_or_default();
                if rest.starts_with("\\\"\"\"") {
                    self.at += 4;
                } else if rest.starts_with("\"\"\"") {
                    self.at += 3;
                    return;
                } else {
                    self.at += 1;
                }
            }
            return;
        }
        self.at += 1;
        let bytes = self.text.as_bytes();
        while let Some(byte) = bytes.get(self.at) {
            self.at += 1;
            match byte {
                b'\\' => self.at += 1,
                b'"' | b'\n' => return,
                _ => {}
            }
        }
    }

    /// Skips to the `}` closing a block whose `{` was just read.
    fn skip_block(&mut self) {
        let mut depth = 1usize;
        while let Some(token) = self.next() {
            match token {
                Token::Open => depth += 1,
                Token::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// Skips to the first block's end (variables, directives and a fragment's type
    /// condition come before it).
    fn skip_to_block_end(&mut self) {
        while let Some(token) = self.next() {
            if token == Token::Open {
                self.skip_block();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(document: &str, name: Option<&str>) -> Option<String> {
        operation(document, name).map(|op| op.label())
    }

    #[test]
    fn reads_the_type_and_name_of_the_operation() {
        assert_eq!(label("{ hello }", None).as_deref(), Some("query"));
        assert_eq!(
            label("subscription OnTick($n: Int!) { tick(n: $n) }", None).as_deref(),
            Some("subscription OnTick")
        );
        assert_eq!(
            label("  # comment { \n mutation { add(n: 1) }", None).as_deref(),
            Some("mutation")
        );
    }

    #[test]
    fn skips_fragments_strings_and_picks_the_named_operation() {
        let document = r#"
            fragment F on Query { a(s: "}{ query Fake") }
            query A { ...F b(s: """ } mutation Nope """) }
            mutation B @live { c }
        "#;
        assert_eq!(label(document, None).as_deref(), Some("query A"));
        assert_eq!(label(document, Some("B")).as_deref(), Some("mutation B"));
        assert_eq!(label(document, Some("Zed")).as_deref(), Some("query A"));
    }

    #[test]
    fn text_without_an_operation_gives_none_and_never_panics() {
        assert_eq!(label("", None), None);
        assert_eq!(label("fragment F on Q { a }", None), None);
        for text in ["\"", "\"\"\"", "{", "}}}", "query", "é{\"\\", "query Q ("] {
            let _ = operation(text, None);
        }
    }
}
